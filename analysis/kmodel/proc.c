/*
 * proc.c — simulated processes: creation (an exec'd process with an empty address space but
 * a stack), fork (dup_mmap + copy_page_range: COW), exit and kill.
 *
 *   struct km_mm: VMAs + page tables + RSS counters + fault counters + time
 *   kernel objects per process: task_struct, mm_struct, files/signal/sighand/fs structs, a pid,
 *   a 16 KiB kernel stack (4 pages), the PGD; per VMA the objects vma.c accounts.
 *
 * Every process is single-threaded and runs on CPU (id % ncpus). Time is charged to the
 * process that runs (km->cur) and advances the machine clock.
 */
#include "analysis/kmodel/kmodel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STACK_TOP    0x7ffffffff000ULL
#define STACK_SIZE   (132ULL << 10)
#define MMAP_BASE    0x7ffff7c00000ULL
#define START_BRK    0x555555560000ULL
#define KSTACK_PAGES 4

static const enum km_kobj per_task[] = {KM_KO_TASK,    KM_KO_MM, KM_KO_FILES, KM_KO_SIGNAL,
                                        KM_KO_SIGHAND, KM_KO_FS, KM_KO_PID};

static struct km_mm *mm_alloc(struct km *km, const char *name, int memcg)
{
    if (km->nmm == km->mm_cap) {
        int cap = km->mm_cap ? km->mm_cap * 2 : 8;
        struct km_mm **n = realloc(km->mm, (size_t)cap * sizeof(*n));
        if (n == NULL)
            return NULL;
        km->mm = n;
        km->mm_cap = cap;
    }
    struct km_mm *mm = calloc(1, sizeof(*mm));
    if (mm == NULL)
        return NULL;
    mm->id = km->nmm;
    snprintf(mm->name, sizeof(mm->name), "%s", name);
    mm->pid = 1000 + km->next_pid++;
    mm->cpu = mm->id % km->cfg.ncpus;
    mm->memcg = memcg;
    mm->parent = -1;
    mm->mmap_base = MMAP_BASE;
    mm->start_brk = mm->brk = START_BRK;
    for (int i = 0; i < KSTACK_PAGES; i++)
        mm->kstack[i] = KM_NIL;
    km->mm[km->nmm++] = mm;
    return mm;
}

/* The kernel side of a task: slab objects and the kernel stack (accounted to the memcg). */
static int task_kernel_alloc(struct km *km, struct km_mm *mm)
{
    for (size_t i = 0; i < sizeof(per_task) / sizeof(per_task[0]); i++)
        kobj_alloc(km, per_task[i], 1);
    mm->kobj_done = true;
    for (int i = 0; i < KSTACK_PAGES; i++) {
        if (memcg_charge(km, mm->memcg, 1, true) != 0)
            return -1;
        uint32_t p = palloc_alloc(km, KM_GFP_KERNEL, 0, KM_FS_KERNEL);
        if (p == KM_NIL) {
            memcg_uncharge(km, mm->memcg, 1, true);
            return -1;
        }
        fr_set_memcg(&km->frames[p], (unsigned)mm->memcg);
        mm->kstack[i] = p;
        km->nr_kernel_stack++;
    }
    return pt_create_pgd(km, mm);
}

static void task_kernel_free(struct km *km, struct km_mm *mm)
{
    if (mm->kobj_done) {
        for (size_t i = 0; i < sizeof(per_task) / sizeof(per_task[0]); i++)
            kobj_alloc(km, per_task[i], -1);
        mm->kobj_done = false;
    }
    for (int i = 0; i < KSTACK_PAGES; i++) {
        if (mm->kstack[i] == KM_NIL)
            continue;
        memcg_uncharge(km, (int)fr_memcg(&km->frames[mm->kstack[i]]), 1, true);
        palloc_free(km, mm->kstack[i], 0);
        mm->kstack[i] = KM_NIL;
        km->nr_kernel_stack--;
    }
}

static struct km_mm *create(struct km *km, const char *name, int memcg, bool stack)
{
    struct km_mm *mm = mm_alloc(km, name, memcg);
    if (mm == NULL)
        return NULL;
    struct km_mm *saved = km->cur;
    km->cur = mm;
    km->cur_cpu = mm->cpu;
    mm->fam = NULL;
    rmap_family_new(mm);
    if (task_kernel_alloc(km, mm) != 0) {
        km->cur = saved;
        mm->exited = true;
        return NULL;
    }
    /* The initial stack: 132 KiB below the top, one page in use (argv, envp, auxv). */
    int err;
    uint64_t a =
        !stack ? 0
               : vma_mmap(km, mm, STACK_TOP - STACK_SIZE, STACK_SIZE, KM_PROT_READ | KM_PROT_WRITE,
                          KM_MAP_PRIVATE | KM_MAP_FIXED | KM_MAP_ANON, -1, 0, &err);
    if (a) {
        struct km_vma *v = vma_find(mm, a);
        v->flags |= KM_VM_STACK;
        fault_touch(km, mm, STACK_TOP - KM_PAGE_SIZE, KM_TOUCH_WRITE);
        mm->minflt = mm->perf_minflt = 0;
    }
    mm->time_ns = 0;
    km->cur = saved ? saved : mm;
    if (saved)
        km->cur_cpu = saved->cpu;
    return mm;
}

struct km_mm *proc_create(struct km *km, const char *name, int memcg)
{
    return create(km, name, memcg, true);
}

