/*
 * file.c — files and the page cache: read(2) and private file mappings (mm/filemap.c,
 * mm/readahead.c, mm/memory.c do_read_fault / do_cow_fault).
 *
 *   struct km_file: pages[index] = 0 (never cached) | pfn + 1 (cached) | shadow (bit 31)
 *   a cached page: frame FILE, b = index, slot bits = file id, on the file LRU of the memcg of
 *   the process that read it first
 *
 * read(2) marks each page accessed (folio_mark_accessed: the first access sets PG_referenced,
 * the second activates); a miss reads a readahead window of up to 32 pages (read_ahead_kb 128)
 * from the disk (pgpgin). A read fault in a file mapping maps the page and, from the page
 * cache only, up to 16 neighbours (fault-around, 64 KiB window) in one fault; a miss reads a
 * 32-page window around it and is a major fault. A write fault in a private mapping copies the
 * page into an anon page (COW). Files are clean: there is no writeback of page cache.
 *
 * Approximation: the async readahead marker and the ra state machine are reduced to "read the
 * next 32 missing pages"; mapcount of page-cache pages is found by walking the mappings.
 */
#include "analysis/kmodel/kmodel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RA_PAGES     32u
#define FAULT_AROUND 16u

int file_create(struct km *km, const char *name, uint64_t bytes)
{
    if (km->nfiles >= KM_MAX_FILES)
        return -1;
    if (file_find(km, name) >= 0)
        return -1;
    uint64_t npages = (bytes + KM_PAGE_SIZE - 1) >> KM_PAGE_SHIFT;
    if (npages == 0 || npages >= KM_NIL)
        return -1;
    struct km_file *nf = realloc(km->files, (size_t)(km->nfiles + 1) * sizeof(*nf));
    if (nf == NULL)
        return -1;
    km->files = nf;
    struct km_file *f = &km->files[km->nfiles];
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->npages = npages;
    f->pages = calloc(npages, sizeof(uint32_t));
    if (f->pages == NULL)
        return -1;
    return km->nfiles++;
}

int file_find(const struct km *km, const char *name)
{
    for (int i = 0; i < km->nfiles; i++)
        if (strcmp(km->files[i].name, name) == 0)
            return i;
    return -1;
}

static uint32_t cached(const struct km_file *f, uint64_t idx)
{
    uint32_t e = f->pages[idx];
    return (e == 0 || (e & KM_SHADOW_TAG)) ? KM_NIL : e - 1;
}

/* Read one page from "disk" into the page cache (filemap_add_folio + workingset_refault). */
static uint32_t read_page(struct km *km, struct km_mm *mm, int file, uint64_t idx, bool io)
{
    struct km_file *f = &km->files[file];
    uint32_t pfn = palloc_alloc(km, KM_GFP_USER, 0, KM_FS_FILE);
    if (pfn == KM_NIL)
        return KM_NIL;
    if (cached(f, idx) != KM_NIL) { /* read by the reclaim that the allocation ran */
        palloc_free(km, pfn, 0);
        return cached(f, idx);
    }
    if (memcg_charge(km, mm->memcg, 1, false) != 0) {
        palloc_free(km, pfn, 0);
        return KM_NIL;
    }
    struct km_frame *fr = &km->frames[pfn];
    fr_set_lru(fr, KM_FS_FILE, KM_PG_NONZERO, (unsigned)file);
    fr_set_memcg(fr, (unsigned)mm->memcg);
    fr->b = (uint32_t)idx;
    uint32_t shadow = f->pages[idx];
    f->pages[idx] = pfn + 1;
    f->nr_cached++;
    km->nr_file++;
    km->memcg[mm->memcg].cache++;
    if (io)
        km->vm[KM_VM_pgpgin] += KM_PAGE_SIZE >> 10;
    if (shadow & KM_SHADOW_TAG)
        workingset_refault(km, pfn, shadow);
    lru_add(km, pfn);
    return pfn;
}

/* Read [idx, idx + n) where missing; returns the pages read, -1 if the process died. */
static int64_t readahead(struct km *km, struct km_mm *mm, int file, uint64_t idx, uint64_t n)
{
    struct km_file *f = &km->files[file];
    int64_t nread = 0;
    for (uint64_t i = idx; i < idx + n && i < f->npages; i++) {
        if (cached(f, i) != KM_NIL)
            continue;
        if (read_page(km, mm, file, i, true) == KM_NIL)
            return mm->killed || mm->oom_blocked ? -1 : nread;
        nread++;
    }
    return nread;
}

