/*
 * mini.h — the public API of libmini, a malloc replacement.
 *
 * Every function here behaves like its C/POSIX/glibc namesake without the mini_ prefix
 * (malloc, free, calloc, realloc, reallocarray, memalign, posix_memalign, aligned_alloc, valloc,
 * pvalloc, malloc_usable_size, malloc_trim), with these guarantees:
 *
 *  - Every returned pointer is 16-byte aligned and is preceded by a 16-byte block header.
 *    mini_malloc(0) returns a unique pointer that can be freed.
 *  - Failure returns NULL with errno = ENOMEM: out of memory, sizes over PTRDIFF_MAX, and
 *    n * size overflow in mini_calloc and mini_reallocarray. It never crashes.
 *  - mini_posix_memalign returns EINVAL for an alignment that is not a power of two multiple
 *    of sizeof(void *), ENOMEM when out of memory, and leaves *memptr untouched on error.
 *  - mini_free / mini_realloc of a pointer libmini never returned, or one already freed, writes
 *    "libmini: free(): invalid pointer 0x..." or "libmini: free(): double free 0x..." to stderr
 *    (with write(2)) and calls abort(), as glibc does.
 *
 * Link with -lmini (pkg-config libmini), or LD_PRELOAD build/lib/libmini-preload.so to replace
 * the standard names in any program.
 */
#ifndef MINI_H
#define MINI_H

#include <stddef.h>
#include <stdint.h>

#define MINI_VERSION_MAJOR 0
#define MINI_VERSION_MINOR 1
#define MINI_VERSION_PATCH 0
#define MINI_VERSION       "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MINI_API                  __attribute__((visibility("default")))
#define MINI_ATTR_MALLOC          __attribute__((malloc, warn_unused_result))
#define MINI_ATTR_ALLOC_SIZE(...) __attribute__((alloc_size(__VA_ARGS__)))
#define MINI_ATTR_ALLOC_ALIGN(n)  __attribute__((alloc_align(n)))
#else
#define MINI_API
#define MINI_ATTR_MALLOC
#define MINI_ATTR_ALLOC_SIZE(...)
#define MINI_ATTR_ALLOC_ALIGN(n)
#endif

/* ---- Allocation -------------------------------------------------------------------------- */

MINI_API void *mini_malloc(size_t size) MINI_ATTR_MALLOC MINI_ATTR_ALLOC_SIZE(1);
MINI_API void mini_free(void *ptr);
MINI_API void *mini_calloc(size_t nmemb, size_t size) MINI_ATTR_MALLOC MINI_ATTR_ALLOC_SIZE(1, 2);
MINI_API void *mini_realloc(void *ptr, size_t size) MINI_ATTR_ALLOC_SIZE(2);
MINI_API void *mini_reallocarray(void *ptr, size_t nmemb, size_t size) MINI_ATTR_ALLOC_SIZE(2, 3);
MINI_API void *mini_memalign(size_t alignment, size_t size) MINI_ATTR_MALLOC MINI_ATTR_ALLOC_SIZE(2)
    MINI_ATTR_ALLOC_ALIGN(1);
MINI_API int mini_posix_memalign(void **memptr, size_t alignment, size_t size);
MINI_API void *mini_aligned_alloc(size_t alignment, size_t size) MINI_ATTR_MALLOC
    MINI_ATTR_ALLOC_SIZE(2) MINI_ATTR_ALLOC_ALIGN(1);
MINI_API void *mini_valloc(size_t size) MINI_ATTR_MALLOC MINI_ATTR_ALLOC_SIZE(1);
MINI_API void *mini_pvalloc(size_t size) MINI_ATTR_MALLOC;

/* Bytes the caller may use at ptr (>= the size asked for); 0 for NULL. */
MINI_API size_t mini_usable_size(const void *ptr);

/*
 * Give back to the OS everything that can be given now: flush the calling thread's cache,
 * shrink every heap top to `pad` bytes, and purge (madvise) the whole pages inside every free
 * block. Returns 1 if any memory was released, 0 otherwise (malloc_trim's contract).
 */
MINI_API int mini_trim(size_t pad);

/* Return the calling thread's cached free blocks to their arenas. */
MINI_API void mini_thread_cache_flush(void);

/*
 * Walk every arena, free list, boundary tag and the calling thread's cache, checking every
 * invariant; on the first broken one, print it and abort(). Returns 0 when all is well.
 * (MINI_CHECK=2 runs this after every arena operation.)
 */
MINI_API int mini_check_heap(void);

/* ---- Statistics -------------------------------------------------------------------------- */

/*
 * A snapshot of the allocator. Versioned by size: mini_stats_get(st, sizeof *st) fills the
 * fields the caller's header knows about; fields are only ever appended.
 *
 * Every byte libmini holds from the OS is in exactly one of:
 *     mapped = allocated + cached + free + overhead
 * where `overhead` is headers, alignment padding and metadata. `purged` is the part of `free`
 * whose pages were given back with madvise (mapped but not resident), so an estimate of the
 * resident heap is mapped - purged (untouched pages of fresh memory are resident only once
 * written; the kernel's RSS can therefore be lower).
 */
