/*
 * probes.c — the memory probes of mini-calibrate (the list and units are in calibrate.h).
 *
 * A region probe maps `pages` fresh anonymous pages (MADV_NOHUGEPAGE), times one operation over
 * all of them and divides by the page count; per-call probes time each call on its own and
 * subtract the cost of reading the clock. Each probe runs `reps` times; the median is kept.
 *
 *   fresh region:   [ page 0 | page 1 | ... | page N-1 ]   one byte touched per page
 *   write touch:    N x do_anonymous_page (allocate + zero + map)
 *   read touch:     N x zero-page mapping, then a write:  N x wp_page_copy
 *   fork COW:       parent writes all N, forks; child writes all N: N x copy of a shared page
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/calibrate/calibrate.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static size_t page_size;
static double clock_ns; /* the cost of one cal_now_ns() */

static char *map_region(size_t pages, int extra_flags)
{
    char *p = mmap(NULL, pages * page_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "mini-calibrate: mmap of %zu pages: %s\n", pages, strerror(errno));
        exit(1);
    }
    madvise(p, pages * page_size, MADV_NOHUGEPAGE);
    return p;
}

static void touch_write(char *p, size_t pages)
{
    for (size_t i = 0; i < pages; i++)
        p[i * page_size] = (char)i;
}

static unsigned touch_read(const char *p, size_t pages)
{
    unsigned s = 0;
    for (size_t i = 0; i < pages; i++)
        s += (unsigned)((volatile const char *)p)[i * page_size];
    return s;
}

static void measure_clock(void)
{
    double v[101];
    for (int i = 0; i < 101; i++) {
        int64_t a = cal_now_ns();
        int64_t b = cal_now_ns();
        v[i] = (double)(b - a);
    }
    clock_ns = cal_median(v, 101);
    cal_put_value("clock_overhead_ns", clock_ns);
}

static void probe_faults(int reps, size_t pages)
{
    double *w = calloc((size_t)reps, sizeof(double) * 4);
    double *r = w + reps, *rw = r + reps, *dummy = rw + reps;
    for (int k = 0; k < reps; k++) {
        char *p = map_region(pages, 0);
        int64_t t0 = cal_now_ns();
        touch_write(p, pages);
        w[k] = (double)(cal_now_ns() - t0) / (double)pages;
        munmap(p, pages * page_size);

        p = map_region(pages, 0);
        t0 = cal_now_ns();
        dummy[k] = touch_read(p, pages);
        r[k] = (double)(cal_now_ns() - t0) / (double)pages;
        t0 = cal_now_ns();
        touch_write(p, pages);
        rw[k] = (double)(cal_now_ns() - t0) / (double)pages;
        munmap(p, pages * page_size);
    }
    cal_put("fault_write_ns", w, reps);
    cal_put("fault_read_zero_ns", r, reps);
    cal_put("zero_cow_fault_ns", rw, reps);
    free(w);
}

/* The child of a fork writes every page the parent populated; it reports its time. */
static void probe_cow(int reps, size_t pages)
{
    double *v = calloc((size_t)reps, sizeof(double));
    int n = 0;
    for (int k = 0; k < reps; k++) {
        char *p = map_region(pages, 0);
        touch_write(p, pages);
        int fd[2];
        if (pipe(fd) != 0)
            break;
        pid_t pid = fork();
        if (pid == 0) {
            close(fd[0]);
            int64_t t0 = cal_now_ns();
            touch_write(p, pages);
            double ns = (double)(cal_now_ns() - t0) / (double)pages;
            _exit(write(fd[1], &ns, sizeof(ns)) == sizeof(ns) ? 0 : 1);
        }
        close(fd[1]);
        double ns;
        if (pid > 0 && read(fd[0], &ns, sizeof(ns)) == sizeof(ns))
            v[n++] = ns;
        close(fd[0]);
        if (pid > 0)
            waitpid(pid, NULL, 0);
        munmap(p, pages * page_size);
    }
    cal_put("cow_fault_ns", v, n);
    free(v);
}

