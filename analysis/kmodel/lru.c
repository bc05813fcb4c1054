/*
 * lru.c — the active/inactive anon and file lists of each lruvec (KMODEL-SPEC.md section 4.1;
 * mm/swap.c, include/linux/mm_inline.h).
 *
 *   lruvec (one per memcg; the root's also counts the whole node for the cost and workingset
 *   rules, as the kernel's hierarchical lruvec stats do)
 *     INACTIVE_ANON  <- new anon pages (head)      scanned from the tail
 *     ACTIVE_ANON
 *     INACTIVE_FILE  <- new page cache, MADV_FREE'd anon pages (lazyfree)
 *     ACTIVE_FILE
 *
 * A frame's list is a function of its state and flags (lru_of): file = page cache or lazyfree,
 * active = PG_active. folio_mark_accessed: the first access sets PG_referenced, the second one
 * activates. The per-CPU add batches (folio_batch) are not modelled: pages enter at once.
 *
 * Invariants (lru_check): every frame flagged LRU is on exactly the list lru_of() names in its
 * memcg's lruvec; list counts and the zones' per-LRU counts match the frames.
 */
#include "analysis/kmodel/kmodel.h"

struct km_lruvec *lru_vec(struct km *km, int cg)
{
    return &km->memcg[cg].lruvec;
}

int lru_of(const struct km_frame *f)
{
    bool file = fr_state(f) == KM_FS_FILE || fr_test(f, KM_PG_LAZYFREE);
    return (file ? KM_LRU_INACTIVE_FILE : KM_LRU_INACTIVE_ANON) +
           (fr_test(f, KM_PG_ACTIVE) ? 1 : 0);
}

static uint64_t nr_pages(const struct km_frame *f)
{
    return fr_test(f, KM_PG_THP) ? KM_PAGEBLOCK_PAGES : 1;
}

static void zone_count(struct km *km, uint32_t pfn, int lru, int64_t d)
{
    struct km_zone *z = km_zone_of(km, pfn);
    z->nr_lru[lru] = (uint64_t)((int64_t)z->nr_lru[lru] + d);
}

/* Pages per list are counted in km_list.n as entries; THP entries weigh 512. The sizes the
 * reclaim rules use come from lru_size(), which counts pages. */
static void add(struct km *km, uint32_t pfn, bool tail)
{
    struct km_frame *f = &km->frames[pfn];
    int lru = lru_of(f);
    struct km_lruvec *v = lru_vec(km, (int)fr_memcg(f));
    if (tail)
        kl_add_tail(km->frames, &v->lists[lru], pfn);
    else
        kl_add_head(km->frames, &v->lists[lru], pfn);
    fr_set(f, KM_PG_LRU);
    uint64_t n = nr_pages(f);
    v->lists[lru].n += n - 1;
    zone_count(km, pfn, lru, (int64_t)n);
}

void lru_del(struct km *km, uint32_t pfn)
{
    struct km_frame *f = &km->frames[pfn];
    km_assert(fr_test(f, KM_PG_LRU));
    int lru = lru_of(f);
    struct km_lruvec *v = lru_vec(km, (int)fr_memcg(f));
    uint64_t n = nr_pages(f);
    v->lists[lru].n -= n - 1;
    kl_del(km->frames, &v->lists[lru], pfn);
    fr_clear(f, KM_PG_LRU);
    zone_count(km, pfn, lru, -(int64_t)n);
}

void lru_add(struct km *km, uint32_t pfn)
{
    add(km, pfn, false);
}

void lru_putback(struct km *km, uint32_t pfn, bool tail)
{
    add(km, pfn, tail);
}

void lru_activate(struct km *km, uint32_t pfn)
{
    struct km_frame *f = &km->frames[pfn];
    if (!fr_test(f, KM_PG_LRU) || fr_test(f, KM_PG_ACTIVE))
        return;
    lru_del(km, pfn);
    fr_set(f, KM_PG_ACTIVE);
    add(km, pfn, false);
    km->vm[KM_VM_pgactivate] += nr_pages(f);
}

void lru_mark_accessed(struct km *km, uint32_t pfn)
{
    struct km_frame *f = &km->frames[pfn];
    if (!fr_test(f, KM_PG_REFERENCED)) {
        fr_set(f, KM_PG_REFERENCED);
    } else if (!fr_test(f, KM_PG_ACTIVE)) {
        lru_activate(km, pfn);
        fr_clear(f, KM_PG_REFERENCED);
        workingset_activation(km, pfn);
    }
}

