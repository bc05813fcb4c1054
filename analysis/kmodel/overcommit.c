/*
 * overcommit.c — commit accounting and admission (KMODEL-SPEC.md section 5; mm/util.c,
 * mm/mmap.c, mm/mm_init.c, Documentation/mm/overcommit-accounting.rst).
 *
 *   Committed_AS = Σ pages of VM_ACCOUNT mappings of all processes (+ the base outside the model)
 *   CommitLimit  = (totalram - hugetlb) * overcommit_ratio / 100 + swap   (or overcommit_kbytes)
 *
 *   mode 0 (guess):  a single request fails only if it exceeds totalram + swap
 *   mode 1 (always): never fails
 *   mode 2 (never):  fails unless Committed_AS (after the charge) < CommitLimit
 *                    - admin reserve (non-root) - min(total_vm/32, user reserve)
 *
 * The kernel's vm_committed_as is a per-CPU counter read without summing (read_positive): its
 * error is at most ncpus * batch pages (commit_batch()). The model keeps the exact sum.
 *
 * Invariant (commit_check): committed = base + Σ over live processes of their VM_ACCOUNT pages.
 */
#include "analysis/kmodel/kmodel.h"

#include <errno.h>

uint64_t commit_limit(const struct km *km)
{
    uint64_t allowed;
    if (km->cfg.overcommit_kbytes)
        allowed = km->cfg.overcommit_kbytes >> (KM_PAGE_SHIFT - 10);
    else
        allowed = (km->totalram - km->nr_hugetlb * KM_PAGEBLOCK_PAGES) *
                  (uint64_t)km->cfg.overcommit_ratio / 100;
    return allowed + swap_total_pages(km);
}

/* __vm_enough_memory(). The charge is taken first and given back on failure. */
int commit_vm_enough_memory(struct km *km, struct km_mm *mm, uint64_t pages, bool cap_admin)
{
    km->committed += pages;
    switch (km->cfg.overcommit_memory) {
    case 1:
        return 0;
    case 0:
        if (pages > km->totalram + swap_total_pages(km))
            break;
        return 0;
    default: {
        uint64_t allowed = commit_limit(km);
        uint64_t admin = km->admin_reserve_kbytes >> (KM_PAGE_SHIFT - 10);
        if (!cap_admin)
            allowed = allowed > admin ? allowed - admin : 0;
        if (mm) {
            uint64_t reserve = km->user_reserve_kbytes >> (KM_PAGE_SHIFT - 10);
            uint64_t r = mm->total_vm / 32 < reserve ? mm->total_vm / 32 : reserve;
            allowed = allowed > r ? allowed - r : 0;
        }
        if (km->committed < allowed)
            return 0;
        break;
    }
    }
    km->committed -= pages;
    return -ENOMEM;
}

void commit_unacct(struct km *km, struct km_mm *mm, uint64_t pages)
{
    (void)mm;
    km_assert(km->committed >= pages);
    km->committed -= pages;
}

/* mm_compute_batch(): the per-CPU counter's batch. */
uint64_t commit_batch(const struct km *km)
{
    uint64_t nr = (uint64_t)km->cfg.ncpus;
    uint64_t batch = nr * 2 > 32 ? nr * 2 : 32;
    uint64_t mem = km->cfg.overcommit_memory == 2 ? km->totalram / nr / 256 : km->totalram / nr / 4;
    if (mem > 0x7fffffff)
        mem = 0x7fffffff;
    return mem > batch ? mem : batch;
}

/* init_user_reserve() / init_admin_reserve(): 1/32 of the free memory at boot, capped. */
void commit_init_reserves(struct km *km)
{
    uint64_t kernel_pages = km->cfg.kernel_bytes >> KM_PAGE_SHIFT;
    uint64_t free_kb =
        (km->totalram > kernel_pages ? km->totalram - kernel_pages : 0) * (KM_PAGE_SIZE >> 10);
    uint64_t u = free_kb / 32;
    uint64_t a = u;
    if (u > (128ULL << 10))
        u = 128ULL << 10;
    if (a > (8ULL << 10))
        a = 8ULL << 10;
    km->user_reserve_kbytes =
        km->cfg.user_reserve_kbytes >= 0 ? (uint64_t)km->cfg.user_reserve_kbytes : u;
    km->admin_reserve_kbytes =
        km->cfg.admin_reserve_kbytes >= 0 ? (uint64_t)km->cfg.admin_reserve_kbytes : a;
}

void commit_check(const struct km *km)
{
    uint64_t sum = km->cfg.committed_base_pages;
    for (int i = 0; i < km->nmm; i++) {
        const struct km_mm *mm = km->mm[i];
        if (mm && !mm->exited)
            sum += mm->committed;
    }
    if (sum != km->committed)
        km_check_fail("commit: Committed_AS differs from the VM_ACCOUNT mappings");
}
