/*
 * validate.h — the validation harness of the kernel model (KMODEL-SPEC.md section 12.2):
 * each experiment runs for real on this machine and through the model with the same
 * parameters, and reports rows (experiment, quantity, real, model, difference, target,
 * verdict) that main.c writes to results/model-validation.{json,md}.
 *
 * One file per experiment (e1_faults.c ... e9_oom.c); common.c has the row table, /proc
 * readers, child processes run in a memory cgroup with a time limit, and model builders.
 */
#ifndef KMODEL_VALIDATE_H
#define KMODEL_VALIDATE_H

#include "analysis/kmodel/kmodel.h"
#include "bench/vmctl/vmctl.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

enum target_kind { T_EXACT, T_REL, T_ABS, T_INFO, T_RATIO2 };

/* Add a result row; the verdict follows from the target. */
void v_row(const char *exp, const char *quantity, double real, double model, enum target_kind t,
           double tol, const char *target_text);
void v_skip(const char *exp, const char *why);
void v_note(const char *exp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int v_write(const char *json_path, const char *md_path, double seconds);
int v_failures(void);

/* /proc readers. */
long long v_vmstat(const char *key);
long long v_meminfo_kb(const char *key);
long long v_read_num(const char *path);
struct v_vmstat {
    long long v[KM_NR_VMSTAT];
};
void v_vmstat_snap(struct v_vmstat *s);
long long v_vmstat_delta(const struct v_vmstat *a, const struct v_vmstat *b, enum km_vmstat i);

/* Run fn(arg) in a child attached to memory cgroup cgpath (NULL: none), for at most
 * timeout_s seconds. Returns the wait status; *ru gets the child's rusage. */
int v_run_child(const char *cgpath, int (*fn)(void *), void *arg, int timeout_s, struct rusage *ru);

/* A model machine like this one (managed pages per zone from /proc/zoneinfo, current
 * min_free_kbytes and watermark sysctls), with swap bytes of swap. */
struct km *v_model(uint64_t swap_bytes, int overcommit, int ratio);
int v_zone_managed(uint64_t managed[3]);

/* In the model: a private anonymous read-write mapping of bytes (flags: more KM_MAP_*) made
 * without THP like the real halves' (madvise NOHUGEPAGE); returns its address (0: failed). */
uint64_t v_model_anon(struct km *km, struct km_mm *mm, uint64_t bytes, unsigned flags);

/* The memory cgroup libmini-kmodel-<exp in lower case>-<n>, with memory.limit_in_bytes
 * limit_bytes and memory.swappiness swappiness (-1: left alone); its path in cg. -1 when it
 * cannot be made (the skip is reported for exp). */
int v_cgroup(const char *exp, int n, uint64_t limit_bytes, int swappiness, char *cg, size_t cglen);

/* The calibration: results/calibration.json when present, else the default file. */
const char *v_calibration(void);

/* Experiments; each returns 0, or -1 when it could not run (reason already reported). */
int e1_faults(void);
int e2_pgtable(void);
int e3_overcommit(void);
int e4_memcg_swap(void);
int e5_swappiness(void);
int e6_global(void);
int e7_static(void);
int e8_slab(void);
int e9_oom(void);
int i2_alloc_trace(void);

extern bool v_root;
extern const char *v_calibration_override;
extern const char *v_swapfile;

#endif
