/*
 * large.c — blocks of MINI_MMAP_THRESHOLD (128 KiB) and more: one anonymous mapping each.
 *
 *   base -> +------------------------------+  (page aligned; base == chunk unless aligned)
 *           | alignment slack (< 1 page)   |
 *   chunk ->| prev_foot = chunk - base     |
 *           | head = size | CINUSE|MMAPPED |  size reaches the end of the mapping
 *   mem  -> | user data ...                |
 *           +------------------------------+  <- base + mapping length (page aligned)
 *
 * free() unmaps the block at once; realloc() resizes it with mremap (no copy), or moves it
 * into an arena when it shrinks below the threshold.
 *
 * The table: every live large block's user pointer is in an open-addressing hash set (keys are
 * addresses; 0 empty, 1 deleted), in pages of its own, doubled at half load. Deletes are counted
 * since the last rebuild, whether or not an insert has reused their marker since, so that when
 * the table is rebuilt (and its pages mapped) depends on the sequence of calls alone, not on
 * where the blocks' addresses hash: the kernel model, which places mappings its own way, then
 * sees the same calls (make validate-model, I2). A pointer that is
 * in no arena segment is only trusted after it is found here, so free() of a pointer libmini
 * never returned is reported instead of reading memory that may not be there.
 *
 * Also here: mini_meta_alloc, page-granular memory for libmini's own metadata (thread caches,
 * the table), mapped directly so that metadata never lives among user blocks.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static struct {
    uintptr_t *slots;
    size_t cap;    /* power of two, or 0 */
    size_t used;   /* live keys */
    size_t dead;   /* deletes since the last rebuild (>= the deleted markers in the table) */
    size_t mapped; /* bytes of live large blocks' mappings */
    uint64_t n_alloc, n_free;
} lt;

#define LT_EMPTY ((uintptr_t)0)
#define LT_DEAD  ((uintptr_t)1)

void *mini_meta_alloc(size_t size)
{
    size = mini_align_up(size, mini_global.page);
    void *p = mini_os_map(size);
    if (p) {
        atomic_fetch_add_explicit(&mini_global.meta_mapped, size, memory_order_relaxed);
        mini_mapped_add((ptrdiff_t)size);
    }
    return p;
}

void mini_meta_free(void *p, size_t size)
{
    size = mini_align_up(size, mini_global.page);
    mini_os_unmap(p, size);
    atomic_fetch_sub_explicit(&mini_global.meta_mapped, size, memory_order_relaxed);
    mini_mapped_add(-(ptrdiff_t)size);
}

