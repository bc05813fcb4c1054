/*
 * pgtable.c — 4-level x86-64 page tables as a cost (KMODEL-SPEC.md section 7).
 *
 *   vpn (35 bits) = | pgd 9 | pud 9 | pmd 9 | pte 9 |      one table = one 4 KiB frame
 *
 *   PGD ──> PUD (512 GiB) ──> PMD (1 GiB) ──> PTE (2 MiB) ──> 512 entries (KM_PTE_*)
 *                                              └── or `huge`: a PMD-mapped THP (its deposit)
 *
 * Each table is a host struct km_pt whose pointer lives in its frame (state PGTABLE), so the
 * frame of any mapped anon page can name the PTE table that maps it (the model's rmap).
 * Tables are allocated on first fault (UNMOVABLE, charged to the memcg: GFP_PGTABLE_USER),
 * counted in mm->pgtables_bytes (VmPTE; the PGD is not, as in the kernel) and in PageTables.
 *
 * Freeing follows free_pgd_range(): a table goes when its whole span lies inside the unmapped
 * range bounded by the neighbouring mappings (floor, ceiling); with CONFIG_PT_RECLAIM an empty
 * PTE table whose 2 MiB was fully zapped by MADV_DONTNEED goes too.
 *
 * Invariant: a table's `nr` equals its non-empty entries; a table is reachable from its mm's
 * PGD exactly once, through `parent`/`pidx`.
 */
#include "analysis/kmodel/kmodel.h"

#include <errno.h>
#include <stdlib.h>

#define LEVEL_SHIFT(l) (9 * ((l)-1)) /* vpn shift of the index at level l (1 = PTE) */
#define VA_TOP         (1ULL << 48)
#define PMD_SIZE       (1ULL << 21)

/* The PGD is an order-1 pair with PTI (pgd_pages = 2). */
static int table_order(const struct km *km, int level)
{
    return level == 4 && km->cfg.pgd_pages == 2 ? 1 : 0;
}

static struct km_pt *alloc_table(struct km *km, struct km_mm *mm, int level, uint64_t base_vpn)
{
    int order = table_order(km, level);
    if (memcg_charge(km, mm->memcg, 1u << order, true) != 0) {
        km->last_errno = ENOMEM;
        return NULL;
    }
    uint32_t pfn = palloc_alloc(km, KM_GFP_PGTABLE, order, KM_FS_PGTABLE);
    if (pfn == KM_NIL) {
        memcg_uncharge(km, mm->memcg, 1u << order, true);
        km->last_errno = ENOMEM;
        return NULL;
    }
    struct km_pt *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        fprintf(stderr, "kmodel: out of host memory for page tables\n");
        exit(3);
    }
    t->mm = mm;
    t->level = (uint8_t)level;
    t->base_vpn = base_vpn;
    t->pfn = pfn;
    km->frames[pfn].ptr = t;
    fr_set_memcg(&km->frames[pfn], (unsigned)mm->memcg);
    km->nr_pgtable_pages += 1u << order;
    if (level < 4)
        mm->pgtables_bytes += KM_PAGE_SIZE;
    return t;
}

static void free_table(struct km *km, struct km_pt *t)
{
    struct km_mm *mm = t->mm;
    uint32_t pfn = t->pfn;
    int order = table_order(km, t->level);
    if (mm->pte_hint == t)
        mm->pte_hint = NULL;
    km->frames[pfn].ptr = NULL;
    km->frames[pfn].next = km->frames[pfn].prev = KM_NIL;
    km->nr_pgtable_pages -= 1u << order;
    if (t->level < 4)
        mm->pgtables_bytes -= KM_PAGE_SIZE;
    memcg_uncharge(km, (int)fr_memcg(&km->frames[pfn]), 1u << order, true);
    palloc_free(km, pfn, order);
    free(t);
}

static void detach(struct km_pt *t)
{
    struct km_pt *p = t->parent;
    if (p) {
        p->e[t->pidx] = 0;
        p->nr--;
    }
}

void pt_free_pte_table(struct km *km, struct km_pt *t)
{
    detach(t);
    free_table(km, t);
}

int pt_create_pgd(struct km *km, struct km_mm *mm)
{
    mm->pgd = alloc_table(km, mm, 4, 0);
    return mm->pgd == NULL ? -1 : 0;
}

static inline unsigned idx_at(uint64_t vpn, int level)
{
    return (unsigned)(vpn >> LEVEL_SHIFT(level)) & 511u;
}

