/*
 * e1_e2.c — KMODEL-SPEC.md section 12.2 E1 (fault counts) and E2 (page-table cost), run for
 * real in this process and through the model with the same steps; compared exactly.
 *
 *   E1: mmap N anonymous pages (MADV_NOHUGEPAGE), touch one byte per page as write | read |
 *       read-then-write | MAP_POPULATE: (minor faults, resident pages) = (N, N), (N, 0),
 *       (2N, N), (N, N with no traps).
 *   E2: one byte every 2 MiB of a 1 GiB-aligned region: VmPTE grows by 4 KiB per 2 MiB and per
 *       1 GiB; MADV_DONTNEED frees the PTE pages (CONFIG_PT_RECLAIM), munmap all of them.
 */
#include "tests/kmodel/kmtest.h"

#include <sys/mman.h>
#include <sys/resource.h>

/* ASan's shadow memory faults and maps page tables beside the program's own: the real half is
 * measured only in builds without it. */
#if defined(__SANITIZE_ADDRESS__)
static const bool real_ok = false;
#else
static const bool real_ok = true;
#endif

enum mode { M_WRITE, M_READ, M_RW, M_POPULATE };
static const char *const mode_names[] = {"write", "read", "read-then-write", "populate"};

static long minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* Rss in kB of the mapping that starts at addr, from /proc/self/smaps (a page-table walk). */
static long smaps_rss_kb(void *addr)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (f == NULL)
        return -1;
    char line[512];
    bool in = false;
    long rss = -1;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = lo == (unsigned long)addr;
            continue;
        }
        if (in && sscanf(line, "Rss: %ld kB", &rss) == 1)
            break;
    }
    fclose(f);
    return rss;
}

struct res {
    long faults, resident_pages;
};

static struct res real_e1(enum mode m, size_t n)
{
    size_t len = n * 4096;
    volatile char *p;
    long f0 = minflt(), f1;
    if (m == M_POPULATE) {
        f0 = minflt();
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1,
                 0);
        f1 = minflt();
        /* A flag change splits it from a neighbour it may have merged with, so that smaps
         * shows exactly this range. */
        madvise((void *)p, len, MADV_NOHUGEPAGE);
    } else {
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        madvise((void *)p, len, MADV_NOHUGEPAGE);
        char sink = 0;
        f0 = minflt();
        for (size_t i = 0; i < n; i++) {
            if (m == M_READ || m == M_RW)
                sink += p[i * 4096];
            if (m == M_WRITE || m == M_RW)
                p[i * 4096] = 1;
        }
        f1 = minflt();
        (void)sink;
    }
    struct res r = {f1 - f0, smaps_rss_kb((void *)p) / 4};
    munmap((void *)p, len);
    return r;
}

static struct res model_e1(enum mode m, size_t n)
{
    struct km *km = kmt_machine(4ULL << 30, 0);
    struct km_mm *mm = proc_create(km, "e1", 0);
    int e;
    uint64_t len = n * 4096;
    uint64_t f0 = mm->minflt, rss0 = proc_rss(mm);
    uint64_t a =
        vma_mmap(km, mm, 0, len, KM_PROT_READ | KM_PROT_WRITE,
                 KM_MAP_PRIVATE | KM_MAP_ANON | (m == M_POPULATE ? KM_MAP_POPULATE : 0), -1, 0, &e);
    if (m != M_POPULATE) {
        vma_madvise(km, mm, a, len, KM_MADV_NOHUGEPAGE);
        for (size_t i = 0; i < n; i++) {
            if (m == M_READ || m == M_RW)
                fault_touch(km, mm, a + i * 4096, KM_TOUCH_READ);
            if (m == M_WRITE || m == M_RW)
                fault_touch(km, mm, a + i * 4096, KM_TOUCH_WRITE);
        }
    }
    km_check_all(km);
    struct res r = {(long)(mm->minflt - f0), (long)(proc_rss(mm) - rss0)};
    if (m == M_POPULATE && mm->perf_minflt != 0)
        test_fail("populate must not count perf minor-faults (got %llu)",
                  (unsigned long long)mm->perf_minflt);
    km_destroy(km);
    return r;
}

