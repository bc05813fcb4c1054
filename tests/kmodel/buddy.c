/*
 * buddy.c — the buddy allocator, PCP lists and watermarks of the model: invariants after random
 * allocation and free, merging back to the boot state, split order, fallback, and the
 * fragmentation indices on known free-area counts.
 */
#include "tests/kmodel/kmtest.h"

TEST_BEGIN(boot_state_is_max_order_blocks)
{
    struct km *km = kmt_machine(256ULL << 20, 0);
    struct km_zone *z = &km->zones[KM_ZONE_DMA32];
    km_check_all(km);
    /* After boot nearly everything is in order-10 blocks (slab pages were taken since). */
    expect_u64_ge(z->nr_free_blocks[KM_MAX_ORDER] * 1024, z->managed - 4096, "");
    struct km_zone *dma = &km->zones[KM_ZONE_DMA];
    expect_u64_eq(dma->managed, 3840, "DMA managed pages of the reference layout");
    km_destroy(km);
}
TEST_END

TEST_BEGIN(random_alloc_free_keeps_invariants_and_merges_back)
{
    struct km *km = kmt_machine(128ULL << 20, 0);
    km_check_all(km);
    uint64_t free0 = km_nr_free_pages(km) + km_nr_pcp_pages(km);
    uint64_t seed = test_seed(42);
    enum { N = 3000 };
    static uint32_t pfn[N];
    static int ord[N];
    int n = 0;
    for (int step = 0; step < 20000; step++) {
        uint64_t r = test_rand_next(&seed);
        if (n < N && (r & 1)) {
            int order = (int)((r >> 8) % 4);
            enum km_gfp_kind g = (r >> 16) % 3 == 0   ? KM_GFP_KERNEL
                                 : (r >> 16) % 3 == 1 ? KM_GFP_USER
                                                      : KM_GFP_RECLAIMABLE;
            uint32_t p = palloc_alloc(km, g, order, KM_FS_KERNEL);
            if (p == KM_NIL)
                continue;
            expect_zu_eq(p & ((1u << order) - 1), 0, "block of order %d aligned", order);
            pfn[n] = p;
            ord[n++] = order;
        } else if (n > 0) {
            int i = (int)((r >> 20) % (uint64_t)n);
            palloc_free(km, pfn[i], ord[i]);
            pfn[i] = pfn[n - 1];
            ord[i] = ord[--n];
        }
        if (step % 500 == 0)
            km_check_all(km);
    }
    while (n > 0) {
        n--;
        palloc_free(km, pfn[n], ord[n]);
    }
    pcp_drain_all(km);
    km_check_all(km);
    expect_u64_eq(km_nr_free_pages(km), free0, "every page came back");
    /* With everything free the blocks merge back into the largest orders. */
    struct km_zone *z = &km->zones[KM_ZONE_DMA32];
    uint64_t small = 0;
    for (int o = 0; o < KM_MAX_ORDER; o++)
        small += z->nr_free_blocks[o] << o;
    expect_u64_le(small, 2048,
                  "pages outside order-10 blocks after merging (slab pages split some)");
    km_destroy(km);
}
TEST_END

