/*
 * replay.c — mini-trace replay: drive the allocator this process runs under (glibc's, or any
 * LD_PRELOADed one) through the calls of a trace, in the trace's threads.
 *
 *   trace ──mtr_open/mtr_resolve──> events in global order, each block a slot number
 *        └─> one worker thread per trace thread id (at most --max-threads; beyond, thread ids
 *            share workers), each with its thread's calls in order
 *
 *   main:    create workers ─ mark(1) ─ go ─ wait until all are done ─ mark(2) ─ join ─ report
 *   worker:  for each call: wait for its input block, call, publish its output block, write it
 *
 * What is kept (the guarantee):
 *   - every thread's calls, in its order, with the same sizes, alignments and entry points
 *     (malloc, calloc, realloc, reallocarray, free, memalign, posix_memalign, aligned_alloc,
 *     valloc, pvalloc, operator new/delete in the same variant — nothrow forms for new, so that
 *     a failure cannot throw into C — malloc_trim, mallopt);
 *   - a block is released only after the call that produced it has returned (a worker waits for
 *     it), whatever thread produced it;
 *   - default ("dependency order"): nothing more; threads otherwise run freely, so interleavings
 *     and the peak of live bytes may differ from the recording;
 *   - --strict: the whole global order of the trace, one call at a time (workers take turns by
 *     a ticket): the same interleaving, hence the same peak live bytes, slower.
 * A pointer the trace never produced (freed blocks of a fork parent, lost records) is replayed
 * as NULL: free(NULL), realloc(NULL, n). Every block is written (memset) when it is allocated,
 * unless --no-write; calloc's zeroes and each block's first byte are checked when it is used
 * again: a mismatch is reported (exit 1), it is the allocator's fault.
 *
 * The replayer's own memory (the trace, event lists, slots) comes from mmap, never from the
 * allocator under test; its stdio and thread creation happen outside the window between the
 * marks 1 and 2 (written through mini_trace_mark when running under libmini's shim with
 * MINI_TRACE), so `mini-trace stats --window` of that second trace sees the replayed calls only.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "preload/mini_trace.h"

/* libstdc++'s operators (linked with -lstdc++; the LD_PRELOADed allocator may replace them). */
extern const char _ZSt7nothrow[];
void *_ZnwmRKSt9nothrow_t(size_t, const void *);
void *_ZnamRKSt9nothrow_t(size_t, const void *);
void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t, size_t, const void *);
void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t, size_t, const void *);
void _ZdlPv(void *);
void _ZdaPv(void *);
void _ZdlPvm(void *, size_t);
void _ZdaPvm(void *, size_t);
void _ZdlPvRKSt9nothrow_t(void *, const void *);
void _ZdaPvRKSt9nothrow_t(void *, const void *);
void _ZdlPvSt11align_val_t(void *, size_t);
void _ZdaPvSt11align_val_t(void *, size_t);
void _ZdlPvmSt11align_val_t(void *, size_t, size_t);
void _ZdaPvmSt11align_val_t(void *, size_t, size_t);
void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *, size_t, const void *);
void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *, size_t, const void *);

#define SLOT_FAILED ((uintptr_t)1) /* the replayed call returned NULL */

struct rp_ev {
    uint16_t op, flags;
    uint32_t slot_in, slot_out;
    uint32_t pad_;
    uint64_t size, arg;
    uint64_t g; /* position in the global order of replayed calls */
};

struct worker {
    pthread_t th;
    struct rp_ev *ev;
    uint64_t n;
    uint64_t calls[MT_NOPS];
    uint64_t failed, corrupted, calloc_dirty;
} __attribute__((aligned(64)));

static struct {
    bool strict, write;
    _Atomic uintptr_t *slot;   /* the replayed pointer of each block */
    const uint64_t *slot_size; /* bytes asked for */
    _Atomic uint32_t go;
    _Atomic uint32_t done;
    _Atomic uint32_t may_exit;
    _Atomic uint64_t ticket; /* --strict: the call whose turn it is */
    _Atomic int64_t live;
    _Atomic uint64_t peak;
    _Atomic uint64_t blocks;
} rp;

