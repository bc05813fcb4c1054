/*
 * perfev.c — the counters of one run through perf_event_open(2).
 *
 *   counter        event                                         source
 *   minflt         PERF_COUNT_SW_PAGE_FAULTS_MIN (software)      kernel, always there
 *   majflt         PERF_COUNT_SW_PAGE_FAULTS_MAJ (software)
 *   cycles         perf::PERF_COUNT_HW_CPU_CYCLES                libpfm4 encoding, needs a PMU
 *   instructions   perf::PERF_COUNT_HW_INSTRUCTIONS
 *   llc_misses     perf::PERF_COUNT_HW_CACHE_LL:READ:MISS
 *   dtlb_misses    perf::PERF_COUNT_HW_CACHE_DTLB:READ:MISS
 *
 * Every counter is opened by the runner on the child's pid before the child execs: disabled,
 * enable_on_exec, inherit (the workload's threads and children count too), user and kernel.
 * The hardware events are encoded once with pfm_get_os_event_encoding; on a machine without a
 * PMU the encoding works but perf_event_open fails (ENOENT), and the counters say
 * "n/a (no PMU: <errno text>)". Hardware counts are scaled by time_enabled / time_running when
 * the kernel multiplexed them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench/runner/runner.h"

const char *const runner_counter_names[RUNNER_NCTR] = {"minflt",       "majflt",     "cycles",
                                                       "instructions", "llc_misses", "dtlb_misses"};

static const char *const hw_events[RUNNER_NCTR] = {
    [RUNNER_CTR_CYCLES] = "perf::PERF_COUNT_HW_CPU_CYCLES",
    [RUNNER_CTR_INSTRUCTIONS] = "perf::PERF_COUNT_HW_INSTRUCTIONS",
    [RUNNER_CTR_LLC_MISSES] = "perf::PERF_COUNT_HW_CACHE_LL:READ:MISS",
    [RUNNER_CTR_DTLB_MISSES] = "perf::PERF_COUNT_HW_CACHE_DTLB:READ:MISS",
};

static struct perf_event_attr hw_attr[RUNNER_NCTR];
static bool hw_encoded;
static char hw_encode_note[160];

/*
 * libpfm4 is loaded with dlopen only for the encoding and unloaded afterwards: its relocated
 * tables take about 1 MiB of anonymous memory, which every forked child would inherit and
 * which would then count in the workload's ru_maxrss (see runner.h).
 */
bool runner_perf_init(char *why, size_t len)
{
    void *lib = dlopen("libpfm.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        snprintf(hw_encode_note, sizeof(hw_encode_note), "n/a (libpfm4 not loadable: %s)",
                 dlerror());
        snprintf(why, len, "%s", hw_encode_note);
        return false;
    }
    int (*init)(void) = (int (*)(void))dlsym(lib, "pfm_initialize");
    void (*term)(void) = (void (*)(void))dlsym(lib, "pfm_terminate");
    const char *(*err)(int) = (const char *(*)(int))dlsym(lib, "pfm_strerror");
    int (*encode)(const char *, int, pfm_os_t, void *) =
        (int (*)(const char *, int, pfm_os_t, void *))dlsym(lib, "pfm_get_os_event_encoding");
    if (init == NULL || term == NULL || err == NULL || encode == NULL) {
        snprintf(hw_encode_note, sizeof(hw_encode_note), "n/a (libpfm4 lacks its API)");
        snprintf(why, len, "%s", hw_encode_note);
        dlclose(lib);
        return false;
    }
    int r = init();
    for (int i = RUNNER_FIRST_HW; i < RUNNER_NCTR && r == PFM_SUCCESS; i++) {
        pfm_perf_encode_arg_t arg;
        memset(&arg, 0, sizeof(arg));
        memset(&hw_attr[i], 0, sizeof(hw_attr[i]));
        arg.attr = &hw_attr[i];
        arg.size = sizeof(arg);
        r = encode(hw_events[i], PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT_EXT, &arg);
        if (r != PFM_SUCCESS)
            snprintf(hw_encode_note, sizeof(hw_encode_note), "n/a (libpfm4 cannot encode %s: %s)",
                     hw_events[i], err(r));
    }
    if (r != PFM_SUCCESS && hw_encode_note[0] == '\0')
        snprintf(hw_encode_note, sizeof(hw_encode_note), "n/a (libpfm4: %s)", err(r));
    term();
    dlclose(lib);
    hw_encoded = r == PFM_SUCCESS;
    if (!hw_encoded)
        snprintf(why, len, "%s", hw_encode_note);
    return hw_encoded;
}