TEST_BEGIN(split_puts_upper_halves_on_lower_orders)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = 64ULL << 20;
    c.shuffle = false;
    struct km *km = kmt_machine_cfg(&c);
    struct km_zone *z = &km->zones[KM_ZONE_DMA32];
    /* Take all order < 10 blocks first, so that the next allocation splits an order-10 block. */
    uint64_t before[KM_NR_ORDERS];
    uint32_t p;
    for (;;) {
        int lowest = -1;
        for (int o = 0; o < KM_MAX_ORDER; o++)
            if (z->nr_free_blocks[o]) {
                lowest = o;
                break;
            }
        if (lowest < 0)
            break;
        p = buddy_rmqueue(km, z, lowest,
                          buddy_pageblock_mt(km, z->free_list[lowest][KM_MT_MOVABLE].head == KM_NIL
                                                     ? z->start
                                                     : z->free_list[lowest][KM_MT_MOVABLE].head),
                          0);
        require_true(p != KM_NIL, "");
    }
    memcpy(before, z->nr_free_blocks, sizeof(before));
    p = buddy_rmqueue(km, z, 0, KM_MT_MOVABLE, 0);
    require_true(p != KM_NIL, "");
    expect_u64_eq(z->nr_free_blocks[KM_MAX_ORDER], before[KM_MAX_ORDER] - 1,
                  "one order-10 block split");
    for (int o = 0; o < KM_MAX_ORDER; o++)
        expect_u64_eq(z->nr_free_blocks[o], before[o] + 1, "one upper half per order %d", o);
    buddy_free(km, z, p, 0, KM_MT_MOVABLE);
    expect_u64_eq(z->nr_free_blocks[KM_MAX_ORDER], before[KM_MAX_ORDER], "merged back");
    buddy_check_zone(km, z);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(unmovable_claims_a_movable_pageblock)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = 64ULL << 20;
    c.shuffle = false;
    struct km *km = kmt_machine_cfg(&c);
    struct km_zone *z = &km->zones[KM_ZONE_DMA32];
    /* All pageblocks start MOVABLE; an UNMOVABLE request falls back and claims a whole block. */
    uint64_t unmov_before = 0;
    for (uint32_t b = z->start; b < z->end; b += KM_PAGEBLOCK_PAGES)
        unmov_before += buddy_pageblock_mt(km, b) == KM_MT_UNMOVABLE;
    uint32_t p = buddy_rmqueue(km, z, 0, KM_MT_UNMOVABLE, 0);
    require_true(p != KM_NIL, "");
    uint64_t unmov = 0;
    for (uint32_t b = z->start; b < z->end; b += KM_PAGEBLOCK_PAGES)
        unmov += buddy_pageblock_mt(km, b) == KM_MT_UNMOVABLE;
    expect_u64_ge(unmov, unmov_before, "");
    expect_d_eq(buddy_pageblock_mt(km, p), KM_MT_UNMOVABLE, "the page's block was claimed");
    buddy_check_zone(km, z);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(fragmentation_indices_known_values)
{
    /* One free block of each order 0..3: 15 pages in 4 blocks. */
    uint64_t nr[KM_NR_ORDERS] = {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
    expect_d_eq(buddy_unusable_index(nr, 0), 0, "");
    expect_d_eq(buddy_unusable_index(nr, 1), 66, "1 of 15 pages unusable for order 1");
    expect_d_eq(buddy_unusable_index(nr, 4), 1000, "nothing of order 4");
    expect_d_eq(buddy_fragmentation_index(nr, 2), -1000, "a suitable block exists");
    /* order 4: 1000 - (1000 + 15*1000/16) / 4 = 1000 - (1000 + 937) / 4 = 516 */
    expect_d_eq(buddy_fragmentation_index(nr, 4), 516, "");
    uint64_t none[KM_NR_ORDERS] = {0};
    expect_d_eq(buddy_unusable_index(none, 3), 1000, "no free memory: all unusable");
    expect_d_eq(buddy_fragmentation_index(none, 3), 0, "");
}
TEST_END

TEST_BEGIN(pcp_batch_and_high_follow_zone_size)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = 24ULL << 30;
    c.zone_managed[KM_ZONE_NORMAL] = 163840;
    c.zone_managed_set[KM_ZONE_NORMAL] = true;
    struct km *km = kmt_machine_cfg(&c);
    /* /proc/zoneinfo of the reference VM (Normal zone during lazy init). */
    expect_d_eq(km->zones[KM_ZONE_DMA].pcp[0].batch, 1, "");
    expect_d_eq(km->zones[KM_ZONE_DMA32].pcp[0].batch, 63, "");
    expect_d_eq(km->zones[KM_ZONE_NORMAL].pcp[0].batch, 31, "");
    expect_d_eq(km->zones[KM_ZONE_DMA].pcp[0].high_min, 42, "");
    expect_d_eq(km->zones[KM_ZONE_DMA32].pcp[0].high_min, 8676, "");
    expect_d_eq(km->zones[KM_ZONE_NORMAL].pcp[0].high_min, 1839, "");
    expect_d_eq(km->zones[KM_ZONE_DMA].pcp[1].high_max, 240, "");
    expect_d_eq(km->zones[KM_ZONE_DMA32].pcp[1].high_max, 48307, "");
    expect_d_eq(km->zones[KM_ZONE_NORMAL].pcp[1].high_max, 10240, "");
    km_destroy(km);
}
TEST_END

TEST_BEGIN(watermarks_of_the_reference_vm)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = 24ULL << 30;
    c.zone_managed[KM_ZONE_NORMAL] = 163840;
    c.zone_managed_set[KM_ZONE_NORMAL] = true;
    struct km *km = kmt_machine_cfg(&c);
    expect_u64_eq(km->min_free_kbytes, 67584, "khugepaged's rule with THP enabled");
    static const uint64_t want[3][4] = {
        {68, 85, 102, 119}, {13883, 17353, 20823, 24293}, {2943, 3678, 4413, 5148}};
    for (int z = 0; z < 3; z++)
        for (int w = 0; w < 4; w++)
            expect_u64_eq(km->zones[z].wmark[w], want[z][w], "zone %d wmark %d", z, w);
    expect_u64_eq(km->zones[KM_ZONE_DMA].lowmem_reserve[KM_ZONE_DMA32], 3019, "");
    expect_u64_eq(km->zones[KM_ZONE_DMA].lowmem_reserve[KM_ZONE_NORMAL], 3659, "");
    expect_u64_eq(km->zones[KM_ZONE_DMA32].lowmem_reserve[KM_ZONE_NORMAL], 640, "");
    expect_u64_eq(km->zones[KM_ZONE_MOVABLE].wmark[KM_WMARK_MIN], 32, "empty Movable zone");
    km_destroy(km);
    /* The full 24 GiB layout gives the VM's MemTotal. */
    km_config_default(&c);
    c.ram_bytes = 24ULL << 30;
    km = kmt_machine_cfg(&c);
    expect_u64_eq(km->totalram * 4, 24684092, "MemTotal kB");
    km_destroy(km);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, boot_state_is_max_order_blocks,
                     random_alloc_free_keeps_invariants_and_merges_back,
                     split_puts_upper_halves_on_lower_orders, unmovable_claims_a_movable_pageblock,
                     fragmentation_indices_known_values, pcp_batch_and_high_follow_zone_size,
                     watermarks_of_the_reference_vm);
}
