/*
 * mb_realloc.c — realloc in place and moving.
 *
 * realloc_grow16: a block grows by 16 bytes per realloc from 16 bytes to 4 KiB, then is freed
 * and starts again at 16 (one iteration = one realloc; the restart's malloc and free are in
 * the time, once per 255 reallocs). Where the allocator can extend in place (a boundary-tag
 * heap with a free neighbour, or a size class with room) it does not copy; counter "moved" is
 * the fraction of reallocs that returned a new address.
 * realloc_move/SIZE: malloc(SIZE), malloc(64) right after it (in a heap allocator, usually
 * its neighbour: it keeps the block from growing in place), realloc to 4 * SIZE (another size
 * class too), then free both. One iteration is that whole sequence: compare it with two
 * pair/ times to see the cost of the moving realloc itself. Counter "moved" tells how often
 * the realloc did return a new address (an in-place growth would be a surprise here).
 */
#include "bench/micro/gbench_shim.h"
#include "bench/micro/mb_benches.h"

#include <stdlib.h>

static void bm_grow16(mb_state *s, void *arg)
{
    (void)arg;
    size_t n = 16;
    char *p = malloc(n);
    int64_t moved = 0;
    while (mb_state_keep_running_batch(s, MB_BATCH)) {
        for (int i = 0; i < MB_BATCH; i++) {
            if (n >= 4096) {
                free(p);
                n = 16;
                p = malloc(n);
            }
            n += 16;
            char *q = realloc(p, n);
            moved += q != p;
            p = q;
            mb_do_not_optimize(p);
        }
    }
    free(p);
    mb_set_items_processed(s, mb_state_iterations(s));
    mb_set_counter(s, "moved", (double)moved / (double)mb_state_iterations(s), true);
}

static void bm_move(mb_state *s, void *arg)
{
    (void)arg;
    size_t n = (size_t)mb_state_range(s, 0);
    int64_t moved = 0;
    while (mb_state_keep_running_batch(s, MB_BATCH)) {
        for (int i = 0; i < MB_BATCH; i++) {
            void *p = malloc(n);
            void *blocker = malloc(64);
            mb_do_not_optimize(blocker);
            void *q = realloc(p, 4 * n);
            moved += q != p;
            mb_do_not_optimize(q);
            free(q);
            free(blocker);
        }
    }
    mb_set_items_processed(s, mb_state_iterations(s));
    mb_set_counter(s, "moved", (double)moved / (double)mb_state_iterations(s), true);
}

void mb_realloc_register(void)
{
    mb_bench *b = mb_register("realloc_grow16", bm_grow16, NULL);
    mb_use_real_time(b);
    b = mb_register("realloc_move", bm_move, NULL);
    mb_arg(b, 64);
    mb_arg(b, 1024);
    mb_arg(b, 16384);
    mb_use_real_time(b);
}
