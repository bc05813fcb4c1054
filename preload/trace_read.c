/*
 * trace_read.c — validate a libmini trace, order its events, follow its pointers.
 *
 * Validation checks everything a reader relies on, and reports the first problem with the byte
 * offset where it is: the header (magic, version, sizes, clock, flags), the file length against
 * the header's chunk count (truncation), and in every chunk its magic, number, capacity and
 * count, and in every record its op, flags, thread, record number (consecutive per writer, so a
 * missing or repeated chunk shows) and timestamps (not before the trace started; a realloc's
 * entry not after its return; no entry time on other ops).
 *
 * Order: one event per record (key ts) plus a release event per realloc that gave its block
 * back (key ts_enter), merge-sorted by (key, tid, file position, release first) — a stable,
 * deterministic order in which each block is produced before it is released (trace_format.h).
 *
 * Pointers (mtr_resolve): a hash map from address to the live block (slot) at that address,
 * walked in that order. Releasing an address with no live block counts as unmatched (a block
 * from before the trace, e.g. a fork child freeing its parent's). Memory: mmap only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/trace_read.h"

void *mtr_mem_alloc(size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void mtr_mem_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes ? bytes : 1);
}

static const char *const op_names[] = {
    [MINI_TR_MALLOC] = "malloc",
    [MINI_TR_CALLOC] = "calloc",
    [MINI_TR_REALLOC] = "realloc",
    [MINI_TR_REALLOCARRAY] = "reallocarray",
    [MINI_TR_FREE] = "free",
    [MINI_TR_MEMALIGN] = "memalign",
    [MINI_TR_POSIX_MEMALIGN] = "posix_memalign",
    [MINI_TR_ALIGNED_ALLOC] = "aligned_alloc",
    [MINI_TR_VALLOC] = "valloc",
    [MINI_TR_PVALLOC] = "pvalloc",
    [MINI_TR_NEW] = "new",
    [MINI_TR_DELETE] = "delete",
    [MINI_TR_TRIM] = "malloc_trim",
    [MINI_TR_MALLOPT] = "mallopt",
    [MINI_TR_MARK] = "mark",
    [MINI_TR_OS_SBRK] = "sbrk",
    [MINI_TR_OS_MMAP] = "mmap",
    [MINI_TR_OS_MUNMAP] = "munmap",
    [MINI_TR_OS_MREMAP] = "mremap",
    [MINI_TR_OS_MPROTECT] = "mprotect",
    [MINI_TR_OS_MADVISE] = "madvise",
};

const char *mtr_op_name(unsigned op)
{
    if (op < sizeof(op_names) / sizeof(op_names[0]) && op_names[op])
        return op_names[op];
    return NULL;
}

bool mtr_produces(const struct mini_trace_rec *r)
{
    switch (r->op) {
    case MINI_TR_MALLOC:
    case MINI_TR_CALLOC:
    case MINI_TR_REALLOC:
    case MINI_TR_REALLOCARRAY:
    case MINI_TR_MEMALIGN:
    case MINI_TR_POSIX_MEMALIGN:
    case MINI_TR_ALIGNED_ALLOC:
    case MINI_TR_VALLOC:
    case MINI_TR_PVALLOC:
    case MINI_TR_NEW:
        return true;
    default:
        return false;
    }
}

bool mtr_consumes(const struct mini_trace_rec *r)
{
    switch (r->op) {
    case MINI_TR_FREE:
    case MINI_TR_DELETE:
        return true;
    case MINI_TR_REALLOC:
    case MINI_TR_REALLOCARRAY:
        /* A failed realloc leaves its block alone. */
        return !(r->flags & MINI_TR_F_FAILED);
    default:
        return false;
    }
}

uint64_t mtr_req_bytes(const struct mini_trace_rec *r)
{
    if (r->op == MINI_TR_CALLOC || r->op == MINI_TR_REALLOCARRAY) {
        uint64_t t;
        return __builtin_mul_overflow(r->size, r->arg, &t) ? UINT64_MAX : t;
    }
    return r->size;
}

