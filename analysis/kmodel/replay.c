/*
 * replay.c — input 2: an allocation trace replayed through libmini itself, over the model.
 *
 *   trace line ──parse──> [@TID] OP ARGS ──baton──> host thread of TID ──> mini_malloc ...
 *                                                         │                    │
 *                                          env->touch (the program writes     mini_os_* (os_sim.c)
 *                                          its block)     │                    │
 *                                                         └──────> model <─────┘
 *
 * libmini's core (every libmini/src/ file but os.c) is linked with os_sim.c, so each call it
 * makes to the kernel changes the simulated process; the replayer tells the model what the
 * program itself touches (by default it writes every block it allocates, whole). Every thread
 * of the trace is a host thread, so libmini's thread caches and arenas behave as in the real
 * run, but only one runs at a time: the "baton" (a semaphore per thread) passes to the thread
 * of the next line, in trace order, and the holder reads and parses the lines. The model is
 * therefore touched by one thread at a time, and the replay is deterministic.
 *
 * The replayer itself knows nothing of the model: it calls libmini's mini_* API and the env of
 * replay.h, so kmodel-alloc-real runs the same code over the real kernel (libmini with os.c).
 *
 * Invariants: the ID table maps every live trace ID to its libmini block (or to NULL when the
 * call failed in the model: later uses of that ID are skipped and counted); only the baton
 * holder touches the table, the reader and the model.
 */
#include "analysis/kmodel/replay.h"
#include "libmini/include/mini.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 512
#define MAX_LINE    4096

enum op_kind { OP_MALLOC, OP_CALLOC, OP_ALIGN, OP_REALLOC, OP_FREE, OP_TRIM, OP_WRITE, OP_READ };

struct op {
    enum op_kind kind;
    uint64_t tid, id, id2, a, b; /* meaning per kind: see the format above */
    uint64_t line;
};

struct blk {
    uint64_t id; /* 0 empty, ~0 tombstone */
    void *p;     /* NULL: the call failed in the model */
    uint64_t size;
};

struct worker {
    uint64_t tid;
    pthread_t th;
    sem_t go;
    bool quit, started;
};

static struct {
    const struct replay_opts *o;
    struct replay_stats *st;
    FILE *in;
    char *err;
    size_t errlen;
    int rc;    /* 0, or 2 bad input, 3 host failure */
    bool stop; /* end of trace, error or the process was killed */
    struct op next;
    struct blk *tab;
    uint64_t cap, used, tombs;
    struct worker *w[MAX_THREADS];
    int nw;
    struct worker *last; /* the holder when the replay stopped */
    sem_t done;
    uint64_t live, calls_since_sync;
    bool started; /* env->start() was called */
} R;

/* ---- the ID table (open addressing, linear probing) --------------------------------------- */

#define TOMB (~0ULL)

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static struct blk *tab_find(uint64_t id)
{
    if (R.cap == 0)
        return NULL;
    for (uint64_t i = hash64(id) & (R.cap - 1);; i = (i + 1) & (R.cap - 1)) {
        if (R.tab[i].id == id)
            return &R.tab[i];
        if (R.tab[i].id == 0)
            return NULL;
    }
}

static bool tab_grow(void)
{
    uint64_t ncap = R.cap ? R.cap * 2 : 1024;
    if (R.used * 2 < R.cap)
        ncap = R.cap; /* mostly tombstones: rehash at the same size */
    struct blk *nt = calloc(ncap, sizeof(*nt));
    if (nt == NULL)
        return false;
    for (uint64_t k = 0; k < R.cap; k++) {
        if (R.tab[k].id == 0 || R.tab[k].id == TOMB)
            continue;
        uint64_t i = hash64(R.tab[k].id) & (ncap - 1);
        while (nt[i].id)
            i = (i + 1) & (ncap - 1);
        nt[i] = R.tab[k];
    }
    free(R.tab);
    R.tab = nt;
    R.cap = ncap;
    R.tombs = 0;
    return true;
}

static bool tab_put(uint64_t id, void *p, uint64_t size)
{
    if ((R.used + R.tombs + 1) * 4 > R.cap * 3 && !tab_grow())
        return false;
    uint64_t i = hash64(id) & (R.cap - 1);
    while (R.tab[i].id != 0 && R.tab[i].id != TOMB)
        i = (i + 1) & (R.cap - 1);
    if (R.tab[i].id == TOMB)
        R.tombs--;
    R.tab[i] = (struct blk){id, p, size};
    R.used++;
    return true;
}

static void tab_del(struct blk *b)
{
    b->id = TOMB;
    b->p = NULL;
    R.used--;
    R.tombs++;
}

