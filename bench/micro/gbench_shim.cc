/*
 * gbench_shim.cc — the C shim over Google Benchmark (see gbench_shim.h). The only C++ file
 * of libmini.
 *
 * Debian's libbenchmark (bookworm, 1.7.1) is built with debug settings: at start it prints
 * "***WARNING*** Library was built as DEBUG. Timings may be affected." That slows the
 * library's own bookkeeping between batches of iterations (absolute numbers are somewhat
 * higher), but not the code under test: the benchmarks' loops are ours, built with -O2, and the
 * allocator is the preloaded one, so comparisons between allocators stay fair.
 *
 * mb_state is benchmark::State and mb_bench is benchmark::internal::Benchmark, cast.
 */
#include "bench/micro/gbench_shim.h"

#include <benchmark/benchmark.h>

#include <string>

namespace
{
benchmark::State &st(mb_state *s)
{
    return *reinterpret_cast<benchmark::State *>(s);
}
benchmark::internal::Benchmark *bm(mb_bench *b)
{
    return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}
} // namespace

extern "C" {

mb_bench *mb_register(const char *name, mb_fn *fn, void *arg)
{
    auto *b = benchmark::RegisterBenchmark(
        name, [fn, arg](benchmark::State &s) { fn(reinterpret_cast<mb_state *>(&s), arg); });
    return reinterpret_cast<mb_bench *>(b);
}

void mb_arg(mb_bench *b, int64_t x)
{
    bm(b)->Arg(x);
}

void mb_args2(mb_bench *b, int64_t x, int64_t y)
{
    bm(b)->Args({x, y});
}

void mb_arg_name(mb_bench *b, const char *name)
{
    bm(b)->ArgName(name);
}

void mb_arg_names2(mb_bench *b, const char *x, const char *y)
{
    bm(b)->ArgNames({x, y});
}

void mb_range_multiplier(mb_bench *b, int m)
{
    bm(b)->RangeMultiplier(m);
}

void mb_range(mb_bench *b, int64_t lo, int64_t hi)
{
    bm(b)->Range(lo, hi);
}

void mb_threads(mb_bench *b, int n)
{
    bm(b)->Threads(n);
}

void mb_use_real_time(mb_bench *b)
{
    bm(b)->UseRealTime();
}

void mb_min_time(mb_bench *b, double seconds)
{
    bm(b)->MinTime(seconds);
}

bool mb_state_keep_running(mb_state *s)
{
    return st(s).KeepRunning();
}

bool mb_state_keep_running_batch(mb_state *s, int64_t n)
{
    return st(s).KeepRunningBatch(n);
}

int64_t mb_state_range(mb_state *s, int i)
{
    return st(s).range(static_cast<std::size_t>(i));
}

int64_t mb_state_iterations(mb_state *s)
{
    return st(s).iterations();
}

int mb_state_thread_index(mb_state *s)
{
    return st(s).thread_index();
}

int mb_state_threads(mb_state *s)
{
    return st(s).threads();
}

void mb_pause_timing(mb_state *s)
{
    st(s).PauseTiming();
}

void mb_resume_timing(mb_state *s)
{
    st(s).ResumeTiming();
}

void mb_set_items_processed(mb_state *s, int64_t n)
{
    st(s).SetItemsProcessed(n);
}

void mb_set_label(mb_state *s, const char *label)
{
    st(s).SetLabel(label);
}

void mb_set_counter(mb_state *s, const char *name, double value, bool per_thread_avg)
{
    st(s).counters[name] = benchmark::Counter(
        value, per_thread_avg ? benchmark::Counter::kAvgThreads : benchmark::Counter::kDefaults);
}

void mb_skip_with_error(mb_state *s, const char *msg)
{
    st(s).SkipWithError(msg);
}

int mb_main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

} // extern "C"
