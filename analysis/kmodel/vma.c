/*
 * vma.c — a process's mappings: mmap, munmap, mprotect, brk, mremap, madvise (mm/mmap.c,
 * mm/vma.c, mm/mprotect.c, mm/mremap.c, mm/madvise.c).
 *
 *   mm->vmas: sorted, non-overlapping [start, end) ranges        (the kernel's maple tree)
 *
 *   0 ... start_brk [heap] brk ....... gaps ......... [mmaps grow down from mmap_base] ... [stack]
 *
 * New mappings are placed top-down below mmap_base (unmapped_area_topdown), anonymous ones of
 * a multiple of 2 MiB on a 2 MiB boundary (thp_get_unmapped_area), and merge with a neighbour
 * whose flags, file and anon_vma are compatible (vma_merge). Splits and merges cost
 * vm_area_struct objects in the slab model, anon_vma objects are shared by split and merged
 * VMAs and counted by reference, and the maple tree's nodes are estimated from the VMA count.
 *
 * Commit charge (section 5): private writable mappings, shared anonymous ones, brk growth,
 * stack growth, mremap growth and mprotect(PROT_WRITE) of an unaccounted private mapping are
 * charged; munmap and brk shrink release the charge; MADV_DONTNEED and MADV_FREE do not.
 *
 * Invariants (vma_check): the array is sorted, ranges are page aligned, non-empty and do not
 * overlap; Σ pages of VM_ACCOUNT VMAs = mm->committed; Σ pages = mm->total_vm.
 */
#include "analysis/kmodel/kmodel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MASK_    (~(KM_PAGE_SIZE - 1))
#define PMD_SIZE      (1ULL << 21)
#define TASK_SIZE     0x7ffffffff000ULL
#define MMAP_MIN_ADDR 65536ULL

static uint64_t pages_of(const struct km_vma *v)
{
    return (v->end - v->start) >> KM_PAGE_SHIFT;
}

/* ---- anon_vma objects (counted by reference; each costs one slab object) ------------------ */

static uint32_t av_new(struct km *km)
{
    if (km->nav + 1 >= km->av_cap) {
        uint32_t cap = km->av_cap ? km->av_cap * 2 : 64;
        uint32_t *r = realloc(km->av_refs, cap * sizeof(*r));
        if (r == NULL) {
            fprintf(stderr, "kmodel: out of host memory\n");
            exit(3);
        }
        memset(r + km->av_cap, 0, (cap - km->av_cap) * sizeof(*r));
        km->av_refs = r;
        km->av_cap = cap;
    }
    uint32_t id = ++km->nav;
    km->av_refs[id] = 1;
    kobj_alloc(km, KM_KO_ANON_VMA, 1);
    return id;
}

static void av_get(struct km *km, uint32_t id)
{
    if (id)
        km->av_refs[id]++;
}

static void av_put(struct km *km, uint32_t id)
{
    if (id && --km->av_refs[id] == 0)
        kobj_alloc(km, KM_KO_ANON_VMA, -1);
}

/* anon_vma_prepare(): the VMA's first anon page attaches an anon_vma, reusing a compatible
 * neighbour's (find_mergeable_anon_vma) or allocating one, plus one anon_vma_chain. */
static void anon_vma_prepare(struct km *km, struct km_mm *mm, struct km_vma *v)
{
    if (v->anon_vma)
        return;
    size_t i = (size_t)(v - mm->vmas);
    uint32_t id = 0;
    if (i > 0 && mm->vmas[i - 1].end == v->start && mm->vmas[i - 1].anon_vma &&
        mm->vmas[i - 1].navc <= 1)
        id = mm->vmas[i - 1].anon_vma;
    else if (i + 1 < mm->nvma && mm->vmas[i + 1].start == v->end && mm->vmas[i + 1].anon_vma &&
             mm->vmas[i + 1].navc <= 1)
        id = mm->vmas[i + 1].anon_vma;
    if (id)
        av_get(km, id);
    else
        id = av_new(km);
    v->anon_vma = id;
    v->navc = 1;
    kobj_alloc(km, KM_KO_AVC, 1);
}

void vma_anon_prepare(struct km *km, struct km_mm *mm, struct km_vma *v)
{
    anon_vma_prepare(km, mm, v);
}

/* ---- The sorted array ------------------------------------------------------------------- */

