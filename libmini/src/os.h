/*
 * os.h — libmini's OS layer: the only calls libmini makes to the kernel's memory interface.
 *
 * os.c implements them over the real kernel (brk, mmap, mprotect, madvise, munmap, mremap).
 * The kernel model (analysis/kmodel) links the rest of libmini against its own implementation
 * of exactly these functions, over a simulated process address space, so the same allocator
 * code runs in both. Nothing else in libmini includes <sys/mman.h> or calls sbrk.
 *
 * Every function is safe to call with any allocator lock held and never allocates.
 */
#ifndef MINI_OS_H
#define MINI_OS_H

#include <stddef.h>
#include <stdint.h>

#define MINI_OS_SBRK_FAILED ((void *)-1)

/* sbrk(2): move the program break by `increment` bytes (may be negative or 0); returns the old
 * break, or MINI_OS_SBRK_FAILED with errno set. */
void *mini_os_sbrk(intptr_t increment);

/* A new anonymous private read-write mapping of `len` bytes (a multiple of the page size);
 * NULL with errno set on failure. */
void *mini_os_map(size_t len);

/* Reserve `len` bytes of address space aligned to `align` (a power of two >= page size) as an
 * inaccessible (PROT_NONE) mapping: it costs no commit charge until committed. NULL on failure. */
void *mini_os_reserve(size_t len, size_t align);

/* Make [addr, addr+len) of a reservation read-write (charged to commit); 0 or -1 with errno. */
int mini_os_commit(void *addr, size_t len);

/* Give the pages of [addr, addr+len) back and make the range inaccessible again; 0 or -1. */
int mini_os_decommit(void *addr, size_t len);

/* Give the pages of [addr, addr+len) back (madvise MADV_DONTNEED): the range stays mapped and
 * reads as zeros afterwards; 0 or -1. */
int mini_os_purge(void *addr, size_t len);

/* Unmap [addr, addr+len); 0 or -1. */
int mini_os_unmap(void *addr, size_t len);

/* Resize the mapping at addr from oldlen to newlen bytes, moving it if needed (mremap with
 * MREMAP_MAYMOVE); the new address, or NULL with errno set. */
void *mini_os_remap(void *addr, size_t oldlen, size_t newlen);

/* The page size (4096 on x86-64). */
size_t mini_os_page_size(void);

/* Every implementation counts its calls here (relaxed atomic adds), for mini_stats_get: one per
 * system call made, so mini_os_reserve counts one mmap and two munmaps. */
extern _Atomic uint64_t mini_os_n_brk, mini_os_n_mmap, mini_os_n_munmap, mini_os_n_mremap,
    mini_os_n_mprotect, mini_os_n_madvise;

#endif /* MINI_OS_H */
