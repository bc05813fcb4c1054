/*
 * bins.c — an arena's segregated free lists.
 *
 *   bins[0 .. NSMALL-1]   one exact chunk size each (32, 48, ..., 1024): LIFO, linked by fd/bk
 *   bins[NSMALL ..]       size classes (sizeclass.h), each kept sorted smallest first:
 *
 *      head -> L1 <-> L2 <-> L3 -> NULL        leaders: one per distinct size, by fd/bk
 *              |      |
 *              F      F -> F                   followers: same size as their leader, by
 *                                              fd_size/bk_size (bk_size != NULL marks them)
 *
 *   binmap: bit i set iff bins[i] is non-empty, to find the next non-empty bin at once.
 *
 * Invariants (mini_check_arena walks them): every chunk in bins[i] is free, not the top chunk,
 * and mini_c2bin(size) == i; fd->bk == chunk and bk->fd == chunk (or bin head when bk is
 * NULL); leaders strictly increase in size; followers have their leader's size and no fd/bk;
 * binmap agrees with emptiness; bin_bytes and purged_bytes add up the chunks in the bins.
 *
 * Taking a chunk for a request of c bytes is best fit: the exact small bin, else the first
 * leader >= c in bin(c), else the smallest chunk of the next non-empty bin. A follower is taken
 * before its leader, so the leader list rarely changes. Every unlink checks its neighbours'
 * links first and aborts with "corrupted free list" when they disagree, as glibc does.
 */
#include "internal.h"

size_t mini_bin_lo[MINI_NBINS + 1];

void mini_bins_init_table(void)
{
    for (unsigned b = 0; b < MINI_NSMALL; b++)
        mini_bin_lo[b] = ((size_t)b + 2) << 4;
    for (unsigned k = MINI_LG_SMALL_MAX; k <= MINI_LG_CHUNK_MAX; k++)
        for (unsigned j = 0; j < (1u << MINI_LG_NDELTA); j++) {
            unsigned b = MINI_NSMALL + ((k - MINI_LG_SMALL_MAX) << MINI_LG_NDELTA) + j;
            mini_bin_lo[b] = ((size_t)1 << k) + ((size_t)j << (k - MINI_LG_NDELTA));
        }
    /* Group 10's first class starts where small sizes end. */
    mini_bin_lo[MINI_NSMALL] = MINI_SMALL_MAX + MINI_ALIGN;
    mini_bin_lo[MINI_NBINS] = SIZE_MAX;
    if (mini_config_debug >= 2) {
        /* The table and the closed form must agree at both edges of every bin. */
        for (unsigned b = 0; b + 1 < MINI_NBINS; b++) {
            mini_assert(mini_c2bin(mini_bin_lo[b]) == b);
            mini_assert(mini_c2bin(mini_bin_lo[b + 1] - MINI_ALIGN) == b);
        }
    }
}

static inline void binmap_set(struct mini_arena *a, unsigned b)
{
    a->binmap[b / 64] |= (uint64_t)1 << (b % 64);
}
static inline void binmap_clear(struct mini_arena *a, unsigned b)
{
    a->binmap[b / 64] &= ~((uint64_t)1 << (b % 64));
}

/* The first non-empty bin >= b, or MINI_NBINS. */
static inline unsigned binmap_next(const struct mini_arena *a, unsigned b)
{
    unsigned w = b / 64;
    if (w >= MINI_BINMAP_WORDS)
        return MINI_NBINS;
    uint64_t bits = a->binmap[w] & (~(uint64_t)0 << (b % 64));
    while (bits == 0) {
        if (++w >= MINI_BINMAP_WORDS)
            return MINI_NBINS;
        bits = a->binmap[w];
    }
    unsigned r = w * 64 + (unsigned)__builtin_ctzll(bits);
    return r < MINI_NBINS ? r : MINI_NBINS;
}

/* Whole pages inside a free chunk, past its header and links: what a purge gives back. */
static inline size_t purge_span(const mini_chunk_t *c, size_t sz, uintptr_t *start)
{
    size_t page = mini_global.page;
    uintptr_t s = mini_align_up((uintptr_t)c + MINI_FREE_META, page);
    uintptr_t e = mini_align_down((uintptr_t)c + sz, page);
    *start = s;
    return e > s ? e - s : 0;
}

size_t mini_chunk_purge_span(const mini_chunk_t *c, uintptr_t *start)
{
    return purge_span(c, chunk_size(c), start);
}

/* The dirty hole of a chunk of sz bytes, clipped to its span; 0 when it has no span (a chunk
 * that small has no hole fields either). */
