/*
 * trace_format.h — the binary format of libmini allocation traces (MINI_TRACE=FILE), version 1.
 *
 * Shared by the recorder (preload/record.c), the reader (preload/trace_read.c, mini-trace) and
 * the kernel model (analysis/kmodel). preload/TRACE-FORMAT.md is the prose version; keep the two
 * in step, and bump MINI_TRACE_VERSION on any change a version-1 reader would misread.
 *
 *   offset 0                  +--------------------------------------------+
 *                             | struct mini_trace_header (256 bytes)       |
 *                             | zeros up to header_bytes (4096)            |
 *   header_bytes              +--------------------------------------------+
 *                             | chunk 0: struct mini_trace_chunk (64)      |
 *                             |          struct mini_trace_rec [capacity]  |  count of them valid
 *   + chunk_bytes             +--------------------------------------------+
 *                             | chunk 1 ...                                |
 *                             +--------------------------------------------+  chunk nchunks-1
 *
 * Every thread writes its own chunk (records of one thread only, in the order the thread made
 * them); when the chunk is full it takes the next free one in the file. A thread's chunks appear
 * in the file in the order it wrote them. The writer maps the file (MAP_SHARED) and updates
 * `count` after each record, so the file is valid at every instant, even after a crash, _exit()
 * or SIGKILL: `count` records of every chunk are whole.
 *
 * All integers are little-endian, all structures are naturally aligned with no padding.
 *
 * Ordering: `ts` of every record is its ordering key on one clock (CLOCK_MONOTONIC, ns) for the
 * whole process. Within one thread the keys never decrease. Across threads, a block's producing
 * record (malloc... stamped when the call returned) sorts before the record that frees it
 * (stamped when free was entered), and a free sorts before the record that gets the same address
 * back from the allocator. So sorting all records by (ts, tid, file position) gives a global
 * order in which every pointer is produced before it is consumed. The only exception is the
 * realloc family, which both consumes (on entry, `ts_enter`) and produces (on return, `ts`):
 * a reader that tracks addresses must release `in` at `ts_enter` (see TRACE-FORMAT.md).
 */
#ifndef MINI_TRACE_FORMAT_H
#define MINI_TRACE_FORMAT_H

#include <stdint.h>

#define MINI_TRACE_MAGIC           "LIBMINIT" /* the 8 bytes at offset 0 */
#define MINI_TRACE_CHUNK_MAGIC     "MINICHNK" /* the 8 bytes at the start of every written chunk */
#define MINI_TRACE_VERSION         1
#define MINI_TRACE_HEADER_BYTES    4096u
#define MINI_TRACE_CHUNK_BYTES     65536u
#define MINI_TRACE_REC_BYTES       64u
#define MINI_TRACE_CLOCK_MONOTONIC 1u /* header.clock: CLOCK_MONOTONIC, nanoseconds */

/* header.flags */
#define MINI_TRACE_HF_COMPLETE 0x1u /* the process went through exit(): nothing is missing */
#define MINI_TRACE_HF_CHILD                                                                        \
    0x2u                        /* written by the child of a traced fork() (FILE.<pid>): it
                                       may free blocks that its parent allocated */
#define MINI_TRACE_HF_LOST 0x4u /* some records were dropped (see header.lost) */

struct mini_trace_header {
    char magic[8];              /*   0: MINI_TRACE_MAGIC */
    uint32_t version;           /*   8: MINI_TRACE_VERSION */
    uint32_t header_bytes;      /*  12: where chunk 0 starts (a multiple of 4096) */
    uint32_t record_bytes;      /*  16: sizeof(struct mini_trace_rec) = 64 */
    uint32_t chunk_bytes;       /*  20: bytes per chunk, header included (a multiple of 4096) */
    uint32_t pid;               /*  24: the traced process */
    uint32_t ppid;              /*  28: its parent */
    uint32_t clock;             /*  32: MINI_TRACE_CLOCK_MONOTONIC */
    uint32_t page_size;         /*  36: the page size of the traced machine */
    uint64_t start_ns;          /*  40: the clock when tracing started */
    uint64_t start_realtime_ns; /* 48: CLOCK_REALTIME (ns since 1970) at the same moment */
    uint64_t nchunks;           /*  56: chunks in the file (updated when one is added) */
    uint32_t flags;             /*  64: MINI_TRACE_HF_* */
    uint32_t lost;              /*  68: records dropped (no space, or too many threads) */
    uint64_t initial_brk;       /*  72: the program break when tracing started */
    int64_t mmap_threshold;     /*  80: libmini's options in force when tracing started */
    int64_t trim_threshold;     /*  88: (-1: never) */
    int64_t top_pad;            /*  96 */
    int64_t arena_max;          /* 104: (0: 8 per CPU) */
    char libmini_version[16];   /* 112: "0.1.0", NUL-padded */
    char exe[128];              /* 128: /proc/self/exe of the traced process, NUL-terminated */
};                              /* 256 */

/* chunk.flags */
#define MINI_TRACE_CF_CLOSED 0x1u /* its thread moved on or exited: count is final */

struct mini_trace_chunk {
    char magic[8];       /*  0: MINI_TRACE_CHUNK_MAGIC (all zero: reserved, never written) */
    uint32_t tid;        /*  8: the thread (gettid) that wrote every record of this chunk */
    uint32_t count;      /* 12: valid records that follow (<= capacity) */
    uint32_t capacity;   /* 16: (chunk_bytes - 64) / 64 */
    uint32_t flags;      /* 20: MINI_TRACE_CF_* */
    uint64_t index;      /* 24: this chunk's number in the file */
    uint64_t thread_uid; /* 32: the writer: unique per thread in this file (tids can be reused) */
    uint64_t thread_seq; /* 40: the writer's chunk number: 0, 1, 2 ... */
    uint64_t first_seq;  /* 48: seq of the first record (records count on from it) */
    uint64_t reserved;   /* 56: zero */
};                       /* 64 */

