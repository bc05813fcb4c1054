/*
 * reclaim.c — page reclaim: vmscan's shrink_node/shrink_lruvec/shrink_list and
 * shrink_folio_list, get_scan_count, direct reclaim, memcg limit reclaim and kswapd
 * (KMODEL-SPEC.md sections 4.2-4.7; mm/vmscan.c).
 *
 *   balance_pgdat / do_try_to_free_pages          priority 12 .. 0
 *     shrink_node                                  prepare_scan_control (cost, deactivation,
 *       shrink_node_memcgs: root, then children      cache_trim_mode, file_is_tiny)
 *         shrink_lruvec: get_scan_count -> nr[4]   loop of rounds, <= 32 pages per list each
 *           shrink_list -> shrink_active_list      (only if may_deactivate)
 *                       -> shrink_inactive_list -> shrink_folio_list (references, swap, free)
 *
 * The walk below shrink_node is a resumable state machine (struct reclaim): direct and memcg
 * reclaim run it to completion in the allocating task, while kswapd advances it one round of
 * shrink_lruvec at a time on its own clock, interleaved with the processes (kswapd_catch_up).
 * Between two rounds no page is isolated, so a process may run in between, as in the kernel.
 *
 * Approximations: writeback completes at once (no PG_reclaim rotation, no dirty throttling);
 * no slab shrinkers; no compaction; memory.low/min protection is not modelled; lruvec sizes
 * are per node, not per zone (reclaim_idx does not filter pages).
 */
#include "analysis/kmodel/kmodel.h"

#include <stdlib.h>
#include <string.h>

#define DEACTIVATE_ANON 1u
#define DEACTIVATE_FILE 2u
#define SCAN_EQUAL      0
#define SCAN_FRACT      1
#define SCAN_ANON       2
#define SCAN_FILE       3

/* The state of one reclaim invocation below shrink_node. */
struct reclaim {
    struct km_scan_control *sc;
    int cg_pos;   /* next memcg index to consider */
    int cg_cur;   /* memcg whose lruvec is being shrunk; -1 between lruvecs */
    bool partial; /* stop walking memcgs once nr_to_reclaim is met */
    uint64_t nr[4], targets[4], lv_reclaimed;
    bool proportional;
    uint64_t node_reclaimed0;
    uint64_t cost_ns; /* work done, charged by the caller */
};

static bool is_kswapd(const struct km_scan_control *sc)
{
    return sc->kswapd;
}

static bool cgroup_reclaim(const struct km_scan_control *sc)
{
    return sc->target_memcg > 0;
}

/* can_reclaim_anon_pages(): v1 memcgs see the global swap space. */
static bool can_reclaim_anon(const struct km *km)
{
    return swap_free_pages(km) > 0;
}

bool reclaim_inactive_is_low(struct km *km, int cg, bool file)
{
    int base = file ? KM_LRU_INACTIVE_FILE : KM_LRU_INACTIVE_ANON;
    uint64_t inactive = lru_vec_size(km, cg, base), active = lru_vec_size(km, cg, base + 1);
    uint64_t gb = (inactive + active) >> (30 - KM_PAGE_SHIFT);
    uint64_t ratio = gb ? zone_int_sqrt(10 * gb) : 1;
    return inactive * ratio < active;
}

static uint64_t sum_high_wmarks(const struct km *km)
{
    uint64_t h = 0;
    for (int i = 0; i < KM_NR_ZONES; i++)
        if (km->zones[i].managed)
            h += zone_wmark(&km->zones[i], KM_WMARK_HIGH);
    return h;
}

static void prepare_scan_control(struct km *km, struct km_scan_control *sc)
{
    int tcg = sc->target_memcg > 0 ? sc->target_memcg : 0;
    struct km_lruvec *tv = lru_vec(km, tcg);
    sc->anon_cost = tv->anon_cost;
    sc->file_cost = tv->file_cost;
    if (!sc->force_deactivate) {
        if (memcg_wa_activate(km, tcg, false) != tv->refaults[0] ||
            reclaim_inactive_is_low(km, tcg, false))
            sc->may_deactivate |= DEACTIVATE_ANON;
        else
            sc->may_deactivate &= ~DEACTIVATE_ANON;
        if (memcg_wa_activate(km, tcg, true) != tv->refaults[1] ||
            reclaim_inactive_is_low(km, tcg, true))
            sc->may_deactivate |= DEACTIVATE_FILE;
        else
            sc->may_deactivate &= ~DEACTIVATE_FILE;
    } else {
        sc->may_deactivate = DEACTIVATE_ANON | DEACTIVATE_FILE;
    }
    uint64_t file = lru_vec_size(km, tcg, KM_LRU_INACTIVE_FILE);
    sc->cache_trim_mode = (file >> sc->priority) && !(sc->may_deactivate & DEACTIVATE_FILE) &&
                          !sc->no_cache_trim_mode;
    if (!cgroup_reclaim(sc)) {
        uint64_t free_pages = km_nr_free_pages(km);
        uint64_t f = lru_size(km, -1, KM_LRU_ACTIVE_FILE) + lru_size(km, -1, KM_LRU_INACTIVE_FILE);
        uint64_t anon = lru_size(km, -1, KM_LRU_INACTIVE_ANON);
        sc->file_is_tiny = f + free_pages <= sum_high_wmarks(km) &&
                           !(sc->may_deactivate & DEACTIVATE_ANON) && (anon >> sc->priority);
    } else {
        sc->file_is_tiny = false;
    }
}