/* ---- parsing ----------------------------------------------------------------------------- */

static int bad(uint64_t line, const char *fmt, const char *arg)
{
    char msg[256];
    snprintf(msg, sizeof(msg), fmt, arg);
    snprintf(R.err, R.errlen, "%s:%" PRIu64 ": %s", R.o->name, line, msg);
    R.rc = 2;
    return -1;
}

static bool num(const char **s, uint64_t *v)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    uint64_t x = 0;
    const char *q = p;
    for (;; q++) {
        int d = *q >= '0' && *q <= '9'                 ? *q - '0'
                : base == 16 && *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
                : base == 16 && *q >= 'A' && *q <= 'F' ? *q - 'A' + 10
                                                       : -1;
        if (d < 0)
            break;
        if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            return false;
        x = x * (uint64_t)base + (uint64_t)d;
    }
    if (q == p || (*q != '\0' && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r'))
        return false;
    *v = x;
    *s = q;
    return true;
}

static bool at_end(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        p++;
    return *p == '\0';
}

/* One line into buf (without its newline): its length, -1 at the end, -2 too long, -3 NUL. */
static long get_line(char *buf)
{
    long n = 0;
    int c, bad_line = 0;
    while ((c = getc_unlocked(R.in)) != EOF && c != '\n') {
        if (c == '\0')
            bad_line = -3;
        else if (n == MAX_LINE)
            bad_line = bad_line ? bad_line : -2;
        else
            buf[n++] = (char)c;
    }
    if (c == EOF && n == 0 && bad_line == 0)
        return -1;
    buf[n] = '\0';
    return bad_line ? bad_line : n;
}

/* Read the next call into R.next: 1, 0 at the end of the trace, -1 bad input. */
static int read_op(void)
{
    static char buf[MAX_LINE + 1];
    for (;;) {
        long n = get_line(buf);
        if (n == -1) {
            if (ferror(R.in)) {
                snprintf(R.err, R.errlen, "%s: read error", R.o->name);
                R.rc = 2;
                return -1;
            }
            return 0;
        }
        uint64_t line = ++R.st->lines;
        if (n == -2)
            return bad(line, "%s", "line longer than 4096 bytes");
        if (n == -3)
            return bad(line, "%s", "NUL byte in the line");
        const char *p = buf;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || at_end(p))
            continue;
        struct op o = {.line = line};
        if (*p == '@') {
            p++;
            if (!num(&p, &o.tid))
                return bad(line, "%s", "bad thread id after '@'");
            while (*p == ' ' || *p == '\t')
                p++;
        }
        char c = *p;
        if (c == '\0' || (p[1] != ' ' && p[1] != '\t'))
            return bad(line, "unknown call '%.20s' (m c a r f t w R)", p);
        p++;
        int nargs;
        switch (c) {
        case 'm':
            o.kind = OP_MALLOC, nargs = 2;
            break;
        case 'c':
            o.kind = OP_CALLOC, nargs = 3;
            break;
        case 'a':
            o.kind = OP_ALIGN, nargs = 3;
            break;
        case 'r':
            o.kind = OP_REALLOC, nargs = 3;
            break;
        case 'f':
            o.kind = OP_FREE, nargs = 1;
            break;
        case 't':
            o.kind = OP_TRIM, nargs = 1;
            break;
        case 'w':
            o.kind = OP_WRITE, nargs = 3;
            break;
        case 'R':
            o.kind = OP_READ, nargs = 3;
            break;
        default:
            return bad(line, "unknown call '%.1s' (m c a r f t w R)", p - 1);
        }
        uint64_t v[3] = {0, 0, 0};
        for (int i = 0; i < nargs; i++)
            if (!num(&p, &v[i]))
                return bad(line, "%s", i == 0 && c != 't' ? "bad block id" : "bad number");
        if (!at_end(p))
            return bad(line, "%s", "trailing characters");
        switch (o.kind) {
        case OP_MALLOC:
            o.id = v[0], o.a = v[1];
            break;
        case OP_CALLOC:
        case OP_ALIGN:
            o.id = v[0], o.a = v[1], o.b = v[2];
            break;
        case OP_REALLOC:
            o.id = v[0], o.id2 = v[1], o.a = v[2];
            break;
        case OP_FREE:
            o.id = v[0];
            break;
        case OP_TRIM:
            o.a = v[0];
            break;
        case OP_WRITE:
        case OP_READ:
            o.id = v[0], o.a = v[1], o.b = v[2];
            break;
        }
        if ((o.id == TOMB) || (o.id2 == TOMB))
            return bad(line, "%s", "block id 0xffffffffffffffff is reserved");
        if ((o.kind == OP_MALLOC || o.kind == OP_CALLOC || o.kind == OP_ALIGN) && o.id == 0)
            return bad(line, "%s", "block id 0 is NULL");
        if (o.kind == OP_REALLOC && o.id2 == 0 && o.a != 0)
            return bad(line, "%s", "realloc result id 0 (write failed calls out of the trace)");
        if ((o.kind == OP_WRITE || o.kind == OP_READ) && o.id == 0)
            return bad(line, "%s", "block id 0 is NULL");
        if (o.kind == OP_ALIGN && (o.a == 0 || (o.a & (o.a - 1))))
            return bad(line, "%s", "alignment is not a power of two");
        if (o.kind == OP_TRIM && o.a > (1ULL << 62))
            return bad(line, "%s", "trim pad too large");
        R.next = o;
        return 1;
    }
}

