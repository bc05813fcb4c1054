/*
 * internal.h — what libmini's files share: configuration, assertions, the arena, pool and
 * thread-cache structures, and every cross-file function, grouped by the file defining it.
 *
 * The hierarchy, top to bottom (one file each):
 *   alloc.c    the public mini_* entry points, pointer validation, initialisation
 *   tcache.c   per-thread caches of small free chunks, in front of the arenas
 *   arena.c    arenas: best-fit allocation, coalescing free, in-place resize, purge, fork
 *   bins.c     an arena's segregated free lists (exact small bins, sorted large bins)
 *   heap.c     where arenas get memory: the brk heap and mmap'd pools; top growth and trim
 *   large.c    requests >= the mmap threshold: one mapping per block, and their table
 *   os.c       every call to the kernel (os.h)
 *   options.c, stats.c, check.c, message.c   options, statistics, the heap checker, output
 *
 * Lock order (a thread may take a lock only while holding locks that come before it):
 *   1. mini_global.arenas_lock   (arena creation; held across fork)
 *   2. arena->lock, in increasing arena index (only fork and mini_check_heap take several;
 *      every other path holds at most one arena lock at a time)
 *   3. mini_global.large_lock    (the large-block table)
 *   4. mini_global.tcaches_lock  (the registry of thread caches)
 * The thread cache itself needs no lock: only its thread touches it (and stats read its
 * counters with relaxed atomics). No lock is held while calling user code or stdio.
 * While the process is single-threaded (glibc's __libc_single_threaded) arena and large-table
 * locks are skipped, as glibc's malloc skips its own (mini_single_threaded, arena.c).
 */
#ifndef MINI_INTERNAL_H
#define MINI_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mini.h"
#include "chunk.h"
#include "os.h"
#include "sizeclass.h"

/* ---- Configuration ----------------------------------------------------------------------- */

#ifndef MINI_DEBUG
#define MINI_DEBUG 0
#endif
/* Build switches as constants: every configuration stays compiled and type-checked. */
static const int mini_config_debug = MINI_DEBUG;

#define MINI_LIKELY(x)   __builtin_expect(!!(x), 1)
#define MINI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MINI_NOINLINE    __attribute__((noinline))
#define MINI_COLD        __attribute__((cold, noinline))
#define MINI_TLS         __thread __attribute__((tls_model("initial-exec")))