/* get_scan_count() with calculate_pressure_balance(). */
void reclaim_get_scan_count(struct km *km, int cg, struct km_scan_control *sc, uint64_t nr[4])
{
    int swappiness = memcg_swappiness(km, cg);
    int balance;
    uint64_t fraction[2] = {0, 0}, denominator = 1;
    if (!sc->may_swap || !can_reclaim_anon(km))
        balance = SCAN_FILE;
    else if (cgroup_reclaim(sc) && !swappiness)
        balance = SCAN_FILE;
    else if (!sc->priority && swappiness)
        balance = SCAN_EQUAL;
    else if (sc->file_is_tiny)
        balance = SCAN_ANON;
    else if (sc->cache_trim_mode)
        balance = SCAN_FILE;
    else {
        balance = SCAN_FRACT;
        uint64_t total = sc->anon_cost + sc->file_cost;
        uint64_t anon_cost = total + sc->anon_cost, file_cost = total + sc->file_cost;
        total = anon_cost + file_cost;
        uint64_t ap = (uint64_t)swappiness * (total + 1) / (anon_cost + 1);
        uint64_t fp = (uint64_t)(200 - swappiness) * (total + 1) / (file_cost + 1);
        fraction[0] = ap;
        fraction[1] = fp;
        denominator = ap + fp;
        if (denominator == 0)
            denominator = 1;
    }
    for (int lru = 0; lru < 4; lru++) {
        bool file = lru >= KM_LRU_INACTIVE_FILE;
        uint64_t scan = lru_size(km, cg, lru) >> sc->priority;
        switch (balance) {
        case SCAN_EQUAL:
            break;
        case SCAN_FRACT:
            scan = scan * fraction[file] / denominator;
            break;
        default:
            if ((balance == SCAN_FILE) != file)
                scan = 0;
            break;
        }
        nr[lru] = scan;
    }
}

/* ---- References and unmapping ----------------------------------------------------------- */

struct ref_arg {
    int target_cg;
    int referenced;
    uint32_t vm_flags;
};

static bool ref_one(struct km *km, struct km_mm *mm, struct km_pt *pt, unsigned slot, uint32_t pfn,
                    void *arg)
{
    (void)pfn, (void)km;
    struct ref_arg *ra = arg;
    if (ra->target_cg > 0 && mm->memcg != ra->target_cg)
        return true;
    uint64_t *e = pt_entry(pt, slot);
    uint64_t vpn = pt->base_vpn + (slot == KM_HUGE_SLOT ? 0 : slot);
    struct km_vma *v = vma_find(mm, vpn << KM_PAGE_SHIFT);
    if (v)
        ra->vm_flags |= v->flags;
    if (*e & KM_PTE_YOUNG) {
        *e &= ~KM_PTE_YOUNG;
        ra->referenced++;
    }
    return true;
}

/* folio_referenced(): young PTEs seen (and cleared), and the VMA flags of the mappings. */
static int folio_referenced(struct km *km, uint32_t pfn, int target_cg, uint32_t *vm_flags)
{
    struct km_frame *f = &km->frames[pfn];
    struct ref_arg ra = {target_cg, 0, 0};
    if (fr_state(f) == KM_FS_ANON) {
        if (f->b == KM_NIL)
            return 0;
        rmap_walk_anon(km, pfn, ref_one, &ra);
    } else {
        ra.referenced = file_referenced(km, pfn, target_cg, &ra.vm_flags);
    }
    *vm_flags = ra.vm_flags;
    return ra.referenced;
}

static bool anon_mapped(const struct km_frame *f)
{
    return f->b != KM_NIL;
}

struct unmap_arg {
    uint32_t slot; /* swap slot for swapped anon, KM_NIL to discard (lazyfree) */
    bool abort;    /* a lazyfree page was redirtied */
};

static bool unmap_one(struct km *km, struct km_mm *mm, struct km_pt *pt, unsigned slot,
                      uint32_t pfn, void *arg)
{
    struct unmap_arg *ua = arg;
    struct km_frame *f = &km->frames[pfn];
    km_assert(slot != KM_HUGE_SLOT); /* THPs are split before they are unmapped */
    uint64_t *e = &pt->e[slot];
    if (*e & KM_PTE_DIRTY)
        fr_set(f, KM_PG_DIRTY);
    if (*e & KM_PTE_NONZERO)
        fr_set(f, KM_PG_NONZERO);
    if (ua->slot == KM_NIL) {
        /* MADV_FREE page: discard unless it was written again. */
        if (fr_test(f, KM_PG_DIRTY)) {
            ua->abort = true;
            return false;
        }
        *e = 0;
        pt->nr--;
        mm->counters[KM_MM_ANON]--;
        return true;
    }
    *e = ((uint64_t)ua->slot << KM_PTE_SHIFT) | KM_PTE_SWAP;
    swap_slot_get(km, ua->slot);
    mm->counters[KM_MM_ANON]--;
    mm->counters[KM_MM_SWAPENTS]++;
    return true;
}

/* try_to_unmap() for an anon frame; false if it stays mapped. */
static bool try_to_unmap_anon(struct km *km, uint32_t pfn)
{
    struct km_frame *f = &km->frames[pfn];
    struct unmap_arg ua = {KM_NIL, false};
    if (!fr_test(f, KM_PG_LAZYFREE)) {
        ua.slot = swap_slot_of(km, pfn);
        if (ua.slot == KM_NIL)
            return false;
    }
    rmap_walk_anon(km, pfn, unmap_one, &ua);
    if (ua.abort) {
        /* The page was redirtied: it becomes swap-backed again (try_to_unmap_one). */
        bool lru = fr_test(f, KM_PG_LRU);
        fr_clear(f, KM_PG_LAZYFREE);
        (void)lru;
        return false;
    }
    f->b = KM_NIL;
    fr_clear(f, KM_PG_MAYSHARE);
    return true;
}

