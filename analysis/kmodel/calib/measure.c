/*
 * measure.c — build/bin/kmodel-calibrate: measure this machine's costs of the events the kernel
 * model charges, and print them as the flat JSON object `kmodel --calibration` reads (the keys
 * `make bench` writes to results/calibration.json). Each value is the median of 5 runs.
 *
 *   kmodel-calibrate [PAGES]     (default 16384 pages = 64 MiB per measurement)
 *
 * analysis/kmodel/calibration-default.json was written by this program on the reference VM.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNS 5

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v)
{
    qsort(v, RUNS, sizeof(double), cmp);
    return v[RUNS / 2];
}

static char *map(size_t len, int extra)
{
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    madvise(p, len, MADV_NOHUGEPAGE);
    return p;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 16384;
    size_t len = n * 4096;
    double v[RUNS], fw[RUNS], fr[RUNS], pop[RUNS], cow[RUNS], brk_[RUNS], mm[RUNS], mu[RUNS],
        mup[RUNS], dn[RUNS], ms[RUNS];
    volatile char sink = 0;
    for (int r = 0; r < RUNS; r++) {
        /* First-write faults. */
        char *p = map(len, 0);
        double t0 = now_ns();
        for (size_t i = 0; i < n; i++)
            p[i * 4096] = 1;
        fw[r] = (now_ns() - t0) / (double)n;
        /* memset bandwidth over resident memory (bytes per ns = GB/s). */
        t0 = now_ns();
        memset(p, 0x5a, len);
        ms[r] = (double)len / (now_ns() - t0);
        /* MADV_DONTNEED of resident pages. */
        t0 = now_ns();
        madvise(p, len, MADV_DONTNEED);
        dn[r] = (now_ns() - t0) / (double)n;
        /* Read faults mapping the zero page. */
        t0 = now_ns();
        for (size_t i = 0; i < n; i++)
            sink += p[i * 4096];
        fr[r] = (now_ns() - t0) / (double)n;
        munmap(p, len);
        /* MAP_POPULATE. */
        t0 = now_ns();
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1,
                 0);
        pop[r] = (now_ns() - t0) / (double)n;
        /* munmap of resident pages (the per-call part is subtracted below). */
        t0 = now_ns();
        munmap(p, len);
        mup[r] = now_ns() - t0;
        /* COW faults in a child after fork. */
        p = map(len, 0);
        memset(p, 1, len);
        int fd[2];
        if (pipe(fd) != 0)
            return 1;
        pid_t pid = fork();
        if (pid == 0) {
            double c0 = now_ns();
            for (size_t i = 0; i < n; i++)
                p[i * 4096] = 2;
            double per = (now_ns() - c0) / (double)n;
            if (write(fd[1], &per, sizeof(per)) != sizeof(per))
                _exit(1);
            _exit(0);
        }
        double per = 0;
        if (read(fd[0], &per, sizeof(per)) != sizeof(per))
            per = 0;
        waitpid(pid, NULL, 0);
        close(fd[0]);
        close(fd[1]);
        cow[r] = per;
        munmap(p, len);
        /* brk, mmap and munmap calls. */
        enum { M = 2000 };
        t0 = now_ns();
        for (int i = 0; i < M; i++) {
            sbrk(4096);
            sbrk(-4096);
        }
        brk_[r] = (now_ns() - t0) / (2.0 * M);
        static char *maps[M];
        t0 = now_ns();
        for (int i = 0; i < M; i++)
            maps[i] = mmap(NULL, 4096, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        mm[r] = (now_ns() - t0) / M;
        t0 = now_ns();
        for (int i = 0; i < M; i++)
            munmap(maps[i], 4096);
        mu[r] = (now_ns() - t0) / M;
    }
    /* read(2) of a file: from the disk (cache dropped) and from the page cache. */
    double fio[RUNS], fcache[RUNS];
    char path[] = "/var/tmp/kmodel-calibrate-XXXXXX";
    int fd = mkstemp(path);
    size_t flen = 64u << 20;
    static char fbuf[128 << 10];
    memset(fbuf, 0x33, sizeof(fbuf));
    bool file_ok = fd >= 0;
    for (size_t done = 0; file_ok && done < flen; done += sizeof(fbuf))
        file_ok = write(fd, fbuf, sizeof(fbuf)) == (ssize_t)sizeof(fbuf);
    if (file_ok)
        fsync(fd);
    for (int r = 0; r < RUNS && file_ok; r++) {
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        lseek(fd, 0, SEEK_SET);
        double t0 = now_ns();
        while (read(fd, fbuf, sizeof(fbuf)) > 0)
            ;
        fio[r] = (now_ns() - t0) / (double)(flen / 4096);
        lseek(fd, 0, SEEK_SET);
        t0 = now_ns();
        while (read(fd, fbuf, sizeof(fbuf)) > 0)
            ;
        fcache[r] = (now_ns() - t0) / (double)(flen / 4096);
    }
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    double munmap_call = median(mu);
    for (int r = 0; r < RUNS; r++)
        v[r] = (mup[r] - munmap_call) / (double)n;
    printf("{\n");
    printf("  \"fault_write_ns\": %.0f,\n", median(fw));
    printf("  \"fault_read_zero_ns\": %.0f,\n", median(fr));
    printf("  \"populate_page_ns\": %.0f,\n", median(pop));
    printf("  \"cow_fault_ns\": %.0f,\n", median(cow));
    printf("  \"brk_call_ns\": %.0f,\n", median(brk_));
    printf("  \"mmap_call_ns\": %.0f,\n", median(mm));
    printf("  \"munmap_call_ns\": %.0f,\n", munmap_call);
    printf("  \"munmap_page_ns\": %.0f,\n", median(v));
    printf("  \"madvise_dontneed_page_ns\": %.0f,\n", median(dn));
    printf("  \"memset_gbps\": %.2f%s\n", median(ms), file_ok ? "," : "");
    if (file_ok) {
        printf("  \"file_read_page_ns\": %.0f,\n", median(fcache));
        printf("  \"file_read_io_page_ns\": %.0f\n", median(fio));
    }
    printf("}\n");
    (void)sink;
    return 0;
}