static void futex_wait(_Atomic uint32_t *a, uint32_t v)
{
    syscall(SYS_futex, (uint32_t *)a, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}
static void futex_wake(_Atomic uint32_t *a)
{
    syscall(SYS_futex, (uint32_t *)a, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

static inline void relax(unsigned *spins)
{
    if (++*spins < 64)
        __builtin_ia32_pause();
    else
        sched_yield();
}

static inline uint8_t pattern(uint32_t slot)
{
    return (uint8_t)((slot * 131u + 7u) | 1u);
}

static void live_add(int64_t d)
{
    int64_t now = atomic_fetch_add_explicit(&rp.live, d, memory_order_relaxed) + d;
    uint64_t pk = atomic_load_explicit(&rp.peak, memory_order_relaxed);
    while (now > 0 && (uint64_t)now > pk &&
           !atomic_compare_exchange_weak_explicit(&rp.peak, &pk, (uint64_t)now,
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

/* The replayed pointer of an input block (waiting for its producer), or NULL. */
static void *input(const struct rp_ev *e)
{
    if (e->slot_in == 0 || e->slot_in == MTR_SLOT_UNKNOWN)
        return NULL;
    uintptr_t p;
    unsigned spins = 0;
    while ((p = atomic_load_explicit(&rp.slot[e->slot_in], memory_order_acquire)) == 0)
        relax(&spins);
    return p == SLOT_FAILED ? NULL : (void *)p;
}

static void check_first(struct worker *w, uint32_t slot, const void *p)
{
    if (rp.write && p && slot && slot != MTR_SLOT_UNKNOWN && rp.slot_size[slot] &&
        *(const volatile uint8_t *)p != pattern(slot))
        w->corrupted++;
}

static void released(uint32_t slot)
{
    if (slot && slot != MTR_SLOT_UNKNOWN) {
        live_add(-(int64_t)rp.slot_size[slot]);
        atomic_fetch_sub_explicit(&rp.blocks, 1, memory_order_relaxed);
    }
}

static void produced(struct worker *w, const struct rp_ev *e, void *q, uint64_t keep)
{
    if (e->slot_out == 0)
        return;
    uint64_t s = rp.slot_size[e->slot_out];
    if (q && rp.write && s > keep && s != UINT64_MAX)
        memset((char *)q + keep, pattern(e->slot_out), s - keep);
    if (q && rp.write && s && keep)
        *(volatile uint8_t *)q = pattern(e->slot_out);
    if (q) {
        live_add((int64_t)s);
        atomic_fetch_add_explicit(&rp.blocks, 1, memory_order_relaxed);
    } else {
        w->failed++;
    }
    atomic_store_explicit(&rp.slot[e->slot_out], q ? (uintptr_t)q : SLOT_FAILED,
                          memory_order_release);
}

static void do_delete(void *p, unsigned fl, size_t s, size_t al)
{
    bool a = fl & MINI_TR_F_ARRAY;
    const void *nt = _ZSt7nothrow;
    if (fl & MINI_TR_F_ALIGNED) {
        if (fl & MINI_TR_F_SIZED)
            a ? _ZdaPvmSt11align_val_t(p, s, al) : _ZdlPvmSt11align_val_t(p, s, al);
        else if (fl & MINI_TR_F_NOTHROW)
            a ? _ZdaPvSt11align_val_tRKSt9nothrow_t(p, al, nt)
              : _ZdlPvSt11align_val_tRKSt9nothrow_t(p, al, nt);
        else
            a ? _ZdaPvSt11align_val_t(p, al) : _ZdlPvSt11align_val_t(p, al);
    } else if (fl & MINI_TR_F_SIZED) {
        a ? _ZdaPvm(p, s) : _ZdlPvm(p, s);
    } else if (fl & MINI_TR_F_NOTHROW) {
        a ? _ZdaPvRKSt9nothrow_t(p, nt) : _ZdlPvRKSt9nothrow_t(p, nt);
    } else {
        a ? _ZdaPv(p) : _ZdlPv(p);
    }
}

static void run_one(struct worker *w, const struct rp_ev *e)
{
    void *p = input(e), *q = NULL;
    uint64_t keep = 0;
    w->calls[e->op]++;
    switch (e->op) {
    case MINI_TR_MALLOC:
        q = malloc(e->size);
        break;
    case MINI_TR_CALLOC:
        q = calloc(e->arg, e->size);
        if (q && e->slot_out && rp.slot_size[e->slot_out]) {
            uint64_t s = rp.slot_size[e->slot_out];
            if (((volatile uint8_t *)q)[0] || ((volatile uint8_t *)q)[s - 1])
                w->calloc_dirty++;
        }
        break;
    case MINI_TR_REALLOC:
    case MINI_TR_REALLOCARRAY: {
        check_first(w, e->slot_in, p);
        uint64_t old = p && e->slot_in ? rp.slot_size[e->slot_in] : 0;
        q = e->op == MINI_TR_REALLOC ? realloc(p, e->size) : reallocarray(p, e->arg, e->size);
        bool gone = p && (q || (e->op == MINI_TR_REALLOC ? e->size == 0 : e->size * e->arg == 0));
        if ((e->flags & MINI_TR_F_FAILED) && e->slot_in && e->slot_in != MTR_SLOT_UNKNOWN) {
            /* The recorded call failed and left its block; if this one moved it, the block
             * lives on at q for the calls that free it later. */
            if (q)
                atomic_store_explicit(&rp.slot[e->slot_in], (uintptr_t)q, memory_order_release);
            break;
        }
        if (gone)
            released(e->slot_in);
        if (q && p)
            keep = old;
        if (q && p && old && e->slot_out && rp.slot_size[e->slot_out] &&
            *(volatile uint8_t *)q != pattern(e->slot_in) && rp.write)
            w->corrupted++; /* realloc lost the contents */
        break;
    }
    case MINI_TR_FREE:
        check_first(w, e->slot_in, p);
        released(e->slot_in);
        free(p);
        break;
    case MINI_TR_MEMALIGN:
        q = memalign(e->arg, e->size);
        break;
    case MINI_TR_POSIX_MEMALIGN:
        if (posix_memalign(&q, e->arg, e->size) != 0)
            q = NULL;
        break;
    case MINI_TR_ALIGNED_ALLOC:
        q = aligned_alloc(e->arg, e->size);
        break;
    case MINI_TR_VALLOC:
        q = valloc(e->size);
        break;
    case MINI_TR_PVALLOC:
        q = pvalloc(e->size);
        break;
    case MINI_TR_NEW: {
        bool a = e->flags & MINI_TR_F_ARRAY;
        if (e->flags & MINI_TR_F_ALIGNED)
            q = a ? _ZnamSt11align_val_tRKSt9nothrow_t(e->size, e->arg, _ZSt7nothrow)
                  : _ZnwmSt11align_val_tRKSt9nothrow_t(e->size, e->arg, _ZSt7nothrow);
        else
            q = a ? _ZnamRKSt9nothrow_t(e->size, _ZSt7nothrow)
                  : _ZnwmRKSt9nothrow_t(e->size, _ZSt7nothrow);
        break;
    }
    case MINI_TR_DELETE:
        check_first(w, e->slot_in, p);
        released(e->slot_in);
        do_delete(p, e->flags, e->size, e->arg);
        break;
    case MINI_TR_TRIM:
        malloc_trim(e->size);
        break;
    case MINI_TR_MALLOPT:
        mallopt((int)(int64_t)e->size, (int)(int64_t)e->arg);
        break;
    default:
        break;
    }
    produced(w, e, q, keep);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    while (!atomic_load_explicit(&rp.go, memory_order_acquire))
        futex_wait(&rp.go, 0);
    for (uint64_t i = 0; i < w->n; i++) {
        const struct rp_ev *e = &w->ev[i];
        if (rp.strict) {
            unsigned spins = 0;
            while (atomic_load_explicit(&rp.ticket, memory_order_acquire) != e->g)
                relax(&spins);
        }
        run_one(w, e);
        if (rp.strict)
            atomic_store_explicit(&rp.ticket, e->g + 1, memory_order_release);
    }
    atomic_fetch_add_explicit(&rp.done, 1, memory_order_release);
    futex_wake(&rp.done);
    while (!atomic_load_explicit(&rp.may_exit, memory_order_acquire))
        futex_wait(&rp.may_exit, 0);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int mt_cmd_replay(int argc, char **argv)
{
    const char *path = NULL;
    long max_threads = 256;
    rp.write = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--strict") == 0) {
            rp.strict = true;
        } else if (strcmp(argv[i], "--no-write") == 0) {
            rp.write = false;
        } else if (strcmp(argv[i], "--max-threads") == 0) {
            if (i + 1 >= argc || (max_threads = mt_parse_count(argv[i + 1])) < 0 ||
                max_threads > 4096) {
                fprintf(stderr,
                        "mini-trace: replay: --max-threads wants a number from 1 to 4096\n");
                return 2;
            }
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "mini-trace: replay: unknown option: %s\n", argv[i]);
            return 2;
        } else if (path) {
            fprintf(stderr, "mini-trace: replay: more than one FILE: %s\n", argv[i]);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fprintf(stderr, "mini-trace: replay: no FILE\n");
        return 2;
    }
    struct mtr_trace t;
    struct mtr_err err;
    if (mtr_open(&t, path, &err) != 0)
        return mt_bad_trace(path, &err);
    struct mtr_res res;
    if (mtr_resolve(&t, &res, &err) != 0) {
        mtr_close(&t);
        return mt_bad_trace(path, &err);
    }

    /* Threads: map each trace tid to a worker, in order of first appearance. */
    uint64_t ncalls = 0, orig_failed = 0;
    uint64_t tcap = 64;
    while (tcap < 2u * t.ntids + 2)
        tcap *= 2;
    uint32_t *tkey = mtr_mem_alloc(tcap * sizeof(uint32_t)),
             *tval = mtr_mem_alloc(tcap * sizeof(uint32_t));
    uint32_t nw = 0, ntids = 0;
    uint32_t cap_w = (uint32_t)(t.ntids < (uint64_t)max_threads ? t.ntids : (uint64_t)max_threads);
    if (cap_w == 0)
        cap_w = 1;
    struct worker *w = mtr_mem_alloc(cap_w * sizeof(*w));
    uint32_t *ev_w = mtr_mem_alloc(t.nev * sizeof(uint32_t));
    if (!tkey || !tval || !w || !ev_w) {
        fprintf(stderr, "mini-trace: replay: out of memory\n");
        return 1;
    }
    for (uint64_t e = 0; e < t.nev; e++) {
        const struct mtr_ev *ev = &t.ev[e];
        const struct mini_trace_rec *r = t.rec[ev->rec];
        if (ev->kind != MTR_EV_RECORD || !mtr_op_is_call(r->op) || r->op == MINI_TR_MARK)
            continue;
        uint64_t j = ((uint64_t)r->tid * 0x9e3779b97f4a7c15ULL) & (tcap - 1);
        while (tkey[j] && tkey[j] != r->tid + 1u)
            j = (j + 1) & (tcap - 1);
        if (!tkey[j]) {
            tkey[j] = r->tid + 1u;
            tval[j] = ntids++ % cap_w;
            if (nw < cap_w)
                nw++;
        }
        ev_w[e] = tval[j] + 1;
        w[tval[j]].n++;
        ncalls++;
        if (r->flags & MINI_TR_F_FAILED)
            orig_failed++;
    }
    struct rp_ev *evs = mtr_mem_alloc(ncalls * sizeof(*evs));
    rp.slot = mtr_mem_alloc((res.nslots + 1) * sizeof(*rp.slot));
    if ((ncalls && !evs) || !rp.slot) {
        fprintf(stderr, "mini-trace: replay: out of memory for %" PRIu64 " calls\n", ncalls);
        return 1;
    }
    rp.slot_size = res.slot_size;
    uint64_t off = 0;
    for (uint32_t i = 0; i < nw; i++) {
        w[i].ev = evs + off;
        off += w[i].n;
        w[i].n = 0;
    }
    uint64_t g = 0;
    for (uint64_t e = 0; e < t.nev; e++) {
        if (!ev_w[e])
            continue;
        const struct mini_trace_rec *r = t.rec[t.ev[e].rec];
        struct worker *wk = &w[ev_w[e] - 1];
        uint64_t gi = g++;
        wk->ev[wk->n++] = (struct rp_ev){
            .op = r->op,
            .flags = r->flags,
            .slot_in = res.slot_in[t.ev[e].rec],
            .slot_out = res.slot_out[t.ev[e].rec],
            .size = r->size,
            .arg = r->arg,
            .g = gi,
        };
    }
    mtr_mem_free(ev_w, t.nev * sizeof(uint32_t));
    mtr_mem_free(tkey, tcap * sizeof(uint32_t));
    mtr_mem_free(tval, tcap * sizeof(uint32_t));

    /* Everything that may allocate happens before mark 1 and after mark 2. */
    mini_trace_mark_fn *mark = (mini_trace_mark_fn *)dlsym(RTLD_DEFAULT, "mini_trace_mark");
    fflush(stdout);
    for (uint32_t i = 0; i < nw; i++)
        if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
            fprintf(stderr, "mini-trace: replay: cannot create thread %u of %u\n", i + 1, nw);
            return 1;
        }
    if (mark)
        mark(1);
    double t0 = now_s();
    atomic_store_explicit(&rp.go, 1, memory_order_release);
    futex_wake(&rp.go);
    uint32_t d;
    while ((d = atomic_load_explicit(&rp.done, memory_order_acquire)) < nw)
        futex_wait(&rp.done, d);
    double t1 = now_s();
    if (mark)
        mark(2);
    atomic_store_explicit(&rp.may_exit, 1, memory_order_release);
    futex_wake(&rp.may_exit);
    for (uint32_t i = 0; i < nw; i++)
        pthread_join(w[i].th, NULL);

    uint64_t calls[MT_NOPS] = {0}, failed = 0, corrupted = 0, dirty = 0;
    for (uint32_t i = 0; i < nw; i++) {
        for (unsigned op = 0; op < MT_NOPS; op++)
            calls[op] += w[i].calls[op];
        failed += w[i].failed;
        corrupted += w[i].corrupted;
        dirty += w[i].calloc_dirty;
    }
    printf("replay: %s: %" PRIu64 " calls, %u threads (%u workers), %s, %.6f s\n", path, ncalls,
           t.ntids, nw, rp.strict ? "strict order" : "dependency order", t1 - t0);
    mt_print_calls(stdout, calls);
    printf("failed_calls: %" PRIu64 " (recorded: %" PRIu64 ")\n", failed, orig_failed);
    printf("peak_live_bytes: %" PRIu64 "\n", atomic_load(&rp.peak));
    printf("live_at_end_bytes: %" PRId64 " (%" PRIu64 " blocks)\n", atomic_load(&rp.live),
           atomic_load(&rp.blocks));
    printf("unmatched_releases: %" PRIu64 "\n", res.unmatched);
    printf("corrupted_blocks: %" PRIu64 "\n", corrupted);
    printf("calloc_not_zero: %" PRIu64 "\n", dirty);
    fflush(stdout);
    int rc = 0;
    if (corrupted || dirty) {
        fprintf(stderr,
                "mini-trace: replay: the allocator under test corrupted %" PRIu64
                " blocks and returned %" PRIu64 " non-zero calloc blocks\n",
                corrupted, dirty);
        rc = 1;
    }
    mtr_mem_free(evs, ncalls * sizeof(*evs));
    mtr_mem_free((void *)rp.slot, (res.nslots + 1) * sizeof(*rp.slot));
    mtr_mem_free(w, cap_w * sizeof(*w));
    mtr_res_free(&t, &res);
    mtr_close(&t);
    return rc;
}