/* ---- shrink_folio_list -------------------------------------------------------------------- */

enum { REF_ACTIVATE, REF_KEEP, REF_RECLAIM, REF_RECLAIM_CLEAN };

static int check_references(struct km *km, uint32_t pfn, struct km_scan_control *sc)
{
    struct km_frame *f = &km->frames[pfn];
    uint32_t vm_flags = 0;
    int ptes = folio_referenced(km, pfn, sc->target_memcg, &vm_flags);
    bool ref_folio = fr_test(f, KM_PG_REFERENCED);
    fr_clear(f, KM_PG_REFERENCED);
    bool file_lru = fr_state(f) == KM_FS_FILE || fr_test(f, KM_PG_LAZYFREE);
    if (vm_flags & KM_VM_LOCKED)
        return REF_ACTIVATE;
    if (ptes) {
        fr_set(f, KM_PG_REFERENCED);
        if (ref_folio || ptes > 1)
            return REF_ACTIVATE;
        if ((vm_flags & KM_VM_EXEC) && file_lru)
            return REF_ACTIVATE;
        return REF_KEEP;
    }
    if (ref_folio && file_lru)
        return REF_RECLAIM_CLEAN;
    return REF_RECLAIM;
}

/* Free a reclaimed page. */
static void free_reclaimed(struct km *km, uint32_t pfn)
{
    struct km_frame *f = &km->frames[pfn];
    int cg = (int)fr_memcg(f);
    if (fr_state(f) == KM_FS_FILE) {
        uint32_t shadow = workingset_eviction(km, pfn);
        file_evict(km, pfn, shadow);
        return;
    }
    if (fr_test(f, KM_PG_LAZYFREE) || !fr_test(f, KM_PG_SWAPCACHE)) {
        km->vm[KM_VM_pglazyfreed]++;
        fault_free_anon(km, pfn);
        return;
    }
    /* __remove_mapping() of a swap-cache page: the memcg charge moves to the swap entry. */
    uint32_t slot = swap_slot_of(km, pfn);
    uint32_t shadow = workingset_eviction(km, pfn);
    memcg_swapout(km, cg, 1);
    km->swap.cg[slot] = (uint8_t)(cg + 1);
    km->memcg[cg].rss--;
    km->nr_anon--;
    swap_cache_del(km, pfn, shadow);
    f->a = KM_FS_FREE; /* plain frame again: palloc_free sets its free state */
    palloc_free(km, pfn, 0);
}

/* pageout(): write the page to its swap slot, or mark it in the zeromap. */
static void pageout_anon(struct km *km, uint32_t pfn, struct reclaim *r)
{
    struct km_frame *f = &km->frames[pfn];
    uint32_t slot = swap_slot_of(km, pfn);
    if (fr_test(f, KM_PG_NONZERO)) {
        km->swap.map[slot] &= ~KM_SWP_ZERO;
        km->vm[KM_VM_pswpout]++;
        km->vm[KM_VM_pgpgout] += KM_PAGE_SIZE >> 10;
        r->cost_ns += (uint64_t)km->calib.v[KM_COST_SWAPOUT_PAGE];
    } else {
        km->swap.map[slot] |= KM_SWP_ZERO;
        km->vm[KM_VM_swpout_zero]++;
    }
    fr_clear(f, KM_PG_DIRTY);
}

struct folio_stat {
    uint64_t nr_pageout, nr_activate[2];
};

/* Returns pages reclaimed; kept and activated pages are left in keep[] for putback. */
static uint64_t shrink_folio_list(struct km *km, uint32_t *list, size_t *n, struct reclaim *r,
                                  struct folio_stat *st, bool ignore_references)
{
    struct km_scan_control *sc = r->sc;
    uint64_t nr_reclaimed = 0;
    size_t nkeep = 0;
    for (size_t i = 0; i < *n; i++) {
        uint32_t pfn = list[i];
        struct km_frame *f = &km->frames[pfn];
        bool file = fr_state(f) == KM_FS_FILE;
        bool lazy = fr_test(f, KM_PG_LAZYFREE);
        uint64_t nr_pages = fr_test(f, KM_PG_THP) ? KM_PAGEBLOCK_PAGES : 1;
        sc->nr_scanned += nr_pages;
        r->cost_ns += (uint64_t)(km->calib.v[KM_COST_RECLAIM_SCAN_PAGE] * (double)nr_pages);
        bool mapped = file ? file_page_mapped(km, pfn) : anon_mapped(f);
        int ref = REF_RECLAIM;
        if (!sc->may_unmap && mapped)
            goto keep;
        if (!ignore_references)
            ref = check_references(km, pfn, sc);
        if (ref == REF_ACTIVATE)
            goto activate;
        if (ref == REF_KEEP)
            goto keep;
        if (!file && !lazy && !fr_test(f, KM_PG_SWAPCACHE)) {
            if (fr_test(f, KM_PG_THP)) {
                /* Swap a THP as base pages: split it, the tail pages join this batch. */
                thp_split_folio(km, pfn);
                nr_pages = 1;
                sc->nr_scanned -= KM_PAGEBLOCK_PAGES - 1;
                /* The 511 others are back on the LRU (lru_add); they are scanned later. */
            }
            if (!swap_add_to_cache(km, pfn))
                goto activate;
            fr_set(f, KM_PG_DIRTY);
        }
        if (file ? mapped : anon_mapped(f)) {
            bool ok = file ? file_try_unmap(km, pfn) : try_to_unmap_anon(km, pfn);
            if (!ok)
                goto activate;
        }
        if (fr_test(f, KM_PG_DIRTY)) {
            if (file || lazy)
                goto activate; /* no dirty page cache in the model; a redirtied lazyfree page */
            if (ref == REF_RECLAIM_CLEAN || !sc->may_writepage)
                goto keep;
            pageout_anon(km, pfn, r);
            st->nr_pageout += nr_pages;
        }
        free_reclaimed(km, pfn);
        nr_reclaimed += nr_pages;
        continue;
    activate:
        if (fr_test(f, KM_PG_SWAPCACHE) && swap_full(km))
            swap_free_cache_slot(km, pfn);
        fr_set(f, KM_PG_ACTIVE);
        st->nr_activate[(fr_state(f) == KM_FS_FILE || fr_test(f, KM_PG_LAZYFREE)) ? 1 : 0] +=
            nr_pages;
    keep:
        list[nkeep++] = pfn;
    }
    *n = nkeep;
    return nr_reclaimed;
}

