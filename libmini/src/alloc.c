/*
 * alloc.c — the public entry points, pointer validation and initialisation.
 *
 * Fast paths (no lock, no call):
 *   malloc(s <= MINI_TCACHE_MAX):  pop the thread cache's bin for chunk size c = s2c(s)
 *   free(p), chunk size <= MINI_TCACHE_MAX:  validate the header, push onto the bin
 * Everything else goes to the home arena (arena.c) or, for s >= MINI_MMAP_THRESHOLD, to its own
 * mapping (large.c).
 *
 * Validation of a pointer before its header is read: it must be 16-byte aligned and lie in
 * the brk heap or in a pool of ours (mini_heap_bounds), or be a live large block (the table).
 * Then: CINUSE set (else "double free"), not MMAPPED, a sane size that stays in its region,
 * and, when the previous chunk is in use, the header canary. A chunk found in the calling
 * thread's cache is a double free. Failures print "libmini: free(): invalid pointer 0x..." or
 * "libmini: free(): double free 0x..." with write(2) and abort().
 *
 * Initialisation runs once, at the first call that needs it: options (getenv only), secrets
 * from the kernel's AT_RANDOM bytes, the main arena, the thread-cache key; only then, with the
 * allocator usable, pthread_atfork and atexit (which may allocate).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "internal.h"

struct mini_global mini_global = {
    .arenas_lock = PTHREAD_MUTEX_INITIALIZER,
    .large_lock = PTHREAD_MUTEX_INITIALIZER,
    .tcaches_lock = PTHREAD_MUTEX_INITIALIZER,
    .page = 4096,
};

static MINI_TLS char tls_me; /* its address names the thread */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned count_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return (unsigned)n;
    }
    return 1;
}

MINI_COLD void mini_init_slow(void)
{
    long me = (long)(uintptr_t)&tls_me;
    for (;;) {
        int st = atomic_load_explicit(&mini_global.init_state, memory_order_acquire);
        if (st == 2)
            return;
        if (st == 1) {
            if (atomic_load(&mini_global.init_owner) == me)
                mini_fatal("initialisation re-entered", NULL, 0);
            sched_yield();
            continue;
        }
        int expect = 0;
        if (atomic_compare_exchange_strong(&mini_global.init_state, &expect, 1))
            break;
    }
    atomic_store(&mini_global.init_owner, me);

    mini_options_init();
    mini_global.page = mini_os_page_size();
    uint64_t r[2] = {0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL};
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    if (rnd)
        memcpy(r, rnd, sizeof(r));
    uint64_t salt = (uint64_t)(uintptr_t)&tls_me ^ mini_now_ns();
    mini_global.canary_secret = (uintptr_t)mix64(r[0] ^ salt ^ mix64(r[1]));
    const char *pre = getenv("LD_PRELOAD");
    mini_global.under_valgrind = pre && strstr(pre, "/vgpreload_");
    mini_bins_init_table();
    mini_arena_init_main();
    long amax = mini_opt(MINI_OPT_ARENA_MAX);
    unsigned ncpu = count_cpus();
    mini_global.arena_max = amax > 0 ? (unsigned)amax : (ncpu * 8 > 256 ? 256 : ncpu * 8);
    mini_tcache_init_global();
    atomic_store_explicit(&mini_global.init_state, 2, memory_order_release);

    /* The allocator works from here on: these two may call malloc. */
    pthread_atfork(mini_arena_fork_prepare, mini_arena_fork_parent, mini_arena_fork_child);
    atexit(mini_stats_at_exit);
}

/* ---- Validation ------------------------------------------------------------------------ */

MINI_COLD static _Noreturn void bad_pointer(const void *mem, const char *fn)
{
    /* Tell a double free from garbage where the header allows it. */
    uintptr_t lo, hi = mini_heap_bounds((uintptr_t)mem - MINI_HDR, &lo);
    if (hi && !((uintptr_t)mem & (MINI_ALIGN - 1))) {
        const mini_chunk_t *c = mem2chunk(mem);
        size_t sz = chunk_size(c);
        if (sz >= MINI_MIN_CHUNK && sz <= hi - (uintptr_t)c &&
            (!chunk_cinuse(c) || chunk_cached(c)))
            mini_fatal_ptr(fn, strcmp(fn, "free") == 0 ? "double free" : "invalid pointer (freed)",
                           mem);
    }
    mini_fatal_ptr(fn, "invalid pointer", mem);
}

