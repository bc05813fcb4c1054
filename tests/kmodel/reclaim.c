/*
 * reclaim.c — LRU, reclaim, swap and workingset behaviour of the model: the swappiness balance
 * of get_scan_count, inactive_is_low, the first-reference rule, MADV_FREE, the zeromap, swap
 * readahead, refault activation, kswapd's wake/sleep watermarks, and cache_trim_mode.
 */
#include "tests/kmodel/kmtest.h"

TEST_BEGIN(scan_balance_follows_swappiness)
{
    struct km *km = kmt_machine(1ULL << 30, 256ULL << 20);
    int cg = memcg_create(km, "g");
    struct km_mm *mm = proc_create(km, "p", cg);
    uint64_t a = kmt_map(km, mm, 64 << 20);
    fault_touch_range(km, mm, a, 64 << 20, KM_TOUCH_WRITE, 1);
    int f = file_create(km, "f", 64 << 20);
    file_read(km, mm, f, 0, 64 << 20);
    static const int sw[] = {1, 60, 100, 140, 200};
    for (size_t i = 0; i < 5; i++) {
        km->memcg[cg].swappiness = sw[i];
        struct km_scan_control sc;
        memset(&sc, 0, sizeof(sc));
        sc.priority = 4;
        sc.may_swap = true;
        sc.target_memcg = cg;
        uint64_t nr[4];
        reclaim_get_scan_count(km, cg, &sc, nr);
        /* No cost history: the fractions are swappiness : 200 - swappiness. */
        uint64_t anon = lru_size(km, cg, KM_LRU_INACTIVE_ANON) >> 4;
        uint64_t file = lru_size(km, cg, KM_LRU_INACTIVE_FILE) >> 4;
        expect_u64_eq(nr[KM_LRU_INACTIVE_ANON], anon * (uint64_t)sw[i] / 200,
                      "anon at swappiness %d", sw[i]);
        expect_u64_eq(nr[KM_LRU_INACTIVE_FILE], file * (uint64_t)(200 - sw[i]) / 200,
                      "file at swappiness %d", sw[i]);
    }
    km->memcg[cg].swappiness = 0;
    struct km_scan_control sc;
    memset(&sc, 0, sizeof(sc));
    sc.priority = 4;
    sc.may_swap = true;
    sc.target_memcg = cg;
    uint64_t nr[4];
    reclaim_get_scan_count(km, cg, &sc, nr);
    expect_u64_eq(nr[KM_LRU_INACTIVE_ANON], 0, "memcg swappiness 0: file only");
    km_destroy(km);
}
TEST_END

