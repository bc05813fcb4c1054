/*
 * shim.h — what the files of the preload shim share (build/lib/libmini-preload.so).
 *
 *   malloc.c   the C malloc family and glibc's __libc_* aliases, over mini_*
 *   cxx.c      C++ operator new and delete, every variant, under their Itanium names
 *   glibc.c    glibc's introspection and tuning calls: mallinfo(2), malloc_stats, malloc_info,
 *              mallopt, malloc_trim
 *   record.c   MINI_TRACE: the allocation trace recorder (trace_format.h)
 *
 * Every exported name is marked MINI_EXPORT; preload/exports.map lists them, and hides
 * everything else (libmini's internals are linked into the same object).
 *
 * The traced path: each entry point tests mini_rec_active (one relaxed load, predictable: it is
 * 0 after the first call unless MINI_TRACE is set) and only then calls the recorder:
 *
 *     rt = mini_rec_begin();       NULL: this call is not recorded (tracing off, or the
 *                                  recorder itself is running on this thread)
 *     ... the mini_* call ...
 *     if (rt) mini_rec_put(rt, ...)
 *
 * Calls that only release a block record before the call (their timestamp is the entry time),
 * calls that return one record after it (the return time): trace_format.h explains why.
 */
#ifndef MINI_PRELOAD_SHIM_H
#define MINI_PRELOAD_SHIM_H

#include <stdatomic.h>
#include <stdint.h>

#include "libmini/src/internal.h"
#include "preload/trace_format.h"

#define MINI_EXPORT __attribute__((visibility("default")))

/* ---- record.c ---------------------------------------------------------------------------- */
struct mini_rec_thread;
/* Non-zero while calls must take the traced path: before the first call has decided whether
 * MINI_TRACE is set, and while tracing. Hidden, so that every entry point reads it straight
 * (one load relative to %rip) instead of first fetching its address from the GOT. */
extern _Atomic int mini_rec_active __attribute__((visibility("hidden")));
static inline int mini_rec_on(void)
{
    return MINI_UNLIKELY(atomic_load_explicit(&mini_rec_active, memory_order_relaxed) != 0);
}
struct mini_rec_thread *mini_rec_begin(void);
uint64_t mini_rec_now(void);
void mini_rec_put(struct mini_rec_thread *rt, unsigned op, unsigned flags, int result, uint64_t ts,
                  uint64_t ts_enter, uint64_t size, uint64_t arg, const void *in, const void *out);

#endif /* MINI_PRELOAD_SHIM_H */
