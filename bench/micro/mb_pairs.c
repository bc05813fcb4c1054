/*
 * mb_pairs.c — malloc+free pairs per size class, alone and on two threads at once, and
 * calloc+free pairs.
 *
 * pair/SIZE: malloc(SIZE) then free() at once, the fastest path of every allocator (thread
 * cache hit). Sizes 16..1024 cover the small classes (16, 32, 48, 64, 96, 128, 256, 512, 1024),
 * then 2 KiB..64 KiB the medium ones. The /threads:2 variants run the same loop on two threads
 * together: a scalable allocator keeps the per-pair cost of each thread as it was alone.
 * calloc/SIZE adds the zeroing (a fresh mmap of a large calloc is zero already).
 */
#include "bench/micro/gbench_shim.h"
#include "bench/micro/mb_benches.h"

#include <stdlib.h>

static void bm_pair(mb_state *s, void *arg)
{
    (void)arg;
    size_t n = (size_t)mb_state_range(s, 0);
    while (mb_state_keep_running_batch(s, MB_BATCH)) {
        for (int i = 0; i < MB_BATCH; i++) {
            void *p = malloc(n);
            mb_do_not_optimize(p);
            free(p);
        }
    }
    mb_set_items_processed(s, mb_state_iterations(s));
}

static void bm_calloc(mb_state *s, void *arg)
{
    (void)arg;
    size_t n = (size_t)mb_state_range(s, 0);
    while (mb_state_keep_running_batch(s, MB_BATCH)) {
        for (int i = 0; i < MB_BATCH; i++) {
            void *p = calloc(1, n);
            mb_do_not_optimize(p);
            free(p);
        }
    }
    mb_set_items_processed(s, mb_state_iterations(s));
}

static const int pair_sizes[] = {16,   32,   48,   64,   96,    128,   256,  512,
                                 1024, 2048, 4096, 8192, 16384, 32768, 65536};

void mb_pairs_register(void)
{
    for (int t = 1; t <= 2; t++) {
        mb_bench *b = mb_register("pair", bm_pair, NULL);
        for (size_t i = 0; i < sizeof(pair_sizes) / sizeof(pair_sizes[0]); i++)
            mb_arg(b, pair_sizes[i]);
        mb_use_real_time(b);
        if (t > 1)
            mb_threads(b, t);
    }
    mb_bench *b = mb_register("calloc", bm_calloc, NULL);
    mb_arg(b, 64);
    mb_arg(b, 1024);
    mb_arg(b, 4096);
    mb_arg(b, 65536);
    mb_arg(b, 262144);
    mb_use_real_time(b);
}