/* move_folios_to_lru(): back to the head of their (maybe new) list. */
static void putback(struct km *km, uint32_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t pfn = list[i];
        struct km_frame *f = &km->frames[pfn];
        lru_putback(km, pfn, false);
        if (fr_test(f, KM_PG_ACTIVE))
            workingset_age_nonresident(km, (int)fr_memcg(f),
                                       fr_test(f, KM_PG_THP) ? KM_PAGEBLOCK_PAGES : 1);
    }
}

/* isolate_lru_folios(): up to nr_to_scan pages from the tail. */
static size_t isolate(struct km *km, int cg, int lru, uint64_t nr_to_scan, uint32_t *out,
                      uint64_t *nr_scanned, struct km_scan_control *sc)
{
    struct km_list *l = &lru_vec(km, cg)->lists[lru];
    size_t n = 0;
    uint64_t scan = 0;
    uint32_t p = l->tail;
    while (scan < nr_to_scan && p != KM_NIL && n < KM_SWAP_CLUSTER_MAX) {
        uint32_t prev = km->frames[p].prev;
        const struct km_frame *f = &km->frames[p];
        uint64_t np = fr_test(f, KM_PG_THP) ? KM_PAGEBLOCK_PAGES : 1;
        scan += np;
        bool mapped = fr_state(f) == KM_FS_FILE ? file_page_mapped(km, p) : anon_mapped(f);
        if (!sc->may_unmap && mapped) {
            p = prev;
            continue;
        }
        lru_del(km, p);
        out[n++] = p;
        p = prev;
    }
    *nr_scanned = scan;
    return n;
}

static uint64_t shrink_inactive_list(struct km *km, int cg, uint64_t nr_to_scan, struct reclaim *r,
                                     int lru)
{
    struct km_scan_control *sc = r->sc;
    bool file = lru == KM_LRU_INACTIVE_FILE;
    uint32_t list[KM_SWAP_CLUSTER_MAX];
    uint64_t nr_scanned;
    size_t n = isolate(km, cg, lru, nr_to_scan, list, &nr_scanned, sc);
    if (!cgroup_reclaim(sc))
        km->vm[is_kswapd(sc) ? KM_VM_pgscan_kswapd : KM_VM_pgscan_direct] += nr_scanned;
    km->vm[file ? KM_VM_pgscan_file : KM_VM_pgscan_anon] += nr_scanned;
    km->memcg[cg].pgscan[file] += nr_scanned;
    if (n == 0)
        return 0;
    struct folio_stat st = {0, {0, 0}};
    uint64_t nr_reclaimed = shrink_folio_list(km, list, &n, r, &st, false);
    putback(km, list, n);
    km->vm[KM_VM_pgactivate] += st.nr_activate[0] + st.nr_activate[1];
    if (!cgroup_reclaim(sc))
        km->vm[is_kswapd(sc) ? KM_VM_pgsteal_kswapd : KM_VM_pgsteal_direct] += nr_reclaimed;
    km->vm[file ? KM_VM_pgsteal_file : KM_VM_pgsteal_anon] += nr_reclaimed;
    km->memcg[cg].pgsteal[file] += nr_reclaimed;
    lru_note_cost(km, cg, file, st.nr_pageout,
                  nr_scanned > nr_reclaimed ? nr_scanned - nr_reclaimed : 0);
    return nr_reclaimed;
}

static void shrink_active_list(struct km *km, int cg, uint64_t nr_to_scan, struct reclaim *r,
                               int lru)
{
    struct km_scan_control *sc = r->sc;
    bool file = lru == KM_LRU_ACTIVE_FILE;
    uint32_t list[KM_SWAP_CLUSTER_MAX];
    uint64_t nr_scanned;
    size_t n = isolate(km, cg, lru, nr_to_scan, list, &nr_scanned, sc);
    if (!cgroup_reclaim(sc))
        km->vm[KM_VM_pgrefill] += nr_scanned;
    r->cost_ns += (uint64_t)(km->calib.v[KM_COST_RECLAIM_SCAN_PAGE] * (double)nr_scanned);
    uint64_t nr_rotated = 0, nr_deact = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t pfn = list[i];
        struct km_frame *f = &km->frames[pfn];
        uint32_t vm_flags = 0;
        uint64_t np = fr_test(f, KM_PG_THP) ? KM_PAGEBLOCK_PAGES : 1;
        if (folio_referenced(km, pfn, sc->target_memcg, &vm_flags) != 0 &&
            (vm_flags & KM_VM_EXEC) && fr_state(f) == KM_FS_FILE) {
            nr_rotated += np;
            continue; /* stays active */
        }
        fr_clear(f, KM_PG_ACTIVE);
        fr_set(f, KM_PG_WORKINGSET);
        nr_deact += np;
    }
    putback(km, list, n);
    km->vm[KM_VM_pgdeactivate] += nr_deact;
    lru_note_cost(km, cg, file, 0, nr_rotated);
}

