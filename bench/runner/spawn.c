/*
 * spawn.c — one run of one workload under one allocator (the picture is in runner.h).
 *
 * The child is started in a process group of its own, so that a time-out or a signal to the
 * runner kills the workload and whatever it started. The order of the hand-shake matters:
 *
 *   1. the runner forks; the child blocks reading the "go" pipe;
 *   2. the runner opens the perf counters on the child (enable_on_exec) and /proc/PID/status;
 *   3. the runner writes "go"; the child reads its own rusage (the faults it took since fork),
 *      writes them to the status pipe and execs; the status pipe is close-on-exec, so EOF tells
 *      the runner the exec worked, and an errno record tells it why not;
 *   4. the runner samples until the pidfd says the process ended, then reaps it with wait4.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/runner/runner.h"

static volatile sig_atomic_t child_pgid;
volatile sig_atomic_t runner_interrupted;

static void on_signal(int sig)
{
    if (child_pgid > 0)
        kill(-child_pgid, SIGKILL);
    runner_interrupted = sig;
}

void runner_spawn_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: ppoll must return EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The workload's environment: the runner's, without LD_PRELOAD and MINI_BENCH_SHM, plus the
 * allocator's library and fixed settings, the shm fd and the --env settings; for libmini, its
 * statistics at exit as JSON into stats_path (when not NULL; MINI_STATS_FILE, preload/
 * showstats.c). */
static char **build_env(const struct runner_cfg *cfg, int shm_fd, const char *stats_path)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = calloc(n + (size_t)cfg->nextra_env + 6, sizeof(char *));
    if (env == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (has_prefix(environ[i], "LD_PRELOAD=") || has_prefix(environ[i], BENCH_SHM_ENV "=") ||
            (stats_path != NULL && (has_prefix(environ[i], "MINI_SHOW_STATS=") ||
                                    has_prefix(environ[i], "MINI_STATS_FILE="))))
            continue;
        env[k++] = environ[i];
    }
    static char preload[PATH_MAX + 16], shm[64], stats[PATH_MAX + 32];
    if (cfg->alloc->preload[0] != '\0') {
        snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", cfg->alloc->preload);
        env[k++] = preload;
    }
    if (cfg->alloc->env != NULL)
        env[k++] = (char *)cfg->alloc->env;
    if (stats_path != NULL) {
        env[k++] = "MINI_SHOW_STATS=json";
        snprintf(stats, sizeof(stats), "MINI_STATS_FILE=%s", stats_path);
        env[k++] = stats;
    }
    snprintf(shm, sizeof(shm), "%s=%d", BENCH_SHM_ENV, shm_fd);
    env[k++] = shm;
    for (int i = 0; i < cfg->nextra_env; i++)
        env[k++] = cfg->extra_env[i];
    env[k] = NULL;
    return env;
}

/* Where libmini's statistics of this run go: OUT/mini-stats/W-A-R.json, written first to
 * W-A-R.all (every libmini process of the run appends its report), then reduced to the report
 * of the workload process itself (runner_spawn_run). NULL when there is no OUT or the
 * allocator is not libmini. */
static const char *stats_paths(const struct runner_cfg *cfg, char *all, char *one, size_t len)
{
    if (cfg->out_dir == NULL || !cfg->alloc->libmini)
        return NULL;
    char dir[PATH_MAX - 128];
    snprintf(dir, sizeof(dir), "%s/mini-stats", cfg->out_dir);
    mkdir(dir, 0777);
    snprintf(all, len, "%s/%.40s-%.40s-%d.all", dir, cfg->workload, cfg->alloc->name, cfg->rep);
    snprintf(one, len, "%s/%.40s-%.40s-%d.json", dir, cfg->workload, cfg->alloc->name, cfg->rep);
    unlink(all);
    unlink(one);
    return all;
}

