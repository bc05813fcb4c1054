/*
 * os_sim.c — libmini's OS layer over the kernel model (see os_sim.h for the picture).
 *
 * Each call mirrors what libmini/src/os.c does with the real kernel:
 *   mini_os_sbrk      brk(2)                    host: new pages RW / old pages dropped
 *   mini_os_map       mmap(RW, PRIVATE|ANON)    host: RW
 *   mini_os_reserve   mmap(PROT_NONE) aligned   host: stays PROT_NONE
 *   mini_os_commit    mprotect(RW)              host: RW            (charged to commit)
 *   mini_os_decommit  mmap(NONE, FIXED|NORESERVE) over the range: pages and charge dropped
 *   mini_os_purge     madvise(DONTNEED)         host: DONTNEED (reads as zeros again)
 *   mini_os_unmap     munmap                    host: DONTNEED + NONE
 *   mini_os_remap     mremap(MAYMOVE)           host: mremap onto the model's new address
 * Errors come from the model (ENOMEM from overcommit, max_map_count...), with errno set.
 */
#include "analysis/kmodel/os_sim.h"
#include "libmini/src/os.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096ULL

static struct {
    struct km *km;
    struct km_mm *mm;
    uint8_t *base;
    uint64_t span;
    bool own_km; /* created by mini_sim_init (destroyed by mini_sim_fini) */
    /* mini_sim_watch(): a userfaultfd over the reservation and the thread serving it. */
    int uffd, stop_fd[2];
    pthread_t watcher;
    bool watching;
    _Atomic uint64_t watched_pages;
} sim = {.uffd = -1, .stop_fd = {-1, -1}};

static bool in_range(uint64_t a, uint64_t len);

/* The program wrote [a, a + len) in the model: map the host pages too (the zero page, without
 * waking the watcher), so that libmini's later writes there cost no round trip. */
static void watch_populate(uint64_t a, uint64_t len)
{
    if (!sim.watching || len == 0)
        return;
    uint64_t s0 = a & ~(PAGE - 1), e = (a + len + PAGE - 1) & ~(PAGE - 1);
    if (!in_range(s0, e - s0))
        return;
    while (s0 < e) {
        struct uffdio_zeropage z = {.range = {.start = s0, .len = e - s0}, .mode = 0};
        if (ioctl(sim.uffd, UFFDIO_ZEROPAGE, &z) == 0)
            break;
        if (errno != EEXIST && errno != EAGAIN)
            break;
        /* Stopped at a page that is there already: skip it. */
        s0 += (z.zeropage > 0 ? (uint64_t)z.zeropage : 0) + (errno == EEXIST ? PAGE : 0);
    }
}

static void watch_register(uint64_t a, uint64_t len);

/* The call counters libmini's stats.c reads (os.c defines them for the real kernel). */
_Atomic uint64_t mini_os_n_brk, mini_os_n_mmap, mini_os_n_munmap, mini_os_n_mremap,
    mini_os_n_mprotect, mini_os_n_madvise;

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
    struct km *km = km_create(cfg, err, errlen);
    if (km == NULL)
        return -1;
    if (mini_sim_attach(km, span, err, errlen) != 0) {
        km_destroy(km);
        return -1;
    }
    sim.own_km = true;
    return 0;
}

