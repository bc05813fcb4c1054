/*
 * real.c — one run of the sweep on the real machine.
 *
 *   mark0 ── cgroup libmini-sweep-PID-N (limit L, memory.swappiness S; global: no limit)
 *   mark1 ── vm.overcommit_ratio, vm.overcommit_memory (and vm.swappiness for global runs)
 *            vmstat, PSI ── fork ── attach to the cgroup ── exec the workload (LD_PRELOAD)
 *            wait (bounded: SIGKILL after timeout_s) ── vmstat, PSI
 *   restore_to(mark1): the sysctls are back as soon as the workload is gone
 *            memory.max_usage_in_bytes, failcnt, oom_control
 *   restore_to(mark0): the cgroup is removed (its tasks killed first)
 *
 * Outcome: exit 0 "ok"; exit 1 with {"outcome":"enomem"} on the workload's stdout "ENOMEM"
 * (malloc returned NULL); SIGKILL with an OOM kill counted (memcg or vmstat) "OOM-killed"; our
 * own SIGKILL "timeout"; another signal "crashed"; another exit status "failed".
 *
 * Between fork and exec the child calls only async-signal-safe functions and leaves with
 * _exit, so vmctl's atexit restore never runs in it.
 */
#include "bench/sweep/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/include/benchproto.h"
#include "bench/vmctl/vmctl.h"
#include "bench/vmctl/vmprobe.h"

extern char **environ;

const char *sw_mode2_refusal(const struct sweep *s, uint64_t extra, char *why, size_t len)
{
    static const char *const keys[] = {"MemTotal", "Hugetlb", "SwapTotal", "Committed_AS"};
    long long m[4];
    vmprobe_keys("/proc/meminfo", keys, 4, m);
    long long total = m[0], huge = m[1], swap = m[2], committed = m[3],
              kbytes = vmprobe_read_num("/proc/sys/vm/overcommit_kbytes");
    if (total <= 0 || committed < 0 || swap < 0) {
        snprintf(why, len, "refused: cannot read CommitLimit inputs from /proc/meminfo");
        return why;
    }
    if (kbytes > 0) {
        snprintf(why, len, "refused: vm.overcommit_kbytes is set (%lld); the sweep uses the ratio",
                 kbytes);
        return why;
    }
    if (huge < 0)
        huge = 0;
    long long limit = (total - huge) * s->ratio / 100 + swap;
    long long room = limit - committed;
    /* A request beyond the room is refused by the kernel itself and costs nothing. */
    long long want = (long long)(extra / 1024) < room ? (long long)(extra / 1024) : 0;
    if (room - want < (long long)(s->reserve / 1024)) {
        snprintf(why, len,
                 "refused: overcommit mode 2 with ratio %d gives CommitLimit %lld MiB; with "
                 "Committed_AS %lld MiB and this run's %lld MiB it would leave %lld MiB to the "
                 "rest of the machine (reserve %llu MiB)",
                 s->ratio, limit / 1024, committed / 1024, want / 1024, (room - want) / 1024,
                 (unsigned long long)(s->reserve / SW_MIB));
        return why;
    }
    return NULL;
}

/* The vmstat counters a run reads, by their kernel names. */
enum {
    V_PSWPIN,
    V_PSWPOUT,
    V_SCAN_ANON,
    V_SCAN_FILE,
    V_STEAL_ANON,
    V_STEAL_FILE,
    V_SCAN_KSWAPD,
    V_SCAN_DIRECT,
    V_STEAL_KSWAPD,
    V_STEAL_DIRECT,
    V_STALL_DMA,
    V_STALL_DMA32,
    V_STALL_NORMAL,
    V_STALL_MOVABLE,
    V_OOM_KILL,
    NV
};
static const char *const vnames[NV] = {"pswpin",
                                       "pswpout",
                                       "pgscan_anon",
                                       "pgscan_file",
                                       "pgsteal_anon",
                                       "pgsteal_file",
                                       "pgscan_kswapd",
                                       "pgscan_direct",
                                       "pgsteal_kswapd",
                                       "pgsteal_direct",
                                       "allocstall_dma",
                                       "allocstall_dma32",
                                       "allocstall_normal",
                                       "allocstall_movable",
                                       "oom_kill"};

