/*
 * swap.c — one swap device: slots, the swap cache, the zeromap and swap-in with VMA
 * readahead (KMODEL-SPEC.md sections 4.1, 4.8; mm/swapfile.c, mm/swap_state.c, mm/page_io.c,
 * mm/memory.c do_swap_page).
 *
 *   slot 0 is the header; slots 1..nslots-1 are total_swap_pages
 *   map[slot]   = USED | CACHE (a page is in the swap cache) | ZERO (zeromap) | count of PTEs
 *   cache[slot] = the swap-cache frame, or a workingset shadow once the page is gone
 *   cg[slot]    = 1 + the memcg whose memsw counter pays for the entry (swap_cgroup), 0 none
 *
 * Swap-out (reclaim.c): add_to_swap gives the frame a slot; unmapping turns its PTEs into swap
 * entries (count); pageout writes it (pswpout) unless it is all zeros (swpout_zero: zeromap,
 * no I/O); the frame then leaves the cache, leaving a shadow.
 * Swap-in: a hit in the swap cache is a minor fault; otherwise the VMA readahead window
 * (<= 2^page-cluster pages, grown by hits) is read (pswpin or swpin_zero) and the fault is
 * major. A write fault, or a swap device more than half full, frees the slot.
 *
 * Slots are allocated next-fit from a cursor, which is what the kernel's per-CPU cluster
 * allocator looks like to a single writer. Writes complete at once (no async writeback).
 *
 * Invariants (swap_check): nr_free = slots not USED; a CACHE slot names a frame in the swap
 * cache whose slot is this one; every swap PTE's slot is USED with count >= 1.
 */
#include "analysis/kmodel/kmodel.h"

#include <stdlib.h>
#include <string.h>

#define PMD_SIZE (1ULL << 21)

static uint64_t hslot(uint64_t key, uint64_t cap)
{
    key *= 0x9e3779b97f4a7c15ULL;
    return (key >> 17) & (cap - 1);
}

static void hmap_put(struct km_swap *s, uint32_t pfn, uint32_t slot);

static void hmap_grow(struct km_swap *s)
{
    uint64_t ocap = s->hcap;
    uint32_t *ok = s->hkey, *ov = s->hval;
    s->hcap = ocap ? ocap * 2 : 1024;
    s->hkey = calloc(s->hcap, sizeof(uint32_t));
    s->hval = calloc(s->hcap, sizeof(uint32_t));
    if (s->hkey == NULL || s->hval == NULL) {
        fprintf(stderr, "kmodel: out of host memory for the swap cache\n");
        exit(3);
    }
    s->hcount = 0;
    for (uint64_t i = 0; i < ocap; i++)
        if (ok[i])
            hmap_put(s, ok[i] - 1, ov[i]);
    free(ok);
    free(ov);
}

static void hmap_put(struct km_swap *s, uint32_t pfn, uint32_t slot)
{
    if ((s->hcount + 1) * 2 > s->hcap)
        hmap_grow(s);
    uint64_t i = hslot(pfn, s->hcap);
    while (s->hkey[i] && s->hkey[i] != pfn + 1)
        i = (i + 1) & (s->hcap - 1);
    if (!s->hkey[i])
        s->hcount++;
    s->hkey[i] = pfn + 1;
    s->hval[i] = slot;
}

static uint64_t hmap_find(const struct km_swap *s, uint32_t pfn)
{
    if (!s->hcap)
        return UINT64_MAX;
    uint64_t i = hslot(pfn, s->hcap);
    while (s->hkey[i]) {
        if (s->hkey[i] == pfn + 1)
            return i;
        i = (i + 1) & (s->hcap - 1);
    }
    return UINT64_MAX;
}

/* Backward-shift deletion keeps probe chains intact. */
static void hmap_del(struct km_swap *s, uint32_t pfn)
{
    uint64_t i = hmap_find(s, pfn);
    if (i == UINT64_MAX)
        return;
    s->hkey[i] = 0;
    s->hcount--;
    uint64_t j = i;
    for (;;) {
        j = (j + 1) & (s->hcap - 1);
        if (!s->hkey[j])
            break;
        uint64_t h = hslot(s->hkey[j] - 1, s->hcap);
        bool move = (j > i) ? (h <= i || h > j) : (h <= i && h > j);
        if (move) {
            s->hkey[i] = s->hkey[j];
            s->hval[i] = s->hval[j];
            s->hkey[j] = 0;
            i = j;
        }
    }
}

