/*
 * phys.c — the simulated machine: physical memory, zones and their frames.
 *
 *   model pfn:  0          zone DMA          Z1        zone DMA32        Z2    zone Normal    nframes
 *               |[managed pages]..(align)....|[managed pages].....(align)|[managed pages]......|
 *
 * Only managed pages get frames (holes and the memmap the kernel reserves at boot have none), and
 * every zone starts at a model pfn aligned to 2^KM_MAX_ORDER, so a buddy block never straddles a
 * zone. Model pfns are not the kernel's pfns; orders, alignment and counts are the same.
 *
 * The default layout for `ram` bytes follows the x86 machine the project runs on (a Firecracker
 * VM, KMODEL-SPEC.md section 0): DMA is the first 16 MiB (3998 present, 3840 managed), DMA32
 * runs to 3 GiB (the 32-bit PCI hole takes 3..4 GiB), Normal holds the rest. The memmap
 * (64 bytes of struct page per present page) and a fixed set of boot reservations (9419 pages
 * in DMA32, 12456 in Normal, as measured) are not managed. With ram=24G this gives MemTotal
 * 24684092 kB, the reference VM's exact value. `zone NAME managed=N` overrides the rule.
 *
 * Invariants (checked by km_check_all at MINI_DEBUG >= 3):
 *   - every frame of a zone is in exactly one of: a buddy block, a pcp list, allocated;
 *   - Σ zone.nr_free + pcp counts + allocated pages = Σ managed (pages are conserved).
 */
#include "analysis/kmodel/kmodel.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const km_vmstat_names[KM_NR_VMSTAT] = {
#define KM_X(n) #n,
    KM_VMSTAT_LIST(KM_X)
#undef KM_X
};