/* Header checks of a heap chunk inside [lo, hi) held by the program: all that can be read
 * safely (a cached chunk fails them: it was freed). */
static inline bool held_ok(const mini_chunk_t *c, size_t head, uintptr_t lo, uintptr_t hi,
                           size_t nibble)
{
    size_t sz = head & ~MINI_FLAGS;
    /* In use, not cached, bit 0 clear, POOLED as the region says: the whole low nibble. */
    if ((head & MINI_FLAGS) != nibble || sz < MINI_MIN_CHUNK || sz > hi - (uintptr_t)c)
        return false;
    /* The canary, or (the previous chunk is free) a size that stays inside the region. */
    size_t pf = chunk_foot(c);
    return pf == mini_canary(c) ||
           (pf >= MINI_MIN_CHUNK && !(pf & (MINI_ALIGN - 1)) && pf <= (uintptr_t)c - lo);
}

mini_chunk_t *mini_validate(const void *mem, const char *fn)
{
    mini_chunk_t *c = mem2chunk(mem);
    if ((uintptr_t)mem & (MINI_ALIGN - 1))
        mini_fatal_ptr(fn, "invalid pointer", mem);
    uintptr_t lo, hi;
    size_t nibble;
    if (!mini_region_of((uintptr_t)c, &lo, &hi, &nibble)) {
        if (mini_large_owns(mem))
            return c;
        mini_fatal_ptr(fn, "invalid pointer", mem);
    }
    if (!held_ok(c, chunk_head(c), lo, hi, nibble))
        bad_pointer(mem, fn);
    return c;
}

/* ---- malloc ---------------------------------------------------------------------------- */

static inline void *tc_pop(struct mini_tcache *tc, size_t c)
{
    struct mini_tbin *b = mini_tc_bin(tc, c);
    void **m = b->head;
    if (MINI_LIKELY(m != NULL)) {
        void *next = mini_tc_reveal(&m[0]);
        uintptr_t lo, hi;
        size_t nib;
        /* The link of a freed block: a stray write shows up as a misaligned pointer or one
         * outside every heap region (debug builds also check the block it points to). */
        if (MINI_UNLIKELY(next != NULL &&
                          (((uintptr_t)next & (MINI_ALIGN - 1)) ||
                           !mini_region_of((uintptr_t)next - MINI_HDR, &lo, &hi, &nib))))
            mini_fatal_ptr("malloc", "corrupted thread cache (a freed block was written to)", m);
        mini_assert(next == NULL ||
                    (chunk_cached(mem2chunk(next)) && chunk_size(mem2chunk(next)) == c));
        b->head = next;
        tc->bytes -= c;
        mini_chunk_t *ch = mem2chunk(m);
        chunk_set_head(ch, chunk_head(ch) & ~MINI_CACHED);
        MINI_STORE(b->count, MINI_LOAD(b->count) - 1);
        return m;
    }
    return mini_tcache_refill(tc, c);
}

/* Allocate a chunk of c bytes from the home arena; *dirty as in mini_arena_alloc. */
static void *arena_malloc(size_t s, size_t c, size_t *dirty)
{
    struct mini_arena *a = mini_arena_lock_home();
    mini_chunk_t *v = mini_arena_alloc(a, c, dirty);
    mini_arena_after_op(a);
    mini_arena_unlock(a);
    if (MINI_LIKELY(v != NULL))
        return chunk2mem(v);
    /* The arena could not grow: a mapping of its own is the last resort. */
    if (dirty)
        *dirty = 0;
    return mini_large_alloc(s, MINI_ALIGN);
}

static struct mini_tcache *tc_get(void)
{
    struct mini_tcache *tc = mini_tls_tc;
    if (MINI_UNLIKELY(tc == NULL)) {
        mini_ensure_init();
        tc = mini_tcache_create();
    }
    return tc;
}