TEST_BEGIN(inactive_is_low_ratio)
{
    struct km *km = kmt_machine(256ULL << 20, 64ULL << 20);
    struct km_mm *mm = proc_create(km, "p", 0);
    uint64_t a = kmt_map(km, mm, 8 << 20);
    fault_touch_range(km, mm, a, 8 << 20, KM_TOUCH_WRITE, 1);
    expect_false(reclaim_inactive_is_low(km, 0, false), "all inactive");
    /* Activate three quarters. */
    struct km_lruvec *v = lru_vec(km, 0);
    uint64_t n = v->lists[KM_LRU_INACTIVE_ANON].n * 3 / 4;
    for (uint64_t i = 0; i < n; i++)
        lru_activate(km, v->lists[KM_LRU_INACTIVE_ANON].tail);
    expect_true(reclaim_inactive_is_low(km, 0, false), "1:3 is low below 1 GiB");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(first_reference_keeps_then_reclaims)
{
    struct km *km = kmt_machine(256ULL << 20, 64ULL << 20);
    int cg = memcg_create(km, "g");
    struct km_mm *mm = proc_create(km, "p", cg);
    uint64_t a = kmt_map(km, mm, 65 * 4096);
    fault_touch_range(km, mm, a, 64 * 4096, KM_TOUCH_WRITE, 1);
    /* At the limit, one more page makes the cgroup reclaim: its young pages are kept on the
     * first pass (first-reference rule) and reclaimed on a later one. */
    km->memcg[cg].swappiness = 200;
    memcg_drain_stock(km, cg);
    km->memcg[cg].limit = km->memcg[cg].usage;
    fault_touch(km, mm, a + 64 * 4096, KM_TOUCH_WRITE);
    expect_u64_ge(km->memcg[cg].pgscan[0], 32, "anon pages were scanned");
    expect_u64_ge(km->memcg[cg].pgsteal[0], 1, "and some reclaimed");
    /* Every scanned page had its young bit: the first pass keeps them, then they go. */
    expect_u64_eq(km->vm[KM_VM_pswpout] + km->vm[KM_VM_swpout_zero], km->memcg[cg].pgsteal[0], "");
    expect_u64_ge(km->memcg[cg].pgscan[0], 2 * km->memcg[cg].pgsteal[0],
                  "at least two scans per reclaimed page");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(zero_pages_use_the_zeromap)
{
    struct km *km = kmt_machine(256ULL << 20, 64ULL << 20);
    int cg = memcg_create(km, "g");
    struct km_mm *mm = proc_create(km, "p", cg);
    uint64_t a = kmt_map(km, mm, 256 * 4096);
    fault_touch_range(km, mm, a, 128 * 4096, KM_TOUCH_WRITE_ZERO, 1);
    fault_touch_range(km, mm, a + 128 * 4096, 128 * 4096, KM_TOUCH_WRITE, 1);
    expect_d_eq(vma_madvise(km, mm, a, 256 * 4096, KM_MADV_PAGEOUT), 0, "");
    expect_u64_eq(km->vm[KM_VM_swpout_zero], 128, "zero-filled pages are not written");
    expect_u64_eq(km->vm[KM_VM_pswpout], 128, "");
    fault_touch_range(km, mm, a, 256 * 4096, KM_TOUCH_READ, 1);
    expect_u64_eq(km->vm[KM_VM_swpin_zero], 128, "");
    expect_u64_eq(km->vm[KM_VM_pswpin], 128, "");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(sequential_swapin_reads_ahead_eight_pages)
{
    struct km *km = kmt_machine(512ULL << 20, 256ULL << 20);
    struct km_mm *mm = proc_create(km, "p", 0);
    uint64_t len = 32 << 20;
    uint64_t a = kmt_map(km, mm, len);
    fault_touch_range(km, mm, a, len, KM_TOUCH_WRITE, 1);
    vma_madvise(km, mm, a, len, KM_MADV_PAGEOUT);
    uint64_t out = km->vm[KM_VM_pswpout];
    expect_u64_eq(out, len / 4096, "everything paged out");
    uint64_t maj0 = mm->majflt;
    fault_touch_range(km, mm, a, len, KM_TOUCH_READ, 1);
    uint64_t maj = mm->majflt - maj0;
    double ratio = (double)km->vm[KM_VM_pswpin] / (double)maj;
    expect_f_ge(ratio, 7.5, "pswpin per major fault (measured 8.0 on the reference VM)");
    expect_f_le(ratio, 8.0, "");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(madv_free_pages_are_dropped_without_swap)
{
    struct km *km = kmt_machine(256ULL << 20, 64ULL << 20);
    struct km_mm *mm = proc_create(km, "p", 0);
    uint64_t a = kmt_map(km, mm, 64 * 4096);
    fault_touch_range(km, mm, a, 64 * 4096, KM_TOUCH_WRITE, 1);
    vma_madvise(km, mm, a, 64 * 4096, KM_MADV_FREE);
    fault_touch(km, mm, a, KM_TOUCH_WRITE); /* redirty one page */
    vma_madvise(km, mm, a, 64 * 4096, KM_MADV_PAGEOUT);
    expect_u64_eq(km->vm[KM_VM_pglazyfreed], 63, "clean lazyfree pages dropped");
    /* The redirtied one becomes swap-backed again and is activated, not swapped this time. */
    expect_u64_eq(km->vm[KM_VM_pswpout], 0, "");
    expect_u64_eq(mm->counters[KM_MM_ANON], 2, "the stack page and the redirtied page");
    expect_u64_eq(lru_size(km, -1, KM_LRU_ACTIVE_ANON), 1, "");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(refaulting_file_pages_activate)
{
    struct km *km = kmt_machine(512ULL << 20, 0);
    int cg = memcg_create(km, "g");
    km->memcg[cg].limit = (16 << 20) / 4096;
    struct km_mm *mm = proc_create(km, "p", cg);
    int f = file_create(km, "f", 12 << 20);
    int g = file_create(km, "g", 12 << 20);
    /* Two files read twice each (so they are workingset, active) alternately through a
     * cgroup that holds one and a half of them: evicted pages refault within the workingset
     * size and are activated at once. */
    for (int i = 0; i < 3; i++) {
        file_read(km, mm, f, 0, 12 << 20);
        file_read(km, mm, f, 0, 12 << 20);
        file_read(km, mm, g, 0, 12 << 20);
        file_read(km, mm, g, 0, 12 << 20);
    }
    expect_u64_ge(km->vm[KM_VM_pgsteal_file], 1, "files were evicted");
    expect_u64_ge(km->vm[KM_VM_workingset_refault_file], 1, "");
    expect_u64_ge(km->vm[KM_VM_workingset_activate_file], 1, "refaults activate");
    expect_u64_ge(km->vm[KM_VM_workingset_restore_file], 1, "active before eviction: restored");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(cache_trim_mode_spares_anon)
{
    struct km *km = kmt_machine(512ULL << 20, 256ULL << 20);
    int cg = memcg_create(km, "g");
    struct km_mm *mm = proc_create(km, "p", cg);
    uint64_t a = kmt_map(km, mm, 32 << 20);
    fault_touch_range(km, mm, a, 32 << 20, KM_TOUCH_WRITE, 1);
    int f = file_create(km, "f", 256 << 20);
    km->memcg[cg].limit = (64 << 20) / 4096;
    km->memcg[cg].swappiness = 100;
    /* A streaming read through a cgroup full of anon: plenty of cold cache, nothing swapped. */
    file_read(km, mm, f, 0, 256 << 20);
    expect_u64_eq(km->vm[KM_VM_pswpout], 0, "cache_trim_mode: only page cache is reclaimed");
    expect_u64_ge(km->memcg[cg].pgsteal[1], 1000, "");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(kswapd_wakes_below_low_and_balances_to_high)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = 512ULL << 20;
    c.swap_bytes = 512ULL << 20;
    struct km *km = kmt_machine_cfg(&c);
    struct km_mm *mm = proc_create(km, "p", 0);
    uint64_t len = 600ULL << 20;
    uint64_t a = kmt_map(km, mm, len);
    fault_touch_range(km, mm, a, len, KM_TOUCH_WRITE, 1);
    expect_u64_ge(km->vm[KM_VM_pageoutrun], 1, "kswapd ran");
    expect_u64_ge(km->vm[KM_VM_pgsteal_kswapd], 1, "and reclaimed");
    expect_u64_eq(km->vm[KM_VM_oom_kill], 0, "");
    /* Let kswapd finish: it stops at the high watermark of some zone. */
    km->now_ns += 2000000000ULL;
    kswapd_catch_up(km);
    expect_false(km->kswapd.awake, "kswapd asleep again");
    expect_true(reclaim_pgdat_balanced(km, 0, KM_ZONE_MOVABLE), "balanced");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

/* The OOM killer picks the faulting process while another one is current (E6 of
 * kmodel-validate: a background process made first, then the workload): the victim is torn
 * down after its fault unwinds, not inside it (that was a use after free of its page table). */
TEST_BEGIN(oom_victim_torn_down_after_its_own_fault)
{
    struct km *km = kmt_machine(256ULL << 20, 0);
    struct km_mm *others = proc_create(km, "others", 0);
    struct km_mm *w = proc_create(km, "w", 0);
    expect_true(km->cur == others, "the first process stays current");
    w->oom_score_adj = 1000;
    uint64_t len = 512ULL << 20;
    int e;
    uint64_t a = vma_mmap(km, w, 0, len, KM_PROT_READ | KM_PROT_WRITE,
                          KM_MAP_PRIVATE | KM_MAP_ANON | KM_MAP_NORESERVE, -1, 0, &e);
    require_true(a != 0, "mapping");
    vma_madvise(km, w, a, len, KM_MADV_NOHUGEPAGE);
    expect_d_eq(fault_touch_range(km, w, a, len, KM_TOUCH_WRITE, 1), -1, "the touch fails");
    expect_true(w->killed && w->exited, "w was OOM-killed and torn down");
    expect_false(others->killed, "others lives");
    expect_u64_eq(km->vm[KM_VM_oom_kill], 1, "one kill");
    expect_true(km->cur == others, "others is current again");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, scan_balance_follows_swappiness, inactive_is_low_ratio,
                     first_reference_keeps_then_reclaims, zero_pages_use_the_zeromap,
                     sequential_swapin_reads_ahead_eight_pages,
                     madv_free_pages_are_dropped_without_swap, refaulting_file_pages_activate,
                     cache_trim_mode_spares_anon, kswapd_wakes_below_low_and_balances_to_high,
                     oom_victim_torn_down_after_its_own_fault);
}