/* Record ops. Calls (1..63) as the program made them; OS calls (64..) libmini made. */
enum mini_trace_op {
    MINI_TR_MALLOC = 1,         /* size -> out */
    MINI_TR_CALLOC = 2,         /* arg = nmemb, size = element size -> out */
    MINI_TR_REALLOC = 3,        /* in, size -> out; ts_enter */
    MINI_TR_REALLOCARRAY = 4,   /* in, arg = nmemb, size = element size -> out; ts_enter */
    MINI_TR_FREE = 5,           /* in (free, cfree, __libc_free) */
    MINI_TR_MEMALIGN = 6,       /* arg = alignment, size -> out */
    MINI_TR_POSIX_MEMALIGN = 7, /* arg = alignment, size -> out; result = the return value */
    MINI_TR_ALIGNED_ALLOC = 8,  /* arg = alignment, size -> out */
    MINI_TR_VALLOC = 9,         /* size -> out */
    MINI_TR_PVALLOC = 10,       /* size -> out */
    MINI_TR_NEW = 11,         /* size [, arg = alignment: F_ALIGNED] -> out (F_ARRAY, F_NOTHROW) */
    MINI_TR_DELETE = 12,      /* in [, size: F_SIZED] [, arg = alignment: F_ALIGNED] */
    MINI_TR_TRIM = 13,        /* malloc_trim: size = pad; result = the return value */
    MINI_TR_MALLOPT = 14,     /* size = param (int, sign-extended), arg = value; result */
    MINI_TR_MARK = 15,        /* mini_trace_mark(arg): a marker for tools */
    MINI_TR_OS_SBRK = 64,     /* size = increment (signed); out = the old break, or ~0 */
    MINI_TR_OS_MMAP = 65,     /* in = address hint; size = length; arg = prot | flags << 32;
                                   out = the mapping, or ~0 (MAP_FAILED) */
    MINI_TR_OS_MUNMAP = 66,   /* in = address; size = length; out = 0 or ~0 */
    MINI_TR_OS_MREMAP = 67,   /* in = address; size = old length; arg = new length;
                                   out = new address or ~0 (MREMAP_MAYMOVE) */
    MINI_TR_OS_MPROTECT = 68, /* in = address; size = length; arg = prot; out = 0 or ~0 */
    MINI_TR_OS_MADVISE = 69,  /* in = address; size = length; arg = advice; out = 0 or ~0 */
};
#define MINI_TR_OP_MAX_CALL MINI_TR_MARK
#define MINI_TR_OP_MIN_OS   MINI_TR_OS_SBRK
#define MINI_TR_OP_MAX_OS   MINI_TR_OS_MADVISE

/* rec.flags */
#define MINI_TR_F_ARRAY   0x1u  /* new[] / delete[] */
#define MINI_TR_F_NOTHROW 0x2u  /* the std::nothrow_t variant */
#define MINI_TR_F_SIZED   0x4u  /* sized delete: size holds the size the program passed */
#define MINI_TR_F_ALIGNED 0x8u  /* std::align_val_t variant: arg holds the alignment */
#define MINI_TR_F_FAILED  0x10u /* the call failed: NULL, an error code, or (new) bad_alloc */
#define MINI_TR_F_ALL     0x1fu

struct mini_trace_rec {
    uint64_t ts;       /*  0: ordering key, CLOCK_MONOTONIC ns: when the call returned, for
                              calls that return a block or do not release one (malloc, realloc,
                              new, trim, OS calls ...); when it was entered, for calls that only
                              release (free, delete) */
    uint64_t ts_enter; /*  8: realloc family: when the call was entered (it releases `in` from
                              then on); 0 for every other op */
    uint32_t tid;      /* 16: the calling thread (gettid) */
    uint16_t op;       /* 20: enum mini_trace_op */
    uint16_t flags;    /* 22: MINI_TR_F_* */
    uint32_t seq;      /* 24: the thread's record number (consecutive, from chunk.first_seq) */
    int32_t result;    /* 28: errno after a failed call (0 otherwise); posix_memalign, mallopt,
                              malloc_trim: their return value */
    uint64_t size;     /* 32: bytes asked for (see the ops) */
    uint64_t arg;      /* 40: alignment, nmemb, ... (see the ops) */
    uint64_t in;       /* 48: the pointer passed in (0: NULL) */
    uint64_t out;      /* 56: the pointer returned (0: NULL) */
};                     /* 64 */

/* Exported by build/lib/libmini-preload.so (look it up with dlsym): writes a MINI_TR_MARK
 * record with arg = value when tracing, nothing otherwise. mini-trace replay brackets the
 * replayed calls with marks 1 and 2 so that `mini-trace stats --window` can count them alone. */
typedef void mini_trace_mark_fn(uint64_t value);

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct mini_trace_header) == 256, "trace header layout");
_Static_assert(sizeof(struct mini_trace_chunk) == 64, "trace chunk layout");
_Static_assert(sizeof(struct mini_trace_rec) == MINI_TRACE_REC_BYTES, "trace record layout");
#endif

#endif /* MINI_TRACE_FORMAT_H */
