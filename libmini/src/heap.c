/*
 * heap.c — where arenas get their memory, and how they give it back at the top.
 *
 * The main arena grows the program break: its heap is a list of brk segments (normally one;
 * a foreign sbrk between two of ours starts another). Every other arena, and the main arena
 * once sbrk fails (RLIMIT_DATA, a mapping in the way), grows in pools: 64 MiB reservations
 * aligned to 64 MiB, committed (made read-write) a step at a time.
 *
 *   brk segment:  [chunk][chunk]...[top .......................]  <- program break
 *   pool:         [pool hdr|arena][chunk]...[top ......] <- committed end      [PROT_NONE ...]
 *   closed:       [chunk][chunk]...[free chunk][fence]   (a segment that is no longer current)
 *
 * The top chunk is always the last chunk of the arena's current segment and is at least
 * MINI_TOP_MIN bytes, so that it can always be closed: split into a free chunk for the bins
 * and a 16-byte in-use fencepost that stops coalescing at the segment's end.
 *
 * Growth asks for what the request needs plus MINI_TOP_PAD, rounded to pages. Trimming gives
 * back all of the top but MINI_TOP_PAD (or the caller's pad), rounded to pages, when it
 * exceeds MINI_TRIM_THRESHOLD: the break moves down, or the pool's tail is decommitted.
 * A closed pool that becomes entirely free is unmapped.
 *
 * Everything here runs with the arena's lock held.
 */
#include <errno.h>

#include "internal.h"

void mini_mapped_add(ptrdiff_t delta)
{
    size_t now =
        atomic_fetch_add_explicit(&mini_global.mapped_total, (size_t)delta, memory_order_relaxed) +
        (size_t)delta;
    if (delta > 0) {
        size_t peak = MINI_LOAD(mini_global.peak_mapped);
        while (now > peak &&
               !atomic_compare_exchange_weak_explicit(&mini_global.peak_mapped, &peak, now,
                                                      memory_order_relaxed, memory_order_relaxed))
            ;
    }
}

void mini_pool_map_set(uintptr_t p, bool on)
{
    size_t i = (p >> MINI_LG_POOL_SIZE) & (MINI_POOL_MAP_BITS - 1);
    uint64_t bit = (uint64_t)1 << (i % 64);
    if (on)
        atomic_fetch_or_explicit(&mini_global.pool_map[i / 64], bit, memory_order_release);
    else
        atomic_fetch_and_explicit(&mini_global.pool_map[i / 64], ~bit, memory_order_release);
}

static size_t page_up(size_t x)
{
    return mini_align_up(x, mini_global.page);
}

/* Make [start, end) the arena's new top chunk, the first chunk of a fresh segment. */
void mini_heap_set_top(struct mini_arena *a, uintptr_t start, uintptr_t end, size_t flags)
{
    mini_chunk_t *t = chunk_at(start);
    chunk_set_head(t, (end - start) | flags);
    mini_mark_prev_inuse(t); /* the first chunk of a segment */
    a->top = t;
    a->zero_from = start + MINI_HDR;
}

struct mini_pool *mini_pool_create(struct mini_arena *owner, size_t prefix, size_t commit)
{
    size_t hdr = mini_align_up(sizeof(struct mini_pool), 64);
    size_t body_off = mini_align_up(hdr + prefix, MINI_ALIGN);
    if (commit > MINI_POOL_SIZE || body_off + commit + MINI_TOP_MIN > MINI_POOL_SIZE) {
        errno = ENOMEM;
        return NULL;
    }
    size_t com = page_up(body_off + commit + MINI_TOP_MIN);
    if (com > MINI_POOL_SIZE)
        com = MINI_POOL_SIZE;
    void *base = mini_os_reserve(MINI_POOL_SIZE, MINI_POOL_SIZE);
    if (base == NULL)
        return NULL;
    if (mini_os_commit(base, com) != 0) {
        int e = errno;
        mini_os_unmap(base, MINI_POOL_SIZE);
        errno = e;
        return NULL;
    }
    struct mini_pool *pl = base;
    pl->magic = MINI_POOL_MAGIC;
    pl->arena = owner;
    pl->next = NULL;
    pl->body = (uintptr_t)base + body_off;
    MINI_STORE(pl->committed, com);
    pl->closed = false;
    mini_pool_map_set((uintptr_t)base, true);
    mini_mapped_add((ptrdiff_t)com);
    return pl;
}

