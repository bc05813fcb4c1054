/*
 * options.c — libmini's run-time options, in one table.
 *
 * Each option has a name, a default, a range and a kind. All of them are read once, from the
 * environment variables MINI_<NAME>, the first time the allocator initialises (or an option is
 * asked for): lazily, with getenv only, never through stdio or allocation. A malformed or
 * out-of-range value gets one warning line naming the variable, and the default stays.
 * mini_option_set changes a value later (mallopt does this); MINI_VERBOSE=1 prints them all.
 *
 * Byte-valued options take a k, m or g suffix (powers of 1024): MINI_MMAP_THRESHOLD=256k.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "internal.h"

enum opt_kind { OPT_BYTES, OPT_INT, OPT_BOOL, OPT_STATS };

struct opt_desc {
    const char *env;  /* MINI_MMAP_THRESHOLD */
    const char *name; /* mmap_threshold */
    enum opt_kind kind;
    long dflt, min, max;
    const char *help;
};

#ifndef MINI_DEFAULT_CHECK
#define MINI_DEFAULT_CHECK (MINI_DEBUG >= 3 ? 2 : 0)
#endif

static const struct opt_desc opt_desc[MINI_OPT_COUNT_] = {
    [MINI_OPT_MMAP_THRESHOLD] = {"MINI_MMAP_THRESHOLD", "mmap_threshold", OPT_BYTES, 128 * 1024,
                                 8192, 32L << 20,
                                 "requests of this many bytes or more get their own mapping"},
    [MINI_OPT_TRIM_THRESHOLD] = {"MINI_TRIM_THRESHOLD", "trim_threshold", OPT_BYTES, 128 * 1024, -1,
                                 LONG_MAX,
                                 "shrink a heap when its free top exceeds this (-1: never)"},
    [MINI_OPT_TOP_PAD] = {"MINI_TOP_PAD", "top_pad", OPT_BYTES, 128 * 1024, 0, 1L << 30,
                          "extra bytes asked for when a heap grows, and kept when it shrinks"},
    [MINI_OPT_ARENA_MAX] = {"MINI_ARENA_MAX", "arena_max", OPT_INT, 0, 0, 256,
                            "most arenas (0: 8 per CPU)"},
    [MINI_OPT_TCACHE] = {"MINI_TCACHE", "tcache", OPT_BOOL, 1, 0, 1,
                         "per-thread caches of small blocks"},
    [MINI_OPT_TCACHE_MAX] = {"MINI_TCACHE_MAX", "tcache_max", OPT_BYTES, 4096, 0,
                             MINI_TCACHE_MAX_LIMIT, "largest request served by a thread cache"},
    [MINI_OPT_TCACHE_COUNT] = {"MINI_TCACHE_COUNT", "tcache_count", OPT_INT, 32, 0, 65535,
                               "most blocks per thread-cache size"},
    [MINI_OPT_PURGE_THRESHOLD] = {"MINI_PURGE_THRESHOLD", "purge_threshold", OPT_BYTES, 64 * 1024,
                                  -1, LONG_MAX,
                                  "free blocks this large give their whole pages back (-1: never)"},
    [MINI_OPT_PURGE_DELAY] =
        {"MINI_PURGE_DELAY", "purge_delay", OPT_INT, 1000, 0, 3600 * 1000,
         "ms a dirty free block waits before its pages are given back (0: at once)"},
    [MINI_OPT_PURGE_RATIO] =
        {"MINI_PURGE_RATIO", "purge_ratio", OPT_INT, 2, 0, 1 << 20,
         "dirty bytes beyond in-use bytes / ratio are given back at once (0: no limit)"},
    [MINI_OPT_SHOW_STATS] = {"MINI_SHOW_STATS", "show_stats", OPT_STATS, 0, 0, 2,
                             "print statistics at exit (1 or text, 2 or json)"},
    [MINI_OPT_VERBOSE] = {"MINI_VERBOSE", "verbose", OPT_BOOL, 0, 0, 1,
                          "print the options at start"},
    [MINI_OPT_CHECK] = {"MINI_CHECK", "check", OPT_INT, MINI_DEFAULT_CHECK, 0, 2,
                        "heap checks: 1 cheap, 2 walk the arena after every operation"},
    [MINI_OPT_MMAP_DYNAMIC] =
        {"MINI_MMAP_DYNAMIC", "mmap_dynamic", OPT_BOOL, 0, 0, 1,
         "as glibc: freeing a mapped block raises the mmap threshold to its size "
         "(up to 32 MiB) and the trim threshold to twice that"},
    [MINI_OPT_PURGE_KEEP] =
        {"MINI_PURGE_KEEP", "purge_keep", OPT_BYTES, 4L << 20, 0, 1L << 40,
         "dirty bytes an arena may always keep, whatever MINI_PURGE_RATIO says"},
    [MINI_OPT_TCACHE_BYTES] = {"MINI_TCACHE_BYTES", "tcache_bytes", OPT_BYTES, 512 * 1024, 4096,
                               1L << 30, "most bytes one thread cache holds, all sizes together"},
};