static int fail(struct mtr_err *err, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct mtr_err *err, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->off = off;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

void mtr_close(struct mtr_trace *t);

/* fail(), then close t (the message may quote the mapped file: format it first). */
static int fail_close(struct mtr_trace *t, struct mtr_err *err, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_close(struct mtr_trace *t, struct mtr_err *err, uint64_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->off = off;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    mtr_close(t);
    return -1;
}

/* ---- Sorting events ------------------------------------------------------------------ */

static inline bool ev_less(const struct mtr_ev *a, const struct mtr_ev *b)
{
    if (a->key != b->key)
        return a->key < b->key;
    if (a->tid != b->tid)
        return a->tid < b->tid;
    if (a->rec != b->rec)
        return a->rec < b->rec;
    return a->kind < b->kind;
}

/* Bottom-up merge sort; returns the array that holds the result (a or tmp). */
static struct mtr_ev *ev_sort(struct mtr_ev *a, struct mtr_ev *tmp, uint64_t n)
{
    /* Runs of 16 by insertion sort (the input is nearly sorted: per-thread chunks). */
    const uint64_t R = 16;
    for (uint64_t lo = 0; lo < n; lo += R) {
        uint64_t hi = lo + R < n ? lo + R : n;
        for (uint64_t i = lo + 1; i < hi; i++) {
            struct mtr_ev x = a[i];
            uint64_t j = i;
            while (j > lo && ev_less(&x, &a[j - 1])) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
    }
    struct mtr_ev *src = a, *dst = tmp;
    for (uint64_t w = R; w < n; w *= 2) {
        for (uint64_t lo = 0; lo < n; lo += 2 * w) {
            uint64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            uint64_t i = lo, j = mid, k = lo;
            if (mid == hi || !ev_less(&src[mid], &src[mid - 1])) {
                memcpy(&dst[lo], &src[lo], (hi - lo) * sizeof(*src));
                continue;
            }
            while (i < mid && j < hi)
                dst[k++] = ev_less(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        struct mtr_ev *s = src;
        src = dst;
        dst = s;
    }
    return src;
}

/* ---- Opening ------------------------------------------------------------------------- */

void mtr_close(struct mtr_trace *t)
{
    if (t->map)
        munmap((void *)t->map, t->size);
    mtr_mem_free((void *)t->rec, t->nrec * sizeof(*t->rec));
    mtr_mem_free(t->ev, t->nev * sizeof(*t->ev));
    memset(t, 0, sizeof(*t));
}

/* Per writer (thread_uid): where its records must continue. */
struct writer {
    uint64_t uid;
    uint64_t next_chunk_seq;
    uint64_t next_rec_seq;
    uint32_t tid;
    uint32_t used;
};

static struct writer *writer_find(struct writer *w, uint64_t cap, uint64_t uid, bool *fresh)
{
    uint64_t i = (uid * 0x9e3779b97f4a7c15ULL) & (cap - 1);
    while (w[i].used && w[i].uid != uid)
        i = (i + 1) & (cap - 1);
    *fresh = !w[i].used;
    w[i].used = 1;
    w[i].uid = uid;
    return &w[i];
}

static int check_header(const struct mtr_trace *t, struct mtr_err *err, uint64_t *nchunks)
{
    const struct mini_trace_header *h = t->hdr;
    if (t->size == 0)
        return fail(err, 0, "empty file (not a libmini trace)");
    if (t->size < 8 || memcmp(h->magic, MINI_TRACE_MAGIC, 8) != 0)
        return fail(err, 0, "not a libmini trace (bad magic)");
    if (t->size < sizeof(*h))
        return fail(err, t->size, "truncated: the header needs %zu bytes", sizeof(*h));
    if (h->version != MINI_TRACE_VERSION)
        return fail(err, 8, "unsupported trace version %u (this reader knows %u)", h->version,
                    MINI_TRACE_VERSION);
    if (h->header_bytes < sizeof(*h) || h->header_bytes % 4096 || h->header_bytes > (1u << 20))
        return fail(err, 12, "bad header size %u", h->header_bytes);
    if (h->record_bytes != MINI_TRACE_REC_BYTES)
        return fail(err, 16, "bad record size %u (expected %u)", h->record_bytes,
                    MINI_TRACE_REC_BYTES);
    if (h->chunk_bytes < 4096 || h->chunk_bytes % 4096 || h->chunk_bytes > (1u << 30))
        return fail(err, 20, "bad chunk size %u", h->chunk_bytes);
    if (h->clock != MINI_TRACE_CLOCK_MONOTONIC)
        return fail(err, 32, "unknown clock %u", h->clock);
    if (h->flags & ~(MINI_TRACE_HF_COMPLETE | MINI_TRACE_HF_CHILD | MINI_TRACE_HF_LOST))
        return fail(err, 64, "unknown header flags 0x%x", h->flags);
    if (memchr(h->exe, 0, sizeof(h->exe)) == NULL)
        return fail(err, 128, "executable name not terminated");
    uint64_t n = h->nchunks;
    if (n > (t->size / h->chunk_bytes) + 1)
        n = (t->size / h->chunk_bytes) + 1; /* avoid overflow below; reported as truncated */
    uint64_t need = (uint64_t)h->header_bytes + n * h->chunk_bytes;
    if (t->size < need || n != h->nchunks)
        return fail(
            err, t->size,
            "truncated: the header counts %llu chunks (%llu bytes), the file has %zu bytes",
            (unsigned long long)h->nchunks,
            (unsigned long long)((uint64_t)h->header_bytes + h->nchunks * (uint64_t)h->chunk_bytes),
            t->size);
    *nchunks = n;
    return 0;
}

int mtr_open(struct mtr_trace *t, const char *path, struct mtr_err *err)
{
    memset(t, 0, sizeof(*t));
    t->path = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, 0, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, 0, "not a regular file");
    }
    t->size = (size_t)st.st_size;
    static const struct mini_trace_header empty;
    if (t->size) {
        void *m = mmap(NULL, t->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            close(fd);
            return fail(err, 0, "cannot map: %s", strerror(errno));
        }
        t->map = m;
    }
    close(fd);
    /* A short file still gets its magic checked: point the header at a padded copy. */
    static struct mini_trace_header shorth;
    if (t->size < sizeof(struct mini_trace_header)) {
        memset(&shorth, 0, sizeof(shorth));
        if (t->size)
            memcpy(&shorth, t->map, t->size);
        t->hdr = &shorth;
    } else {
        t->hdr = (const struct mini_trace_header *)t->map;
    }
    if (t->size == 0)
        t->hdr = &empty;
    uint64_t nch = 0;
    if (check_header(t, err, &nch) != 0) {
        mtr_close(t);
        return -1;
    }
    const struct mini_trace_header *h = t->hdr;
    uint32_t cap =
        (h->chunk_bytes - (uint32_t)sizeof(struct mini_trace_chunk)) / MINI_TRACE_REC_BYTES;
    bool lost = (h->flags & MINI_TRACE_HF_LOST) != 0;

    /* Pass 1: chunks, counts. */
    uint64_t nrec = 0, zero = 0, nrealloc = 0;
    for (uint64_t i = 0; i < nch; i++) {
        uint64_t off = h->header_bytes + i * (uint64_t)h->chunk_bytes;
        const struct mini_trace_chunk *c = (const void *)(t->map + off);
        static const char zeros[8];
        if (memcmp(c->magic, zeros, 8) == 0 && c->count == 0) {
            zero++;
            continue;
        }
        if (memcmp(c->magic, MINI_TRACE_CHUNK_MAGIC, 8) != 0)
            return fail_close(t, err, off, "chunk %llu: bad chunk magic", (unsigned long long)i);
        if (c->capacity != cap)
            return fail_close(t, err, off + 16, "chunk %llu: capacity %u, expected %u",
                              (unsigned long long)i, c->capacity, cap);
        if (c->count > cap)
            return fail_close(t, err, off + 12, "chunk %llu: %u records, more than its capacity %u",
                              (unsigned long long)i, c->count, cap);
        if (c->index != i)
            return fail_close(t, err, off + 24, "chunk %llu says it is chunk %llu",
                              (unsigned long long)i, (unsigned long long)c->index);
        if (c->flags & ~MINI_TRACE_CF_CLOSED)
            return fail_close(t, err, off + 20, "chunk %llu: unknown flags 0x%x",
                              (unsigned long long)i, c->flags);
        nrec += c->count;
    }
    t->nchunks = nch;
    t->zero_chunks = zero;
    t->nrec = nrec;
    t->rec = mtr_mem_alloc(nrec * sizeof(*t->rec));
    uint64_t wcap = 64;
    while (wcap < 2 * (nch - zero + 1))
        wcap *= 2;
    struct writer *w = mtr_mem_alloc(wcap * sizeof(*w));
    uint64_t tcap = 64;
    while (tcap < 2 * (nch - zero + 1))
        tcap *= 2;
    uint32_t *tids = mtr_mem_alloc(tcap * sizeof(*tids) * 2);
    if (t->rec == NULL || w == NULL || tids == NULL) {
        mtr_mem_free(w, wcap * sizeof(*w));
        mtr_mem_free(tids, tcap * sizeof(*tids) * 2);
        mtr_close(t);
        return fail(err, 0, "out of memory for %llu records", (unsigned long long)nrec);
    }

    /* Pass 2: records. */
    uint64_t k = 0;
    int rc = 0;
    for (uint64_t i = 0; i < nch && rc == 0; i++) {
        uint64_t off = h->header_bytes + i * (uint64_t)h->chunk_bytes;
        const struct mini_trace_chunk *c = (const void *)(t->map + off);
        if (memcmp(c->magic, MINI_TRACE_CHUNK_MAGIC, 8) != 0)
            continue;
        bool fresh;
        struct writer *wr = writer_find(w, wcap, c->thread_uid, &fresh);
        if (fresh) {
            wr->tid = c->tid;
            if (c->thread_seq != 0 && !lost) {
                rc = fail(err, off + 40,
                          "chunk %llu: thread %u's chunk %llu, but its earlier chunks are missing",
                          (unsigned long long)i, c->tid, (unsigned long long)c->thread_seq);
                break;
            }
            wr->next_chunk_seq = c->thread_seq;
            wr->next_rec_seq = c->first_seq;
            /* Count distinct tids (open addressing on tid + 1). */
            uint64_t j = ((uint64_t)c->tid * 0x9e3779b97f4a7c15ULL) & (2 * tcap - 1);
            while (tids[j] && tids[j] != c->tid + 1u)
                j = (j + 1) & (2 * tcap - 1);
            if (!tids[j]) {
                tids[j] = c->tid + 1u;
                t->ntids++;
            }
        } else if (wr->tid != c->tid) {
            rc = fail(err, off + 8, "chunk %llu: writer %llu was thread %u, now %u",
                      (unsigned long long)i, (unsigned long long)c->thread_uid, wr->tid, c->tid);
            break;
        }
        if (!lost && (c->thread_seq != wr->next_chunk_seq || c->first_seq != wr->next_rec_seq)) {
            rc = fail(err, off + 40,
                      "chunk %llu: thread %u's chunk %llu (records from %llu), expected chunk %llu "
                      "(records from %llu)",
                      (unsigned long long)i, c->tid, (unsigned long long)c->thread_seq,
                      (unsigned long long)c->first_seq, (unsigned long long)wr->next_chunk_seq,
                      (unsigned long long)wr->next_rec_seq);
            break;
        }
        wr->next_chunk_seq = c->thread_seq + 1;
        wr->next_rec_seq = c->first_seq + c->count;
        const struct mini_trace_rec *r = (const void *)(c + 1);
        for (uint32_t j = 0; j < c->count; j++, r++) {
            uint64_t ro = off + sizeof(*c) + (uint64_t)j * MINI_TRACE_REC_BYTES;
            if (mtr_op_name(r->op) == NULL) {
                rc = fail(err, ro + 20, "unknown op %u", r->op);
                break;
            }
            if (r->flags & ~MINI_TR_F_ALL) {
                rc = fail(err, ro + 22, "unknown record flags 0x%x", r->flags);
                break;
            }
            if (r->tid != c->tid) {
                rc = fail(err, ro + 16, "record of thread %u in a chunk of thread %u", r->tid,
                          c->tid);
                break;
            }
            if (r->seq != (uint32_t)(c->first_seq + j)) {
                rc = fail(err, ro + 24, "record number %u, expected %u", r->seq,
                          (uint32_t)(c->first_seq + j));
                break;
            }
            if (r->ts < h->start_ns) {
                rc = fail(err, ro, "time stamp before the trace started");
                break;
            }
            bool re = r->op == MINI_TR_REALLOC || r->op == MINI_TR_REALLOCARRAY;
            if (re ? (r->ts_enter > r->ts || r->ts_enter < h->start_ns) : r->ts_enter != 0) {
                rc = fail(err, ro + 8, "bad entry time stamp for %s", mtr_op_name(r->op));
                break;
            }
            if (re && r->in && mtr_consumes(r))
                nrealloc++;
            t->rec[k++] = r;
        }
    }
    mtr_mem_free(w, wcap * sizeof(*w));
    mtr_mem_free(tids, tcap * sizeof(*tids) * 2);
    if (rc != 0) {
        mtr_close(t);
        return -1;
    }

    /* Events, sorted. */
    uint64_t nev = nrec + nrealloc;
    struct mtr_ev *ev = mtr_mem_alloc(nev * sizeof(*ev)), *tmp = mtr_mem_alloc(nev * sizeof(*ev));
    if (ev == NULL || tmp == NULL) {
        mtr_mem_free(ev, nev * sizeof(*ev));
        mtr_mem_free(tmp, nev * sizeof(*ev));
        mtr_close(t);
        return fail(err, 0, "out of memory for %llu events", (unsigned long long)nev);
    }
    uint64_t e = 0;
    for (uint64_t i = 0; i < nrec; i++) {
        const struct mini_trace_rec *r = t->rec[i];
        if ((r->op == MINI_TR_REALLOC || r->op == MINI_TR_REALLOCARRAY) && r->in && mtr_consumes(r))
            ev[e++] = (struct mtr_ev){r->ts_enter, r->tid, MTR_EV_RELEASE, i};
        ev[e++] = (struct mtr_ev){r->ts, r->tid, MTR_EV_RECORD, i};
    }
    struct mtr_ev *sorted = ev_sort(ev, tmp, nev);
    if (sorted == tmp) {
        mtr_mem_free(ev, nev * sizeof(*ev));
    } else {
        mtr_mem_free(tmp, nev * sizeof(*ev));
    }
    t->ev = sorted;
    t->nev = nev;
    return 0;
}

/* ---- Pointers ------------------------------------------------------------------------ */

struct amap {
    uint64_t *key; /* address; 0 empty */
    uint32_t *val;
    uint64_t cap;
};

static inline uint64_t amap_hash(uint64_t a, uint64_t cap)
{
    return ((a >> 4) * 0x9e3779b97f4a7c15ULL >> 20) & (cap - 1);
}

static uint32_t amap_get(const struct amap *m, uint64_t a)
{
    for (uint64_t i = amap_hash(a, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->key[i] == a)
            return m->val[i];
        if (m->key[i] == 0)
            return 0;
    }
}

/* Insert or replace; returns the previous value (0: none). */
static uint32_t amap_put(struct amap *m, uint64_t a, uint32_t v)
{
    uint64_t i = amap_hash(a, m->cap);
    while (m->key[i] != 0 && m->key[i] != a)
        i = (i + 1) & (m->cap - 1);
    uint32_t old = m->key[i] == a ? m->val[i] : 0;
    m->key[i] = a;
    m->val[i] = v;
    return old;
}

/* Remove by backward shift (linear probing, no tombstones). */
static void amap_del(struct amap *m, uint64_t a)
{
    uint64_t i = amap_hash(a, m->cap);
    while (m->key[i] != a) {
        if (m->key[i] == 0)
            return;
        i = (i + 1) & (m->cap - 1);
    }
    for (uint64_t j = i;;) {
        j = (j + 1) & (m->cap - 1);
        if (m->key[j] == 0)
            break;
        uint64_t h = amap_hash(m->key[j], m->cap);
        /* Move j into the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
        if (!stays) {
            m->key[i] = m->key[j];
            m->val[i] = m->val[j];
            i = j;
        }
    }
    m->key[i] = 0;
    m->val[i] = 0;
}

void mtr_res_free(const struct mtr_trace *t, struct mtr_res *res)
{
    mtr_mem_free(res->slot_in, t->nrec * sizeof(uint32_t));
    mtr_mem_free(res->slot_out, t->nrec * sizeof(uint32_t));
    mtr_mem_free(res->slot_size, (res->nslots + 1) * sizeof(uint64_t));
    mtr_mem_free(res->slot_born, (res->nslots + 1) * sizeof(uint64_t));
    memset(res, 0, sizeof(*res));
}

int mtr_resolve(const struct mtr_trace *t, struct mtr_res *res, struct mtr_err *err)
{
    memset(res, 0, sizeof(*res));
    uint64_t nprod = 0;
    for (uint64_t i = 0; i < t->nrec; i++)
        if (mtr_produces(t->rec[i]) && t->rec[i]->out)
            nprod++;
    if (nprod >= MTR_SLOT_UNKNOWN - 1)
        return fail(err, 0, "too many blocks (%llu)", (unsigned long long)nprod);
    struct amap m = {0};
    m.cap = 1024;
    while (m.cap < 2 * nprod + 2)
        m.cap *= 2;
    m.key = mtr_mem_alloc(m.cap * sizeof(uint64_t));
    m.val = mtr_mem_alloc(m.cap * sizeof(uint32_t));
    res->slot_in = mtr_mem_alloc(t->nrec * sizeof(uint32_t));
    res->slot_out = mtr_mem_alloc(t->nrec * sizeof(uint32_t));
    res->slot_size = mtr_mem_alloc((nprod + 1) * sizeof(uint64_t));
    res->slot_born = mtr_mem_alloc((nprod + 1) * sizeof(uint64_t));
    res->nslots = nprod;
    if (!m.key || !m.val || !res->slot_in || !res->slot_out || !res->slot_size || !res->slot_born) {
        mtr_mem_free(m.key, m.cap * sizeof(uint64_t));
        mtr_mem_free(m.val, m.cap * sizeof(uint32_t));
        mtr_res_free(t, res);
        return fail(err, 0, "out of memory for %llu blocks", (unsigned long long)nprod);
    }
    uint32_t next = 1;
    for (uint64_t e = 0; e < t->nev; e++) {
        const struct mtr_ev *ev = &t->ev[e];
        const struct mini_trace_rec *r = t->rec[ev->rec];
        bool realloc_like = r->op == MINI_TR_REALLOC || r->op == MINI_TR_REALLOCARRAY;
        /* A realloc releases at its release event; free and delete at their record. */
        bool release = realloc_like ? ev->kind == MTR_EV_RELEASE : mtr_consumes(r);
        if (release && r->in) {
            uint32_t s = amap_get(&m, r->in);
            if (s) {
                amap_del(&m, r->in);
                res->slot_in[ev->rec] = s;
            } else {
                res->slot_in[ev->rec] = MTR_SLOT_UNKNOWN;
                res->unmatched++;
            }
        }
        if (realloc_like && ev->kind == MTR_EV_RECORD && r->in && !mtr_consumes(r)) {
            /* A failed realloc: its block stays live; note which it was. */
            uint32_t s = amap_get(&m, r->in);
            res->slot_in[ev->rec] = s ? s : MTR_SLOT_UNKNOWN;
        }
        if (ev->kind == MTR_EV_RECORD && mtr_produces(r) && r->out) {
            uint32_t s = next++;
            res->slot_size[s] = mtr_req_bytes(r);
            res->slot_born[s] = r->ts;
            res->slot_out[ev->rec] = s;
            if (amap_put(&m, r->out, s) != 0)
                res->clobbered++;
        }
    }
    mtr_mem_free(m.key, m.cap * sizeof(uint64_t));
    mtr_mem_free(m.val, m.cap * sizeof(uint32_t));
    return 0;
}

int mtr_load(struct mtr_trace *t, struct mtr_res *res, const char *path, struct mtr_err *err)
{
    if (mtr_open(t, path, err) != 0)
        return -1;
    if (mtr_resolve(t, res, err) != 0) {
        mtr_close(t);
        return -1;
    }
    return 0;
}

void mtr_unload(struct mtr_trace *t, struct mtr_res *res)
{
    mtr_res_free(t, res);
    mtr_close(t);
}
