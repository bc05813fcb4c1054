/*
 * os_sim.c — libmini's OS layer over the kernel model (see os_sim.h for the picture).
 *
 * Each call mirrors what libmini/src/os.c does with the real kernel:
 *   mini_os_sbrk      brk(2)                    host: new pages RW / old pages dropped
 *   mini_os_map       mmap(RW, PRIVATE|ANON)    host: RW
 *   mini_os_reserve   mmap(PROT_NONE) aligned   host: stays PROT_NONE
 *   mini_os_commit    mprotect(RW)              host: RW            (charged to commit)
 *   mini_os_decommit  madvise(DONTNEED) + mprotect(NONE)            (the charge stays, as in
 *                                                                    the kernel: VM_ACCOUNT)
 *   mini_os_purge     madvise(DONTNEED)         host: DONTNEED (reads as zeros again)
 *   mini_os_unmap     munmap                    host: DONTNEED + NONE
 *   mini_os_remap     mremap(MAYMOVE)           host: mremap onto the model's new address
 * Errors come from the model (ENOMEM from overcommit, max_map_count...), with errno set.
 */
#include "analysis/kmodel/os_sim.h"
#include "libmini/src/os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096ULL

static struct {
    struct km *km;
    struct km_mm *mm;
    uint8_t *base;
    uint64_t span;
} sim;

struct km *mini_sim_machine(void)
{
    return sim.km;
}

struct km_mm *mini_sim_process(void)
{
    return sim.mm;
}

