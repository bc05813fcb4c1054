/*
 * kmodel.h — the kernel-side model: one simulated Linux machine (6.18, x86-64, 4 KiB pages,
 * classic two-list LRU) running simulated processes. Internal header of analysis/kmodel; every
 * cross-file name is declared here, grouped under the file that defines it.
 *
 * Glossary (names stay short):
 *   km     the machine (struct km)            pfn   index into km->frames (the model's frame number)
 *   fr     one page frame (struct km_frame)   vpn   virtual page number (address >> 12)
 *   mt     migratetype                        wm    watermark
 *   mm     a simulated process address space  pt    a page-table page (struct km_pt)
 *   lruvec the LRU lists of one memcg         cg    a memory cgroup (struct km_memcg)
 *   slot   a swap slot                        fam   the processes that share anon pages by fork
 *
 * Memory budget: a simulated frame is 16 bytes (struct km_frame); everything else is per
 * page-table page, per swap slot, per file page or per object, so a 64 GiB machine needs
 * 256 MiB of frames plus what its processes map (see README.md).
 */
#ifndef KMODEL_H
#define KMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- Debug levels ------------------------------------------------------------------------ */

#ifndef MINI_DEBUG
#define MINI_DEBUG 0
#endif
/* Checks: 1 = cheap asserts, 3 = walk every structure after every operation (debug variant). */
static const int km_debug = MINI_DEBUG;