static uint64_t shrink_list(struct km *km, int cg, int lru, uint64_t n, struct reclaim *r)
{
    struct km_scan_control *sc = r->sc;
    if (lru == KM_LRU_ACTIVE_ANON || lru == KM_LRU_ACTIVE_FILE) {
        unsigned bit = lru == KM_LRU_ACTIVE_FILE ? DEACTIVATE_FILE : DEACTIVATE_ANON;
        if (sc->may_deactivate & bit)
            shrink_active_list(km, cg, n, r, lru);
        else
            sc->skipped_deactivate = true;
        return 0;
    }
    return shrink_inactive_list(km, cg, n, r, lru);
}

/* ---- shrink_lruvec as start / round / finish ------------------------------------------------ */

static void lruvec_start(struct km *km, struct reclaim *r, int cg)
{
    struct km_scan_control *sc = r->sc;
    reclaim_get_scan_count(km, cg, sc, r->nr);
    memcpy(r->targets, r->nr, sizeof(r->nr));
    r->proportional = !cgroup_reclaim(sc) && !is_kswapd(sc) && sc->priority == KM_DEF_PRIORITY;
    r->lv_reclaimed = 0;
    r->cg_cur = cg;
}

/* One round of shrink_lruvec's loop; true when the lruvec is done. */
static bool lruvec_round(struct km *km, struct reclaim *r)
{
    struct km_scan_control *sc = r->sc;
    uint64_t *nr = r->nr, *targets = r->targets;
    int cg = r->cg_cur;
    if (!(nr[KM_LRU_INACTIVE_ANON] || nr[KM_LRU_ACTIVE_FILE] || nr[KM_LRU_INACTIVE_FILE]))
        return true;
    for (int lru = 0; lru < 4; lru++) {
        if (nr[lru]) {
            uint64_t n = nr[lru] < KM_SWAP_CLUSTER_MAX ? nr[lru] : KM_SWAP_CLUSTER_MAX;
            nr[lru] -= n;
            r->lv_reclaimed += shrink_list(km, cg, lru, n, r);
        }
    }
    if (r->lv_reclaimed < sc->nr_to_reclaim || r->proportional)
        return false;
    uint64_t nr_file = nr[KM_LRU_INACTIVE_FILE] + nr[KM_LRU_ACTIVE_FILE];
    uint64_t nr_anon = nr[KM_LRU_INACTIVE_ANON] + nr[KM_LRU_ACTIVE_ANON];
    if (!nr_file || !nr_anon)
        return true;
    int lru;
    uint64_t percentage;
    if (nr_file > nr_anon) {
        uint64_t t = targets[KM_LRU_INACTIVE_ANON] + targets[KM_LRU_ACTIVE_ANON] + 1;
        lru = KM_LRU_INACTIVE_ANON;
        percentage = nr_anon * 100 / t;
    } else {
        uint64_t t = targets[KM_LRU_INACTIVE_FILE] + targets[KM_LRU_ACTIVE_FILE] + 1;
        lru = KM_LRU_INACTIVE_FILE;
        percentage = nr_file * 100 / t;
    }
    nr[lru] = 0;
    nr[lru + 1] = 0;
    lru = lru == KM_LRU_INACTIVE_FILE ? KM_LRU_INACTIVE_ANON : KM_LRU_INACTIVE_FILE;
    for (int k = 0; k < 2; k++, lru++) {
        uint64_t scanned = targets[lru] - nr[lru];
        nr[lru] = targets[lru] * (100 - percentage) / 100;
        nr[lru] -= nr[lru] < scanned ? nr[lru] : scanned;
    }
    return false;
}

static void lruvec_finish(struct km *km, struct reclaim *r)
{
    struct km_scan_control *sc = r->sc;
    int cg = r->cg_cur;
    sc->nr_reclaimed += r->lv_reclaimed;
    if (can_reclaim_anon(km) && reclaim_inactive_is_low(km, cg, false))
        shrink_active_list(km, cg, KM_SWAP_CLUSTER_MAX, r, KM_LRU_ACTIVE_ANON);
    r->cg_cur = -1;
}

/* ---- shrink_node ------------------------------------------------------------------------------ */

static void node_start(struct km *km, struct reclaim *r)
{
    struct km_scan_control *sc = r->sc;
    memset(&sc->nr, 0, sizeof(sc->nr));
    r->node_reclaimed0 = sc->nr_reclaimed;
    prepare_scan_control(km, sc);
    r->cg_cur = -1;
    r->cg_pos = cgroup_reclaim(sc) ? sc->target_memcg : 0;
}

static void node_finish(struct km *km, struct reclaim *r)
{
    struct km_scan_control *sc = r->sc;
    if (sc->nr_reclaimed > r->node_reclaimed0)
        km->kswapd.failures = 0;
    else if (sc->cache_trim_mode)
        sc->cache_trim_mode_failed = true;
}

/* One step of shrink_node; true when the pass is complete. */
static bool node_step(struct km *km, struct reclaim *r)
{
    struct km_scan_control *sc = r->sc;
    if (r->cg_cur < 0) {
        /* mem_cgroup_iter(): the target (root, or the limited cgroup) and its children. */
        int last = cgroup_reclaim(sc) ? sc->target_memcg : km->nmemcg - 1;
        while (r->cg_pos <= last && !km->memcg[r->cg_pos].used)
            r->cg_pos++;
        if (r->cg_pos > last) {
            node_finish(km, r);
            return true;
        }
        lruvec_start(km, r, r->cg_pos++);
    }
    if (lruvec_round(km, r)) {
        lruvec_finish(km, r);
        if (r->partial && sc->nr_reclaimed >= sc->nr_to_reclaim) {
            node_finish(km, r);
            return true;
        }
    }
    return false;
}

