/*
 * perftrace.c — replay a page-touch trace recorded by perf from any program:
 *
 *   perf record -e minor-faults -c 1 -d -o trace.data PROGRAM ARGS...
 *   perf script -i trace.data -F pid,addr --show-mmap-events > trace.txt
 *   kmodel --perf-trace trace.txt
 *
 *   input lines:  "  PID  ADDR"                                   one minor fault at ADDR
 *                 "  PID PERF_RECORD_MMAP2 PID/TID: [0xSTART(0xLEN) @ PGOFF ...]: rw-p NAME"
 *
 * Each sample is a fault the real kernel took. The model replays it as an access of that
 * page by the process: the first sample of a page that faults again later is taken to be a
 * read (a zero page or a page-cache page), the later one a write (the COW that follows); a
 * page that faults once is taken to be written. MMAP2 records create the mappings (files are
 * taken to be in the page cache already, as the libraries of a running system are); a sample
 * outside every known mapping (the brk heap, which perf does not record) gets an implicit
 * anonymous read-write mapping of its page. Kernel addresses are skipped.
 *
 * Approximation: a page unmapped and mapped again between two samples still pairs them as
 * read-then-write (perf records no munmap).
 */
#include "analysis/kmodel/kmodel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A fault sample or an mmap record, 16 bytes; mmap details live in their own array. */
#define EV_MMAP (1ULL << 63) /* in addr: this is mmap record number `aux` */
#define EV_READ (1ULL << 62) /* in addr: the fault was inferred to be a read */

struct ev {
    uint64_t addr;
    uint32_t pid;
    uint32_t aux; /* line number of a sample, index of an mmap record */
};

struct mrec {
    uint64_t addr, len, pgoff;
    int file; /* model file id, -1 anon, -2 special (vdso...) */
    uint8_t prot, shared;
};

struct evbuf {
    struct ev *v;
    size_t n, cap;
    struct mrec *m;
    size_t nm, mcap;
};

static int push(struct evbuf *b, uint64_t addr, uint32_t pid, uint32_t aux)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        struct ev *n = realloc(b->v, cap * sizeof(*n));
        if (n == NULL)
            return -1;
        b->v = n;
        b->cap = cap;
    }
    b->v[b->n++] = (struct ev){addr, pid, aux};
    return 0;
}

static int push_mmap(struct evbuf *b, const struct mrec *m, uint32_t pid)
{
    if (b->nm == b->mcap) {
        size_t cap = b->mcap ? b->mcap * 2 : 256;
        struct mrec *n = realloc(b->m, cap * sizeof(*n));
        if (n == NULL)
            return -1;
        b->m = n;
        b->mcap = cap;
    }
    b->m[b->nm] = *m;
    return push(b, EV_MMAP, pid, (uint32_t)b->nm++);
}

/* A line reader over a big buffer (fgets is a third of the parse time). */
struct reader {
    FILE *in;
    char *buf;
    size_t len, pos, cap;
    bool eof;
};

/* The next line without its newline; NULL at the end; *toolong if it did not fit. */
static char *next_line(struct reader *r, bool *toolong, size_t *len)
{
    *toolong = false;
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (nl) {
            char *line = r->buf + r->pos;
            *nl = '\0';
            *len = (size_t)(nl - line);
            r->pos = (size_t)(nl - r->buf) + 1;
            return line;
        }
        if (r->eof) {
            if (r->pos == r->len)
                return NULL;
            if (r->len == r->cap) {
                *toolong = true;
                return NULL;
            }
            char *line = r->buf + r->pos;
            r->buf[r->len] = '\0';
            *len = r->len - r->pos;
            r->pos = r->len;
            return line;
        }
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
        if (r->len == r->cap) {
            *toolong = true;
            return NULL;
        }
        size_t got = fread(r->buf + r->len, 1, r->cap - r->len, r->in);
        r->len += got;
        if (got == 0)
            r->eof = true;
    }
}

/* ---- A set of (pid, vpn) keys: 2 MiB chunks with a 512-bit map each (traces are local) --- */

