/*
 * buddy.c — the buddy allocator of one zone (KMODEL-SPEC.md section 3; mm/page_alloc.c).
 *
 *   free_list[order][migratetype]: blocks of 2^order pages, aligned to 2^order
 *
 *   order 2   |#### ....|            a block at pfn P, order o, has its buddy at P ^ (1 << o);
 *   order 1   |##|      |            freeing merges the two into one block at P & ~(1 << o)
 *   order 0   |#|#|     |            and tries again one order up (__free_one_page)
 *
 * A frame heads a free block when its state is KM_FS_BUDDY; the other frames of the block are
 * KM_FS_FREE. page_is_buddy() in the kernel merges with a buddy only when all four hold:
 *   1. the buddy frame is in the buddy allocator (PageBuddy),
 *   2. it heads a block of the same order,
 *   3. it is in the same zone,
 *   4. at orders >= pageblock_order, both pageblocks' migratetypes are mergeable
 *      (they always are here: the model has no ISOLATE or CMA pageblocks).
 *
 * Invariants (buddy_check_zone):
 *   - every free block is aligned to its order and lies inside its zone;
 *   - no two free buddies of one order exist (they would have merged);
 *   - each block is on the list of its order and of the migratetype recorded in its head;
 *   - Σ 2^order over the lists = zone->nr_free; the per-order block counts match the lists.
 */
#include "analysis/kmodel/kmodel.h"

#include <stdlib.h>

/* fallbacks[] (mm/page_alloc.c). */
static const int fallbacks[KM_MT_PCPTYPES][KM_MT_PCPTYPES - 1] = {
    [KM_MT_UNMOVABLE] = {KM_MT_RECLAIMABLE, KM_MT_MOVABLE},
    [KM_MT_MOVABLE] = {KM_MT_RECLAIMABLE, KM_MT_UNMOVABLE},
    [KM_MT_RECLAIMABLE] = {KM_MT_UNMOVABLE, KM_MT_MOVABLE},
};

int buddy_pageblock_mt(const struct km *km, uint32_t pfn)
{
    return km->pb_mt[pfn / KM_PAGEBLOCK_PAGES];
}

static void set_pageblock_mt(struct km *km, uint32_t pfn, int mt)
{
    km->pb_mt[pfn / KM_PAGEBLOCK_PAGES] = (uint8_t)mt;
}

static void add_to_free_list(struct km *km, struct km_zone *z, uint32_t pfn, int order, int mt,
                             bool tail)
{
    fr_set_free(&km->frames[pfn], KM_FS_BUDDY, (unsigned)order, (unsigned)mt);
    if (tail)
        kl_add_tail(km->frames, &z->free_list[order][mt], pfn);
    else
        kl_add_head(km->frames, &z->free_list[order][mt], pfn);
    z->nr_free_blocks[order]++;
}

static void del_from_free_list(struct km *km, struct km_zone *z, uint32_t pfn, int order)
{
    int mt = (int)fr_mt(&km->frames[pfn]);
    kl_del(km->frames, &z->free_list[order][mt], pfn);
    fr_set_free(&km->frames[pfn], KM_FS_FREE, 0, 0);
    z->nr_free_blocks[order]--;
}

/* page_is_buddy(): conditions 1-3 of the picture (4 always holds in the model). */
static bool is_free_buddy(const struct km *km, const struct km_zone *z, uint32_t pfn, int order)
{
    if (pfn < z->start || pfn >= z->end)
        return false;
    const struct km_frame *f = &km->frames[pfn];
    return fr_state(f) == KM_FS_BUDDY && (int)fr_order(f) == order;
}

/* buddy_merge_likely(): is the next-higher buddy free, so this block will soon merge? */
static bool merge_likely(const struct km *km, const struct km_zone *z, uint32_t pfn, int order)
{
    if (order >= KM_MAX_ORDER - 1)
        return false;
    uint32_t buddy = pfn ^ (1u << order);
    uint32_t higher = buddy & pfn;
    return is_free_buddy(km, z, higher ^ (1u << (order + 1)), order + 1);
}

