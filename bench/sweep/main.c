/*
 * main.c — mini-sweep: options, the safety checks, the groups of configurations and the loop
 * over runs (sweep.h has the picture).
 *
 *   mini-sweep [--profile reduced|full] [--out DIR] [options]     (--help lists them)
 *
 * Exit status: 0 done; 1 some run failed or crashed (the files are still written); 2 bad input;
 * 77 refused (not root, no cgroup v1 memory controller with memsw, swap cannot be created,
 * another experiment holds the settings journal): one line "mini-sweep: refused: REASON" and
 * session.json with state "refused". Killed by SIGINT/SIGTERM: the settings are restored by
 * vmctl's handler first, and session.json keeps the state "running". Killed by SIGKILL: the
 * settings stay changed until the next experiment starts (or `mini-sweep --restore`) and
 * replays the journal.
 */
#include "bench/sweep/sweep.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "bench/vmctl/vmctl.h"
#include "bench/vmctl/vmprobe.h"

static struct sweep S;
static double t_start;

double sw_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static _Noreturn void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mini-sweep: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static const char *const help =
    "usage: mini-sweep [OPTIONS]\n"
    "\n"
    "The overcommit / swappiness sweep (root): every configuration x workload x allocator runs\n"
    "for real in a memory cgroup (or under global pressure) and through the kernel model.\n"
    "\n"
    "  --profile reduced|full   reduced (default): 9 configurations, L = 128 MiB, 4 workloads;\n"
    "                           full: overcommit {0,1,2} x swappiness {0,60,100,200} x swap\n"
    "                           {1G, none} + 2 global, L = 256 MiB, 7 workloads\n"
    "  --out DIR                results directory (default results/sweep)\n"
    "  --bin DIR                wl-*, kmodel, ../lib/libmini-preload.so (default: this program's)\n"
    "  --wl-path DIR            look for wl-* programs here first\n"
    "  --kmodel PATH            the model (default BIN/kmodel); --no-model: real runs only\n"
    "  --calibration FILE       passed to kmodel (default results/calibration.json if present)\n"
    "  --allocs LIST            allocators (default glibc,jemalloc,libmini)\n"
    "  --workloads LIST         anon-over,file-anon,overask-cg,overask-avail,overask-ram,\n"
    "                           overask-ram-touched,phase\n"
    "  --oc LIST, --swappiness LIST, --swaps LIST (none,1G), --global yes|no\n"
    "                           replace one axis of the profile's configurations\n"
    "  --limit SIZE             the memory cgroup's limit L (128M reduced, 256M full)\n"
    "  --swap-size SIZE         the swap file of the profile's swap configurations (1G)\n"
    "  --ratio N                vm.overcommit_ratio in mode 2 (default 50)\n"
    "  --reserve SIZE           commit room mode 2 must leave the rest of the machine\n"
    "                           (default max(2G, MemTotal/8)); less: mode 2 runs refused\n"
    "  --squeeze-free SIZE      free memory left by the hugetlb squeeze of global runs (1G)\n"
    "  --timeout S              per run (60 reduced, 120 full); --budget S for the whole sweep\n"
    "  --journal PATH           the settings journal (default " VMCTL_DEFAULT_JOURNAL ")\n"
    "  --dry-run                plan, write the scenarios and run the model; no real run\n"
    "  --restore                only put back what an experiment killed by SIGKILL left changed\n"
    "                           (replays the journal; every sweep also does so when it starts)\n";

static uint64_t parse_size(const char *opt, const char *v)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    uint64_t mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        mul = SW_MIB, end++;
    else if (*end == 'G' || *end == 'g')
        mul = SW_GIB, end++;
    if (end == v || *end != '\0' || errno || x <= 0 || x * (double)mul > 1e15)
        usage_error("bad size for %s: '%s' (want e.g. 256M, 1G)", opt, v);
    return (uint64_t)(x * (double)mul) & ~4095ULL;
}

static int parse_int(const char *opt, const char *v, int lo, int hi)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0' || errno || x < lo || x > hi)
        usage_error("bad value for %s: '%s' (want %d..%d)", opt, v, lo, hi);
    return (int)x;
}