static inline size_t dirty_part(const mini_chunk_t *c, size_t sz, uintptr_t *lo)
{
    uintptr_t s;
    size_t len = purge_span(c, sz, &s);
    *lo = s;
    if (len == 0)
        return 0;
    uintptr_t l = c->dlo > s ? c->dlo : s, h = c->dhi < s + len ? c->dhi : s + len;
    *lo = l;
    return h > l ? h - l : 0;
}

size_t mini_chunk_dirty_part(const mini_chunk_t *c, uintptr_t *lo)
{
    return dirty_part(c, chunk_size(c), lo);
}

void mini_chunk_set_dirty(mini_chunk_t *c, uintptr_t lo, uintptr_t hi)
{
    uintptr_t s;
    size_t len = purge_span(c, chunk_size(c), &s);
    if (len == 0)
        return;
    c->dlo = lo > s ? lo : s;
    c->dhi = hi < s + len ? hi : s + len;
    if (c->dhi < c->dlo)
        c->dhi = c->dlo;
}

MINI_COLD static void corrupted(const char *what, const mini_chunk_t *c)
{
    mini_fatal("corrupted free list", what, (uintptr_t)c);
}

/* The dirty list: DIRTY chunks, oldest first. A chunk that inherits an older age than the
 * head goes first; any other goes last (the order is then approximate, never wrong for
 * accounting). */
static void dirty_link(struct mini_arena *a, mini_chunk_t *c, uint64_t age)
{
    c->dirty_ns = age;
    mini_chunk_t *h = a->dirty_head;
    if (h == NULL) {
        c->dnext = c->dprev = NULL;
        a->dirty_head = a->dirty_tail = c;
    } else if (age < h->dirty_ns) {
        c->dprev = NULL;
        c->dnext = h;
        h->dprev = c;
        a->dirty_head = c;
    } else {
        c->dnext = NULL;
        c->dprev = a->dirty_tail;
        a->dirty_tail->dnext = c;
        a->dirty_tail = c;
    }
}

static void dirty_unlink(struct mini_arena *a, mini_chunk_t *c)
{
    if (MINI_UNLIKELY((c->dnext ? c->dnext->dprev : a->dirty_tail) != c ||
                      (c->dprev ? c->dprev->dnext : a->dirty_head) != c))
        corrupted("dirty list is broken", c);
    if (c->dprev)
        c->dprev->dnext = c->dnext;
    else
        a->dirty_head = c->dnext;
    if (c->dnext)
        c->dnext->dprev = c->dprev;
    else
        a->dirty_tail = c->dprev;
}

void mini_bin_age(struct mini_arena *a, mini_chunk_t *c, uint64_t age)
{
    if ((chunk_head(c) & MINI_DIRTY) && age < c->dirty_ns) {
        dirty_unlink(a, c);
        dirty_link(a, c, age);
    }
}

void mini_bin_undirty(struct mini_arena *a, mini_chunk_t *c)
{
    dirty_unlink(a, c);
}

static void account_in(struct mini_arena *a, mini_chunk_t *c, size_t sz)
{
    a->bin_bytes += sz;
    size_t h = chunk_head(c) & ~(MINI_DIRTY | MINI_PURGED);
    uintptr_t s, lo;
    size_t len = purge_span(c, sz, &s);
    if (len == 0) {
        chunk_set_head(c, h);
        return;
    }
    size_t dlen = dirty_part(c, sz, &lo);
    a->purged_bytes += len - dlen;
    if (dlen == 0) {
        chunk_set_head(c, h | MINI_PURGED);
        return;
    }
    /* A chunk big enough to purge with a dirty hole is DIRTY, and starts its purge delay now
     * (arena.c). */
    long pt = mini_opt(MINI_OPT_PURGE_THRESHOLD);
    if (pt >= 0 && sz >= (size_t)pt) {
        h |= MINI_DIRTY;
        a->dirty_bytes += dlen;
        chunk_set_head(c, h);
        dirty_link(a, c, mini_coarse_ns());
        return;
    }
    chunk_set_head(c, h);
}

static void account_out(struct mini_arena *a, mini_chunk_t *c, size_t sz)
{
    a->bin_bytes -= sz;
    uintptr_t s, lo;
    size_t len = purge_span(c, sz, &s);
    if (len == 0)
        return;
    size_t dlen = dirty_part(c, sz, &lo);
    a->purged_bytes -= len - dlen;
    /* DIRTY stays set: the caller rewrites the head, and may want to know (split_rest). */
    if (chunk_head(c) & MINI_DIRTY) {
        a->dirty_bytes -= dlen;
        dirty_unlink(a, c);
    }
}

