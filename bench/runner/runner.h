/*
 * runner.h — the internals of mini-bench, the benchmark runner (one file per concept).
 *
 * One run of one workload under one allocator:
 *
 *   mini-bench (parent)                              child                 workload (after exec)
 *   ─────────────────────────────────────────────    ────────────────      ─────────────────────
 *   memfd bench_shm ─────────── fd in MINI_BENCH_SHM ────────────────────> bench_shm counters
 *   open /proc/PID/status
 *   fork ──────────────────────────────────────────> setpgid, dup2 log
 *   perf_event_open(pid=child, enable_on_exec,       read(go) blocks
 *                   inherit) x {minflt, majflt,
 *                   cycles, instr, LLC, dTLB}
 *   write(go) ─────────────────────────────────────> getrusage (pre-exec faults) ─> status pipe
 *   t0                                               execve(LD_PRELOAD=alloc) ──> runs
 *   every sample_ms: pread /proc/PID/status           (status pipe closes: exec worked)
 *                    + shm live/ops/phase ──> timeline, reclaim readings (FREED +0/+1/+5 s, TRIMMED)
 *   poll(pidfd) wakes at exit; wait4 -> rusage; t1; read counters
 *   ──> one row of runs.csv, timeline/W-A-R.csv, one console line
 *
 * Invariants:
 *  - Fault counts are counted the same way both ways: the perf counters start at exec
 *    (enable_on_exec) and the child's getrusage just before execve gives the pre-exec faults,
 *    which are subtracted from wait4's ru_minflt before comparing (the rest of the difference is
 *    exec's own argument copying, which the kernel counts in ru_minflt through GUP without a
 *    perf event).
 *  - The workload is the only process with the shm fd; every other fd of the runner is
 *    close-on-exec.
 *  - Peak RSS is wait4's ru_maxrss; it includes what the forked child inherited from the runner
 *    (the runner's anonymous RSS at fork), so the runner keeps its own anonymous memory small
 *    (timelines are mmap'd and unmapped after each run; libpfm4, whose relocated tables take
 *    about 1 MiB, is dlopen'ed for the encoding only) and records that RSS
 *    (runner_rss_at_fork_kb, about 130 KiB) next to the cross-check from sampled VmHWM.
 *  - A value that cannot be measured is written as "n/a" and the reason goes into the run's
 *    notes; nothing is left empty.
 */
#ifndef BENCH_RUNNER_H
#define BENCH_RUNNER_H

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "bench/include/benchproto.h"

#define RUNNER_NAME          "mini-bench"
#define RUNNER_MAX_EXTRA     64 /* extra workload args and --env settings */
#define RUNNER_NOTE_LEN      1024
/* Fragmentation (RssAnon / live bytes) is n/a when live bytes never reach 4 MiB: the few
 * hundred KiB of stacks and library data in RssAnon would weigh more than 10 % in the ratio
 * (analysis/report/report.h has the same number: REPORT_FRAG_MIN_LIVE). */
#define RUNNER_FRAG_MIN_LIVE (4 << 20)

/* Exit statuses of mini-bench. */
enum {
    RUNNER_EXIT_OK = 0,
    RUNNER_EXIT_RUN_FAILED = 1, /* a workload run failed (exit status, signal, exec error) */
    RUNNER_EXIT_USAGE = 2,      /* bad option, unknown workload or allocator */
    RUNNER_EXIT_SKIPPED = 3     /* the allocator is not available here, or the workload
                                   exited 77 ("skipped: reason", e.g. a program not installed) */
};

/* ---- util.c: time, text and path helpers ------------------------------------------------- */