MINI_NOINLINE static void *malloc_slow(size_t s)
{
    struct mini_tcache *tc = tc_get();
    if (s > MINI_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    mini_count(tc, &tc->n_malloc);
    size_t c = mini_s2c(s);
    if (c <= tc->max_c)
        return tc_pop(tc, c);
    mini_count(tc, &tc->n_uncached);
    if (s >= (size_t)mini_opt(MINI_OPT_MMAP_THRESHOLD))
        return mini_large_alloc(s, MINI_ALIGN);
    return arena_malloc(s, c, NULL);
}

void *mini_malloc(size_t s)
{
    struct mini_tcache *tc = mini_tls_tc;
    if (MINI_LIKELY(tc != NULL && s < tc->lim_s)) {
        MINI_CNT_INC(tc->n_malloc);
        return tc_pop(tc, mini_s2c(s));
    }
    return malloc_slow(s);
}

/* ---- free ------------------------------------------------------------------------------ */

MINI_NOINLINE static void free_arena(void *mem, mini_chunk_t *c)
{
    struct mini_tcache *tc = mini_tls_tc;
    if (tc == NULL && atomic_load_explicit(&mini_global.init_state, memory_order_acquire) == 2) {
        /* A thread's first call is a free: give it its cache, then take the fast path. */
        mini_tcache_create();
        mini_free(mem);
        return;
    }
    if (tc)
        mini_count(tc, &tc->n_free);
    mini_arena_free_any(c);
}

MINI_NOINLINE static void free_slow(void *mem)
{
    if (mem == NULL)
        return;
    if ((uintptr_t)mem & (MINI_ALIGN - 1))
        mini_fatal_ptr("free", "invalid pointer", mem);
    struct mini_tcache *tc = mini_tls_tc;
    if (tc)
        mini_count(tc, &tc->n_free);
    mini_large_free(mem2chunk(mem)); /* reports the pointer if it is not a live large block */
}

void mini_free(void *mem)
{
    mini_chunk_t *c = mem2chunk(mem);
    uintptr_t lo, hi;
    size_t nibble;
    /* NULL, large blocks and foreign pointers are in no region: the slow path sorts them. */
    if (MINI_UNLIKELY(!mini_region_of((uintptr_t)c, &lo, &hi, &nibble) ||
                      ((uintptr_t)mem & (MINI_ALIGN - 1)))) {
        free_slow(mem);
        return;
    }
    size_t head = chunk_head(c);
    if (MINI_UNLIKELY(!held_ok(c, head, lo, hi, nibble)))
        bad_pointer(mem, "free");
    size_t sz = head & ~MINI_FLAGS;
    struct mini_tcache *tc = mini_tls_tc;
    if (MINI_LIKELY(tc != NULL) && sz <= tc->max_c) {
        struct mini_tbin *b = mini_tc_bin(tc, sz);
        uint32_t n = mini_tc_push(tc, b, c, head, sz);
        MINI_CNT_INC(tc->n_free);
        if (MINI_UNLIKELY(n > b->max))
            mini_tcache_flush_bin(tc, mini_c2tci(sz), n / 2);
        else if (MINI_UNLIKELY(tc->bytes > tc->max_bytes))
            mini_tcache_shrink(tc, mini_c2tci(sz));
        return;
    }
    free_arena(mem, c);
}

/* ---- calloc, realloc ------------------------------------------------------------------- */

void *mini_calloc(size_t n, size_t s)
{
    size_t total;
    if (__builtin_mul_overflow(n, s, &total) || total > MINI_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    struct mini_tcache *tc = tc_get();
    mini_count(tc, &tc->n_malloc);
    mini_count(tc, &tc->n_calloc);
    size_t c = mini_s2c(total);
    if (c <= tc->max_c) {
        void *p = tc_pop(tc, c);
        if (p)
            memset(p, 0, total);
        return p;
    }
    mini_count(tc, &tc->n_uncached);
    if (total >= (size_t)mini_opt(MINI_OPT_MMAP_THRESHOLD))
        return mini_large_alloc(total, MINI_ALIGN); /* fresh pages are zero */
    size_t dirty;
    void *p = arena_malloc(total, c, &dirty);
    if (p)
        memset(p, 0, dirty < total && !mini_global.under_valgrind ? dirty : total);
    return p;
}

void *mini_realloc(void *mem, size_t s)
{
    if (mem == NULL)
        return mini_malloc(s);
    if (s == 0) {
        /* glibc's behaviour: free and return NULL. */
        mini_free(mem);
        return NULL;
    }
    mini_chunk_t *c = mini_validate(mem, "realloc");
    struct mini_tcache *tc = tc_get();
    mini_count(tc, &tc->n_realloc);
    if (s > MINI_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    uintptr_t lo;
    if (mini_heap_bounds((uintptr_t)c, &lo) == 0)
        return mini_large_realloc(c, s);
    size_t oldc = chunk_size(c), newc = mini_s2c(s);
    if (newc <= oldc && oldc - newc < MINI_MIN_CHUNK)
        return mem;
    struct mini_arena *a = mini_arena_of(c);
    mini_arena_lock(a);
    bool ok = mini_arena_resize(a, c, newc);
    mini_arena_after_op(a);
    mini_arena_unlock(a);
    if (ok)
        return mem;
    void *q = mini_malloc(s);
    if (q == NULL)
        return NULL;
    memcpy(q, mem, oldc - MINI_HDR);
    mini_free(mem);
    return q;
}

void *mini_reallocarray(void *mem, size_t n, size_t s)
{
    size_t total;
    if (__builtin_mul_overflow(n, s, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return mini_realloc(mem, total);
}

/* ---- Aligned allocation ---------------------------------------------------------------- */

static void *aligned_impl(size_t align, size_t s)
{
    struct mini_tcache *tc = tc_get();
    if (align <= MINI_ALIGN)
        return mini_malloc(s);
    mini_count(tc, &tc->n_malloc);
    mini_count(tc, &tc->n_aligned);
    mini_count(tc, &tc->n_uncached);
    if (s > MINI_MAX_REQUEST || align > MINI_MAX_REQUEST / 2 || s + align > MINI_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    if (s + align >= (size_t)mini_opt(MINI_OPT_MMAP_THRESHOLD))
        return mini_large_alloc(s, align);
    struct mini_arena *a = mini_arena_lock_home();
    mini_chunk_t *v = mini_arena_alloc_aligned(a, mini_s2c(s), align);
    mini_arena_after_op(a);
    mini_arena_unlock(a);
    if (v)
        return chunk2mem(v);
    return mini_large_alloc(s, align);
}

void *mini_memalign(size_t align, size_t s)
{
    /* glibc: an alignment that is not a power of two is rounded up to one. */
    if (align > MINI_MAX_REQUEST / 2) {
        errno = EINVAL;
        return NULL;
    }
    if (!mini_is_pow2(align))
        align = align < 2 ? 1 : (size_t)1 << (64 - __builtin_clzl(align - 1));
    return aligned_impl(align, s);
}

int mini_posix_memalign(void **memptr, size_t align, size_t s)
{
    if (align < sizeof(void *) || !mini_is_pow2(align) || align > MINI_MAX_REQUEST / 2)
        return EINVAL;
    int saved = errno;
    void *p = aligned_impl(align, s);
    if (p == NULL) {
        errno = saved;
        return ENOMEM;
    }
    *memptr = p;
    return 0;
}

void *mini_aligned_alloc(size_t align, size_t s)
{
    /* C17: an alignment the implementation does not support fails; ours are powers of two. */
    if (!mini_is_pow2(align) || align > MINI_MAX_REQUEST / 2) {
        errno = EINVAL;
        return NULL;
    }
    return aligned_impl(align, s);
}

void *mini_valloc(size_t s)
{
    mini_ensure_init();
    return aligned_impl(mini_global.page, s);
}

void *mini_pvalloc(size_t s)
{
    mini_ensure_init();
    size_t page = mini_global.page;
    if (s > MINI_MAX_REQUEST) {
        errno = ENOMEM;
        return NULL;
    }
    return aligned_impl(page, s ? mini_align_up(s, page) : page);
}

/* ---- Introspection and trimming -------------------------------------------------------- */

size_t mini_usable_size(const void *mem)
{
    if (mem == NULL)
        return 0;
    mini_chunk_t *c = mini_validate(mem, "malloc_usable_size");
    return chunk_size(c) - MINI_HDR;
}

void mini_thread_cache_flush(void)
{
    mini_tcache_flush_all(mini_tls_tc);
}

int mini_trim(size_t pad)
{
    mini_ensure_init();
    mini_tcache_flush_all(mini_tls_tc);
    size_t released = 0;
    unsigned n = atomic_load_explicit(&mini_global.narenas, memory_order_acquire);
    for (unsigned i = 0; i < n; i++) {
        struct mini_arena *a = mini_global.arenas[i];
        mini_arena_lock(a);
        released += mini_arena_purge(a, true);
        released += mini_heap_trim(a, pad);
        if (mini_check_walk())
            mini_check_arena(a);
        mini_arena_unlock(a);
    }
    return released > 0;
}