uint64_t reclaim_shrink_node(struct km *km, struct km_scan_control *sc)
{
    struct reclaim r;
    memset(&r, 0, sizeof(r));
    r.sc = sc;
    r.partial = !sc->kswapd;
    node_start(km, &r);
    while (!node_step(km, &r))
        ;
    return r.cost_ns;
}

/* snapshot_refaults(). */
static void snapshot_refaults(struct km *km, int cg)
{
    int c = cg > 0 ? cg : 0;
    struct km_lruvec *v = lru_vec(km, c);
    v->refaults[0] = memcg_wa_activate(km, c, false);
    v->refaults[1] = memcg_wa_activate(km, c, true);
}

/* do_try_to_free_pages(); returns reclaimed pages, cost in *cost. */
static uint64_t do_try_to_free_pages(struct km *km, struct km_scan_control *sc, uint64_t *cost)
{
    int initial_priority = sc->priority;
    bool full_walk = false;
    static const enum km_vmstat stall[KM_NR_ZONES] = {KM_VM_allocstall_dma, KM_VM_allocstall_dma32,
                                                      KM_VM_allocstall_normal,
                                                      KM_VM_allocstall_movable};
    km->in_reclaim = true;
retry:
    if (!cgroup_reclaim(sc))
        km->vm[stall[sc->reclaim_idx]]++;
    do {
        sc->nr_scanned = 0;
        struct reclaim r;
        memset(&r, 0, sizeof(r));
        r.sc = sc;
        r.partial = !full_walk;
        node_start(km, &r);
        while (!node_step(km, &r))
            ;
        *cost += r.cost_ns;
        if (sc->nr_reclaimed >= sc->nr_to_reclaim)
            break;
    } while (--sc->priority >= 0);
    snapshot_refaults(km, sc->target_memcg);
    if (sc->nr_reclaimed) {
        km->in_reclaim = false;
        return sc->nr_reclaimed;
    }
    if (!full_walk) {
        sc->priority = initial_priority;
        full_walk = true;
        goto retry;
    }
    if (sc->skipped_deactivate) {
        sc->priority = initial_priority;
        sc->force_deactivate = true;
        sc->skipped_deactivate = false;
        goto retry;
    }
    km->in_reclaim = false;
    return 0;
}

static void charge_stall(struct km *km, uint64_t cost)
{
    proc_charge_time(km, cost);
    if (km->cur) {
        km->cur->stall_ns += cost;
        km->cur->nr_stalls++;
    }
}

/* allow_direct_reclaim(): is free memory above half of the min watermarks (<= Normal)? */
static bool allow_direct_reclaim(struct km *km)
{
    if (km->kswapd.failures >= KM_MAX_RECLAIM_RETRIES)
        return true;
    uint64_t reserve = 0, free_pages = 0;
    for (int i = 0; i <= KM_ZONE_NORMAL; i++) {
        struct km_zone *z = &km->zones[i];
        if (!z->managed)
            continue;
        uint64_t recl = z->nr_lru[KM_LRU_INACTIVE_FILE] + z->nr_lru[KM_LRU_ACTIVE_FILE];
        if (can_reclaim_anon(km))
            recl += z->nr_lru[KM_LRU_INACTIVE_ANON] + z->nr_lru[KM_LRU_ACTIVE_ANON];
        if (!recl && z->nr_free)
            continue;
        reserve += z->wmark[KM_WMARK_MIN];
        free_pages += z->nr_free;
    }
    if (!reserve)
        return true;
    return free_pages > reserve / 2;
}

uint64_t reclaim_direct(struct km *km, int order, int highest_zoneidx)
{
    if (km->in_reclaim)
        return 0;
    if (!allow_direct_reclaim(km)) {
        /* throttle_direct_reclaim(): wait for kswapd to bring free memory back up. */
        km->vm[KM_VM_pgscan_direct_throttle]++;
        kswapd_wakeup(km, order, KM_ZONE_NORMAL);
        uint64_t t0 = km->now_ns;
        for (int i = 0; i < 1000 && !allow_direct_reclaim(km) && km->kswapd.awake; i++) {
            km->now_ns += 1000000; /* 1 ms at a time */
            kswapd_catch_up(km);
        }
        if (km->cur) {
            km->cur->time_ns += km->now_ns - t0;
            km->cur->stall_ns += km->now_ns - t0;
        }
    }
    struct km_scan_control sc;
    memset(&sc, 0, sizeof(sc));
    sc.nr_to_reclaim = KM_SWAP_CLUSTER_MAX;
    sc.reclaim_idx = highest_zoneidx;
    sc.order = order;
    sc.priority = KM_DEF_PRIORITY;
    sc.may_writepage = sc.may_unmap = sc.may_swap = true;
    sc.target_memcg = -1;
    uint64_t cost = 0;
    uint64_t n = do_try_to_free_pages(km, &sc, &cost);
    charge_stall(km, cost);
    return n;
}

uint64_t reclaim_memcg(struct km *km, int cg, uint64_t nr_pages, bool may_swap)
{
    if (km->in_reclaim)
        return 0;
    struct km_scan_control sc;
    memset(&sc, 0, sizeof(sc));
    sc.nr_to_reclaim = nr_pages > KM_SWAP_CLUSTER_MAX ? nr_pages : KM_SWAP_CLUSTER_MAX;
    sc.reclaim_idx = KM_NR_ZONES - 1;
    sc.priority = KM_DEF_PRIORITY;
    sc.may_writepage = sc.may_unmap = true;
    sc.may_swap = may_swap;
    sc.target_memcg = cg;
    uint64_t cost = 0;
    uint64_t n = do_try_to_free_pages(km, &sc, &cost);
    charge_stall(km, cost);
    return n;
}