/* ---- executing one call (by the baton holder) ------------------------------------------- */

static void touch(void *p, uint64_t len, bool write)
{
    if (p && len)
        R.o->env->touch(p, len, write);
}

/* The pages of the block's header and of the next block's header, which libmini writes. */
static void probe_block(void *p, uint64_t size)
{
    if (p && R.o->env->probe) {
        R.st->synced_pages += R.o->env->probe((char *)p - 16, 16);
        R.st->synced_pages += R.o->env->probe((char *)p + size, 64);
    }
}

static void born(const struct op *o, void *p, uint64_t size)
{
    if (p == NULL) {
        R.st->failed++;
    } else {
        R.live += size;
        if (R.live > R.st->peak_live)
            R.st->peak_live = R.live;
        if (R.o->touch_all)
            touch(p, size, true);
        probe_block(p, size);
    }
    if (!tab_put(o->id, p, size)) {
        snprintf(R.err, R.errlen, "%s:%" PRIu64 ": out of host memory", R.o->name, o->line);
        R.rc = 3;
    }
}

static int exec(const struct op *o)
{
    struct blk *b = NULL;
    if (o->kind != OP_TRIM && o->id) {
        b = tab_find(o->id);
        bool create = o->kind == OP_MALLOC || o->kind == OP_CALLOC || o->kind == OP_ALIGN;
        if (create && b)
            return bad(o->line, "%s", "block id already live (no free before it)");
        if (!create && !b)
            return bad(o->line, "%s", "unknown block id (never allocated, or freed)");
    }
    R.st->calls++;
    switch (o->kind) {
    case OP_MALLOC:
        born(o, mini_malloc(o->a), o->a);
        break;
    case OP_CALLOC: {
        uint64_t sz;
        void *p = mini_calloc(o->a, o->b);
        born(o, p, __builtin_mul_overflow(o->a, o->b, &sz) ? 0 : sz);
        break;
    }
    case OP_ALIGN:
        born(o, mini_memalign(o->a, o->b), o->b);
        break;
    case OP_REALLOC: {
        if (o->id2 != 0 && o->id2 != o->id && tab_find(o->id2))
            return bad(o->line, "%s", "realloc result id already live");
        void *old = b ? b->p : NULL;
        if (b && old == NULL) { /* the block failed in the model: a fresh one */
            tab_del(b);
            b = NULL;
        }
        uint64_t oldsz = b ? b->size : 0;
        void *p = mini_realloc(old, o->a);
        probe_block(old, oldsz);
        if (p == NULL && o->a > 0) {
            /* Failed in the model: the program's old block would leak here. */
            if (b)
                tab_del(b);
            R.live -= oldsz;
            struct op f = *o;
            f.id = o->id2;
            born(&f, NULL, 0);
            break;
        }
        if (b)
            tab_del(b);
        R.live -= oldsz;
        if (p && o->id2 == 0) {
            mini_free(p); /* realloc(p, 0) that the recorded run saw return NULL */
            probe_block(p, 0);
        } else if (p) {
            struct op f = *o;
            f.id = o->id2;
            born(&f, p, o->a);
        } else if (o->id2 && !tab_put(o->id2, NULL, 0)) {
            snprintf(R.err, R.errlen, "%s:%" PRIu64 ": out of host memory", R.o->name, o->line);
            R.rc = 3;
        }
        break;
    }
    case OP_FREE:
        if (b == NULL) {
            mini_free(NULL);
        } else {
            if (b->p == NULL) {
                R.st->skipped++;
            } else {
                mini_free(b->p);
                R.live -= b->size;
                probe_block(b->p, b->size);
            }
            tab_del(b);
        }
        break;
    case OP_TRIM:
        mini_trim(o->a);
        break;
    case OP_WRITE:
    case OP_READ:
        if (b->p == NULL) {
            R.st->skipped++;
            break;
        }
        if (o->a > b->size || o->b > b->size - o->a)
            return bad(o->line, "%s", "range outside the block");
        touch((char *)b->p + o->a, o->b, o->kind == OP_WRITE);
        break;
    }
    if (R.rc)
        return -1;
    if (!R.o->env->alive()) {
        R.st->killed_line = o->line;
        return -1;
    }
    if (R.o->sync_every && ++R.calls_since_sync >= R.o->sync_every) {
        R.calls_since_sync = 0;
        if (R.o->env->sync)
            R.st->synced_pages += R.o->env->sync();
    }
    return 0;
}

