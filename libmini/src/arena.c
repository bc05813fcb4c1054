/*
 * arena.c — arenas: where chunks are carved, merged and given back.
 *
 * An arena is a lock, a set of bins (bins.c), a top chunk and the heap segments behind it
 * (heap.c). The main arena (index 0) lives in static storage and grows the program break;
 * other arenas live at the start of their first mmap'd pool. Arenas are never destroyed.
 *
 * Allocation (lock held) is best fit: a chunk from the bins, split when the rest can stand as a
 * chunk of its own (the rest goes back to the bins), else a carve from the top, growing the
 * heap when the top is short. Free merges the chunk with a free neighbour on either side in
 * O(1) through the boundary tags (chunk.h), or into the top, then bins the result.
 *
 *   free(c):      [prev free][c][next free]  ->  [         one free chunk         ]
 *                 [prev used][c][top .....]  ->  [prev used][top ..................]
 *
 * Giving memory back, beyond trimming the top (heap.c): a free chunk of at least
 * MINI_PURGE_THRESHOLD bytes (64 KiB) with whole pages inside is DIRTY until those pages are
 * given back with madvise(MADV_DONTNEED) (it is then PURGED). DIRTY chunks sit in a per-arena
 * list, oldest first, and are purged
 *   - by ratio, at once: when the arena's dirty bytes exceed its in-use bytes divided by
 *     MINI_PURGE_RATIO (2), and MINI_PURGE_KEEP (4 MiB), the oldest are purged down to half
 *     that limit. A program in steady state keeps its churn, and a small heap its few MiB;
 *     one that has just freed most of a large heap gets it back at once;
 *   - by age: when a chunk has been dirty for MINI_PURGE_DELAY ms (1000), at the first arena
 *     operation after that (on the coarse clock: within ~4 ms; there is no background thread,
 *     so an idle process keeps its dirty pages until it calls the allocator again);
 *   - at free, when MINI_PURGE_DELAY is 0: only the pages that just became dirty.
 * Merged and split chunks keep the oldest age of their parts. mini_trim purges every free chunk
 * with a whole page inside, whatever its size. This is jemalloc 3-4's "lg_dirty_mult" ratio
 * combined with a decay delay.
 *
 * Threads and arenas: as glibc, the first thread to allocate takes the main arena and each
 * later thread an arena of its own, up to MINI_ARENA_MAX (8 per CPU); past that, threads share
 * the arena with the fewest threads. A thread keeps its arena; its locks spin briefly, then
 * sleep (contention is counted in the statistics). A chunk always goes back to the arena it
 * came from (its address tells which: pool chunks find their pool by masking), whichever
 * thread frees it: under that arena's lock if the lock is free at that moment, else onto the
 * arena's lock-free remote list (one compare-and-swap, the chunk marked CACHED meanwhile),
 * which the next thread to take the lock drains. So a thread never waits for another
 * thread's arena.
 *
 * fork(): the prepare handler takes every lock in the order of internal.h; the parent
 * releases them; the child reinitialises them, and hands the caches of the threads that did
 * not survive the fork back to their arenas (tcache.c).
 */
#include <errno.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <time.h>

#include "internal.h"

struct mini_arena mini_main_arena;