int file_read(struct km *km, struct km_mm *mm, int file, uint64_t off, uint64_t len)
{
    struct km_file *f = &km->files[file];
    if (len == 0)
        return 0;
    uint64_t first = off >> KM_PAGE_SHIFT, last = (off + len - 1) >> KM_PAGE_SHIFT;
    if (last >= f->npages)
        last = f->npages - 1;
    for (uint64_t i = first; i <= last; i++) {
        if (mm->killed || mm->oom_blocked)
            return -1;
        uint32_t pfn = cached(f, i);
        if (pfn == KM_NIL) {
            int64_t n = readahead(km, mm, file, i, RA_PAGES);
            if (n < 0)
                return -1;
            proc_charge_time(km, (uint64_t)(km->calib.v[KM_COST_FILE_READ_IO_PAGE] * (double)n));
            pfn = cached(f, i);
            if (pfn == KM_NIL) {
                oom_kill(km, -1, "page cache read");
                return -1;
            }
        }
        lru_mark_accessed(km, pfn);
        proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_FILE_READ_PAGE]);
        if (km->kswapd.awake)
            kswapd_catch_up(km);
    }
    return 0;
}

/* Put [idx, idx + n) in the page cache without I/O (a file a running system has cached). */
void file_warm(struct km *km, struct km_mm *mm, int file, uint64_t idx, uint64_t n)
{
    struct km_file *f = &km->files[file];
    for (uint64_t i = idx; i < idx + n && i < f->npages; i++) {
        if (cached(f, i) != KM_NIL)
            continue;
        if (read_page(km, mm, file, i, false) == KM_NIL)
            return;
    }
}

void file_evict(struct km *km, uint32_t pfn, uint32_t shadow)
{
    struct km_frame *fr = &km->frames[pfn];
    struct km_file *f = &km->files[fr_slot(fr)];
    int cg = (int)fr_memcg(fr);
    f->pages[fr->b] = shadow;
    f->nr_cached--;
    km->nr_file--;
    km->memcg[cg].cache--;
    memcg_uncharge(km, cg, 1, false);
    fr->a = KM_FS_FREE; /* plain frame again: palloc_free sets its free state */
    palloc_free(km, pfn, 0);
}

void file_unmap_page(struct km *km, uint32_t pfn)
{
    (void)km, (void)pfn; /* mapcounts are found by walking the mappings */
}

/* ---- Mapped page cache ----------------------------------------------------------------------------- */

typedef bool (*map_fn)(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t *e, void *arg);

/* Call fn for every PTE that maps the page-cache frame pfn; returns how many. */
static int walk_mappings(struct km *km, uint32_t pfn, map_fn fn, void *arg)
{
    const struct km_frame *fr = &km->frames[pfn];
    int file = (int)fr_slot(fr);
    uint64_t idx = fr->b;
    if (km->files[file].map_vmas == 0)
        return 0;
    int n = 0;
    for (int i = 0; i < km->nmm; i++) {
        struct km_mm *mm = km->mm[i];
        if (mm == NULL || mm->exited)
            continue;
        for (size_t k = 0; k < mm->nvma; k++) {
            struct km_vma *v = &mm->vmas[k];
            if (v->file != file || idx < v->pgoff)
                continue;
            uint64_t addr = v->start + ((idx - v->pgoff) << KM_PAGE_SHIFT);
            if (addr >= v->end)
                continue;
            bool huge;
            uint64_t *e = pt_walk(km, mm, addr >> KM_PAGE_SHIFT, false, &huge);
            if (e == NULL || huge || !(*e & KM_PTE_PRESENT) || (*e & KM_PTE_ZERO) ||
                KM_PTE_PFN(*e) != pfn)
                continue;
            n++;
            if (fn && !fn(km, mm, v, e, arg))
                return n;
        }
    }
    return n;
}

bool file_page_mapped(struct km *km, uint32_t pfn)
{
    return walk_mappings(km, pfn, NULL, NULL) > 0;
}

struct fref {
    int target_cg;
    int referenced;
    uint32_t vm_flags;
};

static bool fref_one(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t *e, void *arg)
{
    (void)km;
    struct fref *r = arg;
    if (r->target_cg > 0 && mm->memcg != r->target_cg)
        return true;
    r->vm_flags |= v->flags;
    if (*e & KM_PTE_YOUNG) {
        *e &= ~KM_PTE_YOUNG;
        r->referenced++;
    }
    return true;
}

int file_referenced(struct km *km, uint32_t pfn, int target_cg, uint32_t *vm_flags)
{
    struct fref r = {target_cg, 0, 0};
    walk_mappings(km, pfn, fref_one, &r);
    *vm_flags = r.vm_flags;
    return r.referenced;
}

static bool unmap_one(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t *e, void *arg)
{
    (void)km, (void)v, (void)arg;
    *e = 0;
    mm->pte_hint->nr--;
    mm->counters[KM_MM_FILE]--;
    return true;
}

