/*
 * wl.c — the helpers every workload shares (see wl.h for the conventions).
 *
 * Nothing here allocates through malloc except wl_malloc/wl_realloc/wl_book_alloc on behalf of
 * the workload, and the stdio of the final result line: the shm page comes from mmap, so the
 * heap the runner measures belongs to the workload alone.
 */
#include "bench/workloads/wl.h"

#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct wl_run wl;

static const struct wl_spec *spec_;
static char trim_used_[96];
static uint64_t trim_ns_;
static uint64_t idle_ns_;
static bool result_first_;

uint64_t wl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void wl_sleep_ms(uint32_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

uint64_t wl_scaled(double base, uint64_t min)
{
    double v = round(base * wl.scale);
    if (v < (double)min)
        return min;
    return (uint64_t)v;
}

/* ---- options ---- */

static _Noreturn void usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "wl-%s: ", spec_->name);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(2);
}

_Noreturn void wl_bad_usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "wl-%s: ", spec_->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void print_help(void)
{
    printf("usage: wl-%s [options]\n\n%s\n\noptions:\n", spec_->name, spec_->summary);
    printf("  --scale S        size of the run, 1.0 = default (0 < S <= 1000)\n");
    printf("  --seed N         random seed (default 1)\n");
    if (spec_->flags & WL_OPT_THREADS)
        printf("  --threads N      threads (default %d, 1..256)\n", spec_->threads_default);
    if (spec_->flags & WL_OPT_IDLE) {
        printf("  --idle-ms N      idle in phase FREED before the trim (default %u)\n",
               spec_->idle_ms_default);
        printf("  --trim-idle-ms N idle in phase TRIMMED after the trim (default %u)\n",
               spec_->trim_idle_ms_default);
    }
    for (const struct wl_opt *o = spec_->opts; o && o->name; o++)
        printf("  --%-14s %s\n", o->name, o->help);
    printf("  --help           this text\n\n"
           "stdout: one JSON result line (wl-size-sweep: a CSV table). Live bytes, ops and the\n"
           "phase go to the memfd named by MINI_BENCH_SHM when it is set (bench/include/"
           "benchproto.h).\nExit: 0 done, 1 run-time failure, 2 bad usage, 3 content mismatch.\n");
}

/* Parses a number with an optional size suffix; false on junk. */
static bool parse_number(const char *s, bool allow_suffix, bool integer, double *out)
{
    if (*s == '\0' || *s == ' ' || *s == '\t')
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || !isfinite(v))
        return false;
    if (allow_suffix && *end != '\0' && end[1] == '\0') {
        switch (*end) {
        case 'k':
        case 'K':
            v *= 1024.0;
            end++;
            break;
        case 'm':
        case 'M':
            v *= 1024.0 * 1024.0;
            end++;
            break;
        case 'g':
        case 'G':
            v *= 1024.0 * 1024.0 * 1024.0;
            end++;
            break;
        default:
            break;
        }
    }
    if (*end != '\0')
        return false;
    if (integer && v != floor(v))
        return false;
    *out = v;
    return true;
}

static void set_opt(const struct wl_opt *o, const char *opt, const char *val)
{
    double v;
    char range[160];
    switch (o->kind) {
    case WL_OPT_DOUBLE:
    case WL_OPT_UINT:
    case WL_OPT_SIZE:
        if (!parse_number(val, o->kind == WL_OPT_SIZE, o->kind != WL_OPT_DOUBLE, &v) || v < o->lo ||
            v > o->hi) {
            snprintf(range, sizeof(range), "'%s' (want %s in [%.15g, %.15g])", val,
                     o->kind == WL_OPT_DOUBLE ? "a number" : "an integer", o->lo, o->hi);
            usage_error("bad value for %s: %s", opt, range);
        }
        if (o->kind == WL_OPT_DOUBLE)
            *(double *)o->dst = v;
        else
            *(uint64_t *)o->dst = (uint64_t)v;
        return;
    case WL_OPT_CHOICE: {
        const char *c = o->choices;
        for (int i = 0; *c; i++) {
            size_t len = strcspn(c, "|");
            if (strlen(val) == len && strncmp(c, val, len) == 0) {
                *(int *)o->dst = i;
                return;
            }
            c += len + (c[len] == '|');
        }
        snprintf(range, sizeof(range), "'%.40s' (want one of %.40s)", val, o->choices);
        usage_error("bad value for %s: %s", opt, range);
    }
    }
}

