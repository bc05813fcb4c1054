/*
 * check.c — the heap checker: walks every segment, boundary tag, bin and cache of an arena and
 * aborts at the first broken invariant (chunk.h and bins.c list them), naming it and the
 * address. Debug builds assert cheap invariants inline; MINI_CHECK=2 runs mini_check_arena
 * after every arena operation, and mini_check_heap() runs everything on demand.
 */
#include "internal.h"

MINI_COLD static _Noreturn void fail(const struct mini_arena *a, const char *what, const void *at)
{
    char mem[200];
    struct mini_buf b = {mem, 0, sizeof(mem)};
    mini_buf_puts(&b, what);
    mini_buf_puts(&b, " (arena ");
    mini_buf_u64(&b, a ? a->idx : 0);
    mini_buf_puts(&b, ")");
    mini_fatal("heap check failed", mini_buf_str(&b), (uintptr_t)at);
}

struct walk {
    size_t nfree, free_bytes, inuse_bytes, purged_bytes, dirty_bytes;
};

/* Walk one segment [start, end); `current` when it holds the arena's top chunk. */
static void walk_segment(const struct mini_arena *a, uintptr_t start, uintptr_t end, bool current,
                         bool pooled, struct walk *w)
{
    const mini_chunk_t *c = chunk_at(start), *prev = NULL;
    for (;;) {
        uintptr_t cp = (uintptr_t)c;
        if (cp & (MINI_ALIGN - 1))
            fail(a, "misaligned chunk", c);
        size_t sz = chunk_size(c);
        if (cp + MINI_HDR > end || sz > end - cp)
            fail(a, "chunk runs past its segment", c);
        if (!!chunk_pooled(c) != pooled)
            fail(a, "POOLED flag wrong for the segment", c);
        if (chunk_cinuse(c) && (chunk_head(c) & MINI_BIT0))
            fail(a, "reserved header bit set on an in-use chunk", c);
        if (prev == NULL || chunk_cinuse(prev)) {
            if (!mini_prev_inuse(c))
                fail(a, "header canary overwritten", c);
        } else if (chunk_foot(c) != chunk_size(prev)) {
            fail(a, "boundary tag disagrees with the previous chunk's size", c);
        }
        bool last = cp + sz == end;
        if (c == a->top) {
            if (!current || !last)
                fail(a, "top chunk is not the end of the current segment", c);
            if (chunk_cinuse(c) || sz < MINI_TOP_MIN ||
                (chunk_head(c) & (MINI_DIRTY | MINI_PURGED)))
                fail(a, "top chunk in use, too small, or flagged", c);
            return;
        }
        if (last) {
            /* A closed segment ends with a fencepost. */
            if (current || sz != MINI_FENCE || !chunk_cinuse(c))
                fail(a, "segment does not end with its top or a fencepost", c);
            return;
        }
        if (sz < MINI_MIN_CHUNK)
            fail(a, "chunk smaller than the minimum", c);
        if (chunk_cinuse(c)) {
            w->inuse_bytes += sz; /* held by the program, or CACHED in a thread cache */
        } else {
            if (prev && !chunk_cinuse(prev))
                fail(a, "two free chunks next to each other", c);
            w->nfree++;
            w->free_bytes += sz;
            uintptr_t s, lo;
            size_t len = mini_chunk_purge_span(c, &s);
            size_t dlen = len ? mini_chunk_dirty_part(c, &lo) : 0;
            w->purged_bytes += len - dlen;
            if (!!chunk_purged(c) != (len && dlen == 0))
                fail(a, "PURGED flag disagrees with the dirty hole", c);
            if (chunk_head(c) & MINI_DIRTY) {
                if (chunk_purged(c))
                    fail(a, "chunk both DIRTY and PURGED", c);
                w->dirty_bytes += dlen;
            }
        }
        prev = c;
        c = chunk_plus(c, sz);
    }
}

