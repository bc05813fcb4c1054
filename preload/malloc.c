/*
 * malloc.c — the C malloc family of the preload shim, over libmini (mini.h).
 *
 *   malloc calloc realloc reallocarray free cfree memalign posix_memalign aligned_alloc valloc
 *   pvalloc malloc_usable_size, and glibc's aliases __libc_malloc __libc_calloc __libc_realloc
 *   __libc_reallocarray __libc_free __libc_memalign __libc_valloc __libc_pvalloc
 *   __posix_memalign
 *
 * Each is one test of mini_rec_active and a tail call into libmini when not tracing; the traced
 * versions (shim.h) wrap the same call with a record. Semantics are libmini's (mini.h), which
 * are glibc's: malloc(0) returns a unique pointer, realloc(p, 0) frees p and returns NULL,
 * memalign rounds an alignment up to a power of two, posix_memalign returns EINVAL or ENOMEM,
 * aligned_alloc fails with EINVAL for an alignment that is not a power of two, pvalloc rounds
 * up to whole pages, and free/realloc of a pointer libmini never made prints libmini's message
 * and aborts.
 *
 * The glibc aliases call the same functions, so that a program or library calling
 * __libc_malloc directly also reaches libmini, never glibc's allocator.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "preload/shim.h"

/* Not declared by glibc's headers any more. */
void cfree(void *p);
void *__libc_malloc(size_t s);
void *__libc_calloc(size_t n, size_t s);
void *__libc_realloc(void *p, size_t s);
void *__libc_reallocarray(void *p, size_t n, size_t s);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t s);
void *__libc_valloc(size_t s);
void *__libc_pvalloc(size_t s);
int __posix_memalign(void **memptr, size_t align, size_t s);

/* Record a call that returned block `out` (NULL: failed with errno, unless `ok_null`). */
static void put_out(struct mini_rec_thread *rt, unsigned op, uint64_t t_enter, uint64_t size,
                    uint64_t arg, const void *in, const void *out, bool ok_null)
{
    int e = errno;
    bool failed = out == NULL && !ok_null;
    mini_rec_put(rt, op, failed ? MINI_TR_F_FAILED : 0, failed ? e : 0, mini_rec_now(), t_enter,
                 size, arg, in, out);
    errno = e;
}

/* ---- malloc, calloc, free -------------------------------------------------------------- */

MINI_NOINLINE static void *traced_malloc(size_t s)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    void *p = mini_malloc(s);
    if (rt)
        put_out(rt, MINI_TR_MALLOC, 0, s, 0, NULL, p, false);
    return p;
}

MINI_EXPORT void *malloc(size_t s)
{
    if (mini_rec_on())
        return traced_malloc(s);
    return mini_malloc(s);
}

MINI_NOINLINE static void *traced_calloc(size_t n, size_t s)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    void *p = mini_calloc(n, s);
    if (rt)
        put_out(rt, MINI_TR_CALLOC, 0, s, n, NULL, p, false);
    return p;
}

MINI_EXPORT void *calloc(size_t n, size_t s)
{
    if (mini_rec_on())
        return traced_calloc(n, s);
    return mini_calloc(n, s);
}

MINI_NOINLINE static void traced_free(void *p)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    if (rt)
        mini_rec_put(rt, MINI_TR_FREE, 0, 0, mini_rec_now(), 0, 0, 0, p, NULL);
    mini_free(p);
}

MINI_EXPORT void free(void *p)
{
    if (mini_rec_on()) {
        traced_free(p);
        return;
    }
    mini_free(p);
}

MINI_EXPORT void cfree(void *p)
{
    free(p);
}

/* ---- realloc --------------------------------------------------------------------------- */

MINI_NOINLINE static void *traced_realloc(void *p, size_t s)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    uint64_t t0 = rt ? mini_rec_now() : 0;
    void *q = mini_realloc(p, s);
    /* realloc(p, 0) frees p and returns NULL: not a failure. */
    if (rt)
        put_out(rt, MINI_TR_REALLOC, t0, s, 0, p, q, p != NULL && s == 0);
    return q;
}

MINI_EXPORT void *realloc(void *p, size_t s)
{
    if (mini_rec_on())
        return traced_realloc(p, s);
    return mini_realloc(p, s);
}