static void attach_shm(void)
{
    const char *env = getenv(BENCH_SHM_ENV);
    void *p;
    if (env != NULL) {
        char *end;
        errno = 0;
        long fd = strtol(env, &end, 10);
        struct stat st;
        if (*env == '\0' || *end != '\0' || errno != 0 || fd < 0 || fd > 1 << 20)
            usage_error("bad %s='%s' (want a file descriptor number)", BENCH_SHM_ENV, env);
        if (fstat((int)fd, &st) != 0 || (size_t)st.st_size < sizeof(struct bench_shm))
            usage_error("%s=%s: not an open memfd of a bench_shm page", BENCH_SHM_ENV, env);
        p = mmap(NULL, sizeof(struct bench_shm), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
        if (p == MAP_FAILED)
            usage_error("%s=%s: cannot map it", BENCH_SHM_ENV, env);
        wl.shm_from_runner = true;
    } else {
        p = mmap(NULL, sizeof(struct bench_shm), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            fprintf(stderr, "wl-%s: cannot map a private counter page\n", spec_->name);
            exit(1);
        }
    }
    struct bench_shm *s = p;
    s->version = BENCH_SHM_VERSION;
    snprintf(s->workload, sizeof(s->workload), "%s", spec_->name);
    snprintf(s->ops_unit, sizeof(s->ops_unit), "%s", spec_->ops_unit);
    atomic_store_explicit(&s->idle_ms, wl.idle_ms, memory_order_relaxed);
    atomic_store_explicit(&s->trim_idle_ms, wl.trim_idle_ms, memory_order_relaxed);
    atomic_store_explicit(&s->phase_ns, wl_now_ns(), memory_order_relaxed);
    atomic_store_explicit(&s->phase, BENCH_PHASE_INIT, memory_order_relaxed);
    /* The magic last, with release order: a reader that sees it sees the rest of the header
     * (magic is a plain field of the contract, hence the GCC builtin). */
    __atomic_store_n(&s->magic, BENCH_SHM_MAGIC, __ATOMIC_RELEASE);
    wl.shm = s;
}

void wl_init(int argc, char **argv, const struct wl_spec *spec)
{
    spec_ = spec;
    wl.name = spec->name;
    wl.scale = 1.0;
    wl.seed = 1;
    wl.threads = (spec->flags & WL_OPT_THREADS) ? spec->threads_default : 1;
    wl.idle_ms = (spec->flags & WL_OPT_IDLE) ? spec->idle_ms_default : 0;
    wl.trim_idle_ms = (spec->flags & WL_OPT_IDLE) ? spec->trim_idle_ms_default : 0;

    uint64_t threads = (uint64_t)wl.threads, idle = wl.idle_ms, trim_idle = wl.trim_idle_ms;
    const struct wl_opt common[] = {
        {"scale", WL_OPT_DOUBLE, &wl.scale, 1e-6, 1000, NULL, NULL},
        {"seed", WL_OPT_UINT, &wl.seed, 0, 9007199254740991.0, NULL, NULL},
        {"threads", WL_OPT_UINT, &threads, 1, 256, NULL, NULL},
        {"idle-ms", WL_OPT_UINT, &idle, 0, 3600000, NULL, NULL},
        {"trim-idle-ms", WL_OPT_UINT, &trim_idle, 0, 3600000, NULL, NULL},
    };

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_help();
            exit(0);
        }
        if (strncmp(arg, "--", 2) != 0)
            usage_error("unexpected argument '%s'%s (try --help)", arg, "");
        /* --name=value or --name value */
        char name[64];
        const char *eq = strchr(arg + 2, '=');
        size_t len = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
        if (len >= sizeof(name))
            len = sizeof(name) - 1;
        memcpy(name, arg + 2, len);
        name[len] = '\0';

        const struct wl_opt *o = NULL;
        for (size_t k = 0; k < sizeof(common) / sizeof(common[0]); k++) {
            if (strcmp(common[k].name, name) != 0)
                continue;
            if (k == 2 && !(spec->flags & WL_OPT_THREADS))
                break;
            if (k >= 3 && !(spec->flags & WL_OPT_IDLE))
                break;
            o = &common[k];
        }
        for (const struct wl_opt *e = spec->opts; !o && e && e->name; e++)
            if (strcmp(e->name, name) == 0)
                o = e;
        if (o == NULL)
            usage_error("unknown option '%s' (try --help)", arg, "");
        const char *val;
        if (eq) {
            val = eq + 1;
        } else {
            if (i + 1 >= argc)
                usage_error("option '%s' needs a value%s", arg, "");
            val = argv[++i];
        }
        char opt[72];
        snprintf(opt, sizeof(opt), "--%s", name);
        set_opt(o, opt, val);
    }
    wl.threads = (int)threads;
    wl.idle_ms = (uint32_t)idle;
    wl.trim_idle_ms = (uint32_t)trim_idle;
    attach_shm();
    wl.start_ns = wl_now_ns();
}