int mini_sim_attach(struct km *km, uint64_t span, char *err, size_t errlen)
{
    if (sim.base)
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
    sim.km = km;
    sim.mm = proc_create(sim.km, "libmini", 0);
    if (sim.mm == NULL) {
        snprintf(err, errlen, "cannot create the simulated process");
        sim.km = NULL;
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
    mini_sim_unwatch();
    if (sim.km && sim.own_km)
        km_destroy(sim.km);
    if (sim.base)
        munmap(sim.base, sim.span);
    memset(&sim, 0, sizeof(sim));
}

void mini_sim_detach(void)
{
    mini_sim_unwatch();
    sim.km = NULL;
    sim.mm = NULL;
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

/* ---- Watching the host: libmini's own writes, as they happen ----------------------------- *
 *
 * A userfaultfd (MISSING mode) covers the whole reservation. The first access to a host page
 * blocks the accessing thread (the replayer's baton holder: the only one running libmini) while
 * the watcher thread faults the page into the model and fills it with zeros; so the model sees
 * libmini's metadata writes in order, wherever they land. The model is never entered by two
 * threads at once: the accessing thread is stopped in the kernel, outside the model.
 */

static void watch_account(uint64_t pa)
{
    if (!mini_sim_alive())
        return;
    bool huge;
    uint64_t *pte = pt_walk(sim.km, sim.mm, pa >> KM_PAGE_SHIFT, false, &huge);
    if (pte && *pte != 0 &&
        (*pte & (KM_PTE_PRESENT | KM_PTE_ZERO)) != (KM_PTE_PRESENT | KM_PTE_ZERO))
        return;
    struct km_mm *cur = sim.km->cur;
    sim.km->cur = sim.mm;
    fault_touch(sim.km, sim.mm, pa, KM_TOUCH_WRITE);
    km_after_op(sim.km);
    sim.km->cur = cur;
    atomic_fetch_add_explicit(&sim.watched_pages, 1, memory_order_relaxed);
}

static void *watch_main(void *arg)
{
    (void)arg;
    static char zero[4096] __attribute__((aligned(4096)));
    struct pollfd pf[2] = {{.fd = sim.uffd, .events = POLLIN},
                           {.fd = sim.stop_fd[0], .events = POLLIN}};
    for (;;) {
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pf[1].revents)
            break;
        struct uffd_msg msg[16];
        ssize_t n = read(sim.uffd, msg, sizeof(msg));
        if (n <= 0) {
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            break;
        }
        for (size_t i = 0; i < (size_t)n / sizeof(msg[0]); i++) {
            if (msg[i].event != UFFD_EVENT_PAGEFAULT)
                continue;
            uint64_t pa = msg[i].arg.pagefault.address & ~(PAGE - 1);
            watch_account(pa);
            struct uffdio_copy c = {.dst = pa, .src = (uintptr_t)zero, .len = PAGE, .mode = 0};
            if (ioctl(sim.uffd, UFFDIO_COPY, &c) != 0) {
                struct uffdio_range r = {.start = pa, .len = PAGE};
                ioctl(sim.uffd, UFFDIO_WAKE, &r); /* already there (EEXIST): just wake */
            }
        }
    }
    return NULL;
}

static void watch_register(uint64_t a, uint64_t len)
{
    if (!sim.watching || !in_range(a, len) || len == 0)
        return;
    struct uffdio_register r = {.range = {.start = a, .len = (len + PAGE - 1) & ~(PAGE - 1)},
                                .mode = UFFDIO_REGISTER_MODE_MISSING};
    ioctl(sim.uffd, UFFDIO_REGISTER, &r);
}

bool mini_sim_watch(char *err, size_t errlen)
{
    if (sim.watching)
        return true;
    if (sim.base == NULL) {
        snprintf(err, errlen, "no simulated process");
        return false;
    }
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && (errno == EPERM || errno == EACCES))
        fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (fd < 0) {
        snprintf(err, errlen, "userfaultfd: %s", strerror(errno));
        return false;
    }
    struct uffdio_api api = {.api = UFFD_API, .features = 0};
    struct uffdio_register r = {.range = {.start = (uintptr_t)sim.base, .len = sim.span},
                                .mode = UFFDIO_REGISTER_MODE_MISSING};
    if (ioctl(fd, UFFDIO_API, &api) != 0 || ioctl(fd, UFFDIO_REGISTER, &r) != 0) {
        snprintf(err, errlen, "userfaultfd: %s", strerror(errno));
        close(fd);
        return false;
    }
    if (pipe2(sim.stop_fd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(fd);
        return false;
    }
    sim.uffd = fd;
    if (pthread_create(&sim.watcher, NULL, watch_main, NULL) != 0) {
        snprintf(err, errlen, "cannot start the watcher thread");
        close(fd);
        close(sim.stop_fd[0]);
        close(sim.stop_fd[1]);
        sim.uffd = sim.stop_fd[0] = sim.stop_fd[1] = -1;
        return false;
    }
    sim.watching = true;
    return true;
}

void mini_sim_unwatch(void)
{
    if (!sim.watching)
        return;
    ssize_t w = write(sim.stop_fd[1], "x", 1);
    (void)w;
    pthread_join(sim.watcher, NULL);
    /* Closing the userfaultfd unregisters the ranges: later accesses fault normally. */
    close(sim.uffd);
    close(sim.stop_fd[0]);
    close(sim.stop_fd[1]);
    sim.uffd = sim.stop_fd[0] = sim.stop_fd[1] = -1;
    sim.watching = false;
}

uint64_t mini_sim_watched_pages(void)
{
    return atomic_load_explicit(&sim.watched_pages, memory_order_relaxed);
}

bool mini_sim_alive(void)
{
    return sim.mm && !sim.mm->killed && !sim.mm->exited;
}

/* Every call starts here: false (errno ENOMEM) once the process was OOM-killed. */
static bool begin(void)
{
    if (!mini_sim_alive()) {
        errno = ENOMEM;
        return false;
    }
    sim.km->cur = sim.mm;
    sim.km->cur_cpu = sim.mm->cpu;
    return true;
}

static void end(void)
{
    km_after_op(sim.km);
}

void *mini_os_sbrk(intptr_t increment)
{
    if (!begin())
        return MINI_OS_SBRK_FAILED;
    if (increment == 0)
        return (void *)(uintptr_t)sim.mm->brk;
    atomic_fetch_add_explicit(&mini_os_n_brk, 1, memory_order_relaxed);
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
    if (!begin())
        return NULL;
    atomic_fetch_add_explicit(&mini_os_n_mmap, 1, memory_order_relaxed);
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
    if (!begin())
        return NULL;
    atomic_fetch_add_explicit(&mini_os_n_mmap, 1, memory_order_relaxed);
    int e = 0;
    uint64_t big = len + align + PAGE; /* as os.c: always a head and a tail to unmap */
    uint64_t a = vma_mmap(sim.km, sim.mm, 0, big, 0, KM_MAP_PRIVATE | KM_MAP_ANON, -1, 0, &e);
    if (a == 0 || !in_range(a, big)) {
        if (a)
            vma_munmap(sim.km, sim.mm, a, big);
        end();
        errno = e ? e : ENOMEM;
        return NULL;
    }
    uint64_t r = (a + 1 + align - 1) & ~((uint64_t)align - 1);
    atomic_fetch_add_explicit(&mini_os_n_munmap, 2, memory_order_relaxed);
    vma_munmap(sim.km, sim.mm, a, r - a);
    vma_munmap(sim.km, sim.mm, r + len, a + big - (r + len));
    end();
    return (void *)(uintptr_t)r;
}

int mini_os_commit(void *addr, size_t len)
{
    if (!begin())
        return -1;
    atomic_fetch_add_explicit(&mini_os_n_mprotect, 1, memory_order_relaxed);
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
    if (!begin())
        return -1;
    atomic_fetch_add_explicit(&mini_os_n_mmap, 1, memory_order_relaxed);
    uint64_t a = (uint64_t)(uintptr_t)addr;
    int e = 0;
    uint64_t got =
        vma_mmap(sim.km, sim.mm, a, len, 0,
                 KM_MAP_PRIVATE | KM_MAP_ANON | KM_MAP_FIXED | KM_MAP_NORESERVE, -1, 0, &e);
    end();
    if (got != a) {
        errno = e ? e : ENOMEM;
        return -1;
    }
    host_drop(a, len);
    return 0;
}

int mini_os_purge(void *addr, size_t len)
{
    if (!begin())
        return -1;
    atomic_fetch_add_explicit(&mini_os_n_madvise, 1, memory_order_relaxed);
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
    if (!begin())
        return -1;
    atomic_fetch_add_explicit(&mini_os_n_munmap, 1, memory_order_relaxed);
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
    if (!begin())
        return NULL;
    atomic_fetch_add_explicit(&mini_os_n_mremap, 1, memory_order_relaxed);
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
        /* A moved or replaced host mapping is no longer registered with the userfaultfd. */
        watch_register(a, ol);
        watch_register(b, nl);
    }
    return (void *)(uintptr_t)b;
}

