/*
 * fault.c — demand paging: what a user access costs (KMODEL-SPEC.md section 8; mm/memory.c).
 *
 *   access ──> PTE present and permits it? ──yes──> set young (and dirty): no fault
 *                     │ no
 *                     v
 *              VMA allows it? ──no──> SIGSEGV (not counted as a completed fault)
 *                     │ yes: pgfault++, then by the PTE:
 *     none, read  ──> map the shared zero page               (1 minor, RSS +0)
 *     none, write ──> allocate, zero, map writable           (1 minor, RSS +1)
 *     zero page, write ──> wp_page_copy: allocate and map    (1 minor)
 *     COW (after fork), write ──> reuse if exclusive, else copy  (1 minor)
 *     swap entry ──> do_swap_page (major unless in the swap cache)
 *     none, file mapping ──> page cache with fault-around (file.c)
 *     THP-eligible and PMD empty ──> a 2 MiB folio (thp.c)
 *
 * Counters: pgfault (vmstat, memcg) for every handled fault; min_flt/maj_flt of the process
 * for successful ones; perf minor-faults/major-faults only for user traps (MAP_POPULATE and
 * MADV_POPULATE_* fault without traps). Time: the calibrated cost of each kind of fault, plus
 * the memset time of the bytes the access writes.
 */
#include "analysis/kmodel/kmodel.h"

#include <errno.h>

static void count_fault(struct km *km, struct km_mm *mm, bool major, bool user)
{
    if (major) {
        mm->majflt++;
        km->vm[KM_VM_pgmajfault]++;
        km->memcg[mm->memcg].pgmajfault++;
        if (user)
            mm->perf_majflt++;
    } else {
        mm->minflt++;
        if (user)
            mm->perf_minflt++;
    }
}

/* A fault that reached handle_mm_fault: PGFAULT counts it whatever the outcome. */
static void count_pgfault(struct km *km, struct km_mm *mm)
{
    km->vm[KM_VM_pgfault]++;
    km->memcg[mm->memcg].pgfault++;
}

/* Allocate and charge a fresh anon page (vma_alloc_zeroed_movable_folio + mem_cgroup_charge). */
static uint32_t alloc_anon(struct km *km, struct km_mm *mm)
{
    uint32_t pfn = palloc_alloc(km, KM_GFP_USER, 0, KM_FS_ANON);
    if (pfn == KM_NIL)
        return KM_NIL;
    if (memcg_charge(km, mm->memcg, 1, false) != 0) {
        palloc_free(km, pfn, 0);
        return KM_NIL;
    }
    struct km_frame *f = &km->frames[pfn];
    fr_set_lru(f, KM_FS_ANON, KM_PG_DIRTY, 0);
    fr_set_memcg(f, (unsigned)mm->memcg);
    km->nr_anon++;
    km->memcg[mm->memcg].rss++;
    return pfn;
}

static void map_anon(struct km *km, struct km_mm *mm, uint64_t *e, struct km_pt *pt, uint64_t vpn,
                     uint32_t pfn, bool writable)
{
    struct km_frame *f = &km->frames[pfn];
    f->b = pt->pfn;
    fr_set_slot(f, (unsigned)(vpn & 511));
    if (*e == 0)
        pt->nr++;
    *e = ((uint64_t)pfn << KM_PTE_SHIFT) | KM_PTE_PRESENT | KM_PTE_YOUNG |
         (writable ? KM_PTE_WRITE | KM_PTE_DIRTY : 0);
    mm->counters[KM_MM_ANON]++;
    proc_update_hiwater(mm);
    lru_add(km, pfn);
}