int64_t runner_now_ns(void);
/* Writes "a/b" made relative to the current directory when it is below it. */
const char *runner_display_path(const char *path, char *buf, size_t len);
/* The directory of the running executable (build/bin for the release build). */
int runner_self_dir(char *buf, size_t len);
/* Runs a command (argv, no shell) and returns its first output line in buf ("" on failure). */
void runner_capture(char *const argv[], char *buf, size_t len);
/* Replaces characters that would break a CSV cell (comma, newline, quote) with ';' or ' '. */
void runner_csv_clean(char *s);
/* Appends printf output to a note buffer, separated by "; ". */
void runner_note(char *note, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads /proc/self/status field (e.g. "RssAnon:") in kB; -1 when absent. */
long runner_self_status_kb(const char *field);
/* Writes s as a JSON string literal (with quotes) to f. */
void runner_json_str(FILE *f, const char *s);

/* ---- alloc.c: the allocator registry ------------------------------------------------------ */

struct runner_alloc {
    const char *name;       /* glibc, jemalloc, libmini, libmini-dyn, mimalloc, tcmalloc */
    const char *package;    /* Debian package giving the version ("" for libmini) */
    char preload[PATH_MAX]; /* LD_PRELOAD value, "" for glibc */
    bool libmini;           /* libmini's shim: its statistics are captured (mini-stats/) */
    const char *env;        /* the configuration's fixed setting ("MINI_MMAP_DYNAMIC=1"), or NULL */
    bool available;
    char reason[256];   /* why not available: "build/lib/libmini-preload.so not built" */
    char version[128];  /* package version or libmini's MINI_VERSION */
    char settings[512]; /* allocator environment passed (e.g. MALLOC_CONF=...), or "defaults" */
};

/* The allocator names in registry order, NULL-terminated. */
extern const char *const runner_alloc_names[];
/* Fills *a for `name`; bindir locates libmini (bindir/../lib/libmini-preload.so). Returns
 * false for a name not in the registry. extra_env (NULL-terminated) is added to the settings. */
bool runner_alloc_lookup(const char *name, const char *bindir, char *const extra_env[],
                         struct runner_alloc *a);

/* ---- perfev.c: perf_event_open software and hardware counters ---------------------------- */

enum runner_counter {
    RUNNER_CTR_MINFLT,
    RUNNER_CTR_MAJFLT,
    RUNNER_CTR_CYCLES,
    RUNNER_CTR_INSTRUCTIONS,
    RUNNER_CTR_LLC_MISSES,
    RUNNER_CTR_DTLB_MISSES,
    RUNNER_NCTR
};
#define RUNNER_FIRST_HW RUNNER_CTR_CYCLES

struct runner_counters {
    int fd[RUNNER_NCTR];
    bool ok[RUNNER_NCTR]; /* value valid */
    uint64_t value[RUNNER_NCTR];
    char sw_note[160]; /* why the fault counters are missing, or "" */
    char hw_note[160]; /* "n/a (no PMU: perf_event_open: No such file or directory)" */
};

extern const char *const runner_counter_names[RUNNER_NCTR];
/* Encodes the hardware events with libpfm4 once; returns false (with the reason) if not possible. */
bool runner_perf_init(char *why, size_t len);
/* Opens every counter on `pid`, disabled until its next execve, inherited by its threads and
 * children. Never fails: a counter that cannot be opened has fd -1 and a note. */
void runner_perf_open(struct runner_counters *c, int pid);
/* Reads and closes the counters (after the process was reaped). */
void runner_perf_read_close(struct runner_counters *c);

/* ---- sample.c: /proc and shm sampling, reclaim readings ---------------------------------- */

struct runner_sample {
    int64_t t_ns;       /* since exec */
    int64_t live_bytes; /* -1: the workload does not report */
    uint64_t ops;
    uint32_t vmrss_kb, rssanon_kb, vmhwm_kb;
    uint8_t phase;
    uint8_t has_rss; /* /proc was read at this sample */
};

enum runner_reclaim_point {
    RUNNER_RECLAIM_0S,
    RUNNER_RECLAIM_1S,
    RUNNER_RECLAIM_5S,
    RUNNER_RECLAIM_TRIM,
    RUNNER_NRECLAIM
};

struct runner_sampler {
    int status_fd; /* /proc/PID/status */
    struct bench_shm *shm;
    int64_t t0_ns; /* exec time (runner clock) */
    int sample_ms; /* 0: no /proc sampling (phases and reclaim still read) */
    /* timeline (mmap'd, grows with mremap) */
    struct runner_sample *s;
    size_t n, cap;
    /* sampling cost */
    int64_t cost_ns; /* time spent sampling /proc and shm */
    size_t nproc_reads;
    /* phases seen */
    bool attached; /* the workload wrote BENCH_SHM_MAGIC */
    uint32_t last_phase;
    int64_t run_start_ns, run_end_ns; /* CLOCK_MONOTONIC from phase_ns; 0 unknown */
    uint32_t idle_ms;
    /* reclaim */
    bool freed_seen, trimmed_seen;
    int64_t freed_ns;                 /* CLOCK_MONOTONIC when FREED began */
    long peak_before_free_kb;         /* VmHWM read with the FREED reading */
    unsigned reclaim_tried;           /* bit per reading: taken or its moment has passed */
    long reclaim_kb[RUNNER_NRECLAIM]; /* VmRSS; -1 n/a */
    long reclaim_anon_kb[RUNNER_NRECLAIM];
    char reclaim_note[256];
    int64_t last_live; /* live bytes at the last reading (-1: never read) */
    /* maxima */
    int64_t peak_live;
    size_t peak_live_idx; /* sample index of peak live bytes */
    long max_vmhwm_kb, max_rssanon_kb, max_vmrss_kb;
    uint64_t last_ops;
};

int runner_sampler_init(struct runner_sampler *sp, int pid, struct bench_shm *shm, int sample_ms);
/* Takes one sample now (reads /proc only if `read_proc`). */
void runner_sampler_take(struct runner_sampler *sp, bool read_proc);
/* The next time (runner clock) the sampler wants to be woken, given the last tick. */
int64_t runner_sampler_next_ns(const struct runner_sampler *sp, int64_t next_tick_ns);
/* Takes due reclaim readings (called after each wake-up). */
void runner_sampler_due(struct runner_sampler *sp, int64_t now_ns);
void runner_sampler_finish(struct runner_sampler *sp);
void runner_sampler_free(struct runner_sampler *sp);

/* ---- spawn.c: one run ---------------------------------------------------------------------- */

struct runner_cfg {
    const char *workload;   /* name */
    char wl_path[PATH_MAX]; /* build/bin/wl-NAME, or run-real.sh for a real program */
    bool real;              /* a real program (REAL_DIR/NAME.cmd through run-real.sh): no
                               --scale and --threads, no live bytes */
    bool trace;             /* a trace replay: wl_path is mini-trace, run as `mini-trace replay
                               --free-at-end --name NAME TRACE_DIR/NAME.plan`: no --scale and
                               --threads (the plan fixes them); live bytes through the shm */
    char trace_plan[PATH_MAX];
    const struct runner_alloc *alloc;
    double scale;
    int threads; /* -1: not passed */
    int sample_ms;
    int timeout_s;
    const char *out_dir; /* NULL: no files */
    char *extra_args[RUNNER_MAX_EXTRA];
    int nextra_args;
    char *extra_env[RUNNER_MAX_EXTRA + 1];
    int nextra_env;
    int rep, reps; /* 1-based */
    int progress_index, progress_total;
    bool quiet;
};

struct runner_result {
    char status[160]; /* "ok", "exit 3", "signal 9 (Killed)", "timeout", "exec: ...",
                         "skipped: reason" (the workload exited 77) */
    bool ok, skipped;
    double wall_s, run_s, user_s, sys_s;
    uint64_t ops;
    char ops_unit[32];
    struct rusage ru;
    long preexec_minflt, preexec_majflt;
    long runner_rss_at_fork_kb;
    struct runner_counters ctr;
    struct runner_sampler smp;
    char alloc_stats[256]; /* libmini's statistics of the run (mini-stats/W-A-R.json), or "" */
    char notes[RUNNER_NOTE_LEN];
};

/* Runs cfg once; fills *r. Returns 0, or -1 when the run could not even start (message printed). */
int runner_spawn_run(const struct runner_cfg *cfg, struct runner_result *r);
/* The signal that interrupted the runner, or 0. */
extern volatile sig_atomic_t runner_interrupted;
/* Installed by main: kills the current child group on SIGINT/SIGTERM/SIGHUP. */
void runner_spawn_install_signals(void);

/* ---- record.c: results files and the console line ------------------------------------------ */

/* The header of runs.csv (one source for the column order). */
extern const char *const runner_csv_columns[];
/* 0 if OUT/runs.csv is absent, empty or has exactly these columns; else -1 (message printed). */
int runner_record_check(const char *out_dir);
int runner_record_run(const struct runner_cfg *cfg, const struct runner_result *r);
void runner_record_console(const struct runner_cfg *cfg, const struct runner_result *r);
/* Appends "kind,workload,allocator,reason" to OUT/skipped.csv. */
void runner_record_skip(const char *out_dir, const char *kind, const char *workload,
                        const char *alloc, const char *reason);

/* ---- machine.c: the machine description ----------------------------------------------------- */

int runner_machine_json(FILE *f, const char *bindir);

#endif /* BENCH_RUNNER_H */