static void probe_calls(int reps)
{
    const int calls = 2000;
    const size_t len = 64 * 1024;
    double *mm = calloc((size_t)reps * 4, sizeof(double));
    double *mu = mm + reps, *br = mu + reps;
    for (int k = 0; k < reps; k++) {
        double tm = 0, tu = 0;
        for (int i = 0; i < calls; i++) {
            int64_t a = cal_now_ns();
            void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            int64_t b = cal_now_ns();
            if (p == MAP_FAILED)
                exit(1);
            munmap(p, len);
            int64_t c = cal_now_ns();
            tm += (double)(b - a) - clock_ns;
            tu += (double)(c - b) - clock_ns;
        }
        mm[k] = tm / calls;
        mu[k] = tu / calls;

        /* brk up and down by 64 KiB, never touched: the cost of the call and the VMA change. */
        char *cur = sbrk(0);
        int64_t t0 = cal_now_ns();
        for (int i = 0; i < calls; i++) {
            if (brk(cur + len) != 0 || brk(cur) != 0) {
                fprintf(stderr, "mini-calibrate: brk: %s\n", strerror(errno));
                exit(1);
            }
        }
        br[k] = (double)(cal_now_ns() - t0) / (2.0 * calls);
    }
    cal_put("brk_call_ns", br, reps);
    cal_put("mmap_call_ns", mm, reps);
    cal_put("munmap_call_ns", mu, reps);
    free(mm);
}

static void probe_release(int reps, size_t pages, double mmap_call, double munmap_call)
{
    double *un = calloc((size_t)reps * 6, sizeof(double));
    double *dn = un + reps, *fr = dn + reps, *pop = fr + reps, *popw = pop + reps,
           *popall = popw + reps;
    size_t bytes = pages * page_size;
    for (int k = 0; k < reps; k++) {
        char *p = map_region(pages, 0);
        touch_write(p, pages);
        int64_t t0 = cal_now_ns();
        munmap(p, bytes);
        un[k] = ((double)(cal_now_ns() - t0) - munmap_call) / (double)pages;

        p = map_region(pages, 0);
        touch_write(p, pages);
        t0 = cal_now_ns();
        madvise(p, bytes, MADV_DONTNEED);
        dn[k] = (double)(cal_now_ns() - t0) / (double)pages;
        touch_write(p, pages);
        t0 = cal_now_ns();
        madvise(p, bytes, MADV_FREE);
        fr[k] = (double)(cal_now_ns() - t0) / (double)pages;
        munmap(p, bytes);

        t0 = cal_now_ns();
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                 -1, 0);
        double whole = (double)(cal_now_ns() - t0);
        if (p == MAP_FAILED)
            exit(1);
        munmap(p, bytes);
        popall[k] = whole / (double)pages;
        pop[k] = (whole - mmap_call) / (double)pages; /* beyond a plain mmap call */

        p = map_region(pages, 0);
        t0 = cal_now_ns();
        int rc = madvise(p, bytes, MADV_POPULATE_WRITE);
        popw[k] = rc == 0 ? (double)(cal_now_ns() - t0) / (double)pages : -1;
        munmap(p, bytes);
    }
    cal_put("munmap_page_ns", un, reps);
    cal_put("madvise_dontneed_page_ns", dn, reps);
    cal_put("madvise_free_page_ns", fr, reps);
    cal_put("populate_page_ns", pop, reps);
    cal_put("mmap_populate_page_ns", popall, reps);
    cal_put("madv_populate_write_page_ns", popw, reps);
    free(un);
}

static void probe_memset(int reps)
{
    const size_t bytes = 64u << 20;
    char *p = map_region(bytes / page_size, 0);
    memset(p, 1, bytes);
    void *(*volatile do_memset)(void *, int, size_t) = memset;
    double *v = calloc((size_t)reps, sizeof(double));
    for (int k = 0; k < reps; k++) {
        int64_t t0 = cal_now_ns();
        for (int pass = 0; pass < 4; pass++)
            do_memset(p, k + pass, bytes);
        v[k] = 4.0 * (double)bytes / (double)(cal_now_ns() - t0); /* bytes/ns = GB/s */
    }
    cal_put("memset_gbps", v, reps);
    munmap(p, bytes);
    free(v);
}

void cal_probes(int reps, size_t pages)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    measure_clock();
    /* One unrecorded pass so that the first measurement does not pay for first use of memory. */
    cal_recording = false;
    probe_faults(1, pages);
    cal_recording = true;
    probe_faults(reps, pages);
    probe_cow(reps, pages);
    probe_calls(reps);
    /* The call costs are known now: the per-page costs are what a call costs beyond them. */
    probe_release(reps, pages, cal_lookup("mmap_call_ns"), cal_lookup("munmap_call_ns"));
    probe_memset(reps);
}