/* Keeps the line of stats_all whose "pid" is the workload's in stats_one; notes why not. */
static void stats_pick(const char *all, const char *one, int pid, struct runner_result *r)
{
    FILE *f = fopen(all, "re");
    if (f == NULL) {
        runner_note(r->notes, sizeof(r->notes),
                    "libmini stats: n/a (no report: the process did not end through exit())");
        return;
    }
    char line[16384], want[48];
    snprintf(want, sizeof(want), "\"pid\":%d,", pid);
    bool found = false;
    while (!found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, want) != NULL && line[0] == '{';
    fclose(f);
    unlink(all);
    FILE *o = found ? fopen(one, "we") : NULL;
    if (o != NULL) {
        fputs(line, o);
        if (fclose(o) == 0) {
            const char *base = strrchr(one, '/');
            snprintf(r->alloc_stats, sizeof(r->alloc_stats), "mini-stats/%.200s",
                     base ? base + 1 : one);
            return;
        }
    }
    runner_note(r->notes, sizeof(r->notes),
                found ? "libmini stats: n/a (cannot write mini-stats/)"
                      : "libmini stats: n/a (no report of the workload process itself)");
}

static void describe_status(int st, bool timed_out, int timeout_s, struct runner_result *r)
{
    r->ok = false;
    if (timed_out)
        snprintf(r->status, sizeof(r->status), "timeout after %d s", timeout_s);
    else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        r->ok = true;
        snprintf(r->status, sizeof(r->status), "ok");
    } else if (WIFEXITED(st))
        snprintf(r->status, sizeof(r->status), "exit %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(r->status, sizeof(r->status), "signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    else
        snprintf(r->status, sizeof(r->status), "wait status %#x", st);
}

static int open_log(const struct runner_cfg *cfg)
{
    if (cfg->out_dir == NULL)
        return -1;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/logs", cfg->out_dir);
    mkdir(path, 0777);
    snprintf(path, sizeof(path), "%s/logs/%s-%s-%d.log", cfg->out_dir, cfg->workload,
             cfg->alloc->name, cfg->rep);
    return open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
}