typedef struct mini_stats {
    uint64_t size;    /* bytes of this struct that were filled in */
    uint64_t version; /* MINI_STATS_VERSION */

    /* Memory from the OS, now. */
    uint64_t mapped;       /* all bytes held from the OS (heap + pools + large blocks + meta) */
    uint64_t heap_brk;     /* bytes of the main arena's brk heap */
    uint64_t heap_pools;   /* committed bytes of mmap'd pools (non-main arenas, brk fallback) */
    uint64_t large_mapped; /* bytes of the mappings of large (mmap'd) blocks */
    uint64_t meta;         /* bytes mapped for libmini's own metadata */
    uint64_t peak_mapped;  /* high-water mark of `mapped` */

    /* How it is used. */
    uint64_t allocated;   /* block bytes held by the program (headers included) */
    uint64_t cached;      /* block bytes freed but held back: thread caches, remote lists */
    uint64_t free;        /* bytes in arena free lists and top chunks */
    uint64_t top;         /* the part of `free` in top chunks */
    uint64_t purged;      /* the part of `free` whose pages were madvised away */
    uint64_t large_count; /* live large blocks */
    uint64_t narenas;     /* arenas created */
    uint64_t nthreads;    /* threads with a live cache */

    /* Counters since the process started. n_malloc - n_free is the number of live blocks. */
    uint64_t n_malloc; /* blocks handed out: malloc, calloc, the aligned family,
                              realloc(NULL, n) and the new block of a realloc that moves */
    uint64_t n_free;   /* blocks taken back: free, realloc(p, 0) and the old block of a
                              realloc that moves */
    uint64_t n_calloc;
    uint64_t n_realloc;
    uint64_t n_aligned;
    uint64_t n_tcache_hit; /* small requests served from a thread cache */
    uint64_t n_tcache_miss;
    uint64_t n_arena_alloc; /* blocks carved by an arena (for callers or for caches) */
    uint64_t n_arena_free;  /* blocks returned to an arena */
    uint64_t n_large_alloc;
    uint64_t n_large_free;
    uint64_t n_brk; /* brk calls (grow and shrink) */
    uint64_t n_mmap;
    uint64_t n_munmap;
    uint64_t n_mremap;
    uint64_t n_mprotect;
    uint64_t n_madvise;
    uint64_t n_trim;           /* times a heap top was given back */
    uint64_t bytes_purged;     /* bytes of the ranges given to madvise, cumulative */
    uint64_t bytes_trimmed;    /* bytes given back by shrinking heaps, cumulative */
    uint64_t n_lock_contended; /* arena lock acquisitions that had to wait */
    uint64_t dirty;            /* the part of `free` in whole pages waiting to be purged */
} mini_stats_t;

#define MINI_STATS_VERSION 1

/* Fills the first min(size, sizeof(mini_stats_t)) bytes; returns the number of bytes written. */
MINI_API size_t mini_stats_get(mini_stats_t *st, size_t size);

/*
 * Print the statistics (and the options) through write_cb(cbopaque, text), or to stderr when
 * write_cb is NULL. opts: NULL or "" for text, "J" for JSON. Never allocates and never uses
 * stdio, so it is safe from an atexit handler and with the allocator in any state but a held
 * lock.
 */
MINI_API void mini_stats_print(void (*write_cb)(void *cbopaque, const char *s), void *cbopaque,
                               const char *opts);

/* ---- Options ----------------------------------------------------------------------------- */

/*
 * Run-time options. Each is read once, lazily, from the environment variable MINI_<NAME> (for
 * example MINI_MMAP_THRESHOLD=256k); a malformed value gets one warning line naming the
 * variable and the default stays. Byte values take k, m and g suffixes.
 */
typedef enum mini_option {
    MINI_OPT_MMAP_THRESHOLD,  /* requests >= this get their own mapping (131072) */
    MINI_OPT_TRIM_THRESHOLD,  /* shrink a heap when its free top exceeds this (131072) */
    MINI_OPT_TOP_PAD,         /* extra bytes asked for whenever a heap grows, kept on trim */
    MINI_OPT_ARENA_MAX,       /* most arenas (0: 4 x CPUs) */
    MINI_OPT_TCACHE,          /* 1: per-thread caches on, 0: off */
    MINI_OPT_TCACHE_MAX,      /* largest request served by the thread cache (1024) */
    MINI_OPT_TCACHE_COUNT,    /* most blocks per thread-cache bin */
    MINI_OPT_PURGE_THRESHOLD, /* free blocks this large get their whole pages madvised */
    MINI_OPT_PURGE_DELAY,     /* ms a large free block waits before its pages are purged */
    MINI_OPT_PURGE_RATIO,     /* dirty free bytes stay under in-use bytes / ratio (0: no limit) */
    MINI_OPT_SHOW_STATS,      /* print statistics at exit: 0 no, 1 text, 2 JSON */
    MINI_OPT_VERBOSE,         /* print every option and its value at start */
    MINI_OPT_CHECK,           /* heap checking: 0 off, 1 cheap checks, 2 walk after each op */
    MINI_OPT_MMAP_DYNAMIC,    /* 1: glibc's sliding threshold (a freed mapped block raises it) */
    MINI_OPT_PURGE_KEEP,      /* dirty bytes an arena may always keep, whatever the ratio */
    MINI_OPT_TCACHE_BYTES,    /* most bytes one thread cache holds, all sizes together */
    MINI_OPT_COUNT_
} mini_option_t;

/* The value of an option (reads the environment on first use). */
MINI_API long mini_option_get(mini_option_t opt);
/* Set an option; 0 on success, EINVAL for an unknown option or a value out of its range. */
MINI_API int mini_option_set(mini_option_t opt, long value);
/* The option named `name` ("mmap_threshold" or "MINI_MMAP_THRESHOLD"), or -1. */
MINI_API int mini_option_find(const char *name);
/* The environment variable name of an option ("MINI_MMAP_THRESHOLD"), or NULL. */
MINI_API const char *mini_option_name(mini_option_t opt);

#ifdef __cplusplus
}
#endif

#endif /* MINI_H */