bool file_try_unmap(struct km *km, uint32_t pfn)
{
    walk_mappings(km, pfn, unmap_one, NULL);
    return true;
}

int file_fault(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t addr, bool write)
{
    int file = v->file;
    struct km_file *f = &km->files[file];
    uint64_t idx = v->pgoff + ((addr - v->start) >> KM_PAGE_SHIFT);
    if (idx >= f->npages) {
        km->last_errno = EFAULT; /* SIGBUS beyond the end of the file */
        return -1;
    }
    bool major = false;
    uint32_t pfn = cached(f, idx);
    if (pfn == KM_NIL) {
        /* do_sync_mmap_readahead(): read around the fault. */
        uint64_t start = idx >= RA_PAGES / 2 ? idx - RA_PAGES / 2 : 0;
        int64_t n = readahead(km, mm, file, start, RA_PAGES);
        if (n < 0)
            return -1;
        pfn = cached(f, idx);
        if (pfn == KM_NIL) {
            oom_kill(km, -1, "file fault");
            return -1;
        }
        major = true;
        proc_charge_time(km, (uint64_t)(km->calib.v[KM_COST_FILE_READ_IO_PAGE] * (double)n));
    }
    struct km_pt *pt = pt_pte_table(km, mm, addr >> KM_PAGE_SHIFT, true);
    if (pt == NULL)
        return -1;
    if (write && !(v->flags & KM_VM_SHARED)) {
        /* do_cow_fault(): the process gets an anon copy; the page cache page stays. */
        uint64_t *e = &pt->e[(addr >> KM_PAGE_SHIFT) & 511];
        *e = ((uint64_t)pfn << KM_PTE_SHIFT) | KM_PTE_PRESENT;
        pt->nr++;
        mm->counters[KM_MM_FILE]++;
        lru_mark_accessed(km, pfn);
        /* The copy is the write-protect path of fault.c, run as part of the same fault. */
        int r = fault_file_cow(km, mm, v, addr);
        if (major) {
            mm->majflt++;
            mm->minflt--;
            mm->perf_majflt++;
            mm->perf_minflt--;
            km->vm[KM_VM_pgmajfault]++;
        }
        return r;
    }
    /* do_read_fault() with do_fault_around(): cached neighbours in the 64 KiB window. */
    uint64_t a0 = addr & ~((uint64_t)FAULT_AROUND * KM_PAGE_SIZE - 1);
    uint64_t a1 = a0 + FAULT_AROUND * KM_PAGE_SIZE;
    if (a0 < v->start)
        a0 = v->start;
    if (a1 > v->end)
        a1 = v->end;
    uint64_t pmd0 = addr & ~((1ULL << 21) - 1);
    if (a0 < pmd0)
        a0 = pmd0;
    if (a1 > pmd0 + (1ULL << 21))
        a1 = pmd0 + (1ULL << 21);
    for (uint64_t a = a0; a < a1; a += KM_PAGE_SIZE) {
        uint64_t i = v->pgoff + ((a - v->start) >> KM_PAGE_SHIFT);
        if (i >= f->npages)
            break;
        uint32_t p = cached(f, i);
        uint64_t *e = &pt->e[(a >> KM_PAGE_SHIFT) & 511];
        if (p == KM_NIL || *e != 0)
            continue;
        *e = ((uint64_t)p << KM_PTE_SHIFT) | KM_PTE_PRESENT | KM_PTE_YOUNG |
             ((v->flags & KM_VM_SHARED) && (v->flags & KM_VM_WRITE) ? KM_PTE_WRITE : 0);
        pt->nr++;
        mm->counters[KM_MM_FILE]++;
    }
    proc_update_hiwater(mm);
    if (major) {
        mm->majflt++;
        mm->perf_majflt++;
        km->vm[KM_VM_pgmajfault]++;
        km->memcg[mm->memcg].pgmajfault++;
    } else {
        mm->minflt++;
        mm->perf_minflt++;
        proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_FAULT_READ_ZERO]);
    }
    return 0;
}

uint64_t file_drop_caches(struct km *km)
{
    uint64_t n = 0;
    km->vm[KM_VM_drop_pagecache]++;
    for (int fi = 0; fi < km->nfiles; fi++) {
        struct km_file *f = &km->files[fi];
        for (uint64_t i = 0; i < f->npages; i++) {
            uint32_t pfn = cached(f, i);
            if (pfn == KM_NIL) {
                if (f->pages[i] & KM_SHADOW_TAG)
                    f->pages[i] = 0;
                continue;
            }
            if (file_page_mapped(km, pfn) || !fr_test(&km->frames[pfn], KM_PG_LRU))
                continue;
            lru_del(km, pfn);
            file_evict(km, pfn, 0);
            n++;
        }
    }
    return n;
}
