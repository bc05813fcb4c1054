/*
 * wl.h — what every benchmark workload (bench/workloads/wl-*.c) shares.
 *
 * A workload is one C program that allocates through plain malloc/free/realloc; the allocator
 * under test is chosen at run time with LD_PRELOAD and is never linked. wl.c gives it:
 *
 *   wl_init()          strict option parsing (--scale, --seed, --threads, --idle-ms, ... --help);
 *                      a bad option prints one line naming it and exits 2
 *   the shm channel    bench/include/benchproto.h: MINI_BENCH_SHM names a memfd that the runner
 *                      reads; without it a private page stands in, so a workload runs the same
 *   wl_ctr             one counter per thread over one bench_slot: live bytes (requested and not
 *                      yet freed) and ops, kept with relaxed atomic stores
 *   wl_rng             a fixed-seed xoshiro256** stream per thread (--seed, default 1)
 *   wl_fill/wl_check   a pattern written into every block and checked before it is freed; a
 *                      mismatch prints the address and exits 3 (a broken allocator must not pass)
 *   wl_alloc_block/    a block's life in one call each: wl_malloc + wl_fill + count live, and
 *   wl_free_block      wl_check + free + uncount
 *   wl_trim()          the allocator's own trim, found at run time (jemalloc mallctl, mimalloc
 *                      mi_collect, tcmalloc ReleaseFreeMemory, else malloc_trim of glibc/libmini)
 *   wl_reclaim_pause() the FREED idle, trim, TRIMMED idle sequence of the protocol
 *   wl_result_*()      the one JSON line a workload prints on stdout when it is done
 *
 * Output: stdout carries only data for the runner: one JSON object on one line (every workload
 * but wl-size-sweep, whose stdout is a CSV table). Errors go to stderr, one line each.
 * Exit status: 0 done, 1 run-time failure (malloc returned NULL, no thread), 2 bad usage,
 * 3 content mismatch (the allocator handed out overlapping or corrupted memory).
 *
 * Pattern: byte i of a block with tag t holds byte (i % 8) of wl_pat(t, i / 8), so a prefix of a
 * block (after realloc) keeps its pattern. wl_fill writes every byte of a block up to
 * WL_FULL_FILL bytes; above that it stamps byte ranges that touch every 4 KiB page: the first
 * 8 bytes of every page-sized stretch and the last 8 bytes. wl_check reads every byte up to
 * WL_FULL_CHECK bytes and otherwise a subset of what wl_fill wrote (first, middle and last words,
 * and the page stamps), so checking costs O(size / 4096) beyond small blocks.
 */
#ifndef WL_H
#define WL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench/include/benchproto.h"

#define WL_FULL_FILL  4096
#define WL_FULL_CHECK 512
#define WL_PAGE       4096

/* What one run was asked to do (filled by wl_init). */
struct wl_run {
    const char *name;      /* "small-churn"; the program is wl-<name> */
    double scale;          /* --scale, 1.0 = default size */
    uint64_t seed;         /* --seed */
    int threads;           /* --threads (1 for single-threaded workloads) */
    uint32_t idle_ms;      /* --idle-ms: FREED idle (0 where the workload has none) */
    uint32_t trim_idle_ms; /* --trim-idle-ms: TRIMMED idle */
    struct bench_shm *shm; /* the runner's page or a private one */
    bool shm_from_runner;  /* MINI_BENCH_SHM was set */
    uint64_t start_ns;     /* CLOCK_MONOTONIC at wl_init */
};
extern struct wl_run wl;

/* Which of the common options a workload takes (flags of struct wl_spec). */
#define WL_OPT_THREADS 1u /* --threads N */
#define WL_OPT_IDLE    2u /* --idle-ms, --trim-idle-ms */