/* The first VMA that ends above addr. */
static size_t lower_bound(const struct km_mm *mm, uint64_t addr)
{
    size_t lo = 0, hi = mm->nvma;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (mm->vmas[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct km_vma *vma_find(struct km_mm *mm, uint64_t addr)
{
    if (mm->vma_hint < mm->nvma) {
        struct km_vma *v = &mm->vmas[mm->vma_hint];
        if (addr >= v->start && addr < v->end)
            return v;
    }
    size_t i = lower_bound(mm, addr);
    if (i < mm->nvma && mm->vmas[i].start <= addr) {
        mm->vma_hint = i;
        return &mm->vmas[i];
    }
    return NULL;
}

/*
 * The maple tree's node count, estimated: about one node per two VMAs. The kernel's count
 * swings between 0.3 and 1 per VMA with the nodes waiting for RCU to free them (measured by
 * E8 on the reference VM; KMODEL-SPEC.md section 9 says 0.5-1 with preallocation slack).
 */
static uint64_t maple_nodes_for(uint64_t nvma)
{
    return (nvma + 1) / 2;
}

static void update_maple(struct km *km, struct km_mm *mm, int64_t delta_vmas)
{
    int64_t before = (int64_t)maple_nodes_for((uint64_t)((int64_t)mm->nvma - delta_vmas));
    int64_t after = (int64_t)maple_nodes_for(mm->nvma);
    if (after != before)
        kobj_alloc(km, KM_KO_MAPLE, after - before);
}

static void insert_at(struct km *km, struct km_mm *mm, size_t i, const struct km_vma *v)
{
    if (mm->nvma == mm->vma_cap) {
        size_t cap = mm->vma_cap ? mm->vma_cap * 2 : 16;
        struct km_vma *n = realloc(mm->vmas, cap * sizeof(*n));
        if (n == NULL) {
            fprintf(stderr, "kmodel: out of host memory\n");
            exit(3);
        }
        mm->vmas = n;
        mm->vma_cap = cap;
    }
    memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvma - i) * sizeof(*v));
    mm->vmas[i] = *v;
    mm->nvma++;
    mm->vma_hint = i;
    if (v->file >= 0)
        km->files[v->file].map_vmas++;
    kobj_alloc(km, KM_KO_VMA, 1);
    update_maple(km, mm, 1);
}

static void remove_at(struct km *km, struct km_mm *mm, size_t i)
{
    struct km_vma *v = &mm->vmas[i];
    if (v->file >= 0)
        km->files[v->file].map_vmas--;
    av_put(km, v->anon_vma);
    if (v->navc)
        kobj_alloc(km, KM_KO_AVC, -(int64_t)v->navc);
    memmove(&mm->vmas[i], &mm->vmas[i + 1], (mm->nvma - i - 1) * sizeof(*v));
    mm->nvma--;
    mm->vma_hint = 0;
    kobj_alloc(km, KM_KO_VMA, -1);
    update_maple(km, mm, -1);
}

/* __split_vma(): [start, addr) and [addr, end); the anon_vma is shared, the chain cloned. */
static int split_at(struct km *km, struct km_mm *mm, size_t i, uint64_t addr)
{
    struct km_vma v = mm->vmas[i];
    km_assert(addr > v.start && addr < v.end);
    if (mm->nvma >= (size_t)km->cfg.max_map_count)
        return -ENOMEM;
    struct km_vma hi = v;
    hi.start = addr;
    if (hi.file >= 0)
        hi.pgoff = v.pgoff + ((addr - v.start) >> KM_PAGE_SHIFT);
    mm->vmas[i].end = addr;
    av_get(km, hi.anon_vma);
    if (hi.navc)
        kobj_alloc(km, KM_KO_AVC, (int64_t)hi.navc);
    insert_at(km, mm, i + 1, &hi);
    return 0;
}

static bool anon_compatible(const struct km_vma *a, const struct km_vma *b)
{
    if (a->anon_vma == b->anon_vma)
        return true;
    if (!a->anon_vma)
        return b->navc <= 1;
    if (!b->anon_vma)
        return a->navc <= 1;
    return false;
}

static bool can_merge(const struct km_vma *a, const struct km_vma *b)
{
    if (a->end != b->start || a->flags != b->flags || a->file != b->file)
        return false;
    if (a->flags & (KM_VM_STACK))
        return false;
    if (a->file >= 0 && a->pgoff + pages_of(a) != b->pgoff)
        return false;
    return anon_compatible(a, b);
}

/* vmas[j + 1] joins vmas[j] (compatible, adjacent): vmas[j] grows over it, taking its
 * anon_vma when it has none, and vmas[j + 1] goes. */
static void merge_next(struct km *km, struct km_mm *mm, size_t j)
{
    struct km_vma *a = &mm->vmas[j], *b = &mm->vmas[j + 1];
    a->end = b->end;
    if (!a->anon_vma && b->anon_vma) {
        a->anon_vma = b->anon_vma;
        av_get(km, a->anon_vma);
        a->navc = b->navc;
        kobj_alloc(km, KM_KO_AVC, (int64_t)a->navc);
    }
    remove_at(km, mm, j + 1);
}

/* Merge vmas[i] with its neighbours when they are compatible; returns the resulting index. */
static size_t merge_around(struct km *km, struct km_mm *mm, size_t i)
{
    if (i + 1 < mm->nvma && can_merge(&mm->vmas[i], &mm->vmas[i + 1]))
        merge_next(km, mm, i);
    if (i > 0 && can_merge(&mm->vmas[i - 1], &mm->vmas[i]))
        merge_next(km, mm, --i);
    mm->vma_hint = i;
    return i;
}

/* ---- Placement ---------------------------------------------------------------------------- */

/* The highest gap below `high` that holds len bytes; 0 when none. */
static uint64_t unmapped_area_topdown(const struct km_mm *mm, uint64_t len, uint64_t high)
{
    uint64_t gap_end = high;
    size_t i = lower_bound(mm, high);
    /* VMAs at or above `high` do not matter; walk down from the one below. */
    for (;;) {
        uint64_t gap_start = MMAP_MIN_ADDR;
        size_t below = i; /* vmas[below - 1] is the next VMA under gap_end */
        while (below > 0 && mm->vmas[below - 1].start >= gap_end)
            below--;
        if (below > 0) {
            const struct km_vma *p = &mm->vmas[below - 1];
            if (p->end > gap_end) { /* gap_end is inside p */
                gap_end = p->start;
                i = below - 1;
                continue;
            }
            gap_start = p->end;
        }
        if (gap_end >= gap_start + len && gap_end - len >= MMAP_MIN_ADDR)
            return gap_end - len;
        if (below == 0)
            return 0;
        gap_end = mm->vmas[below - 1].start;
        i = below - 1;
    }
}

static bool range_free(const struct km_mm *mm, uint64_t addr, uint64_t len)
{
    size_t i = lower_bound(mm, addr);
    return i >= mm->nvma || mm->vmas[i].start >= addr + len;
}

static uint64_t get_unmapped_area(const struct km_mm *mm, uint64_t hint, uint64_t len, bool anon)
{
    if (len > TASK_SIZE - MMAP_MIN_ADDR)
        return 0;
    if (hint) {
        hint = (hint + KM_PAGE_SIZE - 1) & PAGE_MASK_;
        if (hint >= MMAP_MIN_ADDR && hint + len <= TASK_SIZE && range_free(mm, hint, len))
            return hint;
    }
    if (anon && len >= PMD_SIZE && (len & (PMD_SIZE - 1)) == 0) {
        /* thp_get_unmapped_area(): pad by PMD_SIZE, then align. */
        uint64_t ret = unmapped_area_topdown(mm, len + PMD_SIZE, mm->mmap_base);
        if (ret) {
            uint64_t off_sub = (0 - ret) & (PMD_SIZE - 1);
            return off_sub == 0 ? ret + PMD_SIZE : ret + off_sub;
        }
    }
    return unmapped_area_topdown(mm, len, mm->mmap_base);
}

/* ---- Teardown of ranges ---------------------------------------------------------------- */

/* Unmap the pages of [start, end) inside v (zap_page_range_single); returns resident pages
 * that were unmapped. */
uint64_t vma_zap_range(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t start,
                       uint64_t end)
{
    uint64_t zapped = 0;
    for (uint64_t a = start; a < end;) {
        uint64_t vpn = a >> KM_PAGE_SHIFT;
        bool huge;
        uint64_t *e = pt_walk(km, mm, vpn, false, &huge);
        if (e == NULL) {
            /* No table here: skip to the next 2 MiB (the walk stopped at or above PMD). */
            a = ((a >> 21) + 1) << 21;
            continue;
        }
        if (huge) {
            uint64_t base = a & ~(PMD_SIZE - 1);
            if (base < start || base + PMD_SIZE > end) {
                thp_split_pmd(km, mm, v, base);
                continue; /* now PTE-mapped: walk again */
            }
            zapped += thp_zap_pmd(km, mm, mm->pte_hint);
            a = base + PMD_SIZE;
            continue;
        }
        struct km_pt *pt = mm->pte_hint;
        uint64_t last = ((a >> 21) + 1) << 21;
        if (last > end)
            last = end;
        for (; a < last; a += KM_PAGE_SIZE) {
            e = &pt->e[(a >> KM_PAGE_SHIFT) & 511];
            uint64_t pte = *e;
            if (pte == 0)
                continue;
            *e = 0;
            pt->nr--;
            if (pte & KM_PTE_SWAP) {
                swap_slot_put(km, KM_PTE_PFN(pte));
                mm->counters[KM_MM_SWAPENTS]--;
                continue;
            }
            if (pte & KM_PTE_ZERO)
                continue;
            uint32_t pfn = KM_PTE_PFN(pte);
            zapped++;
            if (fr_state(&km->frames[pfn]) == KM_FS_FILE) {
                mm->counters[KM_MM_FILE]--;
                if (pte & KM_PTE_DIRTY)
                    fr_set(&km->frames[pfn], KM_PG_DIRTY);
                file_unmap_page(km, pfn);
                continue;
            }
            mm->counters[KM_MM_ANON]--;
            if (pte & KM_PTE_DIRTY)
                fr_set(&km->frames[pfn], KM_PG_DIRTY);
            fault_put_anon(km, pfn, pt, (unsigned)((a >> KM_PAGE_SHIFT) & 511));
        }
    }
    return zapped;
}

/* Unmap [start, end) completely: split, zap, unaccount, free the VMAs and tables. */
static int do_munmap(struct km *km, struct km_mm *mm, uint64_t start, uint64_t end)
{
    size_t i = lower_bound(mm, start);
    if (i >= mm->nvma || mm->vmas[i].start >= end)
        return 0;
    /* A split in the middle of one VMA needs one more map slot. */
    if (mm->vmas[i].start < start && mm->vmas[i].end > end &&
        mm->nvma >= (size_t)km->cfg.max_map_count)
        return -ENOMEM;
    if (mm->vmas[i].start < start) {
        int r = split_at(km, mm, i, start);
        if (r)
            return r;
        i++;
    }
    size_t j = i;
    while (j < mm->nvma && mm->vmas[j].start < end)
        j++;
    if (mm->vmas[j - 1].end > end) {
        int r = split_at(km, mm, j - 1, end);
        if (r)
            return r;
    }
    uint64_t zapped = 0;
    uint64_t first = mm->vmas[i].start, last = mm->vmas[j - 1].end;
    for (size_t k = i; k < j; k++) {
        struct km_vma *v = &mm->vmas[k];
        zapped += vma_zap_range(km, mm, v, v->start, v->end);
        uint64_t np = pages_of(v);
        if (v->flags & KM_VM_ACCOUNT) {
            commit_unacct(km, mm, np);
            mm->committed -= np;
        }
        mm->total_vm -= np;
        if ((v->flags & (KM_VM_WRITE | KM_VM_SHARED | KM_VM_STACK)) == KM_VM_WRITE)
            mm->data_vm -= np;
    }
    uint64_t floor = i > 0 ? mm->vmas[i - 1].end : 0;
    uint64_t ceiling = j < mm->nvma ? mm->vmas[j].start : 0;
    for (size_t k = j; k > i; k--)
        remove_at(km, mm, k - 1);
    pt_free_range(km, mm, first, last, floor, ceiling);
    proc_charge_time(km, (uint64_t)(km->calib.v[KM_COST_MUNMAP_PAGE] * (double)zapped));
    return 0;
}

/* ---- mmap ------------------------------------------------------------------------------- */

static uint32_t prot_to_flags(unsigned prot)
{
    uint32_t f = 0;
    if (prot & KM_PROT_READ)
        f |= KM_VM_READ;
    if (prot & KM_PROT_WRITE)
        f |= KM_VM_WRITE;
    if (prot & KM_PROT_EXEC)
        f |= KM_VM_EXEC;
    return f;
}

/* Does a mapping with these flags count against RLIMIT_DATA (data_vm)? */
static bool is_data_mapping(uint32_t f)
{
    return (f & (KM_VM_WRITE | KM_VM_SHARED | KM_VM_STACK)) == KM_VM_WRITE;
}

uint64_t vma_mmap(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t len, unsigned prot,
                  unsigned flags, int file, uint64_t pgoff, int *err)
{
    proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_MMAP_CALL]);
    *err = 0;
    if (len == 0) {
        *err = EINVAL;
        return 0;
    }
    uint64_t alen = (len + KM_PAGE_SIZE - 1) & PAGE_MASK_;
    if (alen < len || alen > TASK_SIZE) {
        *err = ENOMEM;
        return 0;
    }
    if (!(flags & (KM_MAP_PRIVATE | KM_MAP_SHARED))) {
        *err = EINVAL;
        return 0;
    }
    if (mm->nvma > (size_t)km->cfg.max_map_count) {
        *err = ENOMEM;
        return 0;
    }
    bool anon = file < 0;
    uint32_t vf = prot_to_flags(prot) | KM_VM_MAYWRITE;
    if (flags & KM_MAP_SHARED)
        vf |= KM_VM_SHARED;
    if (!anon)
        vf |= KM_VM_FILE;
    if ((flags & KM_MAP_NORESERVE) && km->cfg.overcommit_memory != 2)
        vf |= KM_VM_NORESERVE;
    if (flags & KM_MAP_FIXED) {
        if (addr & ~PAGE_MASK_) {
            *err = EINVAL;
            return 0;
        }
        if (addr < MMAP_MIN_ADDR || addr + alen > TASK_SIZE) {
            *err = ENOMEM;
            return 0;
        }
    } else {
        addr = get_unmapped_area(mm, addr, alen, anon);
        if (addr == 0) {
            *err = ENOMEM;
            return 0;
        }
    }
    uint64_t np = alen >> KM_PAGE_SHIFT;
    /* accountable_mapping(): private writable; shared anonymous memory is charged by shmem. */
    bool charge =
        !(vf & KM_VM_NORESERVE) &&
        (((vf & (KM_VM_SHARED | KM_VM_WRITE)) == KM_VM_WRITE) || ((vf & KM_VM_SHARED) && anon));
    if (charge && commit_vm_enough_memory(km, mm, np, true) != 0) {
        *err = ENOMEM;
        return 0;
    }
    if (charge)
        vf |= KM_VM_ACCOUNT;
    if (flags & KM_MAP_FIXED) {
        int r = do_munmap(km, mm, addr, addr + alen);
        if (r) {
            if (charge)
                commit_unacct(km, mm, np);
            *err = -r;
            return 0;
        }
    }
    struct km_vma v = {.start = addr,
                       .end = addr + alen,
                       .flags = vf,
                       .file = file,
                       .pgoff = pgoff,
                       .anon_vma = 0,
                       .navc = 0};
    size_t i = lower_bound(mm, addr);
    insert_at(km, mm, i, &v);
    merge_around(km, mm, i);
    mm->total_vm += np;
    if (is_data_mapping(vf))
        mm->data_vm += np;
    if (charge)
        mm->committed += np;
    if (flags & KM_MAP_POPULATE) {
        bool write = (vf & (KM_VM_WRITE | KM_VM_SHARED)) == KM_VM_WRITE;
        fault_populate(km, mm, addr, addr + alen, write);
    }
    return addr;
}

