/*
 * common.c — rows, /proc readers, cgroup children and model builders for the validation
 * experiments (validate.h).
 */
#include "analysis/kmodel/validate/validate.h"
#include "bench/vmctl/vmprobe.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool v_root;
const char *v_swapfile = "/var/tmp/libmini-kmodel-validate.swap";

struct row {
    char exp[8], quantity[96], target[64], verdict[8];
    double real, model, diff;
    bool info;
    enum target_kind kind;
};
static struct row rows[512];
static int nrows;
static char notes[64][256];
static int nnotes;

static double reldiff(double real, double model)
{
    double d = fabs(real) > 0 ? (model - real) / fabs(real) : (model == 0 ? 0 : INFINITY);
    return d;
}

void v_row(const char *exp, const char *quantity, double real, double model, enum target_kind t,
           double tol, const char *target_text)
{
    if (nrows == (int)(sizeof(rows) / sizeof(rows[0])))
        return;
    struct row *r = &rows[nrows++];
    snprintf(r->exp, sizeof(r->exp), "%s", exp);
    snprintf(r->quantity, sizeof(r->quantity), "%s", quantity);
    snprintf(r->target, sizeof(r->target), "%s", target_text);
    r->real = real;
    r->model = model;
    r->kind = t;
    bool ok;
    switch (t) {
    case T_EXACT:
        r->diff = model - real;
        ok = model == real;
        break;
    case T_REL:
        r->diff = reldiff(real, model);
        ok = fabs(r->diff) <= tol || (real == 0 && model == 0);
        break;
    case T_ABS:
        r->diff = model - real;
        ok = fabs(r->diff) <= tol;
        break;
    case T_RATIO2:
        r->diff = real > 0 ? model / real : INFINITY;
        ok = real == model || (real > 0 && model > 0 && model / real <= tol && real / model <= tol);
        break;
    default:
        r->diff = model - real;
        ok = true;
        r->info = true;
        break;
    }
    snprintf(r->verdict, sizeof(r->verdict), "%s", r->info ? "info" : ok ? "ok" : "FAIL");
    fprintf(stderr, "      %-4s %-46s real %-14.6g model %-14.6g %s\n", exp, quantity, real, model,
            r->verdict);
}

void v_skip(const char *exp, const char *why)
{
    v_note(exp, "skipped: %s", why);
}

void v_note(const char *exp, const char *fmt, ...)
{
    if (nnotes == 64)
        return;
    char m[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof(m), fmt, ap);
    va_end(ap);
    snprintf(notes[nnotes++], sizeof(notes[0]), "%s: %s", exp, m);
    fprintf(stderr, "      %s: %s\n", exp, m);
}

