/*
 * stats.c — statistics: a versioned snapshot (mini_stats_get) and one printer (text or JSON).
 *
 * The snapshot adds up, under each arena's lock in turn, what the arenas, the large-block
 * table, the thread caches and the OS layer count; the identity documented in mini.h,
 *   mapped = allocated + cached + free + overhead,
 * holds for every snapshot (overhead >= 0: headers of free chunks, pool and arena headers,
 * fenceposts, cache metadata). Printing formats into a stack buffer and never allocates.
 */
#include <string.h>
#include <unistd.h>

#include "internal.h"

size_t mini_stats_get(mini_stats_t *out, size_t size)
{
    if (out == NULL || size == 0)
        return 0;
    mini_ensure_init();
    mini_stats_t s;
    memset(&s, 0, sizeof(s));
    s.version = MINI_STATS_VERSION;
    uint64_t out_bytes = 0;

    unsigned n = atomic_load_explicit(&mini_global.narenas, memory_order_acquire);
    s.narenas = n;
    for (unsigned i = 0; i < n; i++) {
        struct mini_arena *a = mini_global.arenas[i];
        mini_arena_lock(a);
        size_t brk = 0;
        for (unsigned k = 0; k < a->nsegs; k++)
            brk += a->segs[k].end - a->segs[k].start;
        s.heap_brk += brk;
        s.heap_pools += a->mapped - brk;
        size_t top = a->top ? chunk_size(a->top) : 0;
        s.top += top;
        s.free += a->bin_bytes + top;
        s.purged += a->purged_bytes;
        s.dirty += a->dirty_bytes;
        out_bytes += a->out_bytes;
        s.n_arena_alloc += a->n_alloc;
        s.n_arena_free += a->n_free;
        s.n_trim += a->n_trim;
        s.bytes_purged += a->bytes_purged;
        s.bytes_trimmed += a->bytes_trimmed;
        s.n_lock_contended += MINI_LOAD(a->n_contended);
        s.cached += MINI_LOAD(a->remote_bytes); /* drained by the lock above: rarely any */
        mini_arena_unlock(a);
    }

    struct mini_large_stats ls;
    mini_large_stats(&ls);
    s.large_mapped = ls.mapped;
    s.large_count = ls.count;
    s.n_large_alloc = ls.n_alloc;
    s.n_large_free = ls.n_free;
    s.meta = MINI_LOAD(mini_global.meta_mapped);

    uint64_t miss = 0, uncached = 0;
    pthread_mutex_lock(&mini_global.tcaches_lock);
    s.n_malloc = mini_global.dead_n_malloc + MINI_LOAD(mini_tcache_off.n_malloc);
    s.n_free = mini_global.dead_n_free + MINI_LOAD(mini_tcache_off.n_free);
    s.n_calloc = mini_global.dead_n_calloc + MINI_LOAD(mini_tcache_off.n_calloc);
    s.n_realloc = mini_global.dead_n_realloc + MINI_LOAD(mini_tcache_off.n_realloc);
    s.n_aligned = mini_global.dead_n_aligned + MINI_LOAD(mini_tcache_off.n_aligned);
    miss = mini_global.dead_n_miss + MINI_LOAD(mini_tcache_off.n_miss);
    uncached = mini_global.dead_n_uncached + MINI_LOAD(mini_tcache_off.n_uncached);
    for (struct mini_tcache *t = mini_global.tcaches; t; t = t->next) {
        s.nthreads++;
        s.n_malloc += MINI_LOAD(t->n_malloc);
        s.n_free += MINI_LOAD(t->n_free);
        s.n_calloc += MINI_LOAD(t->n_calloc);
        s.n_realloc += MINI_LOAD(t->n_realloc);
        s.n_aligned += MINI_LOAD(t->n_aligned);
        miss += MINI_LOAD(t->n_miss);
        uncached += MINI_LOAD(t->n_uncached);
        for (unsigned i = 0; i < MINI_TC_NBINS; i++) {
            uint32_t cnt = MINI_LOAD(t->bins[i].count);
            if (cnt)
                s.cached += (uint64_t)cnt * mini_tci2c(i);
        }
    }
    pthread_mutex_unlock(&mini_global.tcaches_lock);
    s.n_tcache_miss = miss;
    /* A hit is a request that the cache could serve and did serve without a miss. */
    s.n_tcache_hit = s.n_malloc >= miss + uncached ? s.n_malloc - miss - uncached : 0;

    s.allocated = (out_bytes > s.cached ? out_bytes - s.cached : 0) + s.large_mapped;
    s.mapped = s.heap_brk + s.heap_pools + s.large_mapped + s.meta;
    s.peak_mapped = MINI_LOAD(mini_global.peak_mapped);
    if (s.peak_mapped < s.mapped)
        s.peak_mapped = s.mapped;
    s.n_brk = MINI_LOAD(mini_os_n_brk);
    s.n_mmap = MINI_LOAD(mini_os_n_mmap);
    s.n_munmap = MINI_LOAD(mini_os_n_munmap);
    s.n_mremap = MINI_LOAD(mini_os_n_mremap);
    s.n_mprotect = MINI_LOAD(mini_os_n_mprotect);
    s.n_madvise = MINI_LOAD(mini_os_n_madvise);

    size_t len = size < sizeof(s) ? size : sizeof(s);
    s.size = len;
    memcpy(out, &s, len);
    return len;
}

