/*
 * chunk.h — the block ("chunk") layout: the 16-byte header and the boundary tag.
 *
 * Every block handed out by libmini is a chunk: a 16-byte header directly before the 16-byte
 * aligned user pointer. Chunks tile each heap segment (the brk heap, or an mmap'd pool) with no
 * gaps; the size in the header reaches the next chunk.
 *
 *   An in-use chunk (held by the program, or CACHED in a thread cache):
 *
 *     chunk -> +-----------------------------------------------+
 *              | prev_foot: canary = chunk ^ secret, if the    |  word 0: written by whoever
 *              |   previous chunk is in use; its size if free  |  changes the previous chunk
 *              +-----------------------------------------------+
 *              | head: size of this chunk | flags              |  word 1: written only by the
 *       mem -> +-----------------------------------------------+  chunk's holder (16-aligned)
 *              | user data: size - 16 bytes (the usable size)  |
 *              .                                               .
 *     next  -> +-----------------------------------------------+
 *              | next->prev_foot = canary(next): this is in use |
 *
 *   A free chunk (in an arena's bins, or the top chunk):
 *
 *     chunk -> +-----------------------------------------------+
 *              | prev_foot = canary (the previous is in use)   |
 *              | head: size | [PURGED]                         |  CINUSE clear
 *       mem -> | fd: next chunk in the bin                     |
 *              | bk: previous chunk in the bin (NULL: first)   |
 *              | fd_size, bk_size: same-size chain (large bins)|
 *              | dirty_ns, dnext, dprev: DIRTY chunks only: age |
 *              |   and links of the arena's dirty LRU list     |
 *              | dlo, dhi: the dirty hole (chunks with a whole  |
 *              |   page inside): pages that may be resident;   |
 *              |   every other page inside was purged          |
 *              .      (unused; whole pages here may be purged) .
 *     next  -> +-----------------------------------------------+
 *              | next->prev_foot = size  <- the boundary tag    |
 *
 *   "Is the previous chunk in use?" is answered by prev_foot alone: it equals this chunk's
 *   canary (a secret 64-bit value) exactly when the previous chunk is in use, and holds that
 *   chunk's size (< 2^47) when it is free. There is no PINUSE bit in head: so head belongs to
 *   whoever holds the chunk (the program or a thread cache, with no lock; the arena, under its
 *   lock, while the chunk is free), and a neighbour's free never writes it. Both words are
 *   read and written with relaxed atomic accesses (plain moves), because a neighbour under the
 *   arena lock may rewrite prev_foot while the holder reads it.
 *
 *   A chunk in a thread cache is an in-use chunk with CACHED set; its first user word links it
 *   to the next cached chunk of its size.
 *
 *   A mmapped ("large") chunk has its own mapping: prev_foot holds the offset from the start of
 *   the mapping to the chunk, head = size | CINUSE | MMAPPED, and size reaches the mapping's end.
 *
 * Flags (sizes are multiples of 16, so the low 4 bits of head are free):
 *   bit 0    in use: always 0 (a pointer whose header has it set is not one of ours);
 *   DIRTY    (free, in a bin) counted in the arena's dirty bytes: big enough to purge, not yet
 *   CINUSE   this chunk is in use
 *   bit 2, by context (the chunk's address tells which: large chunks are in no heap segment):
 *   MMAPPED  (in use, large) this chunk has its own mapping
 *   CACHED   (in use, in a heap) this chunk sits in a thread cache: freed by the program
 *   PURGED   (free, in a heap) all the whole pages inside this chunk were given back with
 *            madvise: its dirty hole [dlo, dhi) is empty. A free chunk may also be partly
 *            purged: a merge's hole is the hull of its parts' holes and the freed block's own
 *            pages, a split keeps the part of the hole that falls in the rest, and a purge
 *            gives back the hole alone, in one madvise
 *   POOLED   the chunk lives in an mmap'd pool (its pool header is at chunk & ~(POOL_SIZE-1))
 *
 * Invariants (checked by mini_check_heap):
 *   1. Every chunk is 16-byte aligned and at least MINI_MIN_CHUNK bytes, except the 16-byte
 *      fencepost that ends a closed segment.
 *   2. c->prev_foot == canary(c) iff the previous chunk is in use (or c is the first chunk of
 *      its segment); otherwise it is the previous chunk's size.
 *   3. No two free chunks are adjacent: free merges with both neighbours at once.
 *   4. The top chunk is the last chunk of its arena's current segment; it is free and in no
 *      bin. Every other free chunk is in exactly one bin, the one its size maps to.
 *   5. MMAPPED chunks are in no segment and no bin; they are in the large-block table.
 *   6. A chunk in a thread cache is CINUSE and CACHED; a chunk held by the program is CINUSE
 *      and not CACHED. So free() of a cached chunk is a double free, known from the header
 *      alone, whichever thread's cache holds it.
 */
