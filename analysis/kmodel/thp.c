/*
 * thp.c — transparent huge pages: 2 MiB anonymous folios mapped by one PMD (mm/huge_memory.c).
 *
 *   PMD ──> PTE table (deposited, empty) with `huge` = head pfn | bits     one fault per 2 MiB
 *   folio: head frame (ANON, KM_PG_THP, one LRU entry weighing 512) + 511 TAIL frames
 *
 * A VMA is eligible when THP is "always" (and the VMA is not MADV_NOHUGEPAGE), or "madvise"
 * and the VMA is MADV_HUGEPAGE, and the aligned 2 MiB lies inside it. A read fault maps the
 * huge zero page; a write allocates an order-9 block (thp_fault_alloc) or falls back to 4 KiB
 * pages (thp_fault_fallback). Direct reclaim is allowed for MADV_HUGEPAGE VMAs (defrag=madvise);
 * compaction is not modelled.
 *
 * Approximations: whenever a huge mapping must change shape (partial unmap/mprotect/madvise,
 * a write to the huge zero page or to a THP shared after fork, reclaim) the folio is split into
 * 512 base pages at once (the kernel splits the PMD first and the folio later, or swaps the THP
 * whole); mTHP sizes are not modelled.
 */
#include "analysis/kmodel/kmodel.h"

#define HPAGE_NR KM_PAGEBLOCK_PAGES
#define PMD_SIZE (1ULL << 21)

bool thp_vma_eligible(const struct km *km, const struct km_vma *v, uint64_t addr)
{
    if (v->file >= 0 || (v->flags & KM_VM_SHARED))
        return false;
    switch (km->cfg.thp) {
    case KM_THP_ALWAYS:
        if (v->flags & KM_VM_NOHUGEPAGE)
            return false;
        break;
    case KM_THP_MADVISE:
        if (!(v->flags & KM_VM_HUGEPAGE))
            return false;
        break;
    default:
        return false;
    }
    uint64_t base = addr & ~(PMD_SIZE - 1);
    return base >= v->start && base + PMD_SIZE <= v->end;
}

int thp_fault(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t addr, bool write,
              bool user)
{
    uint64_t vpn = addr >> KM_PAGE_SHIFT;
    struct km_pt *t = pt_pte_table(km, mm, vpn, false);
    if (t != NULL)
        return 0; /* a PTE table (or a huge mapping) exists: the 4 KiB path handles it */
    if (!write) {
        t = pt_pte_table(km, mm, vpn, true);
        if (t == NULL)
            return -1;
        t->huge = KM_PTE_PRESENT | KM_PTE_ZERO | KM_PTE_YOUNG;
        mm->minflt++;
        if (user)
            mm->perf_minflt++;
        proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_FAULT_READ_ZERO]);
        return 1;
    }
    bool defrag = km->cfg.thp_defrag == KM_THP_ALWAYS ||
                  (km->cfg.thp_defrag == KM_THP_MADVISE && (v->flags & KM_VM_HUGEPAGE));
    uint32_t pfn;
    if (defrag) {
        pfn = palloc_alloc(km, KM_GFP_NORETRY, KM_PAGEBLOCK_ORDER, KM_FS_ANON);
    } else {
        /* GFP_TRANSHUGE_LIGHT: no direct reclaim; the atomic kind skips reclaim here. */
        bool saved = km->in_reclaim;
        km->in_reclaim = true;
        pfn = palloc_alloc(km, KM_GFP_NORETRY, KM_PAGEBLOCK_ORDER, KM_FS_ANON);
        km->in_reclaim = saved;
    }
    if (pfn == KM_NIL) {
        km->vm[KM_VM_thp_fault_fallback]++;
        return mm->killed ? -1 : 0;
    }
    /* mem_cgroup_charge() of 512 pages: a costly charge that may fail into a fallback. */
    if (memcg_charge(km, mm->memcg, HPAGE_NR, false) != 0) {
        palloc_free(km, pfn, KM_PAGEBLOCK_ORDER);
        km->vm[KM_VM_thp_fault_fallback]++;
        return mm->killed || mm->oom_blocked ? -1 : 0;
    }
    t = pt_pte_table(km, mm, vpn, true);
    if (t == NULL) {
        memcg_uncharge(km, mm->memcg, HPAGE_NR, false);
        palloc_free(km, pfn, KM_PAGEBLOCK_ORDER);
        return -1;
    }
    vma_anon_prepare(km, mm, v);
    struct km_frame *f = &km->frames[pfn];
    fr_set_lru(f, KM_FS_ANON, KM_PG_DIRTY | KM_PG_THP | KM_PG_NONZERO, 0);
    fr_set_memcg(f, (unsigned)mm->memcg);
    f->b = t->pfn;
    for (uint32_t i = 1; i < HPAGE_NR; i++)
        fr_set_memcg(&km->frames[pfn + i], (unsigned)mm->memcg);
    km->nr_anon += HPAGE_NR;
    km->memcg[mm->memcg].rss += HPAGE_NR;
    t->huge = ((uint64_t)pfn << KM_PTE_SHIFT) | KM_PTE_PRESENT | KM_PTE_WRITE | KM_PTE_YOUNG |
              KM_PTE_DIRTY;
    mm->counters[KM_MM_ANON] += HPAGE_NR;
    proc_update_hiwater(mm);
    lru_add(km, pfn);
    km->vm[KM_VM_thp_fault_alloc]++;
    mm->minflt++;
    if (user)
        mm->perf_minflt++;
    double gbps = km->calib.v[KM_COST_MEMSET_GBPS];
    double ns = km->calib.v[KM_COST_THP_FAULT];
    if (ns <= 0)
        ns = km->calib.v[KM_COST_FAULT_WRITE] + (gbps > 0 ? (double)PMD_SIZE / gbps : 0);
    proc_charge_time(km, (uint64_t)ns);
    return 1;
}

