/*
 * introspect.c — read-only views of the arenas and thread caches, for the glibc-compatible
 * introspection calls of the preload shim (mallinfo2, malloc_info) and for mallopt.
 *
 *   mini_arena_info_get(i)   one arena, under its lock: mapped, brk, handed out, free chunks
 *                            in bins (counted by walking every bin) and the top chunk
 *   mini_tcache_totals()     blocks and bytes sitting in every thread's cache
 *   mini_arena_max_set(n)    mallopt(M_ARENA_MAX): the limit on arenas created from now on
 *
 * Walking the bins costs O(free chunks) with the arena locked, as glibc's mallinfo does; it is
 * meant for occasional introspection, never for an allocation path. Nothing here allocates.
 */
#include "internal.h"

static size_t count_bin(const struct mini_arena *a, unsigned b)
{
    size_t n = 0;
    for (const mini_chunk_t *c = a->bins[b].head; c; c = c->fd) {
        n++;
        if (!mini_bin_is_small(b))
            for (const mini_chunk_t *f = c->fd_size; f; f = f->fd_size)
                n++; /* the followers of leader c: same size */
    }
    return n;
}

bool mini_arena_info_get(unsigned i, struct mini_arena_info *out)
{
    mini_ensure_init();
    if (i >= atomic_load_explicit(&mini_global.narenas, memory_order_acquire))
        return false;
    struct mini_arena *a = mini_global.arenas[i];
    struct mini_arena_info r = {0};
    mini_arena_lock(a);
    for (unsigned k = 0; k < a->nsegs; k++)
        r.brk += a->segs[k].end - a->segs[k].start;
    r.mapped = a->mapped;
    r.out_bytes = a->out_bytes;
    r.bin_bytes = a->bin_bytes;
    r.purged = a->purged_bytes;
    r.top = a->top ? chunk_size(a->top) : 0;
    r.n_alloc = a->n_alloc;
    r.n_free = a->n_free;
    for (unsigned b = 0; b < MINI_NBINS; b++)
        if (a->bins[b].head)
            r.nfree += count_bin(a, b);
    mini_arena_unlock(a);
    *out = r;
    return true;
}

void mini_tcache_totals(size_t *nblocks, size_t *nbytes)
{
    size_t n = 0, bytes = 0;
    mini_ensure_init();
    pthread_mutex_lock(&mini_global.tcaches_lock);
    for (struct mini_tcache *t = mini_global.tcaches; t; t = t->next)
        for (unsigned i = 0; i < MINI_TC_NBINS; i++) {
            uint32_t cnt = MINI_LOAD(t->bins[i].count);
            n += cnt;
            bytes += (size_t)cnt * mini_tci2c(i);
        }
    pthread_mutex_unlock(&mini_global.tcaches_lock);
    *nblocks = n;
    *nbytes = bytes;
}

int mini_arena_max_set(long n)
{
    mini_ensure_init();
    if (mini_option_set(MINI_OPT_ARENA_MAX, n) != 0)
        return -1;
    /* 0 keeps the limit in force (glibc ignores it too). Below the number of arenas that
     * exist, no new arena is made and the existing ones stay. */
    if (n > 0) {
        pthread_mutex_lock(&mini_global.arenas_lock);
        mini_global.arena_max = (unsigned)n;
        pthread_mutex_unlock(&mini_global.arenas_lock);
    }
    return 0;
}