size_t mini_os_page_size(void)
{
    return PAGE;
}

int mini_sim_touch(const void *addr, size_t len, enum km_touch how)
{
    if (!begin())
        return -1;
    int r = fault_touch_range(sim.km, sim.mm, (uint64_t)(uintptr_t)addr, len, how, 0);
    end();
    if (r == 0 && how != KM_TOUCH_READ)
        watch_populate((uint64_t)(uintptr_t)addr, len);
    return r;
}

/* Fault into the model the pages of [a, e) (page-aligned, inside one writable VMA of the
 * reservation) that the host has resident and the model never populated. */
static uint64_t sync_range(uint64_t a, uint64_t e)
{
    static unsigned char vec[4096];
    uint64_t n = 0;
    for (; a < e && mini_sim_alive(); a += sizeof(vec) * PAGE) {
        uint64_t len = e - a < sizeof(vec) * PAGE ? e - a : sizeof(vec) * PAGE;
        if (mincore((void *)(uintptr_t)a, len, vec) != 0)
            continue;
        for (uint64_t k = 0; k < len / PAGE; k++) {
            if (!(vec[k] & 1))
                continue;
            uint64_t pa = a + k * PAGE;
            bool huge;
            uint64_t *pte = pt_walk(sim.km, sim.mm, pa >> KM_PAGE_SHIFT, false, &huge);
            /* Only pages the model never populated (or maps to the zero page): a page the
             * model swapped out stays out, although the host still has it. */
            if (pte && *pte != 0 &&
                (*pte & (KM_PTE_PRESENT | KM_PTE_ZERO)) != (KM_PTE_PRESENT | KM_PTE_ZERO))
                continue;
            if (fault_touch(sim.km, sim.mm, pa, KM_TOUCH_WRITE) != 0 && !mini_sim_alive())
                return n;
            n++;
        }
    }
    return n;
}

uint64_t mini_sim_sync(void)
{
    if (!begin())
        return 0;
    uint64_t n = 0;
    for (size_t i = 0; i < sim.mm->nvma && mini_sim_alive(); i++) {
        struct km_vma v = sim.mm->vmas[i];
        if ((v.flags & KM_VM_WRITE) && in_range(v.start, v.end - v.start))
            n += sync_range(v.start, v.end);
    }
    end();
    return n;
}

uint64_t mini_sim_probe(const void *addr, size_t len)
{
    if (!begin())
        return 0;
    uint64_t a = (uint64_t)(uintptr_t)addr & ~(PAGE - 1), n = 0;
    uint64_t e = ((uint64_t)(uintptr_t)addr + len + PAGE - 1) & ~(PAGE - 1);
    while (a < e && mini_sim_alive()) {
        struct km_vma *v = vma_find(sim.mm, a);
        if (v == NULL)
            break;
        uint64_t ve = v->end < e ? v->end : e;
        if ((v->flags & KM_VM_WRITE) && in_range(a, ve - a))
            n += sync_range(a, ve);
        a = ve;
    }
    end();
    return n;
}