int swap_init(struct km *km, uint64_t bytes)
{
    struct km_swap *s = &km->swap;
    uint64_t n = bytes >> KM_PAGE_SHIFT;
    if (n < 2 || n >= KM_NIL)
        return -1;
    s->nslots = n;
    s->map = calloc(n, sizeof(uint32_t));
    s->cache = calloc(n, sizeof(uint32_t));
    s->cg = calloc(n, 1);
    if (s->map == NULL || s->cache == NULL || s->cg == NULL)
        return -1;
    s->map[0] = KM_SWP_USED; /* the header */
    s->nr_free = n - 1;
    s->cursor = 1;
    return 0;
}

void swap_fini(struct km *km)
{
    struct km_swap *s = &km->swap;
    free(s->map);
    free(s->cache);
    free(s->cg);
    free(s->hkey);
    free(s->hval);
    memset(s, 0, sizeof(*s));
}

uint64_t swap_total_pages(const struct km *km)
{
    return km->swap.nslots ? km->swap.nslots - 1 : 0;
}

uint64_t swap_free_pages(const struct km *km)
{
    return km->swap.nr_free;
}

bool swap_full(const struct km *km)
{
    return km->swap.nr_free * 2 < swap_total_pages(km);
}

uint32_t swap_slot_of(struct km *km, uint32_t pfn)
{
    uint64_t i = hmap_find(&km->swap, pfn);
    return i == UINT64_MAX ? KM_NIL : km->swap.hval[i];
}

static void free_slot(struct km *km, uint32_t slot)
{
    struct km_swap *s = &km->swap;
    if (s->cg[slot]) {
        memcg_swap_uncharge(km, s->cg[slot] - 1, 1);
        s->cg[slot] = 0;
    }
    s->map[slot] = 0;
    s->cache[slot] = 0;
    s->nr_free++;
}

bool swap_add_to_cache(struct km *km, uint32_t pfn)
{
    struct km_swap *s = &km->swap;
    if (s->nr_free == 0)
        return false;
    uint64_t slot = s->cursor;
    while (s->map[slot] & KM_SWP_USED) {
        slot++;
        if (slot >= s->nslots)
            slot = 1;
    }
    s->cursor = slot + 1 < s->nslots ? slot + 1 : 1;
    s->map[slot] = KM_SWP_USED | KM_SWP_CACHE;
    s->cache[slot] = pfn;
    s->nr_free--;
    hmap_put(s, pfn, (uint32_t)slot);
    fr_set(&km->frames[pfn], KM_PG_SWAPCACHE);
    km->nr_swapcache++;
    return true;
}

/* Remove the frame from the swap cache; the slot goes too when no PTE refers to it. */
void swap_cache_del(struct km *km, uint32_t pfn, uint32_t shadow)
{
    struct km_swap *s = &km->swap;
    uint32_t slot = swap_slot_of(km, pfn);
    if (slot == KM_NIL)
        return;
    hmap_del(s, pfn);
    fr_clear(&km->frames[pfn], KM_PG_SWAPCACHE | KM_PG_READAHEAD);
    km->nr_swapcache--;
    s->map[slot] &= ~KM_SWP_CACHE;
    if ((s->map[slot] & KM_SWP_COUNT) == 0) {
        free_slot(km, slot);
        return;
    }
    s->cache[slot] = shadow;
}

void swap_slot_get(struct km *km, uint32_t slot)
{
    km->swap.map[slot]++;
}

void swap_slot_put(struct km *km, uint32_t slot)
{
    struct km_swap *s = &km->swap;
    km_assert((s->map[slot] & KM_SWP_COUNT) > 0);
    s->map[slot]--;
    if (s->map[slot] & KM_SWP_COUNT)
        return;
    if (s->map[slot] & KM_SWP_CACHE) {
        /* __try_to_reclaim_swap(): an unmapped swap-cache page goes with its slot. */
        uint32_t pfn = s->cache[slot];
        struct km_frame *f = &km->frames[pfn];
        if (f->b == KM_NIL && fr_test(f, KM_PG_LRU))
            fault_free_anon(km, pfn);
        return;
    }
    free_slot(km, slot);
}

/* folio_free_swap(): the page leaves the swap cache and becomes dirty again. */
void swap_free_cache_slot(struct km *km, uint32_t pfn)
{
    uint32_t slot = swap_slot_of(km, pfn);
    if (slot == KM_NIL)
        return;
    if (km->swap.map[slot] & KM_SWP_COUNT)
        return; /* other PTEs still refer to it (folio_swapped) */
    swap_cache_del(km, pfn, 0);
    fr_set(&km->frames[pfn], KM_PG_DIRTY);
}

/* __swapin_nr_pages(). */
static uint32_t swapin_nr_pages(uint64_t prev, uint64_t off, uint32_t hits, uint32_t max,
                                uint32_t prev_win)
{
    uint32_t pages = hits + 2;
    if (pages == 2) {
        if (off != prev + 1 && off != prev - 1)
            pages = 1;
    } else {
        uint32_t roundup = 4;
        while (roundup < pages)
            roundup <<= 1;
        pages = roundup;
    }
    if (pages > max)
        pages = max;
    if (pages < prev_win / 2)
        pages = prev_win / 2;
    return pages;
}

