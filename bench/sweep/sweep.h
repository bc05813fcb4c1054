/*
 * sweep.h — the overcommit / swappiness sweep (issue 6): build/bin/mini-sweep.
 *
 *   plan.c    configurations  vm.overcommit_memory {0,1,2} x swappiness {0,60,100,200}
 *                             x swap {none, 1 GiB}, each in a memory cgroup of limit L (the
 *                             experiment's "machine"), plus global ones (E6-type: free memory
 *                             squeezed by a hugetlb reservation, no limit)
 *             x workloads     wl-anon-over, wl-file-anon, wl-overask (2 x L, 2 x RAM), wl-phase
 *             x allocators    glibc, jemalloc, libmini (LD_PRELOAD, as the bench runner does)
 *
 *   main.c    for each group of configurations (swap file on, then off; squeeze on, then off):
 *               for each run:   model.c  a kmodel scenario of the run -> predicted outcome and
 *                                        counters (results/sweep/model/NNN-WORKLOAD.scen, .json)
 *                               real.c   a fresh memory cgroup, overcommit / swappiness set
 *                                        for this run only, the workload forked, bounded in
 *                                        time, its counters read
 *                               out.c    a row of runs.csv, rows of compare.csv, a progress
 *                                        line "[7/48] oc=2 sw=60 swap=1G anon-over x libmini"
 *
 * Settings go through bench/vmctl (a journal, undone at exit, on signals and crashes, and by
 * the next run after a SIGKILL): the swap file and the hugetlb squeeze per group, the cgroup
 * and the sysctls per run (vmctl_mark / vmctl_restore_to). Overcommit mode 2 is set only for
 * the lifetime of one workload, and refused when the commit room it would leave the rest of
 * the machine is below a reserve (sw_mode2_refusal).
 */
#ifndef SWEEP_H
#define SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SW_MIB (1024ULL * 1024)
#define SW_GIB (1024ULL * SW_MIB)

/* What a run measured, and what the model predicts for it (n/a where a side has nothing). */
enum sw_q {
    Q_TIME_S,     /* real: wall time; model: estimated time of the process */
    Q_USER_S,     /* real only */
    Q_SYS_S,      /* real only */
    Q_MINFLT,     /* real: rusage; model: the process's minflt */
    Q_MAJFLT,     /* real: rusage; model: the process's majflt */
    Q_MAXRSS_KB,  /* real: ru_maxrss; model: VmHWM */
    Q_TOUCHED_KB, /* real: live bytes the workload reported last (how far a killed run got) */
    Q_PSWPIN,     /* /proc/vmstat deltas (system-wide) / the model's vmstat */
    Q_PSWPOUT,
    Q_PGSCAN_ANON,
    Q_PGSCAN_FILE,
    Q_PGSTEAL_ANON,
    Q_PGSTEAL_FILE,
    Q_PGSCAN_KSWAPD,
    Q_PGSCAN_DIRECT,
    Q_PGSTEAL_KSWAPD,
    Q_PGSTEAL_DIRECT,
    Q_ALLOCSTALL,     /* sum of allocstall_* (global reclaim only) */
    Q_OOM_KILL,       /* vmstat oom_kill */
    Q_MEMCG_MAX_KB,   /* memory.max_usage_in_bytes / 1024 */
    Q_MEMCG_FAILCNT,  /* memory.failcnt */
    Q_MEMCG_OOM_KILL, /* memory.oom_control oom_kill */
    Q_STALL_S,        /* real: PSI memory "some" total; model: direct-reclaim stall time */
    Q_PSI_FULL_S,     /* real only: PSI memory "full" total */
    SW_NQ
};
extern const char *const sw_q_names[SW_NQ];

struct sw_vals {
    double v[SW_NQ];
    bool have[SW_NQ];
};
void sw_vals_set(struct sw_vals *s, enum sw_q q, double v);

enum sw_outcome { O_OK, O_ENOMEM, O_OOM, O_CRASH, O_TIMEOUT, O_FAILED, O_SKIPPED, O_NONE };
extern const char *const sw_outcome_names[]; /* "ok", "ENOMEM", "OOM-killed", ... */

/* One machine configuration. */
struct sw_cfg {
    int oc;         /* vm.overcommit_memory */
    int swappiness; /* memory.swappiness of the cgroup, or vm.swappiness for global ones */
    uint64_t swap;  /* swap file bytes, 0: none */
    bool global;    /* E6-type: no limit, free memory squeezed (hugetlb) */
};

enum sw_kind {
    K_ANON_OVER,     /* wl-anon-over: 2 x L, 2 passes (global: MemAvailable + 512 MiB, 1 pass) */
    K_FILE_ANON,     /* wl-file-anon: 0.6 x L anonymous, a 0.8 x L file, 3 passes */
    K_OVERASK_CG,    /* wl-overask: malloc(2 x L), touched */
    K_OVERASK_AVAIL, /* wl-overask: malloc(2 x MemAvailable) on the squeezed machine, touched */
    K_OVERASK_RAM,   /* wl-overask: malloc(2 x MemTotal), untouched */
    K_OVERASK_RAM_T, /* wl-overask: malloc(2 x MemTotal), touched */
    K_PHASE          /* wl-phase: grow to 1.5 x L, free 90 %, trim, grow again */
};

