/*
 * main.c — mini-bench's command line.
 *
 *   mini-bench run --workload NAME --alloc NAME [--scale S] [--threads N] [--reps N]
 *                  [--out DIR] [--sample-ms MS] [--timeout S] [--env K=V]... [--wl-path DIRS]
 *                  [--real-dir DIR] [--trace-dir DIR] [--progress I/T] [--quiet]
 *                  [-- WORKLOAD-ARGS...]
 *   mini-bench list [--wl-path DIRS] [--trace-dir DIR] [--tsv]
 *   mini-bench machine [--out FILE]
 *
 * Workload NAME is the program wl-NAME in the first directory of DIRS (a ':' list; default
 * $MINI_BENCH_WL_PATH, else the directory of mini-bench itself, i.e. build/bin) that has it;
 * else a trace replay, when DIR/NAME.plan exists (--trace-dir, $MINI_BENCH_TRACE_DIR, else
 * build/bench-traces; bench/run-bench records the traces and writes the plans), run as
 * `mini-trace replay --free-at-end --name NAME DIR/NAME.plan` (mini-trace next to mini-bench);
 * else a real program described by DIR/NAME.cmd (--real-dir, $MINI_BENCH_REAL_DIR, else
 * bench/workloads/real), run as DIR/run-real.sh NAME ARGS: no --scale or --threads, a real
 * program takes its own arguments after "--". A workload that exits 77 is "skipped: reason".
 * Every bad input gets one line naming it and exit status 2; an allocator that is known but not
 * installed or built gets "skipped: reason" and exit status 3; a failed run exit status 1.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/runner/runner.h"

static const char usage_text[] =
    "usage: mini-bench run --workload NAME --alloc NAME [--scale S] [--threads N] [--reps N]\n"
    "                      [--out DIR] [--sample-ms MS] [--timeout S] [--env K=V]...\n"
    "                      [--wl-path DIR[:DIR]] [--real-dir DIR] [--trace-dir DIR]\n"
    "                      [--progress I/T] [--quiet] [-- ARGS...]\n"
    "       mini-bench list [--wl-path DIR[:DIR]] [--trace-dir DIR] [--tsv]\n"
    "       mini-bench machine [--out FILE]\n";

static char self_dir[PATH_MAX];

__attribute__((noreturn, format(printf, 1, 2))) static void die_usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", RUNNER_NAME);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(RUNNER_EXIT_USAGE);
}

static bool valid_name(const char *s)
{
    if (*s == '\0' || strlen(s) > 40)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return false;
    return true;
}

/* Where the real programs are described: ROOT/bench/workloads/real (ROOT = bindir/../..). */
static const char *real_dir_default(const char *opt)
{
    static char dir[PATH_MAX];
    if (opt != NULL)
        return opt;
    const char *e = getenv("MINI_BENCH_REAL_DIR");
    if (e && *e)
        return e;
    snprintf(dir, sizeof(dir), "%s", self_dir);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(dir, '/');
        if (slash != NULL && slash != dir)
            *slash = '\0';
    }
    size_t n = strlen(dir);
    snprintf(dir + n, sizeof(dir) - n, "/bench/workloads/real");
    return dir;
}

/* Where trace plans are: --trace-dir, $MINI_BENCH_TRACE_DIR, else bindir/../bench-traces. */
static const char *trace_dir_default(const char *opt)
{
    static char dir[PATH_MAX];
    if (opt != NULL)
        return opt;
    const char *e = getenv("MINI_BENCH_TRACE_DIR");
    if (e && *e)
        return e;
    snprintf(dir, sizeof(dir), "%s", self_dir);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir)
        *slash = '\0';
    size_t n = strlen(dir);
    snprintf(dir + n, sizeof(dir) - n, "/bench-traces");
    return dir;
}

/* A trace replay NAME: DIR/NAME.plan, replayed by mini-trace (next to mini-bench). */
static bool find_trace(const char *dir, const char *name, char *plan, size_t plen, char *bin,
                       size_t blen)
{
    int a = snprintf(plan, plen, "%s/%s.plan", dir, name);
    int b = snprintf(bin, blen, "%.*s/mini-trace", (int)(sizeof(self_dir) - 16), self_dir);
    return a > 0 && (size_t)a < plen && b > 0 && (size_t)b < blen && access(plan, R_OK) == 0 &&
           access(bin, X_OK) == 0;
}