void fault_free_anon(struct km *km, uint32_t pfn)
{
    struct km_frame *f = &km->frames[pfn];
    km_assert(fr_state(f) == KM_FS_ANON);
    bool thp = fr_test(f, KM_PG_THP);
    uint64_t nr = thp ? KM_PAGEBLOCK_PAGES : 1;
    if (fr_test(f, KM_PG_SWAPCACHE))
        swap_cache_del(km, pfn, 0);
    if (fr_test(f, KM_PG_LRU))
        lru_del(km, pfn);
    int cg = (int)fr_memcg(f);
    memcg_uncharge(km, cg, nr, false);
    km->memcg[cg].rss -= nr;
    km->nr_anon -= nr;
    f->a = KM_FS_FREE; /* plain frame again: palloc_free sets its free state */
    palloc_free(km, pfn, thp ? KM_PAGEBLOCK_ORDER : 0);
}

void fault_put_anon(struct km *km, uint32_t pfn, struct km_pt *pt, unsigned slot)
{
    struct km_frame *f = &km->frames[pfn];
    if (slot == KM_HUGE_SLOT)
        slot = 0;
    if (fr_test(f, KM_PG_MAYSHARE)) {
        if (f->b == pt->pfn && fr_slot(f) == slot) {
            if (rmap_repoint(km, pfn))
                return;
        } else {
            return; /* the frame names another mapping, which is still there */
        }
    }
    fault_free_anon(km, pfn);
}

/* Access allowed by the VMA? x86: PROT_WRITE and PROT_EXEC imply read. */
static bool vma_allows(const struct km_vma *v, enum km_touch how)
{
    if (how != KM_TOUCH_READ)
        return (v->flags & KM_VM_WRITE) != 0;
    return (v->flags & (KM_VM_READ | KM_VM_WRITE | KM_VM_EXEC)) != 0;
}

static void set_content(struct km_frame *f, enum km_touch how)
{
    if (how == KM_TOUCH_WRITE)
        fr_set(f, KM_PG_NONZERO);
    else if (how == KM_TOUCH_WRITE_ZERO)
        fr_clear(f, KM_PG_NONZERO);
}

/* do_wp_page() on an anon page mapped read-only: reuse it if we are its only user. */
static int wp_page(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t *e, struct km_pt *pt,
                   uint64_t vpn, enum km_touch how, bool user)
{
    uint64_t pte = *e;
    uint32_t old = KM_PTE_PFN(pte);
    struct km_frame *of = &km->frames[old];
    if (fr_state(of) == KM_FS_FILE) {
        /* A private file page: copy it into an anon page (do_cow_fault / wp_page_copy). */
        vma_anon_prepare(km, mm, v);
        uint32_t pfn = alloc_anon(km, mm);
        if (pfn == KM_NIL)
            return -1;
        fr_set(&km->frames[pfn], KM_PG_NONZERO);
        *e = 0;
        pt->nr--;
        mm->counters[KM_MM_FILE]--;
        file_unmap_page(km, old);
        map_anon(km, mm, e, pt, vpn, pfn, true);
        set_content(&km->frames[pfn], how);
        count_fault(km, mm, false, user);
        proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_COW_FAULT]);
        return 0;
    }
    if (!fr_test(of, KM_PG_MAYSHARE) || rmap_mapcount(km, old) <= 1) {
        /* Exclusive: reuse (the swap slot, if any, is no longer needed). */
        if (fr_test(of, KM_PG_SWAPCACHE))
            swap_free_cache_slot(km, old);
        *e = pte | KM_PTE_WRITE | KM_PTE_DIRTY | KM_PTE_YOUNG;
        fr_clear(of, KM_PG_MAYSHARE);
        set_content(of, how);
        km->vm[KM_VM_pgreuse]++;
        count_fault(km, mm, false, user);
        proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_FAULT_READ_ZERO]);
        return 0;
    }
    /* Shared: copy. */
    uint32_t pfn = alloc_anon(km, mm);
    if (pfn == KM_NIL)
        return -1;
    /* The allocation may have reclaimed the old page: look at the PTE again. */
    pte = *e;
    if (!(pte & KM_PTE_PRESENT) || KM_PTE_PFN(pte) != old) {
        fault_free_anon(km, pfn);
        return 1; /* retry the access */
    }
    if (fr_test(of, KM_PG_NONZERO) || (pte & KM_PTE_NONZERO))
        fr_set(&km->frames[pfn], KM_PG_NONZERO);
    *e = 0;
    pt->nr--;
    mm->counters[KM_MM_ANON]--;
    fault_put_anon(km, old, pt, (unsigned)(vpn & 511));
    map_anon(km, mm, e, pt, vpn, pfn, true);
    set_content(&km->frames[pfn], how);
    count_fault(km, mm, false, user);
    proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_COW_FAULT]);
    return 0;
}