static int perf_open(struct perf_event_attr *attr, int pid)
{
    attr->size = sizeof(*attr);
    attr->disabled = 1;
    attr->enable_on_exec = 1;
    attr->inherit = 1;
    attr->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    return (int)syscall(SYS_perf_event_open, attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

void runner_perf_open(struct runner_counters *c, int pid)
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < RUNNER_NCTR; i++)
        c->fd[i] = -1;

    static const uint64_t sw_config[2] = {PERF_COUNT_SW_PAGE_FAULTS_MIN,
                                          PERF_COUNT_SW_PAGE_FAULTS_MAJ};
    for (int i = 0; i < 2; i++) {
        struct perf_event_attr a;
        memset(&a, 0, sizeof(a));
        a.type = PERF_TYPE_SOFTWARE;
        a.config = sw_config[i];
        c->fd[i] = perf_open(&a, pid);
        if (c->fd[i] < 0 && errno == EACCES) {
            /* perf_event_paranoid > 1 without CAP_PERFMON: user-mode faults only. */
            memset(&a, 0, sizeof(a));
            a.type = PERF_TYPE_SOFTWARE;
            a.config = sw_config[i];
            a.exclude_kernel = 1;
            c->fd[i] = perf_open(&a, pid);
            if (c->fd[i] >= 0 && c->sw_note[0] == '\0')
                snprintf(c->sw_note, sizeof(c->sw_note),
                         "perf counts user-mode faults only (kernel.perf_event_paranoid; run as "
                         "root for all faults)");
        }
        if (c->fd[i] < 0 && c->sw_note[0] == '\0')
            snprintf(c->sw_note, sizeof(c->sw_note),
                     "n/a (perf_event_open software events: %s; getrusage used)", strerror(errno));
    }

    if (!hw_encoded) {
        snprintf(c->hw_note, sizeof(c->hw_note), "%s",
                 hw_encode_note[0] ? hw_encode_note : "n/a (libpfm4 not initialised)");
        return;
    }
    for (int i = RUNNER_FIRST_HW; i < RUNNER_NCTR; i++) {
        struct perf_event_attr a = hw_attr[i];
        c->fd[i] = perf_open(&a, pid);
        if (c->fd[i] < 0 && c->hw_note[0] == '\0') {
            int e = errno;
            snprintf(c->hw_note, sizeof(c->hw_note), "n/a (%s: perf_event_open: %s)",
                     (e == ENOENT || e == EOPNOTSUPP || e == ENODEV) ? "no PMU" : "not permitted",
                     strerror(e));
        }
    }
}

void runner_perf_read_close(struct runner_counters *c)
{
    for (int i = 0; i < RUNNER_NCTR; i++) {
        if (c->fd[i] < 0)
            continue;
        uint64_t v[3];
        ssize_t n = read(c->fd[i], v, sizeof(v));
        if (n == (ssize_t)sizeof(v)) {
            c->ok[i] = true;
            c->value[i] = v[0];
            /* Scale a multiplexed hardware counter to the whole enabled time. */
            if (i >= RUNNER_FIRST_HW && v[2] > 0 && v[2] < v[1])
                c->value[i] = (uint64_t)((double)v[0] * (double)v[1] / (double)v[2]);
        } else if (i < RUNNER_FIRST_HW && c->sw_note[0] == '\0') {
            snprintf(c->sw_note, sizeof(c->sw_note), "n/a (reading perf counter: %s)",
                     n < 0 ? strerror(errno) : "short read");
        }
        close(c->fd[i]);
        c->fd[i] = -1;
    }
}
