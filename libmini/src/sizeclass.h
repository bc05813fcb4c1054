/*
 * sizeclass.h — request sizes, chunk sizes and the bins of the free lists.
 *
 * Glossary (names stay short with these):
 *   s     a request size, in bytes, as the program passed it
 *   c     a chunk size: header included, a multiple of 16, >= MINI_MIN_CHUNK
 *   u     a usable size: c - MINI_HDR
 *   bin   an index into an arena's free lists
 *   tci   an index into a thread cache's bins
 *   lg    log2 of something
 *
 * Derivation of the bins, from three tunables:
 *   MINI_ALIGN (16)          chunk sizes step by 16
 *   MINI_SMALL_MAX (1024)    chunks up to this size get one exact-size bin each:
 *                            32, 48, ..., 1024 -> bins 0 .. MINI_NSMALL-1  (bin = c/16 - 2)
 *   MINI_LG_NDELTA (2)       above it, every power-of-two range [2^k, 2^(k+1)) is split into
 *                            2^LG_NDELTA classes of equal width 2^(k-LG_NDELTA); class j of group
 *                            k holds sizes [2^k + j*2^(k-2), 2^k + (j+1)*2^(k-2)). Group k = 10
 *                            starts above SMALL_MAX (its first class begins at 1040, the first
 *                            size that is not small), up to k = MINI_LG_CHUNK_MAX.
 *
 *   closed form:  c <= 1024:  bin = (c >> 4) - 2
 *                 c >  1024:  k = floor(log2 c); bin = NSMALL + (k - 10) * 4 + ((c - 2^k) >> (k - 2))
 *
 * Large bins therefore hold sizes within 25 % of each other; a large bin is kept sorted by size
 * (smallest first), so the first chunk that fits in the first non-empty bin >= bin(c) is the best
 * fit. mini_bin_lo[] (sizeclass table, built at init in bins.c) keeps the lower bound of each
 * bin; debug builds assert it agrees with the closed form.
 */
#ifndef MINI_SIZECLASS_H
#define MINI_SIZECLASS_H

#include <stddef.h>
#include <stdint.h>

#include "chunk.h"

#define MINI_SMALL_MAX    1024u
#define MINI_LG_SMALL_MAX 10
#define MINI_LG_NDELTA    2
#define MINI_LG_CHUNK_MAX 47 /* x86-64 user address space */
#define MINI_NSMALL       ((MINI_SMALL_MAX - MINI_MIN_CHUNK) / MINI_ALIGN + 1)
#define MINI_NLARGE       ((MINI_LG_CHUNK_MAX - MINI_LG_SMALL_MAX + 1) << MINI_LG_NDELTA)
#define MINI_NBINS        (MINI_NSMALL + MINI_NLARGE)
#define MINI_BINMAP_WORDS ((MINI_NBINS + 63) / 64)

/* The thread cache serves requests up to MINI_TCACHE_MAX_LIMIT (an option picks the actual
 * limit below it); its bins are exact chunk sizes: tci = c/16 - 2. */
#define MINI_TCACHE_MAX_LIMIT 4096u
#define MINI_TC_NBINS         (((MINI_TCACHE_MAX_LIMIT + MINI_HDR + MINI_ALIGN - 1) / MINI_ALIGN) - 1)

/* The largest request: beyond it, size arithmetic could overflow or exceed PTRDIFF_MAX. */
#define MINI_MAX_REQUEST ((size_t)PTRDIFF_MAX - (size_t)(1u << 22))

/* Chunk size for a request of s bytes (s <= MINI_MAX_REQUEST). */
static inline size_t mini_s2c(size_t s)
{
    size_t c = (s + MINI_HDR + MINI_ALIGN - 1) & ~(size_t)(MINI_ALIGN - 1);
    return c < MINI_MIN_CHUNK ? MINI_MIN_CHUNK : c;
}

static inline unsigned mini_lg_floor(size_t x)
{
    return 63u - (unsigned)__builtin_clzl(x);
}

/* The bin of chunk size c (closed form). */
static inline unsigned mini_c2bin(size_t c)
{
    if (c <= MINI_SMALL_MAX)
        return (unsigned)(c >> 4) - 2;
    unsigned k = mini_lg_floor(c);
    if (k > MINI_LG_CHUNK_MAX)
        return MINI_NBINS - 1;
    return MINI_NSMALL + ((k - MINI_LG_SMALL_MAX) << MINI_LG_NDELTA) +
           (unsigned)((c - ((size_t)1 << k)) >> (k - MINI_LG_NDELTA));
}

static inline int mini_bin_is_small(unsigned bin)
{
    return bin < MINI_NSMALL;
}

/* The lower bound of each bin's sizes (bins.c). */
extern size_t mini_bin_lo[MINI_NBINS + 1];

static inline unsigned mini_c2tci(size_t c)
{
    return (unsigned)(c >> 4) - 2;
}
static inline size_t mini_tci2c(unsigned tci)
{
    return ((size_t)tci + 2) << 4;
}

#endif /* MINI_SIZECLASS_H */