struct chunk {
    uint64_t key; /* (pid << 27 | vpn >> 9) + 1; 0 marks an empty slot */
    uint64_t bits[8];
};

struct kset {
    struct chunk *c;
    size_t cap, n;
    size_t last; /* the chunk used last */
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static int kset_grow(struct kset *s)
{
    size_t ocap = s->cap;
    struct chunk *old = s->c;
    s->cap = ocap ? ocap * 2 : 1 << 12;
    s->c = calloc(s->cap, sizeof(*s->c));
    if (s->c == NULL)
        return -1;
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].key)
            continue;
        size_t j = mix(old[i].key) & (s->cap - 1);
        while (s->c[j].key)
            j = (j + 1) & (s->cap - 1);
        s->c[j] = old[i];
    }
    free(old);
    s->last = 0;
    return 0;
}

/* Add (pid, vpn); 1 if it was there already, -1 out of memory. */
static int kset_add(struct kset *s, uint32_t pid, uint64_t vpn)
{
    uint64_t key = (((uint64_t)pid << 27) ^ (vpn >> 9)) + 1;
    struct chunk *c = s->cap ? &s->c[s->last] : NULL;
    if (c == NULL || c->key != key) {
        if ((s->n + 1) * 2 > s->cap && kset_grow(s) != 0)
            return -1;
        size_t i = mix(key) & (s->cap - 1);
        while (s->c[i].key && s->c[i].key != key)
            i = (i + 1) & (s->cap - 1);
        if (!s->c[i].key) {
            s->c[i].key = key;
            s->n++;
        }
        s->last = i;
        c = &s->c[i];
    }
    uint64_t bit = 1ULL << (vpn & 63);
    uint64_t *w = &c->bits[(vpn >> 6) & 7];
    if (*w & bit)
        return 1;
    *w |= bit;
    return 0;
}

/* ---- Parsing -------------------------------------------------------------------------------- */