void mini_bin_insert(struct mini_arena *a, mini_chunk_t *c)
{
    size_t sz = chunk_size(c);
    unsigned b = mini_c2bin(sz);
    struct mini_bin *bin = &a->bins[b];
    mini_assert_internal(!chunk_cinuse(c) && c != a->top);
    account_in(a, c, sz);
    if (mini_bin_is_small(b)) {
        mini_chunk_t *h = bin->head;
        c->fd = h;
        c->bk = NULL;
        if (h)
            h->bk = c;
        bin->head = c;
        binmap_set(a, b);
        return;
    }
    /* Large: find the first leader not smaller than c. */
    mini_chunk_t *prev = NULL, *l = bin->head;
    while (l && chunk_size(l) < sz) {
        prev = l;
        l = l->fd;
    }
    if (l && chunk_size(l) == sz) {
        /* A follower of l, first in its chain. */
        c->fd = c->bk = NULL;
        c->bk_size = l;
        c->fd_size = l->fd_size;
        if (l->fd_size)
            l->fd_size->bk_size = c;
        l->fd_size = c;
        return;
    }
    c->fd_size = c->bk_size = NULL;
    c->fd = l;
    c->bk = prev;
    if (prev)
        prev->fd = c;
    else
        bin->head = c;
    if (l)
        l->bk = c;
    binmap_set(a, b);
}

static void unlink_list(struct mini_arena *a, unsigned b, mini_chunk_t *c)
{
    struct mini_bin *bin = &a->bins[b];
    mini_chunk_t *fd = c->fd, *bk = c->bk;
    if (MINI_UNLIKELY(fd && fd->bk != c))
        corrupted("next chunk does not point back", c);
    if (bk) {
        if (MINI_UNLIKELY(bk->fd != c))
            corrupted("previous chunk does not point to it", c);
        bk->fd = fd;
    } else {
        if (MINI_UNLIKELY(bin->head != c))
            corrupted("first chunk is not the bin head", c);
        bin->head = fd;
        if (fd == NULL)
            binmap_clear(a, b);
    }
    if (fd)
        fd->bk = bk;
}

void mini_bin_remove(struct mini_arena *a, mini_chunk_t *c)
{
    size_t sz = chunk_size(c);
    unsigned b = mini_c2bin(sz);
    account_out(a, c, sz);
    if (mini_bin_is_small(b)) {
        unlink_list(a, b, c);
        return;
    }
    if (c->bk_size) {
        /* A follower: out of its chain. */
        if (MINI_UNLIKELY(c->bk_size->fd_size != c))
            corrupted("same-size chain is broken", c);
        if (MINI_UNLIKELY(c->fd_size && c->fd_size->bk_size != c))
            corrupted("same-size chain is broken", c);
        c->bk_size->fd_size = c->fd_size;
        if (c->fd_size)
            c->fd_size->bk_size = c->bk_size;
        return;
    }
    mini_chunk_t *f = c->fd_size;
    if (f == NULL) {
        unlink_list(a, b, c);
        return;
    }
    /* A leader with followers: its first follower takes its place in the list. */
    if (MINI_UNLIKELY(f->bk_size != c))
        corrupted("same-size chain is broken", c);
    struct mini_bin *bin = &a->bins[b];
    f->fd = c->fd;
    f->bk = c->bk;
    f->bk_size = NULL;
    if (c->bk) {
        if (MINI_UNLIKELY(c->bk->fd != c))
            corrupted("previous chunk does not point to it", c);
        c->bk->fd = f;
    } else {
        if (MINI_UNLIKELY(bin->head != c))
            corrupted("first chunk is not the bin head", c);
        bin->head = f;
    }
    if (c->fd) {
        if (MINI_UNLIKELY(c->fd->bk != c))
            corrupted("next chunk does not point back", c);
        c->fd->bk = f;
    }
    if (f->fd_size)
        f->fd_size->bk_size = f;
}

/* Take a chunk of a large bin's leader l: its follower if it has one. */
static mini_chunk_t *take_from_leader(struct mini_arena *a, mini_chunk_t *l)
{
    mini_chunk_t *v = l->fd_size ? l->fd_size : l;
    mini_bin_remove(a, v);
    return v;
}

mini_chunk_t *mini_bin_take(struct mini_arena *a, size_t c)
{
    unsigned b = mini_c2bin(c);
    if (mini_bin_is_small(b)) {
        mini_chunk_t *v = a->bins[b].head;
        if (v) {
            mini_bin_remove(a, v);
            return v;
        }
    } else {
        /* Best fit inside the request's own class. */
        for (mini_chunk_t *l = a->bins[b].head; l; l = l->fd)
            if (chunk_size(l) >= c)
                return take_from_leader(a, l);
    }
    unsigned nb = binmap_next(a, b + 1);
    if (nb >= MINI_NBINS)
        return NULL;
    mini_chunk_t *h = a->bins[nb].head;
    mini_assert_internal(h != NULL);
    if (mini_bin_is_small(nb)) {
        mini_bin_remove(a, h);
        return h;
    }
    return take_from_leader(a, h);
}
