/*
 * main.c — build/bin/kmodel-validate: run E1-E9 (and I2, input 2's replay) for real and
 * through the model, write results/model-validation.json and results/model-validation.md
 * (make validate-model).
 *
 *   kmodel-validate [--only E1,E2,...] [--out DIR]
 *
 * E1, E2, E7 and I2 need no privileges; the others need root and change settings through
 * bench/vmctl, which restores them on every exit path (and repairs an interrupted run).
 */
#include "analysis/kmodel/validate/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const struct {
    const char *id, *what;
    int (*fn)(void);
} exps[] = {
    {"E1", "fault counts and touch time", e1_faults},
    {"E2", "page-table cost", e2_pgtable},
    {"E3", "overcommit admission", e3_overcommit},
    {"E4", "memcg-limited anonymous workload with swap", e4_memcg_swap},
    {"E5", "swappiness balance, file + anonymous", e5_swappiness},
    {"E6", "global pressure, kswapd vs direct reclaim", e6_global},
    {"E7", "static state", e7_static},
    {"E8", "slab cost of VMAs", e8_slab},
    {"E9", "OOM victim", e9_oom},
    {"I2", "allocation trace through libmini, model vs real kernel", i2_alloc_trace},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *only = NULL, *out = "results";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--calibration") == 0 && i + 1 < argc)
            v_calibration_override = argv[++i];
        else {
            fprintf(stderr,
                    "usage: kmodel-validate [--only E1,E2,...] [--out DIR] [--calibration FILE]\n");
            return 2;
        }
    }
    v_root = geteuid() == 0;
    if (v_root && vmctl_begin(NULL) != 0) {
        fprintf(stderr, "kmodel-validate: %s\n", vmctl_error());
        return 2;
    }
    if (!v_root)
        fprintf(stderr, "kmodel-validate: not root: only E1, E2, E7 and I2 run (the others change "
                        "sysctls, swap and memory cgroups; run as root for them)\n");
    mkdir(out, 0755);
    double t0 = now_s();
    int n = (int)(sizeof(exps) / sizeof(exps[0]));
    for (int i = 0; i < n; i++) {
        if (only && !strstr(only, exps[i].id))
            continue;
        fprintf(stderr, "[%d/%d] %s %s ...\n", i + 1, n, exps[i].id, exps[i].what);
        double s = now_s();
        exps[i].fn();
        fprintf(stderr, "      %s done in %.1f s\n", exps[i].id, now_s() - s);
    }
    vmctl_restore();
    char json[512], md[512];
    snprintf(json, sizeof(json), "%s/model-validation.json", out);
    snprintf(md, sizeof(md), "%s/model-validation.md", out);
    if (v_write(json, md, now_s() - t0) != 0)
        return 2;
    fprintf(stderr, "kmodel-validate: %d rows failed their target; wrote %s and %s\n", v_failures(),
            json, md);
    return 0;
}