/* A real program NAME: REAL_DIR/NAME.cmd run through REAL_DIR/run-real.sh. */
static bool find_real(const char *dir, const char *name, char *out, size_t len)
{
    char cmd[PATH_MAX];
    snprintf(cmd, sizeof(cmd), "%s/%s.cmd", dir, name);
    snprintf(out, len, "%s/run-real.sh", dir);
    return access(cmd, R_OK) == 0 && access(out, X_OK) == 0;
}

static const char *wl_path_default(const char *opt)
{
    if (opt != NULL)
        return opt;
    const char *e = getenv("MINI_BENCH_WL_PATH");
    return e && *e ? e : self_dir;
}

/* Finds DIR/wl-NAME along the path; returns false if none is executable. */
static bool find_workload(const char *path, const char *name, char *out, size_t len)
{
    char dirs[4096];
    snprintf(dirs, sizeof(dirs), "%s", path);
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, len, "%s/wl-%s", d, name);
        if (access(out, X_OK) == 0)
            return true;
    }
    return false;
}

static void list_workloads(const char *path, const char *trace_dir)
{
    char dirs[4096];
    snprintf(dirs, sizeof(dirs), "%s", path);
    char *save = NULL;
    int n = 0;
    for (char *d = strtok_r(dirs, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
        DIR *dir = opendir(d);
        if (dir == NULL)
            continue;
        struct dirent *e;
        char disp[PATH_MAX], full[PATH_MAX];
        while ((e = readdir(dir)) != NULL) {
            if (strncmp(e->d_name, "wl-", 3) != 0)
                continue;
            snprintf(full, sizeof(full), "%s/%s", d, e->d_name);
            if (access(full, X_OK) != 0)
                continue;
            printf("  %-16s %s\n", e->d_name + 3, runner_display_path(full, disp, sizeof(disp)));
            n++;
        }
        closedir(dir);
    }
    DIR *td = opendir(trace_dir);
    for (struct dirent *e; td != NULL && (e = readdir(td)) != NULL;) {
        size_t k = strlen(e->d_name);
        char plan[PATH_MAX], bin[PATH_MAX], disp[PATH_MAX], name[256];
        if (k < 6 || strcmp(e->d_name + k - 5, ".plan") != 0)
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)(k - 5), e->d_name);
        if (!find_trace(trace_dir, name, plan, sizeof(plan), bin, sizeof(bin)))
            continue;
        printf("  %-16s %s (trace replay)\n", name, runner_display_path(plan, disp, sizeof(disp)));
        n++;
    }
    if (td != NULL)
        closedir(td);
    const char *real = real_dir_default(NULL);
    DIR *rd = opendir(real);
    for (struct dirent *e; rd != NULL && (e = readdir(rd)) != NULL;) {
        size_t k = strlen(e->d_name);
        char runner[PATH_MAX], disp[PATH_MAX], name[256];
        if (k < 5 || strcmp(e->d_name + k - 4, ".cmd") != 0)
            continue;
        snprintf(name, sizeof(name), "%.*s", (int)(k - 4), e->d_name);
        if (!find_real(real, name, runner, sizeof(runner)))
            continue;
        printf("  %-16s %s %s (real program)\n", name,
               runner_display_path(runner, disp, sizeof(disp)), name);
        n++;
    }
    if (rd != NULL)
        closedir(rd);
    if (n == 0)
        printf("  (none: no wl-* program in %s)\n", path);
}

static int cmd_list(int argc, char **argv)
{
    const char *wl_path = NULL, *trace_dir = NULL;
    bool tsv = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--wl-path") == 0 && i + 1 < argc)
            wl_path = argv[++i];
        else if (strcmp(argv[i], "--trace-dir") == 0 && i + 1 < argc)
            trace_dir = argv[++i];
        else if (strcmp(argv[i], "--tsv") == 0)
            tsv = true;
        else
            die_usage("list: unknown option '%s'", argv[i]);
    }
    if (tsv) {
        /* For scripts: "NAME<TAB>ok<TAB>PRELOAD<TAB>ENV" or "NAME<TAB>skipped<TAB>REASON<TAB>ENV"
         * (ENV: the configuration's fixed setting, e.g. MINI_MMAP_DYNAMIC=1, or "-"). */
        for (int i = 0; runner_alloc_names[i] != NULL; i++) {
            struct runner_alloc a;
            runner_alloc_lookup(runner_alloc_names[i], self_dir, NULL, &a);
            printf("%s\t%s\t%s\t%s\n", a.name, a.available ? "ok" : "skipped",
                   a.available ? (a.preload[0] ? a.preload : "-") : a.reason, a.env ? a.env : "-");
        }
        return 0;
    }
    printf("allocators:\n");
    for (int i = 0; runner_alloc_names[i] != NULL; i++) {
        struct runner_alloc a;
        runner_alloc_lookup(runner_alloc_names[i], self_dir, NULL, &a);
        if (a.available)
            printf("  %-10s %-12s %s\n", a.name, a.version,
                   a.preload[0] ? a.preload : "(no preload: the C library's malloc)");
        else
            printf("  %-10s skipped: %s\n", a.name, a.reason);
    }
    printf("workloads:\n");
    list_workloads(wl_path_default(wl_path), trace_dir_default(trace_dir));
    return 0;
}