static void clean_out(void)
{
    char p[700];
    static const char *const files[] = {"runs.csv", "compare.csv", "session.json", "refused.txt"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", S.out, files[i]);
        unlink(p);
    }
    char cmd[1600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/logs' '%s/model'", S.out, S.out);
    if (strchr(S.out, '\'') == NULL && system(cmd) != 0)
        fprintf(stderr, "mini-sweep: cannot clean %s\n", S.out);
    snprintf(p, sizeof(p), "%s/logs", S.out);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/model", S.out);
    mkdir(p, 0755);
}

static _Noreturn void refuse(const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    vmctl_restore();
    fprintf(stderr, "mini-sweep: refused: %s\n", why);
    sw_out_close();
    sw_out_session(&S, "refused", sw_now() - t_start, 0, 0, 0, why);
    char p[700];
    snprintf(p, sizeof(p), "%s/refused.txt", S.out);
    FILE *f = fopen(p, "we");
    if (f) {
        fprintf(f, "%s\n", why);
        fclose(f);
    }
    exit(77);
}

static bool file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* The hugetlb squeeze of global runs: reserve huge pages until about squeeze_free is left
 * (which also makes this VM's lazy memory init hand all its memory to the buddy allocator). */
static int squeeze(char *why, size_t len)
{
    long long free_kb = vmprobe_meminfo_kb("MemFree");
    long long hp = (free_kb * 1024 - (long long)S.squeeze_free) / (2LL << 20);
    if (hp <= 0) {
        snprintf(why, len, "free memory (%lld MiB) is already below the squeeze target",
                 free_kb / 1024);
        return -1;
    }
    char val[32];
    snprintf(val, sizeof(val), "%lld", hp);
    if (vmctl_sysctl("vm.nr_hugepages", val) != 0) {
        snprintf(why, len, "vm.nr_hugepages: %s", vmctl_error());
        return -1;
    }
    long long got = vmprobe_read_num("/proc/sys/vm/nr_hugepages");
    sleep(1);
    printf("mini-sweep: squeeze: %lld of %lld huge pages reserved, MemFree %lld MiB\n", got, hp,
           vmprobe_meminfo_kb("MemFree") / 1024);
    return 0;
}

static void progress(const struct sw_run *r, const char *lab)
{
    printf("[%d/%d] %s %s x %s ... ", r->idx, r->total, lab, r->wl->name, r->alloc->name);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    t_start = sw_now();
    const char *profile = "reduced", *allocs = "glibc,jemalloc,libmini";
    const char *axis[5][2] = {
        {"oc", NULL}, {"swappiness", NULL}, {"swaps", NULL}, {"global", NULL}, {"workloads", NULL}};
    uint64_t limit = 0, swap_size = SW_GIB, reserve = 0;
    int timeout = 0, budget = 0;
    bool restore_only = false;
    S.out = "results/sweep";
    S.ratio = 50;
    S.model = true;
    S.squeeze_free = SW_GIB;
    S.journal = VMCTL_DEFAULT_JOURNAL;
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    snprintf(S.bin, sizeof(S.bin), "%s", n > 0 ? dirname(exe) : ".");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(help, stdout);
            return 0;
        }
        if (strcmp(a, "--no-model") == 0) {
            S.model = false;
            continue;
        }
        if (strcmp(a, "--dry-run") == 0) {
            S.dry_run = true;
            continue;
        }
        if (strcmp(a, "--restore") == 0) {
            restore_only = true;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            usage_error("unexpected argument '%s' (try --help)", a);
        if (i + 1 >= argc)
            usage_error("option '%s' needs a value", a);
        const char *v = argv[++i];
        if (strcmp(a, "--profile") == 0)
            profile = v;
        else if (strcmp(a, "--out") == 0)
            S.out = v;
        else if (strcmp(a, "--bin") == 0)
            snprintf(S.bin, sizeof(S.bin), "%s", v);
        else if (strcmp(a, "--wl-path") == 0)
            S.wl_path = v;
        else if (strcmp(a, "--kmodel") == 0)
            S.kmodel = v;
        else if (strcmp(a, "--calibration") == 0)
            S.calibration = v;
        else if (strcmp(a, "--journal") == 0)
            S.journal = v;
        else if (strcmp(a, "--allocs") == 0)
            allocs = v;
        else if (strcmp(a, "--oc") == 0)
            axis[0][1] = v;
        else if (strcmp(a, "--swappiness") == 0)
            axis[1][1] = v;
        else if (strcmp(a, "--swaps") == 0)
            axis[2][1] = v;
        else if (strcmp(a, "--global") == 0)
            axis[3][1] = v;
        else if (strcmp(a, "--workloads") == 0)
            axis[4][1] = v;
        else if (strcmp(a, "--limit") == 0)
            limit = parse_size(a, v);
        else if (strcmp(a, "--swap-size") == 0)
            swap_size = parse_size(a, v);
        else if (strcmp(a, "--ratio") == 0)
            S.ratio = parse_int(a, v, 1, 100);
        else if (strcmp(a, "--reserve") == 0)
            reserve = parse_size(a, v);
        else if (strcmp(a, "--squeeze-free") == 0)
            S.squeeze_free = parse_size(a, v);
        else if (strcmp(a, "--timeout") == 0)
            timeout = parse_int(a, v, 1, 3600);
        else if (strcmp(a, "--budget") == 0)
            budget = parse_int(a, v, 1, 86400);
        else
            usage_error("unknown option '%s' (try --help)", a);
    }
    if (restore_only) {
        /* vmctl_begin() replays a journal left non-empty by a killed experiment. */
        struct stat st;
        bool stale = stat(S.journal, &st) == 0 && st.st_size > 0;
        if (geteuid() != 0) {
            fprintf(stderr, "mini-sweep: refused: --restore needs root\n");
            return 77;
        }
        if (vmctl_begin(S.journal) != 0) {
            fprintf(stderr, "mini-sweep: refused: %s\n", vmctl_error());
            return 77;
        }
        vmctl_restore();
        printf(stale ? "mini-sweep: restored the settings an interrupted experiment left (%s)\n"
                     : "mini-sweep: nothing to restore (%s is empty)\n",
               S.journal);
        return 0;
    }
    char err[512];
    S.swap_size = swap_size;
    if (sw_plan_profile(&S, profile, err, sizeof(err)) != 0)
        usage_error("--profile: %s", err);
    for (int k = 0; k < 5; k++)
        if (axis[k][1] && sw_plan_list(&S, axis[k][0], axis[k][1], err, sizeof(err)) != 0)
            usage_error("%s", err);
    if (limit)
        S.limit = limit;
    if (timeout)
        S.timeout_s = timeout;
    if (budget)
        S.budget_s = budget;
    char abuf[256];
    snprintf(abuf, sizeof(abuf), "%s", allocs);
    for (char *t = strtok(abuf, ","); t; t = strtok(NULL, ",")) {
        if (strcmp(t, "glibc") && strcmp(t, "jemalloc") && strcmp(t, "libmini") &&
            strcmp(t, "mimalloc") && strcmp(t, "tcmalloc"))
            usage_error("--allocs: unknown allocator '%s' (glibc, jemalloc, libmini, mimalloc, "
                        "tcmalloc)",
                        t);
        sw_alloc_lookup(&S, strdup(t));
    }
    if (S.nalloc == 0 || S.nwl == 0 || S.ncfg == 0)
        usage_error("nothing to run (no allocator, workload or configuration)");
    static char kmodel_path[600], cal[600];
    if (S.kmodel == NULL) {
        snprintf(kmodel_path, sizeof(kmodel_path), "%s/kmodel", S.bin);
        S.kmodel = kmodel_path;
    }
    if (S.calibration == NULL && file_exists("results/calibration.json")) {
        char *rp = realpath("results/calibration.json", NULL);
        snprintf(cal, sizeof(cal), "%s", rp ? rp : "results/calibration.json");
        free(rp);
        S.calibration = cal;
    }
    S.memtotal_kb = (uint64_t)vmprobe_meminfo_kb("MemTotal");
    vmprobe_zone_managed(S.zone_managed);
    S.committed0_kb = vmprobe_meminfo_kb("Committed_AS");
    S.reserve =
        reserve ? reserve : (2 * SW_GIB > S.memtotal_kb * 128 ? 2 * SW_GIB : S.memtotal_kb * 128);
    S.file_path = "/var/tmp/libmini-sweep.data";
    S.swap_path = "/var/tmp/libmini-sweep.swap";

    /* mkdir -p */
    char dir[600];
    snprintf(dir, sizeof(dir), "%s", S.out);
    for (char *q = dir + 1; *q; q++)
        if (*q == '/') {
            *q = '\0';
            mkdir(dir, 0755);
            *q = '/';
        }
    if (mkdir(S.out, 0755) != 0 && errno != EEXIST)
        usage_error("--out %s: %s", S.out, strerror(errno));
    clean_out();
    if (sw_out_open(&S) != 0)
        usage_error("--out %s: cannot write there", S.out);
    sw_out_session(&S, "running", 0, 0, 0, 0, NULL);

    /* Safety checks: refuse clearly, before anything changes (a dry run changes nothing). */
    if (geteuid() != 0 && !S.dry_run)
        refuse("needs root (it sets vm.overcommit_memory, vm.overcommit_ratio, swappiness, swap "
               "and memory cgroups); run it as root");
    if (!S.dry_run && (!file_exists("/sys/fs/cgroup/memory/memory.limit_in_bytes") ||
                       !file_exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")))
        refuse("no cgroup v1 memory controller with memsw at /sys/fs/cgroup/memory");
    if (S.model && access(S.kmodel, X_OK) != 0) {
        fprintf(stderr, "mini-sweep: %s not found: the model side is skipped\n", S.kmodel);
        S.model = false;
    }
    bool need_swap = false;
    for (int i = 0; i < S.ncfg; i++)
        need_swap |= S.cfgs[i].swap > 0;
    if (need_swap && !S.dry_run) {
        struct statvfs fs;
        char dir[600];
        snprintf(dir, sizeof(dir), "%s", S.swap_path);
        if (statvfs(dirname(dir), &fs) != 0)
            refuse("swap cannot be created: %s: %s", S.swap_path, strerror(errno));
        uint64_t avail = (uint64_t)fs.f_bavail * fs.f_frsize;
        if (avail < S.swap_size + 512 * SW_MIB)
            refuse("swap cannot be created: %llu MiB free on the file system of %s, %llu MiB "
                   "needed",
                   (unsigned long long)(avail / SW_MIB), S.swap_path,
                   (unsigned long long)((S.swap_size + 512 * SW_MIB) / SW_MIB));
        if (system("command -v mkswap >/dev/null 2>&1") != 0)
            refuse("swap cannot be created: mkswap is not installed (util-linux)");
    }
    if (!S.dry_run && vmctl_begin(S.journal) != 0)
        refuse("%s", vmctl_error());
    long long swap_before = vmprobe_meminfo_kb("SwapTotal");

    bool need_file = false;
    for (int i = 0; i < S.nwl; i++)
        need_file |= S.wls[i]->kind == K_FILE_ANON;
    if (need_file && !S.dry_run) {
        struct sw_size z;
        struct sw_cfg c0 = {0, 60, 0, false};
        sw_sizes(&S, &c0, sw_wl_find("file-anon"), &z);
        if (vmctl_tmpfile(S.file_path) != 0 || vmprobe_make_file(S.file_path, z.file, 0x5a) != 0)
            refuse("cannot write the data file %s", S.file_path);
    }

    /* Count the runs. */
    int total = 0;
    for (int i = 0; i < S.ncfg; i++)
        for (int w = 0; w < S.nwl; w++)
            if ((S.wls[w]->oc_mask >> S.cfgs[i].oc & 1) &&
                (S.cfgs[i].global ? S.wls[w]->global : S.wls[w]->cgroup))
                total += S.nalloc;
    printf("mini-sweep: profile %s: %d configurations, %d runs, L = %llu MiB, out %s%s\n",
           S.profile, S.ncfg, total, (unsigned long long)(S.limit / SW_MIB), S.out,
           S.model ? "" : " (no model)");
    sw_out_session(&S, "running", sw_now() - t_start, total, 0, 0, NULL);

    long swap_mark = -1, squeeze_mark = -1;
    uint64_t cur_swap = UINT64_MAX;
    int cur_global = -1;
    char swap_skip[512] = "", squeeze_skip[512] = "";
    int idx = 0, done = 0, failed = 0;
    for (int i = 0; i < S.ncfg; i++) {
        const struct sw_cfg *c = &S.cfgs[i];
        char lab[96];
        sw_cfg_label(c, lab, sizeof(lab));
        if (!S.dry_run && (c->swap != cur_swap || (int)c->global != cur_global)) {
            if (c->swap != cur_swap) {
                if (swap_mark >= 0)
                    vmctl_restore_to(swap_mark);
                swap_mark = vmctl_mark();
                squeeze_mark = -1;
                swap_skip[0] = '\0';
                if (c->swap == 0 && swap_before > 0)
                    snprintf(swap_skip, sizeof(swap_skip),
                             "the machine already has %lld kB of swap: no swap-less runs",
                             swap_before);
                if (c->swap > 0) {
                    printf("mini-sweep: swap file %s of %llu MiB ...\n", S.swap_path,
                           (unsigned long long)(c->swap / SW_MIB));
                    fflush(stdout);
                    if (vmctl_swapfile(S.swap_path, c->swap) != 0)
                        refuse("swap cannot be created: %s", vmctl_error());
                }
                cur_swap = c->swap;
                cur_global = -1;
            }
            if ((int)c->global != cur_global) {
                if (squeeze_mark >= 0)
                    vmctl_restore_to(squeeze_mark);
                squeeze_mark = vmctl_mark();
                squeeze_skip[0] = '\0';
                if (c->global) {
                    char why[400];
                    if (squeeze(why, sizeof(why)) != 0)
                        snprintf(squeeze_skip, sizeof(squeeze_skip),
                                 "global pressure cannot be made: %s", why);
                }
                cur_global = c->global;
            }
        }
        for (int w = 0; w < S.nwl; w++) {
            const struct sw_wl *wl = S.wls[w];
            if (!(wl->oc_mask >> c->oc & 1) || !(c->global ? wl->global : wl->cgroup))
                continue;
            struct sw_run first[2];
            bool have_model[2] = {false, false};
            /* Memory-cgroup runs: one size for every allocator. Global runs size themselves on
             * MemAvailable just before each run (a run leaves the machine with more free memory
             * than it found: others' pages in swap, page cache dropped), so that each allocator
             * meets the same pressure: 512 MiB more than the machine can give at that moment. */
            struct sw_size z0;
            sw_sizes(&S, c, wl, &z0);
            for (int a = 0; a < S.nalloc; a++) {
                struct sw_run r;
                memset(&r, 0, sizeof(r));
                r.idx = ++idx;
                r.total = total;
                r.cfg = c;
                r.wl = wl;
                r.alloc = &S.allocs[a];
                r.model = O_NONE;
                r.size = z0;
                if (c->global && a > 0)
                    sw_sizes(&S, c, wl, &r.size);
                progress(&r, lab);
                const char *why = c->swap == 0 && swap_skip[0]   ? swap_skip
                                  : c->global && squeeze_skip[0] ? squeeze_skip
                                                                 : NULL;
                if (why) {
                    r.real = O_SKIPPED;
                    snprintf(r.status, sizeof(r.status), "skipped");
                    snprintf(r.note, sizeof(r.note), "%s", why);
                } else if (sw_now() - t_start > S.budget_s) {
                    r.real = O_SKIPPED;
                    snprintf(r.status, sizeof(r.status), "skipped");
                    snprintf(r.note, sizeof(r.note), "the sweep's time budget of %d s is spent",
                             S.budget_s);
                } else {
                    /* The model: once per configuration and workload for memory-cgroup runs
                     * (allocator-independent, but for jemalloc's MAP_NORESERVE), per run for
                     * global ones (the machine's state at that moment is in the scenario). */
                    int k = sw_model_noreserve(&r);
                    if (S.model && (c->global || !have_model[k])) {
                        sw_run_model(&S, &r);
                        first[k] = r;
                        have_model[k] = true;
                    } else if (S.model) {
                        r.model = first[k].model;
                        r.m = first[k].m;
                        snprintf(r.scen, sizeof(r.scen), "%s", first[k].scen);
                    }
                    sw_run_real(&S, &r);
                }
                if (r.real != O_SKIPPED)
                    done++;
                if (r.real == O_FAILED || r.real == O_CRASH || r.real == O_TIMEOUT)
                    failed++;
                if (r.real == O_SKIPPED)
                    printf("skipped: %s\n", r.note);
                else
                    printf("%s (%s) %.1f s, model %s%s%s\n", sw_outcome_names[r.real], r.status,
                           r.r.v[Q_TIME_S], sw_outcome_names[r.model], r.note[0] ? "; " : "",
                           r.note);
                fflush(stdout);
                sw_out_run(&S, &r);
            }
        }
    }
    vmctl_restore();
    sw_out_close();
    double secs = sw_now() - t_start;
    sw_out_session(&S, "done", secs, total, done, failed, NULL);
    printf("mini-sweep: %d runs, %d done, %d failed, %.0f s; results in %s/\n", total, done, failed,
           secs, S.out);
    return failed ? 1 : 0;
}