/* The last "skipped: ..." line the workload wrote before exiting 77, or a generic reason. */
static void skip_reason(int log_fd, char *buf, size_t len)
{
    snprintf(buf, len, "skipped: the workload exited 77 (see its log)");
    if (log_fd < 0)
        return;
    char text[8192];
    off_t size = lseek(log_fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof(text) - 1 ? size - (off_t)sizeof(text) + 1 : 0;
    ssize_t n = pread(log_fd, text, sizeof(text) - 1, from);
    if (n <= 0)
        return;
    text[n] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
        if (strncmp(line, "skipped:", 8) == 0)
            snprintf(buf, len, "%.150s", line);
}

/* The child between fork and exec: only async-signal-safe calls. */
static void child_exec(const struct runner_cfg *cfg, char **argv, char **env, int go_fd, int st_fd,
                       int shm_fd, int log_fd, int null_fd)
{
    setpgid(0, 0);
    char c;
    if (read_full(go_fd, &c, 1) != 1)
        _exit(127); /* the runner went away */
    fcntl(shm_fd, F_SETFD, 0);
    if (null_fd >= 0)
        dup2(null_fd, 0);
    if (log_fd >= 0) {
        dup2(log_fd, 1);
        dup2(log_fd, 2);
    } else if (cfg->quiet && null_fd >= 0) {
        dup2(null_fd, 1);
    }
    signal(SIGPIPE, SIG_DFL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long pre[2] = {ru.ru_minflt, ru.ru_majflt};
    if (write(st_fd, pre, sizeof(pre)) != (ssize_t)sizeof(pre))
        _exit(127);
    execve(argv[0], argv, env);
    int e = errno;
    if (write(st_fd, &e, sizeof(e)) < 0)
        _exit(127);
    _exit(127);
}

int runner_spawn_run(const struct runner_cfg *cfg, struct runner_result *r)
{
    memset(r, 0, sizeof(*r));
    r->smp.status_fd = -1;
    snprintf(r->status, sizeof(r->status), "not started");

    int shm_fd = memfd_create("mini-bench-shm", MFD_CLOEXEC);
    if (shm_fd < 0 || ftruncate(shm_fd, 4096) != 0) {
        fprintf(stderr, "%s: memfd_create: %s\n", RUNNER_NAME, strerror(errno));
        return -1;
    }
    struct bench_shm *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
    if (shm == MAP_FAILED) {
        fprintf(stderr, "%s: mmap of the shm: %s\n", RUNNER_NAME, strerror(errno));
        close(shm_fd);
        return -1;
    }

    char scale_s[32], threads_s[16];
    snprintf(scale_s, sizeof(scale_s), "%g", cfg->scale);
    snprintf(threads_s, sizeof(threads_s), "%d", cfg->threads);
    char *argv[12 + RUNNER_MAX_EXTRA];
    int ac = 0;
    argv[ac++] = (char *)cfg->wl_path;
    if (cfg->real) {
        argv[ac++] = (char *)cfg->workload; /* run-real.sh NAME [ARGS] */
    } else if (cfg->trace) {
        argv[ac++] = "replay"; /* mini-trace replay ... PLAN */
        argv[ac++] = "--free-at-end";
        argv[ac++] = "--name";
        argv[ac++] = (char *)cfg->workload;
    } else {
        argv[ac++] = "--scale";
        argv[ac++] = scale_s;
    }
    if (cfg->threads > 0 && !cfg->real && !cfg->trace) {
        argv[ac++] = "--threads";
        argv[ac++] = threads_s;
    }
    for (int i = 0; i < cfg->nextra_args; i++)
        argv[ac++] = cfg->extra_args[i];
    if (cfg->trace)
        argv[ac++] = (char *)cfg->trace_plan;
    argv[ac] = NULL;
    char stats_all[PATH_MAX], stats_one[PATH_MAX];
    const char *stats = stats_paths(cfg, stats_all, stats_one, sizeof(stats_all));
    char **env = build_env(cfg, shm_fd, stats);
    int log_fd = open_log(cfg);
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    int go[2], st[2];
    if (env == NULL || pipe2(go, O_CLOEXEC) != 0 || pipe2(st, O_CLOEXEC) != 0) {
        fprintf(stderr, "%s: cannot set up the run: %s\n", RUNNER_NAME, strerror(errno));
        return -1;
    }

    r->runner_rss_at_fork_kb = runner_self_status_kb("RssAnon:");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "%s: fork: %s\n", RUNNER_NAME, strerror(errno));
        return -1;
    }
    if (pid == 0)
        child_exec(cfg, argv, env, go[0], st[1], shm_fd, log_fd, null_fd);

    setpgid(pid, pid);
    child_pgid = pid;
    close(go[0]);
    close(st[1]);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    runner_perf_open(&r->ctr, pid);
    if (runner_sampler_init(&r->smp, pid, shm, cfg->sample_ms) != 0)
        runner_note(r->notes, sizeof(r->notes), "cannot open /proc/%d/status: %s", (int)pid,
                    strerror(errno));

    int64_t t0 = runner_now_ns();
    r->smp.t0_ns = t0;
    if (write(go[1], "g", 1) != 1)
        runner_note(r->notes, sizeof(r->notes), "go pipe: %s", strerror(errno));
    close(go[1]);
    long pre[2] = {-1, -1};
    int exec_errno = 0;
    if (read_full(st[0], pre, sizeof(pre)) == (ssize_t)sizeof(pre) &&
        read_full(st[0], &exec_errno, sizeof(exec_errno)) != (ssize_t)sizeof(exec_errno))
        exec_errno = 0;
    close(st[0]);
    r->preexec_minflt = pre[0];
    r->preexec_majflt = pre[1];

    int interval_ms = cfg->sample_ms > 0 ? cfg->sample_ms : 10;
    int64_t interval = (int64_t)interval_ms * 1000000;
    int64_t next_tick = t0;
    bool timed_out = false;
    int64_t t1 = t0;
    while (exec_errno == 0 && r->smp.status_fd >= 0) {
        int64_t now = runner_now_ns();
        if (now >= next_tick) {
            runner_sampler_take(&r->smp, cfg->sample_ms > 0);
            next_tick += interval;
            if (next_tick <= now)
                next_tick = now + interval;
        }
        runner_sampler_due(&r->smp, now);
        if (cfg->timeout_s > 0 && now - t0 > (int64_t)cfg->timeout_s * 1000000000) {
            kill(-pid, SIGKILL);
            timed_out = true;
            break;
        }
        int64_t wake = runner_sampler_next_ns(&r->smp, next_tick);
        int64_t d = wake - runner_now_ns();
        if (d < 0)
            d = 0;
        struct timespec ts = {(time_t)(d / 1000000000), (long)(d % 1000000000)};
        struct pollfd pfd = {pidfd, POLLIN, 0};
        int rc = ppoll(&pfd, pidfd >= 0 ? 1 : 0, &ts, NULL);
        if (rc > 0)
            break;
        if (runner_interrupted)
            break;
        if (pidfd < 0 && waitpid(pid, NULL, WNOHANG | WNOWAIT) != 0)
            break;
    }
    t1 = runner_now_ns();

    int wst = 0;
    while (wait4(pid, &wst, 0, &r->ru) < 0 && errno == EINTR)
        ;
    child_pgid = 0;
    kill(-pid, SIGKILL); /* anything the workload left behind in its group */
    if (pidfd >= 0)
        close(pidfd);
    runner_perf_read_close(&r->ctr);

    if (exec_errno != 0) {
        snprintf(r->status, sizeof(r->status), "exec wl-%.40s: %s", cfg->workload,
                 strerror(exec_errno));
        r->ok = false;
    } else if (runner_interrupted) {
        snprintf(r->status, sizeof(r->status), "interrupted by signal %d", (int)runner_interrupted);
        r->ok = false;
    } else if (!timed_out && WIFEXITED(wst) && WEXITSTATUS(wst) == 77) {
        skip_reason(log_fd, r->status, sizeof(r->status));
        r->ok = false;
        r->skipped = true;
    } else {
        describe_status(wst, timed_out, cfg->timeout_s, r);
    }
    /* The last word of the workload: final ops and the phase it ended in. */
    if (r->smp.status_fd >= 0)
        runner_sampler_take(&r->smp, false);
    runner_sampler_finish(&r->smp);

    r->wall_s = (double)(t1 - t0) / 1e9;
    r->user_s = (double)r->ru.ru_utime.tv_sec + (double)r->ru.ru_utime.tv_usec / 1e6;
    r->sys_s = (double)r->ru.ru_stime.tv_sec + (double)r->ru.ru_stime.tv_usec / 1e6;
    /* The time in RUN: the workload's own total when it keeps one (every RUN period, also
     * those shorter than the sampling interval), else the RUN period the sampler saw. */
    r->run_s = -1;
    uint64_t run_total =
        r->smp.attached
            ? atomic_load_explicit(&shm->phase_total_ns[BENCH_PHASE_RUN], memory_order_relaxed)
            : 0;
    if (run_total > 0)
        r->run_s = (double)run_total / 1e9;
    else if (r->smp.run_start_ns > 0 && r->smp.run_end_ns > r->smp.run_start_ns)
        r->run_s = (double)(r->smp.run_end_ns - r->smp.run_start_ns) / 1e9;
    r->ops = r->smp.last_ops;
    if (r->smp.attached) {
        memcpy(r->ops_unit, shm->ops_unit,
               sizeof(shm->ops_unit) < sizeof(r->ops_unit) ? sizeof(shm->ops_unit)
                                                           : sizeof(r->ops_unit) - 1);
        r->ops_unit[sizeof(r->ops_unit) - 1] = '\0';
    }

    if (stats != NULL && exec_errno == 0)
        stats_pick(stats_all, stats_one, (int)pid, r);

    munmap(shm, 4096);
    close(shm_fd);
    if (log_fd >= 0)
        close(log_fd);
    if (null_fd >= 0)
        close(null_fd);
    free(env);
    return 0;
}
