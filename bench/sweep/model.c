/*
 * model.c — the kernel model's side of a run: a scenario written from the run's parameters
 * (results/sweep/model/NNN-WORKLOAD.scen), `kmodel --json` on it (NNN-WORKLOAD.json), and the
 * predicted outcome and counters read back.
 *
 *   machine   this machine: MemTotal, managed pages per zone, cpus, the swap file, the
 *             Committed_AS of everything else (committed_base), min_free_kbytes and
 *             watermark_scale_factor; global runs add the hugetlb pool, the kernel's memory,
 *             and a process "others" holding the machine's anonymous memory and page cache
 *             (as kmodel-validate's E6 does), then `print vmstat`: counters are taken as the
 *             difference from that point
 *   sysctl    vm.overcommit_memory, vm.overcommit_ratio, vm.swappiness
 *   cgroup    sweep: limit L (global: max) and swappiness S
 *   process   w: the workload's memory operations, allocator-independent: one anonymous
 *             mapping of the workload's size (exit-on-fail: a NULL malloc ends the program),
 *             written once and then read and rewritten per pass, the file read with read(2)
 *
 * What the model leaves out: the allocator (its headers, heap layout, purging and the mmap
 * threshold); the phase workload is modelled as an allocator that returns every freed page.
 * One allocator trait is in: jemalloc reads vm.overcommit_memory at start and maps everything
 * with MAP_NORESERVE unless it is 2 (strace shows it), which the overcommit heuristic of mode 0
 * does not charge: its scenarios say `noreserve`.
 */
#include "bench/sweep/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/vmctl/vmprobe.h"

bool sw_model_noreserve(const struct sw_run *r)
{
    return strcmp(r->alloc->name, "jemalloc") == 0 && r->cfg->oc != 2;
}

int sw_write_scenario(const struct sweep *s, const struct sw_run *r, const char *path)
{
    const struct sw_cfg *c = r->cfg;
    const struct sw_size *z = &r->size;
    FILE *f = fopen(path, "we");
    if (f == NULL)
        return -1;
    char lab[96];
    fprintf(f, "# mini-sweep run %d: %s, %s (allocator-independent)\n# %s\n", r->idx,
            sw_cfg_label(c, lab, sizeof(lab)), r->wl->name, r->wl->what);
    long long committed = vmprobe_meminfo_kb("Committed_AS");
    fprintf(f,
            "machine ram=%lluK swap=%lluK cpus=%ld zone.dma=%llu zone.dma32=%llu "
            "zone.normal=%llu committed_base=%lldK",
            (unsigned long long)s->memtotal_kb, (unsigned long long)(c->swap / 1024),
            sysconf(_SC_NPROCESSORS_ONLN), (unsigned long long)s->zone_managed[0],
            (unsigned long long)s->zone_managed[1], (unsigned long long)s->zone_managed[2],
            committed > 0 ? committed : 0);
    long long anon_kb = 0, cache_kb = 0;
    if (c->global) {
        uint64_t managed[3] = {0, 0, 0};
        vmprobe_zone_managed(managed);
        long long hp = vmprobe_read_num("/proc/sys/vm/nr_hugepages");
        long long free_kb = vmprobe_meminfo_kb("MemFree");
        anon_kb = vmprobe_meminfo_kb("AnonPages");
        cache_kb = vmprobe_meminfo_kb("Cached");
        long long total_kb = (long long)(managed[0] + managed[1] + managed[2]) * 4;
        long long kernel_kb = total_kb - (free_kb + anon_kb + cache_kb + (hp > 0 ? hp : 0) * 2048);
        fprintf(f, " hugepages=%lld kernel=%lldK", hp > 0 ? hp : 0, kernel_kb > 0 ? kernel_kb : 0);
    }
    fprintf(f,
            "\nsysctl vm.overcommit_memory=%d vm.overcommit_ratio=%d vm.swappiness=%lld "
            "vm.min_free_kbytes=%lld vm.watermark_scale_factor=%lld\n",
            c->oc, c->oc == 2 ? s->ratio : (int)vmprobe_read_num("/proc/sys/vm/overcommit_ratio"),
            c->global ? (long long)c->swappiness : vmprobe_read_num("/proc/sys/vm/swappiness"),
            vmprobe_read_num("/proc/sys/vm/min_free_kbytes"),
            vmprobe_read_num("/proc/sys/vm/watermark_scale_factor"));
    if (c->global) {
        fprintf(f, "cgroup sweep limit=max swappiness=%d\n", c->swappiness);
        fprintf(f, "# The rest of the machine, idle: its anonymous memory and page cache.\n");
        fprintf(f, "process others\n");
        if (anon_kb > 0)
            fprintf(f, "others mmap a %lldK nohugepage\nothers touch a write\n", anon_kb);
        if (cache_kb > 0)
            fprintf(f, "file cache %lldK\nothers read cache\n", cache_kb + 4);
        fprintf(f, "sleep 10s\nprint vmstat\n");
        fprintf(f, "process w cgroup=sweep oom_score_adj=1000\n");
    } else {
        fprintf(f, "cgroup sweep limit=%lluK swappiness=%d\n",
                (unsigned long long)(s->limit / 1024), c->swappiness);
        fprintf(f, "process w cgroup=sweep\n");
    }
    unsigned long long b = (unsigned long long)z->bytes;
    const char *nr = sw_model_noreserve(r) ? " noreserve" : "";
    if (*nr)
        fprintf(f, "# jemalloc maps with MAP_NORESERVE when vm.overcommit_memory is 0 or 1.\n");
    switch (r->wl->kind) {
    case K_ANON_OVER:
        /* Pass 1 writes; each later pass reads every page back and rewrites it; the pages
         * are read once more before they are freed (the workload's final check). */
        fprintf(f, "w mmap heap %llu nohugepage exit-on-fail%s\nw touch heap write\n", b, nr);
        if (z->passes > 1)
            fprintf(f, "repeat %d\n  w touch heap rw\nend\n", z->passes - 1);
        fprintf(f, "w touch heap read\n");
        break;
    case K_FILE_ANON:
        fprintf(f, "file data %llu\n", (unsigned long long)z->file);
        fprintf(f, "w mmap heap %llu nohugepage exit-on-fail%s\nw touch heap write\nw read data\n",
                b, nr);
        if (z->passes > 1)
            fprintf(f, "repeat %d\n  w touch heap rw\n  w read data\nend\n", z->passes - 1);
        fprintf(f, "w touch heap read\n");
        break;
    case K_PHASE: {
        unsigned long long freed = (b * 9 / 10) & ~4095ULL;
        fprintf(f, "# An allocator that returns every freed page: grow, free 90 %%, grow again.\n");
        fprintf(f, "w mmap heap %llu nohugepage exit-on-fail%s\nw touch heap write\n", b, nr);
        fprintf(f, "w madvise heap 0 %llu dontneed\nsleep 300ms\nw touch heap 0 %llu write\n",
                freed, freed);
        fprintf(f, "w touch heap read\n");
        break;
    }
    default:
        fprintf(f, "w mmap m %llu nohugepage exit-on-fail%s\n", b, nr);
        if (z->touch)
            fprintf(f, "w touch m write\n");
        break;
    }
    return fclose(f);
}

