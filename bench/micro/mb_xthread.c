/*
 * mb_xthread.c — cross-thread free: one thread allocates, the other frees, through a queue.
 *
 * xthread_free/SIZE/threads:2: thread 0 mallocs blocks of SIZE and pushes them into a
 * single-producer single-consumer ring of 256 entries; thread 1 pops and frees them. Both run
 * the same number of iterations (Google Benchmark gives every thread the same count), so the
 * ring is empty when a run ends. Every free is remote: the allocator must hand the block back
 * to the owner's structures (a lock, an atomic list, a cache flush). Reported real_time is the
 * thread-averaged wall time over the iterations of both threads; real_time * 2 is the time per
 * block going through.
 */
#include "bench/micro/gbench_shim.h"
#include "bench/micro/mb_benches.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define RING 256

static struct {
    _Alignas(64) _Atomic uint64_t head;
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) void *slot[RING];
} q;

static void bm_xthread(mb_state *s, void *arg)
{
    (void)arg;
    size_t n = (size_t)mb_state_range(s, 0);
    if (mb_state_threads(s) != 2) {
        mb_skip_with_error(s, "xthread_free needs exactly 2 threads");
        return;
    }
    if (mb_state_thread_index(s) == 0) {
        uint64_t head = atomic_load_explicit(&q.head, memory_order_relaxed);
        while (mb_state_keep_running_batch(s, MB_BATCH)) {
            for (int i = 0; i < MB_BATCH; i++) {
                void *p = malloc(n);
                mb_do_not_optimize(p);
                while (head - atomic_load_explicit(&q.tail, memory_order_acquire) >= RING)
                    __builtin_ia32_pause();
                q.slot[head % RING] = p;
                atomic_store_explicit(&q.head, ++head, memory_order_release);
            }
        }
    } else {
        uint64_t tail = atomic_load_explicit(&q.tail, memory_order_relaxed);
        while (mb_state_keep_running_batch(s, MB_BATCH)) {
            for (int i = 0; i < MB_BATCH; i++) {
                while (atomic_load_explicit(&q.head, memory_order_acquire) == tail)
                    __builtin_ia32_pause();
                free(q.slot[tail % RING]);
                atomic_store_explicit(&q.tail, ++tail, memory_order_release);
            }
        }
    }
    mb_set_items_processed(s, mb_state_iterations(s));
}

void mb_xthread_register(void)
{
    mb_bench *b = mb_register("xthread_free", bm_xthread, NULL);
    mb_arg(b, 16);
    mb_arg(b, 64);
    mb_arg(b, 256);
    mb_arg(b, 1024);
    mb_arg(b, 4096);
    mb_use_real_time(b);
    mb_threads(b, 2);
}