/* handle_mm_fault() for one page. Returns 0, 1 (retry the access), or -1 (failed). */
static int handle_fault(struct km *km, struct km_mm *mm, uint64_t addr, enum km_touch how,
                        bool user)
{
    struct km_vma *v = vma_find(mm, addr);
    if (v == NULL || !vma_allows(v, how)) {
        km->last_errno = EFAULT;
        return -1;
    }
    count_pgfault(km, mm);
    bool write = how != KM_TOUCH_READ;
    uint64_t vpn = addr >> KM_PAGE_SHIFT;
    if (thp_vma_eligible(km, v, addr)) {
        int r = thp_fault(km, mm, v, addr, write, user);
        if (r != 0)
            return r > 0 ? 0 : -1;
    }
    bool huge;
    uint64_t *e = pt_walk(km, mm, vpn, true, &huge);
    if (e == NULL) {
        if (mm->killed)
            return -1;
        km->last_errno = ENOMEM;
        oom_kill(km, -1, "page table allocation");
        return -1;
    }
    if (huge) {
        /* A huge zero page (read-mapped THP range) or a shared THP written to: split. */
        thp_split_pmd(km, mm, v, addr & ~((1ULL << 21) - 1));
        return 1;
    }
    struct km_pt *pt = mm->pte_hint;
    uint64_t pte = *e;
    if (pte == 0) {
        if (v->file >= 0)
            return file_fault(km, mm, v, addr, write) < 0 ? -1 : 0;
        if (!write) {
            *e = KM_PTE_PRESENT | KM_PTE_ZERO | KM_PTE_YOUNG;
            pt->nr++;
            count_fault(km, mm, false, user);
            proc_charge_time(
                km, (uint64_t)km->calib.v[user ? KM_COST_FAULT_READ_ZERO : KM_COST_POPULATE_PAGE]);
            return 0;
        }
        vma_anon_prepare(km, mm, v);
        uint32_t pfn = alloc_anon(km, mm);
        if (pfn == KM_NIL)
            return -1;
        /* Reclaim during the allocation cannot have filled this PTE (one thread), and the
         * tables stay: an OOM victim is torn down only when its operation unwinds. */
        map_anon(km, mm, e, pt, vpn, pfn, true);
        set_content(&km->frames[pfn], how);
        count_fault(km, mm, false, user);
        proc_charge_time(km,
                         (uint64_t)km->calib.v[user ? KM_COST_FAULT_WRITE : KM_COST_POPULATE_PAGE]);
        return 0;
    }
    if (pte & KM_PTE_SWAP) {
        int r = swap_fault(km, mm, v, vpn, e, pt, write);
        if (r < 0)
            return -1;
        /* The page is now mapped; a write to it went through do_swap_page's write path. */
        if (write)
            set_content(&km->frames[KM_PTE_PFN(*e)], how);
        return 0;
    }
    if (pte & KM_PTE_NOACCESS) {
        km->last_errno = EFAULT;
        return -1;
    }
    if (!write) {
        /* Present and readable: a spurious fault (e.g. after mprotect restored access). */
        *e = pte | KM_PTE_YOUNG;
        count_fault(km, mm, false, user);
        return 0;
    }
    if (pte & KM_PTE_ZERO) {
        vma_anon_prepare(km, mm, v);
        uint32_t pfn = alloc_anon(km, mm);
        if (pfn == KM_NIL)
            return -1;
        if (*e != pte) { /* reclaim cannot touch the zero page, but be safe */
            fault_free_anon(km, pfn);
            return 1;
        }
        *e = 0;
        pt->nr--;
        map_anon(km, mm, e, pt, vpn, pfn, true);
        set_content(&km->frames[pfn], how);
        count_fault(km, mm, false, user);
        proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_FAULT_WRITE]);
        return 0;
    }
    return wp_page(km, mm, v, e, pt, vpn, how, user);
}

