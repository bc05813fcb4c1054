/*
 * mb_benches.h — the micro-benchmark families of build/bin/mini-micro, one file each; mb_main.c
 * registers them all. Every benchmark is written in C over the shim (gbench_shim.h) and built
 * with -fno-builtin, so that the compiler can neither elide nor merge the allocation calls it
 * measures; mb_do_not_optimize() makes every returned pointer escape.
 *
 *   mb_pairs.c    pair/SIZE, pair/SIZE/threads:2    malloc+free pairs per size class
 *                 calloc/SIZE                       calloc+free pairs
 *   mb_realloc.c  realloc_grow16, realloc_move/SIZE realloc in place (grow by 16) and moving
 *   mb_aligned.c  posix_memalign/ALIGN/SIZE, aligned_alloc/ALIGN/SIZE
 *   mb_batch.c    batch_lifo/N/SIZE, batch_fifo/N/SIZE   allocate N, then free them all
 *   mb_xthread.c  xthread_free/SIZE/threads:2       one thread allocates, the other frees
 *
 * Times are wall-clock (UseRealTime). With threads:T, Google Benchmark divides each thread's
 * average wall time by the iterations of all threads: for pair/SIZE/threads:2, real_time is the
 * inverse throughput of both threads together, and real_time * 2 is what one pair costs one
 * thread. bench/micro/pairs-table.py prints both.
 */
#ifndef MB_BENCHES_H
#define MB_BENCHES_H

/* Iterations per call of mb_state_keep_running_batch: amortizes the call into the shim. */
#define MB_BATCH 64

void mb_pairs_register(void);
void mb_realloc_register(void);
void mb_aligned_register(void);
void mb_batch_register(void);
void mb_xthread_register(void);

#endif /* MB_BENCHES_H */