/* reclaim_pages() for MADV_PAGEOUT: the pages, references ignored. */
uint64_t reclaim_pages_list(struct km *km, uint32_t *pfns, size_t n)
{
    struct km_scan_control sc;
    memset(&sc, 0, sizeof(sc));
    sc.may_writepage = sc.may_unmap = sc.may_swap = true;
    sc.target_memcg = -1;
    sc.proactive = true;
    struct reclaim r;
    memset(&r, 0, sizeof(r));
    r.sc = &sc;
    uint32_t list[KM_SWAP_CLUSTER_MAX];
    size_t m = 0;
    for (size_t i = 0; i < n && m < KM_SWAP_CLUSTER_MAX; i++) {
        struct km_frame *f = &km->frames[pfns[i]];
        if (!fr_test(f, KM_PG_LRU))
            continue;
        lru_del(km, pfns[i]);
        fr_clear(f, KM_PG_ACTIVE);
        list[m++] = pfns[i];
    }
    struct folio_stat st = {0, {0, 0}};
    km->in_reclaim = true;
    uint64_t got = shrink_folio_list(km, list, &m, &r, &st, true);
    km->in_reclaim = false;
    putback(km, list, m);
    proc_charge_time(km, r.cost_ns);
    return got;
}

/* ---- kswapd ------------------------------------------------------------------------------------------ */

bool reclaim_pgdat_balanced(struct km *km, int order, int highest_zoneidx)
{
    bool any = false;
    for (int i = 0; i <= highest_zoneidx && i < KM_NR_ZONES; i++) {
        struct km_zone *z = &km->zones[i];
        if (!z->managed)
            continue;
        any = true;
        if (zone_watermark_ok(z, order, zone_wmark(z, KM_WMARK_HIGH), highest_zoneidx, 0, -1))
            return true;
    }
    return !any;
}

static bool watermark_boosted(const struct km *km, int highest)
{
    for (int i = 0; i <= highest && i < KM_NR_ZONES; i++)
        if (km->zones[i].managed && km->zones[i].boost)
            return true;
    return false;
}

/* kswapd's run state (one node), allocated on first use. */
enum { KS_SLEEP, KS_RUN, KS_SHORT_SLEEP };
struct kswapd_state {
    int state;
    uint64_t wake_at;
    int pending_order, pending_idx;
    bool in_balance, pass_running;
    struct km_scan_control sc;
    struct reclaim r;
    int order, idx;
    uint64_t nr_boost, zone_boosts[KM_NR_ZONES];
    bool boosted, raise;
    uint64_t pass_reclaimed0;
};

static struct kswapd_state *ks_of(struct km *km)
{
    if (km->ks == NULL) {
        km->ks = calloc(1, sizeof(*km->ks));
        if (km->ks == NULL) {
            fprintf(stderr, "kmodel: out of host memory\n");
            exit(3);
        }
        km->ks->pending_idx = -1;
    }
    return km->ks;
}

void reclaim_fini(struct km *km)
{
    free(km->ks);
    km->ks = NULL;
}

void kswapd_wakeup(struct km *km, int order, int highest_zoneidx)
{
    struct kswapd_state *k = ks_of(km);
    if (highest_zoneidx > k->pending_idx)
        k->pending_idx = highest_zoneidx;
    if (order > k->pending_order)
        k->pending_order = order;
    if (k->state == KS_RUN)
        return;
    if (km->kswapd.failures >= KM_MAX_RECLAIM_RETRIES)
        return;
    if (reclaim_pgdat_balanced(km, order, highest_zoneidx) &&
        !watermark_boosted(km, highest_zoneidx))
        return;
    if (k->state == KS_SHORT_SLEEP)
        km->vm[KM_VM_kswapd_low_wmark_hit_quickly]++;
    k->state = KS_RUN;
    km->kswapd.awake = true;
    if (km->kswapd.clock_ns < km->now_ns)
        km->kswapd.clock_ns = km->now_ns;
}

static void balance_begin(struct km *km, struct kswapd_state *k)
{
    k->order = k->pending_order;
    k->idx = k->pending_idx >= 0 ? k->pending_idx : KM_NR_ZONES - 1;
    k->pending_order = 0;
    k->pending_idx = -1;
    km->vm[KM_VM_pageoutrun]++;
    km->kswapd.runs++;
    k->nr_boost = 0;
    for (int i = 0; i <= k->idx; i++) {
        k->zone_boosts[i] = km->zones[i].managed ? km->zones[i].boost : 0;
        k->nr_boost += k->zone_boosts[i];
    }
    k->boosted = k->nr_boost != 0;
    memset(&k->sc, 0, sizeof(k->sc));
    k->sc.order = k->order;
    k->sc.may_unmap = true;
    k->sc.kswapd = true;
    k->sc.target_memcg = -1;
    k->sc.priority = KM_DEF_PRIORITY;
    k->in_balance = true;
    k->pass_running = false;
    for (int i = 0; i <= k->idx; i++)
        km->zones[i].reclaim_active = true;
}