int fault_file_cow(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t addr)
{
    uint64_t vpn = addr >> KM_PAGE_SHIFT;
    struct km_pt *pt = pt_pte_table(km, mm, vpn, false);
    if (pt == NULL)
        return -1;
    int r = wp_page(km, mm, v, &pt->e[vpn & 511], pt, vpn, KM_TOUCH_WRITE, true);
    return r < 0 ? -1 : 0;
}

int fault_touch(struct km *km, struct km_mm *mm, uint64_t addr, enum km_touch how)
{
    if (mm->killed || mm->exited || mm->oom_blocked)
        return -1;
    uint64_t vpn = addr >> KM_PAGE_SHIFT;
    km->events++;
    for (int tries = 0; tries < 4; tries++) {
        uint64_t *e;
        bool huge = false;
        if (mm->pte_hint && mm->pte_hint_base == (vpn >> 9))
            e = mm->pte_hint->huge ? &mm->pte_hint->huge : &mm->pte_hint->e[vpn & 511];
        else
            e = pt_walk(km, mm, vpn, false, &huge);
        if (e != NULL) {
            uint64_t pte = *e;
            if ((pte & KM_PTE_PRESENT) && !(pte & KM_PTE_NOACCESS)) {
                if (how == KM_TOUCH_READ) {
                    *e = pte | KM_PTE_YOUNG;
                    return 0;
                }
                if (pte & KM_PTE_WRITE) {
                    /* The content flag rides in the PTE, so that a hit touches no frame. */
                    if (how == KM_TOUCH_WRITE) {
                        *e = pte | KM_PTE_YOUNG | KM_PTE_DIRTY | KM_PTE_NONZERO;
                    } else {
                        *e = (pte | KM_PTE_YOUNG | KM_PTE_DIRTY) & ~KM_PTE_NONZERO;
                        set_content(&km->frames[KM_PTE_PFN(pte)], how);
                    }
                    return 0;
                }
            }
        }
        /* The faulting task is the current one while the fault is handled: if the OOM killer
         * picks it, oom_kill() only marks it, and its tables are torn down here, after
         * handle_fault() has stopped using them (a caller that drives several processes may
         * have another one current: tearing mm down inside its own fault was a use after
         * free). */
        struct km_mm *saved = km->cur;
        km->cur = mm;
        int r = handle_fault(km, mm, addr, how, true);
        km->cur = saved;
        if (mm->killed && !mm->exited) {
            km_reap(km);
            r = -1;
        }
        if (r <= 0) {
            if (km->kswapd.awake)
                kswapd_catch_up(km);
            return r;
        }
    }
    return 0;
}

int fault_touch_range(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t len,
                      enum km_touch how, uint64_t bytes_per_page)
{
    double gbps = km->calib.v[KM_COST_MEMSET_GBPS];
    uint64_t memset_ns = gbps > 0 ? (uint64_t)((double)bytes_per_page / gbps) : 0;
    uint64_t start = addr & ~(KM_PAGE_SIZE - 1);
    for (uint64_t a = start; a < addr + len; a += KM_PAGE_SIZE) {
        if (fault_touch(km, mm, a, how) != 0)
            return -1;
        if (memset_ns)
            proc_charge_time(km, memset_ns);
        if (km->series.f && km->now_ns >= km->series.next_ns)
            out_series_sample(km);
    }
    return 0;
}

int fault_populate(struct km *km, struct km_mm *mm, uint64_t start, uint64_t end, bool write)
{
    enum km_touch how = write ? KM_TOUCH_WRITE_ZERO : KM_TOUCH_READ;
    for (uint64_t a = start; a < end; a += KM_PAGE_SIZE) {
        if (mm->killed)
            return -1;
        uint64_t vpn = a >> KM_PAGE_SHIFT;
        bool huge;
        uint64_t *e = pt_walk(km, mm, vpn, false, &huge);
        if (e && (*e & KM_PTE_PRESENT) && (!write || (*e & KM_PTE_WRITE)))
            continue;
        for (int tries = 0; tries < 4; tries++) {
            int r = handle_fault(km, mm, a, how, false);
            if (mm->killed)
                return -1;
            if (r < 0)
                return -1;
            if (r == 0)
                break;
        }
        if (km->kswapd.awake)
            kswapd_catch_up(km);
    }
    return 0;
}