struct km_mm *proc_create_bare(struct km *km, const char *name, int memcg)
{
    return create(km, name, memcg, false);
}

/* copy_page_range() for one VMA: share anon pages read-only, duplicate swap entries. */
static int copy_range(struct km *km, struct km_mm *src, struct km_mm *dst, const struct km_vma *v)
{
    if (!v->anon_vma && v->file < 0)
        return 0;
    for (uint64_t a = v->start; a < v->end; a += KM_PAGE_SIZE) {
        uint64_t vpn = a >> KM_PAGE_SHIFT;
        bool huge;
        uint64_t *se = pt_walk(km, src, vpn, false, &huge);
        if (se == NULL) {
            a = (((a >> 21) + 1) << 21) - KM_PAGE_SIZE;
            continue;
        }
        if (huge) {
            /* copy_huge_pmd(): the child gets a PMD mapping of the same THP. */
            uint64_t base = a & ~((1ULL << 21) - 1);
            if (thp_copy_pmd(km, src, dst, v, base, src->pte_hint) != 0)
                return -1;
            a = base + (1ULL << 21) - KM_PAGE_SIZE;
            continue;
        }
        uint64_t pte = *se;
        if (pte == 0)
            continue;
        struct km_pt *dpt = pt_pte_table(km, dst, vpn, true);
        if (dpt == NULL)
            return -1;
        /* The allocation may have reclaimed the source page: read it again. */
        se = pt_walk(km, src, vpn, false, &huge);
        if (se == NULL || huge)
            continue;
        pte = *se;
        if (pte == 0)
            continue;
        uint64_t *de = &dpt->e[vpn & 511];
        if (pte & KM_PTE_SWAP) {
            swap_slot_get(km, KM_PTE_PFN(pte));
            dst->counters[KM_MM_SWAPENTS]++;
            *de = pte;
            dpt->nr++;
            continue;
        }
        if (pte & KM_PTE_ZERO) {
            *de = pte;
            dpt->nr++;
            continue;
        }
        uint32_t pfn = KM_PTE_PFN(pte);
        struct km_frame *f = &km->frames[pfn];
        if (fr_state(f) == KM_FS_FILE) {
            *de = pte & ~KM_PTE_YOUNG;
            dpt->nr++;
            dst->counters[KM_MM_FILE]++;
            continue;
        }
        /* Private anon: write-protect both, the page becomes shared. */
        if (!(v->flags & KM_VM_SHARED))
            pte &= ~KM_PTE_WRITE;
        *se = pte;
        *de = pte & ~KM_PTE_YOUNG;
        dpt->nr++;
        fr_set(f, KM_PG_MAYSHARE);
        dst->counters[KM_MM_ANON]++;
    }
    return 0;
}

struct km_mm *proc_fork(struct km *km, struct km_mm *parent, const char *name)
{
    if (parent->killed || parent->exited)
        return NULL;
    struct km_mm *mm = mm_alloc(km, name, parent->memcg);
    if (mm == NULL)
        return NULL;
    km->cur = parent;
    km->cur_cpu = parent->cpu;
    mm->oom_score_adj = parent->oom_score_adj;
    mm->parent = parent->id;
    mm->start_brk = parent->start_brk;
    mm->brk = parent->brk;
    mm->mmap_base = parent->mmap_base;
    rmap_family_join(parent->fam, mm);
    if (task_kernel_alloc(km, mm) != 0 || vma_dup(km, parent, mm) != 0) {
        km->last_errno = ENOMEM;
        proc_exit(km, mm);
        return NULL;
    }
    for (size_t i = 0; i < mm->nvma; i++) {
        if (copy_range(km, parent, mm, &parent->vmas[i]) != 0) {
            km->last_errno = ENOMEM;
            proc_exit(km, mm);
            return NULL;
        }
    }
    mm->hiwater_rss = proc_rss(mm);
    proc_charge_time(km, (uint64_t)(km->calib.v[KM_COST_MMAP_CALL] * 10 +
                                    km->calib.v[KM_COST_MUNMAP_PAGE] * (double)proc_rss(parent)));
    return mm;
}

void proc_exit(struct km *km, struct km_mm *mm)
{
    if (mm->exited)
        return;
    struct km_mm *saved = km->cur;
    km->cur = mm;
    vma_free_all(km, mm);
    task_kernel_free(km, mm);
    mm->exited = true;
    rmap_family_leave(mm);
    free(mm->vmas);
    mm->vmas = NULL;
    mm->nvma = mm->vma_cap = 0;
    km->cur = saved == mm ? NULL : saved;
}

void proc_kill(struct km *km, struct km_mm *mm)
{
    mm->killed = true;
    proc_exit(km, mm);
}

struct km_mm *proc_find(struct km *km, const char *name)
{
    for (int i = km->nmm - 1; i >= 0; i--)
        if (strcmp(km->mm[i]->name, name) == 0)
            return km->mm[i];
    return NULL;
}

uint64_t proc_rss(const struct km_mm *mm)
{
    return mm->counters[KM_MM_ANON] + mm->counters[KM_MM_FILE] + mm->counters[KM_MM_SHMEM];
}

void proc_update_hiwater(struct km_mm *mm)
{
    uint64_t r = proc_rss(mm);
    if (r > mm->hiwater_rss)
        mm->hiwater_rss = r;
}

void proc_charge_time(struct km *km, uint64_t ns)
{
    km->now_ns += ns;
    if (km->cur)
        km->cur->time_ns += ns;
}