uint64_t mini_coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t mini_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Arena locks spin a little before they sleep (glibc's adaptive mutex): the critical sections
 * are short, and a context switch costs more than most of them. */
void mini_mutex_init(pthread_mutex_t *m)
{
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(m, &at);
    pthread_mutexattr_destroy(&at);
}

static void arena_init(struct mini_arena *a, unsigned idx)
{
    mini_mutex_init(&a->lock);
    a->idx = idx;
}

void mini_arena_init_main(void)
{
    arena_init(&mini_main_arena, 0);
    mini_global.arenas[0] = &mini_main_arena;
    atomic_store_explicit(&mini_global.narenas, 1, memory_order_release);
}

/* Where a new arena's struct goes inside its first pool. */
static uintptr_t arena_slot(struct mini_pool *pl)
{
    return (uintptr_t)pl + mini_align_up(sizeof(struct mini_pool), 64);
}

struct mini_arena *mini_arena_create(void)
{
    pthread_mutex_lock(&mini_global.arenas_lock);
    unsigned n = atomic_load_explicit(&mini_global.narenas, memory_order_relaxed);
    struct mini_arena *a = NULL;
    if (n < mini_global.arena_max) {
        size_t pad = (size_t)mini_opt(MINI_OPT_TOP_PAD);
        struct mini_pool *pl = mini_pool_create(NULL, sizeof(struct mini_arena), pad + 65536);
        if (pl) {
            a = (struct mini_arena *)arena_slot(pl);
            arena_init(a, n);
            pl->arena = a;
            a->pools = pl;
            mini_heap_set_top(a, pl->body, (uintptr_t)pl + MINI_LOAD(pl->committed), MINI_POOLED);
            a->mapped = MINI_LOAD(pl->committed);
            mini_global.arenas[n] = a;
            atomic_store_explicit(&mini_global.narenas, n + 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&mini_global.arenas_lock);
    return a;
}

static struct mini_arena *pick_home(void)
{
    /* As glibc: the first thread to allocate takes the main arena, each later thread an arena
     * of its own while there are fewer than MINI_ARENA_MAX, then the arena with the fewest
     * threads. */
    unsigned n = atomic_load_explicit(&mini_global.narenas, memory_order_acquire);
    struct mini_arena *best = mini_global.arenas[0];
    for (unsigned i = 1; i < n; i++) {
        struct mini_arena *x = mini_global.arenas[i];
        if (MINI_LOAD(x->nthreads) < MINI_LOAD(best->nthreads))
            best = x;
    }
    if (MINI_LOAD(best->nthreads) > 0 && n < mini_global.arena_max) {
        struct mini_arena *fresh = mini_arena_create();
        if (fresh)
            best = fresh;
    }
    atomic_fetch_add_explicit(&best->nthreads, 1, memory_order_relaxed);
    return best;
}

struct mini_arena *mini_arena_lock_home(void)
{
    struct mini_arena *a = mini_tls_arena;
    if (MINI_UNLIKELY(a == NULL)) {
        a = pick_home();
        mini_tls_arena = a;
    }
    mini_arena_lock(a);
    return a;
}

/* Free the chunks that other threads left on a's remote list (lock held). */
static void drain_remote(struct mini_arena *a)
{
    mini_chunk_t *c = atomic_exchange_explicit(&a->remote, NULL, memory_order_acquire);
    while (c) {
        mini_chunk_t *next = c->fd;
        atomic_fetch_sub_explicit(&a->remote_bytes, chunk_size(c), memory_order_relaxed);
        chunk_set_head(c, chunk_head(c) & ~MINI_CACHED);
        mini_arena_free(a, c);
        c = next;
    }
}

bool mini_single_threaded(void)
{
    return __atomic_load_n(&__libc_single_threaded, __ATOMIC_RELAXED) != 0;
}

void mini_glock(pthread_mutex_t *m, bool *held)
{
    if (mini_single_threaded())
        return;
    pthread_mutex_lock(m);
    *held = true;
}

void mini_gunlock(pthread_mutex_t *m, bool *held)
{
    if (*held) {
        *held = false;
        pthread_mutex_unlock(m);
    }
}

void mini_arena_lock(struct mini_arena *a)
{
    if (!mini_single_threaded()) {
        if (MINI_UNLIKELY(pthread_mutex_trylock(&a->lock) != 0)) {
            atomic_fetch_add_explicit(&a->n_contended, 1, memory_order_relaxed);
            pthread_mutex_lock(&a->lock);
        }
        a->lock_held = true;
    }
    if (MINI_UNLIKELY(atomic_load_explicit(&a->remote, memory_order_relaxed) != NULL))
        drain_remote(a);
}

bool mini_arena_trylock(struct mini_arena *a)
{
    if (!mini_single_threaded()) {
        if (pthread_mutex_trylock(&a->lock) != 0) {
            atomic_fetch_add_explicit(&a->n_contended, 1, memory_order_relaxed);
            return false;
        }
        a->lock_held = true;
    }
    if (MINI_UNLIKELY(atomic_load_explicit(&a->remote, memory_order_relaxed) != NULL))
        drain_remote(a);
    return true;
}

void mini_arena_unlock(struct mini_arena *a)
{
    if (a->lock_held) {
        a->lock_held = false;
        pthread_mutex_unlock(&a->lock);
    }
}

void mini_arena_push_remote_chain(struct mini_arena *a, mini_chunk_t *first, mini_chunk_t *last,
                                  size_t bytes)
{
    atomic_fetch_add_explicit(&a->remote_bytes, bytes, memory_order_relaxed);
    mini_chunk_t *h = atomic_load_explicit(&a->remote, memory_order_relaxed);
    do
        last->fd = h;
    while (!atomic_compare_exchange_weak_explicit(&a->remote, &h, first, memory_order_release,
                                                  memory_order_relaxed));
}

void mini_arena_push_remote(struct mini_arena *a, mini_chunk_t *c)
{
    chunk_set_head(c, chunk_head(c) | MINI_CACHED);
    mini_arena_push_remote_chain(a, c, c, chunk_size(c));
}

void mini_arena_free_any(mini_chunk_t *c)
{
    struct mini_arena *a = mini_arena_of(c);
    if (a == mini_tls_arena) {
        mini_arena_lock(a);
    } else if (!mini_arena_trylock(a)) {
        /* Another thread's arena, busy right now: leave it for the next holder of its lock. */
        mini_arena_push_remote(a, c);
        return;
    }
    mini_arena_free(a, c);
    mini_arena_after_op(a);
    mini_arena_unlock(a);
}

struct mini_arena *mini_arena_of(const mini_chunk_t *c)
{
    return chunk_pooled(c) ? mini_pool_of((uintptr_t)c)->arena : &mini_main_arena;
}

/* ---- Purging --------------------------------------------------------------------------- */

static bool purge_range(struct mini_arena *a, uintptr_t s, uintptr_t e)
{
    if (e <= s)
        return true;
    if (mini_os_purge((void *)s, e - s) != 0)
        return false;
    a->n_purge++;
    a->bytes_purged += e - s;
    return true;
}

/* Purge free chunk x, which is in a bin: its dirty hole, in one madvise; it becomes PURGED (and
 * no longer DIRTY). Returns the bytes given back. */
static size_t purge_binned(struct mini_arena *a, mini_chunk_t *x)
{
    uintptr_t lo;
    size_t dlen = mini_chunk_dirty_part(x, &lo);
    if (dlen == 0 || !purge_range(a, lo, lo + dlen))
        return 0;
    size_t h = chunk_head(x);
    if (h & MINI_DIRTY) {
        a->dirty_bytes -= dlen;
        mini_bin_undirty(a, x);
    }
    x->dlo = x->dhi = lo;
    chunk_set_head(x, (h & ~MINI_DIRTY) | MINI_PURGED);
    a->purged_bytes += dlen;
    return dlen;
}

size_t mini_arena_purge(struct mini_arena *a, bool all)
{
    size_t total = 0;
    if (!all) {
        /* The delay: the oldest dirty chunks, while they are due. */
        uint64_t delay = (uint64_t)mini_opt(MINI_OPT_PURGE_DELAY) * 1000000u,
                 now = mini_coarse_ns();
        mini_chunk_t *x;
        while ((x = a->dirty_head) != NULL && x->dirty_ns + delay <= now) {
            size_t len = purge_binned(a, x);
            if (len == 0) /* madvise refused: stop trying this time */
                break;
            total += len;
        }
        return total;
    }
    /* Everything: every free chunk with a whole page inside, whatever its size. */
    for (unsigned b = MINI_NSMALL; b < MINI_NBINS; b++)
        for (mini_chunk_t *l = a->bins[b].head; l; l = l->fd)
            for (mini_chunk_t *x = l; x; x = x->fd_size)
                if (!chunk_purged(x))
                    total += purge_binned(a, x);
    return total;
}

static size_t purge_to(struct mini_arena *a, size_t target)
{
    /* The oldest dirty chunks first: the least likely to be reused soon. */
    size_t total = 0;
    mini_chunk_t *x;
    while (a->dirty_bytes > target && (x = a->dirty_head) != NULL) {
        size_t len = purge_binned(a, x);
        if (len == 0)
            break;
        total += len;
    }
    return total;
}

void mini_arena_after_op(struct mini_arena *a)
{
    if (a->dirty_head) {
        /* The ratio: dirty pages may be at most in-use bytes / MINI_PURGE_RATIO (and at least
         * the purge threshold); past that, purge down to half the limit at once, so that the
         * next operations do not purge again. */
        long ratio = mini_opt(MINI_OPT_PURGE_RATIO);
        size_t limit = ratio > 0 ? a->out_bytes / (size_t)ratio : SIZE_MAX;
        size_t keep = (size_t)mini_opt(MINI_OPT_PURGE_KEEP);
        if (limit < keep)
            limit = keep;
        if (MINI_UNLIKELY(a->dirty_bytes > limit))
            purge_to(a, limit / 2);
        /* The delay: is the oldest dirty chunk due? (The coarse clock costs a few ns.) */
        if (a->dirty_head &&
            a->dirty_head->dirty_ns + (uint64_t)mini_opt(MINI_OPT_PURGE_DELAY) * 1000000u <=
                mini_coarse_ns())
            mini_arena_purge(a, false);
    }
    if (MINI_UNLIKELY(mini_check_walk()))
        mini_check_arena(a);
}

/* ---- Allocation ------------------------------------------------------------------------ */

/* Split free chunk v (already out of the bins) into an in-use chunk of c bytes and a free
 * rest of vs - c bytes, which goes back to the bins (still purged if v was). */
static void split_rest(struct mini_arena *a, mini_chunk_t *v, size_t c, size_t vs)
{
    mini_chunk_t *r = chunk_plus(v, c);
    size_t rs = vs - c;
    /* A rest big enough to wait for a purge keeps the age of the block it came from. */
    bool aged = (chunk_head(v) & MINI_DIRTY) != 0; /* v came out of a bin dirty */
    uint64_t age = aged ? v->dirty_ns : 0;
    size_t vh = chunk_head(v);
    uintptr_t dlo;
    size_t dlen = mini_chunk_dirty_part(v, &dlo); /* before r's header lands on v's fields */
    uintptr_t vs_lo;
    if (mini_chunk_purge_span(v, &vs_lo) == 0)
        dlen = 0, dlo = 0; /* too small to have a hole: r is too small to have pages either */
    chunk_set_head(v, c | MINI_CINUSE | (vh & MINI_POOLED));
    mini_mark_prev_inuse(r);
    mini_set_free(r, rs, vh & MINI_POOLED);
    mini_chunk_set_dirty(r, dlo, dlo + dlen); /* the part of the hole that falls in r */
    mini_bin_insert(a, r);
    if (aged)
        mini_bin_age(a, r, age);
}

mini_chunk_t *mini_arena_alloc(struct mini_arena *a, size_t c, size_t *dirty)
{
    mini_chunk_t *v = mini_bin_take(a, c);
    if (v) {
        size_t vs = chunk_size(v);
        if (vs - c >= MINI_MIN_CHUNK) {
            split_rest(a, v, c, vs);
        } else {
            c = vs;
            mini_set_inuse(v, c);
        }
        a->out_bytes += c;
        a->n_alloc++;
        if (dirty)
            *dirty = c - MINI_HDR;
        return v;
    }
    mini_chunk_t *t = a->top;
    if (t == NULL || chunk_size(t) < c + MINI_TOP_MIN) {
        if (!mini_heap_grow(a, c))
            return NULL;
        t = a->top;
    }
    size_t ts = chunk_size(t), pooled = chunk_head(t) & MINI_POOLED;
    v = t;
    mini_chunk_t *nt = chunk_plus(v, c);
    chunk_set_head(nt, (ts - c) | pooled);
    mini_mark_prev_inuse(nt);
    chunk_set_head(v, c | MINI_CINUSE | pooled);
    a->top = nt;
    if (dirty) {
        uintptr_t um = (uintptr_t)v + MINI_HDR;
        size_t d = a->zero_from > um ? a->zero_from - um : 0;
        *dirty = d < c - MINI_HDR ? d : c - MINI_HDR;
    }
    if (a->zero_from < (uintptr_t)nt + MINI_HDR)
        a->zero_from = (uintptr_t)nt + MINI_HDR;
    a->out_bytes += c;
    a->n_alloc++;
    return v;
}

/* Give back the tail of in-use chunk c beyond newc bytes, if it can stand as a chunk. */
static void shrink_tail(struct mini_arena *a, mini_chunk_t *c, size_t newc)
{
    size_t oldc = chunk_size(c);
    if (oldc - newc < MINI_MIN_CHUNK)
        return;
    mini_chunk_t *r = chunk_plus(c, newc);
    size_t h = chunk_head(c);
    chunk_set_head(r, (oldc - newc) | MINI_CINUSE | (h & MINI_POOLED));
    mini_mark_prev_inuse(r);
    chunk_set_head(c, newc | (h & MINI_FLAGS));
    mini_arena_free(a, r);
    a->n_free--; /* not a block the program gave back */
}

mini_chunk_t *mini_arena_alloc_aligned(struct mini_arena *a, size_t c, size_t align)
{
    mini_chunk_t *v = mini_arena_alloc(a, c + align + MINI_MIN_CHUNK, NULL);
    if (v == NULL)
        return NULL;
    uintptr_t mem = (uintptr_t)chunk2mem(v);
    if (mem & (align - 1)) {
        uintptr_t am = mini_align_up(mem, align);
        if (am - mem < MINI_MIN_CHUNK)
            am += align;
        mini_chunk_t *nc = mem2chunk((void *)am);
        size_t lead = (uintptr_t)nc - (uintptr_t)v, vs = chunk_size(v);
        size_t pooled = chunk_head(v) & MINI_POOLED;
        chunk_set_head(nc, (vs - lead) | MINI_CINUSE | pooled);
        mini_mark_prev_inuse(nc);
        chunk_set_head(v, lead | MINI_CINUSE | pooled);
        mini_arena_free(a, v);
        a->n_free--; /* the lead was never the program's */
        v = nc;
    }
    shrink_tail(a, v, c);
    return v;
}

bool mini_arena_resize(struct mini_arena *a, mini_chunk_t *c, size_t newc)
{
    size_t oldc = chunk_size(c);
    if (newc <= oldc) {
        shrink_tail(a, c, newc);
        return true;
    }
    size_t extra = newc - oldc;
    mini_chunk_t *next = chunk_plus(c, oldc);
    if (next == a->top) {
        if (chunk_size(next) < extra + MINI_TOP_MIN && !mini_heap_grow(a, extra))
            return false;
        if (next != a->top || chunk_size(next) < extra + MINI_TOP_MIN)
            return false; /* the heap grew elsewhere: the caller moves the block */
        size_t ts = chunk_size(next);
        mini_chunk_t *nt = chunk_plus(c, newc);
        size_t pooled = chunk_head(next) & MINI_POOLED;
        chunk_set_head(nt, (ts - extra) | pooled);
        mini_mark_prev_inuse(nt);
        chunk_set_head(c, newc | (chunk_head(c) & MINI_FLAGS));
        a->top = nt;
        if (a->zero_from < (uintptr_t)nt + MINI_HDR)
            a->zero_from = (uintptr_t)nt + MINI_HDR;
        a->out_bytes += extra;
        return true;
    }
    if (!chunk_cinuse(next) && oldc + chunk_size(next) >= newc) {
        size_t ns = chunk_size(next);
        mini_bin_remove(a, next);
        size_t total = oldc + ns;
        chunk_set_head(c, total | (chunk_head(c) & MINI_FLAGS));
        mini_mark_prev_inuse(chunk_plus(c, total));
        a->out_bytes += ns;
        shrink_tail(a, c, newc);
        return true;
    }
    return false;
}

/* ---- Free ------------------------------------------------------------------------------ */

/* When free chunk c (in a bin) started waiting for its purge delay, or UINT64_MAX if it is not
 * waiting (purged, too small, or no delay in force). */
static uint64_t waiting_since(const mini_chunk_t *c)
{
    return (chunk_head(c) & MINI_DIRTY) ? c->dirty_ns : UINT64_MAX;
}

void mini_arena_free(struct mini_arena *a, mini_chunk_t *c)
{
    size_t sz = chunk_size(c), pooled = chunk_head(c) & MINI_POOLED;
    mini_chunk_t *next = chunk_plus(c, sz);
    if (MINI_UNLIKELY(!mini_prev_inuse(next)))
        mini_fatal_ptr("free", "corrupted heap: the next block says this one is free",
                       chunk2mem(c));
    a->out_bytes -= sz;
    a->n_free++;
    /* The freed block's pages are dirty (with the pages it shares with its neighbours); a
     * merged neighbour may be (partly) purged already: the merged chunk's dirty hole is the
     * hull of these. */
    uintptr_t page = mini_global.page;
    uintptr_t dlo = mini_align_down((uintptr_t)c, page),
              dhi = mini_align_up((uintptr_t)c + sz, page);
    uint64_t oldest = UINT64_MAX; /* a merged block keeps the oldest purge age of its parts */
    if (!mini_prev_inuse(c)) {
        size_t ps = chunk_foot(c);
        mini_chunk_t *p = chunk_minus(c, ps);
        if (MINI_UNLIKELY(ps < MINI_MIN_CHUNK || (ps & (MINI_ALIGN - 1)) || chunk_size(p) != ps ||
                          chunk_cinuse(p)))
            mini_fatal_ptr("free", "corrupted heap: size vs. prev_size", chunk2mem(c));
        uintptr_t plo;
        size_t plen = mini_chunk_dirty_part(p, &plo);
        if (plen && plo < dlo)
            dlo = plo;
        oldest = waiting_since(p);
        mini_bin_remove(a, p);
        c = p;
        sz += ps;
    }
    if (next == a->top) {
        sz += chunk_size(next);
        chunk_set_head(c, sz | pooled);
        a->top = c;
        long tt = mini_opt(MINI_OPT_TRIM_THRESHOLD);
        if (tt >= 0 && sz > (size_t)tt)
            mini_heap_trim(a, (size_t)mini_opt(MINI_OPT_TOP_PAD));
        return;
    }
    if (!chunk_cinuse(next)) {
        uintptr_t nlo;
        size_t nlen = mini_chunk_dirty_part(next, &nlo);
        if (nlen && nlo + nlen > dhi)
            dhi = nlo + nlen;
        uint64_t w = waiting_since(next);
        if (w < oldest)
            oldest = w;
        mini_bin_remove(a, next);
        sz += chunk_size(next);
    }
    mini_set_free(c, sz, pooled); /* the boundary tag tells the next chunk that c is free */
    if (mini_pool_release_if_empty(a, c))
        return;
    mini_chunk_set_dirty(c, dlo, dhi);
    mini_bin_insert(a, c);
    /* MINI_PURGE_DELAY=0: at once, the dirty hole alone. */
    if ((chunk_head(c) & MINI_DIRTY) && mini_opt(MINI_OPT_PURGE_DELAY) == 0) {
        purge_binned(a, c);
        return;
    }
    if (oldest < UINT64_MAX)
        mini_bin_age(a, c, oldest);
}

/* ---- fork() ---------------------------------------------------------------------------- */

void mini_arena_fork_prepare(void)
{
    pthread_mutex_lock(&mini_global.arenas_lock);
    unsigned n = atomic_load_explicit(&mini_global.narenas, memory_order_acquire);
    for (unsigned i = 0; i < n; i++)
        pthread_mutex_lock(&mini_global.arenas[i]->lock);
    pthread_mutex_lock(&mini_global.large_lock);
    pthread_mutex_lock(&mini_global.tcaches_lock);
}

void mini_arena_fork_parent(void)
{
    pthread_mutex_unlock(&mini_global.tcaches_lock);
    pthread_mutex_unlock(&mini_global.large_lock);
    unsigned n = atomic_load_explicit(&mini_global.narenas, memory_order_acquire);
    for (unsigned i = n; i-- > 0;)
        pthread_mutex_unlock(&mini_global.arenas[i]->lock);
    pthread_mutex_unlock(&mini_global.arenas_lock);
}

void mini_arena_fork_child(void)
{
    pthread_mutex_init(&mini_global.arenas_lock, NULL);
    unsigned n = atomic_load_explicit(&mini_global.narenas, memory_order_acquire);
    for (unsigned i = 0; i < n; i++) {
        struct mini_arena *a = mini_global.arenas[i];
        mini_mutex_init(&a->lock);
        a->lock_held = false;
        MINI_STORE(a->nthreads, 0);
    }
    pthread_mutex_init(&mini_global.large_lock, NULL);
    mini_global.large_held = false;
    pthread_mutex_init(&mini_global.tcaches_lock, NULL);
    if (mini_tls_arena)
        MINI_STORE(mini_tls_arena->nthreads, 1);
    /* Only this thread survives: the others' cached chunks go back to their arenas. */
    mini_tcache_fork_child();
}