/* __free_one_page(). */
static void free_one(struct km *km, struct km_zone *z, uint32_t pfn, int order, int mt,
                     bool to_tail)
{
    km_assert((pfn & ((1u << order) - 1)) == 0);
    z->nr_free += 1ULL << order;
    while (order < KM_MAX_ORDER) {
        uint32_t buddy = pfn ^ (1u << order);
        if (!is_free_buddy(km, z, buddy, order))
            break;
        int buddy_mt = (int)fr_mt(&km->frames[buddy]);
        del_from_free_list(km, z, buddy, order);
        if (buddy_mt != mt) {
            /* Match the buddy's type so that a later expand() uses the right lists. */
            for (uint32_t b = buddy; b < buddy + (1u << order); b += KM_PAGEBLOCK_PAGES)
                set_pageblock_mt(km, b, mt);
        }
        pfn &= buddy;
        order++;
    }
    bool tail;
    if (to_tail)
        tail = true;
    else if (km->cfg.shuffle && order >= KM_MAX_ORDER)
        tail = km_rand(km) & 1; /* shuffle_pick_tail() */
    else
        tail = merge_likely(km, z, pfn, order);
    add_to_free_list(km, z, pfn, order, mt, tail);
}

void buddy_free(struct km *km, struct km_zone *z, uint32_t pfn, int order, int mt)
{
    for (uint32_t p = pfn; p < pfn + (1u << order); p++)
        fr_set_free(&km->frames[p], KM_FS_FREE, 0, 0);
    free_one(km, z, pfn, order, mt, false);
}

/*
 * memblock_free_all() hands boot memory over in naturally aligned chunks of up to MAX_ORDER
 * (__free_pages_memory), to the tail of the lists; then shuffle_free_memory() permutes the
 * MAX_ORDER blocks (SHUFFLE_PAGE_ALLOCATOR).
 */
void buddy_free_boot_range(struct km *km, struct km_zone *z, uint32_t start, uint32_t end)
{
    while (start < end) {
        int order = KM_MAX_ORDER;
        while (order > 0 && ((start & ((1u << order) - 1)) || start + (1u << order) > end))
            order--;
        int mt = buddy_pageblock_mt(km, start);
        free_one(km, z, start, order, mt, true);
        start += 1u << order;
    }
    if (!km->cfg.shuffle)
        return;
    for (int mt = 0; mt < KM_NR_MT; mt++) {
        struct km_list *l = &z->free_list[KM_MAX_ORDER][mt];
        size_t n = l->n;
        if (n < 2)
            continue;
        uint32_t *v = malloc(n * sizeof(*v));
        if (v == NULL)
            continue;
        size_t i = 0;
        for (uint32_t p = l->head; p != KM_NIL; p = km->frames[p].next)
            v[i++] = p;
        for (i = n - 1; i > 0; i--) {
            size_t j = km_rand(km) % (i + 1);
            uint32_t t = v[i];
            v[i] = v[j];
            v[j] = t;
        }
        kl_init(l);
        for (i = 0; i < n; i++)
            kl_add_tail(km->frames, l, v[i]);
        free(v);
    }
}

/* expand(): split a block of order `high` down to `low`, the upper halves going onto lists. */
static void expand(struct km *km, struct km_zone *z, uint32_t pfn, int low, int high, int mt)
{
    uint32_t size = 1u << high;
    while (high > low) {
        high--;
        size >>= 1;
        add_to_free_list(km, z, pfn + size, high, mt, false);
    }
}

static void take_block(struct km *km, struct km_zone *z, uint32_t pfn, int order, int cur, int mt)
{
    del_from_free_list(km, z, pfn, cur);
    expand(km, z, pfn, order, cur, mt);
    z->nr_free -= 1ULL << order;
}

/* __rmqueue_smallest(). */
static uint32_t rmqueue_smallest(struct km *km, struct km_zone *z, int order, int mt)
{
    for (int o = order; o < KM_NR_ORDERS; o++) {
        uint32_t pfn = z->free_list[o][mt].head;
        if (pfn == KM_NIL)
            continue;
        take_block(km, z, pfn, order, o, mt);
        return pfn;
    }
    return KM_NIL;
}

static bool should_try_claim_block(int order, int start_mt)
{
    if (order >= KM_PAGEBLOCK_ORDER)
        return true;
    if (order >= KM_PAGEBLOCK_ORDER / 2)
        return true;
    return start_mt == KM_MT_RECLAIMABLE || start_mt == KM_MT_UNMOVABLE;
}

/* find_suitable_fallback(): -1 none at this order, -2 orders too low to claim. */
static int find_suitable_fallback(const struct km_zone *z, int order, int mt, bool claimable)
{
    if (claimable && !should_try_claim_block(order, mt))
        return -2;
    if (!z->nr_free_blocks[order])
        return -1;
    for (int i = 0; i < KM_MT_PCPTYPES - 1; i++) {
        int f = fallbacks[mt][i];
        if (z->free_list[order][f].n)
            return f;
    }
    return -1;
}