void wl_phase(enum bench_phase phase)
{
    /* The time spent in the phase being left, then the change (one writer: the main thread). */
    uint64_t now = wl_now_ns();
    uint32_t cur = atomic_load_explicit(&wl.shm->phase, memory_order_relaxed);
    uint64_t since = atomic_load_explicit(&wl.shm->phase_ns, memory_order_relaxed);
    if (cur < BENCH_NPHASES && now > since)
        atomic_fetch_add_explicit(&wl.shm->phase_total_ns[cur], now - since, memory_order_relaxed);
    atomic_store_explicit(&wl.shm->phase_ns, now, memory_order_relaxed);
    atomic_store_explicit(&wl.shm->phase, (uint32_t)phase, memory_order_release);
}

/* ---- counters ---- */

void wl_ctr_init(struct wl_ctr *c, int idx, int nthreads)
{
    c->slot = &wl.shm->slot[idx % BENCH_SLOTS];
    c->shared = nthreads > BENCH_SLOTS;
    /* A slot handed over from an earlier (joined) thread keeps its sums. */
    c->live = atomic_load_explicit(&c->slot->live_bytes, memory_order_relaxed);
    c->ops = atomic_load_explicit(&c->slot->ops, memory_order_relaxed);
    c->peak = c->live;
}

int64_t wl_live_total(void)
{
    int64_t sum = 0;
    for (int i = 0; i < BENCH_SLOTS; i++)
        sum += atomic_load_explicit(&wl.shm->slot[i].live_bytes, memory_order_relaxed);
    return sum;
}

uint64_t wl_ops_total(void)
{
    uint64_t sum = 0;
    for (int i = 0; i < BENCH_SLOTS; i++)
        sum += atomic_load_explicit(&wl.shm->slot[i].ops, memory_order_relaxed);
    return sum;
}

/* ---- random numbers ---- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void wl_rng_init(struct wl_rng *r, uint64_t stream)
{
    uint64_t x = wl.seed * 0x2545f4914f6cdd1dull + stream * 0x9e3779b97f4a7c15ull + 1;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

size_t wl_rng_logsize(struct wl_rng *r, size_t lo, size_t hi)
{
    double l = log((double)lo), h = log((double)hi + 1.0);
    size_t v = (size_t)exp(l + (h - l) * wl_rng_unit(r));
    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- content pattern ---- */

static inline unsigned pat_byte(uint64_t tag, size_t i)
{
    return (unsigned)(wl_pat(tag, i / 8) >> (8 * (i % 8))) & 0xff;
}

void wl_fill_range(void *p, size_t from, size_t to, uint64_t tag)
{
    unsigned char *b = p;
    size_t i = from;
    for (; i < to && (i % 8) != 0; i++)
        b[i] = (unsigned char)pat_byte(tag, i);
    for (; i + 8 <= to; i += 8) {
        uint64_t w = wl_pat(tag, i / 8);
        memcpy(b + i, &w, 8);
    }
    for (; i < to; i++)
        b[i] = (unsigned char)pat_byte(tag, i);
}

void wl_check_range(const void *p, size_t from, size_t to, uint64_t tag)
{
    const unsigned char *b = p;
    size_t i = from;
    for (; i < to && (i % 8) != 0; i++)
        if (b[i] != pat_byte(tag, i))
            wl_mismatch(p, to, i, pat_byte(tag, i), b[i]);
    for (; i + 8 <= to; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        if (w != wl_pat(tag, i / 8)) {
            size_t k = i;
            while (b[k] == pat_byte(tag, k))
                k++;
            wl_mismatch(p, to, k, pat_byte(tag, k), b[k]);
        }
    }
    for (; i < to; i++)
        if (b[i] != pat_byte(tag, i))
            wl_mismatch(p, to, i, pat_byte(tag, i), b[i]);
}

