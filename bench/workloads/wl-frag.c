/*
 * wl-frag — a fragmentation stressor: interleaved short and long lifetimes, then most freed.
 *
 * 64 rounds. Each round allocates about 4 * L / 64 bytes of blocks (L = 128 MiB at scale 1.0),
 * all from one size band that changes from round to round (16..256, 256..2048, 2048..16384,
 * 16384..128 KiB - 1, log-uniform within the band, cycling), so that the holes one round leaves
 * fit the next round's sizes badly. A quarter of the blocks (chosen at random) are long-lived
 * and stay to the end; the others are short-lived and are freed, in random order, during the
 * next round, between that round's allocations. Long-lived blocks thus sit between freed ones
 * all over the heap: at the end about L bytes are live in a heap that held about 1.1 * L.
 * Then 80 % of the long-lived blocks (at random) are freed and the workload holds for
 * --hold-ms (default 300 ms, phase still RUN) so that the runner samples RSS against live
 * bytes with most of the heap free but pinned by survivors; then the rest is freed.
 * Everything is filled and checked before it is freed.
 */
#include "bench/workloads/wl.h"

#include <stdlib.h>

#define ROUNDS 64

struct blk {
    void *p;
    uint32_t size;
    uint32_t tag;
};

static const size_t band_lo[4] = {16, 256, 2048, 16384};
static const size_t band_hi[4] = {256, 2048, 16384, 131071};

static void check_free(struct wl_ctr *c, struct blk *b)
{
    wl_free_block(c, b->p, b->size, wl_tag(0, b->tag));
    b->p = NULL;
}

/* Blocks a round allocates on average: its byte budget over the band's mean size. */
static double round_count(uint64_t budget, int band)
{
    double lo = (double)band_lo[band], hi = (double)band_hi[band];
    double mean = (hi - lo) / __builtin_log(hi / lo);
    return (double)budget / mean;
}

int main(int argc, char **argv)
{
    uint64_t hold_ms = 300;
    const struct wl_opt opts[] = {
        {"hold-ms", WL_OPT_UINT, &hold_ms, 0, 3600000, NULL,
         "hold after most is freed, for RSS samples (default 300)"},
        {0},
    };
    const struct wl_spec spec = {
        .name = "frag",
        .summary = "Fragmentation stressor: 64 rounds of blocks from a changing size band, a\n"
                   "quarter long-lived, the rest freed during the next round; about 128 MiB\n"
                   "long-lived at scale 1.0, then 80 % of them freed, a hold, the rest freed.",
        .ops_unit = "malloc+free pairs",
        .opts = opts,
    };
    wl_init(argc, argv, &spec);
    uint64_t L = wl_scaled(128.0 * 1024 * 1024, 64 * 1024);
    uint64_t budget = 4 * L / ROUNDS; /* bytes allocated per round */

    struct wl_ctr c;
    struct wl_rng r;
    wl_ctr_init(&c, 0, 1);
    wl_rng_init(&r, 0);

    /* Records: a quarter of the blocks are long-lived, three quarters short-lived (binomial
     * counts, so 20 % slack is plenty; a short-lived block past the cap is freed at once). */
    size_t long_cap = 1024, short_cap = 0;
    for (int k = 0; k < ROUNDS; k++) {
        double n = round_count(budget, k % 4);
        long_cap += (size_t)(n * 0.3);
        if ((size_t)(n * 0.9) + 1024 > short_cap)
            short_cap = (size_t)(n * 0.9) + 1024;
    }
    struct blk *lng = wl_book_alloc(&c, long_cap * sizeof(*lng));
    struct blk *prev = wl_book_alloc(&c, short_cap * sizeof(*prev));
    struct blk *cur = wl_book_alloc(&c, short_cap * sizeof(*cur));
    size_t nlong = 0, nprev = 0;
    uint32_t tag = 0;
    uint64_t long_bytes = 0;

    wl_phase(BENCH_PHASE_RUN);
    for (int k = 0; k < ROUNDS; k++) {
        int band = k % 4;
        size_t ncur = 0;
        uint64_t done = 0;
        while (done < budget) {
            size_t n = wl_rng_logsize(&r, band_lo[band], band_hi[band]);
            struct blk b = {wl_alloc_block(&c, n, wl_tag(0, tag)), (uint32_t)n, tag};
            tag++;
            done += n;
            if (wl_rng_below(&r, 4) == 0 && nlong < long_cap) {
                lng[nlong++] = b;
                long_bytes += n;
            } else if (ncur < short_cap) {
                cur[ncur++] = b;
            } else {
                check_free(&c, &b);
                wl_ctr_ops(&c, 1);
            }
            /* Between allocations, free one of the previous round's short-lived blocks (at
             * random), so that frees and allocations interleave. */
            if (nprev > 0) {
                size_t i = wl_rng_below(&r, nprev);
                check_free(&c, &prev[i]);
                prev[i] = prev[--nprev];
                wl_ctr_ops(&c, 1);
            }
        }
        while (nprev > 0) {
            check_free(&c, &prev[--nprev]);
            wl_ctr_ops(&c, 1);
        }
        struct blk *t = prev;
        prev = cur;
        cur = t;
        nprev = ncur;
    }
    while (nprev > 0) {
        check_free(&c, &prev[--nprev]);
        wl_ctr_ops(&c, 1);
    }
    int64_t peak = c.peak;
    int64_t live_full = c.live;

    /* Free 80 % of the long-lived blocks, at random: the survivors pin the heap. */
    size_t keep = 0;
    for (size_t i = 0; i < nlong; i++) {
        if (wl_rng_below(&r, 5) != 0) {
            check_free(&c, &lng[i]);
            wl_ctr_ops(&c, 1);
        } else {
            lng[keep++] = lng[i];
        }
    }
    int64_t live_after = c.live;
    wl_hold_ms((uint32_t)hold_ms);
    for (size_t i = 0; i < keep; i++) {
        check_free(&c, &lng[i]);
        wl_ctr_ops(&c, 1);
    }
    wl_book_free(&c, cur, short_cap * sizeof(*cur));
    wl_book_free(&c, prev, short_cap * sizeof(*prev));
    wl_book_free(&c, lng, long_cap * sizeof(*lng));

    wl_result_begin();
    wl_result_i64("peak_live_bytes", peak);
    wl_result_i64("live_before_free_bytes", live_full);
    wl_result_i64("live_after_free_bytes", live_after);
    wl_result_u64("long_lived_blocks", nlong);
    wl_result_u64("long_lived_bytes", long_bytes);
    wl_result_end();
    wl_done();
    return 0;
}