int vma_munmap(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t len)
{
    proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_MUNMAP_CALL]);
    if ((addr & ~PAGE_MASK_) || len == 0 || addr > TASK_SIZE || len > TASK_SIZE - addr)
        return -EINVAL;
    uint64_t end = (addr + len + KM_PAGE_SIZE - 1) & PAGE_MASK_;
    return do_munmap(km, mm, addr, end);
}

/* ---- mprotect ------------------------------------------------------------------------------ */

static void change_protection(struct km *km, struct km_mm *mm, struct km_vma *v)
{
    bool noaccess = !(v->flags & (KM_VM_READ | KM_VM_WRITE | KM_VM_EXEC));
    bool writable = (v->flags & KM_VM_WRITE) != 0;
    for (uint64_t a = v->start; a < v->end;) {
        bool huge;
        uint64_t *e = pt_walk(km, mm, a >> KM_PAGE_SHIFT, false, &huge);
        if (e == NULL) {
            a = ((a >> 21) + 1) << 21;
            continue;
        }
        if (huge) {
            uint64_t base = a & ~(PMD_SIZE - 1);
            if (base < v->start || base + PMD_SIZE > v->end) {
                thp_split_pmd(km, mm, v, base);
                continue;
            }
            thp_change_prot(km, mm->pte_hint, noaccess, writable);
            a = base + PMD_SIZE;
            continue;
        }
        struct km_pt *pt = mm->pte_hint;
        uint64_t last = ((a >> 21) + 1) << 21;
        if (last > v->end)
            last = v->end;
        for (; a < last; a += KM_PAGE_SIZE) {
            uint64_t *p = &pt->e[(a >> KM_PAGE_SHIFT) & 511];
            uint64_t pte = *p;
            if (!(pte & KM_PTE_PRESENT))
                continue;
            pte &= ~KM_PTE_NOACCESS;
            if (noaccess)
                pte |= KM_PTE_NOACCESS;
            if (!writable) {
                pte &= ~KM_PTE_WRITE;
            } else if (!(pte & (KM_PTE_ZERO | KM_PTE_WRITE))) {
                /* can_change_pte_writable(): an exclusive anon page becomes writable now. */
                uint32_t pfn = KM_PTE_PFN(pte);
                const struct km_frame *f = &km->frames[pfn];
                if (fr_state(f) == KM_FS_ANON && !fr_test(f, KM_PG_MAYSHARE) &&
                    !(v->flags & KM_VM_SHARED))
                    pte |= KM_PTE_WRITE;
            }
            *p = pte;
        }
    }
}