/* boost_watermark(). */
static bool boost_watermark(struct km *km, struct km_zone *z)
{
    if (!km->cfg.watermark_boost_factor)
        return false;
    if (KM_PAGEBLOCK_PAGES * 4 > z->managed)
        return false;
    uint64_t max_boost = z->wmark[KM_WMARK_HIGH] * (uint64_t)km->cfg.watermark_boost_factor / 10000;
    if (max_boost < KM_PAGEBLOCK_PAGES)
        max_boost = KM_PAGEBLOCK_PAGES;
    uint64_t b = z->boost + KM_PAGEBLOCK_PAGES;
    z->boost = b < max_boost ? b : max_boost;
    return true;
}

/* Is the frame on an LRU (PageLRU, which a tail page answers for its head)? */
static bool frame_is_lru(const struct km *km, uint32_t pfn)
{
    const struct km_frame *f = &km->frames[pfn];
    if (fr_state(f) == KM_FS_TAIL) {
        uint32_t head = f->b;
        if (head >= km->nframes)
            return false;
        f = &km->frames[head];
    }
    return (fr_state(f) == KM_FS_ANON || fr_state(f) == KM_FS_FILE) && fr_test(f, KM_PG_LRU);
}

/* try_to_claim_block(). */
static uint32_t try_to_claim_block(struct km *km, struct km_zone *z, uint32_t pfn, int cur,
                                   int order, int start_mt, int block_mt, unsigned alloc_flags)
{
    if (cur >= KM_PAGEBLOCK_ORDER) {
        del_from_free_list(km, z, pfn, cur);
        for (uint32_t b = pfn; b < pfn + (1u << cur); b += KM_PAGEBLOCK_PAGES)
            set_pageblock_mt(km, b, start_mt);
        expand(km, z, pfn, order, cur, start_mt);
        z->nr_free -= 1ULL << order;
        return pfn;
    }
    if (boost_watermark(km, z) && (alloc_flags & KM_ALLOC_KSWAPD))
        z->boosted_flag = true;
    uint32_t start = pfn & ~(KM_PAGEBLOCK_PAGES - 1), end = start + KM_PAGEBLOCK_PAGES;
    if (start < z->start || end > z->end)
        return KM_NIL;
    uint64_t free_pages = 0, movable = 0;
    for (uint32_t p = start; p < end;) {
        const struct km_frame *f = &km->frames[p];
        if (fr_state(f) == KM_FS_BUDDY) {
            free_pages += 1u << fr_order(f);
            p += 1u << fr_order(f);
            continue;
        }
        if (frame_is_lru(km, p))
            movable++;
        p++;
    }
    uint64_t alike;
    if (start_mt == KM_MT_MOVABLE)
        alike = movable;
    else if (block_mt == KM_MT_MOVABLE)
        alike = KM_PAGEBLOCK_PAGES - (free_pages + movable);
    else
        alike = 0;
    if (free_pages + alike >= KM_PAGEBLOCK_PAGES / 2) {
        /* __move_freepages_block(): every free block of the pageblock to start_mt's lists. */
        for (uint32_t p = start; p < end;) {
            struct km_frame *f = &km->frames[p];
            if (fr_state(f) != KM_FS_BUDDY) {
                p++;
                continue;
            }
            int o = (int)fr_order(f);
            kl_del(km->frames, &z->free_list[o][fr_mt(f)], p);
            fr_set_free(f, KM_FS_BUDDY, (unsigned)o, (unsigned)start_mt);
            kl_add_tail(km->frames, &z->free_list[o][start_mt], p);
            p += 1u << o;
        }
        set_pageblock_mt(km, start, start_mt);
        return rmqueue_smallest(km, z, order, start_mt);
    }
    return KM_NIL;
}

/* __rmqueue_claim(): the largest block of a fallback type, claiming its pageblock. */
static uint32_t rmqueue_claim(struct km *km, struct km_zone *z, int order, int mt, unsigned flags)
{
    int min_order = order;
    if (order < KM_PAGEBLOCK_ORDER && (flags & KM_ALLOC_NOFRAGMENT))
        min_order = KM_PAGEBLOCK_ORDER;
    for (int cur = KM_MAX_ORDER; cur >= min_order; cur--) {
        int fmt = find_suitable_fallback(z, cur, mt, true);
        if (fmt == -1)
            continue;
        if (fmt == -2)
            break;
        uint32_t pfn = z->free_list[cur][fmt].head;
        uint32_t page = try_to_claim_block(km, z, pfn, cur, order, mt, fmt, flags);
        if (page != KM_NIL)
            return page;
    }
    return KM_NIL;
}

