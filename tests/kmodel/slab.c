/*
 * slab.c (test) — SLUB layout and order for caches measured on the reference VM, and the slab
 * bookkeeping: objects fill the CPU slab, full slabs move to the full list, frees make them
 * partial, and empty slabs beyond min_partial go back to the page allocator.
 */
#include "tests/kmodel/kmtest.h"

TEST_BEGIN(layouts_of_known_caches)
{
    struct {
        const char *name;
        uint32_t object_size, align, flags, size, order, objects, cpu_partial, min_partial;
    } c[] = {
        /* /sys/kernel/slab on the reference VM (2 CPUs) */
        {"vm_area_struct", 192, 0,
         KM_SLAB_HWCACHE_ALIGN | KM_SLAB_TYPESAFE_RCU | KM_SLAB_FREEPTR_IN, 192, 0, 21, 120, 5},
        {"anon_vma", 96, 0, KM_SLAB_TYPESAFE_RCU | KM_SLAB_CTOR, 104, 0, 39, 120, 5},
        {"mm_struct", 1568, 0, KM_SLAB_HWCACHE_ALIGN, 1600, 3, 20, 24, 5},
        {"task_struct", 5824, 64, 0, 5824, 3, 5, 6, 6},
        {"maple_node", 256, 256, 0, 256, 0, 16, 52, 5},
        {"inode_cache", 616, 0, KM_SLAB_CTOR | KM_SLAB_RECLAIM, 624, 1, 13, 52, 5},
        {"sighand_cache", 2080, 0, KM_SLAB_HWCACHE_ALIGN | KM_SLAB_TYPESAFE_RCU | KM_SLAB_CTOR,
         2112, 3, 15, 24, 5},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct km_slab_layout l;
        slab_calculate(&l, c[i].object_size, c[i].align, c[i].flags, 2);
        expect_u64_eq(l.size, c[i].size, "%s size", c[i].name);
        expect_u64_eq(l.order, c[i].order, "%s order", c[i].name);
        expect_u64_eq(l.objects, c[i].objects, "%s objects", c[i].name);
        expect_u64_eq(l.cpu_partial, c[i].cpu_partial, "%s cpu_partial", c[i].name);
        expect_u64_eq(l.min_partial, c[i].min_partial, "%s min_partial", c[i].name);
    }
    uint32_t objs;
    expect_d_eq(slab_calc_order(8, 2, &objs), 0, "kmalloc-8");
    expect_u64_eq(objs, 512, "");
    expect_d_eq(kmalloc_index(65), 4, "65..96 bytes go to kmalloc-96");
    expect_d_eq(kmalloc_index(129), 6, "129..192 bytes go to kmalloc-192");
}
TEST_END

TEST_BEGIN(slabs_fill_empty_and_are_discarded)
{
    struct km *km = kmt_machine(256ULL << 20, 0);
    int c = slab_cache_create(km, "test-256", 256, 0, 0); /* 16 per order-0 slab */
    struct km_slab_cache *s = &km->caches[c];
    uint64_t unrecl0 = km->slab_unrecl_pages;
    static uint32_t ids[16 * 20];
    for (int i = 0; i < 16 * 20; i++)
        ids[i] = slab_alloc(km, c);
    s = &km->caches[c];
    expect_u64_eq(s->nr_slabs, 20, "");
    expect_u64_eq(s->nr_active, 320, "");
    expect_u64_eq(km->slab_unrecl_pages - unrecl0, 20, "one page per slab");
    slab_check_cache(km, c);
    /* Free one object from every full slab: they become partial. */
    for (int i = 0; i < 19; i++)
        slab_free(km, c, ids[i * 16]);
    expect_u64_eq(km->caches[c].partial.n, 19, "");
    slab_check_cache(km, c);
    /* Empty them all: only min_partial (5) empty slabs stay; the others go back. */
    for (int i = 0; i < 19; i++)
        for (int k = 1; k < 16; k++)
            slab_free(km, c, ids[i * 16 + k]);
    s = &km->caches[c];
    expect_u64_eq(s->nr_active, 16, "the CPU slab's objects");
    expect_u64_eq(s->partial.n, 5, "min_partial empty slabs kept");
    expect_u64_eq(s->nr_slabs, 6, "");
    expect_u64_eq(km->slab_unrecl_pages - unrecl0, 6, "");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

TEST_BEGIN(vmas_cost_vm_area_structs)
{
    struct km *km = kmt_machine(256ULL << 20, 0);
    struct km_mm *mm = proc_create(km, "p", 0);
    int c = km->kcache[KM_KO_VMA];
    uint64_t a0 = km->caches[c].nr_active;
    for (int i = 0; i < 210; i++) {
        int e;
        vma_mmap(km, mm, 0, 4096, (i & 1) ? KM_PROT_READ : KM_PROT_READ | KM_PROT_WRITE,
                 KM_MAP_PRIVATE | KM_MAP_ANON, -1, 0, &e);
    }
    expect_u64_eq(km->caches[c].nr_active - a0, 210, "one vm_area_struct per unmerged VMA");
    proc_exit(km, mm);
    expect_u64_eq(km->caches[c].nr_active, 0, "all freed at exit");
    km_check_all(km);
    km_destroy(km);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, layouts_of_known_caches, slabs_fill_empty_and_are_discarded,
                     vmas_cost_vm_area_structs);
}
