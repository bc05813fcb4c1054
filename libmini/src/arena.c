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
 * MINI_PURGE_THRESHOLD bytes (64 KiB) has the whole pages inside it (past its header and
 * links) given back with madvise(MADV_DONTNEED) and is flagged PURGED. With MINI_PURGE_DELAY=0
 * (the default) that happens when the chunk is freed; with a delay of D ms, the first arena
 * operation at least D ms after the chunk became free does it (there is no background thread,
 * so an idle process keeps its dirty pages until it calls the allocator again or mini_trim).
 * mini_trim purges every free chunk that has a whole page inside, whatever its size.
 *
 * Threads and arenas: a thread's first allocation makes the least-loaded arena its home (the
 * main arena at first). When it finds its home's lock taken, it moves to a new arena while
 * there are fewer than MINI_ARENA_MAX (8 per CPU), else to any arena whose lock is free at
 * that moment, else it waits. A chunk always goes back to the arena it came from (its
 * address tells which: pool chunks find their pool by masking), whichever thread frees it.
 *
 * fork(): the prepare handler takes every lock in the order of internal.h; the parent
 * releases them; the child reinitialises them, and hands the caches of the threads that did
 * not survive the fork back to their arenas (tcache.c).
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "internal.h"

struct mini_arena mini_main_arena;

uint64_t mini_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void arena_init(struct mini_arena *a, unsigned idx)
{
    pthread_mutex_init(&a->lock, NULL);
    a->idx = idx;
    a->next_purge_ns = UINT64_MAX;
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
    unsigned n = atomic_load_explicit(&mini_global.narenas, memory_order_acquire);
    struct mini_arena *best = mini_global.arenas[0];
    for (unsigned i = 1; i < n; i++) {
        struct mini_arena *x = mini_global.arenas[i];
        if (MINI_LOAD(x->nthreads) < MINI_LOAD(best->nthreads))
            best = x;
    }
    atomic_fetch_add_explicit(&best->nthreads, 1, memory_order_relaxed);
    return best;
}

static void move_home(struct mini_arena *from, struct mini_arena *to)
{
    atomic_fetch_sub_explicit(&from->nthreads, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&to->nthreads, 1, memory_order_relaxed);
    mini_tls_arena = to;
}

struct mini_arena *mini_arena_lock_home(void)
{
    struct mini_arena *a = mini_tls_arena;
    if (MINI_UNLIKELY(a == NULL)) {
        a = pick_home();
        mini_tls_arena = a;
    }
    if (MINI_LIKELY(pthread_mutex_trylock(&a->lock) == 0))
        return a;
    atomic_fetch_add_explicit(&a->n_contended, 1, memory_order_relaxed);
    /* Contended: a new arena while there may be more, else any arena free right now. */
    struct mini_arena *b = NULL;
    if (atomic_load_explicit(&mini_global.narenas, memory_order_relaxed) < mini_global.arena_max) {
        b = mini_arena_create();
        if (b)
            pthread_mutex_lock(&b->lock);
    }
    if (b == NULL) {
        unsigned n = atomic_load_explicit(&mini_global.narenas, memory_order_acquire);
        for (unsigned i = 1; i < n && b == NULL; i++) {
            struct mini_arena *x = mini_global.arenas[(a->idx + i) % n];
            if (pthread_mutex_trylock(&x->lock) == 0)
                b = x;
        }
    }
    if (b) {
        move_home(a, b);
        return b;
    }
    pthread_mutex_lock(&a->lock);
    return a;
}

void mini_arena_lock(struct mini_arena *a)
{
    if (MINI_UNLIKELY(pthread_mutex_trylock(&a->lock) != 0)) {
        atomic_fetch_add_explicit(&a->n_contended, 1, memory_order_relaxed);
        pthread_mutex_lock(&a->lock);
    }
}

void mini_arena_unlock(struct mini_arena *a)
{
    pthread_mutex_unlock(&a->lock);
}

struct mini_arena *mini_arena_of(const mini_chunk_t *c)
{
    return chunk_pooled(c) ? mini_pool_of((uintptr_t)c)->arena : &mini_main_arena;
}

/* ---- Purging --------------------------------------------------------------------------- */

/* madvise the whole pages inside free chunk c; returns the bytes given back. */
static size_t purge_pages(struct mini_arena *a, mini_chunk_t *c)
{
    uintptr_t s;
    size_t len = mini_chunk_purge_span(c, &s);
    if (len == 0 || mini_os_purge((void *)s, len) != 0)
        return 0;
    a->n_purge++;
    a->bytes_purged += len;
    return len;
}