/* __rmqueue_steal(): the smallest fallback block, leaving its pageblock's type alone. */
static uint32_t rmqueue_steal(struct km *km, struct km_zone *z, int order, int mt)
{
    for (int cur = order; cur < KM_NR_ORDERS; cur++) {
        int fmt = find_suitable_fallback(z, cur, mt, false);
        if (fmt < 0)
            continue;
        uint32_t pfn = z->free_list[cur][fmt].head;
        take_block(km, z, pfn, order, cur, fmt);
        return pfn;
    }
    return KM_NIL;
}

/* __rmqueue(): NORMAL, then CLAIM, then STEAL (not under ALLOC_NOFRAGMENT). */
uint32_t buddy_rmqueue(struct km *km, struct km_zone *z, int order, int mt, unsigned alloc_flags)
{
    uint32_t pfn = rmqueue_smallest(km, z, order, mt);
    if (pfn == KM_NIL && mt < KM_MT_PCPTYPES) {
        pfn = rmqueue_claim(km, z, order, mt, alloc_flags);
        if (pfn == KM_NIL && !(alloc_flags & KM_ALLOC_NOFRAGMENT))
            pfn = rmqueue_steal(km, z, order, mt);
    }
    return pfn;
}

void buddy_check_zone(const struct km *km, const struct km_zone *z)
{
    uint64_t free_pages = 0;
    for (int o = 0; o < KM_NR_ORDERS; o++) {
        uint64_t blocks = 0;
        for (int mt = 0; mt < KM_NR_MT; mt++) {
            const struct km_list *l = &z->free_list[o][mt];
            uint64_t n = 0;
            uint32_t prev = KM_NIL;
            for (uint32_t p = l->head; p != KM_NIL; p = km->frames[p].next) {
                const struct km_frame *f = &km->frames[p];
                if (p < z->start || p + (1u << o) > z->end)
                    km_check_fail("buddy: free block outside its zone");
                if (p & ((1u << o) - 1))
                    km_check_fail("buddy: free block not aligned to its order");
                if (fr_state(f) != KM_FS_BUDDY || (int)fr_order(f) != o || (int)fr_mt(f) != mt)
                    km_check_fail("buddy: block on the wrong list or not marked free");
                if (f->prev != prev)
                    km_check_fail("buddy: broken list links");
                if (o < KM_MAX_ORDER && is_free_buddy(km, z, p ^ (1u << o), o))
                    km_check_fail("buddy: two free buddies of one order");
                for (uint32_t q = p + 1; q < p + (1u << o); q++)
                    if (fr_state(&km->frames[q]) != KM_FS_FREE)
                        km_check_fail("buddy: a page inside a free block is in use");
                prev = p;
                n++;
            }
            if (n != l->n || prev != l->tail)
                km_check_fail("buddy: list count or tail wrong");
            blocks += n;
            free_pages += n << o;
        }
        if (blocks != z->nr_free_blocks[o])
            km_check_fail("buddy: per-order block count wrong");
    }
    if (free_pages != z->nr_free)
        km_check_fail("buddy: nr_free differs from the lists");
}

/* ---- Fragmentation indices (mm/vmstat.c fill_contig_page_info) ---------------------------- */

struct contig_info {
    uint64_t free_pages, free_blocks_total, free_blocks_suitable;
};

static void fill_contig(const uint64_t nr_free[KM_NR_ORDERS], int order, struct contig_info *i)
{
    i->free_pages = i->free_blocks_total = i->free_blocks_suitable = 0;
    for (int o = 0; o < KM_NR_ORDERS; o++) {
        i->free_blocks_total += nr_free[o];
        i->free_pages += nr_free[o] << o;
        if (o >= order)
            i->free_blocks_suitable += nr_free[o] << (o - order);
    }
}

int buddy_unusable_index(const uint64_t nr_free[KM_NR_ORDERS], int order)
{
    struct contig_info i;
    fill_contig(nr_free, order, &i);
    if (i.free_pages == 0)
        return 1000;
    return (int)(((i.free_pages - (i.free_blocks_suitable << order)) * 1000ULL) / i.free_pages);
}

int buddy_fragmentation_index(const uint64_t nr_free[KM_NR_ORDERS], int order)
{
    struct contig_info i;
    fill_contig(nr_free, order, &i);
    uint64_t requested = 1ULL << order;
    if (!i.free_blocks_total)
        return 0;
    if (i.free_blocks_suitable)
        return -1000;
    return (int)(1000 - ((1000 + (i.free_pages * 1000ULL / requested)) / i.free_blocks_total));
}