/* ---- Printing -------------------------------------------------------------------------- */

struct field {
    const char *name;
    size_t off;
};
#define F(x)                                                                                       \
    {                                                                                              \
#x, offsetof(mini_stats_t, x)                                                              \
    }
static const struct field fields[] = {
    F(mapped),        F(heap_brk),      F(heap_pools),   F(large_mapped),  F(meta),
    F(peak_mapped),   F(allocated),     F(cached),       F(free),          F(top),
    F(purged),        F(large_count),   F(narenas),      F(nthreads),      F(n_malloc),
    F(n_free),        F(n_calloc),      F(n_realloc),    F(n_aligned),     F(n_tcache_hit),
    F(n_tcache_miss), F(n_arena_alloc), F(n_arena_free), F(n_large_alloc), F(n_large_free),
    F(n_brk),         F(n_mmap),        F(n_munmap),     F(n_mremap),      F(n_mprotect),
    F(n_madvise),     F(n_trim),        F(bytes_purged), F(bytes_trimmed), F(n_lock_contended),
};
#undef F

static uint64_t field_val(const mini_stats_t *s, const struct field *f)
{
    uint64_t v;
    memcpy(&v, (const char *)s + f->off, sizeof(v));
    return v;
}

static void line(void (*cb)(void *, const char *), void *op, const char *label, uint64_t v,
                 const char *unit)
{
    char mem[160];
    struct mini_buf b = {mem, 0, sizeof(mem)};
    mini_buf_puts(&b, label);
    for (size_t i = strlen(label); i < 28; i++)
        mini_buf_puts(&b, " ");
    mini_buf_u64(&b, v);
    if (unit) {
        mini_buf_puts(&b, " ");
        mini_buf_puts(&b, unit);
    }
    mini_buf_puts(&b, "\n");
    cb(op, mini_buf_str(&b));
}

