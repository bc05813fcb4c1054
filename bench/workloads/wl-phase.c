/*
 * wl-phase — grow, free 90 %, idle, trim, grow again: how much memory goes back to the OS.
 *
 * Grow: allocate blocks until L bytes are live (L = 256 MiB at scale 1.0), mixed sizes (60 %
 * 16..256 bytes, 30 % 257..4096, 10 % 4097..16384; about 1.7 KiB on average, so about 150000
 * blocks), each filled with its pattern (every page touched). Free: a random 90 % of the blocks,
 * checked first; the 10 % that stay are spread over the whole heap and pin its pages, as in a
 * real program. Then the reclaim protocol of bench/include/benchproto.h: phase FREED and idle
 * --idle-ms (default 5300; the runner reads RSS at once, after 1 s and after 5 s, and the extra
 * 300 ms keep its 5 s reading inside FREED when the runner wakes late on a busy machine), the
 * allocator's own trim (jemalloc arena purge, mimalloc mi_collect, tcmalloc ReleaseFreeMemory,
 * glibc or libmini malloc_trim: whichever the process has, named in the result line), phase
 * TRIMMED and idle --trim-idle-ms (default 1000). Grow again: the survivors are checked, and new
 * blocks are allocated until L bytes are live again (an allocator that returned memory faults
 * it back in). Finally everything is checked and freed and the phase is DONE.
 */
#include "bench/workloads/wl.h"

#include <stdlib.h>

struct blk {
    void *p;
    uint32_t size;
    uint32_t tag;
};

static size_t mixed_size(struct wl_rng *r)
{
    uint64_t u = wl_rng_below(r, 100);
    if (u < 60)
        return wl_rng_range(r, 16, 256);
    if (u < 90)
        return wl_rng_range(r, 257, 4096);
    return wl_rng_range(r, 4097, 16384);
}

/* Allocates blocks into b[*n..cap) until live bytes reach target. */
static void grow(struct wl_ctr *c, struct wl_rng *r, struct blk *b, size_t *n, size_t cap,
                 int64_t target, uint32_t *tag)
{
    while (c->live < target && *n < cap) {
        size_t sz = mixed_size(r);
        struct blk x = {wl_alloc_block(c, sz, wl_tag(0, *tag)), (uint32_t)sz, *tag};
        (*tag)++;
        wl_ctr_ops(c, 1);
        b[(*n)++] = x;
    }
}

int main(int argc, char **argv)
{
    static const struct wl_spec spec = {
        .name = "phase",
        .summary = "Reclaim phases: grow to 256 MiB (scale 1.0) of mixed 16 B..16 KiB blocks,\n"
                   "free a random 90 %, phase FREED and idle, the allocator's trim, phase\n"
                   "TRIMMED and idle, grow to 256 MiB again, free everything.",
        .ops_unit = "mallocs",
        .flags = WL_OPT_IDLE,
        .idle_ms_default = 5300,
        .trim_idle_ms_default = 1000,
    };
    wl_init(argc, argv, &spec);
    int64_t L = (int64_t)wl_scaled(256.0 * 1024 * 1024, 64 * 1024);
    /* Mean block size is about 1760 bytes: room for twice the expected count. */
    size_t cap = (size_t)(L / 1760) * 2 + 1024;

    struct wl_ctr c;
    struct wl_rng r;
    wl_ctr_init(&c, 0, 1);
    wl_rng_init(&r, 0);
    struct blk *b = wl_book_alloc(&c, cap * sizeof(*b));
    size_t n = 0;
    uint32_t tag = 0;

    wl_phase(BENCH_PHASE_RUN);
    grow(&c, &r, b, &n, cap, L + c.live, &tag);
    int64_t live_grown = c.live;
    size_t keep = 0;
    for (size_t i = 0; i < n; i++) {
        if (wl_rng_below(&r, 10) != 0) {
            wl_free_block(&c, b[i].p, b[i].size, wl_tag(0, b[i].tag));
        } else {
            b[keep++] = b[i];
        }
    }
    size_t survivors = keep;
    int64_t live_freed = c.live;

    wl_reclaim_pause();

    for (size_t i = 0; i < survivors; i++)
        wl_check(b[i].p, b[i].size, wl_tag(0, b[i].tag));
    n = keep;
    grow(&c, &r, b, &n, cap, live_grown, &tag);
    int64_t live_regrown = c.live;
    for (size_t i = 0; i < n; i++) {
        wl_free_block(&c, b[i].p, b[i].size, wl_tag(0, b[i].tag));
    }
    wl_book_free(&c, b, cap * sizeof(*b));

    wl_result_begin();
    wl_result_i64("live_grown_bytes", live_grown);
    wl_result_i64("live_freed_bytes", live_freed);
    wl_result_i64("live_regrown_bytes", live_regrown);
    wl_result_u64("survivors", survivors);
    wl_result_u64("idle_ms", wl.idle_ms);
    wl_result_u64("trim_idle_ms", wl.trim_idle_ms);
    wl_result_end();
    wl_done();
    return 0;
}
