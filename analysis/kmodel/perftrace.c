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

enum { EV_FAULT, EV_MMAP };

struct ev {
    uint64_t addr;
    uint64_t len;   /* EV_MMAP */
    uint64_t pgoff; /* EV_MMAP: page offset in the file */
    uint32_t pid;
    uint32_t line;
    int16_t file; /* EV_MMAP: model file id, -1 anon, -2 special (vdso...) */
    uint8_t type;
    uint8_t prot; /* EV_MMAP: KM_PROT_*; EV_FAULT: 1 = inferred read */
    uint8_t shared;
};

struct evbuf {
    struct ev *v;
    size_t n, cap;
};

static int push(struct evbuf *b, const struct ev *e)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        struct ev *n = realloc(b->v, cap * sizeof(*n));
        if (n == NULL)
            return -1;
        b->v = n;
        b->cap = cap;
    }
    b->v[b->n++] = *e;
    return 0;
}

/* ---- A set of (pid, vpn) keys ------------------------------------------------------------- */

struct kset {
    uint64_t *k;
    size_t cap, n;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static int kset_add(struct kset *s, uint64_t key) /* 1 if it was there already */
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t ocap = s->cap;
        uint64_t *ok = s->k;
        s->cap = ocap ? ocap * 2 : 1 << 16;
        s->k = calloc(s->cap, sizeof(uint64_t));
        if (s->k == NULL)
            return -1;
        s->n = 0;
        for (size_t i = 0; i < ocap; i++)
            if (ok[i])
                kset_add(s, ok[i]);
        free(ok);
    }
    key++; /* 0 marks an empty slot */
    size_t i = mix(key) & (s->cap - 1);
    while (s->k[i]) {
        if (s->k[i] == key)
            return 1;
        i = (i + 1) & (s->cap - 1);
    }
    s->k[i] = key;
    s->n++;
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
    char line[8192];
    unsigned long lineno = 0;
    while (fgets(line, sizeof(line), in)) {
        lineno++;
        size_t len = strlen(line);
        if (len == sizeof(line) - 1 && line[len - 1] != '\n')
            PFAIL("line longer than %zu bytes", sizeof(line) - 2);
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
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
        if (strncmp(p, "PERF_RECORD_", 12) == 0) {
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
            struct ev e = {0};
            e.type = EV_MMAP;
            e.pid = (uint32_t)pid;
            e.line = (uint32_t)lineno;
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
                e.file = (int16_t)f;
            }
            if (e.addr >= (1ULL << 47) || e.len == 0 || e.addr + e.len > (1ULL << 47))
                continue;
            if (push(&b, &e))
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
        struct ev e = {0};
        e.type = EV_FAULT;
        e.pid = (uint32_t)pid;
        e.line = (uint32_t)lineno;
        e.addr = addr;
        if (push(&b, &e))
            PFAIL("out of host memory");
        st->samples++;
    }
    if (ferror(in))
        PFAIL("read error");
    /* Backwards: a fault whose page faults again later was a read. */
    for (size_t i = b.n; i-- > 0;) {
        struct ev *e = &b.v[i];
        if (e->type != EV_FAULT)
            continue;
        int r = kset_add(&seen, ((uint64_t)e->pid << 36) ^ (e->addr >> KM_PAGE_SHIFT));
        if (r < 0) {
            lineno = e->line;
            PFAIL("out of host memory");
        }
        if (r == 1) {
            e->prot = 1;
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
                lineno = e->line;
                PFAIL("more than 256 processes in one trace");
            }
            char pname[32];
            snprintf(pname, sizeof(pname), "pid%u", e->pid);
            mm = proc_create_bare(km, pname, 0);
            if (mm == NULL) {
                lineno = e->line;
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
        if (e->type == EV_MMAP) {
            if (e->file == -2)
                continue;
            int er;
            unsigned flags = (e->shared ? KM_MAP_SHARED : KM_MAP_PRIVATE) | KM_MAP_FIXED |
                             (e->file < 0 ? KM_MAP_ANON : 0);
            vma_mmap(km, mm, e->addr, e->len, e->prot, flags, e->file, e->pgoff, &er);
            if (e->file >= 0)
                file_warm(km, mm, e->file, e->pgoff, e->len >> KM_PAGE_SHIFT);
            km_after_op(km);
            continue;
        }
        uint64_t page = e->addr & ~(KM_PAGE_SIZE - 1);
        if (vma_find(mm, page) == NULL) {
            int er;
            vma_mmap(km, mm, page, KM_PAGE_SIZE, KM_PROT_READ | KM_PROT_WRITE,
                     KM_MAP_PRIVATE | KM_MAP_FIXED | KM_MAP_ANON, -1, 0, &er);
        }
        struct km_vma *v = vma_find(mm, page);
        enum km_touch how = e->prot ? KM_TOUCH_READ : KM_TOUCH_WRITE;
        /* A write into a read-only mapping cannot have happened: it was a read. */
        if (v && !(v->flags & KM_VM_WRITE))
            how = KM_TOUCH_READ;
        fault_touch(km, mm, e->addr, how);
        if (km->series.f && km->now_ns >= km->series.next_ns)
            out_series_sample(km);
    }
    free(b.v);
    free(seen.k);
    return 0;
fail:
    free(b.v);
    free(seen.k);
    return -1;
}
