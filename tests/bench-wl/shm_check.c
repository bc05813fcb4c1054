/*
 * shm_check.c — exercises the runner/workload protocol of bench/include/benchproto.h the way
 * the runner does: create a zeroed memfd of one bench_shm, pass its number in MINI_BENCH_SHM,
 * start a workload (under the LD_PRELOAD of this test's environment), sample the page every
 * 200 us while it runs, and check what the workload reported:
 *   - magic, version, workload name and ops unit are set;
 *   - the phases only move forward, INIT -> RUN (-> FREED -> TRIMMED -> RUN) -> DONE;
 *   - ops grow and are > 0 at the end; live bytes are > 0 during the run and exactly 0 at
 *     the end (every workload frees everything it allocated, bookkeeping included);
 *   - the phase workload passes through FREED and TRIMMED, with idle_ms and trim_idle_ms as
 *     given, live bytes in FREED between 5 % and 20 % of the peak (it frees a random 90 %),
 *     and the FREED phase lasting at least idle_ms;
 *   - a workload without MINI_BENCH_SHM runs just the same (private page, exit 0);
 *   - every workload keeps its time in RUN (phase_total_ns), which the runner reports;
 *   - the trace replay (`mini-trace replay --free-at-end` of a plan of a tiny trace recorded
 *     under libmini) reports the same way: its name, ops = the plan's calls, live bytes > 0
 *     during the replay and 0 at the end, RUN then DONE, its time in RUN.
 */
#include "bench/include/benchproto.h"
#include "tests/harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIN "build/bin/"

struct trace {
    int status;          /* exit status of the workload */
    uint32_t phases[16]; /* distinct phases in the order seen */
    int nphases;
    int64_t live_max, live_end, live_freed_min, live_freed_max;
    uint64_t ops_end;
    bool ops_went_down;
    uint64_t freed_ns, trimmed_ns; /* phase_ns of FREED and TRIMMED */
    struct bench_shm end;          /* a copy of the page at the end */
};

static int64_t live_sum(struct bench_shm *s)
{
    int64_t sum = 0;
    for (int i = 0; i < BENCH_SLOTS; i++)
        sum += atomic_load_explicit(&s->slot[i].live_bytes, memory_order_relaxed);
    return sum;
}

static uint64_t ops_sum(struct bench_shm *s)
{
    uint64_t sum = 0;
    for (int i = 0; i < BENCH_SLOTS; i++)
        sum += atomic_load_explicit(&s->slot[i].ops, memory_order_relaxed);
    return sum;
}

/* Runs BIN<prog> with args (NULL-terminated) and the shm (if with_shm); fills t. */
static void run(struct trace *t, bool with_shm, const char *prog, const char *const *args)
{
    memset(t, 0, sizeof(*t));
    t->live_freed_min = INT64_MAX;
    int fd = -1;
    struct bench_shm *s = NULL;
    if (with_shm) {
        fd = memfd_create("bench_shm", 0); /* inherited by the child: no MFD_CLOEXEC */
        require_true(fd >= 0, "memfd_create");
        require_true(ftruncate(fd, sizeof(struct bench_shm)) == 0, "ftruncate");
        s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        require_true(s != MAP_FAILED, "mmap");
    }
    char path[256], fdstr[16];
    snprintf(path, sizeof(path), BIN "%s", prog);
    snprintf(fdstr, sizeof(fdstr), "%d", fd);
    const char *argv[32] = {path};
    int argc = 1;
    for (; args[argc - 1] != NULL && argc < 31; argc++)
        argv[argc] = args[argc - 1];
    argv[argc] = NULL;

    fflush(stdout);
    pid_t pid = fork();
    require_true(pid >= 0, "fork");
    if (pid == 0) {
        if (with_shm)
            setenv(BENCH_SHM_ENV, fdstr, 1);
        else
            unsetenv(BENCH_SHM_ENV);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    uint64_t last_ops = 0;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (s != NULL) {
            uint32_t ph = atomic_load_explicit(&s->phase, memory_order_acquire);
            if (s->magic == BENCH_SHM_MAGIC &&
                (t->nphases == 0 || t->phases[t->nphases - 1] != ph) && t->nphases < 16) {
                t->phases[t->nphases++] = ph;
                if (ph == BENCH_PHASE_FREED)
                    t->freed_ns = atomic_load(&s->phase_ns);
                if (ph == BENCH_PHASE_TRIMMED)
                    t->trimmed_ns = atomic_load(&s->phase_ns);
            }
            int64_t live = live_sum(s);
            if (live > t->live_max)
                t->live_max = live;
            if (ph == BENCH_PHASE_FREED) {
                if (live < t->live_freed_min)
                    t->live_freed_min = live;
                if (live > t->live_freed_max)
                    t->live_freed_max = live;
            }
            uint64_t ops = ops_sum(s);
            if (ops < last_ops)
                t->ops_went_down = true;
            last_ops = ops;
        }
        if (r == pid) {
            t->status = st;
            break;
        }
        usleep(200);
    }
    if (s != NULL) {
        t->live_end = live_sum(s);
        t->ops_end = ops_sum(s);
        memcpy(&t->end, s, sizeof(*s));
        munmap(s, sizeof(*s));
        close(fd);
    }
}

