/*
 * tcache.c — per-thread caches of small free chunks, in front of the arenas.
 *
 *   mini_tls_tc -> struct mini_tcache
 *                    bins[tci]: head -> [chunk]->[chunk]->...   count <= bins[tci].max
 *                                        head |= CACHED, mem[0]: next (safe-linked)
 *
 * A chunk in a cache is still "in use" for its arena; the cache just holds it for the next
 * request of its exact size, so the common malloc/free pair takes no lock. Requests up to
 * MINI_TCACHE_MAX (4096 bytes) are cached, up to MINI_TCACHE_COUNT (32) chunks per size and
 * at most 32 KiB per size (at least 8 chunks): MINI_TCACHE_BIN_BYTES.
 *   miss:  lock the home arena once and carve `fill` chunks of the size; return the
 *          lowest-addressed one and cache the rest in address order. `fill` adapts per size, as
 *          jemalloc's does: it starts at max/8, doubles at every miss up to max/2 (a size that
 *          keeps missing is allocated in long runs), and halves when the bin overflows (a size
 *          that is freed in bursts does not need big batches).
 *   full:  when a free makes a bin exceed its max, or the whole cache exceed MINI_TCACHE_BYTES
 *          (512 KiB: a thread that frees many sizes it never allocates, a consumer, would hoard
 *          up to 32 KiB of each), the older half of the bin goes back to the chunks' own arenas
 *          (taking each arena's lock once per run of its chunks).
 * A chunk freed by another thread than the one that allocated it enters the freeing thread's
 * cache and, when flushed, returns to the arena it came from (onto its remote list if that
 * arena is busy at that moment: arena.c).
 *
 * Double free: a cached chunk has CACHED set in its header (chunk.h), so free() of a chunk in
 * any thread's cache is reported at once; the bit is cleared when the chunk leaves the cache.
 * A cache's next pointers are safe-linked, so a write into a cached block is noticed when the
 * corrupted link is followed.
 *
 * Thread exit (a pthread key destructor) flushes the cache to the arenas and keeps the struct
 * for the next thread; the exiting thread then runs uncached (mini_tcache_off). A child after
 * fork() flushes the caches of the threads that did not survive, validating every entry.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define MINI_TC_FILL_MAX      64
#define MINI_TCACHE_BIN_BYTES (32 * 1024)

struct mini_tcache mini_tcache_off;
MINI_TLS struct mini_tcache *mini_tls_tc;
MINI_TLS struct mini_arena *mini_tls_arena;

static void tc_destructor(void *arg);

void mini_tcache_init_global(void)
{
    pthread_key_create(&mini_global.tc_key, tc_destructor);
}

struct mini_tcache *mini_tcache_create(void)
{
    struct mini_tcache *tc = &mini_tcache_off;
    long count = mini_opt(MINI_OPT_TCACHE_COUNT), max = mini_opt(MINI_OPT_TCACHE_MAX);
    if (mini_opt(MINI_OPT_TCACHE) && count > 0 && max > 0) {
        pthread_mutex_lock(&mini_global.tcaches_lock);
        struct mini_tcache *t = mini_global.tc_free;
        if (t)
            mini_global.tc_free = t->next;
        pthread_mutex_unlock(&mini_global.tcaches_lock);
        if (t == NULL)
            t = mini_meta_alloc(sizeof(*t));
        if (t) {
            memset(t, 0, sizeof(*t));
            t->max_c = mini_s2c((size_t)max);
            t->max_bytes = (size_t)mini_opt(MINI_OPT_TCACHE_BYTES);
            t->lim_s = t->max_c - MINI_HDR + 1;
            t->max_count = (uint32_t)count;
            for (unsigned i = 0; i < MINI_TC_NBINS; i++) {
                size_t by_bytes = MINI_TCACHE_BIN_BYTES / mini_tci2c(i);
                uint32_t m = by_bytes < 8 ? 8 : (uint32_t)by_bytes;
                t->bins[i].max = (uint16_t)(m < (uint32_t)count ? m : (uint32_t)count);
                t->bins[i].fill = (uint16_t)(t->bins[i].max / 8 ? t->bins[i].max / 8 : 1);
            }
            pthread_mutex_lock(&mini_global.tcaches_lock);
            t->next = mini_global.tcaches;
            t->prev = NULL;
            if (mini_global.tcaches)
                mini_global.tcaches->prev = t;
            mini_global.tcaches = t;
            pthread_mutex_unlock(&mini_global.tcaches_lock);
            tc = t;
        }
    }
    /* Set before pthread_setspecific, which may itself call malloc. */
    mini_tls_tc = tc;
    if (tc != &mini_tcache_off)
        pthread_setspecific(mini_global.tc_key, tc);
    return tc;
}