int mini_sim_init(const struct km_config *cfg, uint64_t span, char *err, size_t errlen)
{
    if (sim.km)
        mini_sim_fini();
    span = (span + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
    void *b = mmap(NULL, span + (1ULL << 30), PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (b == MAP_FAILED) {
        snprintf(err, errlen, "cannot reserve %llu bytes of host address space",
                 (unsigned long long)span);
        return -1;
    }
    /* 1 GiB-align the range, as a real mmap area's page-table layout would not depend on it. */
    uint8_t *a = (uint8_t *)(((uintptr_t)b + (1ULL << 30) - 1) & ~((uintptr_t)(1ULL << 30) - 1));
    if (a > (uint8_t *)b)
        munmap(b, (size_t)(a - (uint8_t *)b));
    munmap(a + span, (size_t)((uint8_t *)b + span + (1ULL << 30) - (a + span)));
    sim.km = km_create(cfg, err, errlen);
    if (sim.km == NULL) {
        munmap(a, span);
        return -1;
    }
    sim.mm = proc_create(sim.km, "libmini", 0);
    if (sim.mm == NULL) {
        snprintf(err, errlen, "cannot create the simulated process");
        km_destroy(sim.km);
        munmap(a, span);
        return -1;
    }
    sim.base = a;
    sim.span = span;
    sim.mm->mmap_base = (uint64_t)(uintptr_t)(a + span);
    sim.mm->start_brk = sim.mm->brk = (uint64_t)(uintptr_t)a;
    sim.km->cur = sim.mm;
    /* A guard page just above the range, so that nothing in the model grows out of it. */
    int e;
    vma_mmap(sim.km, sim.mm, (uint64_t)(uintptr_t)(a + span), PAGE, 0,
             KM_MAP_PRIVATE | KM_MAP_ANON | KM_MAP_FIXED, -1, 0, &e);
    return 0;
}

void mini_sim_fini(void)
{
    if (sim.km)
        km_destroy(sim.km);
    if (sim.base)
        munmap(sim.base, sim.span);
    memset(&sim, 0, sizeof(sim));
}

static bool in_range(uint64_t a, uint64_t len)
{
    uint64_t b = (uint64_t)(uintptr_t)sim.base;
    return a >= b && len <= sim.span && a - b <= sim.span - len;
}

static void host_rw(uint64_t a, uint64_t len)
{
    if (len && in_range(a, len))
        mprotect((void *)(uintptr_t)a, len, PROT_READ | PROT_WRITE);
}

static void host_drop(uint64_t a, uint64_t len)
{
    if (len && in_range(a, len)) {
        madvise((void *)(uintptr_t)a, len, MADV_DONTNEED);
        mprotect((void *)(uintptr_t)a, len, PROT_NONE);
    }
}

static void begin(void)
{
    sim.km->cur = sim.mm;
    sim.km->cur_cpu = sim.mm->cpu;
}

static void end(void)
{
    km_after_op(sim.km);
}

void *mini_os_sbrk(intptr_t increment)
{
    begin();
    uint64_t old = sim.mm->brk;
    uint64_t want = (uint64_t)((int64_t)old + increment);
    if ((increment > 0 && want < old) || (increment < 0 && want > old)) {
        errno = ENOMEM;
        return MINI_OS_SBRK_FAILED;
    }
    uint64_t got = vma_brk(sim.km, sim.mm, want);
    end();
    if (got != want) {
        errno = ENOMEM;
        return MINI_OS_SBRK_FAILED;
    }
    uint64_t old_al = (old + PAGE - 1) & ~(PAGE - 1), new_al = (want + PAGE - 1) & ~(PAGE - 1);
    if (new_al > old_al)
        host_rw(old_al, new_al - old_al);
    else if (new_al < old_al)
        host_drop(new_al, old_al - new_al);
    return (void *)(uintptr_t)old;
}

void *mini_os_map(size_t len)
{
    begin();
    int e = 0;
    uint64_t a = vma_mmap(sim.km, sim.mm, 0, len, KM_PROT_READ | KM_PROT_WRITE,
                          KM_MAP_PRIVATE | KM_MAP_ANON, -1, 0, &e);
    end();
    if (a == 0 || !in_range(a, len)) {
        if (a)
            vma_munmap(sim.km, sim.mm, a, len);
        errno = e ? e : ENOMEM;
        return NULL;
    }
    host_rw(a, len);
    return (void *)(uintptr_t)a;
}

void *mini_os_reserve(size_t len, size_t align)
{
    if (align < PAGE || (align & (align - 1)) || len == 0 || len + align < len) {
        errno = EINVAL;
        return NULL;
    }
    begin();
    int e = 0;
    uint64_t big = len + align;
    uint64_t a = vma_mmap(sim.km, sim.mm, 0, big, 0, KM_MAP_PRIVATE | KM_MAP_ANON, -1, 0, &e);
    if (a == 0 || !in_range(a, big)) {
        if (a)
            vma_munmap(sim.km, sim.mm, a, big);
        end();
        errno = e ? e : ENOMEM;
        return NULL;
    }
    uint64_t r = (a + align - 1) & ~((uint64_t)align - 1);
    if (r > a)
        vma_munmap(sim.km, sim.mm, a, r - a);
    if (a + big > r + len)
        vma_munmap(sim.km, sim.mm, r + len, a + big - (r + len));
    end();
    return (void *)(uintptr_t)r;
}

int mini_os_commit(void *addr, size_t len)
{
    begin();
    int r =
        vma_mprotect(sim.km, sim.mm, (uint64_t)(uintptr_t)addr, len, KM_PROT_READ | KM_PROT_WRITE);
    end();
    if (r) {
        errno = -r;
        return -1;
    }
    host_rw((uint64_t)(uintptr_t)addr, len);
    return 0;
}

int mini_os_decommit(void *addr, size_t len)
{
    begin();
    uint64_t a = (uint64_t)(uintptr_t)addr;
    int r = vma_madvise(sim.km, sim.mm, a, len, KM_MADV_DONTNEED);
    if (r == 0)
        r = vma_mprotect(sim.km, sim.mm, a, len, 0);
    end();
    if (r) {
        errno = -r;
        return -1;
    }
    host_drop(a, len);
    return 0;
}

int mini_os_purge(void *addr, size_t len)
{
    begin();
    uint64_t a = (uint64_t)(uintptr_t)addr;
    int r = vma_madvise(sim.km, sim.mm, a, len, KM_MADV_DONTNEED);
    end();
    if (r) {
        errno = -r;
        return -1;
    }
    if (in_range(a, len))
        madvise(addr, len, MADV_DONTNEED);
    return 0;
}

int mini_os_unmap(void *addr, size_t len)
{
    begin();
    uint64_t a = (uint64_t)(uintptr_t)addr;
    int r = vma_munmap(sim.km, sim.mm, a, len);
    end();
    if (r) {
        errno = -r;
        return -1;
    }
    host_drop(a, (len + PAGE - 1) & ~(PAGE - 1));
    return 0;
}

void *mini_os_remap(void *addr, size_t oldlen, size_t newlen)
{
    begin();
    int e = 0;
    uint64_t a = (uint64_t)(uintptr_t)addr;
    uint64_t b = vma_mremap(sim.km, sim.mm, a, oldlen, newlen, &e);
    end();
    if (b == 0 || !in_range(b, newlen)) {
        errno = e ? e : ENOMEM;
        return NULL;
    }
    uint64_t ol = (oldlen + PAGE - 1) & ~(PAGE - 1), nl = (newlen + PAGE - 1) & ~(PAGE - 1);
    if (b == a) {
        if (nl > ol)
            host_rw(a + ol, nl - ol);
        else if (nl < ol)
            host_drop(a + nl, ol - nl);
        return addr;
    }
    /* Move the host pages too, then give the old range back to the reservation. */
    void *m = mremap(addr, ol, ol, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(uintptr_t)b);
    if (m == MAP_FAILED) {
        host_rw(b, nl);
        memcpy((void *)(uintptr_t)b, addr, ol < nl ? ol : nl);
        host_drop(a, ol);
    } else {
        mmap(addr, ol, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
        if (nl > ol)
            host_rw(b + ol, nl - ol);
    }
    return (void *)(uintptr_t)b;
}

size_t mini_os_page_size(void)
{
    return PAGE;
}

int mini_sim_touch(const void *addr, size_t len, enum km_touch how)
{
    begin();
    int r = fault_touch_range(sim.km, sim.mm, (uint64_t)(uintptr_t)addr, len, how, 0);
    end();
    return r;
}

uint64_t mini_sim_sync(void)
{
    begin();
    uint64_t n = 0;
    static unsigned char vec[4096];
    for (size_t i = 0; i < sim.mm->nvma; i++) {
        struct km_vma v = sim.mm->vmas[i];
        if (!(v.flags & KM_VM_WRITE) || !in_range(v.start, v.end - v.start))
            continue;
        for (uint64_t a = v.start; a < v.end; a += sizeof(vec) * PAGE) {
            uint64_t len = v.end - a < sizeof(vec) * PAGE ? v.end - a : sizeof(vec) * PAGE;
            if (mincore((void *)(uintptr_t)a, len, vec) != 0)
                continue;
            for (uint64_t k = 0; k < len / PAGE; k++) {
                if (!(vec[k] & 1))
                    continue;
                uint64_t pa = a + k * PAGE;
                bool huge;
                uint64_t *e = pt_walk(sim.km, sim.mm, pa >> KM_PAGE_SHIFT, false, &huge);
                if (e && (*e & KM_PTE_PRESENT) && !(*e & KM_PTE_ZERO))
                    continue;
                fault_touch(sim.km, sim.mm, pa, KM_TOUCH_WRITE);
                n++;
            }
        }
    }
    end();
    return n;
}