int v_failures(void)
{
    int n = 0;
    for (int i = 0; i < nrows; i++)
        n += strcmp(rows[i].verdict, "FAIL") == 0;
    return n;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void fmt_num(char *buf, size_t len, double v)
{
    if (isinf(v))
        snprintf(buf, len, "inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.4g", v);
}

int v_write(const char *json_path, const char *md_path, double seconds)
{
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
    FILE *f = fopen(json_path, "w");
    if (f == NULL) {
        fprintf(stderr, "kmodel-validate: %s: %s\n", json_path, strerror(errno));
        return -1;
    }
    fprintf(f, "{\n  \"generated\": \"%s\",\n  \"seconds\": %.1f,\n  \"calibration\": ", date,
            seconds);
    json_str(f, v_calibration());
    fprintf(f, ",\n  \"rows\": [\n");
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        char a[32], b[32], d[32];
        fmt_num(a, sizeof(a), r->real);
        fmt_num(b, sizeof(b), r->model);
        fmt_num(d, sizeof(d), r->diff);
        fprintf(f, "    {\"experiment\": \"%s\", \"quantity\": ", r->exp);
        json_str(f, r->quantity);
        fprintf(f, ", \"real\": %s, \"model\": %s, \"difference\": %s, \"target\": ", a, b,
                isinf(r->diff) ? "null" : d);
        json_str(f, r->target);
        fprintf(f, ", \"verdict\": \"%s\"}%s\n", r->verdict, i + 1 < nrows ? "," : "");
    }
    fprintf(f, "  ],\n  \"notes\": [\n");
    for (int i = 0; i < nnotes; i++) {
        fprintf(f, "    ");
        json_str(f, notes[i]);
        fprintf(f, "%s\n", i + 1 < nnotes ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    fclose(f);
    f = fopen(md_path, "w");
    if (f == NULL) {
        fprintf(stderr, "kmodel-validate: %s: %s\n", md_path, strerror(errno));
        return -1;
    }
    fprintf(f, "# Kernel model vs the real kernel (KMODEL-SPEC.md section 12.2)\n\n");
    fprintf(f, "Generated %s by `make validate-model` in %.0f s; calibration: %s.\n\n", date,
            seconds, v_calibration());
    fprintf(f, "| experiment | quantity | real | model | difference | target | verdict |\n");
    fprintf(f, "|---|---|---:|---:|---:|---|---|\n");
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        char a[32], b[32], d[32];
        fmt_num(a, sizeof(a), r->real);
        fmt_num(b, sizeof(b), r->model);
        if (r->kind == T_REL && !isinf(r->diff))
            snprintf(d, sizeof(d), "%+.1f %%", r->diff * 100);
        else if (r->kind == T_RATIO2 && !isinf(r->diff))
            snprintf(d, sizeof(d), "x%.2f", r->diff);
        else
            fmt_num(d, sizeof(d), r->diff);
        fprintf(f, "| %s | %s | %s | %s | %s | %s | %s |\n", r->exp, r->quantity, a, b, d,
                r->target, r->verdict);
    }
    if (nnotes) {
        fprintf(f, "\nNotes:\n\n");
        for (int i = 0; i < nnotes; i++)
            fprintf(f, "- %s\n", notes[i]);
    }
    fprintf(f, "\n%d rows, %d failed.\n", nrows, v_failures());
    fclose(f);
    return 0;
}

/* ---- /proc ------------------------------------------------------------------------------- */

long long v_vmstat(const char *key)
{
    return vmprobe_vmstat(key);
}

long long v_meminfo_kb(const char *key)
{
    return vmprobe_meminfo_kb(key);
}

long long v_read_num(const char *path)
{
    return vmprobe_read_num(path);
}

void v_vmstat_snap(struct v_vmstat *s)
{
    vmprobe_keys("/proc/vmstat", km_vmstat_names, KM_NR_VMSTAT, s->v);
}

long long v_vmstat_delta(const struct v_vmstat *a, const struct v_vmstat *b, enum km_vmstat i)
{
    return (a->v[i] < 0 || b->v[i] < 0) ? 0 : b->v[i] - a->v[i];
}

/* ---- Children in a cgroup ------------------------------------------------------------------ */

int v_run_child(const char *cgpath, int (*fn)(void *), void *arg, int timeout_s, struct rusage *ru)
{
    int go[2];
    if (pipe(go) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(go[1]);
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(100);
        /* The workload is the one the OOM killer should take, not the harness. */
        FILE *adj = fopen("/proc/self/oom_score_adj", "w");
        if (adj) {
            fprintf(adj, "%d", 0);
            fclose(adj);
        }
        _exit(fn(arg));
    }
    close(go[0]);
    if (cgpath && vmctl_cgroup_attach(cgpath, pid) != 0) {
        fprintf(stderr, "kmodel-validate: %s\n", vmctl_error());
        kill(pid, SIGKILL);
    }
    if (write(go[1], "g", 1) != 1)
        kill(pid, SIGKILL);
    close(go[1]);
    int st = 0;
    time_t t0 = time(NULL);
    for (;;) {
        pid_t r = wait4(pid, &st, WNOHANG, ru);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return -1;
        if (time(NULL) - t0 > timeout_s) {
            kill(pid, SIGKILL);
            wait4(pid, &st, 0, ru);
            fprintf(stderr, "kmodel-validate: workload timed out after %d s\n", timeout_s);
            return -2;
        }
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    return st;
}

/* ---- Model machines --------------------------------------------------------------------------- */

int v_zone_managed(uint64_t managed[3])
{
    return vmprobe_zone_managed(managed);
}

struct km *v_model(uint64_t swap_bytes, int overcommit, int ratio)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = (uint64_t)v_meminfo_kb("MemTotal") * 1024;
    if (c.ram_bytes < (64ULL << 20))
        c.ram_bytes = 24ULL << 30;
    uint64_t managed[3] = {0, 0, 0};
    if (v_zone_managed(managed) == 0) {
        for (int i = 0; i < 3; i++) {
            c.zone_managed[i] = managed[i];
            c.zone_managed_set[i] = true;
        }
    }
    c.ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    c.min_free_kbytes = v_read_num("/proc/sys/vm/min_free_kbytes");
    c.watermark_scale_factor = (int)v_read_num("/proc/sys/vm/watermark_scale_factor");
    c.swap_bytes = swap_bytes;
    c.overcommit_memory = overcommit;
    c.overcommit_ratio = ratio;
    c.swappiness = (int)v_read_num("/proc/sys/vm/swappiness");
    c.page_cluster = (int)v_read_num("/proc/sys/vm/page-cluster");
    char err[256];
    struct km *km = km_create(&c, err, sizeof(err));
    if (km == NULL) {
        fprintf(stderr, "kmodel-validate: model: %s\n", err);
        return NULL;
    }
    char cerr[256];
    if (calib_load(&km->calib, v_calibration(), cerr, sizeof(cerr)) != 0)
        fprintf(stderr, "kmodel-validate: %s (using built-in costs)\n", cerr);
    return km;
}

uint64_t v_model_anon(struct km *km, struct km_mm *mm, uint64_t bytes, unsigned flags)
{
    int e;
    uint64_t a = vma_mmap(km, mm, 0, bytes, KM_PROT_READ | KM_PROT_WRITE,
                          KM_MAP_PRIVATE | KM_MAP_ANON | flags, -1, 0, &e);
    vma_madvise(km, mm, a, bytes, KM_MADV_NOHUGEPAGE);
    return a;
}

int v_cgroup(const char *exp, int n, uint64_t limit_bytes, int swappiness, char *cg, size_t cglen)
{
    char name[64], val[32];
    snprintf(name, sizeof(name), "libmini-kmodel-%c%s-%d", tolower((unsigned char)exp[0]), exp + 1,
             n);
    if (vmctl_cgroup(name, cg, cglen) != 0) {
        v_skip(exp, vmctl_error());
        return -1;
    }
    snprintf(val, sizeof(val), "%llu", (unsigned long long)limit_bytes);
    vmctl_cgroup_write(cg, "memory.limit_in_bytes", val);
    if (swappiness >= 0) {
        snprintf(val, sizeof(val), "%d", swappiness);
        vmctl_cgroup_write(cg, "memory.swappiness", val);
    }
    return 0;
}

const char *v_calibration_override;

const char *v_calibration(void)
{
    if (v_calibration_override)
        return v_calibration_override;
    struct stat st;
    if (stat("results/calibration.json", &st) == 0)
        return "results/calibration.json";
    return "analysis/kmodel/calibration-default.json";
}