size_t mini_arena_purge(struct mini_arena *a, bool all)
{
    long pt = mini_opt(MINI_OPT_PURGE_THRESHOLD);
    uint64_t delay = (uint64_t)mini_opt(MINI_OPT_PURGE_DELAY) * 1000000u;
    uint64_t now = all ? 0 : mini_now_ns(), next = UINT64_MAX;
    size_t total = 0;
    for (unsigned b = MINI_NSMALL; b < MINI_NBINS; b++) {
        for (mini_chunk_t *l = a->bins[b].head; l; l = l->fd) {
            for (mini_chunk_t *x = l; x; x = x->fd_size) {
                if (chunk_purged(x))
                    continue;
                if (!all) {
                    if (pt < 0 || chunk_size(x) < (size_t)pt)
                        continue;
                    if (x->dirty_ns + delay > now) {
                        if (x->dirty_ns + delay < next)
                            next = x->dirty_ns + delay;
                        continue;
                    }
                }
                size_t len = purge_pages(a, x);
                if (len) {
                    chunk_set_head(x, chunk_head(x) | MINI_PURGED);
                    a->purged_bytes += len;
                    total += len;
                }
            }
        }
    }
    a->next_purge_ns = next;
    return total;
}

void mini_arena_after_op(struct mini_arena *a)
{
    if (MINI_UNLIKELY(a->next_purge_ns != UINT64_MAX) &&
        (a->next_purge_ns == 0 || a->next_purge_ns <= mini_now_ns()))
        mini_arena_purge(a, false);
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
    bool aged = !chunk_purged(v) && vs > MINI_FREE_META && mini_opt(MINI_OPT_PURGE_DELAY) > 0;
    uint64_t age = aged ? v->dirty_ns : 0;
    size_t vh = chunk_head(v);
    chunk_set_head(v, c | MINI_CINUSE | (vh & MINI_POOLED));
    mini_mark_prev_inuse(r);
    mini_set_free(r, rs, vh & (MINI_POOLED | MINI_PURGED));
    mini_bin_insert(a, r);
    if (aged && rs > MINI_FREE_META && age < r->dirty_ns)
        r->dirty_ns = age;
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
    long pt = mini_opt(MINI_OPT_PURGE_THRESHOLD);
    if (chunk_purged(c) || pt < 0 || chunk_size(c) < (size_t)pt ||
        chunk_size(c) <= MINI_FREE_META || mini_opt(MINI_OPT_PURGE_DELAY) == 0)
        return UINT64_MAX;
    return c->dirty_ns;
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
    /* The block's own pages [cs, ce) are dirty; merged neighbours may be purged already. */
    uintptr_t cs = (uintptr_t)c, ce = cs + sz;
    bool prev_dirty = false, next_dirty = false;
    uint64_t oldest = UINT64_MAX; /* a merged block keeps the oldest purge age of its parts */
    if (!mini_prev_inuse(c)) {
        size_t ps = chunk_foot(c);
        mini_chunk_t *p = chunk_minus(c, ps);
        if (MINI_UNLIKELY(ps < MINI_MIN_CHUNK || (ps & (MINI_ALIGN - 1)) || chunk_size(p) != ps ||
                          chunk_cinuse(p)))
            mini_fatal_ptr("free", "corrupted heap: size vs. prev_size", chunk2mem(c));
        prev_dirty = !chunk_purged(p);
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
        next_dirty = !chunk_purged(next);
        uint64_t w = waiting_since(next);
        if (w < oldest)
            oldest = w;
        mini_bin_remove(a, next);
        sz += chunk_size(next);
    }
    mini_set_free(c, sz, pooled); /* the boundary tag tells the next chunk that c is free */
    if (mini_pool_release_if_empty(a, c))
        return;
    long pt = mini_opt(MINI_OPT_PURGE_THRESHOLD);
    if (pt >= 0 && sz >= (size_t)pt && mini_opt(MINI_OPT_PURGE_DELAY) == 0) {
        /* Purge only what is newly dirty: the freed block's pages (with the pages it shares
         * with its neighbours) and any neighbour that was not purged yet. */
        uintptr_t is;
        size_t ilen = mini_chunk_purge_span(c, &is);
        uintptr_t ie = is + ilen, page = mini_global.page;
        uintptr_t ds = prev_dirty ? is : mini_align_down(cs, page);
        uintptr_t de = next_dirty ? ie : mini_align_up(ce, page);
        if (ds < is)
            ds = is;
        if (de > ie)
            de = ie;
        if (ilen && (de <= ds || mini_os_purge((void *)ds, de - ds) == 0)) {
            if (de > ds) {
                a->n_purge++;
                a->bytes_purged += de - ds;
            }
            chunk_set_head(c, chunk_head(c) | MINI_PURGED);
        }
    }
    mini_bin_insert(a, c);
    if (oldest < UINT64_MAX && waiting_since(c) != UINT64_MAX && oldest < c->dirty_ns) {
        c->dirty_ns = oldest;
        uint64_t due = oldest + (uint64_t)mini_opt(MINI_OPT_PURGE_DELAY) * 1000000u;
        if (due < a->next_purge_ns)
            a->next_purge_ns = due;
    }
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
        pthread_mutex_init(&a->lock, NULL);
        MINI_STORE(a->nthreads, 0);
    }
    pthread_mutex_init(&mini_global.large_lock, NULL);
    pthread_mutex_init(&mini_global.tcaches_lock, NULL);
    if (mini_tls_arena)
        MINI_STORE(mini_tls_arena->nthreads, 1);
    /* Only this thread survives: the others' cached chunks go back to their arenas. */
    mini_tcache_fork_child();
}