/* ---- threads and the baton ---------------------------------------------------------------- */

static void *worker_main(void *arg);

static struct worker *worker_for(uint64_t tid)
{
    for (int i = 0; i < R.nw; i++)
        if (R.w[i]->tid == tid)
            return R.w[i];
    if (R.nw == MAX_THREADS) {
        bad(R.next.line, "%s", "more than 512 threads in the trace");
        return NULL;
    }
    struct worker *w = calloc(1, sizeof(*w));
    if (w == NULL || sem_init(&w->go, 0, 0) != 0) {
        free(w);
        snprintf(R.err, R.errlen, "%s: cannot create a thread", R.o->name);
        R.rc = 3;
        return NULL;
    }
    w->tid = tid;
    if (pthread_create(&w->th, NULL, worker_main, w) != 0) {
        sem_destroy(&w->go);
        free(w);
        snprintf(R.err, R.errlen, "%s: cannot create a thread", R.o->name);
        R.rc = 3;
        return NULL;
    }
    w->started = true;
    R.w[R.nw++] = w;
    R.st->threads = (uint64_t)R.nw;
    return w;
}

/* The holder ends the replay: main joins it, then lets the others exit one at a time. */
static void *finish(struct worker *w)
{
    R.stop = true;
    R.last = w;
    sem_post(&R.done);
    return NULL;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        while (sem_wait(&w->go) != 0)
            ;
        if (w->quit)
            return NULL;
        for (;;) {
            struct op o = R.next;
            if (!R.started) {
                R.started = true;
                if (R.o->env->start)
                    R.o->env->start();
            }
            if (exec(&o) != 0)
                return finish(w);
            int r = read_op();
            if (r <= 0)
                return finish(w);
            if (R.next.tid == w->tid)
                continue;
            struct worker *to = worker_for(R.next.tid);
            if (to == NULL)
                return finish(w);
            sem_post(&to->go);
            break;
        }
    }
}

int replay_alloc_trace(const struct replay_opts *o, FILE *in, struct replay_stats *st, char *err,
                       size_t errlen)
{
    memset(st, 0, sizeof(*st));
    memset(&R, 0, sizeof(R));
    R.o = o;
    R.st = st;
    R.in = in;
    R.err = err;
    R.errlen = errlen;
    if (sem_init(&R.done, 0, 0) != 0) {
        snprintf(err, errlen, "%s: cannot create a semaphore", o->name);
        return 3;
    }
    if (o->expect_ids) {
        while (R.cap < o->expect_ids * 2)
            R.cap = R.cap ? R.cap * 2 : 1024;
        R.tab = calloc(R.cap, sizeof(*R.tab));
        if (R.tab == NULL) {
            snprintf(err, errlen, "%s: out of host memory", o->name);
            return 3;
        }
        memset(R.tab, 0, R.cap * sizeof(*R.tab)); /* its pages now, not during the replay */
    }
    int r = read_op();
    if (r > 0) {
        struct worker *w = worker_for(R.next.tid);
        if (w) {
            sem_post(&w->go);
            while (sem_wait(&R.done) != 0)
                ;
        }
    }
    /* Threads exit one at a time: libmini's thread-cache destructors call into the model. */
    if (R.last)
        pthread_join(R.last->th, NULL);
    for (int i = 0; i < R.nw; i++) {
        struct worker *w = R.w[i];
        if (w != R.last) {
            w->quit = true;
            sem_post(&w->go);
            pthread_join(w->th, NULL);
        }
        sem_destroy(&w->go);
        free(w);
    }
    sem_destroy(&R.done);
    if (R.rc == 0 && o->env->alive() && o->env->sync)
        st->synced_pages += o->env->sync();
    st->live_end = R.live;
    free(R.tab);
    R.tab = NULL;
    return R.rc;
}
