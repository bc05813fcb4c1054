/*
 * os.c — every call libmini makes to the kernel's memory interface (see os.h).
 *
 * The break is moved with the C library's sbrk() rather than the raw brk system call, so that
 * libmini and any other sbrk() user in the process agree on where the break is. Counters of
 * every call feed mini_stats_get.
 *
 * Tracing: when mini_os_trace_hook is set (the preload shim does it under MINI_TRACE), every
 * system call below is reported to it after it returns, with its arguments and raw result
 * (internal.h). Unset, it costs one predictable branch per call.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

mini_os_hook_t mini_os_trace_hook;

#define OS_TRACE(op, addr, len, arg, ret)                                                          \
    do {                                                                                           \
        mini_os_hook_t h_ = __atomic_load_n(&mini_os_trace_hook, __ATOMIC_RELAXED);                \
        if (MINI_UNLIKELY(h_ != NULL))                                                             \
            h_((op), (uintptr_t)(addr), (size_t)(len), (uint64_t)(arg), (uintptr_t)(ret));         \
    } while (0)

/* Counted here, read by stats.c. */
_Atomic uint64_t mini_os_n_brk, mini_os_n_mmap, mini_os_n_munmap, mini_os_n_mremap,
    mini_os_n_mprotect, mini_os_n_madvise;

void *mini_os_sbrk(intptr_t increment)
{
    /* sbrk(0) only reads the C library's copy of the break: not a system call. */
    if (increment == 0)
        return sbrk(0);
    atomic_fetch_add_explicit(&mini_os_n_brk, 1, memory_order_relaxed);
    void *old = sbrk(increment);
    OS_TRACE(MINI_OS_OP_SBRK, 0, increment, 0, old);
    return old;
}

void *mini_os_map(size_t len)
{
    atomic_fetch_add_explicit(&mini_os_n_mmap, 1, memory_order_relaxed);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    OS_TRACE(MINI_OS_OP_MMAP, 0, len,
             (uint64_t)(PROT_READ | PROT_WRITE) | (uint64_t)(MAP_PRIVATE | MAP_ANONYMOUS) << 32, p);
    return p == MAP_FAILED ? NULL : p;
}

void *mini_os_reserve(size_t len, size_t align)
{
    /* Over-reserve by `align` and a page, start strictly after the mapping's start, and unmap
     * the head and the tail: always exactly two munmaps, wherever the kernel put it (so that
     * the kernel model, which places mappings its own way, makes the same calls). */
    size_t page = mini_os_page_size();
    if (align < page)
        align = page;
    size_t big = len + align + page;
    if (big < len) {
        errno = ENOMEM;
        return NULL;
    }
    atomic_fetch_add_explicit(&mini_os_n_mmap, 1, memory_order_relaxed);
    void *p = mmap(NULL, big, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    OS_TRACE(MINI_OS_OP_MMAP, 0, big,
             (uint64_t)PROT_NONE | (uint64_t)(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE) << 32,
             p);
    if (p == MAP_FAILED)
        return NULL;
    uintptr_t a = (uintptr_t)p, r = mini_align_up(a + 1, align);
    atomic_fetch_add_explicit(&mini_os_n_munmap, 2, memory_order_relaxed);
    int u = munmap(p, r - a);
    OS_TRACE(MINI_OS_OP_MUNMAP, p, r - a, 0, (intptr_t)u);
    u = munmap((void *)(r + len), a + big - (r + len));
    OS_TRACE(MINI_OS_OP_MUNMAP, r + len, a + big - (r + len), 0, (intptr_t)u);
    return (void *)r;
}

int mini_os_commit(void *addr, size_t len)
{
    atomic_fetch_add_explicit(&mini_os_n_mprotect, 1, memory_order_relaxed);
    int r = mprotect(addr, len, PROT_READ | PROT_WRITE);
    OS_TRACE(MINI_OS_OP_MPROTECT, addr, len, PROT_READ | PROT_WRITE, (intptr_t)r);
    return r;
}

int mini_os_decommit(void *addr, size_t len)
{
    /* MAP_FIXED over the range drops its pages and its commit charge in one call. */
    atomic_fetch_add_explicit(&mini_os_n_mmap, 1, memory_order_relaxed);
    void *p =
        mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    OS_TRACE(MINI_OS_OP_MMAP, addr, len,
             (uint64_t)PROT_NONE |
                 (uint64_t)(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED) << 32,
             p);
    return p == MAP_FAILED ? -1 : 0;
}

int mini_os_purge(void *addr, size_t len)
{
    atomic_fetch_add_explicit(&mini_os_n_madvise, 1, memory_order_relaxed);
    int r = madvise(addr, len, MADV_DONTNEED);
    OS_TRACE(MINI_OS_OP_MADVISE, addr, len, MADV_DONTNEED, (intptr_t)r);
    return r;
}

int mini_os_unmap(void *addr, size_t len)
{
    atomic_fetch_add_explicit(&mini_os_n_munmap, 1, memory_order_relaxed);
    int r = munmap(addr, len);
    OS_TRACE(MINI_OS_OP_MUNMAP, addr, len, 0, (intptr_t)r);
    return r;
}

void *mini_os_remap(void *addr, size_t oldlen, size_t newlen)
{
    atomic_fetch_add_explicit(&mini_os_n_mremap, 1, memory_order_relaxed);
    void *p = mremap(addr, oldlen, newlen, MREMAP_MAYMOVE);
    OS_TRACE(MINI_OS_OP_MREMAP, addr, oldlen, newlen, p);
    return p == MAP_FAILED ? NULL : p;
}

size_t mini_os_page_size(void)
{
    static _Atomic size_t page;
    size_t pg = MINI_LOAD(page);
    if (MINI_UNLIKELY(pg == 0)) {
        long p = sysconf(_SC_PAGESIZE);
        pg = p > 0 ? (size_t)p : 4096;
        MINI_STORE(page, pg);
    }
    return pg;
}