static void release_list_one(mini_chunk_t *c)
{
    struct mini_arena *a = mini_arena_of(c);
    mini_arena_lock(a);
    mini_arena_free(a, c);
    a->n_free--; /* never the program's */
    mini_arena_unlock(a);
}

void *mini_tcache_refill(struct mini_tcache *tc, size_t c)
{
    mini_chunk_t *got[MINI_TC_FILL_MAX];
    struct mini_tbin *fb = mini_tc_bin(tc, c);
    uint32_t n = fb->fill, k = 0;
    if (n > MINI_TC_FILL_MAX)
        n = MINI_TC_FILL_MAX;
    /* No more than the room left under MINI_TCACHE_BYTES (one chunk goes to the caller). */
    size_t room = tc->max_bytes > tc->bytes ? (tc->max_bytes - tc->bytes) / c : 0;
    if (n > room + 1)
        n = (uint32_t)room + 1;
    if (2u * fb->fill <= fb->max / 2u)
        fb->fill = (uint16_t)(2u * fb->fill);
    mini_count(tc, &tc->n_miss);
    struct mini_arena *a = mini_arena_lock_home();
    for (; k < n; k++) {
        got[k] = mini_arena_alloc(a, c, NULL);
        if (got[k] == NULL)
            break;
    }
    mini_arena_after_op(a);
    mini_arena_unlock(a);
    if (k == 0) {
        errno = ENOMEM;
        return NULL;
    }
    /* A chunk may be up to 16 bytes larger than asked (a rest too small to split off): it
     * goes to the bin of its own size. */
    for (uint32_t i = k; i-- > 1;) {
        size_t gs = chunk_size(got[i]);
        if (MINI_LIKELY(gs == c) || gs <= tc->max_c)
            mini_tc_push(tc, mini_tc_bin(tc, gs), got[i], chunk_head(got[i]), gs);
        else
            release_list_one(got[i]);
    }
    return chunk2mem(got[0]);
}

/* Return a list of cached chunks (linked as in a bin) to their arenas: each run of chunks of
 * one arena under its lock, or, when that is another thread's arena and its lock is taken,
 * onto its remote list in one compare-and-swap (arena.c). */
static void release_list(void *mem, uint32_t n)
{
    struct mini_arena *locked = NULL, *busy = NULL;
    mini_chunk_t *chain = NULL, *chain_last = NULL;
    size_t chain_bytes = 0;
    while (mem && n--) {
        void **m = mem;
        void *next = mini_tc_reveal(&m[0]);
        mini_chunk_t *c = mem2chunk(mem);
        struct mini_arena *a = mini_arena_of(c);
        mem = next;
        if (a != locked && a != busy) {
            if (locked) {
                mini_arena_after_op(locked);
                mini_arena_unlock(locked);
                locked = NULL;
            }
            if (chain) {
                mini_arena_push_remote_chain(busy, chain, chain_last, chain_bytes);
                chain = NULL;
                chain_bytes = 0;
            }
            busy = NULL;
            /* The thread's own arena: wait for it; another thread's: only if it is free now. */
            if (a == mini_tls_arena || mini_arena_trylock(a)) {
                if (a == mini_tls_arena)
                    mini_arena_lock(a);
                locked = a;
            } else {
                busy = a;
            }
        }
        if (a == busy) {
            /* Still CACHED: a second free of it is a double free. */
            c->fd = chain;
            if (chain == NULL)
                chain_last = c;
            chain = c;
            chain_bytes += chunk_size(c);
            continue;
        }
        chunk_set_head(c, chunk_head(c) & ~MINI_CACHED);
        mini_arena_free(a, c);
    }
    if (locked) {
        mini_arena_after_op(locked);
        mini_arena_unlock(locked);
    }
    if (chain)
        mini_arena_push_remote_chain(busy, chain, chain_last, chain_bytes);
}