static void expect_churn(const char *prog, const char *const *args)
{
    struct trace t;
    run(&t, true, prog, args);
    expect_true(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0, "%s exit status 0x%x", prog,
                t.status);
    expect_u64_eq(t.end.magic, BENCH_SHM_MAGIC, "%s magic", prog);
    expect_d_eq(t.end.version, BENCH_SHM_VERSION, "%s version", prog);
    expect_true(strncmp(t.end.workload, prog + 3, sizeof(t.end.workload)) == 0,
                "%s wrote workload name '%.32s'", prog, t.end.workload);
    expect_true(t.end.ops_unit[0] != '\0', "%s wrote no ops unit", prog);
    expect_d_eq(t.end.phase, BENCH_PHASE_DONE, "%s final phase", prog);
    expect_d_eq(t.live_end, 0, "%s live bytes at the end", prog);
    expect_d_gt(t.live_max, 0, "%s live bytes during the run", prog);
    expect_u64_ge(t.ops_end, 1, "%s ops at the end", prog);
    expect_false(t.ops_went_down, "%s ops went down", prog);
    /* Phases move forward: INIT (may be missed), RUN, DONE. */
    for (int i = 1; i < t.nphases; i++)
        expect_d_gt(t.phases[i], t.phases[i - 1], "%s phase order at %d", prog, i);
    expect_true(t.nphases >= 2 && t.phases[t.nphases - 1] == BENCH_PHASE_DONE, "%s phases seen: %d",
                prog, t.nphases);
    expect_u64_gt(t.end.phase_total_ns[BENCH_PHASE_RUN], 0, "%s time in RUN", prog);
}

TEST_BEGIN(small_churn)
{
    const char *a[] = {"--scale", "0.01", NULL};
    expect_churn("wl-small-churn", a);
}
TEST_END

TEST_BEGIN(prodcons)
{
    const char *a[] = {"--scale", "0.02", "--threads", "3", NULL};
    expect_churn("wl-prodcons", a);
}
TEST_END

TEST_BEGIN(server_sim)
{
    const char *a[] = {"--scale", "0.01", NULL};
    expect_churn("wl-server-sim", a);
}
TEST_END

TEST_BEGIN(false_sharing)
{
    const char *a[] = {"--scale", "0.05", NULL}; /* ~50 ms: long enough to be sampled */
    expect_churn("wl-false-sharing", a);
}
TEST_END

TEST_BEGIN(frag)
{
    const char *a[] = {"--scale", "0.02", "--hold-ms", "20", NULL};
    expect_churn("wl-frag", a);
}
TEST_END

TEST_BEGIN(size_sweep)
{
    /* Scale 4: about 40 ms under glibc and jemalloc (0.01 took 3 ms, and a loaded machine could
     * leave this poller no turn while a block was live or the workload was in RUN). */
    const char *a[] = {"--scale", "4", NULL};
    expect_churn("wl-size-sweep", a);
}
TEST_END

TEST_BEGIN(realloc_growth)
{
    const char *a[] = {"--scale", "0.1", NULL}; /* ~70 ms: long enough to be sampled */
    expect_churn("wl-realloc-growth", a);
}
TEST_END