/* Only differences of two snapshots are used: a counter this kernel lacks (-1) gives 0. */
static void vm_snap(long long v[NV])
{
    vmprobe_keys("/proc/vmstat", vnames, NV, v);
}

static long long cg_num(const char *cg, const char *file)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", cg, file);
    return vmprobe_read_num(p);
}

static long long cg_key(const char *cg, const char *file, const char *key)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", cg, file);
    return vmprobe_key(p, key);
}

static const char *signame(int sig)
{
    switch (sig) {
    case SIGKILL:
        return "KILL";
    case SIGSEGV:
        return "SEGV";
    case SIGABRT:
        return "ABRT";
    case SIGBUS:
        return "BUS";
    case SIGTERM:
        return "TERM";
    case SIGINT:
        return "INT";
    case SIGFPE:
        return "FPE";
    default:
        return "?";
    }
}

/* The workload's program: --wl-path first, then the sweep's bin directory. */
static int find_prog(const struct sweep *s, const char *prog, char *path, size_t len)
{
    if (s->wl_path) {
        snprintf(path, len, "%s/%s", s->wl_path, prog);
        if (access(path, X_OK) == 0)
            return 0;
    }
    snprintf(path, len, "%s/%s", s->bin, prog);
    return access(path, X_OK);
}

/* Fills argv (static strings in buf) for the run; returns argc. */
static int build_argv(const struct sw_run *r, const char *prog, char *buf, size_t len,
                      char *argv[16])
{
    const struct sw_size *z = &r->size;
    int n;
    switch (r->wl->kind) {
    case K_ANON_OVER:
        n = snprintf(buf, len, "--bytes %llu --passes %d", (unsigned long long)z->bytes, z->passes);
        break;
    case K_FILE_ANON:
        n = snprintf(buf, len, "--anon %llu --passes %d", (unsigned long long)z->bytes, z->passes);
        break;
    case K_PHASE:
        n = snprintf(buf, len, "--scale %.4f --idle-ms 200 --trim-idle-ms 100", z->scale);
        break;
    default:
        n = snprintf(buf, len, "--ask %llu --touch %s", (unsigned long long)z->bytes,
                     z->touch ? "all" : "none");
        break;
    }
    (void)n;
    int argc = 0;
    argv[argc++] = (char *)prog;
    for (char *t = strtok(buf, " "); t && argc < 15; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    return argc;
}

/* The child's environment: ours, without the variables the sweep sets, plus them. */
static char **build_env(const struct sw_run *r, int shm_fd, const char *file)
{
    static char *envp[1024];
    static char pre[600], shm[64], wf[300];
    int n = 0;
    for (char **e = environ; *e && n < 1000; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, BENCH_SHM_ENV "=", 15) != 0 &&
            strncmp(*e, "WL_FILE=", 8) != 0)
            envp[n++] = *e;
    if (r->alloc->preload[0]) {
        snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", r->alloc->preload);
        envp[n++] = pre;
    }
    snprintf(shm, sizeof(shm), "%s=%d", BENCH_SHM_ENV, shm_fd);
    envp[n++] = shm;
    if (file) {
        snprintf(wf, sizeof(wf), "WL_FILE=%s", file);
        envp[n++] = wf;
    }
    envp[n] = NULL;
    return envp;
}

/* Does the log hold the workload's {"outcome":"enomem"} line? */
static bool log_says_enomem(const char *log)
{
    FILE *f = fopen(log, "re");
    if (f == NULL)
        return false;
    char line[4096];
    bool yes = false;
    while (fgets(line, sizeof(line), f))
        if (line[0] == '{' && strstr(line, "\"outcome\":\"enomem\""))
            yes = true;
    fclose(f);
    return yes;
}

