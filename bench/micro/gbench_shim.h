/*
 * gbench_shim.h — a C interface to Google Benchmark, so that the micro-benchmarks are C.
 *
 * gbench_shim.cc (the only C++ in the project) wraps benchmark::State and
 * benchmark::internal::Benchmark behind opaque handles:
 *
 *   static void bm_pair(mb_state *s, void *arg)
 *   {
 *       size_t n = (size_t)mb_state_range(s, 0);
 *       while (mb_state_keep_running_batch(s, 64))
 *           for (int i = 0; i < 64; i++) {
 *               void *p = malloc(n);
 *               mb_do_not_optimize(p);
 *               free(p);
 *           }
 *       mb_set_items_processed(s, mb_state_iterations(s));
 *   }
 *   mb_bench *b = mb_register("pair", bm_pair, NULL);
 *   mb_arg(b, 16);
 *   mb_threads(b, 2);
 *
 * and mb_main(argc, argv) runs what was registered with the usual --benchmark_* flags
 * (--benchmark_format=json --benchmark_out=FILE --benchmark_filter=REGEX ...).
 *
 * The function is called once per thread (mb_state_thread_index tells which); with
 * mb_threads(b, 2) both threads run the loop together and Google Benchmark reports, per
 * iteration, the average wall (or CPU) time of a thread divided by the iterations of all threads.
 *
 * Calls cost a real function call each (no inlining across the language boundary): loop with
 * mb_state_keep_running_batch(s, n), which costs one call per n iterations.
 */
#ifndef MB_GBENCH_SHIM_H
#define MB_GBENCH_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mb_state mb_state;
typedef struct mb_bench mb_bench;
typedef void mb_fn(mb_state *s, void *arg);

/* Registers a benchmark; name is copied. The handle configures it until mb_main runs. */
mb_bench *mb_register(const char *name, mb_fn *fn, void *arg);
void mb_arg(mb_bench *b, int64_t x);
void mb_args2(mb_bench *b, int64_t x, int64_t y);
void mb_arg_name(mb_bench *b, const char *name);
void mb_arg_names2(mb_bench *b, const char *x, const char *y);
void mb_range_multiplier(mb_bench *b, int m);
void mb_range(mb_bench *b, int64_t lo, int64_t hi);
void mb_threads(mb_bench *b, int n);
void mb_use_real_time(mb_bench *b);
void mb_min_time(mb_bench *b, double seconds);

/* Inside a benchmark function. */
bool mb_state_keep_running(mb_state *s);
bool mb_state_keep_running_batch(mb_state *s, int64_t n);
int64_t mb_state_range(mb_state *s, int i);
int64_t mb_state_iterations(mb_state *s);
int mb_state_thread_index(mb_state *s);
int mb_state_threads(mb_state *s);
void mb_pause_timing(mb_state *s);
void mb_resume_timing(mb_state *s);
void mb_set_items_processed(mb_state *s, int64_t n);
void mb_set_label(mb_state *s, const char *label);
/* A user counter; averaged over threads if per_thread_avg, summed otherwise. */
void mb_set_counter(mb_state *s, const char *name, double value, bool per_thread_avg);
void mb_skip_with_error(mb_state *s, const char *msg);

/* The compiler must assume p is read and all memory clobbered (inline asm, as in C++). */
static inline void mb_do_not_optimize(void *p)
{
    __asm__ volatile("" : : "r"(p) : "memory");
}
static inline void mb_clobber_memory(void)
{
    __asm__ volatile("" : : : "memory");
}

/* Initialize with argv, run the registered benchmarks, shut down. Returns the exit status. */
int mb_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif /* MB_GBENCH_SHIM_H */