#ifndef MINI_CHUNK_H
#define MINI_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#define MINI_ALIGN     16u /* alignment of every user pointer */
#define MINI_HDR       16u /* bytes of header before the user pointer */
#define MINI_MIN_CHUNK 32u /* header + two links */
#define MINI_FENCE     16u /* the fencepost closing a segment */
/* Bytes at the start of a free chunk that hold its header and links: never purged. */
#define MINI_FREE_META 96u

#define MINI_BIT0    ((size_t)1) /* never set on an in-use chunk */
#define MINI_DIRTY   ((size_t)1) /* free chunks in bins: counted as dirty */
#define MINI_CINUSE  ((size_t)2)
#define MINI_MMAPPED ((size_t)4) /* in-use large chunks */
#define MINI_CACHED  ((size_t)4) /* in-use heap chunks */
#define MINI_PURGED  ((size_t)4) /* free heap chunks */
#define MINI_POOLED  ((size_t)8)
#define MINI_FLAGS   ((size_t)15)

typedef struct mini_chunk {
    size_t prev_foot;
    size_t head;
    struct mini_chunk *fd; /* free chunks only */
    struct mini_chunk *bk;
    struct mini_chunk *fd_size; /* free chunks of large bins only */
    struct mini_chunk *bk_size;
    uint64_t dirty_ns;                /* DIRTY chunks only: when it became dirty */
    struct mini_chunk *dnext, *dprev; /* DIRTY chunks only: the arena's dirty list */
    uintptr_t dlo, dhi;               /* free chunks with whole pages: the dirty hole */
} mini_chunk_t;

static inline size_t chunk_head(const mini_chunk_t *c)
{
    return __atomic_load_n(&c->head, __ATOMIC_RELAXED);
}
static inline void chunk_set_head(mini_chunk_t *c, size_t h)
{
    __atomic_store_n(&c->head, h, __ATOMIC_RELAXED);
}
static inline size_t chunk_foot(const mini_chunk_t *c)
{
    return __atomic_load_n(&c->prev_foot, __ATOMIC_RELAXED);
}
static inline void chunk_set_foot(mini_chunk_t *c, size_t v)
{
    __atomic_store_n(&c->prev_foot, v, __ATOMIC_RELAXED);
}
static inline size_t chunk_size(const mini_chunk_t *c)
{
    return chunk_head(c) & ~MINI_FLAGS;
}
static inline int chunk_cinuse(const mini_chunk_t *c)
{
    return (chunk_head(c) & MINI_CINUSE) != 0;
}
/* For a chunk known to be large (found in the large-block table). */
static inline int chunk_mmapped(const mini_chunk_t *c)
{
    return (chunk_head(c) & (MINI_CINUSE | MINI_MMAPPED)) == (MINI_CINUSE | MINI_MMAPPED);
}
/* For a chunk known to be in a heap segment. */
static inline int chunk_cached(const mini_chunk_t *c)
{
    return (chunk_head(c) & (MINI_CINUSE | MINI_CACHED)) == (MINI_CINUSE | MINI_CACHED);
}
static inline int chunk_purged(const mini_chunk_t *c)
{
    return (chunk_head(c) & (MINI_CINUSE | MINI_PURGED)) == MINI_PURGED;
}
static inline int chunk_pooled(const mini_chunk_t *c)
{
    return (chunk_head(c) & MINI_POOLED) != 0;
}
static inline mini_chunk_t *chunk_at(uintptr_t a)
{
    return (mini_chunk_t *)a;
}
static inline mini_chunk_t *chunk_plus(const mini_chunk_t *c, size_t off)
{
    return (mini_chunk_t *)((uintptr_t)c + off);
}
static inline mini_chunk_t *chunk_minus(const mini_chunk_t *c, size_t off)
{
    return (mini_chunk_t *)((uintptr_t)c - off);
}
static inline mini_chunk_t *chunk_next(const mini_chunk_t *c)
{
    return chunk_plus(c, chunk_size(c));
}
static inline void *chunk2mem(const mini_chunk_t *c)
{
    return (void *)((uintptr_t)c + MINI_HDR);
}
static inline mini_chunk_t *mem2chunk(const void *p)
{
    return (mini_chunk_t *)((uintptr_t)p - MINI_HDR);
}

#endif /* MINI_CHUNK_H */