void km_assert_fail(const char *file, int line, const char *cond, const char *msg)
{
    char buf[512];
    int n =
        snprintf(buf, sizeof(buf), "kmodel: %s:%d: check failed: %s %s\n", file, line, cond, msg);
    if (n > 0) {
        ssize_t w = write(2, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
        (void)w;
    }
    abort();
}

void km_event(struct km *km, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = strlen(line);
    line[len++] = '\n';
    if (km->oom_log_len + len + 1 >= sizeof(km->oom_log))
        return;
    memcpy(km->oom_log + km->oom_log_len, line, len);
    km->oom_log_len += len;
    km->oom_log[km->oom_log_len] = '\0';
}

void km_input_stat(struct km *km, const char *section, const char *key, uint64_t v)
{
    km->input_section = section;
    for (int i = 0; i < km->n_input; i++)
        if (strcmp(km->input[i].key, key) == 0) {
            km->input[i].v = v;
            return;
        }
    if (km->n_input < (int)(sizeof(km->input) / sizeof(km->input[0]))) {
        km->input[km->n_input].key = key;
        km->input[km->n_input++].v = v;
    }
}

/* ---- Frame lists -------------------------------------------------------------------------- */

void kl_init(struct km_list *l)
{
    l->head = l->tail = KM_NIL;
    l->n = 0;
}

void kl_add_head(struct km_frame *fr, struct km_list *l, uint32_t pfn)
{
    fr[pfn].prev = KM_NIL;
    fr[pfn].next = l->head;
    if (l->head != KM_NIL)
        fr[l->head].prev = pfn;
    else
        l->tail = pfn;
    l->head = pfn;
    l->n++;
}

void kl_add_tail(struct km_frame *fr, struct km_list *l, uint32_t pfn)
{
    fr[pfn].next = KM_NIL;
    fr[pfn].prev = l->tail;
    if (l->tail != KM_NIL)
        fr[l->tail].next = pfn;
    else
        l->head = pfn;
    l->tail = pfn;
    l->n++;
}

void kl_del(struct km_frame *fr, struct km_list *l, uint32_t pfn)
{
    uint32_t n = fr[pfn].next, p = fr[pfn].prev;
    if (p != KM_NIL)
        fr[p].next = n;
    else
        l->head = n;
    if (n != KM_NIL)
        fr[n].prev = p;
    else
        l->tail = p;
    fr[pfn].next = fr[pfn].prev = KM_NIL;
    km_assert(l->n > 0);
    l->n--;
}

/* ---- Configuration ------------------------------------------------------------------------ */

void km_config_default(struct km_config *c)
{
    memset(c, 0, sizeof(*c));
    c->ram_bytes = 4ULL << 30;
    c->ncpus = 2;
    c->min_free_kbytes = -1;
    c->watermark_scale_factor = 10;
    c->watermark_boost_factor = 15000;
    c->lowmem_reserve_ratio[KM_ZONE_DMA] = 256;
    c->lowmem_reserve_ratio[KM_ZONE_DMA32] = 256;
    c->lowmem_reserve_ratio[KM_ZONE_NORMAL] = 32;
    c->overcommit_memory = 0;
    c->overcommit_ratio = 50;
    c->user_reserve_kbytes = -1;
    c->admin_reserve_kbytes = -1;
    c->swappiness = 60;
    c->page_cluster = 3;
    c->thp = KM_THP_MADVISE;
    c->thp_defrag = KM_THP_MADVISE;
    c->max_map_count = 65530;
    c->extfrag_threshold = 500;
    c->pgd_pages = 1;
    c->shuffle = true;
    c->seed = 1;
    c->stats_flush_ms = 2000; /* FLUSH_TIME = 2 * HZ (mm/memcontrol.c) */
}

uint64_t km_rand(struct km *km)
{
    /* splitmix64: deterministic for a given seed. */
    uint64_t z = (km->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* ---- Layout ------------------------------------------------------------------------------- */

#define DMA_PRESENT     3998ULL
#define DMA_MANAGED     3840ULL
#define DMA_SPANNED     4095ULL
#define LOW_TOP_PAGES   (3ULL << (30 - KM_PAGE_SHIFT)) /* RAM below the PCI hole */
#define DMA32_RESERVED  9419ULL
#define NORMAL_RESERVED 12456ULL

static const char *const zone_names[KM_NR_ZONES] = {"DMA", "DMA32", "Normal", "Movable"};

static void layout_default(const struct km_config *c, uint64_t present[KM_NR_ZONES],
                           uint64_t managed[KM_NR_ZONES], uint64_t spanned[KM_NR_ZONES])
{
    uint64_t pages = c->ram_bytes >> KM_PAGE_SHIFT;
    memset(present, 0, sizeof(uint64_t) * KM_NR_ZONES);
    memset(managed, 0, sizeof(uint64_t) * KM_NR_ZONES);
    memset(spanned, 0, sizeof(uint64_t) * KM_NR_ZONES);
    present[KM_ZONE_DMA] = DMA_PRESENT;
    spanned[KM_ZONE_DMA] = DMA_SPANNED;
    uint64_t low = pages < LOW_TOP_PAGES ? pages : LOW_TOP_PAGES;
    present[KM_ZONE_DMA32] = low > 4096 ? low - 4096 : 0;
    spanned[KM_ZONE_DMA32] = pages > LOW_TOP_PAGES ? (1ULL << 20) - 4096 : present[KM_ZONE_DMA32];
    present[KM_ZONE_NORMAL] = pages > LOW_TOP_PAGES ? pages - LOW_TOP_PAGES : 0;
    spanned[KM_ZONE_NORMAL] = present[KM_ZONE_NORMAL];
    uint64_t total = present[0] + present[1] + present[2];
    uint64_t memmap = total / 64;
    managed[KM_ZONE_DMA] = DMA_MANAGED;
    uint64_t r32 = DMA32_RESERVED < present[1] / 8 ? DMA32_RESERVED : present[1] / 8;
    managed[KM_ZONE_DMA32] = present[1] - r32;
    if (present[KM_ZONE_NORMAL] > 2 * (memmap + NORMAL_RESERVED)) {
        managed[KM_ZONE_NORMAL] = present[KM_ZONE_NORMAL] - memmap - NORMAL_RESERVED;
    } else {
        managed[KM_ZONE_NORMAL] = present[KM_ZONE_NORMAL];
        managed[KM_ZONE_DMA32] -= memmap < managed[1] / 2 ? memmap : managed[1] / 2;
    }
}

static uint32_t align_up(uint64_t v, uint64_t a)
{
    return (uint32_t)((v + a - 1) & ~(a - 1));
}

struct km *km_create(const struct km_config *cfg, char *err, size_t errlen)
{
    if (cfg->ram_bytes < (64ULL << 20)) {
        snprintf(err, errlen, "ram must be at least 64M");
        return NULL;
    }
    if (cfg->ram_bytes > (16ULL << 40)) {
        snprintf(err, errlen, "ram must be at most 16T");
        return NULL;
    }
    if (cfg->ncpus < 1 || cfg->ncpus > KM_MAX_CPUS) {
        snprintf(err, errlen, "cpus must be 1..%d", KM_MAX_CPUS);
        return NULL;
    }
    struct km *km = calloc(1, sizeof(*km));
    if (km == NULL) {
        snprintf(err, errlen, "out of host memory");
        return NULL;
    }
    km->cfg = *cfg;
    km->rng = cfg->seed;
    calib_default(&km->calib);
    uint64_t present[KM_NR_ZONES], managed[KM_NR_ZONES], spanned[KM_NR_ZONES];
    layout_default(cfg, present, managed, spanned);
    for (int i = 0; i < KM_NR_ZONES; i++) {
        if (cfg->zone_managed_set[i]) {
            managed[i] = cfg->zone_managed[i];
            if (present[i] < managed[i])
                present[i] = managed[i];
            if (spanned[i] < present[i])
                spanned[i] = present[i];
        }
    }
    uint64_t pos = 0;
    for (int i = 0; i < KM_NR_ZONES; i++) {
        struct km_zone *z = &km->zones[i];
        z->name = zone_names[i];
        z->idx = i;
        z->spanned = spanned[i];
        z->present = present[i];
        z->managed = managed[i];
        pos = align_up(pos, 1u << KM_MAX_ORDER);
        if (pos + managed[i] >= KM_NIL - 1) {
            snprintf(err, errlen, "too many page frames");
            free(km);
            return NULL;
        }
        z->start = (uint32_t)pos;
        z->end = (uint32_t)(pos + managed[i]);
        pos += managed[i];
        for (int o = 0; o < KM_NR_ORDERS; o++)
            for (int m = 0; m < KM_NR_MT; m++)
                kl_init(&z->free_list[o][m]);
        if (managed[i])
            km->nzones_populated++;
        km->totalram += managed[i];
    }
    km->nframes = align_up(pos, 1u << KM_MAX_ORDER);
    km->frames = calloc(km->nframes, sizeof(struct km_frame));
    km->pb_mt = calloc(km->nframes / KM_PAGEBLOCK_PAGES + 1, 1);
    km->memcg = calloc(KM_MAX_MEMCG, sizeof(struct km_memcg));
    if (km->frames == NULL || km->pb_mt == NULL || km->memcg == NULL) {
        snprintf(err, errlen, "out of host memory for %u frames", km->nframes);
        km_destroy(km);
        return NULL;
    }
    for (uint32_t p = 0; p < km->nframes; p++) {
        km->frames[p].next = km->frames[p].prev = KM_NIL;
        km->frames[p].a = KM_FS_RESERVED;
    }
    memset(km->pb_mt, KM_MT_MOVABLE, km->nframes / KM_PAGEBLOCK_PAGES + 1);
    /* The root memcg always exists (id 0); global LRU pages live in its lruvec. */
    memcg_create(km, "/");

    /* Sysctl-derived state, then hand the memory to the buddy allocator (memblock_free_all). */
    km_sysctl_changed(km);
    for (int i = 0; i < KM_NR_ZONES; i++) {
        struct km_zone *z = &km->zones[i];
        for (uint32_t p = z->start; p < z->end; p++)
            km->frames[p].a = KM_FS_FREE;
        if (z->end > z->start)
            buddy_free_boot_range(km, z, z->start, z->end);
    }
    slab_init_caches(km);
    if (cfg->swap_bytes && swap_init(km, cfg->swap_bytes) != 0) {
        snprintf(err, errlen, "cannot set up %llu bytes of swap",
                 (unsigned long long)cfg->swap_bytes);
        km_destroy(km);
        return NULL;
    }
    /* Memory the kernel already uses (boot-time allocations other than the memmap). */
    for (uint64_t left = cfg->kernel_bytes >> KM_PAGE_SHIFT; left > 0;) {
        int order = left >= 8 ? 3 : 0;
        if (palloc_alloc(km, KM_GFP_KERNEL, order, KM_FS_KERNEL) == KM_NIL) {
            snprintf(err, errlen, "kernel=%llu does not fit in RAM",
                     (unsigned long long)cfg->kernel_bytes);
            km_destroy(km);
            return NULL;
        }
        left -= 1ULL << order;
    }
    if (cfg->nr_hugepages) {
        for (uint64_t i = 0; i < cfg->nr_hugepages; i++) {
            uint32_t p = palloc_alloc(km, KM_GFP_NORETRY, KM_PAGEBLOCK_ORDER, KM_FS_HUGETLB);
            if (p == KM_NIL) {
                snprintf(err, errlen, "hugepages=%llu do not fit in RAM",
                         (unsigned long long)cfg->nr_hugepages);
                km_destroy(km);
                return NULL;
            }
            km->nr_hugetlb += 1;
        }
        km_sysctl_changed(km);
    }
    memset(km->vm, 0, sizeof(km->vm));
    km->committed = cfg->committed_base_pages;
    memcg_flush_stats(km);
    return km;
}

void km_destroy(struct km *km)
{
    if (km == NULL)
        return;
    for (int i = 0; i < km->nmm; i++) {
        struct km_mm *mm = km->mm[i];
        if (mm == NULL)
            continue;
        if (mm->fam)
            rmap_family_leave(mm);
        free(mm->vmas);
        free(mm);
    }
    free(km->mm);
    for (int i = 0; i < km->nfiles; i++)
        free(km->files[i].pages);
    free(km->files);
    swap_fini(km);
    reclaim_fini(km);
    free(km->av_refs);
    free(km->caches);
    free(km->slabs);
    free(km->memcg);
    /* Host page tables are owned by their frames. */
    if (km->frames) {
        for (uint32_t p = 0; p < km->nframes; p++)
            if (fr_state(&km->frames[p]) == KM_FS_PGTABLE)
                free(km->frames[p].ptr);
    }
    free(km->frames);
    free(km->pb_mt);
    if (km->series.f)
        out_series_close(km);
    free(km);
}

void km_sysctl_changed(struct km *km)
{
    zone_setup_watermarks(km);
    zone_setup_lowmem_reserve(km);
    zone_setup_pcp(km);
    commit_init_reserves(km);
}

uint64_t km_nr_free_pages(const struct km *km)
{
    uint64_t n = 0;
    for (int i = 0; i < KM_NR_ZONES; i++)
        n += km->zones[i].nr_free;
    return n;
}

uint64_t km_nr_pcp_pages(const struct km *km)
{
    uint64_t n = 0;
    for (int i = 0; i < KM_NR_ZONES; i++)
        for (int c = 0; c < km->cfg.ncpus; c++)
            n += (uint64_t)km->zones[i].pcp[c].count;
    return n;
}

/* Pages are conserved: free + pcp + allocated = managed, zone by zone. */
static void check_conservation(const struct km *km)
{
    for (int i = 0; i < KM_NR_ZONES; i++) {
        const struct km_zone *z = &km->zones[i];
        uint64_t free_pages = 0, pcp = 0, used = 0;
        for (uint32_t p = z->start; p < z->end;) {
            const struct km_frame *f = &km->frames[p];
            switch (fr_state(f)) {
            case KM_FS_BUDDY:
                free_pages += 1u << fr_order(f);
                p += 1u << fr_order(f);
                continue;
            case KM_FS_PCP:
                pcp += 1u << fr_order(f);
                p += 1u << fr_order(f);
                continue;
            case KM_FS_FREE:
                km_check_fail("free frame outside any buddy block");
                break;
            case KM_FS_ANON:
            case KM_FS_FILE:
                if (fr_test(f, KM_PG_THP)) {
                    used += KM_PAGEBLOCK_PAGES;
                    p += KM_PAGEBLOCK_PAGES;
                    continue;
                }
                used++;
                break;
            case KM_FS_SLAB:
            case KM_FS_KERNEL:
            case KM_FS_PGTABLE:
            case KM_FS_HUGETLB:
                used += 1u << fr_order(f);
                for (uint32_t q = p + 1; q < p + (1u << fr_order(f)); q++)
                    if (fr_state(&km->frames[q]) != KM_FS_TAIL)
                        km_check_fail("allocated block with a non-tail page inside");
                p += 1u << fr_order(f);
                continue;
            default:
                km_check_fail("frame in an impossible state");
            }
            p++;
        }
        uint64_t pcp_count = 0;
        for (int c = 0; c < km->cfg.ncpus; c++)
            pcp_count += (uint64_t)z->pcp[c].count;
        if (free_pages != z->nr_free)
            km_check_fail("zone nr_free differs from the pages in buddy blocks");
        if (pcp != pcp_count)
            km_check_fail("pcp count differs from the pages on pcp lists");
        if (free_pages + pcp + used != z->managed)
            km_check_fail("pages not conserved (free + pcp + used != managed)");
    }
}

void km_check_all(struct km *km)
{
    check_conservation(km);
    for (int i = 0; i < KM_NR_ZONES; i++) {
        buddy_check_zone(km, &km->zones[i]);
        pcp_check(km, &km->zones[i]);
    }
    for (int c = 0; c < km->ncaches; c++)
        slab_check_cache(km, c);
    lru_check(km);
    memcg_check(km);
    swap_check(km);
    commit_check(km);
    for (int i = 0; i < km->nmm; i++)
        if (km->mm[i] && !km->mm[i]->exited)
            vma_check(km, km->mm[i]);
}

void km_reap(struct km *km)
{
    for (int i = 0; i < km->nmm; i++) {
        struct km_mm *mm = km->mm[i];
        if (mm && mm->killed && !mm->exited) {
            struct km_mm *cur = km->cur;
            proc_exit(km, mm);
            km->cur = cur == mm ? NULL : cur;
        }
    }
}

void km_after_op(struct km *km)
{
    km->ops++;
    km_reap(km);
    if (km_debug >= 3) {
        /* Walking everything after every operation is quadratic; large machines are checked
         * at a stride so that debug runs of big scenarios still finish. */
        uint64_t stride = km->nframes > (1u << 20) ? 64 : 1;
        if (km->ops % stride == 0)
            km_check_all(km);
    }
    if (km->kswapd.awake)
        kswapd_catch_up(km);
    if (km->series.f && km->now_ns >= km->series.next_ns)
        out_series_sample(km);
}