/* Read one slot into a new swap-cache page (__read_swap_cache_async + swap_read_folio). */
static uint32_t read_slot(struct km *km, struct km_mm *mm, uint32_t slot, bool readahead)
{
    struct km_swap *s = &km->swap;
    uint32_t pfn = palloc_alloc(km, KM_GFP_USER, 0, KM_FS_ANON);
    if (pfn == KM_NIL)
        return KM_NIL;
    /* The fault or the reclaim it caused may have read the slot meanwhile. */
    if ((s->map[slot] & KM_SWP_CACHE) || !(s->map[slot] & KM_SWP_USED)) {
        palloc_free(km, pfn, 0);
        return (s->map[slot] & KM_SWP_CACHE) ? s->cache[slot] : KM_NIL;
    }
    int cg = s->cg[slot] ? s->cg[slot] - 1 : mm->memcg;
    struct km_mm *saved = km->cur;
    if (memcg_charge(km, cg, 1, false) != 0) {
        km->cur = saved;
        palloc_free(km, pfn, 0);
        return KM_NIL;
    }
    if ((s->map[slot] & KM_SWP_CACHE) || !(s->map[slot] & KM_SWP_USED)) {
        memcg_uncharge(km, cg, 1, false);
        palloc_free(km, pfn, 0);
        return (s->map[slot] & KM_SWP_CACHE) ? s->cache[slot] : KM_NIL;
    }
    struct km_frame *f = &km->frames[pfn];
    fr_set_lru(f, KM_FS_ANON, 0, 0);
    fr_set_memcg(f, (unsigned)cg);
    f->b = KM_NIL; /* not mapped yet */
    km->nr_anon++;
    km->memcg[cg].rss++;
    uint32_t shadow = s->cache[slot];
    s->map[slot] |= KM_SWP_CACHE;
    s->cache[slot] = pfn;
    hmap_put(s, pfn, slot);
    fr_set(f, KM_PG_SWAPCACHE);
    km->nr_swapcache++;
    if (s->cg[slot]) { /* mem_cgroup_swapin_uncharge_swap() */
        memcg_swap_uncharge(km, s->cg[slot] - 1, 1);
        s->cg[slot] = 0;
    }
    if (s->map[slot] & KM_SWP_ZERO) {
        km->vm[KM_VM_swpin_zero]++;
    } else {
        fr_set(f, KM_PG_NONZERO);
        km->vm[KM_VM_pswpin]++;
        km->vm[KM_VM_pgpgin] += KM_PAGE_SIZE >> 10;
    }
    if (readahead) {
        fr_set(f, KM_PG_READAHEAD);
        km->vm[KM_VM_swap_ra]++;
    }
    if (shadow & KM_SHADOW_TAG)
        workingset_refault(km, pfn, shadow);
    lru_add(km, pfn);
    return pfn;
}

