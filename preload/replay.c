/*
 * replay.c — mini-trace replay and plan: drive the allocator this process runs under (glibc's,
 * or any LD_PRELOADed one) through the calls of a trace, in the trace's threads.
 *
 *   trace ──mtr_open/mtr_resolve──> events in global order, each block a slot number
 *        └─> plan: one list of calls per worker (one worker per trace thread id, at most
 *            --max-threads; beyond, thread ids share workers), slots renumbered
 *            ├─> `mini-trace plan` writes it to a file (below), once
 *            └─> `mini-trace replay` runs it (from memory, or streamed from a plan file)
 *
 *   main:    create workers 1.. ─ mark(1) ─ RUN ─ go ─ run worker 0 ─ wait until all are done
 *            ─ DONE ─ mark(2) ─ join ─ [--free-at-end: free every block still live] ─ report
 *   worker:  for each call: wait for its input block, call, publish its output block, write it
 *
 * Worker 0 (the first thread of the trace, normally the program's main thread) runs in the
 * main thread, so a single-threaded program is replayed by a single-threaded process: the
 * allocator serves it from its main arena (brk heap) as it served the program, not from the
 * arena of a second thread.
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
 * Slots: the table that maps a block to its replayed pointer (and its size) has one entry per
 * slot. With one worker, slot numbers are recycled at plan time (a released block's number goes
 * to the next new block, as registers are allocated), so the table holds the peak number of
 * live blocks, not every block the trace ever made; with several workers a number is never
 * reused (a worker may still be waiting for an older block under it).
 *
 * The replayer's own memory (the trace, the plan, the slot table) comes from mmap, never from the
 * allocator under test; its stdio and thread creation happen outside the window between the
 * marks 1 and 2 (written through mini_trace_mark when running under libmini's shim with
 * MINI_TRACE), so `mini-trace stats --window` of that second trace sees the replayed calls only.
 *
 * As a benchmark workload (bench/include/benchproto.h): when MINI_BENCH_SHM is set, the replay
 * reports its live bytes (bytes asked for and not yet freed, per worker slot), its calls as ops
 * ("replayed calls") and its phases (INIT while loading, RUN from go to the last call, DONE)
 * to the runner's shared page. For a clean measurement it is given a plan file: workers then
 * read their calls with pread through a 48 KiB buffer each, the slot table is a shared mapping
 * (RssShmem, not RssAnon: it does not count as heap in RssAnon / live bytes), and nothing else
 * of the replayer's grows with the trace.
 *
 * Plan file (little-endian, this machine's only; written and read by the same mini-trace):
 *
 *   struct rp_plan_hdr (256 bytes: magic "MINIPLAN", version, counts, the trace's program)
 *   uint64_t calls[nworkers]                  calls of each worker
 *   struct rp_ev [calls of worker 0] [calls of worker 1] ...   (48 bytes each)
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench/include/benchproto.h"
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

/* Slot table values besides pointers: not yet produced, the replayed call returned NULL, the
 * block was released. */
#define SLOT_EMPTY   ((uintptr_t)0)
#define SLOT_FAILED  ((uintptr_t)1)
#define SLOT_GONE    ((uintptr_t)2)
#define SLOT_LIVE(p) ((p) > SLOT_GONE)

struct rp_ev {
    uint16_t op, flags;
    uint32_t slot_in, slot_out;
    uint32_t pad_;
    uint64_t size, arg;
    uint64_t g;         /* position in the global order of replayed calls */
    uint64_t bytes_out; /* bytes asked for by the block it produces (calloc: nmemb * size) */
};
_Static_assert(sizeof(struct rp_ev) == 48, "rp_ev is 48 bytes in plan files");

#define RP_PLAN_MAGIC   "MINIPLAN"
#define RP_PLAN_VERSION 1
#define RP_BUF_EVENTS   1024 /* events per worker read buffer (48 KiB) */