/* The values in force; defaults until mini_options_init (every entry point runs it first). */
_Atomic long mini_opt_value[MINI_OPT_COUNT_];

static _Atomic int opts_state; /* 0 unread, 1 reading, 2 read */

/* Parse s as the option's kind. Returns NULL on success, else why it was refused. */
static const char *parse_value(const struct opt_desc *d, const char *s, long *out)
{
    if (d->kind == OPT_BOOL) {
        static const char *const yes[] = {"1", "yes", "true", "on"}, *const no[] = {"0", "no",
                                                                                    "false", "off"};
        for (unsigned i = 0; i < 4; i++) {
            if (strcasecmp(s, yes[i]) == 0) {
                *out = 1;
                return NULL;
            }
            if (strcasecmp(s, no[i]) == 0) {
                *out = 0;
                return NULL;
            }
        }
        return "not a boolean";
    }
    if (d->kind == OPT_STATS) {
        if (strcasecmp(s, "text") == 0) {
            *out = 1;
            return NULL;
        }
        if (strcasecmp(s, "json") == 0) {
            *out = 2;
            return NULL;
        }
    }
    const char *p = s;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!*p)
        return "not a number";
    unsigned long long v = 0;
    const char *q = p;
    for (; *q; q++) {
        unsigned dgt;
        if (*q >= '0' && *q <= '9')
            dgt = (unsigned)(*q - '0');
        else if (base == 16 && *q >= 'a' && *q <= 'f')
            dgt = (unsigned)(*q - 'a' + 10);
        else if (base == 16 && *q >= 'A' && *q <= 'F')
            dgt = (unsigned)(*q - 'A' + 10);
        else
            break;
        if (v > (ULLONG_MAX - dgt) / (unsigned)base)
            return "too large";
        v = v * (unsigned)base + dgt;
    }
    if (q == p)
        return "not a number";
    if (*q) {
        if (d->kind != OPT_BYTES)
            return "not a number";
        unsigned shift;
        switch (*q) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        default:
            return "not a size (use a number with an optional k, m or g)";
        }
        q++;
        if (*q == 'b' || *q == 'B')
            q++;
        if (*q)
            return "not a size (use a number with an optional k, m or g)";
        if (v > (ULLONG_MAX >> shift))
            return "too large";
        v <<= shift;
    }
    if (v > (unsigned long long)LONG_MAX)
        return "too large";
    long val = neg ? -(long)v : (long)v;
    if (val < d->min || val > d->max)
        return "out of range";
    *out = val;
    return NULL;
}