TEST_BEGIN(phase)
{
    const char *a[] = {"--scale", "0.05", "--idle-ms", "150", "--trim-idle-ms", "60", NULL};
    struct trace t;
    run(&t, true, "wl-phase", a);
    expect_true(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0, "exit status 0x%x", t.status);
    expect_d_eq(t.end.phase, BENCH_PHASE_DONE, "final phase");
    expect_d_eq(t.end.idle_ms, 150, "idle_ms in the page");
    expect_d_eq(t.end.trim_idle_ms, 60, "trim_idle_ms in the page");
    expect_d_eq(t.live_end, 0, "live bytes at the end");
    static const uint32_t want[] = {BENCH_PHASE_RUN, BENCH_PHASE_FREED, BENCH_PHASE_TRIMMED,
                                    BENCH_PHASE_RUN, BENCH_PHASE_DONE};
    /* INIT may come and go before the first sample. */
    int off = t.nphases > 0 && t.phases[0] == BENCH_PHASE_INIT;
    expect_d_eq(t.nphases - off, 5, "phases seen after INIT");
    for (int i = 0; i < 5 && i + off < t.nphases; i++)
        expect_d_eq(t.phases[i + off], want[i], "phase %d", i);
    /* A random 90 % freed: between 5 % and 20 % of the peak stays live in FREED. */
    expect_d_gt(t.live_max, 10 << 20, "peak live bytes at scale 0.05");
    expect_d_ge(t.live_freed_min * 20, t.live_max, "FREED live %lld of peak %lld",
                (long long)t.live_freed_min, (long long)t.live_max);
    expect_d_le(t.live_freed_max * 5, t.live_max, "FREED live %lld of peak %lld",
                (long long)t.live_freed_max, (long long)t.live_max);
    expect_d_ge((long long)(t.trimmed_ns - t.freed_ns), 150LL * 1000000, "FREED lasted");
    expect_u64_ge(t.end.phase_total_ns[BENCH_PHASE_FREED], 150ULL * 1000000, "time in FREED");
    expect_u64_gt(t.end.phase_total_ns[BENCH_PHASE_RUN], 0, "time in RUN (both periods)");
}
TEST_END

/* A tiny trace recorded under libmini's shim (wl-small-churn), planned by mini-trace, replayed
 * under this test's allocator (LD_PRELOAD of the environment: glibc or jemalloc). */
TEST_BEGIN(trace_replay)
{
    char dir[] = "/tmp/shm-check-XXXXXX", cmd[1024], trc[256], plan[256];
    require_true(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(trc, sizeof(trc), "%s/t.trc", dir);
    snprintf(plan, sizeof(plan), "%s/t.plan", dir);
    test_skip_if(access("build/lib/libmini-preload.so", R_OK) != 0, "libmini-preload.so not built");
    snprintf(cmd, sizeof(cmd),
             "env -u MINI_BENCH_SHM LD_PRELOAD=build/lib/libmini-preload.so MINI_TRACE=%s " BIN
             "wl-small-churn --scale 0.002 >/dev/null && " BIN "mini-trace plan %s %s "
             ">/dev/null",
             trc, trc, plan);
    require_true(system(cmd) == 0, "record and plan: %s", cmd);
    uint64_t ncalls = 0;
    FILE *f = fopen(plan, "rb");
    require_true(f != NULL && fseek(f, 32, SEEK_SET) == 0 && fread(&ncalls, 8, 1, f) == 1,
                 "read the plan's call count");
    fclose(f);
    const char *a[] = {"replay", "--free-at-end", "--name", "trace-test", plan, NULL};
    struct trace t;
    run(&t, true, "mini-trace", a);
    expect_true(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0, "exit status 0x%x", t.status);
    expect_u64_eq(t.end.magic, BENCH_SHM_MAGIC, "magic");
    expect_true(strcmp(t.end.workload, "trace-test") == 0, "name '%.32s'", t.end.workload);
    expect_true(strcmp(t.end.ops_unit, "replayed calls") == 0, "unit '%.24s'", t.end.ops_unit);
    expect_u64_gt(ncalls, 1000, "calls in the plan");
    expect_u64_eq(t.ops_end, ncalls, "ops = the plan's calls");
    expect_d_gt(t.live_max, 0, "live bytes during the replay");
    expect_d_eq(t.live_end, 0, "live bytes at the end (--free-at-end)");
    expect_d_eq(t.end.phase, BENCH_PHASE_DONE, "final phase");
    expect_u64_gt(t.end.phase_total_ns[BENCH_PHASE_RUN], 0, "time in RUN");
    for (int i = 1; i < t.nphases; i++)
        expect_d_gt(t.phases[i], t.phases[i - 1], "phase order at %d", i);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    expect_d_eq(system(cmd), 0, "clean up %s", dir);
}
TEST_END

TEST_BEGIN(no_shm)
{
    const char *a[] = {"--scale", "0.01", NULL};
    struct trace t;
    run(&t, false, "wl-small-churn", a);
    expect_true(WIFEXITED(t.status) && WEXITSTATUS(t.status) == 0, "exit status 0x%x", t.status);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, small_churn, prodcons, server_sim, false_sharing, frag, size_sweep,
                     realloc_growth, phase, no_shm, trace_replay);
}
