/*
 * mb_aligned.c — aligned allocation: posix_memalign and aligned_alloc + free pairs.
 *
 * posix_memalign/ALIGN/SIZE for cache-line (64) and page (4096) alignment; an allocator whose
 * blocks are 16-aligned must over-allocate and split (or keep aligned size classes). The
 * returned address is checked: a misaligned one fails the benchmark.
 */
#include "bench/micro/gbench_shim.h"
#include "bench/micro/mb_benches.h"

#include <stdint.h>
#include <stdlib.h>

static void bm_posix_memalign(mb_state *s, void *arg)
{
    (void)arg;
    size_t a = (size_t)mb_state_range(s, 0), n = (size_t)mb_state_range(s, 1);
    while (mb_state_keep_running_batch(s, MB_BATCH)) {
        for (int i = 0; i < MB_BATCH; i++) {
            void *p;
            if (posix_memalign(&p, a, n) != 0 || ((uintptr_t)p & (a - 1)) != 0) {
                mb_skip_with_error(s, "posix_memalign failed or misaligned");
                return;
            }
            mb_do_not_optimize(p);
            free(p);
        }
    }
    mb_set_items_processed(s, mb_state_iterations(s));
}

static void bm_aligned_alloc(mb_state *s, void *arg)
{
    (void)arg;
    size_t a = (size_t)mb_state_range(s, 0), n = (size_t)mb_state_range(s, 1);
    while (mb_state_keep_running_batch(s, MB_BATCH)) {
        for (int i = 0; i < MB_BATCH; i++) {
            void *p = aligned_alloc(a, n);
            if (p == NULL || ((uintptr_t)p & (a - 1)) != 0) {
                mb_skip_with_error(s, "aligned_alloc failed or misaligned");
                return;
            }
            mb_do_not_optimize(p);
            free(p);
        }
    }
    mb_set_items_processed(s, mb_state_iterations(s));
}

void mb_aligned_register(void)
{
    mb_bench *b = mb_register("posix_memalign", bm_posix_memalign, NULL);
    mb_arg_names2(b, "align", "size");
    mb_args2(b, 64, 64);
    mb_args2(b, 64, 1024);
    mb_args2(b, 4096, 64);
    mb_args2(b, 4096, 4096);
    mb_args2(b, 4096, 65536);
    mb_use_real_time(b);
    b = mb_register("aligned_alloc", bm_aligned_alloc, NULL);
    mb_arg_names2(b, "align", "size");
    mb_args2(b, 64, 64);
    mb_args2(b, 4096, 4096);
    mb_use_real_time(b);
}
