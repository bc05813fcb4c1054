/*
 * pcp.c — per-CPU page lists (mm/page_alloc.c: rmqueue_pcplist, free_frozen_page_commit,
 * nr_pcp_alloc, nr_pcp_high, nr_pcp_free, free_pcppages_bulk).
 *
 *   zone ── pcp[cpu] ── lists[order_to_pindex(mt, order)]   orders 0..3 x 3 types, + 2 THP lists
 *             count (pages), high (auto-tuned in [high_min, high_max]), batch
 *
 * An empty list is refilled with a batch from the buddy lists (rmqueue_bulk, to the tail);
 * a free goes to the head and, when count reaches high, a batch goes back to the buddy lists
 * round-robin over the lists, oldest (tail) first. Pages on pcp lists are not in the zone's
 * NR_FREE_PAGES and not in /proc/buddyinfo (KMODEL-SPEC.md section 3).
 *
 * Approximation: the vmstat worker's decay_pcp_high() (every second) is not modelled; `high`
 * moves only on allocation and free as the functions above move it.
 *
 * Invariants (pcp_check): each list holds frames in state PCP of the list's order, and
 * Σ 2^order over the lists = count.
 */
#include "analysis/kmodel/kmodel.h"

#define PCP_BATCH_SCALE_MAX 5

int pcp_index(int order, int mt)
{
    if (order > KM_COSTLY_ORDER)
        return KM_MT_PCPTYPES * (KM_COSTLY_ORDER + 1) + (mt == KM_MT_MOVABLE);
    return KM_MT_PCPTYPES * order + mt;
}

