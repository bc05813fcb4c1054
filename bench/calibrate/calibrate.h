/*
 * calibrate.h — mini-calibrate: this machine's own costs of the memory operations an allocator
 * makes, written to results/calibration.json for the kernel model and the report.
 *
 *   probe (probes.c)            what one measurement times                          unit
 *   fault_write_ns              first write to each page of a fresh anonymous region  ns/fault
 *   fault_read_zero_ns          first read (maps the shared zero page)                ns/fault
 *   zero_cow_fault_ns           write after read (zero page -> private copy)          ns/fault
 *   cow_fault_ns                write in a forked child to a page shared with parent  ns/fault
 *   populate_page_ns            mmap(MAP_POPULATE) beyond a plain mmap                ns/page
 *   mmap_populate_page_ns       mmap(MAP_POPULATE) whole call / pages                 ns/page
 *   madv_populate_write_page_ns madvise(MADV_POPULATE_WRITE)                          ns/page
 *   brk_call_ns                 one brk(2) call moving the break by 64 KiB untouched  ns/call
 *   mmap_call_ns, munmap_call_ns  one mmap / munmap of 64 KiB never touched           ns/call
 *   munmap_page_ns              munmap of touched pages beyond the call               ns/page
 *   madvise_dontneed_page_ns    madvise(MADV_DONTNEED) of touched pages               ns/page
 *   madvise_free_page_ns        madvise(MADV_FREE) of touched pages                   ns/page
 *   memset_gbps                 memset over already-faulted memory                    1e9 B/s
 *   (sampling.c) sample_status_us, sampling_slowdown_pct: the runner's sampling cost
 *
 * Every region is MADV_NOHUGEPAGE (THP is in madvise mode here; the flag keeps these 4 KiB
 * page costs whatever the mode), every probe is repeated and the median is kept.
 */
#ifndef BENCH_CALIBRATE_H
#define BENCH_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cal_result {
    const char *key;
    double value;
    double min, max; /* over the repetitions */
    bool repeated;   /* a median of several measurements (KEY_min and KEY_max are written) */
};

/* cal_put and cal_put_value record only while this is true (warm-up passes clear it). */
extern bool cal_recording;

int64_t cal_now_ns(void);
/* The median of v[0..n) (sorts v). */
double cal_median(double *v, int n);
/* Records a result (value = median of samples, with min and max). */
void cal_put(const char *key, double *samples, int n);
void cal_put_value(const char *key, double value);
/* The value recorded under key (0 if none). */
double cal_lookup(const char *key);

/* probes.c: every memory probe, reps repetitions over regions of `pages` pages. */
void cal_probes(int reps, size_t pages);
/* sampling.c: the cost of one /proc/PID/status sample and the slowdown of a workload sampled
 * every sample_ms against one not sampled (pairs alternated). */
void cal_sampling(int pairs, int sample_ms);

#endif /* BENCH_CALIBRATE_H */
