/*
 * report.h — mini-report, the report generator: results/ data -> summary.json, plots, REPORT.md.
 *
 *   results/runs.csv ─┐
 *   plan.csv, session.csv, skipped.csv ─┤ load (main.c, csv.c, json.c)
 *   machine.json, calibration.json, micro/ALLOC.json ─┘
 *        │
 *        ▼ summary.c: per workload x allocator, the median, min and max of every metric over
 *        │            the runs that ended "ok"; ratios to glibc; geomeans over workloads
 *        ├──> summary.json
 *        ├──> plots.c: plots/data/, then gnuplot analysis/plots/ -> plots/ PNG + SVG
 *        └──> markdown.c: REPORT.md (tables, plots, readings computed from the numbers)
 *
 * Invariants: a number that is not there is never printed as empty or 0: it is "n/a" with its
 * reason, "skipped: reason" or "failed: status"; every reading sentence is computed from the
 * medians it quotes, so it cannot contradict the tables.
 */
#ifndef ANALYSIS_REPORT_H
#define ANALYSIS_REPORT_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- csv.c ---------------------------------------------------------------------------------- */

struct csv {
    int ncol;
    char **col;
    int nrow;
    char ***cell; /* cell[row][col] */
};

/* -1 when the file cannot be opened (t is then empty). */
int csv_read(const char *path, struct csv *t);
int csv_col(const struct csv *t, const char *name);
const char *csv_get(const struct csv *t, int row, const char *name);
/* NAN for "n/a", a missing column, or text. */
double csv_num(const struct csv *t, int row, const char *name);

/* ---- json.c --------------------------------------------------------------------------------- */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json {
    enum json_type type;
    double num; /* JSON_NUM, and 0/1 for JSON_BOOL */
    char *str;
    int n; /* children of JSON_ARR / JSON_OBJ */
    char **keys;
    struct json **v;
};

struct json *json_parse_file(const char *path, char *err, size_t errlen);
const struct json *json_get(const struct json *o, const char *key);
double json_num(const struct json *o, const char *key);
const char *json_str(const struct json *o, const char *key);

/* ---- summary.c ------------------------------------------------------------------------------ */

enum metric {
    M_TIME,
    M_WALL,
    M_USER,
    M_SYS,
    M_OPS,
    M_MINFLT,
    M_MAJFLT,
    M_PEAK_RSS,
    M_PEAK_RSS_SAMPLED,
    M_PEAK_LIVE,
    M_FRAG_PEAK,
    M_FRAG_MEAN,
    M_RSS_BEFORE_FREE,
    M_RECLAIM_0S,
    M_RECLAIM_1S,
    M_RECLAIM_5S,
    M_RECLAIM_TRIM,
    M_RECLAIM_SETTLE,
    M_FAULT_DIFF,
    M_SAMPLING_PCT,
    M_SAMPLE_US,
    M_CYCLES,
    M_INSTR,
    M_LLC,
    M_DTLB,
    NMETRIC
};

struct metric_def {
    const char *key;   /* summary.json name */
    const char *label; /* table heading */
    bool lower_better;
};
extern const struct metric_def metric_defs[NMETRIC];

/* The four headline metrics, in report order. */
#define NHEADLINE 4
extern const enum metric headline_metrics[NHEADLINE];

/* Below this peak of live bytes the runner gives no fragmentation (RUNNER_FRAG_MIN_LIVE). */
#define REPORT_FRAG_MIN_LIVE (4 << 20)

#define MAX_WL    64
#define MAX_ALLOC 6
#define NAME_LEN  48

extern const char *const alloc_names[MAX_ALLOC];
/* The colour of each allocator in analysis/plots/common.gp's palette (1-based). */
extern const int alloc_color[MAX_ALLOC];

