/*
 * e6_global.c — E6: global pressure, kswapd vs direct reclaim. Free memory is shrunk by a
 * hugetlb reservation (which also makes this VM's lazy memory init hand its memory over), a
 * swap file is added, and an anonymous workload larger than free memory writes non-zero data
 * twice. Targets: kswapd's share of pages stolen within 15 points, allocation stalls within
 * 2x, swap traffic within 15 %; and the OOM boundary: a workload larger than free memory plus
 * swap is OOM-killed in both (exact, coarse: 1 GiB on each side of the boundary).
 *
 * The model gets the same zones (managed pages after the squeeze), the same hugetlb pool, a
 * background process holding the other processes' anonymous memory and page cache, and the
 * rest of the used memory as unmovable kernel memory.
 */
#include "analysis/kmodel/validate/validate.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define TARGET_FREE (2ULL << 30)
#define SWAP_BYTES  (1536ULL << 20)

static uint64_t w_bytes;

static int workload(void *arg)
{
    (void)arg;
    volatile char *p = mmap(NULL, w_bytes, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return 2;
    madvise((void *)p, w_bytes, MADV_NOHUGEPAGE);
    FILE *f = fopen("/proc/self/oom_score_adj", "w");
    if (f) {
        fputs("1000", f); /* never anyone else's process */
        fclose(f);
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t off = 0; off < w_bytes; off += 4096)
            p[off] = (char)(pass + 1);
    return 0;
}

static struct km *model_like_now(uint64_t hugepages)
{
    struct km_config c;
    km_config_default(&c);
    uint64_t managed[3] = {0, 0, 0};
    v_zone_managed(managed);
    c.ram_bytes = 24ULL << 30;
    for (int i = 0; i < 3; i++) {
        c.zone_managed[i] = managed[i];
        c.zone_managed_set[i] = true;
    }
    uint64_t total_kb = (managed[0] + managed[1] + managed[2]) * 4;
    uint64_t free_kb = (uint64_t)v_meminfo_kb("MemFree");
    uint64_t anon_kb = (uint64_t)v_meminfo_kb("AnonPages");
    uint64_t cache_kb = (uint64_t)v_meminfo_kb("Cached");
    uint64_t huge_kb = hugepages * 2048;
    int64_t kernel_kb = (int64_t)total_kb - (int64_t)(free_kb + anon_kb + cache_kb + huge_kb);
    c.kernel_bytes = kernel_kb > 0 ? (uint64_t)kernel_kb * 1024 : 0;
    c.nr_hugepages = hugepages;
    c.ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    c.min_free_kbytes = v_read_num("/proc/sys/vm/min_free_kbytes");
    c.swap_bytes = SWAP_BYTES;
    c.swappiness = (int)v_read_num("/proc/sys/vm/swappiness");
    char err[256];
    struct km *km = km_create(&c, err, sizeof(err));
    if (km == NULL) {
        fprintf(stderr, "kmodel-validate: E6 model: %s\n", err);
        return NULL;
    }
    calib_load(&km->calib, v_calibration(), err, sizeof(err));
    /* The other processes: their anonymous memory and page cache, idle. */
    struct km_mm *bg = proc_create(km, "others", 0);
    int e;
    uint64_t a = vma_mmap(km, bg, 0, anon_kb * 1024, KM_PROT_READ | KM_PROT_WRITE,
                          KM_MAP_PRIVATE | KM_MAP_ANON, -1, 0, &e);
    if (a) {
        vma_madvise(km, bg, a, anon_kb * 1024, KM_MADV_NOHUGEPAGE);
        fault_touch_range(km, bg, a, anon_kb * 1024, KM_TOUCH_WRITE, 1);
    }
    int f = file_create(km, "cache", cache_kb * 1024 + 4096);
    if (f >= 0)
        file_read(km, bg, f, 0, cache_kb * 1024);
    memset(km->vm, 0, sizeof(km->vm));
    km->now_ns += 10000000000ULL; /* idle for a while: kswapd settles */
    kswapd_catch_up(km);
    memset(km->vm, 0, sizeof(km->vm));
    return km;
}

static void run_model(struct km *km, uint64_t bytes)
{
    struct km_mm *mm = proc_create(km, "w", 0);
    mm->oom_score_adj = 1000;
    uint64_t p = v_model_anon(km, mm, bytes, KM_MAP_NORESERVE);
    for (int pass = 0; pass < 2 && !mm->killed; pass++)
        fault_touch_range(km, mm, p, bytes, KM_TOUCH_WRITE, 1);
}

static long long stalls(const struct v_vmstat *a, const struct v_vmstat *b)
{
    return v_vmstat_delta(a, b, KM_VM_allocstall_dma) +
           v_vmstat_delta(a, b, KM_VM_allocstall_dma32) +
           v_vmstat_delta(a, b, KM_VM_allocstall_normal) +
           v_vmstat_delta(a, b, KM_VM_allocstall_movable);
}

int e6_global(void)
{
    if (!v_root) {
        v_skip("E6", "needs root (hugetlb pool, swap file)");
        return -1;
    }
    long long free_kb = v_meminfo_kb("MemFree");
    long long hp = ((long long)free_kb * 1024 - (long long)TARGET_FREE) / (2 << 20);
    if (hp <= 0) {
        v_skip("E6", "free memory already below the target");
        return -1;
    }
    char val[32];
    snprintf(val, sizeof(val), "%lld", hp);
    if (vmctl_sysctl("vm.nr_hugepages", val) != 0 || vmctl_swapfile(v_swapfile, SWAP_BYTES) != 0) {
        v_skip("E6", vmctl_error());
        vmctl_restore();
        return -1;
    }
    long long got = v_read_num("/proc/sys/vm/nr_hugepages");
    sleep(1);
    free_kb = v_meminfo_kb("MemFree");
    v_note("E6", "hugetlb squeeze: %lld of %lld huge pages reserved, MemFree %lld kB", got, hp,
           free_kb);
    /* Run 1: beyond what free memory and page cache can give (MemAvailable + 1 GiB), within
     * free + swap. The real run goes first, so that the model's host memory does not compete
     * with it; the model starts from the state measured just before. */
    uint64_t avail_kb = (uint64_t)v_meminfo_kb("MemAvailable");
    w_bytes = avail_kb * 1024 + (1ULL << 30);
    struct km *km = model_like_now((uint64_t)got);
    if (km == NULL) {
        vmctl_restore();
        return -1;
    }
    struct v_vmstat a, b;
    struct rusage ru;
    v_vmstat_snap(&a);
    int st = v_run_child(NULL, workload, NULL, 240, &ru);
    v_vmstat_snap(&b);
    run_model(km, w_bytes);
    bool real_oom = st >= 0 && WIFSIGNALED(st);
    double rk = (double)v_vmstat_delta(&a, &b, KM_VM_pgsteal_kswapd);
    double rd = (double)v_vmstat_delta(&a, &b, KM_VM_pgsteal_direct);
    double mk = (double)km->vm[KM_VM_pgsteal_kswapd], md = (double)km->vm[KM_VM_pgsteal_direct];
    v_note("E6", "run 1: W = MemAvailable + 1 GiB = %llu MiB, swap %llu MiB",
           (unsigned long long)(w_bytes >> 20), (unsigned long long)(SWAP_BYTES >> 20));
    v_row("E6", "W = available + 1 GiB: OOM kill (0/1)", real_oom, km->vm[KM_VM_oom_kill] > 0,
          T_EXACT, 0, "exact");
    v_row("E6", "kswapd share of pages stolen", rk + rd > 0 ? rk / (rk + rd) : 0,
          mk + md > 0 ? mk / (mk + md) : 0, T_ABS, 0.15, "within 15 points");
    v_row("E6", "allocation stalls (allocstall_*)", (double)stalls(&a, &b),
          (double)(km->vm[KM_VM_allocstall_dma] + km->vm[KM_VM_allocstall_dma32] +
                   km->vm[KM_VM_allocstall_normal] + km->vm[KM_VM_allocstall_movable]),
          T_RATIO2, 2.0, "within 2x");
    v_row("E6", "pswpout", (double)v_vmstat_delta(&a, &b, KM_VM_pswpout),
          (double)km->vm[KM_VM_pswpout], T_REL, 0.15, "within 15 %");
    v_row("E6", "pswpin", (double)v_vmstat_delta(&a, &b, KM_VM_pswpin),
          (double)km->vm[KM_VM_pswpin], T_REL, 0.15, "within 15 %");
    v_row("E6", "pgscan_kswapd", (double)v_vmstat_delta(&a, &b, KM_VM_pgscan_kswapd),
          (double)km->vm[KM_VM_pgscan_kswapd], T_INFO, 0, "info");
    v_row("E6", "pgscan_direct", (double)v_vmstat_delta(&a, &b, KM_VM_pgscan_direct),
          (double)km->vm[KM_VM_pgscan_direct], T_INFO, 0, "info");
    km_destroy(km);
    /* Run 2: beyond free + swap: the OOM killer (the workload has oom_score_adj 1000). */
    sleep(2);
    avail_kb = (uint64_t)v_meminfo_kb("MemAvailable");
    w_bytes = avail_kb * 1024 + SWAP_BYTES + (1ULL << 30);
    km = model_like_now((uint64_t)got);
    if (km) {
        st = v_run_child(NULL, workload, NULL, 240, &ru);
        run_model(km, w_bytes);
        real_oom = st >= 0 && WIFSIGNALED(st);
        v_row("E6", "W = available + swap + 1 GiB: OOM kill (0/1)", real_oom,
              km->vm[KM_VM_oom_kill] > 0, T_EXACT, 0, "exact");
        km_destroy(km);
    }
    vmctl_restore();
    return 0;
}