/* One workload of the sweep: a program and how its size follows from the configuration. */
struct sw_wl {
    const char *name; /* as in the tables: "anon-over" */
    const char *prog; /* build/bin/<prog> */
    enum sw_kind kind;
    unsigned oc_mask;    /* the overcommit modes it runs under (bit per mode) */
    bool cgroup, global; /* in memory-cgroup configurations, in global ones */
    const char *what;    /* one line for the report */
};

struct sw_alloc {
    const char *name;
    char preload[512]; /* "" for glibc */
    char skip[256];    /* why it cannot run, "" if it can */
};

/* The sizes of one run (filled by sw_sizes from the configuration and the machine). */
struct sw_size {
    uint64_t bytes; /* anon-over: bytes; file-anon: anonymous bytes; overask: the request */
    uint64_t file;  /* file-anon: file bytes */
    int passes;
    bool touch;      /* overask */
    double scale;    /* phase: --scale */
    uint64_t commit; /* what it adds to Committed_AS if admitted (the mode 2 check) */
};

/* The sweep's options and state (main.c). */
struct sweep {
    const char *profile; /* reduced | full */
    const char *out;     /* results/sweep */
    char bin[512];       /* where wl-*, kmodel and ../lib/libmini-preload.so are */
    const char *wl_path; /* where wl-* are looked up first (tests), NULL: bin */
    const char *kmodel;  /* kmodel binary */
    const char *calibration;
    const char *journal;
    uint64_t limit; /* L */
    uint64_t swap_size;
    int ratio;             /* vm.overcommit_ratio for mode 2 */
    uint64_t reserve;      /* commit room mode 2 must leave the rest of the machine */
    uint64_t squeeze_free; /* global configurations: free memory left by the squeeze */
    int timeout_s;         /* per run */
    int budget_s;          /* whole sweep */
    bool model;            /* run the model side */
    bool dry_run;
    struct sw_cfg cfgs[128];
    int ncfg;
    const struct sw_wl *wls[16];
    int nwl;
    struct sw_alloc allocs[8];
    int nalloc;
    /* Machine facts read at the start. */
    uint64_t memtotal_kb;
    uint64_t zone_managed[3];
    long long committed0_kb;
    const char *file_path; /* file-anon's data file */
    const char *swap_path;
};

/* One run: inputs and both sides' results. */
struct sw_run {
    int idx, total;
    const struct sw_cfg *cfg;
    const struct sw_wl *wl;
    const struct sw_alloc *alloc;
    struct sw_size size;
    char args[256]; /* the workload's arguments */
    enum sw_outcome real, model;
    char status[64]; /* "exit 0", "signal 9 (KILL)", "skipped: ..." */
    char note[512];
    char scen[256]; /* the model's scenario file, relative to out */
    struct sw_vals r, m;
};

/* plan.c */
extern const struct sw_wl sw_workloads[];
const struct sw_wl *sw_wl_find(const char *name);
int sw_plan_profile(struct sweep *s, const char *profile, char *err, size_t len);
int sw_plan_list(struct sweep *s, const char *what, const char *list, char *err, size_t len);
void sw_sizes(const struct sweep *s, const struct sw_cfg *c, const struct sw_wl *w,
              struct sw_size *z);
const char *sw_cfg_label(const struct sw_cfg *c, char *buf, size_t len);
void sw_alloc_lookup(struct sweep *s, const char *name);

/* real.c */
/* NULL when mode 2 is safe, else why not (into why). */
const char *sw_mode2_refusal(const struct sweep *s, uint64_t extra_commit, char *why, size_t len);
int sw_run_real(struct sweep *s, struct sw_run *r);

/* model.c */
int sw_write_scenario(const struct sweep *s, const struct sw_run *r, const char *path);
int sw_run_model(const struct sweep *s, struct sw_run *r);
/* Whether the run's allocator maps with MAP_NORESERVE (jemalloc in modes 0 and 1). */
bool sw_model_noreserve(const struct sw_run *r);

/* json.c */
int sw_json_get(const char *json, const char *path, char *out, size_t len);
int sw_json_num(const char *json, const char *path, double *v);

/* out.c */
int sw_out_open(const struct sweep *s);
void sw_out_run(const struct sweep *s, const struct sw_run *r);
void sw_out_close(void);
int sw_out_session(const struct sweep *s, const char *state, double seconds, int runs, int done,
                   int failed, const char *reason);

/* Small helpers (main.c). */
double sw_now(void);
const char *sw_size_str(uint64_t bytes, char *buf, size_t len); /* "256M", "1G", "48G" */

#endif
