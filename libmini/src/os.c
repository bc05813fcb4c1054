/*
 * os.c — every call libmini makes to the kernel's memory interface (see os.h).
 *
 * The break is moved with the C library's sbrk() rather than the raw brk system call, so that
 * libmini and any other sbrk() user in the process agree on where the break is. Counters of
 * every call feed mini_stats_get.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

/* Counted here, read by stats.c. */
_Atomic uint64_t mini_os_n_brk, mini_os_n_mmap, mini_os_n_munmap, mini_os_n_mremap,
    mini_os_n_mprotect, mini_os_n_madvise;

void *mini_os_sbrk(intptr_t increment)
{
    /* sbrk(0) only reads the C library's copy of the break: not a system call. */
    if (increment != 0)
        atomic_fetch_add_explicit(&mini_os_n_brk, 1, memory_order_relaxed);
    return sbrk(increment);
}

void *mini_os_map(size_t len)
{
    atomic_fetch_add_explicit(&mini_os_n_mmap, 1, memory_order_relaxed);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
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
    if (p == MAP_FAILED)
        return NULL;
    uintptr_t a = (uintptr_t)p, r = mini_align_up(a + 1, align);
    atomic_fetch_add_explicit(&mini_os_n_munmap, 2, memory_order_relaxed);
    munmap(p, r - a);
    munmap((void *)(r + len), a + big - (r + len));
    return (void *)r;
}

int mini_os_commit(void *addr, size_t len)
{
    atomic_fetch_add_explicit(&mini_os_n_mprotect, 1, memory_order_relaxed);
    return mprotect(addr, len, PROT_READ | PROT_WRITE);
}

int mini_os_decommit(void *addr, size_t len)
{
    /* MAP_FIXED over the range drops its pages and its commit charge in one call. */
    atomic_fetch_add_explicit(&mini_os_n_mmap, 1, memory_order_relaxed);
    void *p =
        mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return p == MAP_FAILED ? -1 : 0;
}

int mini_os_purge(void *addr, size_t len)
{
    atomic_fetch_add_explicit(&mini_os_n_madvise, 1, memory_order_relaxed);
    return madvise(addr, len, MADV_DONTNEED);
}

int mini_os_unmap(void *addr, size_t len)
{
    atomic_fetch_add_explicit(&mini_os_n_munmap, 1, memory_order_relaxed);
    return munmap(addr, len);
}

void *mini_os_remap(void *addr, size_t oldlen, size_t newlen)
{
    atomic_fetch_add_explicit(&mini_os_n_mremap, 1, memory_order_relaxed);
    void *p = mremap(addr, oldlen, newlen, MREMAP_MAYMOVE);
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
