/*
 * e3_overcommit.c — E3: overcommit admission. The largest single private writable anonymous
 * mmap the kernel admits, found by binary search, against the model's prediction:
 *   mode 2 (ratio 50): allowed - Committed_AS - 1 pages, allowed = CommitLimit -
 *                      min(total_vm/32, user_reserve) for root (target: within the per-CPU
 *                      counter slack; in practice under 1 MiB)
 *   mode 0:            totalram_pages + total_swap_pages (exact)
 * plus MAP_NORESERVE in mode 2 (no help) and a read-only private mapping (not charged).
 */
#include "analysis/kmodel/validate/validate.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static bool try_map(uint64_t pages, int prot, int extra)
{
    void *p = mmap(NULL, pages * 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
    if (p == MAP_FAILED)
        return false;
    munmap(p, pages * 4096);
    return true;
}

static uint64_t real_max(uint64_t hi)
{
    uint64_t lo = 0; /* lo admitted, hi refused */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (try_map(mid, PROT_READ | PROT_WRITE, 0))
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static long self_vm_pages(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb / 4;
}

/* A model whose totalram is MemTotal (the lazy-init VM counts memory not yet handed over). */
static struct km *model_full(int mode, uint64_t committed_base_pages)
{
    struct km_config c;
    km_config_default(&c);
    uint64_t managed[3] = {0, 0, 0};
    v_zone_managed(managed);
    uint64_t total = (uint64_t)v_meminfo_kb("MemTotal") / 4;
    c.ram_bytes = 24ULL << 30;
    c.zone_managed[0] = managed[0];
    c.zone_managed[1] = managed[1];
    c.zone_managed[2] = total - managed[0] - managed[1];
    for (int i = 0; i < 3; i++)
        c.zone_managed_set[i] = true;
    c.swap_bytes = (uint64_t)v_meminfo_kb("SwapTotal") * 1024;
    if (c.swap_bytes)
        c.swap_bytes += 4096; /* the header page */
    c.overcommit_memory = mode;
    c.overcommit_ratio = 50;
    c.user_reserve_kbytes = v_read_num("/proc/sys/vm/user_reserve_kbytes");
    c.admin_reserve_kbytes = v_read_num("/proc/sys/vm/admin_reserve_kbytes");
    c.committed_base_pages = committed_base_pages;
    c.shuffle = false;
    char err[256];
    struct km *km = km_create(&c, err, sizeof(err));
    if (km == NULL)
        fprintf(stderr, "kmodel-validate: %s\n", err);
    return km;
}

/* The model's largest admitted request for a process of total_vm pages. */
static uint64_t model_max(struct km *km, uint64_t total_vm)
{
    struct km_mm mm;
    memset(&mm, 0, sizeof(mm));
    mm.total_vm = total_vm;
    uint64_t lo = 0, hi = km->totalram + swap_total_pages(km) + 1;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (commit_vm_enough_memory(km, &mm, mid, true) == 0) {
            commit_unacct(km, &mm, mid);
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return lo;
}

int e3_overcommit(void)
{
    if (!v_root) {
        v_skip("E3", "needs root (vm.overcommit_memory)");
        return -1;
    }
    if (vmctl_sysctl("vm.overcommit_ratio", "50") || vmctl_sysctl("vm.overcommit_memory", "2")) {
        v_skip("E3", vmctl_error());
        vmctl_restore();
        return -1;
    }
    uint64_t limit = (uint64_t)v_meminfo_kb("CommitLimit") / 4;
    uint64_t committed = (uint64_t)v_meminfo_kb("Committed_AS") / 4;
    uint64_t vm = (uint64_t)self_vm_pages();
    uint64_t real2 = real_max(limit + 1);
    bool noreserve = try_map(real2 + 1024, PROT_READ | PROT_WRITE, MAP_NORESERVE);
    bool readonly = try_map(limit + (1ULL << 20), PROT_READ, 0);
    uint64_t committed_after = (uint64_t)v_meminfo_kb("Committed_AS") / 4;
    struct km *km = model_full(2, committed);
    if (km == NULL) {
        vmctl_restore();
        return -1;
    }
    uint64_t m_limit = commit_limit(km);
    uint64_t model2 = model_max(km, vm);
    km_destroy(km);
    v_row("E3", "mode 2: CommitLimit, pages", (double)limit, (double)m_limit, T_EXACT, 0, "exact");
    v_row("E3", "mode 2: largest single mmap, pages", (double)real2, (double)model2, T_ABS, 256,
          "within 256 pages (1 MiB)");
    v_row("E3", "mode 2: MAP_NORESERVE of more admitted (0/1)", noreserve, 0, T_EXACT, 0, "exact");
    v_row("E3", "mode 2: read-only private mapping > limit admitted (0/1)", readonly, 1, T_EXACT, 0,
          "exact");
    v_note("E3", "Committed_AS moved by %lld pages during the search (other processes)",
           (long long)committed_after - (long long)committed);
    if (vmctl_sysctl("vm.overcommit_memory", "0") == 0) {
        uint64_t total = (uint64_t)v_meminfo_kb("MemTotal") / 4;
        uint64_t swap = (uint64_t)v_meminfo_kb("SwapTotal") / 4;
        uint64_t real0 = real_max(total + swap + 1024);
        km = model_full(0, committed);
        if (km) {
            uint64_t model0 = model_max(km, vm);
            v_row("E3", "mode 0: largest single mmap, pages", (double)real0, (double)model0,
                  T_EXACT, 0, "exact");
            km_destroy(km);
        }
        bool m1 = false;
        if (vmctl_sysctl("vm.overcommit_memory", "1") == 0)
            m1 = try_map(1ULL << 28, PROT_READ | PROT_WRITE, 0); /* 1 TiB */
        v_row("E3", "mode 1: 1 TiB mmap admitted (0/1)", m1, 1, T_EXACT, 0, "exact");
    }
    vmctl_restore();
    return 0;
}