void mini_tcache_flush_bin(struct mini_tcache *tc, unsigned tci, uint32_t keep)
{
    struct mini_tbin *b = &tc->bins[tci];
    uint32_t cnt = MINI_LOAD(b->count);
    if (cnt <= keep)
        return;
    /* Keep the `keep` most recently freed (the head of the list), release the older rest. */
    void *rest;
    if (keep == 0) {
        rest = b->head;
        b->head = NULL;
    } else {
        void **m = b->head;
        for (uint32_t i = 1; i < keep; i++)
            m = mini_tc_reveal(&m[0]);
        rest = mini_tc_reveal(&m[0]);
        m[0] = mini_tc_protect(&m[0], NULL);
    }
    MINI_STORE(b->count, keep);
    tc->bytes -= (size_t)(cnt - keep) * mini_tci2c(tci);
    if (b->fill > 1)
        b->fill /= 2;
    release_list(rest, cnt - keep);
}

void mini_tcache_shrink(struct mini_tcache *tc, unsigned tci)
{
    /* The bin being freed into first, then every bin in turn, each to half, until the cache
     * is back under 3/4 of MINI_TCACHE_BYTES. */
    size_t target = tc->max_bytes / 4 * 3;
    for (unsigned i = 0; i < MINI_TC_NBINS && tc->bytes > target; i++) {
        unsigned t = (tci + i) % MINI_TC_NBINS;
        uint32_t cnt = MINI_LOAD(tc->bins[t].count);
        if (cnt)
            mini_tcache_flush_bin(tc, t, cnt / 2);
    }
}

void mini_tcache_flush_all(struct mini_tcache *tc)
{
    if (tc == NULL || tc == &mini_tcache_off)
        return;
    for (unsigned i = 0; i < MINI_TC_NBINS; i++)
        if (MINI_LOAD(tc->bins[i].count))
            mini_tcache_flush_bin(tc, i, 0);
}

static void add_dead_counters(struct mini_tcache *t)
{
    mini_global.dead_n_malloc += MINI_LOAD(t->n_malloc);
    mini_global.dead_n_free += MINI_LOAD(t->n_free);
    mini_global.dead_n_calloc += MINI_LOAD(t->n_calloc);
    mini_global.dead_n_realloc += MINI_LOAD(t->n_realloc);
    mini_global.dead_n_aligned += MINI_LOAD(t->n_aligned);
    mini_global.dead_n_miss += MINI_LOAD(t->n_miss);
    mini_global.dead_n_uncached += MINI_LOAD(t->n_uncached);
}

static void unregister(struct mini_tcache *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        mini_global.tcaches = t->next;
    if (t->next)
        t->next->prev = t->prev;
    add_dead_counters(t);
    t->next = mini_global.tc_free;
    mini_global.tc_free = t;
}

static void tc_destructor(void *arg)
{
    struct mini_tcache *tc = arg;
    mini_tls_tc = &mini_tcache_off;
    mini_tcache_flush_all(tc);
    pthread_mutex_lock(&mini_global.tcaches_lock);
    unregister(tc);
    pthread_mutex_unlock(&mini_global.tcaches_lock);
    if (mini_tls_arena)
        atomic_fetch_sub_explicit(&mini_tls_arena->nthreads, 1, memory_order_relaxed);
}

/* Is mem a plausible cached chunk of size c? (Entries of a cache whose thread died in fork.) */
static bool plausible(const void *mem, size_t c)
{
    uintptr_t lo, hi = mini_heap_bounds((uintptr_t)mem - MINI_HDR, &lo);
    if (hi == 0 || ((uintptr_t)mem & (MINI_ALIGN - 1)))
        return false;
    const mini_chunk_t *ch = mem2chunk(mem);
    return chunk_cached(ch) && chunk_size(ch) == c;
}

void mini_tcache_fork_child(void)
{
    struct mini_tcache *mine = mini_tls_tc, *t = mini_global.tcaches, *next;
    mini_global.tcaches = NULL;
    for (; t; t = next) {
        next = t->next;
        if (t == mine) {
            t->next = t->prev = NULL;
            mini_global.tcaches = t;
            continue;
        }
        /* Its thread is gone: its chunks go back, one validated entry at a time (an entry
         * that looks wrong, e.g. a push cut short by the fork, ends the walk: a leak, never
         * a corruption). */
        for (unsigned i = 0; i < MINI_TC_NBINS; i++) {
            struct mini_tbin *b = &t->bins[i];
            size_t c = mini_tci2c(i);
            uint32_t n = MINI_LOAD(b->count);
            void *mem = b->head;
            while (mem && n-- && plausible(mem, c)) {
                void *nx = mini_tc_reveal((void **)mem);
                release_list(mem, 1);
                mem = nx;
            }
            b->head = NULL;
            MINI_STORE(b->count, 0);
        }
        t->prev = NULL;
        add_dead_counters(t);
        t->next = mini_global.tc_free;
        mini_global.tc_free = t;
    }
}