/* Write the failed condition with write(2) and abort (no stdio, no allocation). */
void km_assert_fail(const char *file, int line, const char *cond, const char *msg);
#define km_assert(c)                                                                               \
    do {                                                                                           \
        if (MINI_DEBUG >= 1 && !(c))                                                               \
            km_assert_fail(__FILE__, __LINE__, #c, "");                                            \
    } while (0)
#define km_check_fail(msg) km_assert_fail(__FILE__, __LINE__, "invariant", msg)

/* ---- Constants (x86-64, 4 KiB pages; KMODEL-SPEC.md section 1) ---------------------------- */

#define KM_PAGE_SHIFT          12
#define KM_PAGE_SIZE           4096ULL
#define KM_MAX_ORDER           10 /* MAX_PAGE_ORDER: orders 0..10 */
#define KM_NR_ORDERS           11
#define KM_PAGEBLOCK_ORDER     9
#define KM_PAGEBLOCK_PAGES     512U
#define KM_COSTLY_ORDER        3
#define KM_SWAP_CLUSTER_MAX    32
#define KM_DEF_PRIORITY        12
#define KM_MAX_RECLAIM_RETRIES 16
#define KM_CHARGE_BATCH        64
#define KM_PTRS_PER_TABLE      512
#define KM_NIL                 UINT32_MAX
#define KM_MAX_CPUS            64
#define KM_MAX_MEMCG           255 /* memcg ids 0..254 fit in a frame's 8 bits; 0 is the root */
#define KM_MAX_FILES           511

enum km_zone_idx { KM_ZONE_DMA, KM_ZONE_DMA32, KM_ZONE_NORMAL, KM_ZONE_MOVABLE, KM_NR_ZONES };

/* Migratetypes in the kernel's order (mm/page_alloc.c migratetype_names). */
enum km_mt {
    KM_MT_UNMOVABLE,
    KM_MT_MOVABLE,
    KM_MT_RECLAIMABLE,
    KM_MT_HIGHATOMIC,
    KM_MT_ISOLATE,
    KM_NR_MT
};
#define KM_MT_PCPTYPES 3

/* ---- The page frame (16 bytes) ------------------------------------------------------------ */

/*
 *   struct km_frame (16 bytes)
 *   +-----------+-----------+--------------------------------------+-------------+
 *   | next (32) | prev (32) | a: state:4 | by state, see below :20 | memcg:8 | b (32)
 *   +-----------+-----------+--------------------------------------+-------------+
 *     next/prev: links of the one list the frame is on (buddy free list, pcp list, LRU list,
 *                slab partial list), as frame numbers, KM_NIL at the ends; a page-table frame
 *                keeps its host table pointer there instead (it is on no list).
 *     a, BUDDY/PCP/SLAB/KERNEL/PGTABLE/TAIL:  order (bits 4-7), migratetype (bits 8-10)
 *     a, ANON/FILE (on an LRU):  flags (bits 4-14), rmap slot or file id (bits 15-23)
 *     a, all:  memcg id charged (bits 24-31)
 *     b: ANON: pfn of the page-table page that maps it (rmap; slot = index in that table)
 *        FILE: page index in its file;  SLAB: slab id;  free and others: unused.
 */
struct km_frame {
    union {
        struct {
            uint32_t next, prev;
        };
        void *ptr; /* KM_FS_PGTABLE: the struct km_pt of this table */
    };
    uint32_t a;
    uint32_t b;
};

_Static_assert(sizeof(struct km_frame) == 16, "a simulated page frame is 16 bytes");

enum km_fstate {
    KM_FS_FREE = 0, /* inside a free buddy block, not its head */
    KM_FS_BUDDY,    /* head of a free block on a buddy free list */
    KM_FS_PCP,      /* on a per-CPU list */
    KM_FS_ANON,     /* a user anonymous page (LRU) */
    KM_FS_FILE,     /* a page-cache page (LRU) */
    KM_FS_PGTABLE,  /* a page-table page */
    KM_FS_SLAB,     /* head of a slab */
    KM_FS_KERNEL,   /* another kernel allocation (boot, stacks, large kmalloc) */
    KM_FS_TAIL,     /* a tail page of an allocated block of order > 0 */
    KM_FS_RESERVED, /* not managed by the buddy allocator (hole, memmap) */
    KM_FS_HUGETLB,  /* a hugetlb pool page */
};

/* Flags of ANON/FILE frames. */
#define KM_PG_ACTIVE     (1u << 4)
#define KM_PG_REFERENCED (1u << 5)
#define KM_PG_DIRTY      (1u << 6)
#define KM_PG_WORKINGSET (1u << 7)
#define KM_PG_SWAPCACHE  (1u << 8)
#define KM_PG_LAZYFREE   (1u << 9)  /* MADV_FREE'd anon page: on the file LRU, !swapbacked */
#define KM_PG_LRU        (1u << 10) /* on an LRU list */
#define KM_PG_NONZERO    (1u << 11) /* content is not all zeros (zeromap decides on this) */
#define KM_PG_MAYSHARE   (1u << 12) /* may be mapped by more than one mm (after fork) */
#define KM_PG_READAHEAD  (1u << 13) /* brought in by swap readahead, not yet used */
#define KM_PG_THP        (1u << 14) /* head of a PMD-mapped 2 MiB folio (order 9) */
#define KM_PG_FLAGS_MASK (0x7ffu << 4)

static inline unsigned fr_state(const struct km_frame *f)
{
    return f->a & 15u;
}
static inline unsigned fr_order(const struct km_frame *f)
{
    return (f->a >> 4) & 15u;
}
static inline unsigned fr_mt(const struct km_frame *f)
{
    return (f->a >> 8) & 7u;
}
static inline unsigned fr_slot(const struct km_frame *f)
{
    return (f->a >> 15) & 511u;
}
static inline unsigned fr_memcg(const struct km_frame *f)
{
    return f->a >> 24;
}
static inline void fr_set_free(struct km_frame *f, unsigned state, unsigned order, unsigned mt)
{
    f->a = (f->a & 0xff000000u) | state | (order << 4) | (mt << 8);
}
static inline void fr_set_lru(struct km_frame *f, unsigned state, unsigned flags, unsigned slot)
{
    f->a = (f->a & 0xff000000u) | state | flags | (slot << 15);
}
static inline void fr_set_slot(struct km_frame *f, unsigned slot)
{
    f->a = (f->a & ~(511u << 15)) | (slot << 15);
}
static inline void fr_set_memcg(struct km_frame *f, unsigned cg)
{
    f->a = (f->a & 0x00ffffffu) | (cg << 24);
}
static inline bool fr_test(const struct km_frame *f, uint32_t flag)
{
    return (f->a & flag) != 0;
}
static inline void fr_set(struct km_frame *f, uint32_t flag)
{
    f->a |= flag;
}
static inline void fr_clear(struct km_frame *f, uint32_t flag)
{
    f->a &= ~flag;
}

/* A list of frames threaded through next/prev; insertion at the head is the kernel's list_add. */
struct km_list {
    uint32_t head, tail;
    uint64_t n;
};
void kl_init(struct km_list *l);
void kl_add_head(struct km_frame *fr, struct km_list *l, uint32_t pfn);
void kl_add_tail(struct km_frame *fr, struct km_list *l, uint32_t pfn);
void kl_del(struct km_frame *fr, struct km_list *l, uint32_t pfn);

/* ---- Configuration ------------------------------------------------------------------------ */

enum km_thp { KM_THP_NEVER, KM_THP_MADVISE, KM_THP_ALWAYS };

struct km_config {
    uint64_t ram_bytes;                 /* installed RAM (present pages) */
    uint64_t zone_managed[KM_NR_ZONES]; /* explicit managed pages per zone, 0 = derive */
    bool zone_managed_set[KM_NR_ZONES];
    uint64_t kernel_bytes; /* kernel memory in use at start (unmovable) */
    int ncpus;
    int64_t min_free_kbytes;               /* -1: the kernel's rule (khugepaged's when THP) */
    int watermark_scale_factor;            /* 10 */
    int watermark_boost_factor;            /* 15000 */
    int lowmem_reserve_ratio[KM_NR_ZONES]; /* 256 256 32 0 */
    uint64_t swap_bytes;
    int overcommit_memory, overcommit_ratio;
    uint64_t overcommit_kbytes;
    int64_t user_reserve_kbytes, admin_reserve_kbytes; /* -1: default rule */
    int swappiness, page_cluster;
    enum km_thp thp, thp_defrag;
    int max_map_count;
    int oom_kill_allocating_task;
    int extfrag_threshold;
    int pgd_pages; /* 1, or 2 with PTI */
    bool shuffle;  /* SHUFFLE_PAGE_ALLOCATOR */
    uint64_t seed;
    uint64_t committed_base_pages; /* Committed_AS of processes outside the model */
    uint64_t nr_hugepages;         /* hugetlb pool (vm.nr_hugepages, 2 MiB pages) */
    int stats_flush_ms; /* memcg rstat flush period seen by reclaim heuristics (0: exact) */
};
void km_config_default(struct km_config *c);

/* ---- Calibration (calib.c) ----------------------------------------------------------------- */

enum km_cost {
    KM_COST_FAULT_WRITE,
    KM_COST_FAULT_READ_ZERO,
    KM_COST_POPULATE_PAGE,
    KM_COST_COW_FAULT,
    KM_COST_BRK_CALL,
    KM_COST_MMAP_CALL,
    KM_COST_MUNMAP_CALL,
    KM_COST_MUNMAP_PAGE,
    KM_COST_MADVISE_DONTNEED_PAGE,
    KM_COST_MEMSET_GBPS,
    KM_COST_SWAPOUT_PAGE,
    KM_COST_SWAPIN_PAGE,
    KM_COST_FILE_READ_PAGE,
    KM_COST_FILE_READ_IO_PAGE,
    KM_COST_RECLAIM_SCAN_PAGE,
    KM_COST_THP_FAULT,
    KM_NR_COSTS
};
struct km_calib {
    double v[KM_NR_COSTS];
    bool from_file[KM_NR_COSTS];
    char source[256]; /* the file, or "defaults" */
};
extern const char *const km_cost_names[KM_NR_COSTS];
void calib_default(struct km_calib *c);
/* Reads a flat JSON object of numbers; on error writes "file: message" into err, returns -1. */
int calib_load(struct km_calib *c, const char *path, char *err, size_t errlen);

/* ---- Counters (names as in /proc/vmstat) --------------------------------------------------- */

// clang-format off
#define KM_VMSTAT_LIST(X) \
    X(pgpgin) X(pgpgout) X(pswpin) X(pswpout) X(pgalloc_dma) X(pgalloc_dma32) X(pgalloc_normal) \
    X(pgalloc_movable) X(allocstall_dma) X(allocstall_dma32) X(allocstall_normal) X(allocstall_movable) \
    X(pgfree) X(pgactivate) X(pgdeactivate) X(pglazyfree) X(pgfault) X(pgmajfault) X(pglazyfreed) \
    X(pgrefill) X(pgreuse) X(pgsteal_kswapd) X(pgsteal_direct) X(pgscan_kswapd) X(pgscan_direct) \
    X(pgscan_direct_throttle) X(pgscan_anon) X(pgscan_file) X(pgsteal_anon) X(pgsteal_file) \
    X(pginodesteal) X(pageoutrun) X(pgrotated) X(kswapd_low_wmark_hit_quickly) X(kswapd_high_wmark_hit_quickly) \
    X(workingset_refault_anon) X(workingset_refault_file) X(workingset_activate_anon) \
    X(workingset_activate_file) X(workingset_restore_anon) X(workingset_restore_file) \
    X(oom_kill) X(thp_fault_alloc) X(thp_fault_fallback) X(thp_split_page) X(swpin_zero) \
    X(swpout_zero) X(swap_ra) X(swap_ra_hit) X(zone_reclaim_failed) X(drop_pagecache) \
    X(pgmigrate_success) X(compact_stall)
// clang-format on
enum km_vmstat {
#define KM_X(n) KM_VM_##n,
    KM_VMSTAT_LIST(KM_X)
#undef KM_X
        KM_NR_VMSTAT
};
extern const char *const km_vmstat_names[KM_NR_VMSTAT];

enum km_lru {
    KM_LRU_INACTIVE_ANON,
    KM_LRU_ACTIVE_ANON,
    KM_LRU_INACTIVE_FILE,
    KM_LRU_ACTIVE_FILE,
    KM_LRU_UNEVICTABLE,
    KM_NR_LRU
};

/* ---- Zones (zone.c, buddy.c, pcp.c) --------------------------------------------------------- */

/* order_to_pindex(): MIGRATE_PCPTYPES lists per order 0..3, plus two for the THP order. */
#define KM_NR_PCP_LISTS (KM_MT_PCPTYPES * (KM_COSTLY_ORDER + 1) + 2)

enum km_wmark { KM_WMARK_MIN, KM_WMARK_LOW, KM_WMARK_HIGH, KM_WMARK_PROMO, KM_NR_WMARK };

struct km_pcp {
    struct km_list lists[KM_NR_PCP_LISTS];
    int count, high, high_min, high_max, batch;
    int free_count, alloc_factor;
    bool prev_free_high_order;
};

struct km_zone {
    const char *name;
    int idx;
    uint32_t start, end; /* frame range [start, end) holding the managed pages */
    uint64_t spanned, present, managed;
    uint64_t nr_free; /* pages on buddy free lists (NR_FREE_PAGES: excludes pcp) */
    struct km_list free_list[KM_NR_ORDERS][KM_NR_MT];
    uint64_t nr_free_blocks[KM_NR_ORDERS];
    uint64_t wmark[KM_NR_WMARK];
    uint64_t boost;
    bool boosted_flag;   /* ZONE_BOOSTED_WATERMARK */
    bool below_high;     /* ZONE_BELOW_HIGH */
    bool reclaim_active; /* ZONE_RECLAIM_ACTIVE */
    uint64_t lowmem_reserve[KM_NR_ZONES];
    uint64_t nr_reserved_highatomic;
    struct km_pcp pcp[KM_MAX_CPUS];
    uint64_t nr_pgtable, nr_slab_unrecl, nr_slab_recl, nr_kernel;
    uint64_t nr_lru[KM_NR_LRU]; /* pages of this zone on LRU lists (NR_ZONE_*_ANON/FILE) */
};

/* ---- Buddy, PCP and the allocation path ----------------------------------------------------- */

/* GFP-like request descriptions. */
enum km_gfp_kind {
    KM_GFP_USER,        /* GFP_HIGHUSER_MOVABLE */
    KM_GFP_PGTABLE,     /* GFP_PGTABLE_USER (unmovable, accounted) */
    KM_GFP_KERNEL,      /* GFP_KERNEL (unmovable) */
    KM_GFP_RECLAIMABLE, /* slab with SLAB_RECLAIM_ACCOUNT */
    KM_GFP_ATOMIC,      /* __GFP_HIGH, no reclaim */
    KM_GFP_NORETRY,     /* kernel, may fail without OOM (e.g. THP) */
};

/* ---- Page tables (pgtable.c) ---------------------------------------------------------------- */

/* PTE bits (the entry of the lowest level). */
#define KM_PTE_PRESENT  1ull
#define KM_PTE_WRITE    2ull /* writable: not zero page, not COW-shared */
#define KM_PTE_YOUNG    4ull
#define KM_PTE_DIRTY    8ull
#define KM_PTE_ZERO     16ull /* present, maps the shared zero page */
#define KM_PTE_SWAP     32ull /* not present: payload is a swap slot */
#define KM_PTE_NOACCESS 64ull /* present but PROT_NONE: every access takes the slow path */
#define KM_PTE_NONZERO                                                                             \
    128ull /* written with non-zero data through this PTE (moves to the
                                  frame's KM_PG_NONZERO when the page is unmapped) */
#define KM_PTE_SHIFT  12
#define KM_PTE_PFN(e) ((uint32_t)((e) >> KM_PTE_SHIFT))
/* Slot number that names a PTE table's huge entry (a PMD-mapped THP) in rmap callbacks. */
#define KM_HUGE_SLOT  512u

/*
 * A table. Upper levels hold pointers to their children. A PTE table whose `huge` is non-zero
 * stands for a PMD-mapped THP: `huge` is the PMD entry (KM_PTE_* bits, payload the head pfn)
 * and the table itself is the page table the kernel deposits with every huge PMD
 * (pgtable_trans_huge_deposit), used when the mapping is split.
 */
struct km_mm;
struct km_pt {
    uint64_t e[KM_PTRS_PER_TABLE];
    uint64_t huge;
    struct km_mm *mm;
    struct km_pt *parent;
    uint64_t base_vpn; /* first vpn this table covers */
    uint32_t pfn;      /* the simulated frame that holds this table */
    uint16_t nr;       /* non-empty entries */
    uint16_t pidx;     /* index in the parent */
    uint8_t level;     /* 4 PGD, 3 PUD, 2 PMD, 1 PTE */
};
static inline uint64_t *pt_entry(struct km_pt *pt, unsigned slot)
{
    return slot == KM_HUGE_SLOT ? &pt->huge : &pt->e[slot];
}

/* ---- VMAs (vma.c) ------------------------------------------------------------------------- */

#define KM_VM_READ       0x1u
#define KM_VM_WRITE      0x2u
#define KM_VM_EXEC       0x4u
#define KM_VM_SHARED     0x8u
#define KM_VM_ACCOUNT    0x10u
#define KM_VM_NORESERVE  0x20u
#define KM_VM_HUGEPAGE   0x40u
#define KM_VM_NOHUGEPAGE 0x80u
#define KM_VM_HEAP       0x100u /* the brk area (for /proc output only) */
#define KM_VM_STACK      0x200u
#define KM_VM_FILE       0x400u
#define KM_VM_LOCKED     0x800u
#define KM_VM_MAYWRITE   0x1000u

struct km_vma {
    uint64_t start, end; /* [start, end), page aligned */
    uint32_t flags;
    int file;             /* file id for KM_VM_FILE, else -1 */
    uint64_t pgoff;       /* page offset in the file */
    uint32_t anon_vma;    /* anon_vma id (0: none yet; attached at the first anon fault) */
    uint32_t navc;        /* anon_vma_chain objects of this VMA */
    uint64_t ra_prev_vpn; /* swap VMA readahead state (vma->swap_readahead_info) */
    uint32_t ra_win, ra_hits;
};

/* ---- Processes (proc.c) --------------------------------------------------------------------- */

enum km_mm_counter { KM_MM_ANON, KM_MM_FILE, KM_MM_SHMEM, KM_MM_SWAPENTS, KM_NR_MM_COUNTERS };

struct km_family; /* processes that may share anon pages (one fork tree) */
struct kswapd_state;
struct km_mm {
    int id;
    char name[32];
    int pid;
    int cpu;
    int memcg;
    int oom_score_adj;
    bool killed, exited, oom_blocked;
    struct km_pt *pgd;
    struct km_vma *vmas;
    size_t nvma, vma_cap;
    size_t vma_hint;        /* last VMA found */
    struct km_pt *pte_hint; /* last PTE table walked */
    uint64_t pte_hint_base;
    uint64_t counters[KM_NR_MM_COUNTERS];
    uint64_t hiwater_rss;
    uint64_t pgtables_bytes;
    uint64_t total_vm, data_vm, committed; /* pages */
    uint64_t start_brk, brk;
    uint64_t mmap_base;
    uint64_t minflt, majflt;           /* ru_minflt/ru_majflt (GUP faults included) */
    uint64_t perf_minflt, perf_majflt; /* perf minor-faults/major-faults (user traps only) */
    uint64_t time_ns, stall_ns, nr_stalls;
    struct km_family *fam;
    struct km_mm *fam_next;
    int parent;
    uint32_t kstack[4]; /* the kernel stack's frames (0: none) */
    bool kobj_done;
};

/* ---- Memory cgroups (memcg.c) --------------------------------------------------------------- */

struct km_lruvec {
    struct km_list lists[KM_NR_LRU];
    uint64_t anon_cost, file_cost;
    uint64_t nonresident_age;
    uint64_t refaults[2];    /* snapshot of workingset_activate_{anon,file} */
    uint64_t wa_activate[2]; /* workingset_activate_anon/file of this lruvec */
};

struct km_memcg {
    int id;
    char name[32];
    bool used;
    uint64_t limit, memsw_limit; /* pages; UINT64_MAX = unlimited */
    uint64_t usage, memsw_usage; /* pages charged (memory includes kmem) */
    uint64_t max_usage, memsw_max_usage, kmem_usage;
    uint64_t failcnt, memsw_failcnt;
    int swappiness; /* memory.swappiness (v1) */
    bool oom_kill_disable;
    bool under_oom;
    uint64_t oom_kill;
    uint64_t stock[KM_MAX_CPUS]; /* pre-charged pages per CPU (memcg_stock) */
    uint64_t rss, cache, swap;   /* memory.stat pages */
    uint64_t pgfault, pgmajfault;
    uint64_t pgscan[2], pgsteal[2]; /* [anon, file]: memory.stat of v2, kept for output */
    uint64_t kbytes_slab;           /* slab bytes charged (approximate, see slab.c) */
    struct km_lruvec lruvec;
    /* lruvec_page_state() as of the last rstat flush: LRU sizes (the root's count the whole
     * node) and workingset activations. */
    uint64_t flushed_lru[KM_NR_LRU], flushed_wa[2];
};

/* ---- Swap (swap.c) --------------------------------------------------------------------------- */

/* A swap slot: count of PTEs and swap-cache references plus flags; and a frame or a shadow. */
#define KM_SWP_CACHE 0x80000000u /* in the swap cache (page in memory) */
#define KM_SWP_ZERO  0x40000000u /* zeromap: content was all zeros, nothing written */
#define KM_SWP_USED  0x20000000u /* allocated */
#define KM_SWP_COUNT 0x0fffffffu
struct km_swap {
    uint64_t nslots;  /* total_swap_pages + 1 (slot 0 is the header) */
    uint64_t nr_free; /* free slots */
    uint32_t *map;    /* per slot: KM_SWP_* | count */
    uint32_t *cache;  /* per slot: pfn of the swap-cache frame, or shadow (tag bit) */
    uint8_t *cg;      /* per slot: the memcg its memsw charge belongs to (swap_cgroup) */
    uint64_t cursor;  /* next-fit allocation cursor */
    uint64_t ra_hits; /* swapin_readahead_hits */
    /* frame -> slot for frames in the swap cache (open addressing, key = pfn + 1) */
    uint32_t *hkey, *hval;
    uint64_t hcap, hcount;
};

/* ---- Files (file.c) ---------------------------------------------------------------------------- */

struct km_file {
    char name[32];
    uint64_t npages;
    uint32_t *pages; /* per page: 0 none, pfn + 1, or a shadow (bit 31 set) */
    uint64_t nr_cached;
    uint64_t map_vmas; /* VMAs that map this file */
};

/* ---- Slab (slab.c) ------------------------------------------------------------------------------ */

#define KM_SLAB_HWCACHE_ALIGN 0x1u
#define KM_SLAB_RECLAIM       0x2u
#define KM_SLAB_TYPESAFE_RCU  0x4u
#define KM_SLAB_CTOR          0x8u
#define KM_SLAB_ACCOUNT       0x10u
#define KM_SLAB_FREEPTR_IN    0x20u /* explicit in-object free pointer (kmem_cache_args) */
#define KM_SLAB_POISON        0x40u
#define KM_SLAB_RED_ZONE      0x80u
#define KM_SLAB_STORE_USER    0x100u

struct km_slab_layout {
    uint32_t object_size, size, align, offset; /* offset: free pointer */
    uint32_t order, objects;                   /* per slab */
    uint32_t cpu_partial, cpu_partial_slabs, min_partial;
};
/* A doubly linked list of slab ids. */
struct km_slist {
    uint32_t head, tail;
    uint64_t n;
};
struct km_slab_cache {
    char name[32];
    uint32_t flags;
    struct km_slab_layout l;
    struct km_slist partial, full;
    uint64_t nr_slabs, nr_active;   /* active = allocated objects */
    uint32_t cpu_slab[KM_MAX_CPUS]; /* current slab per CPU, or KM_NIL */
};
enum { KM_SLAB_ON_NONE, KM_SLAB_ON_PARTIAL, KM_SLAB_ON_FULL, KM_SLAB_ON_CPU };
struct km_slab {
    uint32_t pfn;   /* head frame, KM_NIL if this id is free */
    uint32_t cache; /* cache index */
    uint32_t inuse; /* allocated objects */
    uint32_t next, prev;
    uint8_t on; /* KM_SLAB_ON_* */
};

/* Kernel objects the model accounts per process (kobj indices into km->kcache[]). */
enum km_kobj {
    KM_KO_VMA,
    KM_KO_ANON_VMA,
    KM_KO_AVC,
    KM_KO_MAPLE,
    KM_KO_MM,
    KM_KO_TASK,
    KM_KO_FILES,
    KM_KO_SIGNAL,
    KM_KO_SIGHAND,
    KM_KO_FS,
    KM_KO_PID,
    KM_KO_CRED,
    KM_NR_KOBJ
};

/* ---- Reclaim (reclaim.c) -------------------------------------------------------------------- */

struct km_scan_control {
    uint64_t nr_to_reclaim;
    int priority;
    int reclaim_idx;
    int target_memcg; /* -1: global reclaim */
    bool may_writepage, may_unmap, may_swap;
    bool kswapd;
    bool proactive;
    int order;
    unsigned may_deactivate; /* 1 anon, 2 file */
    bool force_deactivate, skipped_deactivate;
    bool cache_trim_mode, file_is_tiny;
    bool no_cache_trim_mode, cache_trim_mode_failed;
    uint64_t nr_scanned, nr_reclaimed;
    uint64_t anon_cost, file_cost;
    struct {
        uint64_t dirty, unqueued_dirty, congested, writeback, immediate, file_taken, taken;
    } nr;
};

struct km_kswapd {
    bool awake;
    int order, highest_zoneidx;
    int failures;      /* kswapd_failures */
    uint64_t clock_ns; /* kswapd's own timeline */
    uint64_t busy_until_ns;
    uint64_t runs;
};

/* ---- Time series (output.c) ------------------------------------------------------------------ */

struct km_series {
    FILE *f;
    uint64_t every_ns; /* sample period in simulated time */
    uint64_t next_ns;
    bool json;
};

/* ---- The machine ------------------------------------------------------------------------------ */

struct km {
    struct km_config cfg;
    struct km_calib calib;

    struct km_frame *frames;
    uint32_t nframes;
    uint8_t *pb_mt; /* migratetype per pageblock */
    struct km_zone zones[KM_NR_ZONES];
    int nzones_populated;
    uint64_t totalram; /* Σ managed (totalram_pages) */
    uint64_t totalreserve;
    uint64_t min_free_kbytes; /* effective */
    uint64_t user_reserve_kbytes, admin_reserve_kbytes;
    uint64_t rng;

    uint64_t vm[KM_NR_VMSTAT];
    uint64_t committed; /* vm_committed_as in pages (model processes + base) */
    uint64_t nr_anon, nr_file, nr_shmem, nr_swapcache, nr_pgtable_pages, nr_kernel_stack;
    uint64_t nr_hugetlb;

    struct km_memcg *memcg; /* [KM_MAX_MEMCG] */
    int nmemcg;
    struct km_mm **mm;
    int nmm, mm_cap;
    int next_pid;
    struct km_swap swap;
    struct km_file *files;
    int nfiles;

    struct km_slab_cache *caches;
    int ncaches, caches_cap;
    struct km_slab *slabs;
    uint32_t nslabs, slabs_cap, slab_free_id;
    int kcache[KM_NR_KOBJ];
    uint32_t kmalloc_cache[14]; /* kmalloc-8 .. kmalloc-8k */
    uint64_t slab_recl_pages, slab_unrecl_pages;

    uint32_t *av_refs; /* anon_vma reference counts by id (id 0 unused) */
    uint32_t nav, av_cap, av_free;
    uint64_t nr_maple_nodes;

    struct km_kswapd kswapd;
    struct kswapd_state *ks;   /* reclaim.c's kswapd state machine */
    uint64_t now_ns;           /* the simulated clock of the running process */
    uint64_t stats_flushed_ns; /* time of the last memcg stats flush */
    int cur_cpu;
    struct km_mm *cur; /* the process on whose behalf the model is running */
    bool in_reclaim;
    uint64_t ops; /* operations applied (for debug checks and series) */
    struct km_series series;
    uint64_t events; /* touch events replayed */

    /* Results of the last operation, for the scenario runner. */
    int last_errno;
    uint64_t event_limit; /* stop touching after this many events (0: none) */
    bool budget_exceeded;
    char oom_log[8192]; /* notable events: OOM kills, failed operations */
    size_t oom_log_len;
    /* Numbers about the input itself (trace lines, calls...), reported as their own section. */
    const char *input_section; /* "alloc_trace", "perf_trace", or NULL */
    int n_input;
    struct {
        const char *key;
        uint64_t v;
    } input[48];
};

/* Append a line to the machine's event log (shown in reports). */
void km_event(struct km *km, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set a number of the report's input section (key must be a string literal). */
void km_input_stat(struct km *km, const char *section, const char *key, uint64_t v);

/* ---- phys.c: the machine ------------------------------------------------------------------------ */

/* Build the machine: frames, zones, watermarks, slab caches; NULL with a message on error. */
struct km *km_create(const struct km_config *cfg, char *err, size_t errlen);
void km_destroy(struct km *km);
/* Recompute everything derived from sysctls (watermarks, reserves, commit limit...). */
void km_sysctl_changed(struct km *km);
uint64_t km_rand(struct km *km);
/* Called after every operation: debug checks (MINI_DEBUG >= 3), kswapd catch-up, series. */
void km_after_op(struct km *km);
void km_check_all(struct km *km);
/* Tear down the processes the OOM killer chose while they were allocating. */
void km_reap(struct km *km);
static inline struct km_zone *km_zone_of(struct km *km, uint32_t pfn)
{
    for (int i = 0; i < KM_NR_ZONES; i++)
        if (pfn >= km->zones[i].start && pfn < km->zones[i].end)
            return &km->zones[i];
    return NULL;
}
uint64_t km_nr_free_pages(const struct km *km); /* Σ zone nr_free (MemFree) */
uint64_t km_nr_pcp_pages(const struct km *km);

/* ---- zone.c: watermarks and reserves (KMODEL-SPEC.md section 2) -------------------------------- */

uint64_t zone_int_sqrt(uint64_t x); /* int_sqrt(): also inactive_is_low's ratio */
uint64_t zone_min_free_kbytes_rule(const struct km *km, bool thp);
void zone_setup_watermarks(struct km *km);
void zone_setup_lowmem_reserve(struct km *km);
void zone_setup_pcp(struct km *km);
uint64_t zone_wmark(const struct km_zone *z, int which); /* with boost */
/* alloc_flags for the watermark test */
#define KM_ALLOC_WMARK_MIN     0
#define KM_ALLOC_WMARK_LOW     1
#define KM_ALLOC_WMARK_HIGH    2
#define KM_ALLOC_WMARK_MASK    3
#define KM_ALLOC_NO_WATERMARKS 4
#define KM_ALLOC_OOM           8
#define KM_ALLOC_HARDER        0x10
#define KM_ALLOC_MIN_RESERVE   0x20 /* __GFP_HIGH */
#define KM_ALLOC_NON_BLOCK     0x40
#define KM_ALLOC_KSWAPD        0x80
#define KM_ALLOC_NOFRAGMENT    0x100
#define KM_ALLOC_HIGHATOMIC    0x200
bool zone_watermark_ok(const struct km_zone *z, int order, uint64_t mark, int highest_zoneidx,
                       unsigned alloc_flags, int64_t free_pages);
uint64_t zone_si_mem_available(const struct km *km);

/* ---- buddy.c: the buddy allocator (section 3) ------------------------------------------------- */

void buddy_free_boot_range(struct km *km, struct km_zone *z, uint32_t start, uint32_t end);
/* Take one block of 2^order pages of migratetype mt; KM_NIL when the zone has none. */
uint32_t buddy_rmqueue(struct km *km, struct km_zone *z, int order, int mt, unsigned alloc_flags);
void buddy_free(struct km *km, struct km_zone *z, uint32_t pfn, int order, int mt);
int buddy_pageblock_mt(const struct km *km, uint32_t pfn);
void buddy_check_zone(const struct km *km, const struct km_zone *z);
/* Fragmentation (section 10). */
int buddy_unusable_index(const uint64_t nr_free[KM_NR_ORDERS], int order);      /* x1000 */
int buddy_fragmentation_index(const uint64_t nr_free[KM_NR_ORDERS], int order); /* x1000 */

/* ---- pcp.c: per-CPU page lists ----------------------------------------------------------------- */

uint32_t pcp_alloc(struct km *km, struct km_zone *z, int cpu, int order, int mt,
                   unsigned alloc_flags);
void pcp_free(struct km *km, struct km_zone *z, int cpu, uint32_t pfn, int order, int mt);
void pcp_drain_zone(struct km *km, struct km_zone *z); /* drain_all_pages(zone) */
void pcp_drain_all(struct km *km);
int pcp_index(int order, int mt);
void pcp_check(const struct km *km, const struct km_zone *z);

/* ---- palloc.c: __alloc_pages and __free_pages ---------------------------------------------- */

/* Allocate 2^order pages; KM_NIL on failure (after reclaim and possibly OOM). Sets the frame
 * state to `state`. `cg` is the memcg to charge for accounted kernel pages (-1 none). */
uint32_t palloc_alloc(struct km *km, enum km_gfp_kind gfp, int order, unsigned state);
void palloc_free(struct km *km, uint32_t pfn, int order);
int palloc_gfp_mt(enum km_gfp_kind gfp);

/* ---- slab.c: SLUB (section 9) -------------------------------------------------------------- */

void slab_calculate(struct km_slab_layout *l, uint32_t object_size, uint32_t align, uint32_t flags,
                    int nr_cpus);
int slab_calc_order(uint32_t size, int nr_cpus, uint32_t *objects);
int slab_cache_create(struct km *km, const char *name, uint32_t object_size, uint32_t align,
                      uint32_t flags);
/* Allocate/free one object: returns the slab id (the model does not track object addresses). */
uint32_t slab_alloc(struct km *km, int cache);
void slab_free(struct km *km, int cache, uint32_t slab_id);
void slab_init_caches(struct km *km);
void slab_seed(struct km *km, int cache, uint64_t total, uint64_t inuse);
void slab_check_cache(const struct km *km, int cache);
uint64_t slab_total_pages(const struct km *km, bool reclaimable);
/* Kernel objects of processes: allocate `n` objects of kind k (negative n frees). */
void kobj_alloc(struct km *km, enum km_kobj k, int64_t n);
int kmalloc_index(size_t size);

/* ---- pgtable.c: 4-level page tables (section 7) ------------------------------------------- */

/* The PTE slot for vpn, allocating the tables on the way when `alloc`; NULL if absent or if the
 * allocation failed (km->last_errno = ENOMEM). For a THP mapping returns the huge entry and sets
 * *huge. mm->pte_hint is the PTE table afterwards. */
uint64_t *pt_walk(struct km *km, struct km_mm *mm, uint64_t vpn, bool alloc, bool *huge);
struct km_pt *pt_pte_table(struct km *km, struct km_mm *mm, uint64_t vpn, bool alloc);
int pt_create_pgd(struct km *km, struct km_mm *mm);
/* Free the tables spanning only [start, end) (floor/ceiling as free_pgtables); with
 * `pte_only_empty`, free the empty PTE tables of the range (PT_RECLAIM after MADV_DONTNEED). */
void pt_free_range(struct km *km, struct km_mm *mm, uint64_t start, uint64_t end, uint64_t floor,
                   uint64_t ceiling);
void pt_reclaim_empty(struct km *km, struct km_mm *mm, uint64_t start, uint64_t end);
/* Detach a PTE table from its PMD and free it. */
void pt_free_pte_table(struct km *km, struct km_pt *t);
void pt_destroy(struct km *km, struct km_mm *mm);
static inline struct km_pt *pt_of_frame(const struct km *km, uint32_t pfn)
{
    return (struct km_pt *)km->frames[pfn].ptr;
}

/* ---- vma.c: mappings ---------------------------------------------------------------------------- */

#define KM_MAP_PRIVATE   0x1u
#define KM_MAP_SHARED    0x2u
#define KM_MAP_FIXED     0x4u
#define KM_MAP_NORESERVE 0x8u
#define KM_MAP_POPULATE  0x10u
#define KM_MAP_ANON      0x20u
#define KM_PROT_READ     1u
#define KM_PROT_WRITE    2u
#define KM_PROT_EXEC     4u

struct km_vma *vma_find(struct km_mm *mm, uint64_t addr);
/* mmap(2): returns the address, or 0 with *err = errno. */
uint64_t vma_mmap(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t len, unsigned prot,
                  unsigned flags, int file, uint64_t pgoff, int *err);
int vma_munmap(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t len);
int vma_mprotect(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t len, unsigned prot);
/* brk(2) semantics: returns the new break (the old one on failure). */
uint64_t vma_brk(struct km *km, struct km_mm *mm, uint64_t newbrk);
uint64_t vma_mremap(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t oldlen,
                    uint64_t newlen, int *err);
enum km_madv {
    KM_MADV_DONTNEED,
    KM_MADV_FREE,
    KM_MADV_HUGEPAGE,
    KM_MADV_NOHUGEPAGE,
    KM_MADV_WILLNEED,
    KM_MADV_PAGEOUT,
    KM_MADV_COLD,
    KM_MADV_POPULATE_WRITE,
    KM_MADV_POPULATE_READ
};
int vma_madvise(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t len, enum km_madv adv);
void vma_check(const struct km *km, const struct km_mm *mm);
void vma_free_all(struct km *km, struct km_mm *mm);
int vma_dup(struct km *km, struct km_mm *parent, struct km_mm *child);
/* Unmap the pages of [start,end) within vma (zap_page_range); returns pages freed. */
uint64_t vma_zap_range(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t start,
                       uint64_t end);

void vma_anon_prepare(struct km *km, struct km_mm *mm, struct km_vma *v);

/* ---- thp.c: transparent huge pages (PMD-mapped 2 MiB anon folios) ------------------------------ */

bool thp_vma_eligible(const struct km *km, const struct km_vma *v, uint64_t addr);
/* do_huge_pmd_anonymous_page(): 1 when handled, 0 to fall back to 4 KiB, -1 killed. */
int thp_fault(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t addr, bool write,
              bool user);
/* A write to a huge zero PMD or a COW-shared THP: split the mapping and fault 4 KiB. */
void thp_split_pmd(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t base);
uint64_t thp_zap_pmd(struct km *km, struct km_mm *mm, struct km_pt *pt);
void thp_change_prot(struct km *km, struct km_pt *pt, bool noaccess, bool writable);
int thp_copy_pmd(struct km *km, struct km_mm *src, struct km_mm *dst, const struct km_vma *v,
                 uint64_t base, struct km_pt *spt);
/* split_huge_page(): a THP folio becomes 512 order-0 folios (reclaim, partial unmap). */
void thp_split_folio(struct km *km, uint32_t head);

/* ---- fault.c: demand paging (section 8) -------------------------------------------------------- */

enum km_touch { KM_TOUCH_READ, KM_TOUCH_WRITE, KM_TOUCH_WRITE_ZERO };
/* Touch one page as a user access would. Returns 0, or -1 when the access faulted fatally
 * (SIGSEGV: no VMA / no permission; km->last_errno = EFAULT) or the process was OOM-killed. */
int fault_touch(struct km *km, struct km_mm *mm, uint64_t addr, enum km_touch how);
/* Touch [addr, addr+len) page by page; bytes_per_page adds memset time. */
int fault_touch_range(struct km *km, struct km_mm *mm, uint64_t addr, uint64_t len,
                      enum km_touch how, uint64_t bytes_per_page);
/* MAP_POPULATE / MADV_POPULATE_*: fault in without traps (counts min_flt, no perf event). */
int fault_populate(struct km *km, struct km_mm *mm, uint64_t start, uint64_t end, bool write);
/* The write half of a private file write fault: COW the just-mapped page-cache page. */
int fault_file_cow(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t addr);
/* Release one mapping of an anon frame (unmap, COW break, exit). */
void fault_put_anon(struct km *km, uint32_t pfn, struct km_pt *pt, unsigned slot);
/* Free an anon frame that nothing maps any more (uncharge, LRU, swap cache). */
void fault_free_anon(struct km *km, uint32_t pfn);
void fault_madv_free(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t s, uint64_t e);
void fault_madv_cold_pageout(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t s,
                             uint64_t e, bool pageout);

/* ---- rmap.c: reverse mapping ---------------------------------------------------------------------- */

typedef bool (*rmap_fn)(struct km *km, struct km_mm *mm, struct km_pt *pt, unsigned slot,
                        uint32_t pfn, void *arg);
/* Call fn for every PTE mapping anon frame pfn; returns the number of mappings. */
int rmap_walk_anon(struct km *km, uint32_t pfn, rmap_fn fn, void *arg);
int rmap_mapcount(struct km *km, uint32_t pfn);
/* After the rmap PTE went away: point the frame at another mapping; false if none left. */
bool rmap_repoint(struct km *km, uint32_t pfn);
struct km_family *rmap_family_new(struct km_mm *mm);
void rmap_family_join(struct km_family *fam, struct km_mm *mm);
void rmap_family_leave(struct km_mm *mm);

/* ---- lru.c: LRU lists (section 4.1) ------------------------------------------------------------ */

struct km_lruvec *lru_vec(struct km *km, int cg);
void lru_add(struct km *km, uint32_t pfn);              /* folio_add_lru: inactive head */
void lru_del(struct km *km, uint32_t pfn);              /* remove from its list */
void lru_activate(struct km *km, uint32_t pfn);         /* folio_activate */
void lru_mark_accessed(struct km *km, uint32_t pfn);    /* folio_mark_accessed */
void lru_move_to_lazyfree(struct km *km, uint32_t pfn); /* MADV_FREE */
void lru_deactivate(struct km *km, uint32_t pfn);       /* MADV_COLD */
int lru_of(const struct km_frame *f);
uint64_t lru_size(struct km *km, int cg, int lru);     /* cg -1: node total */
uint64_t lru_vec_size(struct km *km, int cg, int lru); /* as the kernel sees it (root = node) */
void lru_putback(struct km *km, uint32_t pfn, bool tail);
void lru_check(const struct km *km);
void lru_note_cost(struct km *km, int cg, bool file, uint64_t nr_io, uint64_t nr_rotated);

/* ---- workingset.c: refault detection (section 4.6) ------------------------------------------ */

uint32_t workingset_eviction(struct km *km, uint32_t pfn); /* returns the shadow */
void workingset_refault(struct km *km, uint32_t pfn, uint32_t shadow);
void workingset_age_nonresident(struct km *km, int cg, uint64_t nr);
void workingset_activation(struct km *km, uint32_t pfn);
#define KM_SHADOW_TAG 0x80000000u

/* ---- reclaim.c: vmscan (sections 4.2-4.7) ------------------------------------------------------ */

bool reclaim_inactive_is_low(struct km *km, int cg, bool file);
void reclaim_get_scan_count(struct km *km, int cg, struct km_scan_control *sc, uint64_t nr[4]);
uint64_t reclaim_shrink_node(struct km *km, struct km_scan_control *sc);
/* try_to_free_pages: direct reclaim for an allocation; returns pages reclaimed. */
uint64_t reclaim_direct(struct km *km, int order, int highest_zoneidx);
/* try_to_free_mem_cgroup_pages */
uint64_t reclaim_memcg(struct km *km, int cg, uint64_t nr_pages, bool may_swap);
void kswapd_wakeup(struct km *km, int order, int highest_zoneidx);
/* Let kswapd run on its own timeline up to `now_ns`. */
void kswapd_catch_up(struct km *km);
bool reclaim_pgdat_balanced(struct km *km, int order, int highest_zoneidx);
/* Reclaim one list batch for MADV_PAGEOUT (reclaim_pages). */
uint64_t reclaim_pages_list(struct km *km, uint32_t *pfns, size_t n);
uint64_t reclaim_drop_caches(struct km *km);
void reclaim_fini(struct km *km);

/* ---- swap.c ---------------------------------------------------------------------------------------- */

int swap_init(struct km *km, uint64_t bytes);
void swap_fini(struct km *km);
uint64_t swap_total_pages(const struct km *km);
uint64_t swap_free_pages(const struct km *km);
bool swap_full(const struct km *km); /* vm_swap_full */
/* add_to_swap: give the frame a slot and put it in the swap cache; false if no slot. */
bool swap_add_to_cache(struct km *km, uint32_t pfn);
uint32_t swap_slot_of(struct km *km, uint32_t pfn); /* KM_NIL if not in the swap cache */
/* Remove from the swap cache (the frame is being freed or the slot released). */
void swap_cache_del(struct km *km, uint32_t pfn, uint32_t shadow);
void swap_slot_get(struct km *km, uint32_t slot); /* +1 PTE reference */
void swap_slot_put(struct km *km, uint32_t slot); /* -1 PTE reference; frees when unused */
/* do_swap_page for the swap PTE at *pte; returns 0, or -1 (OOM-killed). */
int swap_fault(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t vpn, uint64_t *pte,
               struct km_pt *pt, bool write);
/* folio_free_swap: drop the slot of a swap-cache page that is mapped and dirty. */
void swap_free_cache_slot(struct km *km, uint32_t pfn);
void swap_check(const struct km *km);

/* ---- memcg.c ---------------------------------------------------------------------------------------- */

int memcg_create(struct km *km, const char *name);
int memcg_find(const struct km *km, const char *name);
/* Charge nr pages (try_charge_memcg); -1 when the charge failed after memcg OOM. */
int memcg_charge(struct km *km, int cg, uint64_t nr, bool kmem);
void memcg_uncharge(struct km *km, int cg, uint64_t nr, bool kmem);
/* mem_cgroup_swapout(): the page's memory charge moves to its swap entry (memsw stays). */
void memcg_swapout(struct km *km, int cg, uint64_t nr);
/* The swap entry is freed: release its memsw charge. */
void memcg_swap_uncharge(struct km *km, int cg, uint64_t nr);
void memcg_drain_stock(struct km *km, int cg);
uint64_t memcg_get_max(const struct km *km, int cg); /* for the OOM killer's totalpages */
/* The rstat flush: the stats lruvec_page_state() reads are refreshed every stats_flush_ms. */
void memcg_stats_tick(struct km *km);
void memcg_flush_stats(struct km *km);
uint64_t memcg_wa_activate(struct km *km, int cg, bool file); /* WORKINGSET_ACTIVATE_* */
int memcg_swappiness(const struct km *km, int cg);
uint64_t memcg_margin(const struct km *km, int cg);
void memcg_check(const struct km *km);

/* ---- overcommit.c (section 5) ---------------------------------------------------------------------- */

uint64_t commit_limit(const struct km *km); /* pages */
int commit_vm_enough_memory(struct km *km, struct km_mm *mm, uint64_t pages, bool cap_admin);
void commit_unacct(struct km *km, struct km_mm *mm, uint64_t pages); /* global only */
uint64_t commit_batch(const struct km *km);
void commit_init_reserves(struct km *km);
void commit_check(const struct km *km);

/* ---- oom.c (section 6) ---------------------------------------------------------------------------------- */

int64_t oom_badness(struct km *km, struct km_mm *mm, uint64_t totalpages);
int oom_score(struct km *km, struct km_mm *mm, uint64_t totalpages);
/* out_of_memory(): global (cg = -1) or memcg; returns true if a victim was killed. */
bool oom_kill(struct km *km, int cg, const char *why);

/* ---- proc.c: processes ----------------------------------------------------------------------------------- */

struct km_mm *proc_create(struct km *km, const char *name, int memcg);
/* A process with no mapping at all (trace replay creates the mappings it sees). */
struct km_mm *proc_create_bare(struct km *km, const char *name, int memcg);
struct km_mm *proc_fork(struct km *km, struct km_mm *parent, const char *name);
void proc_exit(struct km *km, struct km_mm *mm);
void proc_kill(struct km *km, struct km_mm *mm);
struct km_mm *proc_find(struct km *km, const char *name);
uint64_t proc_rss(const struct km_mm *mm);
void proc_update_hiwater(struct km_mm *mm);
void proc_charge_time(struct km *km, uint64_t ns);

/* ---- file.c: page cache --------------------------------------------------------------------------- */

int file_create(struct km *km, const char *name, uint64_t bytes);
int file_find(const struct km *km, const char *name);
/* read(2) of [off, off+len): page cache lookups, misses read from "disk". */
int file_read(struct km *km, struct km_mm *mm, int file, uint64_t off, uint64_t len);
void file_evict(struct km *km, uint32_t pfn, uint32_t shadow); /* drop a clean cache page */
void file_unmap_page(struct km *km, uint32_t pfn); /* a mapped page-cache page lost one PTE */
void file_warm(struct km *km, struct km_mm *mm, int file, uint64_t idx, uint64_t n);
bool file_page_mapped(struct km *km, uint32_t pfn);
int file_referenced(struct km *km, uint32_t pfn, int target_cg, uint32_t *vm_flags);
bool file_try_unmap(struct km *km, uint32_t pfn);
/* A read fault in a file mapping: map up to 16 cached pages (fault-around); 1 = major. */
int file_fault(struct km *km, struct km_mm *mm, struct km_vma *v, uint64_t addr, bool write);
uint64_t file_drop_caches(struct km *km);

enum km_out_fmt { KM_OUT_TEXT, KM_OUT_JSON };

/* ---- scenario.c: the scenario language (README.md) ------------------------------------------ */

struct scen;
/* Parse a scenario; NULL with "file:line: message" in err on bad input. */
struct scen *scen_parse(const char *name, const char *text, size_t len, char *err, size_t errlen);
void scen_free(struct scen *s);
/* Apply --set key=value overrides (machine keys and sysctls); -1 with a message on error. */
int scen_override(struct scen *s, const char *kv, char *err, size_t errlen);
/* The machine configuration the scenario asks for. */
const struct km_config *scen_config(const struct scen *s);
struct scen_opts {
    FILE *out; /* where `print` writes */
    enum km_out_fmt fmt;
    uint64_t max_events; /* 0: unlimited */
    uint64_t max_ops;    /* operations executed at most (loops counted); 0: unlimited */
    bool quiet;
    FILE *diag; /* where failed expectations are reported (NULL: stderr) */
};
/* Run on km; 0 ok, 1 an expectation failed, 2 a runtime error in the input (msg in err). */
int scen_run(struct scen *s, struct km *km, const struct scen_opts *o, char *err, size_t errlen);

/* ---- perftrace.c: perf page-touch traces ------------------------------------------------------- */

struct perf_stats {
    uint64_t lines, samples, mmaps, skipped, pids, reads_inferred;
};
/* Replay `perf script` output of `perf record -e minor-faults -c 1 -d`; -1 + "file:line: msg". */
int perf_replay(struct km *km, const char *name, FILE *in, struct perf_stats *st, char *err,
                size_t errlen);

/* ---- output.c ------------------------------------------------------------------------------------------ */

void out_report(struct km *km, FILE *f, enum km_out_fmt fmt, unsigned what);
#define KM_OUT_VMSTAT  0x1u
#define KM_OUT_MEMINFO 0x2u
#define KM_OUT_PROCS   0x4u
#define KM_OUT_BUDDY   0x8u
#define KM_OUT_SLAB    0x10u
#define KM_OUT_FRAG    0x20u
#define KM_OUT_ZONES   0x40u
#define KM_OUT_MEMCG   0x80u
#define KM_OUT_TIME    0x100u
#define KM_OUT_ALL     0x1ffu
void out_buddyinfo(const struct km *km, FILE *f);
void out_slabinfo(const struct km *km, FILE *f);
void out_series_sample(struct km *km);
void out_series_open(struct km *km, const char *path, uint64_t every_ns, bool json);
void out_series_close(struct km *km);
uint64_t out_meminfo_committed_kb(const struct km *km);

#endif /* KMODEL_H */
