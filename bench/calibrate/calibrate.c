/*
 * calibrate.c — mini-calibrate's command line and its output (the probes are in probes.c and
 * sampling.c; calibrate.h lists them).
 *
 *   mini-calibrate [--out FILE] [--reps N] [--pages N] [--quick]
 *
 * Writes a flat JSON object of numbers to FILE (default results/calibration.json) and a
 * readable table to stdout. --quick uses fewer repetitions (for `make bench PROFILE=quick`).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/calibrate/calibrate.h"

#define CAL_MAX_RESULTS 64

bool cal_recording = true;
static struct cal_result results[CAL_MAX_RESULTS];
static int nresults;

int64_t cal_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cal_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void cal_put(const char *key, double *samples, int n)
{
    if (!cal_recording || nresults >= CAL_MAX_RESULTS || n <= 0)
        return;
    struct cal_result *r = &results[nresults++];
    r->key = key;
    r->value = cal_median(samples, n);
    r->min = samples[0];
    r->max = samples[n - 1];
    r->repeated = n > 1;
}

void cal_put_value(const char *key, double value)
{
    if (!cal_recording || nresults >= CAL_MAX_RESULTS)
        return;
    results[nresults++] = (struct cal_result){key, value, value, value, false};
}

double cal_lookup(const char *key)
{
    for (int i = 0; i < nresults; i++)
        if (strcmp(results[i].key, key) == 0)
            return results[i].value;
    return 0;
}

static __attribute__((noreturn)) void usage(const char *what, const char *arg)
{
    fprintf(stderr,
            "mini-calibrate: %s '%s' (usage: mini-calibrate [--out FILE] [--reps N] [--pages N] "
            "[--quick])\n",
            what, arg);
    exit(2);
}

static long parse_long(const char *opt, const char *v, long lo, long hi)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end != '\0' || x < lo || x > hi) {
        char what[96];
        snprintf(what, sizeof(what), "%s: not an integer in [%ld, %ld]:", opt, lo, hi);
        usage(what, v);
    }
    return x;
}

int main(int argc, char **argv)
{
    const char *out = "results/calibration.json";
    int reps = 9, pairs = 7;
    long pages = 4096;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            reps = 5;
            pairs = 3;
            continue;
        }
        if (strcmp(argv[i], "--out") != 0 && strcmp(argv[i], "--reps") != 0 &&
            strcmp(argv[i], "--pages") != 0)
            usage("unknown option", argv[i]);
        if (i + 1 >= argc)
            usage("option needs a value:", argv[i]);
        const char *v = argv[++i];
        if (strcmp(argv[i - 1], "--out") == 0)
            out = v;
        else if (strcmp(argv[i - 1], "--reps") == 0)
            reps = (int)parse_long("--reps", v, 1, 1000);
        else
            pages = parse_long("--pages", v, 64, 1 << 20);
    }
    FILE *f = fopen(out, "we");
    if (f == NULL) {
        fprintf(stderr, "mini-calibrate: %s: %s\n", out, strerror(errno));
        return 1;
    }

    int64_t t0 = cal_now_ns();
    cal_put_value("page_size", (double)sysconf(_SC_PAGESIZE));
    cal_put_value("region_pages", (double)pages);
    cal_put_value("samples", (double)reps);
    cal_probes(reps, (size_t)pages);
    cal_sampling(pairs, 10);
    cal_put_value("calibration_s", (double)(cal_now_ns() - t0) / 1e9);

    fputs("{", f);
    for (int i = 0; i < nresults; i++) {
        const struct cal_result *r = &results[i];
        double v = isfinite(r->value) ? r->value : -1;
        fprintf(f, "%s\n  \"%s\": %.6g", i ? "," : "", r->key, v);
    }
    /* The spread of every repeated probe: KEY_min and KEY_max (other agents on the machine
     * show up here first). */
    for (int i = 0; i < nresults; i++) {
        const struct cal_result *r = &results[i];
        if (r->repeated && isfinite(r->min) && isfinite(r->max))
            fprintf(f, ",\n  \"%s_min\": %.6g,\n  \"%s_max\": %.6g", r->key, r->min, r->key,
                    r->max);
    }
    fputs("\n}\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "mini-calibrate: %s: %s\n", out, strerror(errno));
        return 1;
    }
    printf("%-28s %12s %12s %12s\n", "calibration (median)", "value", "min", "max");
    for (int i = 0; i < nresults; i++)
        printf("%-28s %12.4g %12.4g %12.4g\n", results[i].key, results[i].value, results[i].min,
               results[i].max);
    printf("mini-calibrate: wrote %s\n", out);
    return 0;
}
