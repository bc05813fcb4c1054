/*
 * broken_alloc.c — a deliberately broken allocator (libbroken-alloc.so) for the workload tests:
 * a workload must notice it and exit 3, or it would "measure" a broken allocator happily.
 *
 *   BROKEN_MODE=dup (default)  every 64th malloc of a thread returns the block that thread's
 *                              previous malloc returned (if it is large enough), which is still
 *                              live: two live blocks overlap. free does nothing (the blocks may
 *                              be shared), so the tests run it at tiny scales only.
 *   BROKEN_MODE=realloc        malloc and free are glibc's; realloc copies only the first half
 *                              of the old content.
 *
 * Built over glibc's __libc_* entry points, so it needs no dlsym and never recurses.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void __libc_free(void *);

#define EXPORT __attribute__((visibility("default")))

static _Atomic int mode = -1; /* 0 dup, 1 realloc */
static _Thread_local void *last;
static _Thread_local size_t last_size;
static _Thread_local unsigned count;

static int get_mode(void)
{
    int m = atomic_load_explicit(&mode, memory_order_relaxed);
    if (m < 0) {
        const char *e = getenv("BROKEN_MODE");
        m = (e != NULL && strcmp(e, "realloc") == 0) ? 1 : 0;
        atomic_store_explicit(&mode, m, memory_order_relaxed);
    }
    return m;
}

EXPORT void *malloc(size_t n)
{
    if (get_mode() == 0 && ++count % 64 == 0 && last != NULL && last_size >= n)
        return last;
    void *p = __libc_malloc(n);
    last = p;
    last_size = n;
    return p;
}

EXPORT void free(void *p)
{
    if (get_mode() == 1)
        __libc_free(p);
}

EXPORT void *calloc(size_t a, size_t b)
{
    return __libc_calloc(a, b);
}

EXPORT void *realloc(void *p, size_t n)
{
    void *q = __libc_malloc(n);
    if (q == NULL || p == NULL)
        return q;
    size_t old = malloc_usable_size(p);
    size_t keep = old < n ? old : n;
    if (get_mode() == 1)
        keep /= 2;
    memcpy(q, p, keep);
    free(p);
    return q;
}
