/*
 * mb_main.c — build/bin/mini-micro: the allocator micro-benchmarks (see mb_benches.h).
 *
 *   LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 build/bin/mini-micro \
 *       --benchmark_format=json --benchmark_out=micro-jemalloc.json
 *
 * No allocator is linked: the one under test is preloaded (none: glibc's).
 */
#include "bench/micro/gbench_shim.h"
#include "bench/micro/mb_benches.h"

int main(int argc, char **argv)
{
    mb_pairs_register();
    mb_realloc_register();
    mb_aligned_register();
    mb_batch_register();
    mb_xthread_register();
    return mb_main(argc, argv);
}
