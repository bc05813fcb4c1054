/*
 * palloc.c — the page allocator's entry points: __alloc_pages() with its fast path, slow path,
 * direct reclaim, retry rules and OOM, and __free_pages() (KMODEL-SPEC.md section 3).
 *
 *   fast path  get_page_from_freelist(ALLOC_WMARK_LOW) over Normal -> DMA32 -> DMA
 *      |  fails
 *   slow path  wake kswapd; get_page_from_freelist(ALLOC_WMARK_MIN)
 *      |  fails
 *      +-> direct reclaim (try_to_free_pages), drain pcp, retry
 *      +-> should_reclaim_retry: up to 16 loops without progress while free + reclaimable
 *      |   would pass the min watermark of some zone
 *      +-> __alloc_pages_may_oom: one more try at the high watermark, then out_of_memory()
 *
 * Compaction is not modelled: a high-order request is satisfied only by a free block.
 */
#include "analysis/kmodel/kmodel.h"

int palloc_gfp_mt(enum km_gfp_kind gfp)
{
    switch (gfp) {
    case KM_GFP_USER:
    case KM_GFP_NORETRY:
        return KM_MT_MOVABLE;
    case KM_GFP_RECLAIMABLE:
        return KM_MT_RECLAIMABLE;
    default:
        return KM_MT_UNMOVABLE;
    }
}

static int gfp_highest_zoneidx(enum km_gfp_kind gfp)
{
    return gfp == KM_GFP_USER || gfp == KM_GFP_NORETRY ? KM_ZONE_MOVABLE : KM_ZONE_NORMAL;
}

static bool pcp_allowed_order(int order)
{
    return order <= KM_COSTLY_ORDER || order == KM_PAGEBLOCK_ORDER;
}

/* The preferred zone: the highest populated zone the request may use. */
static int preferred_zone(const struct km *km, int highest)
{
    for (int i = highest; i >= 0; i--)
        if (km->zones[i].managed)
            return i;
    return 0;
}

static uint32_t rmqueue(struct km *km, struct km_zone *z, int order, int mt, unsigned flags)
{
    uint32_t pfn = KM_NIL;
    if (pcp_allowed_order(order))
        pfn = pcp_alloc(km, z, km->cur_cpu, order, mt, flags);
    if (pfn == KM_NIL)
        pfn = buddy_rmqueue(km, z, order, mt, flags);
    if ((flags & KM_ALLOC_KSWAPD) && z->boosted_flag) {
        z->boosted_flag = false;
        kswapd_wakeup(km, 0, z->idx);
    }
    return pfn;
}

/* get_page_from_freelist(). */
static uint32_t get_page(struct km *km, int order, int mt, unsigned flags, int highest, int *zidx)
{
retry:
    for (int i = preferred_zone(km, highest); i >= 0; i--) {
        struct km_zone *z = &km->zones[i];
        if (!z->managed)
            continue;
        bool ok = false;
        if (!z->below_high) {
            if (zone_watermark_ok(z, order, zone_wmark(z, KM_WMARK_HIGH), highest, flags, -1))
                ok = true;
            else
                z->below_high = true;
        }
        if (!ok) {
            uint64_t mark = zone_wmark(z, (int)(flags & KM_ALLOC_WMARK_MASK));
            if (!zone_watermark_ok(z, order, mark, highest, flags, -1) &&
                !(flags & KM_ALLOC_NO_WATERMARKS)) {
                /* The order-0 fast test of zone_watermark_fast() ignores the boost for
                 * __GFP_HIGH min-watermark requests. */
                if (!(order == 0 && (flags & KM_ALLOC_MIN_RESERVE) && z->boost &&
                      (flags & KM_ALLOC_WMARK_MASK) == KM_ALLOC_WMARK_MIN &&
                      zone_watermark_ok(z, order, z->wmark[KM_WMARK_MIN], highest, flags, -1)))
                    continue;
            }
        }
        uint32_t pfn = rmqueue(km, z, order, mt, flags);
        if (pfn != KM_NIL) {
            *zidx = i;
            return pfn;
        }
    }
    if (flags & KM_ALLOC_NOFRAGMENT) {
        flags &= ~KM_ALLOC_NOFRAGMENT;
        goto retry;
    }
    return KM_NIL;
}

/* zone_reclaimable_pages() summed with free pages: would the request pass min if all of the
 * reclaimable pages were reclaimed? (should_reclaim_retry) */
static bool reclaim_could_help(struct km *km, int order, unsigned flags, int highest)
{
    bool anon = swap_free_pages(km) > 0;
    for (int i = preferred_zone(km, highest); i >= 0; i--) {
        struct km_zone *z = &km->zones[i];
        if (!z->managed)
            continue;
        /* The model keeps LRU sizes per node; it splits them over zones by managed share. */
        uint64_t recl =
            lru_size(km, -1, KM_LRU_INACTIVE_FILE) + lru_size(km, -1, KM_LRU_ACTIVE_FILE);
        if (anon)
            recl += lru_size(km, -1, KM_LRU_INACTIVE_ANON) + lru_size(km, -1, KM_LRU_ACTIVE_ANON);
        recl = (uint64_t)((double)recl * (double)z->managed / (double)km->totalram);
        int64_t avail = (int64_t)(z->nr_free + recl);
        if (zone_watermark_ok(z, order, z->wmark[KM_WMARK_MIN], highest, flags, avail))
            return true;
    }
    return false;
}