static int cmd_machine(int argc, char **argv)
{
    const char *out = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else
            die_usage("machine: unknown option '%s'", argv[i]);
    }
    FILE *f = out ? fopen(out, "we") : stdout;
    if (f == NULL) {
        fprintf(stderr, "%s: %s: %s\n", RUNNER_NAME, out, strerror(errno));
        return 1;
    }
    int rc = runner_machine_json(f, self_dir);
    if (out)
        rc |= fclose(f);
    return rc ? 1 : 0;
}

static double parse_num(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi)
        die_usage("%s: '%s' is not a number in [%g, %g]", opt, s, lo, hi);
    return v;
}

static int cmd_run(int argc, char **argv)
{
    struct runner_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.scale = 1.0;
    cfg.threads = -1;
    cfg.sample_ms = 10;
    cfg.timeout_s = 900;
    cfg.reps = 1;
    const char *alloc_name = NULL, *wl_path = NULL, *real_dir = NULL, *trace_dir = NULL;
    int reps = 3;

    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--") == 0) {
            for (i++; i < argc; i++) {
                if (cfg.nextra_args >= RUNNER_MAX_EXTRA)
                    die_usage("too many workload arguments (at most %d)", RUNNER_MAX_EXTRA);
                cfg.extra_args[cfg.nextra_args++] = argv[i];
            }
            break;
        }
        if (strcmp(o, "--quiet") == 0) {
            cfg.quiet = true;
            continue;
        }
        static const char *const with_value[] = {
            "--workload", "--alloc",     "--scale",    "--threads", "--reps",
            "--out",      "--sample-ms", "--timeout",  "--env",     "--wl-path",
            "--real-dir", "--trace-dir", "--progress", NULL};
        bool known = false;
        for (int k = 0; with_value[k] != NULL; k++)
            known |= strcmp(o, with_value[k]) == 0;
        if (!known)
            die_usage("run: unknown option '%s'", o);
        if (i + 1 >= argc)
            die_usage("option '%s' needs a value", o);
        const char *v = argv[++i];
        if (strcmp(o, "--workload") == 0) {
            if (!valid_name(v))
                die_usage("unknown workload '%s' (names are [a-z0-9_-]+)", v);
            cfg.workload = v;
        } else if (strcmp(o, "--alloc") == 0) {
            alloc_name = v;
        } else if (strcmp(o, "--scale") == 0) {
            cfg.scale = parse_num(o, v, 1e-6, 1e6);
        } else if (strcmp(o, "--threads") == 0) {
            cfg.threads = (int)parse_num(o, v, 1, 1024);
        } else if (strcmp(o, "--reps") == 0) {
            reps = (int)parse_num(o, v, 1, 1000);
        } else if (strcmp(o, "--out") == 0) {
            cfg.out_dir = v;
        } else if (strcmp(o, "--sample-ms") == 0) {
            cfg.sample_ms = (int)parse_num(o, v, 0, 10000);
        } else if (strcmp(o, "--timeout") == 0) {
            cfg.timeout_s = (int)parse_num(o, v, 0, 86400);
        } else if (strcmp(o, "--env") == 0) {
            if (strchr(v, '=') == NULL || v[0] == '=')
                die_usage("--env: '%s' is not NAME=VALUE", v);
            if (cfg.nextra_env >= RUNNER_MAX_EXTRA)
                die_usage("too many --env settings (at most %d)", RUNNER_MAX_EXTRA);
            cfg.extra_env[cfg.nextra_env++] = (char *)v;
        } else if (strcmp(o, "--wl-path") == 0) {
            wl_path = v;
        } else if (strcmp(o, "--real-dir") == 0) {
            real_dir = v;
        } else if (strcmp(o, "--trace-dir") == 0) {
            trace_dir = v;
        } else if (strcmp(o, "--progress") == 0) {
            if (sscanf(v, "%d/%d", &cfg.progress_index, &cfg.progress_total) != 2 ||
                cfg.progress_index < 1 || cfg.progress_total < cfg.progress_index)
                die_usage("--progress: '%s' is not I/T with 1 <= I <= T", v);
        }
    }
    if (cfg.workload == NULL)
        die_usage("run: --workload NAME is required");
    if (alloc_name == NULL)
        die_usage("run: --alloc NAME is required");

    struct runner_alloc alloc;
    if (!runner_alloc_lookup(alloc_name, self_dir, cfg.extra_env, &alloc)) {
        char known[256] = "";
        for (int i = 0; runner_alloc_names[i] != NULL; i++) {
            size_t n = strlen(known);
            snprintf(known + n, sizeof(known) - n, "%s%s", i ? ", " : "", runner_alloc_names[i]);
        }
        die_usage("unknown allocator '%s' (known: %s)", alloc_name, known);
    }
    const char *path = wl_path_default(wl_path);
    if (!find_workload(path, cfg.workload, cfg.wl_path, sizeof(cfg.wl_path))) {
        char disp[PATH_MAX], disp2[PATH_MAX], disp3[PATH_MAX];
        const char *rd = real_dir_default(real_dir), *td = trace_dir_default(trace_dir);
        cfg.trace = find_trace(td, cfg.workload, cfg.trace_plan, sizeof(cfg.trace_plan),
                               cfg.wl_path, sizeof(cfg.wl_path));
        if (!cfg.trace)
            cfg.real = find_real(rd, cfg.workload, cfg.wl_path, sizeof(cfg.wl_path));
        if (!cfg.trace && !cfg.real)
            die_usage("unknown workload '%s' (no executable wl-%s in %s, no %s.plan in %s, no "
                      "%s.cmd in %s)",
                      cfg.workload, cfg.workload,
                      strchr(path, ':') ? path : runner_display_path(path, disp, sizeof(disp)),
                      cfg.workload, runner_display_path(td, disp3, sizeof(disp3)), cfg.workload,
                      runner_display_path(rd, disp2, sizeof(disp2)));
    }
    cfg.alloc = &alloc;
    if (cfg.out_dir != NULL && mkdir(cfg.out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: --out %s: %s\n", RUNNER_NAME, cfg.out_dir, strerror(errno));
        return RUNNER_EXIT_USAGE;
    }
    if (cfg.out_dir != NULL && runner_record_check(cfg.out_dir) != 0)
        return RUNNER_EXIT_USAGE;
    if (!alloc.available) {
        printf("%s x %s: skipped: %s\n", cfg.workload, alloc.name, alloc.reason);
        runner_record_skip(cfg.out_dir, "allocator", cfg.workload, alloc.name, alloc.reason);
        return RUNNER_EXIT_SKIPPED;
    }

    char why[200];
    runner_perf_init(why, sizeof(why)); /* the reason reaches every run's hw note */
    runner_spawn_install_signals();
    int failed = 0, skipped = 0;
    cfg.reps = reps;
    for (int rep = 1; rep <= reps; rep++) {
        cfg.rep = rep;
        if (!cfg.quiet) {
            if (cfg.progress_total > 0)
                printf("[%d/%d] ", cfg.progress_index + rep - 1, cfg.progress_total);
            printf("%s x %s, run %d/%d ... ", cfg.workload, alloc.name, rep, reps);
            fflush(stdout);
        }
        struct runner_result *r = calloc(1, sizeof(*r));
        if (r == NULL || runner_spawn_run(&cfg, r) != 0) {
            free(r);
            return RUNNER_EXIT_RUN_FAILED;
        }
        runner_record_console(&cfg, r);
        if (runner_record_run(&cfg, r) != 0)
            failed++;
        if (r->skipped)
            skipped++;
        else if (!r->ok)
            failed++;
        runner_sampler_free(&r->smp);
        free(r);
        if (runner_interrupted) {
            fprintf(stderr, "%s: interrupted\n", RUNNER_NAME);
            return 128 + runner_interrupted;
        }
    }
    return failed ? RUNNER_EXIT_RUN_FAILED : skipped ? RUNNER_EXIT_SKIPPED : RUNNER_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (runner_self_dir(self_dir, sizeof(self_dir)) != 0)
        snprintf(self_dir, sizeof(self_dir), "build/bin");
    if (argc < 2) {
        fputs(usage_text, stderr);
        return RUNNER_EXIT_USAGE;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(argv[1], "list") == 0)
        return cmd_list(argc - 2, argv + 2);
    if (strcmp(argv[1], "machine") == 0)
        return cmd_machine(argc - 2, argv + 2);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    die_usage("unknown command '%s' (run, list, machine)", argv[1]);
}
