/*
 * wl-size-sweep — sizes from 64 KiB to 1 MiB around the mmap threshold: brk vs mmap and the
 * page-fault cost of each.
 *
 * For each size, in increasing order — a geometric set 64 KiB * 2^(k/4) up to 1 MiB, plus
 * 128 KiB - 17, 128 KiB - 16, 128 KiB and 128 KiB + 1 around the classic 128 KiB threshold
 * (libmini's, and glibc's initial one) — it repeats: malloc, touch every 4 KiB page (a stamp
 * at the start of each page and at the end), check the first and last stamps, free. One op is
 * one such malloc+touch+free; the number of ops per size is scaled so that each size moves
 * 256 MiB at scale 1.0 (at least 16 ops). An allocator that serves the size from mmap pays an
 * mmap, a munmap and one page fault per page every time; one that keeps it in its heap pays
 * the faults once. The order matters for glibc, whose mmap threshold rises to the size of the
 * last mmapped block freed (the dynamic threshold), and is kept fixed for that reason.
 * --size S runs one size only, so that the runner can measure its faults alone.
 *
 * stdout is a CSV table: size,ops,ns_per_op,minflt_per_op (minor faults from getrusage,
 * per op; the runner measures the faults of the whole run by itself).
 */
#include "bench/workloads/wl.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#define KIB 1024u

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static long minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

int main(int argc, char **argv)
{
    uint64_t only = 0;
    const struct wl_opt opts[] = {
        {"size", WL_OPT_SIZE, &only, 1, 1024.0 * 1024 * 1024, NULL,
         "run this size only (bytes; k, m, g suffixes are KiB, MiB, GiB)"},
        {0},
    };
    const struct wl_spec spec = {
        .name = "size-sweep",
        .summary = "Size sweep from 64 KiB to 1 MiB around the mmap threshold: per size,\n"
                   "malloc, touch every page, free, repeated (256 MiB per size at scale 1.0).\n"
                   "stdout: CSV size,ops,ns_per_op,minflt_per_op.",
        .ops_unit = "malloc+touch+free",
        .opts = opts,
    };
    wl_init(argc, argv, &spec);

    size_t sizes[32];
    int nsizes = 0;
    if (only) {
        sizes[nsizes++] = (size_t)only;
    } else {
        for (int k = 0; k <= 16; k++)
            sizes[nsizes++] = (size_t)(64.0 * KIB * __builtin_pow(2.0, k / 4.0) + 0.5);
        sizes[nsizes++] = 128 * KIB - 17;
        sizes[nsizes++] = 128 * KIB - 16;
        sizes[nsizes++] = 128 * KIB + 1;
        qsort(sizes, (size_t)nsizes, sizeof(sizes[0]), cmp_size);
        int u = 0;
        for (int i = 0; i < nsizes; i++)
            if (u == 0 || sizes[u - 1] != sizes[i])
                sizes[u++] = sizes[i];
        nsizes = u;
    }

    struct wl_ctr c;
    wl_ctr_init(&c, 0, 1);
    printf("size,ops,ns_per_op,minflt_per_op\n");
    wl_phase(BENCH_PHASE_RUN);
    for (int i = 0; i < nsizes; i++) {
        size_t n = sizes[i];
        uint64_t ops = wl_scaled(256.0 * 1024 * 1024 / (double)n, 16);
        long f0 = minflt();
        uint64_t t0 = wl_now_ns();
        for (uint64_t k = 0; k < ops; k++) {
            uint64_t tag = wl_tag(i, k);
            void *p = wl_malloc(n);
            wl_ctr_live(&c, (int64_t)n);
            wl_fill(p, n, tag);
            wl_check_range(p, 0, n < 8 ? n : 8, tag);
            wl_check_range(p, n < 8 ? 0 : n - 8, n, tag);
            free(p);
            wl_ctr_live(&c, -(int64_t)n);
            wl_ctr_ops(&c, 1);
        }
        uint64_t dt = wl_now_ns() - t0;
        long df = minflt() - f0;
        printf("%zu,%llu,%.1f,%.2f\n", n, (unsigned long long)ops, (double)dt / (double)ops,
               (double)df / (double)ops);
        fflush(stdout);
    }
    wl_done();
    return 0;
}