static int set_u64(const char *cg, const char *file, uint64_t v)
{
    char val[32];
    snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
    return vmctl_cgroup_write(cg, file, val);
}

/* The data file of file-anon (written by main.c before the runs): its page cache is dropped
 * before each run, so that the run's reads charge the run's cgroup. */
static int prepare_file(const struct sweep *s, struct sw_run *r)
{
    struct stat st;
    if (stat(s->file_path, &st) != 0 || (uint64_t)st.st_size < r->size.file) {
        snprintf(r->note, sizeof(r->note), "the data file %s is missing or short", s->file_path);
        return -1;
    }
    long left = vmprobe_drop_cache(s->file_path);
    if (left != 0) {
        size_t n = strlen(r->note);
        snprintf(r->note + n, sizeof(r->note) - n, "%s%ld pages of the data file still cached",
                 n ? "; " : "", left);
    }
    return 0;
}

static void skip(struct sw_run *r, const char *why)
{
    r->real = O_SKIPPED;
    snprintf(r->status, sizeof(r->status), "skipped");
    size_t n = strlen(r->note);
    snprintf(r->note + n, sizeof(r->note) - n, "%s%s", n ? "; " : "", why);
}

int sw_run_real(struct sweep *s, struct sw_run *r)
{
    const struct sw_cfg *c = r->cfg;
    char prog[600], why[1024];
    memset(&r->r, 0, sizeof(r->r));
    if (r->alloc->skip[0]) {
        snprintf(why, sizeof(why), "allocator %s: %s", r->alloc->name, r->alloc->skip);
        skip(r, why);
        return 0;
    }
    if (find_prog(s, r->wl->prog, prog, sizeof(prog)) != 0) {
        snprintf(why, sizeof(why), "not built (%.400s)", prog);
        skip(r, why);
        return 0;
    }
    if (c->oc == 2 && sw_mode2_refusal(s, r->size.commit, why, sizeof(why))) {
        skip(r, why);
        return 0;
    }
    char argbuf[256], *argv[16];
    build_argv(r, prog, argbuf, sizeof(argbuf), argv);
    r->args[0] = '\0';
    for (int i = 1; argv[i]; i++) {
        size_t n = strlen(r->args);
        snprintf(r->args + n, sizeof(r->args) - n, "%s%s", i > 1 ? " " : "", argv[i]);
    }
    if (s->dry_run) {
        skip(r, "dry run");
        return 0;
    }

    long mark0 = vmctl_mark();
    char name[64], cg[256];
    snprintf(name, sizeof(name), "libmini-sweep-%d-%d", (int)getpid(), r->idx);
    if (vmctl_cgroup(name, cg, sizeof(cg)) != 0 ||
        (!c->global && set_u64(cg, "memory.limit_in_bytes", s->limit) != 0) ||
        set_u64(cg, "memory.swappiness", (uint64_t)c->swappiness) != 0) {
        snprintf(why, sizeof(why), "memory cgroup: %s", vmctl_error());
        vmctl_restore_to(mark0);
        skip(r, why);
        return -1;
    }
    if (r->wl->kind == K_FILE_ANON && prepare_file(s, r) != 0) {
        vmctl_restore_to(mark0);
        skip(r, r->note);
        return -1;
    }
    char log[700];
    snprintf(log, sizeof(log), "%s/logs/%03d-%s-%s.log", s->out, r->idx, r->wl->name,
             r->alloc->name);
    int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int shm_fd = memfd_create("libmini-sweep-shm", 0);
    struct bench_shm *shm = MAP_FAILED;
    if (shm_fd >= 0 && ftruncate(shm_fd, sizeof(struct bench_shm)) == 0)
        shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
    if (logfd < 0 || shm == MAP_FAILED) {
        snprintf(why, sizeof(why), "cannot open %.400s or the shm page: %s", log, strerror(errno));
        if (logfd >= 0)
            close(logfd);
        if (shm_fd >= 0)
            close(shm_fd);
        vmctl_restore_to(mark0);
        skip(r, why);
        return -1;
    }
    char **envp = build_env(r, shm_fd, r->wl->kind == K_FILE_ANON ? s->file_path : NULL);
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) {
        close(logfd);
        close(shm_fd);
        munmap(shm, sizeof(*shm));
        vmctl_restore_to(mark0);
        skip(r, "pipe failed");
        return -1;
    }

    /* The settings of this run, for the lifetime of the workload only. */
    long mark1 = vmctl_mark();
    char val[32];
    int bad = 0;
    if (c->oc == 2) {
        snprintf(val, sizeof(val), "%d", s->ratio);
        bad |= vmctl_sysctl("vm.overcommit_ratio", val);
    }
    snprintf(val, sizeof(val), "%d", c->oc);
    bad |= vmctl_sysctl("vm.overcommit_memory", val);
    if (c->global) {
        snprintf(val, sizeof(val), "%d", c->swappiness);
        bad |= vmctl_sysctl("vm.swappiness", val);
    }
    if (bad) {
        snprintf(why, sizeof(why), "sysctl: %s", vmctl_error());
        vmctl_restore_to(mark0);
        close(go[0]);
        close(go[1]);
        close(logfd);
        close(shm_fd);
        munmap(shm, sizeof(*shm));
        skip(r, why);
        return -1;
    }

    long long va[NV], vb[NV], psa_some, psa_full, psb_some, psb_full;
    vm_snap(va);
    vmprobe_psi(&psa_some, &psa_full);
    fflush(NULL);
    double t0 = sw_now();
    pid_t pid = fork();
    if (pid == 0) {
        char c1;
        close(go[1]);
        if (read(go[0], &c1, 1) != 1)
            _exit(100);
        if (c->global) {
            /* The workload, never anyone else's process, is what the OOM killer takes. */
            int fd = open("/proc/self/oom_score_adj", O_WRONLY);
            if (fd >= 0) {
                if (write(fd, "1000", 4) != 4) {
                }
                close(fd);
            }
        }
        dup2(logfd, 1);
        dup2(logfd, 2);
        execve(prog, argv, envp);
        static const char m[] = "mini-sweep: exec failed\n";
        if (write(2, m, sizeof(m) - 1) < 0) {
        }
        _exit(127);
    }
    close(go[0]);
    bool started = false;
    if (pid > 0) {
        if (vmctl_cgroup_attach(cg, pid) != 0) {
            snprintf(why, sizeof(why), "attach to %s: %s", cg, vmctl_error());
            kill(pid, SIGKILL);
        } else {
            started = write(go[1], "g", 1) == 1;
        }
    }
    close(go[1]);
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    int st = 0;
    bool timed_out = false;
    if (pid > 0) {
        for (;;) {
            pid_t w = wait4(pid, &st, WNOHANG, &ru);
            if (w == pid)
                break;
            if (w < 0 && errno != EINTR)
                break;
            if (sw_now() - t0 > s->timeout_s && !timed_out) {
                kill(pid, SIGKILL);
                timed_out = true;
            }
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
    }
    double t1 = sw_now();
    vm_snap(vb);
    vmprobe_psi(&psb_some, &psb_full);
    vmctl_restore_to(mark1);

    long long max_usage = cg_num(cg, "memory.max_usage_in_bytes"),
              failcnt = cg_num(cg, "memory.failcnt"),
              cg_oom = cg_key(cg, "memory.oom_control", "oom_kill");
    int64_t touched = 0;
    for (int i = 0; i < BENCH_SLOTS; i++)
        touched += atomic_load_explicit(&shm->slot[i].live_bytes, memory_order_relaxed);
    vmctl_restore_to(mark0);
    munmap(shm, sizeof(*shm));
    close(shm_fd);
    close(logfd);

    if (pid < 0 || !started) {
        snprintf(r->status, sizeof(r->status), "not started");
        r->real = O_FAILED;
        size_t n = strlen(r->note);
        snprintf(r->note + n, sizeof(r->note) - n, "%s%s", n ? "; " : "",
                 pid < 0 ? "fork failed" : why);
        return -1;
    }
    long long oom_vm = vb[V_OOM_KILL] - va[V_OOM_KILL];
    if (timed_out) {
        r->real = O_TIMEOUT;
        snprintf(r->status, sizeof(r->status), "timeout after %d s", s->timeout_s);
    } else if (WIFEXITED(st)) {
        int code = WEXITSTATUS(st);
        snprintf(r->status, sizeof(r->status), "exit %d", code);
        r->real = code == 0 ? O_OK : code == 1 && log_says_enomem(log) ? O_ENOMEM : O_FAILED;
    } else if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        snprintf(r->status, sizeof(r->status), "signal %d (%s)", sig, signame(sig));
        r->real = sig == SIGKILL && (cg_oom > 0 || oom_vm > 0) ? O_OOM : O_CRASH;
    } else {
        snprintf(r->status, sizeof(r->status), "wait status %d", st);
        r->real = O_FAILED;
    }

    struct sw_vals *v = &r->r;
    sw_vals_set(v, Q_TIME_S, t1 - t0);
    sw_vals_set(v, Q_USER_S, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6);
    sw_vals_set(v, Q_SYS_S, (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    sw_vals_set(v, Q_MINFLT, (double)ru.ru_minflt);
    sw_vals_set(v, Q_MAJFLT, (double)ru.ru_majflt);
    sw_vals_set(v, Q_MAXRSS_KB, (double)ru.ru_maxrss);
    sw_vals_set(v, Q_TOUCHED_KB, (double)(touched > 0 ? touched : 0) / 1024);
    static const struct {
        enum sw_q q;
        int v;
    } map[] = {{Q_PSWPIN, V_PSWPIN},
               {Q_PSWPOUT, V_PSWPOUT},
               {Q_PGSCAN_ANON, V_SCAN_ANON},
               {Q_PGSCAN_FILE, V_SCAN_FILE},
               {Q_PGSTEAL_ANON, V_STEAL_ANON},
               {Q_PGSTEAL_FILE, V_STEAL_FILE},
               {Q_PGSCAN_KSWAPD, V_SCAN_KSWAPD},
               {Q_PGSCAN_DIRECT, V_SCAN_DIRECT},
               {Q_PGSTEAL_KSWAPD, V_STEAL_KSWAPD},
               {Q_PGSTEAL_DIRECT, V_STEAL_DIRECT},
               {Q_OOM_KILL, V_OOM_KILL}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        sw_vals_set(v, map[i].q, (double)(vb[map[i].v] - va[map[i].v]));
    long long stalls = 0;
    for (int i = V_STALL_DMA; i <= V_STALL_MOVABLE; i++)
        stalls += vb[i] - va[i];
    sw_vals_set(v, Q_ALLOCSTALL, (double)stalls);
    if (max_usage >= 0)
        sw_vals_set(v, Q_MEMCG_MAX_KB, (double)max_usage / 1024);
    if (failcnt >= 0)
        sw_vals_set(v, Q_MEMCG_FAILCNT, (double)failcnt);
    if (cg_oom >= 0)
        sw_vals_set(v, Q_MEMCG_OOM_KILL, (double)cg_oom);
    if (psa_some >= 0 && psb_some >= 0) {
        sw_vals_set(v, Q_STALL_S, (double)(psb_some - psa_some) / 1e6);
        sw_vals_set(v, Q_PSI_FULL_S, (double)(psb_full - psa_full) / 1e6);
    }
    return 0;
}