static int pindex_order(int pindex)
{
    int base = KM_MT_PCPTYPES * (KM_COSTLY_ORDER + 1);
    return pindex >= base ? KM_PAGEBLOCK_ORDER : pindex / KM_MT_PCPTYPES;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int imax(int a, int b)
{
    return a > b ? a : b;
}

static int nr_pcp_alloc(struct km_pcp *pcp, struct km_zone *z, int order)
{
    int high = pcp->high, base = pcp->batch, batch;
    if (high < base)
        return 1;
    batch = order ? base : base << pcp->alloc_factor;
    if (pcp->high_min != pcp->high_max && !z->below_high)
        high = pcp->high = imin(high + batch, pcp->high_max);
    if (!order) {
        int max_nr_alloc = imax(high - pcp->count - base, base);
        if (batch <= max_nr_alloc && pcp->alloc_factor < PCP_BATCH_SCALE_MAX)
            pcp->alloc_factor++;
        batch = imin(batch, max_nr_alloc);
    }
    if (batch > 1)
        batch = imax(batch >> order, 2);
    return batch;
}

static int nr_pcp_high(struct km_pcp *pcp, struct km_zone *z, int batch, bool free_high)
{
    int high = pcp->high = imax(imin(pcp->high, pcp->high_max), pcp->high_min);
    if (!high)
        return 0;
    if (free_high) {
        pcp->high = imax(high - (batch << PCP_BATCH_SCALE_MAX), pcp->high_min);
        return 0;
    }
    if (z->reclaim_active) {
        int fc = imax(pcp->free_count, batch);
        pcp->high = imax(high - fc, pcp->high_min);
        return imin(batch << 2, pcp->high);
    }
    if (pcp->high_min == pcp->high_max)
        return high;
    if (z->below_high) {
        int fc = imax(pcp->free_count, batch);
        pcp->high = imax(high - fc, pcp->high_min);
        high = imax(pcp->count, pcp->high_min);
    } else if (pcp->count >= high) {
        int need = pcp->free_count + batch;
        if (pcp->high < need)
            pcp->high = imax(imin(need, pcp->high_max), pcp->high_min);
    }
    return high;
}

static int nr_pcp_free(struct km_pcp *pcp, int batch, int high, bool free_high)
{
    if (free_high)
        return imin(pcp->count, batch << PCP_BATCH_SCALE_MAX);
    if (high < batch)
        return 1;
    int min_nr = batch, max_nr = high - batch;
    return imax(imin(pcp->free_count, max_nr), min_nr);
}

/* free_pcppages_bulk(): `count` pages back to the buddy lists, round-robin from pindex. */
static void free_bulk(struct km *km, struct km_zone *z, struct km_pcp *pcp, int count, int pindex)
{
    if (count > pcp->count)
        count = pcp->count;
    pindex--;
    while (count > 0) {
        struct km_list *l;
        do {
            if (++pindex > KM_NR_PCP_LISTS - 1)
                pindex = 0;
            l = &pcp->lists[pindex];
        } while (l->n == 0);
        int order = pindex_order(pindex);
        do {
            uint32_t pfn = l->tail;
            kl_del(km->frames, l, pfn);
            count -= 1 << order;
            pcp->count -= 1 << order;
            buddy_free(km, z, pfn, order, buddy_pageblock_mt(km, pfn));
        } while (count > 0 && l->n);
    }
}

uint32_t pcp_alloc(struct km *km, struct km_zone *z, int cpu, int order, int mt,
                   unsigned alloc_flags)
{
    struct km_pcp *pcp = &z->pcp[cpu];
    pcp->free_count >>= 1;
    struct km_list *l = &pcp->lists[pcp_index(order, mt)];
    if (l->n == 0) {
        int batch = nr_pcp_alloc(pcp, z, order);
        for (int i = 0; i < batch; i++) {
            uint32_t p = buddy_rmqueue(km, z, order, mt, alloc_flags);
            if (p == KM_NIL)
                break;
            fr_set_free(&km->frames[p], KM_FS_PCP, (unsigned)order, (unsigned)mt);
            kl_add_tail(km->frames, l, p);
            pcp->count += 1 << order;
        }
        if (l->n == 0)
            return KM_NIL;
    }
    uint32_t pfn = l->head;
    kl_del(km->frames, l, pfn);
    pcp->count -= 1 << order;
    return pfn;
}

void pcp_free(struct km *km, struct km_zone *z, int cpu, uint32_t pfn, int order, int mt)
{
    struct km_pcp *pcp = &z->pcp[cpu];
    if (mt >= KM_MT_PCPTYPES)
        mt = KM_MT_MOVABLE;
    pcp->alloc_factor >>= 1;
    int pindex = pcp_index(order, mt);
    for (uint32_t p = pfn + 1; p < pfn + (1u << order); p++)
        fr_set_free(&km->frames[p], KM_FS_FREE, 0, 0);
    fr_set_free(&km->frames[pfn], KM_FS_PCP, (unsigned)order, (unsigned)mt);
    kl_add_head(km->frames, &pcp->lists[pindex], pfn);
    pcp->count += 1 << order;
    int batch = pcp->batch;
    bool free_high = false;
    if (order && order <= KM_COSTLY_ORDER) {
        free_high = pcp->free_count >= batch + pcp->high_min / 2 && pcp->prev_free_high_order;
        pcp->prev_free_high_order = true;
    } else {
        pcp->prev_free_high_order = false;
    }
    if (pcp->free_count < (batch << PCP_BATCH_SCALE_MAX))
        pcp->free_count += 1 << order;
    int high = nr_pcp_high(pcp, z, batch, free_high);
    if (pcp->count >= high) {
        free_bulk(km, z, pcp, nr_pcp_free(pcp, batch, high, free_high), pindex);
        if (z->below_high &&
            zone_watermark_ok(z, 0, zone_wmark(z, KM_WMARK_HIGH), KM_ZONE_MOVABLE, 0, -1))
            z->below_high = false;
    }
}

void pcp_drain_zone(struct km *km, struct km_zone *z)
{
    for (int c = 0; c < km->cfg.ncpus; c++) {
        struct km_pcp *pcp = &z->pcp[c];
        if (pcp->count)
            free_bulk(km, z, pcp, pcp->count, 0);
    }
}

void pcp_drain_all(struct km *km)
{
    for (int i = 0; i < KM_NR_ZONES; i++)
        pcp_drain_zone(km, &km->zones[i]);
}

void pcp_check(const struct km *km, const struct km_zone *z)
{
    for (int c = 0; c < km->cfg.ncpus; c++) {
        const struct km_pcp *pcp = &z->pcp[c];
        int count = 0;
        for (int i = 0; i < KM_NR_PCP_LISTS; i++) {
            int order = pindex_order(i);
            uint64_t n = 0;
            for (uint32_t p = pcp->lists[i].head; p != KM_NIL; p = km->frames[p].next) {
                const struct km_frame *f = &km->frames[p];
                if (fr_state(f) != KM_FS_PCP || (int)fr_order(f) != order)
                    km_check_fail("pcp: frame on a pcp list is not a pcp page of its order");
                if (p < z->start || p >= z->end)
                    km_check_fail("pcp: frame of another zone");
                n++;
            }
            if (n != pcp->lists[i].n)
                km_check_fail("pcp: list count wrong");
            count += (int)n << order;
        }
        if (count != pcp->count)
            km_check_fail("pcp: count differs from the lists");
    }
}