/* libmini's own counters (mini-stats/W-A-R.json, MINI_SHOW_STATS=json at exit), per run. */
enum mini_stat {
    MS_LARGE_ALLOC, /* n_large_alloc: blocks at or above the mmap threshold, mapped */
    MS_LARGE_FREE,
    MS_MMAP,
    MS_MUNMAP,
    MS_MREMAP,
    MS_MPROTECT,
    MS_MADVISE,
    MS_BYTES_PURGED,
    MS_TRIM, /* n_trim: heap tops given back */
    MS_BYTES_TRIMMED,
    MS_BRK,
    MS_TCACHE_HIT,
    MS_TCACHE_MISS,
    MS_LOCK_WAITS,
    MS_ARENAS,
    MS_PEAK_MAPPED,
    MS_MALLOC,
    MS_MMAP_THRESHOLD, /* options.mmap_threshold at exit (it moves with MINI_MMAP_DYNAMIC=1) */
    NMINISTAT
};
extern const char *const mini_stat_keys[NMINISTAT];

struct stat3 {
    int n;
    double med, min, max;
};

struct cell {
    int nruns, nok;
    char fail_status[96]; /* first failure, "" if none */
    struct stat3 m[NMETRIC];
    struct stat3 ms[NMINISTAT]; /* libmini's counters over the ok runs (n = 0: none) */
    char timeline[256];         /* the median run's timeline file, "" if none */
    char ops_unit[32];
    char notes[1024]; /* distinct notes of the runs (hardware counters left out) */
};

struct wl_info {
    char name[NAME_LEN];
    char scale[40], threads[16], reps[16], args[128];
    char skip[256]; /* "" or why it did not run ("not built ...") */
    bool external;  /* no live bytes (does not report through MINI_BENCH_SHM) */
    bool reclaim;   /* has reclaim readings */
    bool real;      /* a real program (its scale is "n/a (real program)") */
    /* A trace replay (traces.csv): the program recorded, its arguments, what the trace holds. */
    bool trace;
    char trace_program[64], trace_args[64], trace_exe[128], trace_status[256];
    double trace_calls, trace_threads, trace_peak_live, trace_bytes, trace_record_s;
};

struct alloc_info {
    bool in_profile;
    bool available;
    char version[64], preload[256], settings[256];
    char skip[256]; /* "" or "skipped: reason" */
};

struct summary {
    char results[512]; /* the results directory */
    char profile[32];
    struct json *machine, *calibration;
    struct csv runs, plan, session, skipped, traces;
    int nwl;
    struct wl_info wl[MAX_WL];
    struct alloc_info alloc[MAX_ALLOC];
    struct cell cell[MAX_WL][MAX_ALLOC];
    /* geomean of the per-workload ratio a/b of medians, over the workloads both have */
    double geo[MAX_ALLOC][MAX_ALLOC][NMETRIC];
    int geo_n[MAX_ALLOC][MAX_ALLOC][NMETRIC];
    /* cross-checks over all ok runs */
    int fault_runs, fault_within_1pct;
    double fault_max_abs_diff;     /* percent, over all runs */
    double fault_max_outside;      /* the largest |difference| in faults of a run outside 1 % */
    double fault_max_perf_outside; /* the largest perf count among the runs outside 1 % */
    double sampling_pct_med, sampling_pct_max;
    char hw_note[200];    /* the hardware counters' n/a reason, "" when measured */
    char micro_note[256]; /* why micro-benchmarks are missing, "" if present */
};

int alloc_index(const char *name);
int summary_load(struct summary *s, const char *results_dir);
void summary_compute(struct summary *s);
/* Ratio of medians a/b for metric m of workload w; NAN when either is missing or b is 0. */
double summary_ratio(const struct summary *s, int w, int a, int b, enum metric m);
int summary_write_json(const struct summary *s, const char *path);

/* ---- plots.c -------------------------------------------------------------------------------- */

/* Writes plots/data/ and runs gnuplot; plot_note gets why plots are missing, "" if none. */
void plots_make(const struct summary *s, const char *plots_dir, const char *gp_dir, char *plot_note,
                size_t len);
/* Whether results/plots/NAME.png exists. */
bool plots_have(const struct summary *s, const char *name);

/* ---- markdown.c ----------------------------------------------------------------------------- */

int markdown_write(const struct summary *s, const char *path, const char *plot_note);

/* ---- util (main.c) -------------------------------------------------------------------------- */

/* malloc, calloc, realloc and strdup that end the program with a message when out of memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* printf into a static ring of buffers: for building table cells inline. */
const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
/* A number with 3 significant digits, or "n/a". */
const char *num3(double v);

#endif /* ANALYSIS_REPORT_H */