struct rp_plan_hdr {
    char magic[8];
    uint32_t version;
    uint32_t nworkers;
    uint32_t ntids;    /* thread ids in the trace */
    uint32_t recycled; /* 1: slot numbers were recycled (one worker) */
    uint64_t nslots;   /* slot table entries, entry 0 unused */
    uint64_t ncalls;
    uint64_t orig_failed; /* calls that failed in the recording */
    uint64_t unmatched;   /* releases of pointers the trace never produced */
    uint64_t trace_peak_live_blocks;
    char exe[128]; /* the traced program */
    char pad_[64];
};
_Static_assert(sizeof(struct rp_plan_hdr) == 256, "plan header is 256 bytes");

struct rp_slot {
    _Atomic uintptr_t p; /* the replayed pointer, or SLOT_* */
    uint64_t bytes;      /* bytes asked for; written before p is published */
};

struct worker {
    pthread_t th;
    struct rp_ev *ev; /* from memory: all its calls; from a plan file: the read buffer */
    uint64_t n;       /* its calls */
    int fd;           /* plan file, or -1 */
    uint64_t file_off;
    struct bench_slot *bs; /* its counters on the benchmark page */
    bool bs_own;           /* the bench slot is this worker's alone */
    uint64_t calls[MT_NOPS];
    uint64_t failed, corrupted, calloc_dirty, read_errors;
    uint64_t end_ns; /* when it finished its last call */
} __attribute__((aligned(64)));

static struct {
    bool strict, write;
    struct rp_slot *slot;
    uint64_t nslots;
    _Atomic uint32_t go;
    _Atomic uint32_t done;
    _Atomic uint32_t may_exit;
    _Atomic uint64_t ticket; /* --strict: the call whose turn it is */
    _Atomic int64_t live;
    _Atomic uint64_t peak;
    _Atomic uint64_t blocks;
    struct bench_shm *shm; /* the runner's page, or a private one */
} rp;