struct km_pt *pt_pte_table(struct km *km, struct km_mm *mm, uint64_t vpn, bool alloc)
{
    if (mm->pte_hint && mm->pte_hint_base == (vpn >> 9))
        return mm->pte_hint;
    struct km_pt *t = mm->pgd;
    if (t == NULL)
        return NULL;
    for (int level = 4; level > 1; level--) {
        unsigned i = idx_at(vpn, level);
        uint64_t e = t->e[i];
        if (e == 0) {
            if (!alloc)
                return NULL;
            uint64_t span = 1ULL << LEVEL_SHIFT(level);
            struct km_pt *c = alloc_table(km, mm, level - 1, vpn & ~(span - 1));
            if (c == NULL)
                return NULL;
            /* One thread: nothing else can have filled the entry meanwhile. */
            c->parent = t;
            c->pidx = (uint16_t)i;
            t->e[i] = (uint64_t)(uintptr_t)c;
            t->nr++;
            e = t->e[i];
        }
        t = (struct km_pt *)(uintptr_t)e;
    }
    mm->pte_hint = t;
    mm->pte_hint_base = vpn >> 9;
    return t;
}

uint64_t *pt_walk(struct km *km, struct km_mm *mm, uint64_t vpn, bool alloc, bool *huge)
{
    struct km_pt *t = pt_pte_table(km, mm, vpn, alloc);
    if (t == NULL) {
        *huge = false;
        return NULL;
    }
    if (t->huge) {
        *huge = true;
        return &t->huge;
    }
    *huge = false;
    return &t->e[vpn & 511];
}

/*
 * free_pgd_range() at one level: free the child tables intersecting [addr, end) (all of them at
 * the PTE level, which is how free_pmd_range treats PTE tables), then a child table of an upper
 * level goes only if its whole span is inside [floor, ceiling).
 */
static void free_level(struct km *km, struct km_pt *t, uint64_t addr, uint64_t end, uint64_t floor,
                       uint64_t ceiling)
{
    int level = t->level;
    uint64_t span = KM_PAGE_SIZE << LEVEL_SHIFT(level);
    uint64_t a = addr;
    while (a < end) {
        uint64_t next = (a & ~(span - 1)) + span;
        if (next > end || next == 0)
            next = end;
        unsigned i = (unsigned)((a >> KM_PAGE_SHIFT) >> LEVEL_SHIFT(level)) & 511u;
        uint64_t e = t->e[i];
        if (e != 0) {
            struct km_pt *c = (struct km_pt *)(uintptr_t)e;
            if (level == 2) {
                t->e[i] = 0;
                t->nr--;
                free_table(km, c);
            } else {
                free_level(km, c, a, next, floor, ceiling);
                uint64_t start = a & ~(span - 1);
                if (start >= floor && start + span <= ceiling) {
                    t->e[i] = 0;
                    t->nr--;
                    free_table(km, c);
                }
            }
        }
        a = next;
    }
}

void pt_free_range(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t end, uint64_t floor,
                   uint64_t ceiling)
{
    if (mm->pgd == NULL)
        return;
    if (ceiling == 0 || ceiling > VA_TOP)
        ceiling = VA_TOP;
    /* The top of free_pgd_range(): work in whole PMDs inside the bounds. */
    addr &= ~(PMD_SIZE - 1);
    if (addr < floor)
        addr += PMD_SIZE;
    ceiling &= ~(PMD_SIZE - 1);
    if (end > ceiling)
        end -= PMD_SIZE;
    if (addr >= end)
        return;
    free_level(km, mm->pgd, addr, end, floor, ceiling);
}

/* CONFIG_PT_RECLAIM: empty PTE tables of fully zapped 2 MiB regions in [start, end). */
void pt_reclaim_empty(struct km *km, struct km_mm *mm, uint64_t start, uint64_t end)
{
    uint64_t a = (start + PMD_SIZE - 1) & ~(PMD_SIZE - 1);
    for (; a + PMD_SIZE <= end; a += PMD_SIZE) {
        struct km_pt *t = pt_pte_table(km, mm, a >> KM_PAGE_SHIFT, false);
        if (t == NULL || t->nr != 0 || t->huge)
            continue;
        pt_free_pte_table(km, t);
    }
}

static void destroy_level(struct km *km, struct km_pt *t)
{
    if (t->level > 1) {
        for (int i = 0; i < KM_PTRS_PER_TABLE; i++) {
            uint64_t e = t->e[i];
            if (e != 0)
                destroy_level(km, (struct km_pt *)(uintptr_t)e);
        }
    }
    free_table(km, t);
}

void pt_destroy(struct km *km, struct km_mm *mm)
{
    if (mm->pgd) {
        destroy_level(km, mm->pgd);
        mm->pgd = NULL;
    }
    mm->pte_hint = NULL;
}