/* A workload-specific option: --name VALUE. */
enum wl_opt_kind {
    WL_OPT_DOUBLE, /* double in [lo, hi] */
    WL_OPT_UINT,   /* unsigned integer in [lo, hi] */
    WL_OPT_SIZE,   /* byte count with optional k/K, m/M, g/G suffix (powers of 1024), [lo, hi] */
    WL_OPT_CHOICE  /* one of the '|'-separated words in choices; dst is an int index */
};
struct wl_opt {
    const char *name; /* without the leading "--" */
    enum wl_opt_kind kind;
    void *dst;           /* double *, uint64_t *, uint64_t *, int * */
    double lo, hi;       /* bounds for DOUBLE, UINT, SIZE */
    const char *choices; /* for CHOICE */
    const char *help;
};

struct wl_spec {
    const char *name;     /* workload name without "wl-" */
    const char *summary;  /* one paragraph for --help */
    const char *ops_unit; /* what one op is, < 24 characters */
    unsigned flags;       /* WL_OPT_* */
    int threads_default;
    uint32_t idle_ms_default, trim_idle_ms_default;
    const struct wl_opt *opts; /* extra options, terminated by a zeroed entry; may be NULL */
};

/* Parses argv (exits 0 on --help, 2 on a bad option), attaches the shm, sets phase INIT. */
void wl_init(int argc, char **argv, const struct wl_spec *spec);

/* Prints "wl-<name>: <message>" on stderr and exits 2 (for checks beyond the option table). */
_Noreturn void wl_bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Phase changes (phase_ns first, then phase). */
void wl_phase(enum bench_phase phase);

/* Monotonic time in ns, and an idle sleep that does not allocate. */
uint64_t wl_now_ns(void);
void wl_sleep_ms(uint32_t ms);

/* Scaled counts: round(base * scale), at least min. */
uint64_t wl_scaled(double base, uint64_t min);

/* ---- per-thread counters (one bench_slot each) ---- */
struct wl_ctr {
    struct bench_slot *slot;
    bool shared;  /* more threads than slots: atomic adds instead of stores */
    int64_t live; /* this thread's running sum (exclusive mode) */
    uint64_t ops;
    int64_t peak; /* highest `live` this counter saw (meaningful for one thread) */
};
/* Counter for thread idx of nthreads; a counter may be handed from one thread to the next. */
void wl_ctr_init(struct wl_ctr *c, int idx, int nthreads);

static inline void wl_ctr_live(struct wl_ctr *c, int64_t delta)
{
    if (c->shared) {
        atomic_fetch_add_explicit(&c->slot->live_bytes, delta, memory_order_relaxed);
        return;
    }
    c->live += delta;
    if (c->live > c->peak)
        c->peak = c->live;
    atomic_store_explicit(&c->slot->live_bytes, c->live, memory_order_relaxed);
}
static inline void wl_ctr_ops(struct wl_ctr *c, uint64_t n)
{
    if (c->shared) {
        atomic_fetch_add_explicit(&c->slot->ops, n, memory_order_relaxed);
        return;
    }
    c->ops += n;
    atomic_store_explicit(&c->slot->ops, c->ops, memory_order_relaxed);
}
/* Sums over all slots (what the runner sees). */
int64_t wl_live_total(void);
uint64_t wl_ops_total(void);

/* ---- random numbers ---- */
struct wl_rng {
    uint64_t s[4];
};
/* Stream `stream` of seed wl.seed: threads use their index so that runs repeat exactly. */
void wl_rng_init(struct wl_rng *r, uint64_t stream);
static inline uint64_t wl_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}
static inline uint64_t wl_rng_next(struct wl_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = wl_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = wl_rotl(s[3], 45);
    return out;
}
/* Uniform in [0, n) (n > 0), Lemire's multiply-shift (bias < n / 2^64, irrelevant here). */
static inline uint64_t wl_rng_below(struct wl_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)wl_rng_next(r) * n) >> 64);
}
/* Uniform in [lo, hi]. */
static inline uint64_t wl_rng_range(struct wl_rng *r, uint64_t lo, uint64_t hi)
{
    return lo + wl_rng_below(r, hi - lo + 1);
}
/* Uniform in [0, 1). */
static inline double wl_rng_unit(struct wl_rng *r)
{
    return (double)(wl_rng_next(r) >> 11) * 0x1.0p-53;
}
/* Log-uniform size in [lo, hi]: as many blocks between 64 and 128 as between 1024 and 2048. */
size_t wl_rng_logsize(struct wl_rng *r, size_t lo, size_t hi);