void lru_move_to_lazyfree(struct km *km, uint32_t pfn)
{
    struct km_frame *f = &km->frames[pfn];
    lru_del(km, pfn);
    fr_clear(f, KM_PG_ACTIVE | KM_PG_REFERENCED);
    fr_set(f, KM_PG_LAZYFREE);
    add(km, pfn, false);
    km->vm[KM_VM_pglazyfree] += nr_pages(f);
}

void lru_deactivate(struct km *km, uint32_t pfn)
{
    struct km_frame *f = &km->frames[pfn];
    if (!fr_test(f, KM_PG_LRU))
        return;
    bool active = fr_test(f, KM_PG_ACTIVE);
    lru_del(km, pfn);
    fr_clear(f, KM_PG_ACTIVE | KM_PG_REFERENCED);
    add(km, pfn, false);
    if (active)
        km->vm[KM_VM_pgdeactivate] += nr_pages(f);
}

uint64_t lru_size(struct km *km, int cg, int lru)
{
    if (cg >= 0)
        return km->memcg[cg].lruvec.lists[lru].n;
    uint64_t n = 0;
    for (int i = 0; i < km->nmemcg; i++)
        if (km->memcg[i].used)
            n += km->memcg[i].lruvec.lists[lru].n;
    return n;
}

/* The lruvec sizes as the kernel's rules see them: the root counts the whole node. */
uint64_t lru_vec_size(struct km *km, int cg, int lru)
{
    if (km->cfg.stats_flush_ms) {
        memcg_stats_tick(km);
        return km->memcg[cg].flushed_lru[lru];
    }
    return cg == 0 ? lru_size(km, -1, lru) : lru_size(km, cg, lru);
}

/* lru_note_cost(): into the lruvec and its parent (the root), with decay. */
void lru_note_cost(struct km *km, int cg, bool file, uint64_t nr_io, uint64_t nr_rotated)
{
    uint64_t cost = nr_io * KM_SWAP_CLUSTER_MAX + nr_rotated;
    for (int c = cg;; c = 0) {
        struct km_lruvec *v = lru_vec(km, c);
        if (file)
            v->file_cost += cost;
        else
            v->anon_cost += cost;
        uint64_t lrusize = 0;
        for (int l = 0; l < KM_LRU_UNEVICTABLE; l++)
            lrusize += lru_vec_size(km, c, l);
        if (v->file_cost + v->anon_cost > lrusize / 4) {
            v->file_cost /= 2;
            v->anon_cost /= 2;
        }
        if (c == 0)
            break;
    }
}

void lru_check(const struct km *km)
{
    uint64_t zone_lru[KM_NR_ZONES][KM_NR_LRU] = {{0}};
    uint64_t flagged = 0, listed = 0;
    for (int i = 0; i < km->nmemcg; i++) {
        const struct km_memcg *m = &km->memcg[i];
        if (!m->used)
            continue;
        for (int l = 0; l < KM_NR_LRU; l++) {
            const struct km_list *list = &m->lruvec.lists[l];
            uint64_t n = 0;
            uint32_t prev = KM_NIL;
            for (uint32_t p = list->head; p != KM_NIL; p = km->frames[p].next) {
                const struct km_frame *f = &km->frames[p];
                unsigned st = fr_state(f);
                if ((st != KM_FS_ANON && st != KM_FS_FILE) || !fr_test(f, KM_PG_LRU))
                    km_check_fail("lru: a frame on an LRU list is not an LRU page");
                if (lru_of(f) != l || (int)fr_memcg(f) != i)
                    km_check_fail("lru: page on the wrong list or lruvec");
                if (f->prev != prev)
                    km_check_fail("lru: broken links");
                uint64_t np = fr_test(f, KM_PG_THP) ? KM_PAGEBLOCK_PAGES : 1;
                n += np;
                listed++;
                for (int z = 0; z < KM_NR_ZONES; z++)
                    if (p >= km->zones[z].start && p < km->zones[z].end)
                        zone_lru[z][l] += np;
                prev = p;
            }
            if (n != list->n || prev != list->tail)
                km_check_fail("lru: list size differs from its pages");
        }
    }
    for (uint32_t p = 0; p < km->nframes; p++) {
        const struct km_frame *f = &km->frames[p];
        unsigned st = fr_state(f);
        if ((st == KM_FS_ANON || st == KM_FS_FILE) && fr_test(f, KM_PG_LRU))
            flagged++;
    }
    if (flagged != listed)
        km_check_fail("lru: frames flagged LRU are not all on lists");
    for (int z = 0; z < KM_NR_ZONES; z++)
        for (int l = 0; l < KM_NR_LRU; l++)
            if (zone_lru[z][l] != km->zones[z].nr_lru[l])
                km_check_fail("lru: zone LRU counts differ from the lists");
}