/* Turn one huge mapping in a PTE table into 512 PTEs (the folio is already split). */
static void fill_ptes(struct km *km, struct km_pt *t)
{
    uint64_t h = t->huge;
    t->huge = 0;
    if (h & KM_PTE_ZERO) {
        for (int i = 0; i < KM_PTRS_PER_TABLE; i++)
            t->e[i] = KM_PTE_PRESENT | KM_PTE_ZERO | (h & (KM_PTE_YOUNG | KM_PTE_NOACCESS));
        t->nr = KM_PTRS_PER_TABLE;
        return;
    }
    uint32_t head = KM_PTE_PFN(h);
    uint64_t bits = h & (KM_PTE_PRESENT | KM_PTE_WRITE | KM_PTE_YOUNG | KM_PTE_DIRTY |
                         KM_PTE_NOACCESS | KM_PTE_NONZERO);
    for (uint32_t i = 0; i < HPAGE_NR; i++)
        t->e[i] = ((uint64_t)(head + i) << KM_PTE_SHIFT) | bits;
    t->nr = KM_PTRS_PER_TABLE;
    (void)km;
}

struct split_arg {
    struct km_pt *tables[64];
    int n;
};

static bool collect(struct km *km, struct km_mm *mm, struct km_pt *pt, unsigned slot, uint32_t pfn,
                    void *arg)
{
    (void)km, (void)mm, (void)slot, (void)pfn;
    struct split_arg *sa = arg;
    if (sa->n < 64)
        sa->tables[sa->n++] = pt;
    return true;
}

void thp_split_folio(struct km *km, uint32_t head)
{
    struct km_frame *hf = &km->frames[head];
    if (!fr_test(hf, KM_PG_THP))
        return;
    struct split_arg sa = {.n = 0};
    if (hf->b != KM_NIL)
        rmap_walk_anon(km, head, collect, &sa);
    bool on_lru = fr_test(hf, KM_PG_LRU);
    if (on_lru)
        lru_del(km, head);
    uint32_t flags = hf->a & KM_PG_FLAGS_MASK & ~(KM_PG_THP | KM_PG_LRU);
    unsigned cg = fr_memcg(hf);
    struct km_pt *owner = hf->b != KM_NIL ? pt_of_frame(km, hf->b) : NULL;
    for (uint32_t i = 0; i < HPAGE_NR; i++) {
        struct km_frame *f = &km->frames[head + i];
        fr_set_lru(f, KM_FS_ANON, flags, i);
        fr_set_memcg(f, cg);
        f->b = owner ? owner->pfn : KM_NIL;
        f->next = f->prev = KM_NIL;
    }
    for (int k = 0; k < sa.n; k++)
        fill_ptes(km, sa.tables[k]);
    if (on_lru)
        for (uint32_t i = 0; i < HPAGE_NR; i++)
            lru_putback(km, head + i, false);
    km->vm[KM_VM_thp_split_page]++;
}

void thp_split_pmd(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t base)
{
    (void)v;
    struct km_pt *t = pt_pte_table(km, mm, base >> KM_PAGE_SHIFT, false);
    if (t == NULL || !t->huge)
        return;
    if (t->huge & KM_PTE_ZERO) {
        fill_ptes(km, t);
        return;
    }
    thp_split_folio(km, KM_PTE_PFN(t->huge));
}

uint64_t thp_zap_pmd(struct km *km, struct km_mm *mm, struct km_pt *t)
{
    uint64_t h = t->huge;
    t->huge = 0;
    uint64_t n = 0;
    if (!(h & KM_PTE_ZERO)) {
        uint32_t pfn = KM_PTE_PFN(h);
        if (h & KM_PTE_DIRTY)
            fr_set(&km->frames[pfn], KM_PG_DIRTY);
        mm->counters[KM_MM_ANON] -= HPAGE_NR;
        fault_put_anon(km, pfn, t, KM_HUGE_SLOT);
        n = HPAGE_NR;
    }
    /* zap_deposited_table(): the deposited PTE table goes with the huge PMD. */
    pt_free_pte_table(km, t);
    return n;
}

void thp_change_prot(struct km *km, struct km_pt *t, bool noaccess, bool writable)
{
    (void)km;
    uint64_t h = t->huge & ~KM_PTE_NOACCESS;
    if (noaccess)
        h |= KM_PTE_NOACCESS;
    if (!writable)
        h &= ~KM_PTE_WRITE;
    t->huge = h;
}

int thp_copy_pmd(struct km *km, struct km_mm *src, struct km_mm *dst, const struct km_vma *v,
                 uint64_t base, struct km_pt *spt)
{
    (void)v, (void)src;
    uint64_t vpn = base >> KM_PAGE_SHIFT;
    struct km_pt *dt = pt_pte_table(km, dst, vpn, true);
    if (dt == NULL)
        return -1;
    uint64_t h = spt->huge;
    if (!(h & KM_PTE_ZERO)) {
        h &= ~KM_PTE_WRITE;
        spt->huge = h;
        fr_set(&km->frames[KM_PTE_PFN(h)], KM_PG_MAYSHARE);
        dst->counters[KM_MM_ANON] += HPAGE_NR;
    }
    dt->huge = h & ~KM_PTE_YOUNG;
    return 0;
}