/* A plan: in memory (built from a trace) or a file (ev == NULL, fd >= 0). */
struct plan {
    struct rp_plan_hdr h;
    uint64_t *wcalls; /* calls per worker */
    uint64_t wcap;    /* entries allocated at wcalls */
    struct rp_ev *ev; /* all calls, worker after worker (in memory) */
    int fd;
    uint64_t ev_off; /* where the calls start in the file */
};

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

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void live_add(struct worker *w, int64_t d)
{
    atomic_fetch_add_explicit(&w->bs->live_bytes, d, memory_order_relaxed);
    int64_t now = atomic_fetch_add_explicit(&rp.live, d, memory_order_relaxed) + d;
    uint64_t pk = atomic_load_explicit(&rp.peak, memory_order_relaxed);
    while (now > 0 && (uint64_t)now > pk &&
           !atomic_compare_exchange_weak_explicit(&rp.peak, &pk, (uint64_t)now,
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

static bool slot_valid(uint32_t s)
{
    return s != 0 && s != MTR_SLOT_UNKNOWN;
}

/* The replayed pointer of an input block (waiting for its producer), or NULL. */
static void *input(const struct rp_ev *e)
{
    if (!slot_valid(e->slot_in))
        return NULL;
    uintptr_t p;
    unsigned spins = 0;
    while ((p = atomic_load_explicit(&rp.slot[e->slot_in].p, memory_order_acquire)) == SLOT_EMPTY)
        relax(&spins);
    return SLOT_LIVE(p) ? (void *)p : NULL;
}

static void check_first(struct worker *w, uint32_t slot, const void *p)
{
    if (rp.write && p && slot_valid(slot) && rp.slot[slot].bytes &&
        *(const volatile uint8_t *)p != pattern(slot))
        w->corrupted++;
}

static void released(struct worker *w, uint32_t slot)
{
    if (slot_valid(slot)) {
        live_add(w, -(int64_t)rp.slot[slot].bytes);
        atomic_fetch_sub_explicit(&rp.blocks, 1, memory_order_relaxed);
        atomic_store_explicit(&rp.slot[slot].p, SLOT_GONE, memory_order_relaxed);
    }
}

static void produced(struct worker *w, const struct rp_ev *e, void *q, uint64_t keep)
{
    if (e->slot_out == 0)
        return;
    uint64_t s = e->bytes_out;
    if (q && rp.write && s > keep && s != UINT64_MAX)
        memset((char *)q + keep, pattern(e->slot_out), s - keep);
    if (q && rp.write && s && keep)
        *(volatile uint8_t *)q = pattern(e->slot_out);
    rp.slot[e->slot_out].bytes = q ? s : 0;
    if (q) {
        live_add(w, (int64_t)s);
        atomic_fetch_add_explicit(&rp.blocks, 1, memory_order_relaxed);
    } else {
        w->failed++;
    }
    atomic_store_explicit(&rp.slot[e->slot_out].p, q ? (uintptr_t)q : SLOT_FAILED,
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
        if (q && e->slot_out && e->bytes_out) {
            uint64_t s = e->bytes_out;
            if (((volatile uint8_t *)q)[0] || ((volatile uint8_t *)q)[s - 1])
                w->calloc_dirty++;
        }
        break;
    case MINI_TR_REALLOC:
    case MINI_TR_REALLOCARRAY: {
        check_first(w, e->slot_in, p);
        uint64_t old = p && slot_valid(e->slot_in) ? rp.slot[e->slot_in].bytes : 0;
        q = e->op == MINI_TR_REALLOC ? realloc(p, e->size) : reallocarray(p, e->arg, e->size);
        bool gone = p && (q || (e->op == MINI_TR_REALLOC ? e->size == 0 : e->size * e->arg == 0));
        if ((e->flags & MINI_TR_F_FAILED) && slot_valid(e->slot_in)) {
            /* The recorded call failed and left its block; if this one moved it, the block
             * lives on at q for the calls that free it later. */
            if (q)
                atomic_store_explicit(&rp.slot[e->slot_in].p, (uintptr_t)q, memory_order_release);
            break;
        }
        if (gone)
            released(w, e->slot_in);
        if (q && p)
            keep = old;
        if (q && p && old && e->slot_out && e->bytes_out &&
            *(volatile uint8_t *)q != pattern(e->slot_in) && rp.write)
            w->corrupted++; /* realloc lost the contents */
        break;
    }
    case MINI_TR_FREE:
        check_first(w, e->slot_in, p);
        released(w, e->slot_in);
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
        released(w, e->slot_in);
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

/* The next batch of a worker's calls: its whole list from memory, or up to RP_BUF_EVENTS read
 * from the plan file. Returns the number of events now at w->ev (0: an I/O error). */
static uint64_t next_batch(struct worker *w, uint64_t done)
{
    if (w->fd < 0)
        return w->n;
    uint64_t want = w->n - done < RP_BUF_EVENTS ? w->n - done : RP_BUF_EVENTS;
    size_t bytes = (size_t)want * sizeof(struct rp_ev), got = 0;
    while (got < bytes) {
        ssize_t k = pread(w->fd, (char *)w->ev + got, bytes - got,
                          (off_t)(w->file_off + done * sizeof(struct rp_ev) + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            w->read_errors++;
            return 0;
        }
        got += (size_t)k;
    }
    return want;
}

/* A worker's calls, in its order. */
static void worker_run(struct worker *w)
{
    for (uint64_t i = 0; i < w->n;) {
        uint64_t k = next_batch(w, i);
        if (k == 0)
            break;
        for (uint64_t j = 0; j < k; j++, i++) {
            const struct rp_ev *e = &w->ev[j];
            if (rp.strict) {
                unsigned spins = 0;
                while (atomic_load_explicit(&rp.ticket, memory_order_acquire) != e->g)
                    relax(&spins);
            }
            run_one(w, e);
            if (rp.strict)
                atomic_store_explicit(&rp.ticket, e->g + 1, memory_order_release);
            if (w->bs_own)
                atomic_store_explicit(&w->bs->ops, i + 1, memory_order_relaxed);
            else
                atomic_fetch_add_explicit(&w->bs->ops, 1, memory_order_relaxed);
        }
    }
    w->end_ns = now_ns();
    atomic_fetch_add_explicit(&rp.done, 1, memory_order_release);
    futex_wake(&rp.done);
}

/* Workers 1.. run in threads of their own; worker 0 runs in the main thread. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    while (!atomic_load_explicit(&rp.go, memory_order_acquire))
        futex_wait(&rp.go, 0);
    worker_run(w);
    while (!atomic_load_explicit(&rp.may_exit, memory_order_acquire))
        futex_wait(&rp.may_exit, 0);
    return NULL;
}

/* ---- building a plan from a trace ----------------------------------------------------------- */

static int plan_from_trace(const char *path, long max_threads, struct plan *pl)
{
    memset(pl, 0, sizeof(*pl));
    pl->fd = -1;
    struct mtr_trace t;
    struct mtr_res res;
    struct mtr_err err;
    if (mtr_load(&t, &res, path, &err) != 0)
        return mt_bad_trace(path, &err);

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
    uint64_t *wcalls = mtr_mem_alloc(cap_w * sizeof(uint64_t)),
             *wpos = mtr_mem_alloc(cap_w * sizeof(uint64_t));
    uint32_t *ev_w = mtr_mem_alloc(t.nev * sizeof(uint32_t));
    if (!tkey || !tval || !wcalls || !wpos || !ev_w) {
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
        wcalls[tval[j]]++;
        ncalls++;
        if (r->flags & MINI_TR_F_FAILED)
            orig_failed++;
    }
    if (nw == 0)
        nw = 1;
    struct rp_ev *evs = mtr_mem_alloc(ncalls * sizeof(*evs));
    /* Slot numbers: recycled when one worker runs everything in the global order. */
    bool recycle = nw == 1;
    uint32_t *renum = recycle ? mtr_mem_alloc((res.nslots + 1) * sizeof(uint32_t)) : NULL;
    uint32_t *freeids = recycle ? mtr_mem_alloc((res.nslots + 1) * sizeof(uint32_t)) : NULL;
    if ((ncalls && !evs) || (recycle && (!renum || !freeids))) {
        fprintf(stderr, "mini-trace: replay: out of memory for %" PRIu64 " calls\n", ncalls);
        return 1;
    }
    for (uint32_t i = 1; i < nw; i++)
        wpos[i] = wpos[i - 1] + wcalls[i - 1];
    uint64_t g = 0, nfree = 0, next_id = 1, live_blocks = 0, peak_blocks = 0;
    for (uint64_t e = 0; e < t.nev; e++) {
        if (!ev_w[e])
            continue;
        uint64_t ri = t.ev[e].rec;
        const struct mini_trace_rec *r = t.rec[ri];
        uint32_t in = res.slot_in[ri], out = res.slot_out[ri];
        uint64_t bytes = out ? res.slot_size[out] : 0;
        bool releases = slot_valid(in) && mtr_consumes(r);
        if (recycle) {
            if (slot_valid(in))
                in = renum[in];
            if (out) {
                out = nfree ? freeids[--nfree] : (uint32_t)next_id++;
                renum[res.slot_out[ri]] = out;
            }
            if (releases)
                freeids[nfree++] = in; /* after `out` took its number: the two differ */
        }
        live_blocks += (out != 0) - releases;
        if (live_blocks > peak_blocks)
            peak_blocks = live_blocks;
        uint32_t wi = ev_w[e] - 1;
        evs[wpos[wi]++] = (struct rp_ev){
            .op = r->op,
            .flags = r->flags,
            .slot_in = in,
            .slot_out = out,
            .size = r->size,
            .arg = r->arg,
            .g = g++,
            .bytes_out = bytes,
        };
    }
    struct rp_plan_hdr *h = &pl->h;
    memcpy(h->magic, RP_PLAN_MAGIC, 8);
    h->version = RP_PLAN_VERSION;
    h->nworkers = nw;
    h->ntids = t.ntids;
    h->recycled = recycle;
    h->nslots = (recycle ? next_id : res.nslots + 1);
    h->ncalls = ncalls;
    h->orig_failed = orig_failed;
    h->unmatched = res.unmatched;
    h->trace_peak_live_blocks = peak_blocks;
    snprintf(h->exe, sizeof(h->exe), "%s", t.hdr->exe);
    pl->wcalls = wcalls;
    pl->wcap = cap_w;
    pl->ev = evs;

    mtr_mem_free(wpos, cap_w * sizeof(uint64_t));
    mtr_mem_free(ev_w, t.nev * sizeof(uint32_t));
    mtr_mem_free(tkey, tcap * sizeof(uint32_t));
    mtr_mem_free(tval, tcap * sizeof(uint32_t));
    if (recycle) {
        mtr_mem_free(renum, (res.nslots + 1) * sizeof(uint32_t));
        mtr_mem_free(freeids, (res.nslots + 1) * sizeof(uint32_t));
    }
    mtr_unload(&t, &res);
    return 0;
}

static void plan_free(struct plan *pl)
{
    if (pl->ev)
        mtr_mem_free(pl->ev, pl->h.ncalls * sizeof(*pl->ev));
    if (pl->wcalls)
        mtr_mem_free(pl->wcalls, pl->wcap * sizeof(uint64_t));
    if (pl->fd >= 0)
        close(pl->fd);
    memset(pl, 0, sizeof(*pl));
    pl->fd = -1;
}

/* ---- plan files ------------------------------------------------------------------------------- */

static int write_full(int fd, const void *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p = (const char *)p + k;
        n -= (size_t)k;
    }
    return 0;
}

/* Whether FILE starts with the plan magic (then *fd is open on it). */
static bool is_plan(const char *path, int *fd)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    char m[8];
    if (*fd >= 0 && pread(*fd, m, 8, 0) == 8 && memcmp(m, RP_PLAN_MAGIC, 8) == 0)
        return true;
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
    return false;
}

static int plan_open(const char *path, int fd, struct plan *pl)
{
    memset(pl, 0, sizeof(*pl));
    pl->fd = fd;
    struct stat st;
    const char *why = NULL;
    uint64_t off = sizeof(pl->h);
    if (pread(fd, &pl->h, sizeof(pl->h), 0) != (ssize_t)sizeof(pl->h) || fstat(fd, &st) != 0)
        why = "truncated header";
    else if (pl->h.version != RP_PLAN_VERSION)
        why = "unknown plan version";
    else if (pl->h.nworkers == 0 || pl->h.nworkers > 4096 || pl->h.nslots == 0 ||
             pl->h.nslots > ((uint64_t)1 << 32) || memchr(pl->h.exe, 0, sizeof(pl->h.exe)) == NULL)
        why = "bad header";
    if (why == NULL) {
        pl->wcap = pl->h.nworkers;
        pl->wcalls = mtr_mem_alloc(pl->wcap * sizeof(uint64_t));
        size_t b = pl->h.nworkers * sizeof(uint64_t);
        uint64_t sum = 0;
        if (pl->wcalls == NULL || pread(fd, pl->wcalls, b, (off_t)off) != (ssize_t)b)
            why = "truncated worker table";
        for (uint32_t i = 0; why == NULL && i < pl->h.nworkers; i++)
            sum += pl->wcalls[i];
        off += b;
        if (why == NULL &&
            (sum != pl->h.ncalls || (uint64_t)st.st_size != off + sum * sizeof(struct rp_ev)))
            why = "size does not match its calls (truncated?)";
    }
    if (why != NULL) {
        fprintf(stderr, "mini-trace: %s: plan file: %s\n", path, why);
        plan_free(pl);
        return 2;
    }
    pl->ev_off = off;
    return 0;
}

int mt_cmd_plan(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    long max_threads = 256;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--max-threads") == 0) {
            if (i + 1 >= argc || (max_threads = mt_parse_count(argv[i + 1])) < 0 ||
                max_threads > 4096) {
                fprintf(stderr, "mini-trace: plan: --max-threads wants a number from 1 to 4096\n");
                return 2;
            }
            i++;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "mini-trace: plan: unknown option: %s\n", argv[i]);
            return 2;
        } else if (!in) {
            in = argv[i];
        } else if (!out) {
            out = argv[i];
        } else {
            fprintf(stderr, "mini-trace: plan: more than TRACE and OUT: %s\n", argv[i]);
            return 2;
        }
    }
    if (!in || !out) {
        fprintf(stderr, "mini-trace: plan: want TRACE OUT\n");
        return 2;
    }
    struct plan pl;
    int rc = plan_from_trace(in, max_threads, &pl);
    if (rc != 0)
        return rc;
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_full(fd, &pl.h, sizeof(pl.h)) != 0 ||
        write_full(fd, pl.wcalls, pl.h.nworkers * sizeof(uint64_t)) != 0 ||
        write_full(fd, pl.ev, pl.h.ncalls * sizeof(*pl.ev)) != 0 || close(fd) != 0) {
        fprintf(stderr, "mini-trace: plan: %s: %s\n", out, strerror(errno));
        plan_free(&pl);
        return 1;
    }
    printf("plan: %s: %" PRIu64 " calls, %u threads (%u workers), %" PRIu64
           " slots%s, from %s (%s)\n",
           out, pl.h.ncalls, pl.h.ntids, pl.h.nworkers, pl.h.nslots - 1,
           pl.h.recycled ? " (recycled)" : "", in, pl.h.exe[0] ? pl.h.exe : "?");
    plan_free(&pl);
    return 0;
}