int vma_mprotect(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t len, unsigned prot)
{
    proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_MMAP_CALL]);
    if (addr & ~PAGE_MASK_)
        return -EINVAL;
    if (len == 0)
        return 0;
    uint64_t end = (addr + len + KM_PAGE_SIZE - 1) & PAGE_MASK_;
    if (end <= addr)
        return -ENOMEM;
    /* The whole range must be mapped. */
    uint64_t a = addr;
    for (size_t i = lower_bound(mm, addr); a < end; i++) {
        if (i >= mm->nvma || mm->vmas[i].start > a)
            return -ENOMEM;
        a = mm->vmas[i].end;
    }
    uint32_t newprot = prot_to_flags(prot);
    size_t i = lower_bound(mm, addr);
    while (i < mm->nvma && mm->vmas[i].start < end) {
        struct km_vma *v = &mm->vmas[i];
        uint32_t nf = (v->flags & ~(KM_VM_READ | KM_VM_WRITE | KM_VM_EXEC)) | newprot;
        if (nf == v->flags) {
            i++;
            continue;
        }
        uint64_t s = v->start > addr ? v->start : addr, e = v->end < end ? v->end : end;
        uint64_t np = (e - s) >> KM_PAGE_SHIFT;
        bool charge = (nf & KM_VM_WRITE) &&
                      !(v->flags & (KM_VM_ACCOUNT | KM_VM_WRITE | KM_VM_SHARED | KM_VM_NORESERVE));
        if (charge) {
            if (commit_vm_enough_memory(km, mm, np, true) != 0)
                return -ENOMEM;
            nf |= KM_VM_ACCOUNT;
        }
        if (v->start < s) {
            if (split_at(km, mm, i, s) != 0) {
                if (charge)
                    commit_unacct(km, mm, np);
                return -ENOMEM;
            }
            i++;
            v = &mm->vmas[i];
        }
        if (v->end > e) {
            if (split_at(km, mm, i, e) != 0) {
                if (charge)
                    commit_unacct(km, mm, np);
                return -ENOMEM;
            }
            v = &mm->vmas[i];
        }
        bool was_data = is_data_mapping(v->flags);
        v->flags = nf;
        if (charge)
            mm->committed += np;
        if (was_data != is_data_mapping(nf))
            mm->data_vm += was_data ? -np : np;
        change_protection(km, mm, v);
        i = merge_around(km, mm, i) + 1;
    }
    return 0;
}

