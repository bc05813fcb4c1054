/*
 * rmap.c — from an anon frame to the page-table entries that map it (mm/rmap.c).
 *
 *   frame.b ──> the PTE (or PMD, for a THP) table's frame ──> struct km_pt {mm, base_vpn}
 *   frame slot ─────────────────────────────────────────────> entry index in that table
 *
 * A page that was never shared by fork has exactly that one mapping. After fork a page is
 * KM_PG_MAYSHARE: the other mappings are found the way anon_vma finds them, by looking at the
 * same virtual page in every process of the fork family (fork keeps addresses; mremap of a
 * shared page is not modelled). The mapcount is counted the same way when it is needed (COW
 * reuse, unmap), so no per-frame counter is kept.
 */
#include "analysis/kmodel/kmodel.h"

#include <stdlib.h>

struct km_family {
    struct km_mm *head;
    int n;
};

static uint64_t rmap_vpn(const struct km *km, uint32_t pfn, bool *thp)
{
    const struct km_frame *f = &km->frames[pfn];
    const struct km_pt *pt = pt_of_frame(km, f->b);
    *thp = fr_test(f, KM_PG_THP);
    return pt->base_vpn + (*thp ? 0 : fr_slot(f));
}

/* Does mm map pfn at vpn? Returns the entry's table and slot (KM_HUGE_SLOT for a THP). */
static bool maps_at(struct km *km, struct km_mm *mm, uint64_t vpn, uint32_t pfn, bool thp,
                    struct km_pt **ptp, unsigned *slotp)
{
    if (mm->exited || mm->pgd == NULL)
        return false;
    struct km_pt *t = mm->pgd;
    for (int level = 4; level > 1; level--) {
        uint64_t e = t->e[(unsigned)(vpn >> (9 * (level - 1))) & 511u];
        if (e == 0)
            return false;
        t = (struct km_pt *)(uintptr_t)e;
    }
    (void)km;
    uint64_t e = thp ? t->huge : t->e[vpn & 511u];
    if ((e & KM_PTE_PRESENT) && !(e & KM_PTE_ZERO) && KM_PTE_PFN(e) == pfn) {
        *ptp = t;
        *slotp = thp ? KM_HUGE_SLOT : (unsigned)(vpn & 511u);
        return true;
    }
    return false;
}

int rmap_walk_anon(struct km *km, uint32_t pfn, rmap_fn fn, void *arg)
{
    struct km_frame *f = &km->frames[pfn];
    struct km_pt *pt = pt_of_frame(km, f->b);
    if (!fr_test(f, KM_PG_MAYSHARE)) {
        if (fn)
            fn(km, pt->mm, pt, fr_test(f, KM_PG_THP) ? KM_HUGE_SLOT : fr_slot(f), pfn, arg);
        return 1;
    }
    bool thp;
    uint64_t vpn = rmap_vpn(km, pfn, &thp);
    struct km_family *fam = pt->mm->fam;
    int n = 0;
    for (struct km_mm *mm = fam->head; mm; mm = mm->fam_next) {
        struct km_pt *t;
        unsigned slot;
        if (!maps_at(km, mm, vpn, pfn, thp, &t, &slot))
            continue;
        n++;
        if (fn && !fn(km, mm, t, slot, pfn, arg))
            break;
    }
    return n;
}

int rmap_mapcount(struct km *km, uint32_t pfn)
{
    int n = rmap_walk_anon(km, pfn, NULL, NULL);
    if (n <= 1)
        fr_clear(&km->frames[pfn], KM_PG_MAYSHARE);
    return n;
}

/* The mapping named by the frame went away: name another one if the family still maps it. */
bool rmap_repoint(struct km *km, uint32_t pfn)
{
    struct km_frame *f = &km->frames[pfn];
    if (!fr_test(f, KM_PG_MAYSHARE))
        return false;
    bool thp;
    uint64_t vpn = rmap_vpn(km, pfn, &thp);
    struct km_pt *pt = pt_of_frame(km, f->b);
    int n = 0;
    struct km_pt *first = NULL;
    unsigned first_slot = 0;
    for (struct km_mm *mm = pt->mm->fam->head; mm; mm = mm->fam_next) {
        struct km_pt *t;
        unsigned slot;
        if (maps_at(km, mm, vpn, pfn, thp, &t, &slot)) {
            if (n++ == 0) {
                first = t;
                first_slot = slot;
            }
        }
    }
    if (n == 0)
        return false;
    f->b = first->pfn;
    fr_set_slot(f, first_slot == KM_HUGE_SLOT ? 0 : first_slot);
    /* The memcg charge stays with the page, as in the kernel. */
    if (n == 1)
        fr_clear(f, KM_PG_MAYSHARE);
    return true;
}

/* ---- Families -------------------------------------------------------------------------- */

struct km_family *rmap_family_new(struct km_mm *mm)
{
    struct km_family *fam = calloc(1, sizeof(*fam));
    if (fam == NULL) {
        fprintf(stderr, "kmodel: out of host memory\n");
        exit(3);
    }
    rmap_family_join(fam, mm);
    return fam;
}

void rmap_family_join(struct km_family *fam, struct km_mm *mm)
{
    mm->fam = fam;
    mm->fam_next = fam->head;
    fam->head = mm;
    fam->n++;
}

void rmap_family_leave(struct km_mm *mm)
{
    struct km_family *fam = mm->fam;
    if (fam == NULL)
        return;
    for (struct km_mm **pp = &fam->head; *pp; pp = &(*pp)->fam_next) {
        if (*pp == mm) {
            *pp = mm->fam_next;
            break;
        }
    }
    mm->fam = NULL;
    mm->fam_next = NULL;
    if (--fam->n == 0)
        free(fam);
}