MINI_NOINLINE static void *traced_reallocarray(void *p, size_t n, size_t s)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    uint64_t t0 = rt ? mini_rec_now() : 0;
    void *q = mini_reallocarray(p, n, s);
    size_t total;
    bool freed = p != NULL && !__builtin_mul_overflow(n, s, &total) && total == 0;
    if (rt)
        put_out(rt, MINI_TR_REALLOCARRAY, t0, s, n, p, q, freed);
    return q;
}

MINI_EXPORT void *reallocarray(void *p, size_t n, size_t s)
{
    if (mini_rec_on())
        return traced_reallocarray(p, n, s);
    return mini_reallocarray(p, n, s);
}

/* ---- The aligned family ---------------------------------------------------------------- */

MINI_NOINLINE static void *traced_memalign(size_t align, size_t s)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    void *p = mini_memalign(align, s);
    if (rt)
        put_out(rt, MINI_TR_MEMALIGN, 0, s, align, NULL, p, false);
    return p;
}

MINI_EXPORT void *memalign(size_t align, size_t s)
{
    if (mini_rec_on())
        return traced_memalign(align, s);
    return mini_memalign(align, s);
}

MINI_NOINLINE static int traced_posix_memalign(void **memptr, size_t align, size_t s)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    void *q = NULL;
    int r = mini_posix_memalign(&q, align, s);
    if (r == 0)
        *memptr = q;
    if (rt)
        mini_rec_put(rt, MINI_TR_POSIX_MEMALIGN, r ? MINI_TR_F_FAILED : 0, r, mini_rec_now(), 0, s,
                     align, NULL, r == 0 ? q : NULL);
    return r;
}

MINI_EXPORT int posix_memalign(void **memptr, size_t align, size_t s)
{
    if (mini_rec_on())
        return traced_posix_memalign(memptr, align, s);
    return mini_posix_memalign(memptr, align, s);
}

MINI_NOINLINE static void *traced_aligned_alloc(size_t align, size_t s)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    void *p = mini_aligned_alloc(align, s);
    if (rt)
        put_out(rt, MINI_TR_ALIGNED_ALLOC, 0, s, align, NULL, p, false);
    return p;
}

MINI_EXPORT void *aligned_alloc(size_t align, size_t s)
{
    if (mini_rec_on())
        return traced_aligned_alloc(align, s);
    return mini_aligned_alloc(align, s);
}

MINI_NOINLINE static void *traced_valloc(size_t s)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    void *p = mini_valloc(s);
    if (rt)
        put_out(rt, MINI_TR_VALLOC, 0, s, 0, NULL, p, false);
    return p;
}

MINI_EXPORT void *valloc(size_t s)
{
    if (mini_rec_on())
        return traced_valloc(s);
    return mini_valloc(s);
}

MINI_NOINLINE static void *traced_pvalloc(size_t s)
{
    struct mini_rec_thread *rt = mini_rec_begin();
    void *p = mini_pvalloc(s);
    if (rt)
        put_out(rt, MINI_TR_PVALLOC, 0, s, 0, NULL, p, false);
    return p;
}

MINI_EXPORT void *pvalloc(size_t s)
{
    if (mini_rec_on())
        return traced_pvalloc(s);
    return mini_pvalloc(s);
}

/* A query, not an allocation: never recorded. */
MINI_EXPORT size_t malloc_usable_size(void *p)
{
    return mini_usable_size(p);
}

/* ---- glibc's aliases ------------------------------------------------------------------- */

MINI_EXPORT void *__libc_malloc(size_t s)
{
    return malloc(s);
}
MINI_EXPORT void *__libc_calloc(size_t n, size_t s)
{
    return calloc(n, s);
}
MINI_EXPORT void *__libc_realloc(void *p, size_t s)
{
    return realloc(p, s);
}
MINI_EXPORT void *__libc_reallocarray(void *p, size_t n, size_t s)
{
    return reallocarray(p, n, s);
}
MINI_EXPORT void __libc_free(void *p)
{
    free(p);
}
MINI_EXPORT void *__libc_memalign(size_t align, size_t s)
{
    return memalign(align, s);
}
MINI_EXPORT void *__libc_valloc(size_t s)
{
    return valloc(s);
}
MINI_EXPORT void *__libc_pvalloc(size_t s)
{
    return pvalloc(s);
}
MINI_EXPORT int __posix_memalign(void **memptr, size_t align, size_t s)
{
    return posix_memalign(memptr, align, s);
}