static void warn_bad(const struct opt_desc *d, const char *s, const char *why, long kept)
{
    char mem[256] = {0};
    struct mini_buf b = {mem, 0, sizeof(mem)};
    mini_buf_puts(&b, "ignoring ");
    mini_buf_puts(&b, d->env);
    mini_buf_puts(&b, "=");
    mini_buf_puts(&b, s);
    mini_buf_puts(&b, " (");
    mini_buf_puts(&b, why);
    mini_buf_puts(&b, "; range ");
    mini_buf_i64(&b, d->min);
    mini_buf_puts(&b, "..");
    mini_buf_i64(&b, d->max);
    mini_buf_puts(&b, "); using ");
    mini_buf_i64(&b, kept);
    mini_warn(mini_buf_str(&b), NULL, NULL);
}

void mini_options_init(void)
{
    int expect = 0;
    if (!atomic_compare_exchange_strong(&opts_state, &expect, 1)) {
        while (atomic_load(&opts_state) != 2)
            ; /* another thread is reading the environment: a few getenv calls */
        return;
    }
    for (int i = 0; i < MINI_OPT_COUNT_; i++)
        mini_opt_value[i] = opt_desc[i].dflt;
    for (int i = 0; i < MINI_OPT_COUNT_; i++) {
        const struct opt_desc *d = &opt_desc[i];
        const char *s = getenv(d->env);
        if (s == NULL)
            continue;
        long v;
        const char *why = parse_value(d, s, &v);
        if (why)
            warn_bad(d, s, why, mini_opt_value[i]);
        else
            mini_opt_value[i] = v;
    }
    atomic_store(&opts_state, 2);
    if (mini_opt_value[MINI_OPT_VERBOSE])
        mini_options_print(NULL, NULL, false);
}

long mini_option_get(mini_option_t opt)
{
    mini_options_init();
    if ((unsigned)opt >= MINI_OPT_COUNT_)
        return -1;
    return mini_opt_value[opt];
}

int mini_option_set(mini_option_t opt, long value)
{
    mini_options_init();
    if ((unsigned)opt >= MINI_OPT_COUNT_)
        return EINVAL;
    const struct opt_desc *d = &opt_desc[opt];
    if (value < d->min || value > d->max)
        return EINVAL;
    mini_opt_value[opt] = value;
    return 0;
}

int mini_option_find(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < MINI_OPT_COUNT_; i++)
        if (strcasecmp(name, opt_desc[i].name) == 0 || strcmp(name, opt_desc[i].env) == 0)
            return i;
    return -1;
}

const char *mini_option_name(mini_option_t opt)
{
    return (unsigned)opt < MINI_OPT_COUNT_ ? opt_desc[opt].env : NULL;
}

void mini_options_print(void (*write_cb)(void *, const char *), void *cbopaque, bool json)
{
    if (write_cb == NULL) {
        struct mini_gather g; /* stderr: one write(2) for the whole list */
        g.fd = STDERR_FILENO;
        g.len = 0;
        mini_options_print(mini_gather_cb, &g, json);
        mini_gather_flush(&g);
        return;
    }
    char mem[256] = {0};
    for (int i = 0; i < MINI_OPT_COUNT_; i++) {
        const struct opt_desc *d = &opt_desc[i];
        struct mini_buf b = {mem, 0, sizeof(mem)};
        if (json) {
            mini_buf_puts(&b, i == 0 ? "\"" : ",\"");
            mini_buf_puts(&b, d->name);
            mini_buf_puts(&b, "\":");
            mini_buf_i64(&b, mini_opt_value[i]);
        } else {
            mini_buf_puts(&b, "libmini: option ");
            mini_buf_puts(&b, d->env);
            mini_buf_puts(&b, "=");
            mini_buf_i64(&b, mini_opt_value[i]);
            mini_buf_puts(&b, mini_opt_value[i] == d->dflt ? "  (default; " : "  (");
            mini_buf_puts(&b, d->help);
            mini_buf_puts(&b, ")\n");
        }
        write_cb(cbopaque, mini_buf_str(&b));
    }
}
