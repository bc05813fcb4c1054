/*
 * mb_batch.c — allocate N blocks, then free them all, last-in-first-out or first-in-first-out.
 *
 * One iteration is N mallocs and N frees (items_processed counts N per iteration, so
 * "ns per item" is the cost of one malloc+free pair). LIFO frees in reverse order (a thread
 * cache's best case: the stack unwinds); FIFO frees in allocation order (free lists come back
 * in the other order, and a boundary-tag heap coalesces forwards). N up to 10000 overflows
 * every thread cache, so the central structures are exercised too.
 */
#include "bench/micro/gbench_shim.h"
#include "bench/micro/mb_benches.h"

#include <stdlib.h>

static void batch(mb_state *s, bool lifo)
{
    int64_t n = mb_state_range(s, 0);
    size_t size = (size_t)mb_state_range(s, 1);
    void **v = malloc(sizeof(void *) * (size_t)n);
    if (v == NULL) {
        mb_skip_with_error(s, "malloc of the pointer array failed");
        return;
    }
    while (mb_state_keep_running(s)) {
        for (int64_t i = 0; i < n; i++) {
            v[i] = malloc(size);
            mb_do_not_optimize(v[i]);
        }
        if (lifo)
            for (int64_t i = n - 1; i >= 0; i--)
                free(v[i]);
        else
            for (int64_t i = 0; i < n; i++)
                free(v[i]);
    }
    free(v);
    mb_set_items_processed(s, mb_state_iterations(s) * n);
}

static void bm_lifo(mb_state *s, void *arg)
{
    (void)arg;
    batch(s, true);
}

static void bm_fifo(mb_state *s, void *arg)
{
    (void)arg;
    batch(s, false);
}

void mb_batch_register(void)
{
    for (int k = 0; k < 2; k++) {
        mb_bench *b =
            mb_register(k == 0 ? "batch_lifo" : "batch_fifo", k == 0 ? bm_lifo : bm_fifo, NULL);
        mb_arg_names2(b, "n", "size");
        mb_args2(b, 100, 64);
        mb_args2(b, 1000, 64);
        mb_args2(b, 10000, 64);
        mb_args2(b, 1000, 1024);
        mb_use_real_time(b);
    }
}