static inline size_t min_sz(size_t a, size_t b)
{
    return a < b ? a : b;
}

void wl_fill(void *p, size_t n, uint64_t tag)
{
    if (n <= WL_FULL_FILL) {
        wl_fill_range(p, 0, n, tag);
        return;
    }
    /* Page stamps: the first 8 bytes of every 4 KiB stretch, and the last 8 bytes. */
    for (size_t off = 0; off < n; off += WL_PAGE)
        wl_fill_range(p, off, min_sz(off + 8, n), tag);
    wl_fill_range(p, n - 8, n, tag);
}

void wl_check(const void *p, size_t n, uint64_t tag)
{
    if (n <= WL_FULL_CHECK) {
        wl_check_range(p, 0, n, tag);
        return;
    }
    if (n <= WL_FULL_FILL) {
        size_t mid = (n / 2) & ~(size_t)7;
        wl_check_range(p, 0, 8, tag);
        wl_check_range(p, mid, mid + 8, tag);
        wl_check_range(p, n - 8, n, tag);
        return;
    }
    for (size_t off = 0; off < n; off += WL_PAGE)
        wl_check_range(p, off, min_sz(off + 8, n), tag);
    wl_check_range(p, n - 8, n, tag);
}

_Noreturn void wl_mismatch(const void *p, size_t n, size_t off, unsigned expect, unsigned found)
{
    /* One line, no allocation, then out: the heap may be in any state. */
    char line[256];
    int len = snprintf(line, sizeof(line),
                       "wl-%s: content mismatch at %p (block %p of %zu bytes, offset %zu): "
                       "expected 0x%02x, found 0x%02x\n",
                       wl.name, (const void *)((const char *)p + off), p, n, off, expect, found);
    if (write(2, line, (size_t)len) < 0)
        _exit(3);
    _exit(3);
}

/* ---- allocation helpers ---- */

static _Noreturn void oom(const char *what, size_t n)
{
    char line[160];
    int len = snprintf(line, sizeof(line), "wl-%s: %s(%zu) failed\n", wl.name, what, n);
    if (write(2, line, (size_t)len) < 0)
        _exit(1);
    _exit(1);
}

void *wl_malloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL)
        oom("malloc", n);
    return p;
}

void *wl_realloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL)
        oom("realloc", n);
    return q;
}

void *wl_book_alloc(struct wl_ctr *c, size_t n)
{
    void *p = wl_malloc(n);
    memset(p, 0, n);
    wl_ctr_live(c, (int64_t)n);
    return p;
}

void wl_book_free(struct wl_ctr *c, void *p, size_t n)
{
    free(p);
    wl_ctr_live(c, -(int64_t)n);
}

