/*
 * vma_fault.c — mappings and demand paging in the model: merging and splitting, brk, mprotect,
 * COW after fork (copy vs reuse), MADV_DONTNEED and MADV_FREE, mremap, THP faults, and the
 * commit charge of each; invariants are walked after every step.
 */
#include "tests/kmodel/kmtest.h"

#include <errno.h>

#define RW   (KM_PROT_READ | KM_PROT_WRITE)
#define ANON (KM_MAP_PRIVATE | KM_MAP_ANON)

TEST_BEGIN(adjacent_mappings_merge_and_split)
{
    struct km *km = kmt_machine(512ULL << 20, 0);
    struct km_mm *mm = proc_create(km, "p", 0);
    size_t n0 = mm->nvma;
    int e;
    uint64_t a = vma_mmap(km, mm, 0, 64 << 10, RW, ANON, -1, 0, &e);
    uint64_t b = vma_mmap(km, mm, 0, 64 << 10, RW, ANON, -1, 0, &e);
    expect_u64_eq(b + (64 << 10), a, "top-down: the second sits right below the first");
    expect_zu_eq(mm->nvma, n0 + 1, "and they merge into one VMA");
    uint64_t vma_objs = km->caches[km->kcache[KM_KO_VMA]].nr_active;
    expect_d_eq(vma_munmap(km, mm, b + 4096, 4096), 0, "");
    expect_zu_eq(mm->nvma, n0 + 2, "a hole in the middle splits it");
    expect_u64_eq(km->caches[km->kcache[KM_KO_VMA]].nr_active, vma_objs + 1,
                  "one more vm_area_struct");
    expect_d_eq(vma_mprotect(km, mm, a, 4096, KM_PROT_READ), 0, "");
    expect_zu_eq(mm->nvma, n0 + 4, "mprotect of one page in the middle splits in three");
    expect_d_eq(vma_mprotect(km, mm, a, 4096, RW), 0, "");
    expect_zu_eq(mm->nvma, n0 + 2, "and merges back");
    expect_d_eq(vma_mprotect(km, mm, b + 4096, 4096, RW), -ENOMEM, "mprotect of a hole fails");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(brk_grows_one_vma_and_is_charged)
{
    struct km *km = kmt_machine(512ULL << 20, 0);
    struct km_mm *mm = proc_create(km, "p", 0);
    uint64_t c0 = km->committed;
    uint64_t b0 = mm->brk;
    expect_u64_eq(vma_brk(km, mm, b0 + 100000), b0 + 100000, "");
    expect_u64_eq(vma_brk(km, mm, b0 + 300000), b0 + 300000, "");
    struct km_vma *v = vma_find(mm, b0);
    require_true(v != NULL, "");
    expect_u64_eq(v->end, (b0 + 300000 + 4095) & ~4095ULL, "one heap VMA");
    expect_u64_eq(km->committed - c0, ((b0 + 300000 + 4095) & ~4095ULL) / 4096 - b0 / 4096,
                  "brk charged");
    fault_touch_range(km, mm, b0, 300000, KM_TOUCH_WRITE, 1);
    expect_u64_eq(vma_brk(km, mm, b0 + 4096), b0 + 4096, "shrink");
    expect_u64_eq(km->committed - c0, 1, "shrink releases the charge");
    expect_u64_eq(mm->counters[KM_MM_ANON], 2, "stack page + one heap page left");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(cow_after_fork_copies_then_reuses)
{
    struct km *km = kmt_machine(512ULL << 20, 0);
    struct km_mm *p = proc_create(km, "parent", 0);
    uint64_t a = kmt_map(km, p, 16 * 4096);
    fault_touch_range(km, p, a, 16 * 4096, KM_TOUCH_WRITE, 1);
    uint64_t anon0 = km->nr_anon;
    struct km_mm *c = proc_fork(km, p, "child");
    require_true(c != NULL, "fork");
    expect_u64_eq(km->nr_anon, anon0, "fork shares every page (the stack page too)");
    expect_u64_eq(c->counters[KM_MM_ANON], 17, "child RSS counts the shared pages");
    uint64_t f0 = c->minflt;
    fault_touch(km, c, a, KM_TOUCH_WRITE);
    expect_u64_eq(c->minflt - f0, 1, "COW fault in the child");
    expect_u64_eq(km->nr_anon, anon0 + 1, "the child's write copied the page");
    uint64_t pf0 = p->minflt;
    fault_touch(km, p, a, KM_TOUCH_WRITE);
    expect_u64_eq(p->minflt - pf0, 1, "parent's write faults too");
    expect_u64_eq(km->nr_anon, anon0 + 1, "but reuses its now exclusive page");
    expect_u64_eq(km->vm[KM_VM_pgreuse], 1, "");
    proc_exit(km, c);
    km_check_all(km);
    /* After the child's exit the parent's pages are exclusive again: writes reuse. */
    fault_touch(km, p, a + 4096, KM_TOUCH_WRITE);
    expect_u64_eq(km->nr_anon, anon0, "");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(dontneed_drops_rss_not_commit_free_is_lazy)
{
    struct km *km = kmt_machine(512ULL << 20, 0);
    struct km_mm *mm = proc_create(km, "p", 0);
    uint64_t len = 4 << 20;
    uint64_t c0 = km->committed;
    uint64_t a = kmt_map(km, mm, len);
    expect_u64_eq(km->committed - c0, len / 4096, "private writable mapping charged");
    fault_touch_range(km, mm, a, len, KM_TOUCH_WRITE, 1);
    uint64_t rss = proc_rss(mm);
    expect_d_eq(vma_madvise(km, mm, a, len / 2, KM_MADV_DONTNEED), 0, "");
    expect_u64_eq(proc_rss(mm), rss - len / 2 / 4096, "DONTNEED drops RSS at once");
    expect_u64_eq(km->committed - c0, len / 4096, "but keeps the commit charge");
    expect_d_eq(vma_madvise(km, mm, a + len / 2, len / 2, KM_MADV_FREE), 0, "");
    expect_u64_eq(proc_rss(mm), rss - len / 2 / 4096, "FREE keeps RSS until reclaim");
    expect_u64_eq(km->vm[KM_VM_pglazyfree], len / 2 / 4096, "");
    expect_u64_eq(lru_size(km, -1, KM_LRU_INACTIVE_FILE), len / 2 / 4096,
                  "lazyfree pages on the file LRU");
    uint64_t f0 = mm->minflt;
    fault_touch(km, mm, a, KM_TOUCH_READ);
    expect_u64_eq(mm->minflt - f0, 1, "a DONTNEED'd page faults again (zero page)");
    vma_munmap(km, mm, a, len);
    expect_u64_eq(km->committed, c0, "munmap releases the charge");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(mremap_moves_pages_and_keeps_them)
{
    struct km *km = kmt_machine(512ULL << 20, 0);
    struct km_mm *mm = proc_create(km, "p", 0);
    uint64_t a = kmt_map(km, mm, 8 * 4096);
    /* Block growth in place with a neighbour above... the next mapping goes below, so map one
     * right above with MAP_FIXED. */
    int e;
    uint64_t blk =
        vma_mmap(km, mm, a + 8 * 4096, 4096, KM_PROT_READ, ANON | KM_MAP_FIXED, -1, 0, &e);
    require_true(blk != 0, "");
    fault_touch_range(km, mm, a, 8 * 4096, KM_TOUCH_WRITE, 1);
    uint64_t c0 = km->committed, f0 = mm->minflt;
    uint64_t b = vma_mremap(km, mm, a, 8 * 4096, 64 * 4096, &e);
    require_true(b != 0 && b != a, "moved");
    expect_u64_eq(km->committed - c0, 56, "only the growth is charged");
    fault_touch_range(km, mm, b, 8 * 4096, KM_TOUCH_WRITE, 1);
    expect_u64_eq(mm->minflt - f0, 0, "the pages moved with the mapping");
    expect_true(vma_find(mm, a) == NULL, "old range gone");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(mremap_of_part_of_a_merged_vma_keeps_the_rest_charged)
{
    struct km *km = kmt_machine(512ULL << 20, 0);
    struct km_mm *mm = proc_create(km, "p", 0);
    size_t n0 = mm->nvma;
    uint64_t a = kmt_map(km, mm, 16 * 4096), b = kmt_map(km, mm, 16 * 4096);
    require_true(b + 16 * 4096 == a && mm->nvma == n0 + 1, "one merged VMA");
    uint64_t c0 = km->committed;
    int e;
    /* The lower half cannot grow in place (the upper half is above it): it moves. */
    uint64_t n = vma_mremap(km, mm, b, 16 * 4096, 64 * 4096, &e);
    require_true(n != 0 && n != b, "moved");
    expect_u64_eq(km->committed - c0, 48, "only the growth is charged");
    struct km_vma *v = vma_find(mm, a);
    expect_true(v && (v->flags & KM_VM_ACCOUNT), "the part left behind is still VM_ACCOUNT");
    km_check_all(km);
    expect_d_eq(vma_munmap(km, mm, a, 16 * 4096), 0, "");
    expect_u64_eq(km->committed - c0, 48 - 16, "and releases its charge when unmapped");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(thp_fault_maps_2m_and_splits_on_partial_unmap)
{
    struct km *km = kmt_machine(1ULL << 30, 0);
    struct km_mm *mm = proc_create(km, "p", 0);
    int e;
    uint64_t len = 8 << 20;
    uint64_t a = vma_mmap(km, mm, 0, len, RW, ANON, -1, 0, &e);
    expect_u64_eq(a & ((2 << 20) - 1), 0, "2 MiB-multiple mappings are 2 MiB aligned");
    vma_madvise(km, mm, a, len, KM_MADV_HUGEPAGE);
    uint64_t f0 = mm->minflt;
    fault_touch_range(km, mm, a, len, KM_TOUCH_WRITE, 1);
    expect_u64_eq(mm->minflt - f0, 4, "one fault per 2 MiB");
    expect_u64_eq(km->vm[KM_VM_thp_fault_alloc], 4, "");
    expect_u64_eq(mm->counters[KM_MM_ANON], 4 * 512 + 1, "");
    km_check_all(km);
    expect_u64_eq(km->vm[KM_VM_thp_split_page], 0, "no split while faulting");
    expect_d_eq(vma_munmap(km, mm, a + 4096, 4096), 0, "");
    expect_u64_eq(km->vm[KM_VM_thp_split_page], 1, "partial unmap splits one THP");
    expect_u64_eq(mm->counters[KM_MM_ANON], 4 * 512, "");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(segv_outside_mappings_and_on_prot_none)
{
    struct km *km = kmt_machine(256ULL << 20, 0);
    struct km_mm *mm = proc_create(km, "p", 0);
    expect_d_eq(fault_touch(km, mm, 0x10000000, KM_TOUCH_READ), -1, "no mapping");
    expect_d_eq(km->last_errno, EFAULT, "");
    int e;
    uint64_t a = vma_mmap(km, mm, 0, 4096, KM_PROT_READ, ANON, -1, 0, &e);
    expect_d_eq(fault_touch(km, mm, a, KM_TOUCH_READ), 0, "");
    expect_d_eq(fault_touch(km, mm, a, KM_TOUCH_WRITE), -1, "write to read-only");
    vma_mprotect(km, mm, a, 4096, 0);
    expect_d_eq(fault_touch(km, mm, a, KM_TOUCH_READ), -1, "PROT_NONE");
    uint64_t c0 = km->committed;
    expect_d_eq(vma_mprotect(km, mm, a, 4096, RW), 0, "");
    expect_u64_eq(km->committed - c0, 1, "mprotect(PROT_WRITE) charges the page");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(max_map_count_limits_mappings)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = 256ULL << 20;
    c.max_map_count = 100;
    struct km *km = kmt_machine_cfg(&c);
    struct km_mm *mm = proc_create(km, "p", 0);
    int e = 0, n = 0;
    /* Alternate protections so that nothing merges. */
    for (int i = 0; i < 200; i++) {
        uint64_t a = vma_mmap(km, mm, 0, 4096, (i & 1) ? KM_PROT_READ : RW, ANON, -1, 0, &e);
        if (a == 0)
            break;
        n++;
    }
    expect_d_eq(e, ENOMEM, "");
    expect_d_eq(mm->nvma, 101, "map_count may reach max_map_count + 1 (the check is '>')");
    (void)n;
    km_check_all(km);
    km_destroy(km);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, adjacent_mappings_merge_and_split,
                     mremap_of_part_of_a_merged_vma_keeps_the_rest_charged,
                     brk_grows_one_vma_and_is_charged, cow_after_fork_copies_then_reuses,
                     dontneed_drops_rss_not_commit_free_is_lazy, mremap_moves_pages_and_keeps_them,
                     thp_fault_maps_2m_and_splits_on_partial_unmap,
                     segv_outside_mappings_and_on_prot_none, max_map_count_limits_mappings);
}