/* mini_assert: level >= 1; mini_assert_internal: >= 2; mini_assert_expensive: >= 3. */
#define mini_assert_at_(lvl, e)                                                                    \
    do {                                                                                           \
        if (MINI_DEBUG >= (lvl) && MINI_UNLIKELY(!(e)))                                            \
            mini_assert_fail(#e, __FILE__, __LINE__);                                              \
    } while (0)
#define mini_assert(e)           mini_assert_at_(1, e)
#define mini_assert_internal(e)  mini_assert_at_(2, e)
#define mini_assert_expensive(e) mini_assert_at_(3, e)

/* Relaxed counters: a plain load and store (no lock prefix), readable from other threads. */
#define MINI_CNT_INC(x)                                                                            \
    atomic_store_explicit(&(x), atomic_load_explicit(&(x), memory_order_relaxed) + 1,              \
                          memory_order_relaxed)
#define MINI_CNT_ADD(x, n)                                                                         \
    atomic_store_explicit(&(x), atomic_load_explicit(&(x), memory_order_relaxed) + (n),            \
                          memory_order_relaxed)
#define MINI_LOAD(x)     atomic_load_explicit(&(x), memory_order_relaxed)
#define MINI_STORE(x, v) atomic_store_explicit(&(x), (v), memory_order_relaxed)

static inline uintptr_t mini_align_up(uintptr_t x, uintptr_t a)
{
    return (x + a - 1) & ~(a - 1);
}
static inline uintptr_t mini_align_down(uintptr_t x, uintptr_t a)
{
    return x & ~(a - 1);
}
static inline bool mini_is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* ---- Structures -------------------------------------------------------------------------- */

/* Pools: mmap'd heap segments of non-main arenas (and of the main arena once brk fails).
 * A pool reserves MINI_POOL_SIZE bytes of address space aligned to MINI_POOL_SIZE, so the
 * pool of any chunk inside it is chunk & ~(MINI_POOL_SIZE - 1). Only the first `committed`
 * bytes are read-write; the rest is PROT_NONE and costs no commit charge.
 *
 *   base -> [struct mini_pool][struct mini_arena, in an arena's first pool][chunks ... top]
 *           ^ committed end: top ends here while the pool is current; a closed pool ends
 *             with a 16-byte fencepost instead                              [PROT_NONE ...]
 */
#define MINI_LG_POOL_SIZE   26
#define MINI_POOL_SIZE      ((size_t)1 << MINI_LG_POOL_SIZE) /* 64 MiB */
#define MINI_POOL_MAGIC     0x6d696e69706f6f6cULL            /* "minipool" */
/* One bit per possible pool in the 47-bit address space: is there a pool of ours there? */
#define MINI_POOL_MAP_BITS  ((size_t)1 << (47 - MINI_LG_POOL_SIZE))
#define MINI_POOL_MAP_WORDS (MINI_POOL_MAP_BITS / 64)

struct mini_arena;

struct mini_pool {
    uint64_t magic;
    struct mini_arena *arena;
    struct mini_pool *next;   /* the arena's pools, the current one first */
    uintptr_t body;           /* address of the first chunk */
    _Atomic size_t committed; /* read-write bytes from the pool's base (pointer checks read it) */
    bool closed;              /* no longer the current segment: ends with a fencepost */
};

/* A free list: small bins are LIFO lists of one size; large bins hold their distinct sizes
 * smallest first ("leaders", linked by fd/bk), each leader heading a chain of the other chunks
 * of its size (fd_size/bk_size; a follower has bk_size != NULL). */
struct mini_bin {
    mini_chunk_t *head;
};

/* The brk heap of the main arena: contiguous segments of the program break. A foreign sbrk
 * between two of ours starts a new segment. */
#define MINI_MAX_BRK_SEGS 32
struct mini_seg {
    uintptr_t start, end;
};

struct mini_arena {
    pthread_mutex_t lock;
    bool lock_held; /* the holder really took `lock` (not skipped: single-threaded) */
    /* Chunks freed by other threads while the lock was taken: a lock-free stack (linked by fd,
     * each CACHED so that a second free is caught), drained by whoever takes the lock next. */
    _Atomic(mini_chunk_t *) remote;
    _Atomic size_t remote_bytes;
    unsigned idx;
    _Atomic unsigned nthreads; /* threads whose home this is */

    mini_chunk_t *top;   /* the wilderness: last chunk of the current segment, or NULL */
    uintptr_t zero_from; /* bytes of top at and above this address were never written */
    bool on_pools;       /* main arena: brk failed, it grows with pools now */
    struct mini_pool *pools;
    struct mini_seg segs[MINI_MAX_BRK_SEGS]; /* main arena only */
    unsigned nsegs;

    uint64_t binmap[MINI_BINMAP_WORDS];
    struct mini_bin bins[MINI_NBINS];
    /* DIRTY free chunks, oldest first (dirty_ns), and the whole pages inside them. */
    mini_chunk_t *dirty_head, *dirty_tail;
    size_t dirty_bytes;

    /* Statistics, under the lock. */
    size_t mapped;       /* bytes of its segments (brk) and committed pool bytes */
    size_t bin_bytes;    /* bytes of the free chunks in its bins (the top chunk aside) */
    size_t purged_bytes; /* bytes of whole pages purged inside free chunks in its bins */
    size_t out_bytes;    /* chunk bytes handed out (to the program or to thread caches) */
    uint64_t n_alloc, n_free, n_purge, n_trim;
    uint64_t bytes_purged, bytes_trimmed;
    _Atomic uint64_t n_contended;
};

/* A thread cache: per exact chunk size, a LIFO list of free chunks (linked through their first
 * user word, keyed in their second) that the arena still counts as in use. */
struct mini_tbin {
    void *head; /* user pointer of the first cached chunk */
    _Atomic uint32_t count;
    uint16_t max;  /* most chunks this bin holds: MINI_TCACHE_COUNT, at most 32 KiB of them */
    uint16_t fill; /* chunks fetched at the next miss: adapts between max/8 and max/2 */
};

struct mini_tcache {
    size_t lim_s;       /* requests below this are served from the cache; 0: caching off */
    size_t max_c;       /* largest chunk size cached; 0: caching off */
    size_t bytes;       /* chunk bytes cached now (only this thread touches it) */
    size_t max_bytes;   /* MINI_TCACHE_BYTES: past it, a free flushes half its bin */
    uint32_t max_count; /* MINI_TCACHE_COUNT when the cache was made */
    struct mini_tcache *next, *prev; /* registry (tcaches_lock) */
    _Atomic uint64_t n_malloc, n_free, n_calloc, n_realloc, n_aligned;
    _Atomic uint64_t n_miss;     /* cache misses (each refills from the arena) */
    _Atomic uint64_t n_uncached; /* requests the cache cannot serve (too large, aligned) */
    struct mini_tbin bins[MINI_TC_NBINS];
};

/* Process-wide state. */
struct mini_global {
    _Atomic int init_state; /* 0 none, 1 in progress, 2 done */
    _Atomic long init_owner;
    size_t page;
    uintptr_t canary_secret;
    /* Under valgrind, whose memcheck models fresh brk memory as undefined although the kernel
     * zero-fills it: calloc then clears every block. */
    bool under_valgrind;
    _Atomic uintptr_t heap_lo, heap_hi; /* the brk heap's extent, for pointer validation */
    _Atomic uint64_t pool_map[MINI_POOL_MAP_WORDS];

    pthread_mutex_t arenas_lock;
    struct mini_arena *arenas[256];
    _Atomic unsigned narenas;
    unsigned arena_max;

    pthread_mutex_t large_lock;
    bool large_held; /* as mini_arena.lock_held */
    pthread_mutex_t tcaches_lock;
    struct mini_tcache *tcaches; /* live thread caches */
    struct mini_tcache *tc_free; /* structs of exited threads, for reuse */
    pthread_key_t tc_key;
    /* Counters of exited threads' caches. */
    uint64_t dead_n_malloc, dead_n_free, dead_n_calloc, dead_n_realloc, dead_n_aligned, dead_n_miss,
        dead_n_uncached;

    _Atomic size_t meta_mapped;
    _Atomic size_t peak_mapped;
    _Atomic size_t mapped_total; /* maintained where memory is mapped and unmapped */
};

extern struct mini_global mini_global;
extern struct mini_arena mini_main_arena;
extern MINI_TLS struct mini_tcache *mini_tls_tc;
extern MINI_TLS struct mini_arena *mini_tls_arena;

/* ---- alloc.c ----------------------------------------------------------------------------- */
void mini_init_slow(void);
static inline void mini_ensure_init(void)
{
    if (MINI_UNLIKELY(atomic_load_explicit(&mini_global.init_state, memory_order_acquire) != 2))
        mini_init_slow();
}
/* Check that mem is a live block of ours and return its chunk; reports and aborts otherwise.
 * fn names the caller in the message ("free", "realloc", ...). */
mini_chunk_t *mini_validate(const void *mem, const char *fn);

/* ---- tcache.c ---------------------------------------------------------------------------- */
struct mini_tcache *mini_tcache_create(void);
void *mini_tcache_refill(struct mini_tcache *tc, size_t c);
void mini_tcache_flush_bin(struct mini_tcache *tc, unsigned tci, uint32_t keep);
void mini_tcache_flush_all(struct mini_tcache *tc);
/* Flush bins, tci's first, until the cache is under 3/4 of MINI_TCACHE_BYTES. */
void mini_tcache_shrink(struct mini_tcache *tc, unsigned tci);
void mini_tcache_init_global(void);
void mini_tcache_fork_child(void);
extern struct mini_tcache mini_tcache_off; /* caching disabled (exited threads) */
/* The bin of chunk size c: bins are 16 bytes and sizes step by 16 from 32, so the bin is at a
 * fixed offset from c (the closed form mini_c2tci(c) names the same bin). */
static inline struct mini_tbin *mini_tc_bin(struct mini_tcache *tc, size_t c)
{
    _Static_assert(sizeof(struct mini_tbin) == MINI_ALIGN, "one tbin per size step");
    return (struct mini_tbin *)((char *)tc->bins + c - MINI_MIN_CHUNK);
}
/* Safe-linking of a cached chunk's next pointer (as glibc's PROTECT_PTR): stored XOR the
 * slot's address >> 12, so that a stray write shows up as a misaligned pointer. */
static inline void *mini_tc_protect(void *const *slot, void *next)
{
    return (void *)(((uintptr_t)slot >> 12) ^ (uintptr_t)next);
}
static inline void *mini_tc_reveal(void *const *slot)
{
    return (void *)(((uintptr_t)slot >> 12) ^ (uintptr_t)*slot);
}
/* Push in-use chunk ch (its header `head`, its size c) onto tc's bin b: CACHED, linked
 * safely. Returns the bin's new count. */
static inline uint32_t mini_tc_push(struct mini_tcache *tc, struct mini_tbin *b, mini_chunk_t *ch,
                                    size_t head, size_t c)
{
    void **m = chunk2mem(ch);
    chunk_set_head(ch, head | MINI_CACHED);
    m[0] = mini_tc_protect(&m[0], b->head);
    b->head = m;
    uint32_t n = MINI_LOAD(b->count) + 1;
    MINI_STORE(b->count, n);
    tc->bytes += c;
    return n;
}
static inline void mini_count(struct mini_tcache *tc, _Atomic uint64_t *field)
{
    /* The shared "caching off" struct is counted with atomic adds; a thread's own with a
     * plain load and store. */
    if (MINI_UNLIKELY(tc == &mini_tcache_off))
        atomic_fetch_add_explicit(field, 1, memory_order_relaxed);
    else
        MINI_CNT_INC(*field);
}

/* ---- arena.c ----------------------------------------------------------------------------- */
/* True while the process is single-threaded (glibc's __libc_single_threaded): locks are then
 * skipped, as glibc's malloc does. The flag may change; a lock therefore records whether it
 * was really taken, and its release follows that record, not the flag. */
bool mini_single_threaded(void);
void mini_glock(pthread_mutex_t *m, bool *held);
void mini_gunlock(pthread_mutex_t *m, bool *held);
void mini_arena_init_main(void);
/* A new arena in a pool of its own (NULL when MINI_ARENA_MAX arenas exist or out of memory). */
struct mini_arena *mini_arena_create(void);
struct mini_arena *mini_arena_lock_home(void);
void mini_arena_lock(struct mini_arena *a);
bool mini_arena_trylock(struct mini_arena *a);
void mini_arena_unlock(struct mini_arena *a);
void mini_arena_push_remote(struct mini_arena *a, mini_chunk_t *c);
/* Push a chain of chunks (linked by fd, first..last, `bytes` in all) with one CAS. */
void mini_arena_push_remote_chain(struct mini_arena *a, mini_chunk_t *first, mini_chunk_t *last,
                                  size_t bytes);
void mini_arena_free_any(mini_chunk_t *c);
void mini_mutex_init(pthread_mutex_t *m);
struct mini_arena *mini_arena_of(const mini_chunk_t *c);
/* Carve a chunk of c bytes (lock held). *dirty (if not NULL) gets how many leading bytes of
 * its user area may be non-zero: the rest is known zero (fresh memory from the OS). */
mini_chunk_t *mini_arena_alloc(struct mini_arena *a, size_t c, size_t *dirty);
mini_chunk_t *mini_arena_alloc_aligned(struct mini_arena *a, size_t c, size_t align);
void mini_arena_free(struct mini_arena *a, mini_chunk_t *c);
bool mini_arena_resize(struct mini_arena *a, mini_chunk_t *c, size_t newc);
size_t mini_arena_purge(struct mini_arena *a, bool all);
void mini_arena_after_op(struct mini_arena *a);
void mini_arena_fork_prepare(void);
void mini_arena_fork_parent(void);
void mini_arena_fork_child(void);
uint64_t mini_now_ns(void);
/* A cheap clock for purge delays: CLOCK_MONOTONIC_COARSE (a few ns, resolution ~4 ms). */
uint64_t mini_coarse_ns(void);
static inline uintptr_t mini_canary(const mini_chunk_t *c)
{
    return (uintptr_t)c ^ mini_global.canary_secret;
}
/* Is the chunk before c in use? (chunk.h: prev_foot is c's canary exactly then.) */
static inline bool mini_prev_inuse(const mini_chunk_t *c)
{
    return chunk_foot(c) == mini_canary(c);
}
static inline void mini_mark_prev_inuse(mini_chunk_t *c)
{
    chunk_set_foot(c, mini_canary(c));
}
/* Mark c in use with sz bytes, and tell its successor. */
static inline void mini_set_inuse(mini_chunk_t *c, size_t sz)
{
    chunk_set_head(c, (chunk_head(c) & MINI_POOLED) | sz | MINI_CINUSE);
    mini_mark_prev_inuse(chunk_plus(c, sz));
}
/* Make c a free chunk of sz bytes with `flags` (POOLED, PURGED): its successor's boundary tag
 * holds the size. */
static inline void mini_set_free(mini_chunk_t *c, size_t sz, size_t flags)
{
    chunk_set_head(c, sz | flags);
    chunk_set_foot(chunk_plus(c, sz), sz);
}

/* ---- bins.c ------------------------------------------------------------------------------ */
void mini_bins_init_table(void);
void mini_bin_insert(struct mini_arena *a, mini_chunk_t *c);
void mini_bin_remove(struct mini_arena *a, mini_chunk_t *c);
mini_chunk_t *mini_bin_take(struct mini_arena *a, size_t c);
/* Make DIRTY chunk c (in a bin) at least as old as `age` in the dirty list. */
void mini_bin_age(struct mini_arena *a, mini_chunk_t *c, uint64_t age);
/* Take DIRTY chunk c out of the dirty list (it was purged). */
void mini_bin_undirty(struct mini_arena *a, mini_chunk_t *c);
/* The whole pages inside free chunk c (past its header and links): length, start in *start. */
size_t mini_chunk_purge_span(const mini_chunk_t *c, uintptr_t *start);
/* Free chunk c's dirty hole, clipped to its span: length, start in *lo (0: all purged, or no
 * whole page inside). */
size_t mini_chunk_dirty_part(const mini_chunk_t *c, uintptr_t *lo);
/* Set free chunk c's dirty hole to [lo, hi) (clipped to its span; nothing for a chunk without a
 * whole page inside; MINI_ALL_DIRTY: the whole span). Not while c is in a bin. */
void mini_chunk_set_dirty(mini_chunk_t *c, uintptr_t lo, uintptr_t hi);
#define MINI_ALL_DIRTY 0, UINTPTR_MAX

/* ---- heap.c ------------------------------------------------------------------------------ */
/* The top chunk never gets smaller than this, so that it can always be closed. */
#define MINI_TOP_MIN (MINI_MIN_CHUNK + MINI_FENCE)
bool mini_heap_grow(struct mini_arena *a, size_t c);
void mini_heap_set_top(struct mini_arena *a, uintptr_t start, uintptr_t end, size_t flags);
size_t mini_heap_trim(struct mini_arena *a, size_t pad);
struct mini_pool *mini_pool_create(struct mini_arena *owner, size_t prefix, size_t commit);
bool mini_pool_release_if_empty(struct mini_arena *a, mini_chunk_t *c);
void mini_heap_close_top(struct mini_arena *a);
static inline struct mini_pool *mini_pool_of(uintptr_t p)
{
    return (struct mini_pool *)(p & ~(MINI_POOL_SIZE - 1));
}
static inline bool mini_pool_map_test(uintptr_t p)
{
    size_t i = (p >> MINI_LG_POOL_SIZE) & (MINI_POOL_MAP_BITS - 1);
    return (atomic_load_explicit(&mini_global.pool_map[i / 64], memory_order_acquire) >> (i % 64)) &
           1;
}
void mini_pool_map_set(uintptr_t p, bool on);
/* The region that may hold a chunk at address p: its first chunk address (*lo), its end
 * (*hi), and the low four bits of the head of a chunk held by the program there (*nibble:
 * CINUSE, plus POOLED in a pool). False if p is in no brk segment nor pool of ours. Reads no
 * memory of p's. The brk test is one unsigned compare: the common case of single-threaded
 * programs. */
static inline bool mini_region_of(uintptr_t p, uintptr_t *lo, uintptr_t *hi, size_t *nibble)
{
    uintptr_t hl = MINI_LOAD(mini_global.heap_lo), hh = MINI_LOAD(mini_global.heap_hi);
    if (MINI_LIKELY(p - hl < hh - hl)) {
        *lo = hl;
        *hi = hh;
        *nibble = MINI_CINUSE;
        return true;
    }
    if ((p >> 47) == 0 && mini_pool_map_test(p)) {
        struct mini_pool *pl = mini_pool_of(p);
        if (p < pl->body)
            return false;
        *lo = pl->body;
        *hi = (uintptr_t)pl + MINI_LOAD(pl->committed);
        *nibble = MINI_CINUSE | MINI_POOLED;
        return true;
    }
    return false;
}
/* As mini_region_of: the region's end (0: none), and its first chunk address in *lo. */
static inline uintptr_t mini_heap_bounds(uintptr_t p, uintptr_t *lo)
{
    uintptr_t hi;
    size_t nibble;
    return mini_region_of(p, lo, &hi, &nibble) ? hi : 0;
}
void mini_mapped_add(ptrdiff_t delta);

/* ---- large.c ----------------------------------------------------------------------------- */
void *mini_large_alloc(size_t s, size_t align);
void mini_large_free(mini_chunk_t *c);
void *mini_large_realloc(mini_chunk_t *c, size_t s);
bool mini_large_owns(const void *mem);
struct mini_large_stats {
    size_t mapped, count;
    uint64_t n_alloc, n_free;
};
void mini_large_stats(struct mini_large_stats *st);
void mini_large_check(void);

/* ---- meta (in large.c): page-granular metadata for thread caches and the table --------- */
void *mini_meta_alloc(size_t size);
void mini_meta_free(void *p, size_t size);

/* ---- options.c --------------------------------------------------------------------------- */
extern _Atomic long mini_opt_value[MINI_OPT_COUNT_];
void mini_options_init(void);
static inline long mini_opt(mini_option_t o)
{
    return MINI_LOAD(mini_opt_value[o]);
}
void mini_options_print(void (*write_cb)(void *, const char *), void *cbopaque, bool json);

/* ---- stats.c ----------------------------------------------------------------------------- */
void mini_stats_at_exit(void);

/* ---- check.c ----------------------------------------------------------------------------- */
void mini_check_arena(struct mini_arena *a);
void mini_check_tcache(const struct mini_tcache *tc);
/* MINI_CHECK level in force: 2 walks the arena after every arena operation. */
static inline bool mini_check_walk(void)
{
    return mini_opt(MINI_OPT_CHECK) >= 2;
}

/* ---- message.c --------------------------------------------------------------------------- */
/* A fixed buffer that never allocates; text beyond its capacity is dropped. */
struct mini_buf {
    char *p;
    size_t len, cap;
};
void mini_buf_puts(struct mini_buf *b, const char *s);
void mini_buf_u64(struct mini_buf *b, uint64_t v);
void mini_buf_i64(struct mini_buf *b, int64_t v);
void mini_buf_hex(struct mini_buf *b, uintptr_t v);
const char *mini_buf_str(struct mini_buf *b);
void mini_write_err(const char *s);
/* write(2) of all n bytes to fd (EINTR retried, errno kept). */
void mini_write_all(int fd, const char *s, size_t n);
/* A report gathered into one write(2) to fd, so that the reports of processes sharing a stderr
 * or appending to one file (a pipeline, a program tree) never interleave; a write callback for
 * the printers. A piece that does not fit flushes what is gathered first. */
struct mini_gather {
    int fd;
    size_t len;
    char buf[8192];
};
void mini_gather_cb(void *gather, const char *s);
void mini_gather_flush(struct mini_gather *g);
_Noreturn void mini_fatal_ptr(const char *fn, const char *what, const void *p);
_Noreturn void mini_fatal(const char *what, const char *detail, uintptr_t addr);
_Noreturn void mini_assert_fail(const char *expr, const char *file, int line);
void mini_warn(const char *a, const char *b, const char *c);

/* ---- os.c: the OS-call trace hook (set by preload/record.c; NULL when not tracing) -------
 * When set, os.c calls it after every system call it makes, with the call's arguments and raw
 * result (MAP_FAILED, -1, the old break ...). It runs on the calling thread, possibly under an
 * arena lock: it must not allocate nor take a lock that is held while calling into libmini,
 * and it must preserve errno. Unset, it costs one predictable branch per OS call. The op codes
 * are those of the trace format (preload/trace_format.h, MINI_TR_OS_*). */
enum mini_os_op {
    MINI_OS_OP_SBRK = 64,     /* len: the increment (signed); ret: the old break */
    MINI_OS_OP_MMAP = 65,     /* addr: hint; arg: prot | flags << 32; ret: the mapping */
    MINI_OS_OP_MUNMAP = 66,   /* ret: 0 or -1 */
    MINI_OS_OP_MREMAP = 67,   /* len: old length; arg: new length; ret: the new address */
    MINI_OS_OP_MPROTECT = 68, /* arg: prot; ret: 0 or -1 */
    MINI_OS_OP_MADVISE = 69,  /* arg: advice; ret: 0 or -1 */
};
typedef void (*mini_os_hook_t)(unsigned op, uintptr_t addr, size_t len, uint64_t arg,
                               uintptr_t ret);
extern mini_os_hook_t mini_os_trace_hook;

/* ---- introspect.c: read-only views for the preload shim (mallinfo2, malloc_info, mallopt) - */
struct mini_arena_info {
    size_t mapped;    /* bytes of the arena's segments (brk) and committed pool bytes */
    size_t brk;       /* of which brk heap */
    size_t out_bytes; /* chunk bytes handed out (to the program or to thread caches) */
    size_t bin_bytes; /* bytes in free chunks in bins */
    size_t nfree;     /* free chunks in bins */
    size_t top;       /* bytes of the top chunk (0: none) */
    size_t purged;    /* bytes of whole pages purged inside free chunks */
    uint64_t n_alloc, n_free;
};
/* Fill *out for arena i (under its lock); false if there is no arena i. */
bool mini_arena_info_get(unsigned i, struct mini_arena_info *out);
/* Blocks and bytes in every thread cache. */
void mini_tcache_totals(size_t *nblocks, size_t *nbytes);
/* Change the most arenas there may be (mallopt M_ARENA_MAX); existing arenas stay. 0 or -1
 * (a value out of range). */
int mini_arena_max_set(long n);

#endif /* MINI_INTERNAL_H */