TEST_BEGIN(e1_fault_counts_model_formula_and_real)
{
    size_t n = 1000;
    const struct res want[] = {{1000, 1000}, {1000, 0}, {2000, 1000}, {1000, 1000}};
    for (int m = 0; m < 4; m++) {
        struct res md = model_e1((enum mode)m, n);
        expect_d_eq(md.faults, want[m].faults, "model %s faults", mode_names[m]);
        expect_d_eq(md.resident_pages, want[m].resident_pages, "model %s resident", mode_names[m]);
        if (!real_ok)
            continue;
        struct res rl = real_e1((enum mode)m, n);
        expect_d_eq(rl.faults, md.faults, "real vs model %s faults", mode_names[m]);
        expect_d_eq(rl.resident_pages, md.resident_pages, "real vs model %s resident",
                    mode_names[m]);
    }
}
TEST_END

static long vmpte_kb(void)
{
    return vmprobe_key("/proc/self/status", "VmPTE");
}

struct e2 {
    long grow, after_dontneed, after_munmap;
};

TEST_BEGIN(e2_page_table_cost_model_and_real)
{
    const size_t gib = 1ULL << 30, len = 2 * gib;
    /* Real: a 1 GiB-aligned 2 GiB region. */
    char *raw = mmap(NULL, len + gib, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    require_true(raw != MAP_FAILED, "mmap");
    char *p = (char *)(((uintptr_t)raw + gib - 1) & ~(uintptr_t)(gib - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (p + len < raw + len + gib)
        munmap(p + len, (size_t)(raw + len + gib - (p + len)));
    madvise(p, len, MADV_NOHUGEPAGE);
    struct e2 real;
    long v0 = vmpte_kb();
    for (size_t off = 0; off < len; off += 2 << 20)
        p[off] = 1;
    real.grow = vmpte_kb() - v0;
    madvise(p, len, MADV_DONTNEED);
    real.after_dontneed = vmpte_kb() - v0;
    munmap(p, len);
    real.after_munmap = vmpte_kb() - v0;

    /* Model: the same steps at the same address. */
    struct km *km = kmt_machine(4ULL << 30, 0);
    struct km_mm *mm = proc_create(km, "e2", 0);
    int e;
    /* The real process has page tables for its libraries just above the new region (mmap
     * places top-down): give the model a page there too, so that the upper-level tables that
     * exist are the same in both. */
    uint64_t lib = (uint64_t)(uintptr_t)stdout & ~4095ULL;
    if (vma_mmap(km, mm, lib, 4096, KM_PROT_READ | KM_PROT_WRITE,
                 KM_MAP_PRIVATE | KM_MAP_ANON | KM_MAP_FIXED, -1, 0, &e))
        fault_touch(km, mm, lib, KM_TOUCH_WRITE);
    uint64_t a =
        vma_mmap(km, mm, (uint64_t)(uintptr_t)p, len, KM_PROT_READ | KM_PROT_WRITE,
                 KM_MAP_PRIVATE | KM_MAP_ANON | KM_MAP_NORESERVE | KM_MAP_FIXED, -1, 0, &e);
    require_true(a == (uint64_t)(uintptr_t)p, "model mmap at the real address");
    vma_madvise(km, mm, a, len, KM_MADV_NOHUGEPAGE);
    struct e2 model;
    long m0 = (long)(mm->pgtables_bytes / 1024);
    for (uint64_t off = 0; off < len; off += 2 << 20)
        fault_touch(km, mm, a + off, KM_TOUCH_WRITE);
    model.grow = (long)(mm->pgtables_bytes / 1024) - m0;
    vma_madvise(km, mm, a, len, KM_MADV_DONTNEED);
    model.after_dontneed = (long)(mm->pgtables_bytes / 1024) - m0;
    vma_munmap(km, mm, a, len);
    model.after_munmap = (long)(mm->pgtables_bytes / 1024) - m0;
    km_check_all(km);
    km_destroy(km);

    /* 1024 PTE pages + 2 PMD pages (+ a PUD page when the region starts a new 512 GiB). */
    expect_true(model.grow == 4 * (1024 + 2) || model.grow == 4 * (1024 + 3), "model growth %ld",
                model.grow);
    expect_d_eq(model.after_dontneed, model.grow - 4 * 1024,
                "model: PTE pages freed by MADV_DONTNEED");
    expect_true(model.after_munmap == 0 || model.after_munmap == 4,
                "model: all freed by munmap (%ld)", model.after_munmap);
    test_skip_if(!real_ok, "real half not comparable under ASan (shadow memory)");
    expect_d_eq(real.grow, model.grow, "VmPTE growth real vs model");
    expect_d_eq(real.after_dontneed, model.after_dontneed, "after MADV_DONTNEED real vs model");
    expect_d_eq(real.after_munmap, model.after_munmap, "after munmap real vs model");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, e1_fault_counts_model_formula_and_real,
                     e2_page_table_cost_model_and_real);
}