static void check_bins(const struct mini_arena *a, size_t *nfree, size_t *bytes)
{
    for (unsigned b = 0; b < MINI_NBINS; b++) {
        const mini_chunk_t *h = a->bins[b].head;
        bool bit = (a->binmap[b / 64] >> (b % 64)) & 1;
        if (bit != (h != NULL))
            fail(a, "binmap disagrees with the bin", h);
        size_t last = 0;
        for (const mini_chunk_t *l = h, *bk = NULL; l; bk = l, l = l->fd) {
            if (l->bk != bk)
                fail(a, "bin list back link broken", l);
            size_t sz = chunk_size(l);
            if (chunk_cinuse(l) || l == a->top)
                fail(a, "chunk in a bin is in use or the top", l);
            if (mini_c2bin(sz) != b)
                fail(a, "chunk in the wrong bin", l);
            if (mini_bin_is_small(b)) {
                (*nfree)++;
                *bytes += sz;
                continue;
            }
            if (sz <= last)
                fail(a, "large bin not sorted by size", l);
            last = sz;
            if (l->bk_size != NULL)
                fail(a, "leader marked as a follower", l);
            for (const mini_chunk_t *f = l; f; f = f->fd_size) {
                if (f != l &&
                    (chunk_size(f) != sz || f->bk_size == NULL || f->bk_size->fd_size != f))
                    fail(a, "same-size chain broken", f);
                if (chunk_cinuse(f))
                    fail(a, "follower in use", f);
                (*nfree)++;
                *bytes += sz;
            }
        }
    }
}

void mini_check_arena(struct mini_arena *a)
{
    struct walk w = {0, 0, 0, 0, 0};
    size_t mapped = 0;
    for (unsigned i = 0; i < a->nsegs; i++) {
        bool current = i + 1 == a->nsegs && a->top && !chunk_pooled(a->top);
        walk_segment(a, a->segs[i].start, a->segs[i].end, current, false, &w);
        mapped += a->segs[i].end - a->segs[i].start;
    }
    for (struct mini_pool *pl = a->pools; pl; pl = pl->next) {
        if (pl->magic != MINI_POOL_MAGIC || pl->arena != a || !mini_pool_map_test((uintptr_t)pl))
            fail(a, "pool header", pl);
        size_t com = MINI_LOAD(pl->committed);
        bool current = pl == a->pools && !pl->closed;
        if (current != (a->top && mini_pool_of((uintptr_t)a->top) == pl))
            fail(a, "current pool and top chunk disagree", pl);
        walk_segment(a, pl->body, (uintptr_t)pl + com, current, true, &w);
        mapped += com;
    }
    size_t nb = 0, bb = 0;
    check_bins(a, &nb, &bb);
    if (nb != w.nfree || bb != w.free_bytes)
        fail(a, "free chunks in the heap and in the bins differ", NULL);
    if (bb != a->bin_bytes)
        fail(a, "bin byte count", NULL);
    if (w.purged_bytes != a->purged_bytes)
        fail(a, "purged byte count", NULL);
    if (w.dirty_bytes != a->dirty_bytes)
        fail(a, "dirty byte count", NULL);
    if (w.inuse_bytes != a->out_bytes)
        fail(a, "in-use byte count", NULL);
    if (mapped != a->mapped)
        fail(a, "mapped byte count", NULL);
}

void mini_check_tcache(const struct mini_tcache *tc)
{
    if (tc == NULL || tc == &mini_tcache_off)
        return;
    size_t bytes = 0;
    for (unsigned i = 0; i < MINI_TC_NBINS; i++) {
        const struct mini_tbin *b = &tc->bins[i];
        uint32_t n = 0, want = MINI_LOAD(b->count);
        size_t c = mini_tci2c(i);
        for (void **m = b->head; m; m = mini_tc_reveal(&m[0])) {
            const mini_chunk_t *ch = mem2chunk(m);
            uintptr_t lo, hi = mini_heap_bounds((uintptr_t)ch, &lo);
            if (hi == 0 || ((uintptr_t)m & (MINI_ALIGN - 1)))
                fail(NULL, "thread cache entry outside the heap", m);
            if (!chunk_cached(ch) || chunk_size(ch) != c)
                fail(NULL, "thread cache entry not a cached chunk of its size", m);
            if (++n > want)
                fail(NULL, "thread cache bin longer than its count", m);
        }
        if (n != want)
            fail(NULL, "thread cache bin shorter than its count", b);
        bytes += (size_t)n * c;
    }
    if (bytes != tc->bytes)
        fail(NULL, "thread cache byte count", tc);
}

int mini_check_heap(void)
{
    mini_ensure_init();
    unsigned n = atomic_load_explicit(&mini_global.narenas, memory_order_acquire);
    for (unsigned i = 0; i < n; i++) {
        struct mini_arena *a = mini_global.arenas[i];
        mini_arena_lock(a);
        mini_check_arena(a);
        mini_arena_unlock(a);
    }
    mini_check_tcache(mini_tls_tc);
    mini_large_check();
    return 0;
}