void wl_run_threads(int n, void *(*fn)(void *), void *args, size_t arg_size)
{
    pthread_t tid[256];
    if (n > 256)
        n = 256;
    for (int i = 0; i < n; i++) {
        int err = pthread_create(&tid[i], NULL, fn, (char *)args + (size_t)i * arg_size);
        if (err != 0) {
            fprintf(stderr, "wl-%s: cannot start thread %d: %s\n", wl.name, i, strerror(err));
            exit(1);
        }
    }
    for (int i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
}

/* ---- reclaim ---- */

typedef int mallctl_fn(const char *, void *, size_t *, void *, size_t);
typedef void mi_collect_fn(bool);
typedef void release_fn(void);
typedef int malloc_trim_fn(size_t);

/* Looks a symbol up in the whole process: a preloaded allocator comes first in the search. */
static void *find(const char *sym)
{
    return dlsym(RTLD_DEFAULT, sym);
}

const char *wl_trim(uint64_t *ns)
{
    uint64_t t0 = wl_now_ns();
    void *f;
    /* The specific interfaces first: glibc's malloc_trim is always present, whatever the
     * allocator, and would do nothing to a preloaded jemalloc, mimalloc or tcmalloc. */
    if ((f = find("mallctl")) != NULL) {
        mallctl_fn *mallctl = (mallctl_fn *)f;
        /* 4096 is MALLCTL_ARENAS_ALL: purge the dirty and muzzy pages of every arena, after
         * handing this thread's cached blocks back to their arenas. */
        mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
        int err = mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
        snprintf(trim_used_, sizeof(trim_used_), "jemalloc:mallctl(arena.4096.purge)%s",
                 err ? " failed" : "");
    } else if ((f = find("mi_collect")) != NULL) {
        ((mi_collect_fn *)f)(true);
        snprintf(trim_used_, sizeof(trim_used_), "mimalloc:mi_collect(true)");
    } else if ((f = find("MallocExtension_ReleaseFreeMemory")) != NULL) {
        ((release_fn *)f)();
        snprintf(trim_used_, sizeof(trim_used_), "tcmalloc:MallocExtension_ReleaseFreeMemory");
    } else if ((f = find("malloc_trim")) != NULL) {
        int released = ((malloc_trim_fn *)f)(0);
        /* Name the object that defined it: libc.so.6 (glibc) or a preloaded libmini. */
        Dl_info info;
        const char *lib = "?";
        if (dladdr(f, &info) != 0 && info.dli_fname != NULL) {
            lib = strrchr(info.dli_fname, '/');
            lib = lib ? lib + 1 : info.dli_fname;
        }
        snprintf(trim_used_, sizeof(trim_used_), "%s:malloc_trim(0)=%d",
                 strncmp(lib, "libc.so", 7) == 0 ? "glibc" : lib, released);
    } else {
        snprintf(trim_used_, sizeof(trim_used_), "none");
    }
    trim_ns_ = wl_now_ns() - t0;
    if (ns)
        *ns = trim_ns_;
    return trim_used_;
}

void wl_hold_ms(uint32_t ms)
{
    uint64_t t0 = wl_now_ns();
    wl_sleep_ms(ms);
    idle_ns_ += wl_now_ns() - t0;
}

void wl_reclaim_pause(void)
{
    uint64_t t0 = wl_now_ns();
    wl_phase(BENCH_PHASE_FREED);
    wl_sleep_ms(wl.idle_ms);
    wl_trim(NULL);
    wl_phase(BENCH_PHASE_TRIMMED);
    wl_sleep_ms(wl.trim_idle_ms);
    wl_phase(BENCH_PHASE_RUN);
    idle_ns_ += wl_now_ns() - t0 - trim_ns_;
}

/* ---- result line ---- */

static void key(const char *k)
{
    printf("%s\"%s\":", result_first_ ? "" : ",", k);
    result_first_ = false;
}

void wl_result_u64(const char *k, uint64_t v)
{
    key(k);
    printf("%llu", (unsigned long long)v);
}

void wl_result_i64(const char *k, int64_t v)
{
    key(k);
    printf("%lld", (long long)v);
}

void wl_result_f(const char *k, double v)
{
    key(k);
    printf("%.6g", v);
}

void wl_result_str(const char *k, const char *v)
{
    key(k);
    putchar('"');
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            putchar('\\');
        if ((unsigned char)*v < 0x20)
            printf("\\u%04x", (unsigned char)*v);
        else
            putchar(*v);
    }
    putchar('"');
}

void wl_result_begin(void)
{
    double secs = (double)(wl_now_ns() - wl.start_ns) / 1e9;
    double work = secs - (double)idle_ns_ / 1e9;
    uint64_t ops = wl_ops_total();
    result_first_ = true;
    putchar('{');
    wl_result_str("workload", wl.name);
    wl_result_f("scale", wl.scale);
    wl_result_u64("seed", wl.seed);
    wl_result_u64("threads", (uint64_t)wl.threads);
    wl_result_u64("ops", ops);
    wl_result_str("ops_unit", spec_->ops_unit);
    wl_result_f("seconds", secs);
    wl_result_f("work_seconds", work);
    wl_result_f("ops_per_s", work > 0 ? (double)ops / work : 0.0);
    wl_result_i64("live_end_bytes", wl_live_total());
    if (trim_used_[0] != '\0') {
        wl_result_str("trim", trim_used_);
        wl_result_u64("trim_ns", trim_ns_);
    }
}

void wl_result_end(void)
{
    printf("}\n");
    fflush(stdout);
}

void wl_done(void)
{
    wl_phase(BENCH_PHASE_DONE);
}
