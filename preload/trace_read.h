/*
 * trace_read.h — reading, validating and ordering libmini traces (trace_format.h).
 *
 *   mtr_open()     map FILE, validate every byte that has a meaning, and build the global
 *                  order of events (records, plus one "release" event before each realloc);
 *                  on a truncated or corrupt file, the byte offset and a message
 *   mtr_resolve()  follow pointers through the global order: which block (slot) each record
 *                  produces and consumes, with the block's requested size and birth time
 *
 * The global order sorts events by (key, tid, file position, release first), where the key is
 * rec.ts, or rec.ts_enter for the release event of a realloc (TRACE-FORMAT.md, "Ordering").
 *
 * Nothing here calls malloc: every array lives in pages from mmap (mtr_mem_alloc), so that
 * mini-trace replay leaves the allocator under test to the replayed calls alone. Plain C11,
 * no dependency on libmini: the kernel model compiles this file too.
 */
#ifndef MINI_TRACE_READ_H
#define MINI_TRACE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "preload/trace_format.h"

struct mtr_err {
    uint64_t off; /* byte offset in the file */
    char msg[256];
};

/* One event of the global order. */
struct mtr_ev {
    uint64_t key; /* ns */
    uint32_t tid;
    uint32_t kind; /* MTR_EV_RECORD, or MTR_EV_RELEASE (a realloc releasing its `in`) */
    uint64_t rec;  /* index into mtr_trace.rec (file order) */
};
#define MTR_EV_RELEASE 0u
#define MTR_EV_RECORD  1u

struct mtr_trace {
    const char *path;
    const unsigned char *map;
    size_t size;
    const struct mini_trace_header *hdr;
    uint64_t nrec;                     /* records in the file */
    const struct mini_trace_rec **rec; /* ... in file order */
    uint64_t nev;
    struct mtr_ev *ev; /* events in global order */
    uint64_t nchunks, zero_chunks;
    uint32_t ntids; /* distinct thread ids */
};

/* Returns 0, or -1 with *err set (t is then closed). */
int mtr_open(struct mtr_trace *t, const char *path, struct mtr_err *err);
void mtr_close(struct mtr_trace *t);

/* Ops. */
const char *mtr_op_name(unsigned op);
static inline bool mtr_op_is_call(unsigned op)
{
    return op >= MINI_TR_MALLOC && op <= MINI_TR_MALLOPT;
}
static inline bool mtr_op_is_os(unsigned op)
{
    return op >= MINI_TR_OP_MIN_OS && op <= MINI_TR_OP_MAX_OS;
}
/* Does the record return a new block in `out` (when out != 0)? */
bool mtr_produces(const struct mini_trace_rec *r);
/* Does the record release its `in` (when in != 0)? */
bool mtr_consumes(const struct mini_trace_rec *r);
/* Bytes the program asked for (calloc: nmemb * size, saturated). */
uint64_t mtr_req_bytes(const struct mini_trace_rec *r);

/* Blocks: slot 0 is "none", MTR_SLOT_UNKNOWN a pointer the trace never produced. */
#define MTR_SLOT_UNKNOWN UINT32_MAX
struct mtr_res {
    uint64_t nslots;     /* slots 1 .. nslots are blocks the trace produced */
    uint32_t *slot_in;   /* per record: the block it releases (0: none); for a failed
                             realloc, the block it left alone */
    uint32_t *slot_out;  /* per record: the block it produces (0: none) */
    uint64_t *slot_size; /* per slot: bytes asked for */
    uint64_t *slot_born; /* per slot: key of the producing record */
    uint64_t unmatched;  /* releases of pointers the trace never produced (or already freed) */
    uint64_t clobbered;  /* blocks produced at an address still live (the trace disagrees
                             with itself: lost records) */
};
int mtr_resolve(const struct mtr_trace *t, struct mtr_res *res, struct mtr_err *err);
void mtr_res_free(const struct mtr_trace *t, struct mtr_res *res);

/* mtr_open, then mtr_resolve: 0, or -1 with *err set (nothing is left open). */
int mtr_load(struct mtr_trace *t, struct mtr_res *res, const char *path, struct mtr_err *err);
/* mtr_res_free, then mtr_close. */
void mtr_unload(struct mtr_trace *t, struct mtr_res *res);

/* Memory straight from mmap (zeroed), for large arrays. */
void *mtr_mem_alloc(size_t bytes);
void mtr_mem_free(void *p, size_t bytes);

#endif /* MINI_TRACE_READ_H */