/* ---- MADV_FREE, MADV_COLD, MADV_PAGEOUT -------------------------------------------------- */

void fault_madv_free(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t s, uint64_t e)
{
    for (uint64_t a = s; a < e; a += KM_PAGE_SIZE) {
        bool huge;
        uint64_t *p = pt_walk(km, mm, a >> KM_PAGE_SHIFT, false, &huge);
        if (p == NULL) {
            a = (((a >> 21) + 1) << 21) - KM_PAGE_SIZE;
            continue;
        }
        if (huge) {
            uint64_t base = a & ~((1ULL << 21) - 1);
            thp_split_pmd(km, mm, v, base);
            p = pt_walk(km, mm, a >> KM_PAGE_SHIFT, false, &huge);
            if (p == NULL || huge)
                continue;
        }
        struct km_pt *pt = mm->pte_hint;
        uint64_t pte = *p;
        if (pte & KM_PTE_SWAP) {
            *p = 0;
            pt->nr--;
            swap_slot_put(km, KM_PTE_PFN(pte));
            mm->counters[KM_MM_SWAPENTS]--;
            continue;
        }
        if (!(pte & KM_PTE_PRESENT) || (pte & KM_PTE_ZERO))
            continue;
        uint32_t pfn = KM_PTE_PFN(pte);
        struct km_frame *f = &km->frames[pfn];
        if (fr_state(f) != KM_FS_ANON)
            continue;
        if (fr_test(f, KM_PG_MAYSHARE) && rmap_mapcount(km, pfn) > 1)
            continue;
        if (fr_test(f, KM_PG_SWAPCACHE))
            swap_free_cache_slot(km, pfn);
        fr_clear(f, KM_PG_DIRTY);
        *p = pte & ~(KM_PTE_YOUNG | KM_PTE_DIRTY);
        if (!fr_test(f, KM_PG_LAZYFREE) && fr_test(f, KM_PG_LRU))
            lru_move_to_lazyfree(km, pfn);
    }
}

void fault_madv_cold_pageout(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t s,
                             uint64_t e, bool pageout)
{
    (void)v;
    uint32_t batch[KM_SWAP_CLUSTER_MAX];
    size_t n = 0;
    for (uint64_t a = s; a < e; a += KM_PAGE_SIZE) {
        bool huge;
        uint64_t *p = pt_walk(km, mm, a >> KM_PAGE_SHIFT, false, &huge);
        if (p == NULL || huge) {
            if (p == NULL)
                a = (((a >> 21) + 1) << 21) - KM_PAGE_SIZE;
            continue;
        }
        uint64_t pte = *p;
        if (!(pte & KM_PTE_PRESENT) || (pte & KM_PTE_ZERO))
            continue;
        uint32_t pfn = KM_PTE_PFN(pte);
        struct km_frame *f = &km->frames[pfn];
        if (fr_state(f) != KM_FS_ANON && fr_state(f) != KM_FS_FILE)
            continue;
        if (fr_state(f) == KM_FS_ANON && fr_test(f, KM_PG_MAYSHARE) && rmap_mapcount(km, pfn) > 1)
            continue;
        *p = pte & ~KM_PTE_YOUNG;
        if (!fr_test(f, KM_PG_LRU))
            continue;
        if (!pageout) {
            lru_deactivate(km, pfn);
            continue;
        }
        batch[n++] = pfn;
        if (n == KM_SWAP_CLUSTER_MAX) {
            reclaim_pages_list(km, batch, n);
            n = 0;
        }
    }
    if (n)
        reclaim_pages_list(km, batch, n);
}