static void balance_end(struct km *km, struct kswapd_state *k)
{
    for (int i = 0; i < KM_NR_ZONES; i++)
        km->zones[i].reclaim_active = false;
    if (k->boosted)
        for (int i = 0; i <= k->idx; i++) {
            uint64_t b = k->zone_boosts[i];
            km->zones[i].boost -= km->zones[i].boost < b ? km->zones[i].boost : b;
        }
    snapshot_refaults(km, -1);
    k->in_balance = false;
    /* kswapd_try_to_sleep() */
    if (km->kswapd.failures >= KM_MAX_RECLAIM_RETRIES ||
        reclaim_pgdat_balanced(km, k->sc.order, k->idx)) {
        k->state = KS_SHORT_SLEEP;
        k->wake_at = km->kswapd.clock_ns + 100000000ULL; /* HZ/10 */
    } else {
        km->vm[KM_VM_kswapd_high_wmark_hit_quickly]++;
    }
}

/* One unit of kswapd work; returns its cost in ns. */
static uint64_t kswapd_step(struct km *km, struct kswapd_state *k)
{
    uint64_t cost = 0;
    if (!k->in_balance)
        balance_begin(km, k);
    struct km_scan_control *sc = &k->sc;
    if (!k->pass_running) {
        sc->reclaim_idx = k->idx;
        bool balanced = reclaim_pgdat_balanced(km, sc->order, k->idx);
        if (!balanced && k->nr_boost) {
            k->nr_boost = 0;
            sc->priority = KM_DEF_PRIORITY;
            return 0;
        }
        if (!k->nr_boost && balanced) {
            balance_end(km, k);
            return 0;
        }
        k->raise = !(k->nr_boost && sc->priority == KM_DEF_PRIORITY - 2);
        sc->may_writepage = !k->nr_boost;
        sc->may_swap = !k->nr_boost;
        /* kswapd_age_node() */
        memset(&k->r, 0, sizeof(k->r));
        k->r.sc = sc;
        if (can_reclaim_anon(km) && reclaim_inactive_is_low(km, 0, false)) {
            for (int cg = 0; cg < km->nmemcg; cg++)
                if (km->memcg[cg].used)
                    shrink_active_list(km, cg, KM_SWAP_CLUSTER_MAX, &k->r, KM_LRU_ACTIVE_ANON);
        }
        if (sc->priority < KM_DEF_PRIORITY - 2)
            sc->may_writepage = true;
        sc->nr_scanned = 0;
        /* kswapd_shrink_node(): a pass aims at Σ max(high, 32) pages. */
        sc->nr_to_reclaim = 0;
        for (int i = 0; i <= k->idx; i++)
            if (km->zones[i].managed) {
                uint64_t h = zone_wmark(&km->zones[i], KM_WMARK_HIGH);
                sc->nr_to_reclaim += h > KM_SWAP_CLUSTER_MAX ? h : KM_SWAP_CLUSTER_MAX;
            }
        k->pass_reclaimed0 = sc->nr_reclaimed;
        k->r.partial = false;
        node_start(km, &k->r);
        k->pass_running = true;
        cost = k->r.cost_ns;
        k->r.cost_ns = 0;
        return cost;
    }
    bool done = node_step(km, &k->r);
    cost = k->r.cost_ns;
    k->r.cost_ns = 0;
    if (!done)
        return cost;
    k->pass_running = false;
    uint64_t pass = sc->nr_reclaimed - k->pass_reclaimed0;
    if (sc->order && sc->nr_reclaimed >= (2ULL << sc->order))
        sc->order = 0;
    if ((sc->nr_scanned > pass ? sc->nr_scanned : pass) >= sc->nr_to_reclaim)
        k->raise = false;
    k->nr_boost -= k->nr_boost < pass ? k->nr_boost : pass;
    bool stop = k->nr_boost && !pass;
    if (!stop) {
        if (k->raise || !pass)
            sc->priority--;
        if (sc->priority >= 1)
            return cost;
    }
    if (!stop && !sc->nr_reclaimed && sc->priority < 1 && !sc->no_cache_trim_mode &&
        sc->cache_trim_mode_failed) {
        sc->no_cache_trim_mode = true;
        sc->priority = KM_DEF_PRIORITY;
        return cost;
    }
    if (!sc->nr_reclaimed)
        km->kswapd.failures++;
    balance_end(km, k);
    return cost;
}

void kswapd_catch_up(struct km *km)
{
    struct kswapd_state *k = ks_of(km);
    struct km_kswapd *kd = &km->kswapd;
    if (km->in_reclaim)
        return;
    struct km_mm *saved_cur = km->cur;
    int saved_cpu = km->cur_cpu;
    km->cur = NULL;
    km->cur_cpu = km->cfg.ncpus > 1 ? 1 : 0;
    for (int guard = 0; guard < 1000000 && kd->awake; guard++) {
        if (kd->clock_ns >= km->now_ns)
            break;
        if (k->state == KS_SHORT_SLEEP) {
            if (k->wake_at > km->now_ns) {
                kd->clock_ns = km->now_ns;
                break;
            }
            kd->clock_ns = k->wake_at;
            if (km->kswapd.failures >= KM_MAX_RECLAIM_RETRIES ||
                reclaim_pgdat_balanced(km, k->sc.order, k->idx)) {
                k->state = KS_SLEEP;
                kd->awake = false;
                break;
            }
            km->vm[KM_VM_kswapd_high_wmark_hit_quickly]++;
            k->state = KS_RUN;
            continue;
        }
        km->in_reclaim = true;
        uint64_t cost = kswapd_step(km, k);
        km->in_reclaim = false;
        if (cost < 1000)
            cost = 1000;
        kd->clock_ns += cost;
        if (km->cfg.ncpus == 1)
            km->now_ns += cost; /* one CPU: kswapd's time is taken from the process */
    }
    km->cur = saved_cur;
    km->cur_cpu = saved_cpu;
}

uint64_t reclaim_drop_caches(struct km *km)
{
    return file_drop_caches(km);
}