/* ---- brk ------------------------------------------------------------------------------------------ */

uint64_t vma_brk(struct km *km, struct km_mm *mm, uint64_t newbrk)
{
    proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_BRK_CALL]);
    if (newbrk < mm->start_brk)
        return mm->brk;
    uint64_t oldbrk_al = (mm->brk + KM_PAGE_SIZE - 1) & PAGE_MASK_;
    uint64_t newbrk_al = (newbrk + KM_PAGE_SIZE - 1) & PAGE_MASK_;
    if (newbrk_al < newbrk)
        return mm->brk;
    if (oldbrk_al == newbrk_al) {
        mm->brk = newbrk;
        return mm->brk;
    }
    if (newbrk < mm->brk) {
        if (do_munmap(km, mm, newbrk_al, oldbrk_al) != 0)
            return mm->brk;
        mm->brk = newbrk;
        return mm->brk;
    }
    /* check_brk_limits + find_vma_intersection(oldbrk, newbrk + PAGE_SIZE). */
    if (newbrk_al + KM_PAGE_SIZE > mm->mmap_base ||
        !range_free(mm, oldbrk_al, newbrk_al + KM_PAGE_SIZE - oldbrk_al))
        return mm->brk;
    uint64_t np = (newbrk_al - oldbrk_al) >> KM_PAGE_SHIFT;
    if (mm->nvma > (size_t)km->cfg.max_map_count)
        return mm->brk;
    if (commit_vm_enough_memory(km, mm, np, true) != 0)
        return mm->brk;
    uint32_t vf = KM_VM_READ | KM_VM_WRITE | KM_VM_MAYWRITE | KM_VM_ACCOUNT | KM_VM_HEAP;
    size_t i = lower_bound(mm, oldbrk_al);
    if (i > 0 && mm->vmas[i - 1].end == oldbrk_al && mm->vmas[i - 1].flags == vf) {
        mm->vmas[i - 1].end = newbrk_al;
    } else {
        struct km_vma v = {.start = oldbrk_al, .end = newbrk_al, .flags = vf, .file = -1};
        insert_at(km, mm, i, &v);
    }
    mm->total_vm += np;
    mm->data_vm += np;
    mm->committed += np;
    mm->brk = newbrk;
    return mm->brk;
}