/* ---- content pattern ---- */
static inline uint64_t wl_pat(uint64_t tag, uint64_t word)
{
    uint64_t x = tag ^ (word * 0x9e3779b97f4a7c15ull);
    x ^= x >> 29;
    return x * 0xbf58476d1ce4e5b9ull;
}
/* A tag for block number `id` of stream `stream`: distinct blocks get distinct patterns. */
static inline uint64_t wl_tag(uint64_t stream, uint64_t id)
{
    return (stream << 40) ^ id ^ 0x5bd1e9955bd1e995ull;
}
/* Writes the pattern of tag into [p, p + n) (all of it up to WL_FULL_FILL, else page stamps). */
void wl_fill(void *p, size_t n, uint64_t tag);
/* Writes the pattern into bytes [from, to) of the block (every byte). */
void wl_fill_range(void *p, size_t from, size_t to, uint64_t tag);
/* Checks what wl_fill(p, n, tag) wrote; exits 3 naming the address on a mismatch. */
void wl_check(const void *p, size_t n, uint64_t tag);
/* Checks every byte of [from, to) (which must have been filled). */
void wl_check_range(const void *p, size_t from, size_t to, uint64_t tag);
/* Reports a content mismatch at p + off of block p (n bytes) and exits 3. */
_Noreturn void wl_mismatch(const void *p, size_t n, size_t off, unsigned expect, unsigned found);

/* ---- allocation helpers that count and fail loudly ---- */
/* malloc(n) or exit 1 with a message; the caller counts live bytes. */
void *wl_malloc(size_t n);
void *wl_realloc(void *p, size_t n);
/* Bookkeeping arrays of a workload come from the same allocator and count as live bytes (they
 * are requested and not yet freed), so the heap RSS / live bytes ratio stays honest. */
void *wl_book_alloc(struct wl_ctr *c, size_t n);
void wl_book_free(struct wl_ctr *c, void *p, size_t n);

/* A block of n bytes (wl_malloc) filled with the pattern of tag and counted live in c. */
static inline void *wl_alloc_block(struct wl_ctr *c, size_t n, uint64_t tag)
{
    void *p = wl_malloc(n);
    wl_fill(p, n, tag);
    wl_ctr_live(c, (int64_t)n);
    return p;
}
/* Checks what wl_alloc_block(c, n, tag) wrote into p (exits 3 on a mismatch), frees p and
 * counts its n bytes as no longer live in c. */
static inline void wl_free_block(struct wl_ctr *c, void *p, size_t n, uint64_t tag)
{
    wl_check(p, n, tag);
    free(p);
    wl_ctr_live(c, -(int64_t)n);
}

/* Runs fn(i, arg) on n threads (i = 0..n-1) and joins them; exits 1 if a thread cannot start. */
void wl_run_threads(int n, void *(*fn)(void *), void *args, size_t arg_size);

/* ---- reclaim ---- */
/* Calls the allocator's trim; returns what it used, e.g. "jemalloc:mallctl(arena.4096.purge)",
 * and the time it took in *ns (may be NULL). */
const char *wl_trim(uint64_t *ns);
/* Sleeps ms, counted as idle (not in work_seconds of the result). */
void wl_hold_ms(uint32_t ms);
/* FREED, idle wl.idle_ms, trim, TRIMMED, idle wl.trim_idle_ms, back to RUN. Records the trim. */
void wl_reclaim_pause(void);

/* ---- the result line (stdout, one JSON object) ---- */
/* Starts the object with the common fields (workload, scale, seed, threads, ops, ops_unit,
 * seconds since wl_init, ops_per_s, live_end_bytes, trim if one was done); adds fields; ends. */
void wl_result_begin(void);
void wl_result_u64(const char *key, uint64_t v);
void wl_result_i64(const char *key, int64_t v);
void wl_result_f(const char *key, double v);
void wl_result_str(const char *key, const char *v);
void wl_result_end(void);

/* Sets phase DONE; the last call of a workload before it returns 0. */
void wl_done(void);

#endif /* WL_H */
