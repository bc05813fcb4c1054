/*
 * sampling.c — what mini-bench's RSS sampling costs: the time of one sample (a pread of
 * /proc/PID/status and the parse of VmRSS, RssAnon, VmHWM, exactly what the runner does) and
 * the slowdown of a workload that is sampled every sample_ms against the same workload not
 * sampled.
 *
 * The workload is a forked child that maps, writes and unmaps 4 MiB regions (page faults and
 * mm counter updates: what /proc/PID/status reads) for a fixed amount of work and reports its
 * own elapsed time. Sampled and unsampled runs alternate so that background noise falls on
 * both alike; the medians are compared.
 *
 *   sample_status_us       median cost of one sample, microseconds
 *   sampling_slowdown_pct  median over the pairs of 100 x (sampled / unsampled - 1), with the
 *                          smallest and largest pair (_min_pct, _max_pct): the noise
 *   sampling_slowdown_best_pct  the fastest sampled run against the fastest unsampled one: the
 *                          estimate least disturbed by other processes
 *   sampling_cpu_pct       time the runner spends sampling per second of run, percent
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/calibrate/calibrate.h"

#define WORK_ITERS 128
#define WORK_BYTES (4u << 20)

static void child_work(int fd)
{
    int64_t t0 = cal_now_ns();
    for (int i = 0; i < WORK_ITERS; i++) {
        char *p =
            mmap(NULL, WORK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            _exit(1);
        madvise(p, WORK_BYTES, MADV_NOHUGEPAGE);
        memset(p, i, WORK_BYTES);
        munmap(p, WORK_BYTES);
    }
    double ns = (double)(cal_now_ns() - t0);
    _exit(write(fd, &ns, sizeof(ns)) == sizeof(ns) ? 0 : 1);
}

static long parse_field(const char *buf, const char *key)
{
    const char *p = strstr(buf, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* Runs the child once; returns its elapsed ns, and adds the sampling cost to *cost_ns. */
static double run_once(int sample_ms, double *cost_ns, long *nsamples)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        child_work(fd[1]);
    }
    close(fd[1]);
    if (pid < 0)
        return -1;
    if (sample_ms > 0) {
        char path[64], buf[4096];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        int sfd = open(path, O_RDONLY | O_CLOEXEC);
        int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        struct pollfd pfd = {pidfd, POLLIN, 0};
        for (;;) {
            int64_t a = cal_now_ns();
            ssize_t n = sfd >= 0 ? pread(sfd, buf, sizeof(buf) - 1, 0) : -1;
            if (n > 0) {
                buf[n] = '\0';
                volatile long s = parse_field(buf, "VmRSS:") + parse_field(buf, "RssAnon:") +
                                  parse_field(buf, "VmHWM:");
                (void)s;
                *cost_ns += (double)(cal_now_ns() - a);
                (*nsamples)++;
            }
            if (poll(&pfd, pidfd >= 0 ? 1 : 0, sample_ms) != 0)
                break;
        }
        if (sfd >= 0)
            close(sfd);
        if (pidfd >= 0)
            close(pidfd);
    }
    double ns = -1;
    if (read(fd[0], &ns, sizeof(ns)) != sizeof(ns))
        ns = -1;
    close(fd[0]);
    waitpid(pid, NULL, 0);
    return ns;
}

void cal_sampling(int pairs, int sample_ms)
{
    double *off = calloc((size_t)pairs * 2, sizeof(double)), *on = off + pairs;
    double cost = 0, on_total = 0;
    /* off[k] and on[k] are one pair (run back to back). */
    long nsamples = 0;
    int n = 0;
    double unused = 0;
    long unused_n = 0;
    run_once(0, &unused, &unused_n); /* warm-up */
    for (int k = 0; k < pairs; k++) {
        double a = run_once(0, &unused, &unused_n);
        double b = run_once(sample_ms, &cost, &nsamples);
        if (a <= 0 || b <= 0)
            continue;
        off[n] = a;
        on[n] = b;
        on_total += b;
        n++;
    }
    if (n > 0 && nsamples > 0) {
        double *pct = calloc((size_t)n, sizeof(double));
        for (int k = 0; k < n; k++)
            pct[k] = 100.0 * (on[k] / off[k] - 1.0);
        double m_off = cal_median(off, n);
        cal_put_value("sample_status_us", cost / (double)nsamples / 1e3);
        cal_put_value("sampling_slowdown_pct", cal_median(pct, n));
        cal_put_value("sampling_slowdown_min_pct", pct[0]);
        cal_put_value("sampling_slowdown_max_pct", pct[n - 1]);
        /* Fastest against fastest: the least disturbed run of each kind. */
        double best_off = off[0], best_on = on[0];
        for (int k = 1; k < n; k++) {
            best_off = off[k] < best_off ? off[k] : best_off;
            best_on = on[k] < best_on ? on[k] : best_on;
        }
        cal_put_value("sampling_slowdown_best_pct", 100.0 * (best_on / best_off - 1.0));
        free(pct);
        cal_put_value("sampling_cpu_pct", 100.0 * cost / on_total);
        cal_put_value("sampling_workload_ms", m_off / 1e6);
    }
    free(off);
}