/* ---- mremap ----------------------------------------------------------------------------------------- */

/* Move the page-table entries of [old, old+len) to new (move_page_tables). */
static int move_ptes(struct km *km, struct km_mm *mm, struct km_vma *ov, uint64_t old, uint64_t new,
                     uint64_t len)
{
    for (uint64_t off = 0; off < len; off += KM_PAGE_SIZE) {
        bool huge;
        uint64_t *e = pt_walk(km, mm, (old + off) >> KM_PAGE_SHIFT, false, &huge);
        if (e && huge) {
            thp_split_pmd(km, mm, ov, (old + off) & ~(PMD_SIZE - 1));
            e = pt_walk(km, mm, (old + off) >> KM_PAGE_SHIFT, false, &huge);
        }
        if (e == NULL || *e == 0)
            continue;
        uint64_t pte = *e;
        struct km_pt *opt = mm->pte_hint;
        *e = 0;
        opt->nr--;
        struct km_pt *npt = pt_pte_table(km, mm, (new + off) >> KM_PAGE_SHIFT, true);
        if (npt == NULL) {
            /* Put it back: the move fails as the kernel's does (ENOMEM). */
            opt->e[((old + off) >> KM_PAGE_SHIFT) & 511] = pte;
            opt->nr++;
            return -ENOMEM;
        }
        unsigned slot = (unsigned)(((new + off) >> KM_PAGE_SHIFT) & 511);
        npt->e[slot] = pte;
        npt->nr++;
        if ((pte & KM_PTE_PRESENT) && !(pte & KM_PTE_ZERO)) {
            uint32_t pfn = KM_PTE_PFN(pte);
            struct km_frame *f = &km->frames[pfn];
            if (fr_state(f) == KM_FS_ANON && f->b == opt->pfn &&
                fr_slot(f) == (((old + off) >> KM_PAGE_SHIFT) & 511)) {
                f->b = npt->pfn;
                fr_set_slot(f, slot);
            }
        }
    }
    return 0;
}

