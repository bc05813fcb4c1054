/*
 * e2_pgtable.c — E2: page-table cost (exact): one byte every 2 MiB of a 1 GiB-aligned 4 GiB
 * region; VmPTE after the touches, after MADV_DONTNEED and after munmap.
 */
#include "analysis/kmodel/validate/validate.h"

#include <stdio.h>
#include <sys/mman.h>

static long vmpte(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmPTE: %ld kB", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

int e2_pgtable(void)
{
    const size_t gib = 1ULL << 30, len = 4 * gib;
    char *raw = mmap(NULL, len + gib, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) {
        v_skip("E2", "cannot map 5 GiB of address space");
        return -1;
    }
    char *p = (char *)(((uintptr_t)raw + gib - 1) & ~(uintptr_t)(gib - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (p + len < raw + len + gib)
        munmap(p + len, (size_t)(raw + len + gib - (p + len)));
    madvise(p, len, MADV_NOHUGEPAGE);
    long r[3], v0 = vmpte();
    for (size_t off = 0; off < len; off += 2 << 20)
        p[off] = 1;
    r[0] = vmpte() - v0;
    madvise(p, len, MADV_DONTNEED);
    r[1] = vmpte() - v0;
    munmap(p, len);
    r[2] = vmpte() - v0;

    struct km *km = v_model(0, 0, 50);
    if (km == NULL)
        return -1;
    struct km_mm *mm = proc_create(km, "e2", 0);
    int e;
    uint64_t lib = (uint64_t)(uintptr_t)stdout & ~4095ULL; /* the real process's libraries */
    if (vma_mmap(km, mm, lib, 4096, KM_PROT_READ | KM_PROT_WRITE,
                 KM_MAP_PRIVATE | KM_MAP_ANON | KM_MAP_FIXED, -1, 0, &e))
        fault_touch(km, mm, lib, KM_TOUCH_WRITE);
    uint64_t a =
        vma_mmap(km, mm, (uint64_t)(uintptr_t)p, len, KM_PROT_READ | KM_PROT_WRITE,
                 KM_MAP_PRIVATE | KM_MAP_ANON | KM_MAP_NORESERVE | KM_MAP_FIXED, -1, 0, &e);
    vma_madvise(km, mm, a, len, KM_MADV_NOHUGEPAGE);
    long m[3], m0 = (long)(mm->pgtables_bytes / 1024);
    for (uint64_t off = 0; off < len; off += 2 << 20)
        fault_touch(km, mm, a + off, KM_TOUCH_WRITE);
    m[0] = (long)(mm->pgtables_bytes / 1024) - m0;
    vma_madvise(km, mm, a, len, KM_MADV_DONTNEED);
    m[1] = (long)(mm->pgtables_bytes / 1024) - m0;
    vma_munmap(km, mm, a, len);
    m[2] = (long)(mm->pgtables_bytes / 1024) - m0;
    km_destroy(km);
    v_row("E2", "VmPTE growth, kB (2048 PTE + 4 PMD pages)", (double)r[0], (double)m[0], T_EXACT, 0,
          "exact");
    v_row("E2", "VmPTE after MADV_DONTNEED, kB (PT_RECLAIM)", (double)r[1], (double)m[1], T_EXACT,
          0, "exact");
    v_row("E2", "VmPTE after munmap, kB", (double)r[2], (double)m[2], T_EXACT, 0, "exact");
    return 0;
}