void mini_stats_print(void (*write_cb)(void *, const char *), void *cbopaque, const char *opts)
{
    if (write_cb == NULL) {
        /* stderr: the whole report in one write(2) (about 1.2 KiB JSON, 2 KiB text). */
        struct mini_gather g;
        g.fd = STDERR_FILENO;
        g.len = 0;
        mini_stats_print(mini_gather_cb, &g, opts);
        mini_gather_flush(&g);
        return;
    }
    bool json = opts && strchr(opts, 'J');
    mini_stats_t s;
    mini_stats_get(&s, sizeof(s));
    char mem[256];
    if (json) {
        struct mini_buf b = {mem, 0, sizeof(mem)};
        mini_buf_puts(&b, "{\"libmini\":\"" MINI_VERSION "\",\"pid\":");
        mini_buf_u64(&b, (uint64_t)getpid());
        mini_buf_puts(&b, ",\"version\":");
        mini_buf_u64(&b, s.version);
        write_cb(cbopaque, mini_buf_str(&b));
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            b.len = 0;
            mini_buf_puts(&b, ",\"");
            mini_buf_puts(&b, fields[i].name);
            mini_buf_puts(&b, "\":");
            mini_buf_u64(&b, field_val(&s, &fields[i]));
            write_cb(cbopaque, mini_buf_str(&b));
        }
        write_cb(cbopaque, ",\"options\":{");
        mini_options_print(write_cb, cbopaque, true);
        write_cb(cbopaque, "}}\n");
        return;
    }
    struct mini_buf b = {mem, 0, sizeof(mem)};
    mini_buf_puts(&b, "___ libmini " MINI_VERSION " statistics (pid ");
    mini_buf_u64(&b, (uint64_t)getpid());
    mini_buf_puts(&b, ") ___\n");
    write_cb(cbopaque, mini_buf_str(&b));
    uint64_t used = s.allocated + s.cached + s.free;
    line(write_cb, cbopaque, "mapped from the OS", s.mapped, "bytes");
    line(write_cb, cbopaque, "  brk heap", s.heap_brk, "bytes");
    line(write_cb, cbopaque, "  pools", s.heap_pools, "bytes");
    line(write_cb, cbopaque, "  large blocks", s.large_mapped, "bytes");
    line(write_cb, cbopaque, "  metadata", s.meta, "bytes");
    line(write_cb, cbopaque, "peak mapped", s.peak_mapped, "bytes");
    line(write_cb, cbopaque, "held by the program", s.allocated, "bytes");
    line(write_cb, cbopaque, "in thread caches", s.cached, "bytes");
    line(write_cb, cbopaque, "free in arenas", s.free, "bytes");
    line(write_cb, cbopaque, "  of which top", s.top, "bytes");
    line(write_cb, cbopaque, "  of which purged", s.purged, "bytes");
    line(write_cb, cbopaque, "  of which dirty", s.dirty, "bytes");
    line(write_cb, cbopaque, "overhead", s.mapped > used ? s.mapped - used : 0, "bytes");
    line(write_cb, cbopaque, "large blocks", s.large_count, NULL);
    line(write_cb, cbopaque, "arenas", s.narenas, NULL);
    line(write_cb, cbopaque, "threads with a cache", s.nthreads, NULL);
    line(write_cb, cbopaque, "calls: malloc", s.n_malloc, NULL);
    line(write_cb, cbopaque, "calls: free", s.n_free, NULL);
    line(write_cb, cbopaque, "calls: calloc", s.n_calloc, NULL);
    line(write_cb, cbopaque, "calls: realloc", s.n_realloc, NULL);
    line(write_cb, cbopaque, "calls: aligned", s.n_aligned, NULL);
    line(write_cb, cbopaque, "thread cache hits", s.n_tcache_hit, NULL);
    line(write_cb, cbopaque, "thread cache misses", s.n_tcache_miss, NULL);
    line(write_cb, cbopaque, "arena: blocks carved", s.n_arena_alloc, NULL);
    line(write_cb, cbopaque, "arena: blocks returned", s.n_arena_free, NULL);
    line(write_cb, cbopaque, "arena: lock waits", s.n_lock_contended, NULL);
    line(write_cb, cbopaque, "large: blocks mapped", s.n_large_alloc, NULL);
    line(write_cb, cbopaque, "large: blocks unmapped", s.n_large_free, NULL);
    line(write_cb, cbopaque, "os: brk", s.n_brk, NULL);
    line(write_cb, cbopaque, "os: mmap", s.n_mmap, NULL);
    line(write_cb, cbopaque, "os: munmap", s.n_munmap, NULL);
    line(write_cb, cbopaque, "os: mremap", s.n_mremap, NULL);
    line(write_cb, cbopaque, "os: mprotect", s.n_mprotect, NULL);
    line(write_cb, cbopaque, "os: madvise", s.n_madvise, NULL);
    line(write_cb, cbopaque, "heap tops given back", s.n_trim, NULL);
    line(write_cb, cbopaque, "  bytes", s.bytes_trimmed, "bytes");
    line(write_cb, cbopaque, "pages purged", s.bytes_purged, "bytes");
    mini_options_print(write_cb, cbopaque, false);
}

void mini_stats_at_exit(void)
{
    long show = mini_opt(MINI_OPT_SHOW_STATS);
    if (show > 0)
        mini_stats_print(NULL, NULL, show == 2 ? "J" : NULL);
}