void mini_heap_close_top(struct mini_arena *a)
{
    mini_chunk_t *t = a->top;
    if (t == NULL)
        return;
    size_t ts = chunk_size(t);
    mini_assert(ts >= MINI_TOP_MIN);
    size_t fs = ts - MINI_FENCE;
    mini_chunk_t *fence = chunk_plus(t, fs);
    chunk_set_head(fence, MINI_FENCE | MINI_CINUSE | (chunk_head(t) & MINI_POOLED));
    mini_set_free(t, fs, chunk_head(t) & MINI_POOLED);
    mini_chunk_set_dirty(t, MINI_ALL_DIRTY); /* the top's pages may all be resident */
    a->top = NULL;
    if (chunk_pooled(t))
        mini_pool_of((uintptr_t)t)->closed = true;
    mini_bin_insert(a, t);
}

static bool grow_brk(struct mini_arena *a, size_t need)
{
    mini_chunk_t *t = a->top;
    size_t have = t ? chunk_size(t) : 0;
    size_t pad = (size_t)mini_opt(MINI_OPT_TOP_PAD);
    size_t short_by = need > have ? need - have : 0;
    if (short_by > (size_t)PTRDIFF_MAX / 2 - pad)
        return false;
    size_t incr = page_up(short_by + pad);
    void *old = mini_os_sbrk((intptr_t)incr);
    if (old == MINI_OS_SBRK_FAILED)
        return false;
    uintptr_t o = (uintptr_t)old, ne = mini_align_down(o + incr, MINI_ALIGN);
    if (t && o == (uintptr_t)t + have) {
        /* Contiguous: the top grows in place. */
        size_t add = ne - o;
        chunk_set_head(t, (have + add) | (chunk_head(t) & MINI_FLAGS));
        a->segs[a->nsegs - 1].end = ne;
        a->mapped += add;
        mini_mapped_add((ptrdiff_t)add);
        MINI_STORE(mini_global.heap_hi, ne);
        return true;
    }
    if (a->nsegs == MINI_MAX_BRK_SEGS) {
        /* Too many foreign sbrk gaps to keep track of: hand it back and use pools. */
        if ((uintptr_t)mini_os_sbrk(0) == o + incr)
            mini_os_sbrk(-(intptr_t)incr);
        return false;
    }
    mini_heap_close_top(a);
    uintptr_t st = mini_align_up(o, MINI_ALIGN);
    a->segs[a->nsegs].start = st;
    a->segs[a->nsegs].end = ne;
    a->nsegs++;
    mini_heap_set_top(a, st, ne, 0);
    a->mapped += ne - st;
    mini_mapped_add((ptrdiff_t)(ne - st));
    if (MINI_LOAD(mini_global.heap_lo) == 0 || st < MINI_LOAD(mini_global.heap_lo))
        MINI_STORE(mini_global.heap_lo, st);
    if (ne > MINI_LOAD(mini_global.heap_hi))
        MINI_STORE(mini_global.heap_hi, ne);
    /* Alignment may have cost a few bytes: the next call is contiguous. */
    return ne - st >= need || grow_brk(a, need);
}

static bool grow_pool(struct mini_arena *a, size_t need)
{
    size_t pad = (size_t)mini_opt(MINI_OPT_TOP_PAD);
    struct mini_pool *pl = a->pools;
    mini_chunk_t *t = a->top;
    if (t && chunk_size(t) >= need)
        return true;
    if (pl && !pl->closed && t) {
        uintptr_t base = (uintptr_t)pl;
        size_t com = MINI_LOAD(pl->committed), have = chunk_size(t);
        size_t want = page_up(need - have + pad);
        if (com + want > MINI_POOL_SIZE)
            want = page_up(need - have);
        if (com + want <= MINI_POOL_SIZE) {
            if (mini_os_commit((void *)(base + com), want) != 0)
                return false;
            MINI_STORE(pl->committed, com + want);
            chunk_set_head(t, (have + want) | (chunk_head(t) & MINI_FLAGS));
            a->mapped += want;
            mini_mapped_add((ptrdiff_t)want);
            return true;
        }
    }
    if (need + pad > MINI_POOL_SIZE / 2)
        pad = 0;
    struct mini_pool *np = mini_pool_create(a, 0, need + pad);
    if (np == NULL)
        return false;
    mini_heap_close_top(a);
    np->next = a->pools;
    a->pools = np;
    mini_heap_set_top(a, np->body, (uintptr_t)np + MINI_LOAD(np->committed), MINI_POOLED);
    a->mapped += MINI_LOAD(np->committed);
    return true;
}