/* ---- the benchmark page ------------------------------------------------------------------------ */

/* Maps the runner's page (MINI_BENCH_SHM) or a private one; 0, or 2 with the message printed. */
static int bench_attach(const char *name)
{
    const char *env = getenv(BENCH_SHM_ENV);
    void *p;
    if (env != NULL) {
        char *end;
        errno = 0;
        long fd = strtol(env, &end, 10);
        struct stat st;
        if (*env == '\0' || *end != '\0' || errno != 0 || fd < 0 || fd > 1 << 20 ||
            fstat((int)fd, &st) != 0 || (size_t)st.st_size < sizeof(struct bench_shm)) {
            fprintf(stderr, "mini-trace: replay: %s=%s: not an open memfd of a bench_shm page\n",
                    BENCH_SHM_ENV, env);
            return 2;
        }
        p = mmap(NULL, sizeof(struct bench_shm), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
    } else {
        p = mmap(NULL, sizeof(struct bench_shm), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    if (p == MAP_FAILED) {
        fprintf(stderr, "mini-trace: replay: cannot map the counter page: %s\n", strerror(errno));
        return 2;
    }
    struct bench_shm *s = p;
    s->version = BENCH_SHM_VERSION;
    snprintf(s->workload, sizeof(s->workload), "%s", name);
    snprintf(s->ops_unit, sizeof(s->ops_unit), "replayed calls");
    atomic_store_explicit(&s->phase_ns, now_ns(), memory_order_relaxed);
    atomic_store_explicit(&s->phase, BENCH_PHASE_INIT, memory_order_relaxed);
    __atomic_store_n(&s->magic, BENCH_SHM_MAGIC, __ATOMIC_RELEASE);
    rp.shm = s;
    return 0;
}

static void bench_phase(enum bench_phase phase, uint64_t at)
{
    struct bench_shm *s = rp.shm;
    uint32_t cur = atomic_load_explicit(&s->phase, memory_order_relaxed);
    uint64_t since = atomic_load_explicit(&s->phase_ns, memory_order_relaxed);
    if (cur < BENCH_NPHASES && at > since)
        atomic_fetch_add_explicit(&s->phase_total_ns[cur], at - since, memory_order_relaxed);
    atomic_store_explicit(&s->phase_ns, at, memory_order_relaxed);
    atomic_store_explicit(&s->phase, (uint32_t)phase, memory_order_release);
}

/* ---- replay --------------------------------------------------------------------------------- */

int mt_cmd_replay(int argc, char **argv)
{
    const char *path = NULL, *name = "trace-replay";
    long max_threads = 256;
    bool max_given = false, free_at_end = false;
    rp.write = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--strict") == 0) {
            rp.strict = true;
        } else if (strcmp(argv[i], "--no-write") == 0) {
            rp.write = false;
        } else if (strcmp(argv[i], "--free-at-end") == 0) {
            free_at_end = true;
        } else if (strcmp(argv[i], "--max-threads") == 0) {
            if (i + 1 >= argc || (max_threads = mt_parse_count(argv[i + 1])) < 0 ||
                max_threads > 4096) {
                fprintf(stderr,
                        "mini-trace: replay: --max-threads wants a number from 1 to 4096\n");
                return 2;
            }
            max_given = true;
            i++;
        } else if (strcmp(argv[i], "--name") == 0) {
            if (i + 1 >= argc || !argv[i + 1][0] || strlen(argv[i + 1]) > 31) {
                fprintf(stderr, "mini-trace: replay: --name wants a name of 1 to 31 bytes\n");
                return 2;
            }
            name = argv[++i];
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
    int rc = bench_attach(name);
    if (rc != 0)
        return rc;
    struct plan pl;
    int fd;
    if (is_plan(path, &fd)) {
        if (max_given) {
            close(fd);
            fprintf(stderr,
                    "mini-trace: replay: --max-threads: %s is a plan, whose workers are "
                    "fixed (mini-trace plan --max-threads)\n",
                    path);
            return 2;
        }
        rc = plan_open(path, fd, &pl);
    } else {
        rc = plan_from_trace(path, max_threads, &pl);
    }
    if (rc != 0)
        return rc;

    uint32_t nw = pl.h.nworkers;
    struct worker *w = mtr_mem_alloc(nw * sizeof(*w));
    /* The slot table is shared memory: RssShmem, so that RssAnon is the allocator's heap. */
    rp.nslots = pl.h.nslots;
    rp.slot = mmap(NULL, rp.nslots * sizeof(*rp.slot), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (!w || rp.slot == MAP_FAILED) {
        fprintf(stderr, "mini-trace: replay: out of memory for %u workers and %" PRIu64 " slots\n",
                nw, rp.nslots);
        return 1;
    }
    uint64_t off = 0;
    for (uint32_t i = 0; i < nw; i++) {
        w[i].n = pl.wcalls[i];
        w[i].fd = pl.fd;
        w[i].bs = &rp.shm->slot[i % BENCH_SLOTS];
        w[i].bs_own = nw <= BENCH_SLOTS;
        if (pl.fd >= 0) {
            w[i].file_off = pl.ev_off + off * sizeof(struct rp_ev);
            w[i].ev = mtr_mem_alloc(RP_BUF_EVENTS * sizeof(struct rp_ev));
            if (!w[i].ev) {
                fprintf(stderr, "mini-trace: replay: out of memory for buffers\n");
                return 1;
            }
        } else {
            w[i].ev = pl.ev + off;
        }
        off += w[i].n;
    }

    /* Everything that may allocate happens before mark 1 and after mark 2. */
    mini_trace_mark_fn *mark = (mini_trace_mark_fn *)dlsym(RTLD_DEFAULT, "mini_trace_mark");
    fflush(stdout);
    for (uint32_t i = 1; i < nw; i++)
        if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
            fprintf(stderr, "mini-trace: replay: cannot create thread %u of %u\n", i + 1, nw);
            return 1;
        }
    if (mark)
        mark(1);
    uint64_t t0 = now_ns();
    bench_phase(BENCH_PHASE_RUN, t0);
    atomic_store_explicit(&rp.go, 1, memory_order_release);
    futex_wake(&rp.go);
    worker_run(&w[0]);
    uint32_t d;
    while ((d = atomic_load_explicit(&rp.done, memory_order_acquire)) < nw)
        futex_wait(&rp.done, d);
    /* The end is the last worker's last call, not when this thread woke up to see it. */
    uint64_t t1 = t0;
    for (uint32_t i = 0; i < nw; i++)
        if (w[i].end_ns > t1)
            t1 = w[i].end_ns;
    bench_phase(BENCH_PHASE_DONE, t1);
    if (mark)
        mark(2);
    atomic_store_explicit(&rp.may_exit, 1, memory_order_release);
    futex_wake(&rp.may_exit);
    for (uint32_t i = 1; i < nw; i++)
        pthread_join(w[i].th, NULL);

    uint64_t calls[MT_NOPS] = {0}, failed = 0, corrupted = 0, dirty = 0, ioerr = 0;
    for (uint32_t i = 0; i < nw; i++) {
        for (unsigned op = 0; op < MT_NOPS; op++)
            calls[op] += w[i].calls[op];
        failed += w[i].failed;
        corrupted += w[i].corrupted;
        dirty += w[i].calloc_dirty;
        ioerr += w[i].read_errors;
    }
    int64_t live_end = atomic_load(&rp.live);
    uint64_t blocks_end = atomic_load(&rp.blocks), freed_end = 0;
    if (free_at_end) {
        /* What the program never freed, freed now (outside the window), so that live bytes end
         * at 0 as the benchmark protocol expects. */
        for (uint64_t i = 1; i < rp.nslots; i++) {
            uintptr_t p = atomic_load_explicit(&rp.slot[i].p, memory_order_relaxed);
            if (SLOT_LIVE(p)) {
                live_add(&w[0], -(int64_t)rp.slot[i].bytes);
                atomic_fetch_sub_explicit(&rp.blocks, 1, memory_order_relaxed);
                rp.slot[i].p = SLOT_GONE;
                free((void *)p);
                freed_end++;
            }
        }
    }
    printf("replay: %s: %" PRIu64 " calls, %u threads (%u workers), %s, %.6f s\n", path,
           pl.h.ncalls, pl.h.ntids, nw, rp.strict ? "strict order" : "dependency order",
           (double)(t1 - t0) * 1e-9);
    mt_print_calls(stdout, calls);
    printf("failed_calls: %" PRIu64 " (recorded: %" PRIu64 ")\n", failed, pl.h.orig_failed);
    printf("peak_live_bytes: %" PRIu64 "\n", atomic_load(&rp.peak));
    printf("live_at_end_bytes: %" PRId64 " (%" PRIu64 " blocks)\n", live_end, blocks_end);
    if (free_at_end)
        printf("freed_at_end: %" PRIu64 " blocks; live now %" PRId64 " bytes\n", freed_end,
               atomic_load(&rp.live));
    printf("slots: %" PRIu64 "%s\n", rp.nslots - 1, pl.h.recycled ? " (recycled)" : "");
    printf("unmatched_releases: %" PRIu64 "\n", pl.h.unmatched);
    printf("corrupted_blocks: %" PRIu64 "\n", corrupted);
    printf("calloc_not_zero: %" PRIu64 "\n", dirty);
    fflush(stdout);
    rc = 0;
    if (corrupted || dirty) {
        fprintf(stderr,
                "mini-trace: replay: the allocator under test corrupted %" PRIu64
                " blocks and returned %" PRIu64 " non-zero calloc blocks\n",
                corrupted, dirty);
        rc = 1;
    }
    if (ioerr) {
        fprintf(stderr, "mini-trace: replay: %s: cannot read the plan's calls\n", path);
        rc = 1;
    }
    for (uint32_t i = 0; i < nw && pl.fd >= 0; i++)
        mtr_mem_free(w[i].ev, RP_BUF_EVENTS * sizeof(struct rp_ev));
    munmap(rp.slot, rp.nslots * sizeof(*rp.slot));
    mtr_mem_free(w, nw * sizeof(*w));
    plan_free(&pl);
    return rc;
}