int swap_fault(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t vpn, uint64_t *pte,
               struct km_pt *pt, bool write)
{
    struct km_swap *s = &km->swap;
    uint32_t slot = KM_PTE_PFN(*pte);
    bool major = false;
    uint32_t pfn;
    if (s->map[slot] & KM_SWP_CACHE) {
        pfn = s->cache[slot];
        struct km_frame *f = &km->frames[pfn];
        bool ra = fr_test(f, KM_PG_READAHEAD);
        if (ra) {
            fr_clear(f, KM_PG_READAHEAD);
            km->vm[KM_VM_swap_ra_hit]++;
        }
        /* swap_update_readahead(): the VMA remembers this address and counts the hit. */
        if (ra && v->ra_hits < 0xff)
            v->ra_hits++;
        v->ra_prev_vpn = vpn;
    } else {
        /* swap_vma_readahead(). */
        uint32_t max_win = 1u << (km->cfg.page_cluster < 5 ? km->cfg.page_cluster : 5);
        uint32_t win = 1;
        uint64_t start = vpn, end = vpn + 1;
        if (max_win > 1) {
            win = swapin_nr_pages(v->ra_prev_vpn, vpn, v->ra_hits, max_win, v->ra_win);
            uint64_t prev = v->ra_prev_vpn;
            v->ra_prev_vpn = vpn;
            v->ra_win = win;
            v->ra_hits = 0;
            if (win > 1) {
                uint64_t left;
                if (vpn == prev + 1)
                    left = vpn;
                else if (prev == vpn + 1)
                    left = vpn + 1 >= win ? vpn + 1 - win : 0;
                else
                    left = vpn >= (win - 1) / 2 ? vpn - (win - 1) / 2 : 0;
                uint64_t right = left + win;
                uint64_t pmd_lo = vpn & ~511ULL, pmd_hi = pmd_lo + 512;
                uint64_t vs = v->start >> KM_PAGE_SHIFT, ve = v->end >> KM_PAGE_SHIFT;
                start = left > vs ? left : vs;
                if (pmd_lo > start)
                    start = pmd_lo;
                end = right < ve ? right : ve;
                if (pmd_hi < end)
                    end = pmd_hi;
            }
        }
        uint64_t nread = 0;
        for (uint64_t a = start; a < end; a++) {
            if (a == vpn)
                continue;
            uint64_t e = pt->e[a & 511];
            if (!(e & KM_PTE_SWAP))
                continue;
            uint32_t sl = KM_PTE_PFN(e);
            if (s->map[sl] & KM_SWP_CACHE)
                continue;
            if (read_slot(km, mm, sl, true) != KM_NIL)
                nread++;
            if (mm->killed)
                return -1;
        }
        /* The target: the allocations above may have reclaimed and changed things. */
        if (!(*pte & KM_PTE_SWAP) || KM_PTE_PFN(*pte) != slot)
            return 0;
        pfn = (s->map[slot] & KM_SWP_CACHE) ? s->cache[slot] : read_slot(km, mm, slot, false);
        if (pfn == KM_NIL) {
            if (!mm->killed && !mm->oom_blocked)
                oom_kill(km, -1, "swap-in");
            return -1;
        }
        if (!(*pte & KM_PTE_SWAP) || KM_PTE_PFN(*pte) != slot)
            return 0;
        major = true;
        proc_charge_time(
            km, (uint64_t)(km->calib.v[KM_COST_SWAPIN_PAGE] * (1.0 + 0.25 * (double)nread)));
    }
    struct km_frame *f = &km->frames[pfn];
    bool exclusive = (s->map[slot] & KM_SWP_COUNT) == 1;
    bool writable = exclusive && (v->flags & KM_VM_WRITE);
    /* Map it: the rmap names this PTE. */
    *pte = ((uint64_t)pfn << KM_PTE_SHIFT) | KM_PTE_PRESENT | KM_PTE_YOUNG |
           (writable ? KM_PTE_WRITE : 0) | (writable && write ? KM_PTE_DIRTY : 0);
    if (f->b == KM_NIL) {
        f->b = pt->pfn;
        fr_set_slot(f, (unsigned)(vpn & 511));
    } else {
        fr_set(f, KM_PG_MAYSHARE); /* already mapped elsewhere (fork) */
    }
    mm->counters[KM_MM_ANON]++;
    mm->counters[KM_MM_SWAPENTS]--;
    proc_update_hiwater(mm);
    swap_slot_put(km, slot); /* the PTE's reference */
    /* should_try_to_free_swap() */
    if (fr_test(f, KM_PG_SWAPCACHE) && (swap_full(km) || (write && exclusive)))
        swap_free_cache_slot(km, pfn);
    if (write && !writable) {
        /* Not exclusive: the write copies (do_wp_page), as a second step of this fault. */
        *pte &= ~KM_PTE_WRITE;
    }
    if (major) {
        mm->majflt++;
        km->vm[KM_VM_pgmajfault]++;
        km->memcg[mm->memcg].pgmajfault++;
        mm->perf_majflt++;
    } else {
        mm->minflt++;
        mm->perf_minflt++;
        proc_charge_time(km, (uint64_t)km->calib.v[KM_COST_FAULT_READ_ZERO]);
    }
    return 0;
}

void swap_check(const struct km *km)
{
    const struct km_swap *s = &km->swap;
    if (!s->nslots)
        return;
    uint64_t nfree = 0;
    for (uint64_t i = 1; i < s->nslots; i++) {
        uint32_t m = s->map[i];
        if (!(m & KM_SWP_USED)) {
            nfree++;
            if (m || s->cg[i])
                km_check_fail("swap: a free slot has state");
            continue;
        }
        if (m & KM_SWP_CACHE) {
            uint32_t pfn = s->cache[i];
            if (pfn >= km->nframes || !fr_test(&km->frames[pfn], KM_PG_SWAPCACHE))
                km_check_fail("swap: cache slot names a frame not in the swap cache");
            uint64_t h = hmap_find(s, pfn);
            if (h == UINT64_MAX || s->hval[h] != i)
                km_check_fail("swap: frame-to-slot map disagrees");
        } else if ((m & KM_SWP_COUNT) == 0) {
            km_check_fail("swap: a used slot with no reference and no cached page");
        }
    }
    if (nfree != s->nr_free)
        km_check_fail("swap: free count wrong");
    if (s->hcount != km->nr_swapcache)
        km_check_fail("swap: swap cache count wrong");
}