static inline size_t lt_hash(uintptr_t key, size_t cap)
{
    return (size_t)(((key >> 4) * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

static bool lt_grow(void)
{
    size_t ncap = lt.cap ? lt.cap * 2 : 1024;
    if (lt.used * 4 < lt.cap)
        ncap = lt.cap; /* mostly deleted markers: rebuild at the same size */
    uintptr_t *ns = mini_meta_alloc(ncap * sizeof(uintptr_t));
    if (ns == NULL)
        return false;
    for (size_t i = 0; i < lt.cap; i++) {
        uintptr_t k = lt.slots[i];
        if (k == LT_EMPTY || k == LT_DEAD)
            continue;
        size_t j = lt_hash(k, ncap);
        while (ns[j] != LT_EMPTY)
            j = (j + 1) & (ncap - 1);
        ns[j] = k;
    }
    if (lt.slots)
        mini_meta_free(lt.slots, lt.cap * sizeof(uintptr_t));
    lt.slots = ns;
    lt.cap = ncap;
    lt.dead = 0;
    return true;
}

static bool lt_insert(uintptr_t key)
{
    if ((lt.used + lt.dead + 1) * 2 > lt.cap && !lt_grow())
        return false;
    size_t j = lt_hash(key, lt.cap);
    while (lt.slots[j] != LT_EMPTY && lt.slots[j] != LT_DEAD)
        j = (j + 1) & (lt.cap - 1);
    lt.slots[j] = key; /* a reused marker is not taken off lt.dead: see the picture */
    lt.used++;
    return true;
}

static size_t lt_find(uintptr_t key)
{
    if (lt.cap == 0)
        return SIZE_MAX;
    size_t j = lt_hash(key, lt.cap);
    for (size_t n = 0; n < lt.cap; n++, j = (j + 1) & (lt.cap - 1)) {
        if (lt.slots[j] == key)
            return j;
        if (lt.slots[j] == LT_EMPTY)
            return SIZE_MAX;
    }
    return SIZE_MAX;
}

static bool lt_remove(uintptr_t key)
{
    size_t j = lt_find(key);
    if (j == SIZE_MAX)
        return false;
    lt.slots[j] = LT_DEAD;
    lt.used--;
    lt.dead++;
    return true;
}

static inline uintptr_t map_base(const mini_chunk_t *c)
{
    return (uintptr_t)c - chunk_foot(c);
}
static inline size_t map_len(const mini_chunk_t *c)
{
    return chunk_foot(c) + chunk_size(c);
}

void *mini_large_alloc(size_t s, size_t align)
{
    size_t page = mini_global.page;
    if (align < MINI_ALIGN)
        align = MINI_ALIGN;
    size_t slack = align > MINI_ALIGN ? align : 0;
    if (s > MINI_MAX_REQUEST - slack - page) {
        errno = ENOMEM;
        return NULL;
    }
    size_t len = mini_align_up(s + MINI_HDR + slack, page);
    uintptr_t base = (uintptr_t)mini_os_map(len);
    if (base == 0) {
        errno = ENOMEM;
        return NULL;
    }
    uintptr_t mem = mini_align_up(base + MINI_HDR, align);
    mini_chunk_t *c = mem2chunk((void *)mem);
    if (align > page) {
        /* Hand back the whole pages before the chunk and after the block. */
        uintptr_t lead = mini_align_down((uintptr_t)c, page) - base;
        if (lead) {
            mini_os_unmap((void *)base, lead);
            base += lead;
            len -= lead;
        }
        uintptr_t end = mini_align_up(mem + s, page);
        if (base + len > end) {
            mini_os_unmap((void *)end, base + len - end);
            len = end - base;
        }
    }
    chunk_set_foot(c, (uintptr_t)c - base);
    chunk_set_head(c, (base + len - (uintptr_t)c) | MINI_CINUSE | MINI_MMAPPED);
    mini_glock(&mini_global.large_lock, &mini_global.large_held);
    bool ok = lt_insert(mem);
    if (ok) {
        lt.mapped += len;
        lt.n_alloc++;
    }
    mini_gunlock(&mini_global.large_lock, &mini_global.large_held);
    if (!ok) {
        mini_os_unmap((void *)base, len);
        errno = ENOMEM;
        return NULL;
    }
    mini_mapped_add((ptrdiff_t)len);
    return (void *)mem;
}

bool mini_large_owns(const void *mem)
{
    mini_glock(&mini_global.large_lock, &mini_global.large_held);
    bool found = lt_find((uintptr_t)mem) != SIZE_MAX;
    mini_gunlock(&mini_global.large_lock, &mini_global.large_held);
    return found;
}

void mini_large_free(mini_chunk_t *c)
{
    void *mem = chunk2mem(c);
    mini_glock(&mini_global.large_lock, &mini_global.large_held);
    bool found = lt_remove((uintptr_t)mem);
    size_t len = found ? map_len(c) : 0, sz = found ? chunk_size(c) : 0;
    if (found) {
        lt.mapped -= len;
        lt.n_free++;
    }
    mini_gunlock(&mini_global.large_lock, &mini_global.large_held);
    if (!found)
        mini_fatal_ptr("free", "invalid pointer", mem);
    mini_os_unmap((void *)map_base(c), len);
    mini_mapped_add(-(ptrdiff_t)len);
    /* glibc's sliding threshold (MINI_MMAP_DYNAMIC): blocks of this size have been short-lived
     * enough to be freed, so later ones come from the heap, and the heap keeps twice as much. */
    if (MINI_UNLIKELY(mini_opt(MINI_OPT_MMAP_DYNAMIC)) &&
        sz > (size_t)mini_opt(MINI_OPT_MMAP_THRESHOLD) && sz <= ((size_t)32 << 20)) {
        MINI_STORE(mini_opt_value[MINI_OPT_MMAP_THRESHOLD], (long)sz);
        MINI_STORE(mini_opt_value[MINI_OPT_TRIM_THRESHOLD], (long)(2 * sz));
    }
}

void *mini_large_realloc(mini_chunk_t *c, size_t s)
{
    size_t page = mini_global.page;
    void *mem = chunk2mem(c);
    size_t old_len = map_len(c), off = chunk_foot(c);
    size_t new_len = mini_align_up(off + MINI_HDR + s, page);
    if (new_len == old_len)
        return mem;
    if (s < (size_t)mini_opt(MINI_OPT_MMAP_THRESHOLD)) {
        /* Small now: move it into an arena rather than keep a mapping for it. */
        void *q = mini_malloc(s);
        if (q == NULL)
            return NULL;
        memcpy(q, mem, s);
        mini_free(mem); /* counted as the old block's end, as a moving realloc's free is */
        return q;
    }
    mini_glock(&mini_global.large_lock, &mini_global.large_held);
    bool found = lt_remove((uintptr_t)mem);
    mini_gunlock(&mini_global.large_lock, &mini_global.large_held);
    if (!found)
        mini_fatal_ptr("realloc", "invalid pointer", mem);
    uintptr_t nb = (uintptr_t)mini_os_remap((void *)map_base(c), old_len, new_len);
    uintptr_t nmem = nb ? nb + off + MINI_HDR : (uintptr_t)mem;
    if (nb) {
        mini_chunk_t *nc = mem2chunk((void *)nmem);
        chunk_set_head(nc, (new_len - off) | MINI_CINUSE | MINI_MMAPPED);
    }
    mini_glock(&mini_global.large_lock, &mini_global.large_held);
    bool ok = lt_insert(nmem);
    if (ok && nb) {
        lt.mapped += new_len;
        lt.mapped -= old_len;
    }
    mini_gunlock(&mini_global.large_lock, &mini_global.large_held);
    if (!ok)
        mini_fatal("out of memory for the large-block table", NULL, nmem);
    if (nb == 0) {
        errno = ENOMEM;
        return NULL;
    }
    mini_mapped_add((ptrdiff_t)new_len - (ptrdiff_t)old_len);
    return (void *)nmem;
}

void mini_large_stats(struct mini_large_stats *st)
{
    mini_glock(&mini_global.large_lock, &mini_global.large_held);
    st->mapped = lt.mapped;
    st->count = lt.used;
    st->n_alloc = lt.n_alloc;
    st->n_free = lt.n_free;
    mini_gunlock(&mini_global.large_lock, &mini_global.large_held);
}

/* Walk the table: every key is a chunk that looks like a large block (mini_check_heap). */
void mini_large_check(void)
{
    mini_glock(&mini_global.large_lock, &mini_global.large_held);
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < lt.cap; i++) {
        uintptr_t k = lt.slots[i];
        if (k == LT_EMPTY || k == LT_DEAD)
            continue;
        mini_chunk_t *c = mem2chunk((void *)k);
        if (!chunk_mmapped(c) || (k & (MINI_ALIGN - 1)) || (map_base(c) & (mini_global.page - 1)) ||
            ((map_base(c) + map_len(c)) & (mini_global.page - 1)))
            mini_fatal("heap check failed", "large block header", k);
        n++;
        bytes += map_len(c);
    }
    if (n != lt.used || bytes != lt.mapped)
        mini_fatal("heap check failed", "large block table counts", 0);
    mini_gunlock(&mini_global.large_lock, &mini_global.large_held);
}
