/*
 * e1_faults.c — E1: fault counts (exact) and touch time (calibrated, within 30 %) of N
 * anonymous pages touched one byte each as write | read | read-then-write | MAP_POPULATE.
 */
#include "analysis/kmodel/validate/validate.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static long smaps_rss_kb(void *addr)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    bool in = false;
    long rss = -1;
    while (f && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = lo == (unsigned long)addr;
            continue;
        }
        if (in && sscanf(line, "Rss: %ld kB", &rss) == 1)
            break;
    }
    if (f)
        fclose(f);
    return rss;
}

static const char *const names[] = {"write", "read", "read-then-write", "MAP_POPULATE"};

int e1_faults(void)
{
    const size_t n = 16384;
    const size_t len = n * 4096;
    for (int m = 0; m < 4; m++) {
        /* Warm up: the first use of guest-physical memory in this VM costs an extra
         * hypervisor fault (and lazy init); the calibration measures the steady state, so the
         * timed run reuses memory that was just freed. */
        char *w = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (w != MAP_FAILED) {
            madvise(w, len, MADV_NOHUGEPAGE);
            memset(w, 1, len);
            munmap(w, len);
        }
        /* Real. */
        volatile char *p;
        long f0, f1;
        double t0, t1;
        char sink = 0;
        if (m == 3) {
            f0 = minflt();
            t0 = now_ns();
            p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                     -1, 0);
            t1 = now_ns();
            f1 = minflt();
            madvise((void *)p, len, MADV_NOHUGEPAGE);
        } else {
            p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            madvise((void *)p, len, MADV_NOHUGEPAGE);
            f0 = minflt();
            t0 = now_ns();
            for (size_t i = 0; i < n; i++) {
                if (m == 1 || m == 2)
                    sink += p[i * 4096];
                if (m == 0 || m == 2)
                    p[i * 4096] = 1;
            }
            t1 = now_ns();
            f1 = minflt();
        }
        long rss = smaps_rss_kb((void *)p) / 4;
        munmap((void *)p, len);
        (void)sink;
        /* Model. */
        struct km *km = v_model(0, 0, 50);
        if (km == NULL)
            return -1;
        struct km_mm *mm = proc_create(km, "e1", 0);
        int e;
        uint64_t mf0 = mm->minflt, mr0 = proc_rss(mm), mt0 = mm->time_ns;
        uint64_t a =
            vma_mmap(km, mm, 0, len, KM_PROT_READ | KM_PROT_WRITE,
                     KM_MAP_PRIVATE | KM_MAP_ANON | (m == 3 ? KM_MAP_POPULATE : 0), -1, 0, &e);
        if (m != 3) {
            vma_madvise(km, mm, a, len, KM_MADV_NOHUGEPAGE);
            mt0 = mm->time_ns;
            for (size_t i = 0; i < n; i++) {
                if (m == 1 || m == 2)
                    fault_touch(km, mm, a + i * 4096, KM_TOUCH_READ);
                if (m == 0 || m == 2)
                    fault_touch(km, mm, a + i * 4096, KM_TOUCH_WRITE);
            }
        }
        char q[96];
        snprintf(q, sizeof(q), "%s: minor faults (N=%zu)", names[m], n);
        v_row("E1", q, (double)(f1 - f0), (double)(mm->minflt - mf0), T_EXACT, 0, "exact");
        snprintf(q, sizeof(q), "%s: resident pages", names[m]);
        v_row("E1", q, (double)rss, (double)(proc_rss(mm) - mr0), T_EXACT, 0, "exact");
        snprintf(q, sizeof(q), "%s: time (us)", names[m]);
        v_row("E1", q, (t1 - t0) / 1e3, (double)(mm->time_ns - mt0) / 1e3, T_REL, 0.30,
              "within 30 %");
        km_destroy(km);
    }
    return 0;
}
