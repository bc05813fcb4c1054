/*
 * wl-small-churn — small-object churn in one thread.
 *
 * A window of 65536 live blocks, sizes drawn from a small-object mix (half 8..64 bytes, 30 %
 * 65..256, 15 % 257..1024, 5 % 1025..4096; about 290 bytes on average, so about 18 MiB live).
 * Each op picks a random slot, allocates its replacement, fills it with its pattern, then checks
 * and frees the old block: one malloc+free pair per op, 12 million ops at scale 1.0. This is
 * the fast path of every allocator (thread caches, size-class bins) under a random, not LIFO,
 * free order. At the end every block is freed, so live bytes return to 0.
 */
#include "bench/workloads/wl.h"

#include <stdio.h>
#include <stdlib.h>

#define WINDOW 65536

struct blk {
    void *p;
    uint32_t size;
    uint32_t tag;
};

static size_t small_size(struct wl_rng *r)
{
    uint64_t u = wl_rng_below(r, 100);
    if (u < 50)
        return wl_rng_range(r, 8, 64);
    if (u < 80)
        return wl_rng_range(r, 65, 256);
    if (u < 95)
        return wl_rng_range(r, 257, 1024);
    return wl_rng_range(r, 1025, 4096);
}

int main(int argc, char **argv)
{
    static const struct wl_spec spec = {
        .name = "small-churn",
        .summary = "Small-object churn in one thread: a window of 65536 blocks of 8..4096 bytes\n"
                   "(mostly small), each op replaces a random block (malloc+free pair);\n"
                   "12 million ops at scale 1.0.",
        .ops_unit = "malloc+free pairs",
    };
    wl_init(argc, argv, &spec);
    uint64_t nops = wl_scaled(12e6, 1);

    struct wl_ctr c;
    struct wl_rng r;
    wl_ctr_init(&c, 0, 1);
    wl_rng_init(&r, 0);
    struct blk *w = wl_book_alloc(&c, WINDOW * sizeof(*w));
    uint32_t next_tag = 0;

    wl_phase(BENCH_PHASE_RUN);
    for (size_t i = 0; i < WINDOW; i++) {
        size_t n = small_size(&r);
        w[i] = (struct blk){wl_alloc_block(&c, n, wl_tag(0, next_tag)), (uint32_t)n, next_tag};
        next_tag++;
    }
    for (uint64_t op = 0; op < nops; op++) {
        struct blk *b = &w[wl_rng_below(&r, WINDOW)];
        size_t n = small_size(&r);
        struct blk nb = {wl_malloc(n), (uint32_t)n, next_tag++};
        wl_fill(nb.p, n, wl_tag(0, nb.tag));
        wl_check(b->p, b->size, wl_tag(0, b->tag));
        free(b->p);
        wl_ctr_live(&c, (int64_t)n - (int64_t)b->size);
        *b = nb;
        wl_ctr_ops(&c, 1);
    }
    for (size_t i = 0; i < WINDOW; i++) {
        wl_free_block(&c, w[i].p, w[i].size, wl_tag(0, w[i].tag));
    }
    int64_t peak = c.peak;
    wl_book_free(&c, w, WINDOW * sizeof(*w));

    wl_result_begin();
    wl_result_i64("peak_live_bytes", peak);
    wl_result_end();
    wl_done();
    return 0;
}