static const char *skip_sp(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static bool hexnum(const char **pp, uint64_t *out)
{
    const char *p = *pp;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    uint64_t v = 0;
    int n = 0;
    for (;; p++, n++) {
        int d;
        char c = *p;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            break;
        if (n >= 16)
            return false;
        v = (v << 4) | (uint64_t)d;
    }
    if (n == 0)
        return false;
    *pp = p;
    *out = v;
    return true;
}

static bool decnum(const char **pp, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    int n = 0;
    for (; *p >= '0' && *p <= '9'; p++, n++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (n == 0)
        return false;
    *pp = p;
    *out = v;
    return true;
}

/* A model file for a mapped path: one per name, grown to cover the mapping. */
static int file_for(struct km *km, const char *path, uint64_t end_page)
{
    char name[32];
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    /* Names are short: keep the tail of long paths, with a hash of the whole path. */
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = path; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    snprintf(name, sizeof(name), "%.20s-%08x", base, (unsigned)(h & 0xffffffffu));
    int f = file_find(km, name);
    if (f < 0) {
        uint64_t pages = end_page < 64 ? 64 : end_page;
        f = file_create(km, name, pages << KM_PAGE_SHIFT);
        return f;
    }
    struct km_file *kf = &km->files[f];
    if (end_page > kf->npages) {
        uint32_t *n = realloc(kf->pages, end_page * sizeof(uint32_t));
        if (n == NULL)
            return -1;
        memset(n + kf->npages, 0, (end_page - kf->npages) * sizeof(uint32_t));
        kf->pages = n;
        kf->npages = end_page;
    }
    return f;
}

#define PFAIL(...)                                                                                 \
    do {                                                                                           \
        char m_[256];                                                                              \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                                                     \
        snprintf(err, errlen, "%s:%lu: %s", name, (unsigned long)lineno, m_);                      \
        goto fail;                                                                                 \
    } while (0)

int perf_replay(struct km *km, const char *name, FILE *in, struct perf_stats *st, char *err,
                size_t errlen)
{
    struct evbuf b = {0};
    struct kset seen = {0};
    memset(st, 0, sizeof(*st));
    unsigned long lineno = 0;
    struct reader rd = {.in = in, .cap = 1 << 20};
    rd.buf = malloc(rd.cap + 1);
    if (rd.buf == NULL)
        PFAIL("out of host memory");
    for (;;) {
        bool toolong;
        size_t ll = 0;
        char *line = next_line(&rd, &toolong, &ll);
        if (toolong) {
            lineno++;
            PFAIL("line longer than 1 MiB");
        }
        if (line == NULL)
            break;
        lineno++;
        if (memchr(line, '\0', ll) != NULL)
            PFAIL("NUL byte in the trace");
        st->lines++;
        const char *p = skip_sp(line);
        if (*p == '\0' || *p == '#')
            continue;
        uint64_t pid;
        if (!decnum(&p, &pid) || pid > 0x7fffffff)
            PFAIL("expected 'PID ADDR' (record with -d, then: perf script -F pid,addr "
                  "--show-mmap-events)");
        if (*p == '/') { /* PID/TID */
            uint64_t tid;
            p++;
            if (!decnum(&p, &tid))
                PFAIL("bad PID/TID");
        }
        p = skip_sp(p);
        if (*p == 'P' && strncmp(p, "PERF_RECORD_", 12) == 0) {
            if (strncmp(p, "PERF_RECORD_MMAP2 ", 18) != 0)
                continue; /* PERF_RECORD_MMAP (kernel), COMM, EXIT...: nothing to model */
            const char *q = strchr(p, '[');
            uint64_t start, mlen, pgoff = 0;
            if (q == NULL)
                PFAIL("MMAP2 record without '['");
            q++;
            if (!hexnum(&q, &start) || *q != '(')
                PFAIL("bad MMAP2 start address");
            q++;
            if (!hexnum(&q, &mlen) || *q != ')')
                PFAIL("bad MMAP2 length");
            q = skip_sp(q + 1);
            if (*q != '@')
                PFAIL("MMAP2 record without '@ offset'");
            q = skip_sp(q + 1);
            if (!hexnum(&q, &pgoff))
                PFAIL("bad MMAP2 offset");
            const char *r = strstr(q, "]: ");
            if (r == NULL)
                PFAIL("MMAP2 record without ']: PROT NAME'");
            r += 3;
            if (strlen(r) < 4)
                PFAIL("bad MMAP2 protection");
            struct mrec e = {0};
            e.addr = start & ~(KM_PAGE_SIZE - 1);
            e.len = ((start + mlen + KM_PAGE_SIZE - 1) & ~(KM_PAGE_SIZE - 1)) - e.addr;
            e.prot =
                (uint8_t)((r[0] == 'r' ? KM_PROT_READ : 0) | (r[1] == 'w' ? KM_PROT_WRITE : 0) |
                          (r[2] == 'x' ? KM_PROT_EXEC : 0));
            e.shared = r[3] == 's';
            const char *path = skip_sp(r + 4);
            if (*path == '\0' || strcmp(path, "//anon") == 0 || strcmp(path, "[stack]") == 0 ||
                strcmp(path, "[heap]") == 0 || strncmp(path, "/dev/zero", 9) == 0) {
                e.file = -1;
            } else if (path[0] == '[') {
                e.file = -2; /* [vdso], [vvar]: not memory the model manages */
            } else {
                e.pgoff = pgoff >> KM_PAGE_SHIFT;
                int f = file_for(km, path, e.pgoff + (e.len >> KM_PAGE_SHIFT));
                if (f < 0)
                    PFAIL("too many mapped files (max %d)", KM_MAX_FILES);
                e.file = f;
            }
            if (e.addr >= (1ULL << 47) || e.len == 0 || e.addr + e.len > (1ULL << 47))
                continue;
            if (push_mmap(&b, &e, (uint32_t)pid))
                PFAIL("out of host memory");
            st->mmaps++;
            continue;
        }
        uint64_t addr;
        if (!hexnum(&p, &addr))
            PFAIL("expected a hexadecimal data address after the PID");
        p = skip_sp(p);
        if (*p != '\0')
            PFAIL("unexpected '%.20s' after the address (use perf script -F pid,addr)", p);
        if (addr >= (1ULL << 47) || addr < 4096) {
            st->skipped++;
            continue;
        }
        if (push(&b, addr, (uint32_t)pid, (uint32_t)lineno))
            PFAIL("out of host memory");
        st->samples++;
    }
    if (ferror(in))
        PFAIL("read error");
    free(rd.buf);
    rd.buf = NULL;
    /* Backwards: a fault whose page faults again later was a read. */
    for (size_t i = b.n; i-- > 0;) {
        struct ev *e = &b.v[i];
        if (e->addr & EV_MMAP)
            continue;
        int r = kset_add(&seen, e->pid, e->addr >> KM_PAGE_SHIFT);
        if (r < 0) {
            lineno = e->aux;
            PFAIL("out of host memory");
        }
        if (r == 1) {
            e->addr |= EV_READ;
            st->reads_inferred++;
        }
    }
    /* Forwards: replay. */
    int pidmap_n = 0;
    uint32_t pids[256];
    struct km_mm *mms[256];
    for (size_t i = 0; i < b.n; i++) {
        struct ev *e = &b.v[i];
        struct km_mm *mm = NULL;
        for (int k = 0; k < pidmap_n; k++)
            if (pids[k] == e->pid)
                mm = mms[k];
        if (mm == NULL) {
            if (pidmap_n == 256) {
                lineno = e->aux;
                PFAIL("more than 256 processes in one trace");
            }
            char pname[32];
            snprintf(pname, sizeof(pname), "pid%u", e->pid);
            mm = proc_create_bare(km, pname, 0);
            if (mm == NULL) {
                lineno = e->aux;
                PFAIL("cannot create a process for pid %u", e->pid);
            }
            pids[pidmap_n] = e->pid;
            mms[pidmap_n++] = mm;
            st->pids++;
        }
        if (mm->killed || mm->exited)
            continue;
        km->cur = mm;
        km->cur_cpu = mm->cpu;
        if (e->addr & EV_MMAP) {
            const struct mrec *m = &b.m[e->aux];
            if (m->file == -2)
                continue;
            int er;
            unsigned flags = (m->shared ? KM_MAP_SHARED : KM_MAP_PRIVATE) | KM_MAP_FIXED |
                             (m->file < 0 ? KM_MAP_ANON : 0);
            vma_mmap(km, mm, m->addr, m->len, m->prot, flags, m->file, m->pgoff, &er);
            if (m->file >= 0)
                file_warm(km, mm, m->file, m->pgoff, m->len >> KM_PAGE_SHIFT);
            km_after_op(km);
            continue;
        }
        uint64_t addr = e->addr & ~(EV_READ);
        uint64_t page = addr & ~(KM_PAGE_SIZE - 1);
        struct km_vma *v = vma_find(mm, page);
        if (v == NULL) {
            int er;
            vma_mmap(km, mm, page, KM_PAGE_SIZE, KM_PROT_READ | KM_PROT_WRITE,
                     KM_MAP_PRIVATE | KM_MAP_FIXED | KM_MAP_ANON, -1, 0, &er);
            v = vma_find(mm, page);
        }
        enum km_touch how = (e->addr & EV_READ) ? KM_TOUCH_READ : KM_TOUCH_WRITE;
        /* A write into a read-only mapping cannot have happened: it was a read. */
        if (v && !(v->flags & KM_VM_WRITE))
            how = KM_TOUCH_READ;
        fault_touch(km, mm, addr, how);
        if (km->series.f && km->now_ns >= km->series.next_ns)
            out_series_sample(km);
    }
    free(b.v);
    free(b.m);
    free(seen.c);
    free(rd.buf);
    return 0;
fail:
    free(b.v);
    free(b.m);
    free(seen.c);
    free(rd.buf);
    return -1;
}