uint64_t vma_mremap(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t oldlen,
                    uint64_t newlen, int *err)
{
    proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_MMAP_CALL]);
    *err = 0;
    if (addr & ~PAGE_MASK_) {
        *err = EINVAL;
        return 0;
    }
    oldlen = (oldlen + KM_PAGE_SIZE - 1) & PAGE_MASK_;
    newlen = (newlen + KM_PAGE_SIZE - 1) & PAGE_MASK_;
    if (newlen == 0 || newlen > TASK_SIZE) {
        *err = EINVAL;
        return 0;
    }
    struct km_vma *v = vma_find(mm, addr);
    if (v == NULL || addr + oldlen > v->end) {
        *err = EFAULT;
        return 0;
    }
    if (newlen <= oldlen) {
        if (newlen < oldlen && do_munmap(km, mm, addr + newlen, addr + oldlen) != 0) {
            *err = ENOMEM;
            return 0;
        }
        return addr;
    }
    uint64_t grow = (newlen - oldlen) >> KM_PAGE_SHIFT;
    bool acct = (v->flags & KM_VM_ACCOUNT) != 0;
    if (mm->nvma > (size_t)km->cfg.max_map_count) {
        *err = ENOMEM;
        return 0;
    }
    if (acct && commit_vm_enough_memory(km, mm, grow, true) != 0) {
        *err = ENOMEM;
        return 0;
    }
    /* Grow in place when the range ends the VMA and the gap above is free. */
    if (addr + oldlen == v->end && range_free(mm, v->end, newlen - oldlen) &&
        addr + newlen <= TASK_SIZE) {
        size_t i = (size_t)(v - mm->vmas);
        v->end = addr + newlen;
        mm->total_vm += grow;
        if (is_data_mapping(v->flags))
            mm->data_vm += grow;
        if (acct)
            mm->committed += grow;
        merge_around(km, mm, i);
        return addr;
    }
    /* Move: a new VMA, the page tables moved over, the old range unmapped. */
    uint64_t na = get_unmapped_area(mm, 0, newlen, v->file < 0);
    if (na == 0) {
        if (acct)
            commit_unacct(km, mm, grow);
        *err = ENOMEM;
        return 0;
    }
    struct km_vma nv = *v;
    nv.start = na;
    nv.end = na + newlen;
    if (nv.file >= 0)
        nv.pgoff = v->pgoff + ((addr - v->start) >> KM_PAGE_SHIFT);
    av_get(km, nv.anon_vma);
    if (nv.navc)
        kobj_alloc(km, KM_KO_AVC, (int64_t)nv.navc);
    size_t ni = lower_bound(mm, na);
    insert_at(km, mm, ni, &nv);
    v = vma_find(mm, addr);
    if (move_ptes(km, mm, v, addr, na, oldlen) != 0) {
        *err = ENOMEM;
        return 0;
    }
    /* move_vma(): the new VMA takes over the charge (old + grow, charged above); the old
     * one's VM_ACCOUNT is concealed so that unmapping it releases nothing. */
    uint32_t of = v->flags;
    uint64_t vs = v->start, ve = v->end;
    mm->total_vm += newlen >> KM_PAGE_SHIFT;
    if (is_data_mapping(of))
        mm->data_vm += newlen >> KM_PAGE_SHIFT;
    if (acct) {
        mm->committed += newlen >> KM_PAGE_SHIFT;
        v->flags &= ~KM_VM_ACCOUNT;
        mm->committed -= oldlen >> KM_PAGE_SHIFT;
    }
    do_munmap(km, mm, addr, addr + oldlen);
    /* The parts of the old VMA outside the moved range keep their charge (move_vma():
     * account_start / account_end). */
    if (acct && vs < addr && (v = vma_find(mm, vs)) != NULL)
        v->flags |= KM_VM_ACCOUNT;
    if (acct && ve > addr + oldlen && (v = vma_find(mm, addr + oldlen)) != NULL)
        v->flags |= KM_VM_ACCOUNT;
    v = vma_find(mm, na);
    if (v)
        merge_around(km, mm, (size_t)(v - mm->vmas));
    return na;
}

/* ---- madvise ------------------------------------------------------------------------------------------ */

static int set_vma_flag_range(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t end,
                              uint32_t set, uint32_t clear)
{
    size_t i = lower_bound(mm, addr);
    while (i < mm->nvma && mm->vmas[i].start < end) {
        struct km_vma *v = &mm->vmas[i];
        uint32_t nf = (v->flags & ~clear) | set;
        if (nf == v->flags) {
            i++;
            continue;
        }
        if (v->start < addr) {
            if (split_at(km, mm, i, addr))
                return -ENOMEM;
            i++;
            v = &mm->vmas[i];
        }
        if (v->end > end) {
            if (split_at(km, mm, i, end))
                return -ENOMEM;
            v = &mm->vmas[i];
        }
        v->flags = nf;
        i = merge_around(km, mm, i) + 1;
    }
    return 0;
}