bool mini_heap_grow(struct mini_arena *a, size_t c)
{
    if (c > SIZE_MAX - MINI_TOP_MIN - (size_t)mini_opt(MINI_OPT_TOP_PAD) - mini_global.page) {
        errno = ENOMEM;
        return false;
    }
    size_t need = c + MINI_TOP_MIN;
    if (a == &mini_main_arena && !a->on_pools) {
        if (grow_brk(a, need))
            return true;
        /* The break cannot move: fall back to mmap'd pools for good, as glibc does. */
        a->on_pools = true;
    }
    if (grow_pool(a, need))
        return true;
    errno = ENOMEM;
    return false;
}

size_t mini_heap_trim(struct mini_arena *a, size_t pad)
{
    mini_chunk_t *t = a->top;
    if (t == NULL)
        return 0;
    size_t ts = chunk_size(t);
    uintptr_t end = (uintptr_t)t + ts;
    size_t released = 0;
    if (chunk_pooled(t)) {
        struct mini_pool *pl = mini_pool_of((uintptr_t)t);
        uintptr_t keep_end = mini_align_up((uintptr_t)t + MINI_TOP_MIN + pad, mini_global.page);
        if (keep_end >= end)
            return 0;
        released = end - keep_end;
        if (mini_os_decommit((void *)keep_end, released) != 0)
            return 0;
        MINI_STORE(pl->committed, keep_end - (uintptr_t)pl);
    } else {
        if (ts <= MINI_TOP_MIN + pad)
            return 0;
        released = mini_align_down(ts - MINI_TOP_MIN - pad, mini_global.page);
        /* Only when the break is still where we left it (no foreign sbrk above us). */
        if (released == 0 || (uintptr_t)mini_os_sbrk(0) != end)
            return 0;
        if (mini_os_sbrk(-(intptr_t)released) == MINI_OS_SBRK_FAILED)
            return 0;
        uintptr_t now = (uintptr_t)mini_os_sbrk(0);
        if (now != end - released) {
            /* Someone else moved it meanwhile; keep what we can account for. */
            released = now < end ? end - now : 0;
        }
        a->segs[a->nsegs - 1].end = end - released;
        MINI_STORE(mini_global.heap_hi, end - released);
    }
    chunk_set_head(t, (ts - released) | (chunk_head(t) & MINI_FLAGS));
    if (a->zero_from > end - released)
        a->zero_from = end - released;
    a->mapped -= released;
    mini_mapped_add(-(ptrdiff_t)released);
    a->n_trim++;
    a->bytes_trimmed += released;
    return released;
}

bool mini_pool_release_if_empty(struct mini_arena *a, mini_chunk_t *c)
{
    if (!chunk_pooled(c))
        return false;
    struct mini_pool *pl = mini_pool_of((uintptr_t)c);
    uintptr_t base = (uintptr_t)pl;
    size_t com = MINI_LOAD(pl->committed);
    if (!pl->closed || (uintptr_t)c != pl->body ||
        (uintptr_t)c + chunk_size(c) + MINI_FENCE != base + com)
        return false;
    /* An arena lives in its first pool, which therefore stays. */
    if ((uintptr_t)a > base && (uintptr_t)a < base + com)
        return false;
    struct mini_pool **pp = &a->pools;
    while (*pp && *pp != pl)
        pp = &(*pp)->next;
    if (*pp == NULL)
        mini_fatal("heap corrupted", "a closed pool is not in its arena's list", base);
    *pp = pl->next;
    mini_pool_map_set(base, false);
    a->mapped -= com;
    mini_mapped_add(-(ptrdiff_t)com);
    a->n_trim++;
    a->bytes_trimmed += com;
    mini_os_unmap((void *)base, MINI_POOL_SIZE);
    return true;
}