/* Reads a whole small file (the model's JSON) into a malloc'd string. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* Runs kmodel on the scenario, stdout to json, bounded in time; returns its exit status. */
static int run_kmodel(const struct sweep *s, const char *scen, const char *json, const char *err)
{
    int out = open(json, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int errfd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0 || errfd < 0) {
        if (out >= 0)
            close(out);
        if (errfd >= 0)
            close(errfd);
        return -1;
    }
    char *argv[8];
    int a = 0;
    argv[a++] = (char *)s->kmodel;
    argv[a++] = "--json";
    if (s->calibration) {
        argv[a++] = "--calibration";
        argv[a++] = (char *)s->calibration;
    }
    argv[a++] = (char *)scen;
    argv[a] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out, 1);
        dup2(errfd, 2);
        execv(s->kmodel, argv);
        _exit(127);
    }
    close(out);
    close(errfd);
    if (pid < 0)
        return -1;
    int st = 0;
    double t0 = sw_now();
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return -1;
        if (sw_now() - t0 > 300) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -2;
        }
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void note(struct sw_run *r, const char *m)
{
    size_t n = strlen(r->note);
    snprintf(r->note + n, sizeof(r->note) - n, "%s%s", n ? "; " : "", m);
}

int sw_run_model(const struct sweep *s, struct sw_run *r)
{
    memset(&r->m, 0, sizeof(r->m));
    r->model = O_NONE;
    char base[128], scen[700], json[700], err[700];
    snprintf(base, sizeof(base), "model/%03d-%.60s", r->idx, r->wl->name);
    snprintf(r->scen, sizeof(r->scen), "%s.scen", base);
    snprintf(scen, sizeof(scen), "%s/%s.scen", s->out, base);
    snprintf(json, sizeof(json), "%s/%s.json", s->out, base);
    snprintf(err, sizeof(err), "%s/%s.err", s->out, base);
    if (sw_write_scenario(s, r, scen) != 0) {
        note(r, "model: cannot write the scenario");
        return -1;
    }
    int rc = run_kmodel(s, scen, json, err);
    struct stat est;
    if (stat(err, &est) == 0 && est.st_size == 0)
        unlink(err);
    if (rc != 0) {
        char m[200];
        snprintf(m, sizeof(m), "model: kmodel %s (see %.100s.err)",
                 rc == -2  ? "timed out"
                 : rc == 3 ? "ran out of host memory"
                           : "failed",
                 base);
        note(r, m);
        return -1;
    }
    char *text = slurp(json);
    if (text == NULL) {
        note(r, "model: cannot read its output");
        return -1;
    }
    /* The last line is the final state; for global runs the one before is the baseline. */
    char *last = text, *prev = NULL;
    for (char *p = text; *p; p++)
        if (*p == '\n' && p[1] == '{') {
            prev = last;
            last = p + 1;
        }
    int pi = -1;
    char name[64];
    for (int i = 0; i < 64; i++) {
        char path[64];
        snprintf(path, sizeof(path), "processes.%d.name", i);
        if (sw_json_get(last, path, name, sizeof(name)) != 0)
            break;
        if (strcmp(name, "w") == 0)
            pi = i;
    }
    if (pi < 0) {
        free(text);
        note(r, "model: no process w in its output");
        return -1;
    }
    char state[64], events[16384], path[96];
    snprintf(path, sizeof(path), "processes.%d.state", pi);
    sw_json_get(last, path, state, sizeof(state));
    if (sw_json_get(last, "events", events, sizeof(events)) != 0)
        events[0] = '\0';
    r->model = strcmp(state, "oom-killed") == 0 || strncmp(state, "blocked", 7) == 0 ? O_OOM
               : strstr(events, "w mmap: ENOMEM")                                    ? O_ENOMEM
                                                                                     : O_OK;
    struct sw_vals *v = &r->m;
    double x;
    static const struct {
        enum sw_q q;
        const char *key;
        double mul;
    } pk[] = {{Q_TIME_S, "time_ns", 1e-9},
              {Q_MINFLT, "minflt", 1},
              {Q_MAJFLT, "majflt", 1},
              {Q_MAXRSS_KB, "VmHWM_kB", 1},
              {Q_STALL_S, "stall_ns", 1e-9}};
    for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
        snprintf(path, sizeof(path), "processes.%d.%s", pi, pk[i].key);
        if (sw_json_num(last, path, &x) == 0)
            sw_vals_set(v, pk[i].q, x * pk[i].mul);
    }
    static const struct {
        enum sw_q q;
        const char *key;
    } vk[] = {{Q_PSWPIN, "pswpin"},
              {Q_PSWPOUT, "pswpout"},
              {Q_PGSCAN_ANON, "pgscan_anon"},
              {Q_PGSCAN_FILE, "pgscan_file"},
              {Q_PGSTEAL_ANON, "pgsteal_anon"},
              {Q_PGSTEAL_FILE, "pgsteal_file"},
              {Q_PGSCAN_KSWAPD, "pgscan_kswapd"},
              {Q_PGSCAN_DIRECT, "pgscan_direct"},
              {Q_PGSTEAL_KSWAPD, "pgsteal_kswapd"},
              {Q_PGSTEAL_DIRECT, "pgsteal_direct"},
              {Q_OOM_KILL, "oom_kill"}};
    for (size_t i = 0; i < sizeof(vk) / sizeof(vk[0]); i++) {
        snprintf(path, sizeof(path), "vmstat.%s", vk[i].key);
        double base0 = 0;
        if (sw_json_num(last, path, &x) != 0)
            continue;
        if (r->cfg->global && prev && sw_json_num(prev, path, &base0) != 0)
            base0 = 0;
        sw_vals_set(v, vk[i].q, x - (r->cfg->global ? base0 : 0));
    }
    static const char *const stalls[] = {"allocstall_dma", "allocstall_dma32", "allocstall_normal",
                                         "allocstall_movable"};
    double st = 0;
    for (int i = 0; i < 4; i++) {
        double b0 = 0;
        snprintf(path, sizeof(path), "vmstat.%s", stalls[i]);
        if (sw_json_num(last, path, &x) == 0) {
            if (r->cfg->global && prev && sw_json_num(prev, path, &b0) != 0)
                b0 = 0;
            st += x - (r->cfg->global ? b0 : 0);
        }
    }
    sw_vals_set(v, Q_ALLOCSTALL, st);
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof(path), "memcgs.%d.name", i);
        if (sw_json_get(last, path, name, sizeof(name)) != 0)
            break;
        if (strcmp(name, "sweep") != 0)
            continue;
        snprintf(path, sizeof(path), "memcgs.%d.max_usage_in_bytes", i);
        if (sw_json_num(last, path, &x) == 0)
            sw_vals_set(v, Q_MEMCG_MAX_KB, x / 1024);
        snprintf(path, sizeof(path), "memcgs.%d.failcnt", i);
        if (sw_json_num(last, path, &x) == 0)
            sw_vals_set(v, Q_MEMCG_FAILCNT, x);
        snprintf(path, sizeof(path), "memcgs.%d.oom_kill", i);
        if (sw_json_num(last, path, &x) == 0)
            sw_vals_set(v, Q_MEMCG_OOM_KILL, x);
    }
    free(text);
    return 0;
}