int vma_madvise(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t len, enum km_madv adv)
{
    proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_MMAP_CALL] / 2);
    if (addr & ~PAGE_MASK_)
        return -EINVAL;
    uint64_t end = (addr + len + KM_PAGE_SIZE - 1) & PAGE_MASK_;
    if (end < addr)
        return -EINVAL;
    if (end == addr)
        return 0;
    int ret = 0;
    switch (adv) {
    case KM_MADV_HUGEPAGE:
        ret = set_vma_flag_range(km, mm, addr, end, KM_VM_HUGEPAGE, KM_VM_NOHUGEPAGE);
        break;
    case KM_MADV_NOHUGEPAGE:
        ret = set_vma_flag_range(km, mm, addr, end, KM_VM_NOHUGEPAGE, KM_VM_HUGEPAGE);
        break;
    default:
        break;
    }
    if (ret)
        return ret;
    /* Walk the mapped parts; an unmapped hole makes the call return ENOMEM at the end. */
    bool hole = false;
    uint64_t a = addr;
    size_t i = lower_bound(mm, addr);
    while (a < end) {
        if (i >= mm->nvma || mm->vmas[i].start >= end) {
            hole = true;
            break;
        }
        struct km_vma *v = &mm->vmas[i];
        if (v->start > a)
            hole = true;
        uint64_t s = v->start > a ? v->start : a, e = v->end < end ? v->end : end;
        switch (adv) {
        case KM_MADV_DONTNEED: {
            uint64_t z = vma_zap_range(km, mm, v, s, e);
            pt_reclaim_empty(km, mm, s, e);
            proc_charge_time(km,
                             (uint64_t)(km->calib.v[KM_COST_MADVISE_DONTNEED_PAGE] * (double)z));
            break;
        }
        case KM_MADV_FREE:
            if (v->file < 0 && !(v->flags & KM_VM_SHARED))
                fault_madv_free(km, mm, v, s, e);
            else
                ret = -EINVAL;
            break;
        case KM_MADV_PAGEOUT:
        case KM_MADV_COLD:
            fault_madv_cold_pageout(km, mm, v, s, e, adv == KM_MADV_PAGEOUT);
            break;
        case KM_MADV_POPULATE_WRITE:
        case KM_MADV_POPULATE_READ:
            if (fault_populate(km, mm, s, e, adv == KM_MADV_POPULATE_WRITE) != 0)
                return -ENOMEM;
            break;
        default:
            break;
        }
        a = e;
        i = lower_bound(mm, a);
    }
    if (ret)
        return ret;
    return hole ? -ENOMEM : 0;
}

/* ---- fork and exit ------------------------------------------------------------------------------------ */

int vma_dup(struct km *km, struct km_mm *parent, struct km_mm *child)
{
    for (size_t i = 0; i < parent->nvma; i++) {
        struct km_vma v = parent->vmas[i];
        uint64_t np = pages_of(&v);
        if ((v.flags & KM_VM_ACCOUNT) && commit_vm_enough_memory(km, parent, np, true) != 0)
            return -ENOMEM;
        struct km_vma c = v;
        c.anon_vma = 0;
        c.navc = 0;
        if (v.anon_vma) {
            /* anon_vma_fork(): clone the parent's chain, then a new anon_vma of our own. */
            c.anon_vma = av_new(km);
            c.navc = v.navc + 1;
            kobj_alloc(km, KM_KO_AVC, (int64_t)c.navc);
        }
        insert_at(km, child, child->nvma, &c);
        child->total_vm += np;
        if (is_data_mapping(v.flags))
            child->data_vm += np;
        if (v.flags & KM_VM_ACCOUNT)
            child->committed += np;
    }
    return 0;
}

void vma_free_all(struct km *km, struct km_mm *mm)
{
    if (mm->nvma == 0) {
        pt_destroy(km, mm);
        return;
    }
    for (size_t k = 0; k < mm->nvma; k++) {
        struct km_vma *v = &mm->vmas[k];
        vma_zap_range(km, mm, v, v->start, v->end);
        if (v->flags & KM_VM_ACCOUNT)
            commit_unacct(km, mm, pages_of(v));
    }
    mm->total_vm = mm->data_vm = mm->committed = 0;
    while (mm->nvma)
        remove_at(km, mm, mm->nvma - 1);
    pt_destroy(km, mm);
}

void vma_check(const struct km *km, const struct km_mm *mm)
{
    (void)km;
    uint64_t total = 0, acct = 0;
    for (size_t i = 0; i < mm->nvma; i++) {
        const struct km_vma *v = &mm->vmas[i];
        if (v->start >= v->end || (v->start & ~PAGE_MASK_) || (v->end & ~PAGE_MASK_))
            km_check_fail("vma: empty or unaligned VMA");
        if (i > 0 && mm->vmas[i - 1].end > v->start)
            km_check_fail("vma: VMAs overlap or are unsorted");
        total += pages_of(v);
        if (v->flags & KM_VM_ACCOUNT)
            acct += pages_of(v);
    }
    if (total != mm->total_vm)
        km_check_fail("vma: total_vm differs from the VMAs");
    if (acct != mm->committed)
        km_check_fail("vma: committed pages differ from the VM_ACCOUNT VMAs");
}