static void set_allocated(struct km *km, uint32_t pfn, int order, unsigned state, int zidx)
{
    struct km_frame *f = &km->frames[pfn];
    f->next = f->prev = KM_NIL;
    f->b = 0;
    fr_set_free(f, state, (unsigned)order, (unsigned)buddy_pageblock_mt(km, pfn));
    fr_set_memcg(f, 0);
    for (uint32_t p = pfn + 1; p < pfn + (1u << order); p++) {
        struct km_frame *t = &km->frames[p];
        fr_set_free(t, KM_FS_TAIL, 0, 0);
        fr_set_memcg(t, 0);
        t->b = pfn;
        t->next = t->prev = KM_NIL;
    }
    static const enum km_vmstat pgalloc[KM_NR_ZONES] = {
        KM_VM_pgalloc_dma, KM_VM_pgalloc_dma32, KM_VM_pgalloc_normal, KM_VM_pgalloc_movable};
    km->vm[pgalloc[zidx]] += 1ULL << order;
    struct km_zone *z = &km->zones[zidx];
    switch (state) {
    case KM_FS_PGTABLE:
        z->nr_pgtable += 1ULL << order;
        break;
    case KM_FS_KERNEL:
        z->nr_kernel += 1ULL << order;
        break;
    default:
        break;
    }
}

uint32_t palloc_alloc(struct km *km, enum km_gfp_kind gfp, int order, unsigned state)
{
    /* An OOM victim's further allocations fail; it is torn down when its operation ends. */
    if (km->cur && km->cur->killed && !km->in_reclaim)
        return KM_NIL;
    int mt = palloc_gfp_mt(gfp);
    int highest = gfp_highest_zoneidx(gfp);
    bool can_reclaim = gfp != KM_GFP_ATOMIC && !km->in_reclaim;
    unsigned flags = KM_ALLOC_WMARK_LOW;
    if (gfp != KM_GFP_ATOMIC)
        flags |= KM_ALLOC_KSWAPD;
    int pz = preferred_zone(km, highest);
    if (pz == KM_ZONE_NORMAL && km->zones[KM_ZONE_DMA32].managed)
        flags |= KM_ALLOC_NOFRAGMENT;
    int zidx = 0;
    uint32_t pfn = get_page(km, order, mt, flags, highest, &zidx);
    if (pfn != KM_NIL)
        goto got;

    /* Slow path. */
    flags = KM_ALLOC_WMARK_MIN |
            (gfp == KM_GFP_ATOMIC ? KM_ALLOC_MIN_RESERVE | KM_ALLOC_NON_BLOCK : KM_ALLOC_KSWAPD);
    if (flags & KM_ALLOC_KSWAPD)
        kswapd_wakeup(km, order, highest);
    pfn = get_page(km, order, mt, flags, highest, &zidx);
    if (pfn != KM_NIL)
        goto got;
    if (!can_reclaim)
        return KM_NIL;
    bool costly = order > KM_COSTLY_ORDER;
    int no_progress = 0;
    for (int loops = 0; loops < 1000; loops++) {
        if (flags & KM_ALLOC_KSWAPD)
            kswapd_wakeup(km, order, highest);
        if (km->cur && km->cur->killed)
            flags |= KM_ALLOC_OOM; /* an OOM victim may dip into the reserves */
        pfn = get_page(km, order, mt, flags, highest, &zidx);
        if (pfn != KM_NIL)
            goto got;
        uint64_t progress = reclaim_direct(km, order, highest);
        if (progress) {
            pfn = get_page(km, order, mt, flags, highest, &zidx);
            if (pfn == KM_NIL) {
                pcp_drain_all(km);
                pfn = get_page(km, order, mt, flags, highest, &zidx);
            }
            if (pfn != KM_NIL)
                goto got;
        }
        if (gfp == KM_GFP_NORETRY || costly)
            return KM_NIL;
        if (progress && order <= KM_COSTLY_ORDER)
            no_progress = 0;
        else
            no_progress++;
        if (no_progress <= KM_MAX_RECLAIM_RETRIES && reclaim_could_help(km, order, flags, highest))
            continue;
        /* __alloc_pages_may_oom(): the high watermark once more, then the OOM killer. */
        pfn = get_page(km, order, mt, KM_ALLOC_WMARK_HIGH, highest, &zidx);
        if (pfn != KM_NIL)
            goto got;
        if (highest < KM_ZONE_NORMAL)
            return KM_NIL;
        if (km->cur && km->cur->killed)
            return KM_NIL;
        if (!oom_kill(km, -1, "page allocation"))
            return KM_NIL;
        if (km->cur && km->cur->killed)
            return KM_NIL;
        no_progress = 0;
    }
    return KM_NIL;
got:
    set_allocated(km, pfn, order, state, zidx);
    return pfn;
}

void palloc_free(struct km *km, uint32_t pfn, int order)
{
    struct km_zone *z = km_zone_of(km, pfn);
    km_assert(z != NULL);
    unsigned state = fr_state(&km->frames[pfn]);
    if (state == KM_FS_PGTABLE)
        z->nr_pgtable -= 1ULL << order;
    else if (state == KM_FS_KERNEL)
        z->nr_kernel -= 1ULL << order;
    km->vm[KM_VM_pgfree] += 1ULL << order;
    for (uint32_t p = pfn; p < pfn + (1u << order); p++) {
        fr_set_memcg(&km->frames[p], 0);
        km->frames[p].b = 0;
    }
    int mt = buddy_pageblock_mt(km, pfn);
    if (pcp_allowed_order(order) && mt != KM_MT_ISOLATE)
        pcp_free(km, z, km->cur_cpu, pfn, order, mt);
    else
        buddy_free(km, z, pfn, order, mt);
}
