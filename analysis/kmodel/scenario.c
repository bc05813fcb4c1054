/*
 * scenario.c — the scenario language: a machine, cgroups, files and processes that map,
 * touch, read, fork and exit (the format is documented with examples in README.md).
 *
 *   text ──scen_parse──> ops[] (every line checked: unknown directive, bad size, unbalanced
 *                              repeat/end all fail with "file:line: message" before anything runs)
 *        ──scen_run────> the ops applied to a struct km, in order, loops unrolled on the fly
 *
 * Values are sizes (4096, 4K, 1.5M, 2G, 0x1000, 16p = pages), durations (10ms, 2s) or plain
 * integers. Names (processes, variables, files, cgroups) are [A-Za-z_][A-Za-z0-9_.-]{0,30}.
 * A variable is bound by mmap/sbrk to an address range; offsets in later operations are
 * relative to it. An operation that fails (ENOMEM, SIGSEGV, OOM kill) is logged as an event;
 * `expect=` on the line, or an `expect` line, turns outcomes into checks (exit status 1).
 */
#include "analysis/kmodel/kmodel.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOK   24
#define NAME_MAX_ 31
#define MAX_DEPTH 16
#define MAX_VARS  4096

enum op_kind {
    OP_SYSCTL,
    OP_CGROUP,
    OP_FILE,
    OP_PROCESS,
    OP_REPEAT,
    OP_END,
    OP_DROP_CACHES,
    OP_SLEEP,
    OP_PRINT,
    OP_EXPECT,
    OP_MMAP,
    OP_MUNMAP,
    OP_MPROTECT,
    OP_MADVISE,
    OP_MREMAP,
    OP_SBRK,
    OP_TOUCH,
    OP_READ,
    OP_FORK,
    OP_EXIT,
    OP_ADJ
};

/* What an operation may be expected to do. */
enum { EXP_NONE = -1, EXP_OK = 0, EXP_KILLED = 10000, EXP_SEGV = 10001, EXP_BLOCKED = 10002 };

struct op {
    int kind, line;
    char proc[NAME_MAX_ + 1], a[NAME_MAX_ + 1], b[NAME_MAX_ + 1];
    uint64_t n[4];
    bool has[4];
    uint32_t flags;
    int iarg, expect, jump;
    char key[64];
    char cmp[3];
    double val;
    char text[128];
};

#define F_SHARED    0x1u
#define F_NORESERVE 0x2u
#define F_POPULATE  0x4u
#define F_FIXED     0x8u
#define F_HUGE      0x10u
#define F_NOHUGE    0x20u
#define F_HINT      0x40u
#define F_EXITFAIL  0x80u /* mmap: the process exits when the mapping fails */

struct var {
    char name[NAME_MAX_ + 1];
    uint64_t addr, len;
};

struct scen {
    char file[256];
    struct km_config cfg;
    struct op *ops;
    size_t nops, cap;
    struct var vars[MAX_VARS];
    int nvars;
    int expect_failures;
};

const struct km_config *scen_config(const struct scen *s)
{
    return &s->cfg;
}

void scen_free(struct scen *s)
{
    if (s == NULL)
        return;
    free(s->ops);
    free(s);
}

/* ---- Lexical helpers ---------------------------------------------------------------------- */

static bool valid_name(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > NAME_MAX_)
        return false;
    if (!((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z') || t[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* A size: decimal (with an optional fraction) or hex, then K M G T (binary) or p (pages). */
static bool parse_size(const char *t, uint64_t *out)
{
    if (*t == '\0')
        return false;
    const char *p = t;
    uint64_t v = 0;
    double frac = 0, scale = 1;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
        if (!*p)
            return false;
        int digits = 0;
        for (; *p; p++, digits++) {
            int d;
            if (*p >= '0' && *p <= '9')
                d = *p - '0';
            else if (*p >= 'a' && *p <= 'f')
                d = *p - 'a' + 10;
            else if (*p >= 'A' && *p <= 'F')
                d = *p - 'A' + 10;
            else
                break;
            if (v >> 60)
                return false;
            v = v * 16 + (uint64_t)d;
        }
        if (!digits)
            return false;
    } else {
        if (!(*p >= '0' && *p <= '9'))
            return false;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (v > (UINT64_MAX - 9) / 10)
                return false;
            v = v * 10 + (uint64_t)(*p - '0');
        }
        if (*p == '.') {
            p++;
            if (!(*p >= '0' && *p <= '9'))
                return false;
            for (; *p >= '0' && *p <= '9'; p++) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
        }
    }
    uint64_t mul = 1;
    switch (*p) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mul = 1ULL << 10;
        p++;
        break;
    case 'm':
    case 'M':
        mul = 1ULL << 20;
        p++;
        break;
    case 'g':
    case 'G':
        mul = 1ULL << 30;
        p++;
        break;
    case 't':
    case 'T':
        mul = 1ULL << 40;
        p++;
        break;
    case 'p':
    case 'P':
        mul = KM_PAGE_SIZE;
        p++;
        break;
    default:
        return false;
    }
    if (mul != 1 && mul != KM_PAGE_SIZE && (*p == 'i' || *p == 'I'))
        p++;
    if (mul != 1 && (*p == 'b' || *p == 'B'))
        p++;
    if (*p != '\0')
        return false;
    if (frac != 0 && mul == 1)
        return false;
    if (mul > 1 && v > UINT64_MAX / mul)
        return false;
    double f = frac * (double)mul;
    uint64_t r = v * mul;
    if (r > UINT64_MAX - (uint64_t)f)
        return false;
    *out = r + (uint64_t)f;
    return true;
}

static bool parse_int(const char *t, int64_t lo, int64_t hi, int64_t *out)
{
    bool neg = false;
    if (*t == '-') {
        neg = true;
        t++;
    } else if (*t == '+') {
        t++;
    }
    uint64_t v;
    if (!parse_size(t, &v) || v > (uint64_t)INT64_MAX)
        return false;
    int64_t x = neg ? -(int64_t)v : (int64_t)v;
    if (x < lo || x > hi)
        return false;
    *out = x;
    return true;
}

/* A duration: number with ns, us, ms or s. */
static bool parse_duration(const char *t, uint64_t *ns)
{
    char buf[64];
    size_t n = strlen(t);
    if (n == 0 || n >= sizeof(buf))
        return false;
    uint64_t mul;
    size_t cut;
    if (n > 2 && strcmp(t + n - 2, "ns") == 0)
        mul = 1, cut = 2;
    else if (n > 2 && strcmp(t + n - 2, "us") == 0)
        mul = 1000, cut = 2;
    else if (n > 2 && strcmp(t + n - 2, "ms") == 0)
        mul = 1000000, cut = 2;
    else if (n > 1 && t[n - 1] == 's')
        mul = 1000000000, cut = 1;
    else
        return false;
    memcpy(buf, t, n - cut);
    buf[n - cut] = '\0';
    uint64_t v;
    if (!parse_size(buf, &v) || strpbrk(buf, "kKmMgGtTpPxX") != NULL)
        return false;
    if (v > UINT64_MAX / mul)
        return false;
    *ns = v * mul;
    return true;
}

static const char *value_of(const char *tok, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(tok, key, n) == 0 && tok[n] == '=')
        return tok + n + 1;
    return NULL;
}

/* ---- Parser ---------------------------------------------------------------------------- */

struct pctx {
    struct scen *s;
    int line;
    char *err;
    size_t errlen;
    bool started; /* a process or runtime op was seen: machine keys are fixed */
};

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        char m_[256];                                                                              \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                                                     \
        snprintf(c->err, c->errlen, "%s:%d: %s", c->s->file, c->line, m_);                         \
        return -1;                                                                                 \
    } while (0)

static struct op *new_op(struct pctx *c, int kind)
{
    struct scen *s = c->s;
    if (s->nops == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        if (cap > 1000000)
            return NULL;
        struct op *n = realloc(s->ops, cap * sizeof(*n));
        if (n == NULL)
            return NULL;
        s->ops = n;
        s->cap = cap;
    }
    struct op *o = &s->ops[s->nops++];
    memset(o, 0, sizeof(*o));
    o->kind = kind;
    o->line = c->line;
    o->expect = EXP_NONE;
    o->jump = -1;
    return o;
}

/* Machine keys: the configuration before the first process. */
static int machine_key(struct pctx *c, const char *tok)
{
    struct km_config *cfg = &c->s->cfg;
    const char *v;
    uint64_t u;
    int64_t i;
    if ((v = value_of(tok, "ram"))) {
        if (!parse_size(v, &u) || u < (64ULL << 20) || u > (16ULL << 40))
            FAIL("bad ram size '%s' (64M..16T)", v);
        cfg->ram_bytes = u;
    } else if ((v = value_of(tok, "cpus"))) {
        if (!parse_int(v, 1, KM_MAX_CPUS, &i))
            FAIL("bad cpus '%s' (1..%d)", v, KM_MAX_CPUS);
        cfg->ncpus = (int)i;
    } else if ((v = value_of(tok, "swap"))) {
        if (!parse_size(v, &u) || u > (16ULL << 40))
            FAIL("bad swap size '%s'", v);
        cfg->swap_bytes = u;
    } else if ((v = value_of(tok, "kernel"))) {
        if (!parse_size(v, &u) || u > (16ULL << 40))
            FAIL("bad kernel size '%s'", v);
        cfg->kernel_bytes = u;
    } else if ((v = value_of(tok, "seed"))) {
        if (!parse_size(v, &u))
            FAIL("bad seed '%s'", v);
        cfg->seed = u;
    } else if ((v = value_of(tok, "pti"))) {
        if (!parse_int(v, 0, 1, &i))
            FAIL("bad pti '%s' (0 or 1)", v);
        cfg->pgd_pages = (int)i + 1;
    } else if ((v = value_of(tok, "shuffle"))) {
        if (!parse_int(v, 0, 1, &i))
            FAIL("bad shuffle '%s' (0 or 1)", v);
        cfg->shuffle = i != 0;
    } else if ((v = value_of(tok, "hugepages"))) {
        if (!parse_int(v, 0, 1 << 24, &i))
            FAIL("bad hugepages '%s'", v);
        cfg->nr_hugepages = (uint64_t)i;
    } else if ((v = value_of(tok, "stats_flush_ms"))) {
        if (!parse_int(v, 0, 3600000, &i))
            FAIL("bad stats_flush_ms '%s' (0..3600000)", v);
        cfg->stats_flush_ms = (int)i;
    } else if ((v = value_of(tok, "committed_base"))) {
        if (!parse_size(v, &u) || u > (1ULL << 50))
            FAIL("bad committed_base '%s'", v);
        cfg->committed_base_pages = u >> KM_PAGE_SHIFT;
    } else if ((v = value_of(tok, "zone.dma")) || (v = value_of(tok, "zone.dma32")) ||
               (v = value_of(tok, "zone.normal"))) {
        int z = strncmp(tok, "zone.dma=", 9) == 0      ? KM_ZONE_DMA
                : strncmp(tok, "zone.dma32=", 11) == 0 ? KM_ZONE_DMA32
                                                       : KM_ZONE_NORMAL;
        if (!parse_int(v, 0, 1LL << 32, &i))
            FAIL("bad managed page count '%s'", v);
        cfg->zone_managed[z] = (uint64_t)i;
        cfg->zone_managed_set[z] = true;
    } else {
        FAIL("unknown machine key '%s'", tok);
    }
    return 0;
}

/* A sysctl key=value: applied to the config before the first process, as an op after. */
static int sysctl_key(struct pctx *c, const char *tok, struct km_config *cfg)
{
    const char *eq = strchr(tok, '=');
    if (eq == NULL)
        FAIL("expected NAME=VALUE, got '%s'", tok);
    char key[64];
    size_t kl = (size_t)(eq - tok);
    if (kl >= sizeof(key))
        FAIL("sysctl name too long");
    memcpy(key, tok, kl);
    key[kl] = '\0';
    const char *v = eq + 1;
    const char *k = strncmp(key, "vm.", 3) == 0 ? key + 3 : key;
    int64_t i;
    uint64_t u;
    if (strcmp(k, "overcommit_memory") == 0) {
        if (!parse_int(v, 0, 2, &i))
            FAIL("bad vm.overcommit_memory '%s' (0, 1 or 2)", v);
        cfg->overcommit_memory = (int)i;
    } else if (strcmp(k, "overcommit_ratio") == 0) {
        if (!parse_int(v, 0, 100000, &i))
            FAIL("bad vm.overcommit_ratio '%s'", v);
        cfg->overcommit_ratio = (int)i;
    } else if (strcmp(k, "overcommit_kbytes") == 0) {
        if (!parse_size(v, &u) || u > (1ULL << 50))
            FAIL("bad vm.overcommit_kbytes '%s'", v);
        cfg->overcommit_kbytes = u;
    } else if (strcmp(k, "swappiness") == 0) {
        if (!parse_int(v, 0, 200, &i))
            FAIL("bad vm.swappiness '%s' (0..200)", v);
        cfg->swappiness = (int)i;
    } else if (strcmp(k, "page-cluster") == 0 || strcmp(k, "page_cluster") == 0) {
        if (!parse_int(v, 0, 31, &i))
            FAIL("bad vm.page-cluster '%s'", v);
        cfg->page_cluster = (int)i;
    } else if (strcmp(k, "min_free_kbytes") == 0) {
        if (!parse_int(v, 0, 1LL << 40, &i))
            FAIL("bad vm.min_free_kbytes '%s'", v);
        cfg->min_free_kbytes = i;
    } else if (strcmp(k, "watermark_scale_factor") == 0) {
        if (!parse_int(v, 1, 3000, &i))
            FAIL("bad vm.watermark_scale_factor '%s' (1..3000)", v);
        cfg->watermark_scale_factor = (int)i;
    } else if (strcmp(k, "watermark_boost_factor") == 0) {
        if (!parse_int(v, 0, 1 << 30, &i))
            FAIL("bad vm.watermark_boost_factor '%s'", v);
        cfg->watermark_boost_factor = (int)i;
    } else if (strcmp(k, "user_reserve_kbytes") == 0) {
        if (!parse_int(v, 0, 1LL << 40, &i))
            FAIL("bad vm.user_reserve_kbytes '%s'", v);
        cfg->user_reserve_kbytes = i;
    } else if (strcmp(k, "admin_reserve_kbytes") == 0) {
        if (!parse_int(v, 0, 1LL << 40, &i))
            FAIL("bad vm.admin_reserve_kbytes '%s'", v);
        cfg->admin_reserve_kbytes = i;
    } else if (strcmp(k, "max_map_count") == 0) {
        if (!parse_int(v, 1, 1 << 30, &i))
            FAIL("bad vm.max_map_count '%s'", v);
        cfg->max_map_count = (int)i;
    } else if (strcmp(k, "oom_kill_allocating_task") == 0) {
        if (!parse_int(v, 0, 1, &i))
            FAIL("bad vm.oom_kill_allocating_task '%s'", v);
        cfg->oom_kill_allocating_task = (int)i;
    } else if (strcmp(k, "extfrag_threshold") == 0) {
        if (!parse_int(v, 0, 1000, &i))
            FAIL("bad vm.extfrag_threshold '%s'", v);
        cfg->extfrag_threshold = (int)i;
    } else if (strcmp(k, "lowmem_reserve_ratio") == 0) {
        /* three values separated by commas: DMA,DMA32,Normal */
        int64_t r[3];
        char buf[64];
        snprintf(buf, sizeof(buf), "%s", v);
        char *save = NULL, *t = strtok_r(buf, ",", &save);
        for (int z = 0; z < 3; z++) {
            if (t == NULL || !parse_int(t, 0, 1 << 30, &r[z]))
                FAIL("bad vm.lowmem_reserve_ratio '%s' (three numbers: DMA,DMA32,Normal)", v);
            t = strtok_r(NULL, ",", &save);
        }
        if (t != NULL)
            FAIL("bad vm.lowmem_reserve_ratio '%s' (three numbers)", v);
        for (int z = 0; z < 3; z++)
            cfg->lowmem_reserve_ratio[z] = (int)r[z];
    } else if (strcmp(key, "thp") == 0 || strcmp(key, "transparent_hugepage") == 0 ||
               strcmp(key, "thp.defrag") == 0) {
        enum km_thp t;
        if (strcmp(v, "always") == 0)
            t = KM_THP_ALWAYS;
        else if (strcmp(v, "madvise") == 0)
            t = KM_THP_MADVISE;
        else if (strcmp(v, "never") == 0)
            t = KM_THP_NEVER;
        else
            FAIL("bad THP mode '%s' (always, madvise or never)", v);
        if (strcmp(key, "thp.defrag") == 0)
            cfg->thp_defrag = t;
        else
            cfg->thp = t;
    } else {
        FAIL("unknown sysctl '%s'", key);
    }
    return 0;
}

static int parse_expect_opt(struct pctx *c, const char *v, int *out)
{
    if (strcmp(v, "ok") == 0)
        *out = EXP_OK;
    else if (strcmp(v, "ENOMEM") == 0)
        *out = ENOMEM;
    else if (strcmp(v, "EINVAL") == 0)
        *out = EINVAL;
    else if (strcmp(v, "EFAULT") == 0)
        *out = EFAULT;
    else if (strcmp(v, "SIGSEGV") == 0)
        *out = EXP_SEGV;
    else if (strcmp(v, "killed") == 0)
        *out = EXP_KILLED;
    else if (strcmp(v, "blocked") == 0)
        *out = EXP_BLOCKED;
    else
        FAIL("bad expect= value '%s' (ok, ENOMEM, EINVAL, EFAULT, SIGSEGV, killed, blocked)", v);
    return 0;
}

static int parse_prot(struct pctx *c, const char *v, int *out)
{
    int p = 0;
    if (strcmp(v, "none") == 0) {
        *out = 0;
        return 0;
    }
    for (const char *q = v; *q; q++) {
        if (*q == 'r')
            p |= KM_PROT_READ;
        else if (*q == 'w')
            p |= KM_PROT_WRITE;
        else if (*q == 'x')
            p |= KM_PROT_EXEC;
        else
            FAIL("bad protection '%s' (r, w, x, or none)", v);
    }
    if (!*v)
        FAIL("empty protection");
    *out = p;
    return 0;
}

static int need_size(struct pctx *c, const char *t, const char *what, uint64_t *out)
{
    if (t == NULL)
        FAIL("missing %s", what);
    if (!parse_size(t, out))
        FAIL("bad %s '%s'", what, t);
    return 0;
}

static int need_name(struct pctx *c, const char *t, const char *what, char *out)
{
    if (t == NULL)
        FAIL("missing %s", what);
    if (!valid_name(t))
        FAIL("bad %s '%s'", what, t);
    snprintf(out, NAME_MAX_ + 1, "%s", t);
    return 0;
}

/* Optional [OFF [LEN]] after a variable. */
static int off_len(struct pctx *c, struct op *o, char **tok, int ntok, int *k)
{
    (void)c;
    for (int slot = 0; slot < 2 && *k < ntok && strchr(tok[*k], '=') == NULL; slot++) {
        uint64_t v;
        if (!parse_size(tok[*k], &v))
            return 0; /* not a number: the caller's next positional argument */
        o->n[slot] = v;
        o->has[slot] = true;
        (*k)++;
    }
    return 0;
}

static int parse_process_op(struct pctx *c, char **tok, int ntok)
{
    const char *verb = tok[1];
    struct op *o = NULL;
    int k = 2;
#define NEW(kind)                                                                                  \
    do {                                                                                           \
        o = new_op(c, kind);                                                                       \
        if (o == NULL)                                                                             \
            FAIL("too many operations");                                                           \
        snprintf(o->proc, sizeof(o->proc), "%s", tok[0]);                                          \
    } while (0)
    if (strcmp(verb, "mmap") == 0) {
        NEW(OP_MMAP);
        if (need_name(c, k < ntok ? tok[k] : NULL, "variable name", o->a))
            return -1;
        k++;
        if (need_size(c, k < ntok ? tok[k] : NULL, "mapping size", &o->n[0]))
            return -1;
        k++;
        o->iarg = KM_PROT_READ | KM_PROT_WRITE;
        for (; k < ntok; k++) {
            const char *t = tok[k], *v;
            if (strcmp(t, "shared") == 0)
                o->flags |= F_SHARED;
            else if (strcmp(t, "noreserve") == 0)
                o->flags |= F_NORESERVE;
            else if (strcmp(t, "populate") == 0)
                o->flags |= F_POPULATE;
            else if (strcmp(t, "hugepage") == 0)
                o->flags |= F_HUGE;
            else if (strcmp(t, "nohugepage") == 0)
                o->flags |= F_NOHUGE;
            else if (strcmp(t, "exit-on-fail") == 0)
                o->flags |= F_EXITFAIL;
            else if ((v = value_of(t, "prot"))) {
                if (parse_prot(c, v, &o->iarg))
                    return -1;
            } else if ((v = value_of(t, "fixed"))) {
                if (need_size(c, v, "address", &o->n[1]))
                    return -1;
                o->flags |= F_FIXED;
            } else if ((v = value_of(t, "at"))) {
                if (need_size(c, v, "address", &o->n[1]))
                    return -1;
                o->flags |= F_HINT;
            } else if ((v = value_of(t, "align"))) {
                if (need_size(c, v, "alignment", &o->n[2]))
                    return -1;
                if (o->n[2] < KM_PAGE_SIZE || (o->n[2] & (o->n[2] - 1)) || o->n[2] > (1ULL << 40))
                    FAIL("alignment must be a power of two from 4K to 1T");
            } else if ((v = value_of(t, "file"))) {
                if (need_name(c, v, "file name", o->b))
                    return -1;
            } else if ((v = value_of(t, "offset"))) {
                if (need_size(c, v, "file offset", &o->n[3]))
                    return -1;
                if (o->n[3] & (KM_PAGE_SIZE - 1))
                    FAIL("file offset must be page aligned");
            } else if ((v = value_of(t, "expect"))) {
                if (parse_expect_opt(c, v, &o->expect))
                    return -1;
            } else {
                FAIL("unknown mmap option '%s'", t);
            }
        }
        return 0;
    }
    if (strcmp(verb, "munmap") == 0 || strcmp(verb, "mprotect") == 0 ||
        strcmp(verb, "madvise") == 0 || strcmp(verb, "touch") == 0) {
        int kind = verb[1] == 'u'   ? OP_MUNMAP
                   : verb[1] == 'p' ? OP_MPROTECT
                   : verb[1] == 'a' ? OP_MADVISE
                                    : OP_TOUCH;
        NEW(kind);
        if (need_name(c, k < ntok ? tok[k] : NULL, "variable name", o->a))
            return -1;
        k++;
        off_len(c, o, tok, ntok, &k);
        o->n[2] = KM_PAGE_SIZE; /* stride */
        o->n[3] = 1;            /* bytes written per page (memset time) */
        bool have_mode = kind == OP_MUNMAP;
        for (; k < ntok; k++) {
            const char *t = tok[k], *v;
            if ((v = value_of(t, "expect"))) {
                if (parse_expect_opt(c, v, &o->expect))
                    return -1;
                continue;
            }
            if (kind == OP_TOUCH && (v = value_of(t, "stride"))) {
                if (need_size(c, v, "stride", &o->n[2]))
                    return -1;
                if (o->n[2] == 0 || o->n[2] > (1ULL << 40))
                    FAIL("stride must be 1..1T");
                continue;
            }
            if (kind == OP_TOUCH && (v = value_of(t, "bytes"))) {
                if (need_size(c, v, "bytes per page", &o->n[3]))
                    return -1;
                if (o->n[3] > KM_PAGE_SIZE)
                    FAIL("bytes per page must be at most 4096");
                continue;
            }
            if (have_mode)
                FAIL("unexpected '%s'", t);
            have_mode = true;
            if (kind == OP_MPROTECT) {
                if (parse_prot(c, t, &o->iarg))
                    return -1;
            } else if (kind == OP_MADVISE) {
                static const char *const adv[] = {"dontneed",   "free",           "hugepage",
                                                  "nohugepage", "willneed",       "pageout",
                                                  "cold",       "populate_write", "populate_read"};
                static const int advv[] = {
                    KM_MADV_DONTNEED,   KM_MADV_FREE,           KM_MADV_HUGEPAGE,
                    KM_MADV_NOHUGEPAGE, KM_MADV_WILLNEED,       KM_MADV_PAGEOUT,
                    KM_MADV_COLD,       KM_MADV_POPULATE_WRITE, KM_MADV_POPULATE_READ};
                int found = -1;
                for (size_t a = 0; a < sizeof(adv) / sizeof(adv[0]); a++)
                    if (strcmp(t, adv[a]) == 0)
                        found = advv[a];
                if (found < 0)
                    FAIL("unknown madvise advice '%s'", t);
                o->iarg = found;
            } else {
                if (strcmp(t, "read") == 0)
                    o->iarg = 0;
                else if (strcmp(t, "write") == 0)
                    o->iarg = 1;
                else if (strcmp(t, "zero") == 0)
                    o->iarg = 2;
                else if (strcmp(t, "rw") == 0)
                    o->iarg = 3;
                else
                    FAIL("unknown touch mode '%s' (read, write, zero, rw)", t);
            }
        }
        if (!have_mode)
            FAIL("%s needs a %s", verb,
                 kind == OP_MPROTECT  ? "protection"
                 : kind == OP_MADVISE ? "advice"
                                      : "mode");
        return 0;
    }
    if (strcmp(verb, "mremap") == 0) {
        NEW(OP_MREMAP);
        if (need_name(c, k < ntok ? tok[k] : NULL, "variable name", o->a))
            return -1;
        k++;
        if (need_size(c, k < ntok ? tok[k] : NULL, "new size", &o->n[0]))
            return -1;
        k++;
    } else if (strcmp(verb, "sbrk") == 0) {
        NEW(OP_SBRK);
        const char *t = k < ntok ? tok[k] : NULL;
        if (t == NULL)
            FAIL("missing sbrk increment");
        bool neg = t[0] == '-';
        if (!parse_size(neg || t[0] == '+' ? t + 1 : t, &o->n[0]))
            FAIL("bad sbrk increment '%s'", t);
        if (o->n[0] > (1ULL << 46))
            FAIL("sbrk increment too large");
        o->iarg = neg;
        k++;
        if (k < ntok && value_of(tok[k], "as")) {
            if (need_name(c, value_of(tok[k], "as"), "variable name", o->a))
                return -1;
            k++;
        }
    } else if (strcmp(verb, "read") == 0) {
        NEW(OP_READ);
        if (need_name(c, k < ntok ? tok[k] : NULL, "file name", o->a))
            return -1;
        k++;
        off_len(c, o, tok, ntok, &k);
    } else if (strcmp(verb, "fork") == 0) {
        NEW(OP_FORK);
        if (need_name(c, k < ntok ? tok[k] : NULL, "child name", o->a))
            return -1;
        k++;
    } else if (strcmp(verb, "exit") == 0) {
        NEW(OP_EXIT);
    } else if (strcmp(verb, "oom_score_adj") == 0) {
        NEW(OP_ADJ);
        int64_t v;
        if (k >= ntok || !parse_int(tok[k], -1000, 1000, &v))
            FAIL("oom_score_adj needs a value in -1000..1000");
        o->n[0] = (uint64_t)v;
        k++;
    } else {
        FAIL("unknown directive '%s %s'", tok[0], verb);
    }
    for (; k < ntok; k++) {
        const char *v = value_of(tok[k], "expect");
        if (v == NULL)
            FAIL("unexpected '%s'", tok[k]);
        if (parse_expect_opt(c, v, &o->expect))
            return -1;
    }
    return 0;
#undef NEW
}

static int parse_line(struct pctx *c, char **tok, int ntok, int *depth, int *stack)
{
    struct scen *s = c->s;
    const char *d = tok[0];
    struct op *o;
    if (strcmp(d, "machine") == 0) {
        if (c->started)
            FAIL("machine must come before any process or operation");
        for (int k = 1; k < ntok; k++)
            if (machine_key(c, tok[k]))
                return -1;
        return 0;
    }
    if (strcmp(d, "sysctl") == 0) {
        if (ntok < 2)
            FAIL("sysctl needs NAME=VALUE");
        for (int k = 1; k < ntok; k++) {
            if (!c->started) {
                if (sysctl_key(c, tok[k], &s->cfg))
                    return -1;
                continue;
            }
            struct km_config scratch = s->cfg;
            if (sysctl_key(c, tok[k], &scratch))
                return -1;
            o = new_op(c, OP_SYSCTL);
            if (o == NULL)
                FAIL("too many operations");
            snprintf(o->text, sizeof(o->text), "%s", tok[k]);
        }
        return 0;
    }
    c->started = true;
    if (strcmp(d, "cgroup") == 0) {
        o = new_op(c, OP_CGROUP);
        if (o == NULL)
            FAIL("too many operations");
        if (need_name(c, ntok > 1 ? tok[1] : NULL, "cgroup name", o->a))
            return -1;
        o->n[0] = o->n[1] = UINT64_MAX;
        o->iarg = -1;
        o->flags = 0;
        for (int k = 2; k < ntok; k++) {
            const char *v;
            int64_t i;
            if ((v = value_of(tok[k], "limit")) || (v = value_of(tok[k], "memsw"))) {
                int slot = tok[k][0] == 'l' ? 0 : 1;
                if (strcmp(v, "max") == 0 || strcmp(v, "-1") == 0)
                    o->n[slot] = UINT64_MAX - 1;
                else if (!parse_size(v, &o->n[slot]) || o->n[slot] >= (1ULL << 52))
                    FAIL("bad %s '%s'", slot ? "memsw limit" : "limit", v);
            } else if ((v = value_of(tok[k], "swappiness"))) {
                if (!parse_int(v, 0, 200, &i))
                    FAIL("bad swappiness '%s' (0..200)", v);
                o->iarg = (int)i;
            } else if ((v = value_of(tok[k], "oom_kill_disable"))) {
                if (!parse_int(v, 0, 1, &i))
                    FAIL("bad oom_kill_disable '%s'", v);
                o->flags = 1u | ((unsigned)i << 1);
            } else {
                FAIL("unknown cgroup option '%s'", tok[k]);
            }
        }
        return 0;
    }
    if (strcmp(d, "file") == 0) {
        o = new_op(c, OP_FILE);
        if (o == NULL)
            FAIL("too many operations");
        if (need_name(c, ntok > 1 ? tok[1] : NULL, "file name", o->a))
            return -1;
        if (need_size(c, ntok > 2 ? tok[2] : NULL, "file size", &o->n[0]))
            return -1;
        if (o->n[0] == 0 || o->n[0] > (1ULL << 44))
            FAIL("file size must be 1..16T");
        if (ntok > 3)
            FAIL("unexpected '%s'", tok[3]);
        return 0;
    }
    if (strcmp(d, "process") == 0) {
        o = new_op(c, OP_PROCESS);
        if (o == NULL)
            FAIL("too many operations");
        if (need_name(c, ntok > 1 ? tok[1] : NULL, "process name", o->a))
            return -1;
        o->iarg = -1;
        for (int k = 2; k < ntok; k++) {
            const char *v;
            int64_t i;
            if ((v = value_of(tok[k], "cgroup"))) {
                if (need_name(c, v, "cgroup name", o->b))
                    return -1;
            } else if ((v = value_of(tok[k], "oom_score_adj"))) {
                if (!parse_int(v, -1000, 1000, &i))
                    FAIL("bad oom_score_adj '%s' (-1000..1000)", v);
                o->n[0] = (uint64_t)i;
                o->has[0] = true;
            } else if ((v = value_of(tok[k], "cpu"))) {
                if (!parse_int(v, 0, KM_MAX_CPUS - 1, &i))
                    FAIL("bad cpu '%s'", v);
                o->iarg = (int)i;
            } else {
                FAIL("unknown process option '%s'", tok[k]);
            }
        }
        return 0;
    }
    if (strcmp(d, "repeat") == 0) {
        int64_t n;
        if (ntok != 2 || !parse_int(tok[1], 0, 1000000000, &n))
            FAIL("repeat needs a count 0..1000000000");
        if (*depth >= MAX_DEPTH)
            FAIL("repeat nested too deeply (max %d)", MAX_DEPTH);
        o = new_op(c, OP_REPEAT);
        if (o == NULL)
            FAIL("too many operations");
        o->n[0] = (uint64_t)n;
        stack[(*depth)++] = (int)(s->nops - 1);
        return 0;
    }
    if (strcmp(d, "end") == 0) {
        if (ntok != 1)
            FAIL("unexpected '%s' after end", tok[1]);
        if (*depth == 0)
            FAIL("end without repeat");
        o = new_op(c, OP_END);
        if (o == NULL)
            FAIL("too many operations");
        int start = stack[--(*depth)];
        o->jump = start;
        s->ops[start].jump = (int)(s->nops - 1);
        return 0;
    }
    if (strcmp(d, "drop_caches") == 0) {
        if (ntok != 1)
            FAIL("unexpected '%s'", tok[1]);
        return new_op(c, OP_DROP_CACHES) ? 0 : -1;
    }
    if (strcmp(d, "sleep") == 0) {
        o = new_op(c, OP_SLEEP);
        if (o == NULL)
            FAIL("too many operations");
        if (ntok != 2 || !parse_duration(tok[1], &o->n[0]))
            FAIL("sleep needs a duration (e.g. 100ms)");
        return 0;
    }
    if (strcmp(d, "print") == 0) {
        o = new_op(c, OP_PRINT);
        if (o == NULL)
            FAIL("too many operations");
        unsigned what = 0;
        static const char *const names[] = {"vmstat", "meminfo", "procs", "buddyinfo", "slabinfo",
                                            "frag",   "zones",   "memcg", "time",      "all"};
        static const unsigned bits[] = {KM_OUT_VMSTAT, KM_OUT_MEMINFO, KM_OUT_PROCS, KM_OUT_BUDDY,
                                        KM_OUT_SLAB,   KM_OUT_FRAG,    KM_OUT_ZONES, KM_OUT_MEMCG,
                                        KM_OUT_TIME,   KM_OUT_ALL};
        for (int k = 1; k < ntok; k++) {
            bool ok = false;
            for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(tok[k], names[i]) == 0) {
                    what |= bits[i];
                    ok = true;
                }
            if (!ok)
                FAIL("unknown print section '%s'", tok[k]);
        }
        o->flags = what ? what : KM_OUT_ALL;
        return 0;
    }
    if (strcmp(d, "expect") == 0) {
        o = new_op(c, OP_EXPECT);
        if (o == NULL)
            FAIL("too many operations");
        if (ntok != 4)
            FAIL("expect needs KEY OP VALUE");
        if (strlen(tok[1]) >= sizeof(o->key))
            FAIL("expect key too long");
        snprintf(o->key, sizeof(o->key), "%s", tok[1]);
        static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
        bool ok = false;
        for (size_t i = 0; i < 6; i++)
            if (strcmp(tok[2], ops[i]) == 0)
                ok = true;
        if (!ok)
            FAIL("bad comparison '%s' (== != < <= > >=)", tok[2]);
        snprintf(o->cmp, sizeof(o->cmp), "%s", tok[2]);
        int64_t iv;
        uint64_t uv;
        if (parse_size(tok[3], &uv))
            o->val = (double)uv;
        else if (parse_int(tok[3], INT64_MIN / 2, INT64_MAX / 2, &iv))
            o->val = (double)iv;
        else
            FAIL("bad expected value '%s'", tok[3]);
        return 0;
    }
    if (ntok >= 2 && valid_name(d))
        return parse_process_op(c, tok, ntok);
    FAIL("unknown directive '%s'", d);
}

struct scen *scen_parse(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
    struct scen *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    snprintf(s->file, sizeof(s->file), "%s", name);
    km_config_default(&s->cfg);
    struct pctx c = {.s = s, .line = 0, .err = err, .errlen = errlen};
    int depth = 0, stack[MAX_DEPTH];
    size_t pos = 0;
    char buf[4097];
    while (pos < len) {
        c.line++;
        size_t e = pos;
        while (e < len && text[e] != '\n')
            e++;
        size_t n = e - pos;
        if (n >= sizeof(buf)) {
            snprintf(err, errlen, "%s:%d: line longer than 4096 bytes", name, c.line);
            scen_free(s);
            return NULL;
        }
        memcpy(buf, text + pos, n);
        buf[n] = '\0';
        pos = e + 1;
        if (memchr(buf, '\0', n) != NULL) {
            snprintf(err, errlen, "%s:%d: NUL byte in line", name, c.line);
            scen_free(s);
            return NULL;
        }
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = '\0';
        char *tok[MAX_TOK];
        int ntok = 0;
        char *save = NULL;
        for (char *t = strtok_r(buf, " \t\r\f\v", &save); t;
             t = strtok_r(NULL, " \t\r\f\v", &save)) {
            if (ntok == MAX_TOK) {
                snprintf(err, errlen, "%s:%d: too many words on one line", name, c.line);
                scen_free(s);
                return NULL;
            }
            tok[ntok++] = t;
        }
        if (ntok == 0)
            continue;
        if (parse_line(&c, tok, ntok, &depth, stack) != 0) {
            scen_free(s);
            return NULL;
        }
    }
    if (depth) {
        snprintf(err, errlen, "%s:%d: repeat without end", name, s->ops[stack[depth - 1]].line);
        scen_free(s);
        return NULL;
    }
    return s;
}

static int override(struct pctx *c, const char *kv);

int scen_override(struct scen *s, const char *kv, char *err, size_t errlen)
{
    struct pctx c = {.s = s, .line = 0, .err = err, .errlen = errlen};
    char saved[sizeof(s->file)];
    memcpy(saved, s->file, sizeof(saved));
    snprintf(s->file, sizeof(s->file), "%s", "--set");
    int rc = override(&c, kv);
    memcpy(s->file, saved, sizeof(saved));
    return rc;
}

static int override(struct pctx *c, const char *kv)
{
    struct scen *s = c->s;
    const char *eq = strchr(kv, '=');
    if (eq == NULL) {
        snprintf(c->err, c->errlen, "--set %s: expected KEY=VALUE", kv);
        return -1;
    }
    static const char *const machine_keys[] = {
        "ram",     "cpus",      "swap",           "kernel",   "seed",       "pti",
        "shuffle", "hugepages", "committed_base", "zone.dma", "zone.dma32", "zone.normal"};
    for (size_t i = 0; i < sizeof(machine_keys) / sizeof(machine_keys[0]); i++) {
        size_t n = strlen(machine_keys[i]);
        if (strncmp(kv, machine_keys[i], n) == 0 && kv[n] == '=')
            return machine_key(c, kv) ? -1 : 0;
    }
    return sysctl_key(c, kv, &s->cfg) ? -1 : 0;
}

/* ---- Runner ---------------------------------------------------------------------------- */

struct rctx {
    struct scen *s;
    struct km *km;
    const struct scen_opts *o;
    char *err;
    size_t errlen;
    int status;
};

#define RFAIL(op, ...)                                                                             \
    do {                                                                                           \
        char m_[256];                                                                              \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                                                     \
        snprintf(r->err, r->errlen, "%s:%d: %s", r->s->file, (op)->line, m_);                      \
        return 2;                                                                                  \
    } while (0)

static struct var *find_var(struct scen *s, const char *name)
{
    for (int i = 0; i < s->nvars; i++)
        if (strcmp(s->vars[i].name, name) == 0)
            return &s->vars[i];
    return NULL;
}

static int set_var(struct rctx *r, const struct op *op, const char *name, uint64_t addr,
                   uint64_t len)
{
    struct var *v = find_var(r->s, name);
    if (v == NULL) {
        if (r->s->nvars >= MAX_VARS)
            RFAIL(op, "too many variables (max %d)", MAX_VARS);
        v = &r->s->vars[r->s->nvars++];
        snprintf(v->name, sizeof(v->name), "%s", name);
    }
    v->addr = addr;
    v->len = len;
    return 0;
}

static const char *errname(int e)
{
    switch (e) {
    case 0:
        return "ok";
    case ENOMEM:
        return "ENOMEM";
    case EINVAL:
        return "EINVAL";
    case EFAULT:
        return "EFAULT";
    case EXP_SEGV:
        return "SIGSEGV";
    case EXP_KILLED:
        return "killed";
    case EXP_BLOCKED:
        return "blocked";
    default:
        return "error";
    }
}

/* Compare an outcome with expect=; log failures as events. */
static void outcome(struct rctx *r, const struct op *op, int got, const char *what)
{
    if (got != 0)
        km_event(r->km, "t=%.3fms %s:%d: %s %s: %s", (double)r->km->now_ns / 1e6, r->s->file,
                 op->line, op->proc, what, errname(got));
    if (op->expect != EXP_NONE && op->expect != got) {
        fprintf(r->o->diag ? r->o->diag : stderr,
                "%s:%d: expectation failed: %s %s gave %s, expected %s\n", r->s->file, op->line,
                op->proc, what, errname(got), errname(op->expect));
        r->s->expect_failures++;
    }
}

static int proc_outcome(struct km_mm *mm)
{
    if (mm->killed)
        return EXP_KILLED;
    if (mm->oom_blocked)
        return EXP_BLOCKED;
    return 0;
}

/* The range an op names: var [+off [len]]. */
static int op_range(struct rctx *r, const struct op *op, uint64_t *addr, uint64_t *len)
{
    struct var *v = find_var(r->s, op->a);
    if (v == NULL)
        RFAIL(op, "unknown variable '%s'", op->a);
    uint64_t off = op->has[0] ? op->n[0] : 0;
    if (off > v->len)
        RFAIL(op, "offset beyond the end of '%s'", op->a);
    uint64_t l = op->has[1] ? op->n[1] : v->len - off;
    if (l > v->len - off)
        RFAIL(op, "range beyond the end of '%s'", op->a);
    *addr = v->addr + off;
    *len = l;
    return 0;
}

static int run_expect(struct rctx *r, const struct op *op)
{
    struct km *km = r->km;
    double got;
    const char *k = op->key;
    bool found = false;
    if (strncmp(k, "vmstat.", 7) == 0) {
        for (int i = 0; i < KM_NR_VMSTAT; i++)
            if (strcmp(k + 7, km_vmstat_names[i]) == 0) {
                got = (double)km->vm[i];
                found = true;
            }
    } else if (strncmp(k, "meminfo.", 8) == 0) {
        const char *f = k + 8;
        uint64_t v = 0;
        found = true;
        if (strcmp(f, "MemFree") == 0)
            v = km_nr_free_pages(km) * 4;
        else if (strcmp(f, "Committed_AS") == 0)
            v = km->committed * 4;
        else if (strcmp(f, "CommitLimit") == 0)
            v = commit_limit(km) * 4;
        else if (strcmp(f, "PageTables") == 0)
            v = km->nr_pgtable_pages * 4;
        else if (strcmp(f, "AnonPages") == 0)
            v = km->nr_anon * 4;
        else if (strcmp(f, "Cached") == 0)
            v = km->nr_file * 4;
        else if (strcmp(f, "SwapFree") == 0)
            v = swap_free_pages(km) * 4;
        else if (strcmp(f, "Slab") == 0)
            v = (km->slab_recl_pages + km->slab_unrecl_pages) * 4;
        else
            found = false;
        got = (double)v;
    } else if (strncmp(k, "cgroup.", 7) == 0) {
        char name[NAME_MAX_ + 1];
        const char *dot = strchr(k + 7, '.');
        if (dot && (size_t)(dot - (k + 7)) <= NAME_MAX_) {
            memcpy(name, k + 7, (size_t)(dot - (k + 7)));
            name[dot - (k + 7)] = '\0';
            int cg = memcg_find(km, name);
            if (cg < 0)
                RFAIL(op, "unknown cgroup in '%s'", k);
            const struct km_memcg *m = &km->memcg[cg];
            const char *f = dot + 1;
            found = true;
            if (strcmp(f, "usage_kb") == 0)
                got = (double)m->usage * 4;
            else if (strcmp(f, "swap_kb") == 0)
                got = (double)m->swap * 4;
            else if (strcmp(f, "oom_kill") == 0)
                got = (double)m->oom_kill;
            else if (strcmp(f, "failcnt") == 0)
                got = (double)m->failcnt;
            else if (strcmp(f, "pgscan_anon") == 0)
                got = (double)m->pgscan[0];
            else if (strcmp(f, "pgscan_file") == 0)
                got = (double)m->pgscan[1];
            else if (strcmp(f, "pgsteal_anon") == 0)
                got = (double)m->pgsteal[0];
            else if (strcmp(f, "pgsteal_file") == 0)
                got = (double)m->pgsteal[1];
            else if (strcmp(f, "under_oom") == 0)
                got = m->under_oom;
            else
                found = false;
        }
    } else {
        char name[NAME_MAX_ + 1];
        const char *dot = strchr(k, '.');
        if (dot && (size_t)(dot - k) <= NAME_MAX_) {
            memcpy(name, k, (size_t)(dot - k));
            name[dot - k] = '\0';
            struct km_mm *mm = proc_find(km, name);
            if (mm == NULL)
                RFAIL(op, "unknown process in '%s'", k);
            const char *f = dot + 1;
            found = true;
            if (strcmp(f, "rss_kb") == 0)
                got = (double)proc_rss(mm) * 4;
            else if (strcmp(f, "anon_kb") == 0)
                got = (double)mm->counters[KM_MM_ANON] * 4;
            else if (strcmp(f, "swap_kb") == 0)
                got = (double)mm->counters[KM_MM_SWAPENTS] * 4;
            else if (strcmp(f, "pte_kb") == 0)
                got = (double)mm->pgtables_bytes / 1024;
            else if (strcmp(f, "minflt") == 0)
                got = (double)mm->minflt;
            else if (strcmp(f, "majflt") == 0)
                got = (double)mm->majflt;
            else if (strcmp(f, "perf_minflt") == 0)
                got = (double)mm->perf_minflt;
            else if (strcmp(f, "killed") == 0)
                got = mm->killed;
            else if (strcmp(f, "blocked") == 0)
                got = mm->oom_blocked;
            else if (strcmp(f, "vmsize_kb") == 0)
                got = (double)mm->total_vm * 4;
            else if (strcmp(f, "committed_kb") == 0)
                got = (double)mm->committed * 4;
            else if (strcmp(f, "map_count") == 0)
                got = (double)mm->nvma;
            else
                found = false;
        }
    }
    if (!found)
        RFAIL(op, "unknown expect key '%s'", k);
    double want = op->val;
    bool ok = strcmp(op->cmp, "==") == 0   ? got == want
              : strcmp(op->cmp, "!=") == 0 ? got != want
              : strcmp(op->cmp, "<") == 0  ? got < want
              : strcmp(op->cmp, "<=") == 0 ? got <= want
              : strcmp(op->cmp, ">") == 0  ? got > want
                                           : got >= want;
    if (!ok) {
        fprintf(r->o->diag ? r->o->diag : stderr,
                "%s:%d: expectation failed: %s = %.17g, expected %s %.17g\n", r->s->file, op->line,
                k, got, op->cmp, want);
        r->s->expect_failures++;
    }
    return 0;
}

static int run_op(struct rctx *r, struct op *op)
{
    struct km *km = r->km;
    struct km_mm *mm = NULL;
    if (op->kind >= OP_MMAP) {
        mm = proc_find(km, op->proc);
        if (mm == NULL)
            RFAIL(op, "unknown process '%s'", op->proc);
        if (mm->killed || mm->exited || mm->oom_blocked) {
            if (op->expect != EXP_NONE)
                outcome(r, op, proc_outcome(mm) ? proc_outcome(mm) : EXP_KILLED, "(not running)");
            return 0;
        }
        km->cur = mm;
        km->cur_cpu = mm->cpu;
        km->last_errno = 0;
    }
    switch (op->kind) {
    case OP_SYSCTL: {
        char e[256] = "";
        struct pctx c = {.s = r->s, .line = op->line, .err = e, .errlen = sizeof(e)};
        if (sysctl_key(&c, op->text, &km->cfg) != 0)
            RFAIL(op, "%s", e);
        km_sysctl_changed(km);
        break;
    }
    case OP_CGROUP: {
        int cg = memcg_find(km, op->a);
        if (cg < 0)
            cg = memcg_create(km, op->a);
        if (cg < 0)
            RFAIL(op, "too many cgroups (max %d)", KM_MAX_MEMCG - 1);
        struct km_memcg *m = &km->memcg[cg];
        if (op->n[0] != UINT64_MAX)
            m->limit = op->n[0] == UINT64_MAX - 1 ? UINT64_MAX : op->n[0] >> KM_PAGE_SHIFT;
        if (op->n[1] != UINT64_MAX)
            m->memsw_limit = op->n[1] == UINT64_MAX - 1 ? UINT64_MAX : op->n[1] >> KM_PAGE_SHIFT;
        if (m->memsw_limit < m->limit)
            RFAIL(op, "memsw limit below the memory limit (the kernel refuses it)");
        if (op->iarg >= 0)
            m->swappiness = op->iarg;
        if (op->flags & 1u)
            m->oom_kill_disable = (op->flags >> 1) & 1u;
        /* Lowering the limit below usage reclaims first (mem_cgroup_resize_max). */
        for (int i = 0; i < 16 && m->usage > m->limit; i++) {
            memcg_drain_stock(km, cg);
            reclaim_memcg(km, cg, m->usage - m->limit, true);
        }
        if (m->usage > m->limit)
            RFAIL(op, "cannot shrink cgroup '%s' below its usage (EBUSY)", op->a);
        break;
    }
    case OP_FILE:
        if (file_find(km, op->a) >= 0)
            RFAIL(op, "file '%s' already exists", op->a);
        if (file_create(km, op->a, op->n[0]) < 0)
            RFAIL(op, "cannot create file '%s' (max %d files)", op->a, KM_MAX_FILES);
        break;
    case OP_PROCESS: {
        if (proc_find(km, op->a) && !proc_find(km, op->a)->exited)
            RFAIL(op, "process '%s' already exists", op->a);
        int cg = 0;
        if (op->b[0]) {
            cg = memcg_find(km, op->b);
            if (cg < 0)
                RFAIL(op, "unknown cgroup '%s'", op->b);
        }
        if (km->nmm >= 4096)
            RFAIL(op, "too many processes (max 4096)");
        struct km_mm *p = proc_create(km, op->a, cg);
        if (p == NULL) {
            km_event(km, "%s:%d: process %s could not be created (out of memory)", r->s->file,
                     op->line, op->a);
            break;
        }
        if (op->has[0])
            p->oom_score_adj = (int)(int64_t)op->n[0];
        if (op->iarg >= 0)
            p->cpu = op->iarg % km->cfg.ncpus;
        break;
    }
    case OP_DROP_CACHES:
        reclaim_drop_caches(km);
        break;
    case OP_SLEEP:
        km->cur = NULL;
        if (op->n[0] > UINT64_MAX - km->now_ns)
            RFAIL(op, "sleep too long");
        km->now_ns += op->n[0];
        break;
    case OP_PRINT:
        if (!r->o->quiet)
            out_report(km, r->o->out, r->o->fmt, op->flags);
        break;
    case OP_EXPECT:
        return run_expect(r, op);
    case OP_MMAP: {
        int file = -1;
        if (op->b[0]) {
            file = file_find(km, op->b);
            if (file < 0)
                RFAIL(op, "unknown file '%s'", op->b);
        }
        unsigned flags = (op->flags & F_SHARED) ? KM_MAP_SHARED : KM_MAP_PRIVATE;
        if (file < 0)
            flags |= KM_MAP_ANON;
        if (op->flags & F_NORESERVE)
            flags |= KM_MAP_NORESERVE;
        if (op->flags & F_POPULATE)
            flags |= KM_MAP_POPULATE;
        uint64_t addr = (op->flags & (F_FIXED | F_HINT)) ? op->n[1] : 0;
        if (op->flags & F_FIXED)
            flags |= KM_MAP_FIXED;
        uint64_t len = op->n[0], align = op->n[2];
        int e = 0;
        uint64_t got;
        if (align > KM_PAGE_SIZE && !(op->flags & F_FIXED)) {
            /* The usual trick: map len + align, then trim both ends. */
            uint64_t big = ((len + KM_PAGE_SIZE - 1) & ~(KM_PAGE_SIZE - 1)) + align;
            got = vma_mmap(km, mm, addr, big, (unsigned)op->iarg, flags & ~KM_MAP_POPULATE, file,
                           op->n[3] >> KM_PAGE_SHIFT, &e);
            if (got) {
                uint64_t a = (got + align - 1) & ~(align - 1);
                uint64_t alen = (len + KM_PAGE_SIZE - 1) & ~(KM_PAGE_SIZE - 1);
                if (a > got)
                    vma_munmap(km, mm, got, a - got);
                if (got + big > a + alen)
                    vma_munmap(km, mm, a + alen, got + big - (a + alen));
                got = a;
                if (flags & KM_MAP_POPULATE) {
                    struct km_vma *v = vma_find(mm, got);
                    bool w = v && (v->flags & (KM_VM_WRITE | KM_VM_SHARED)) == KM_VM_WRITE;
                    fault_populate(km, mm, got, got + alen, w);
                }
            }
        } else {
            got = vma_mmap(km, mm, addr, len, (unsigned)op->iarg, flags, file,
                           op->n[3] >> KM_PAGE_SHIFT, &e);
        }
        if (got && (op->flags & (F_HUGE | F_NOHUGE)))
            vma_madvise(km, mm, got, len,
                        (op->flags & F_HUGE) ? KM_MADV_HUGEPAGE : KM_MADV_NOHUGEPAGE);
        if (got) {
            if (set_var(r, op, op->a, got, (len + KM_PAGE_SIZE - 1) & ~(KM_PAGE_SIZE - 1)))
                return 2;
        }
        int res = proc_outcome(mm) ? proc_outcome(mm) : got ? 0 : e;
        outcome(r, op, res, "mmap");
        /* A program whose malloc returned NULL gives up: its later operations are skipped. */
        if (res != 0 && (op->flags & F_EXITFAIL) && !mm->killed && !mm->exited)
            proc_exit(km, mm);
        break;
    }
    case OP_MUNMAP:
    case OP_MPROTECT:
    case OP_MADVISE:
    case OP_TOUCH: {
        uint64_t addr, len;
        if (op_range(r, op, &addr, &len))
            return 2;
        int res = 0;
        const char *what = "munmap";
        if (op->kind == OP_MUNMAP) {
            if (len)
                res = -vma_munmap(km, mm, addr, len);
        } else if (op->kind == OP_MPROTECT) {
            what = "mprotect";
            if (len)
                res = -vma_mprotect(km, mm, addr, len, (unsigned)op->iarg);
        } else if (op->kind == OP_MADVISE) {
            what = "madvise";
            if (len)
                res = -vma_madvise(km, mm, addr, len, (enum km_madv)op->iarg);
        } else {
            what = "touch";
            uint64_t stride = op->n[2];
            for (uint64_t off = 0; off < len && res == 0; off += stride) {
                int rr;
                if (op->iarg == 3) {
                    rr = fault_touch(km, mm, addr + off, KM_TOUCH_READ);
                    if (rr == 0)
                        rr = fault_touch(km, mm, addr + off, KM_TOUCH_WRITE);
                } else {
                    static const enum km_touch how[] = {KM_TOUCH_READ, KM_TOUCH_WRITE,
                                                        KM_TOUCH_WRITE_ZERO};
                    rr = fault_touch(km, mm, addr + off, how[op->iarg]);
                }
                if (rr != 0)
                    res = mm->killed || mm->oom_blocked ? proc_outcome(mm)
                          : km->last_errno == EFAULT    ? EXP_SEGV
                                                        : ENOMEM;
                if (op->n[3] > 1 && op->iarg != 0) {
                    double gbps = km->calib.v[KM_COST_MEMSET_GBPS];
                    proc_charge_time(km, (uint64_t)((double)op->n[3] / gbps));
                }
                if (km->kswapd.awake)
                    kswapd_catch_up(km);
                if (km->series.f && km->now_ns >= km->series.next_ns)
                    out_series_sample(km);
                if (r->o->max_events && km->events > r->o->max_events) {
                    km->budget_exceeded = true;
                    return 0;
                }
                if (stride > len)
                    break;
            }
            if (res == EXP_SEGV && !mm->killed) {
                /* The process dies of the signal. */
                proc_exit(km, mm);
                mm->killed = false;
            }
        }
        if (proc_outcome(mm))
            res = proc_outcome(mm);
        outcome(r, op, res, what);
        break;
    }
    case OP_MREMAP: {
        struct var *v = find_var(r->s, op->a);
        if (v == NULL)
            RFAIL(op, "unknown variable '%s'", op->a);
        int e = 0;
        uint64_t got = vma_mremap(km, mm, v->addr, v->len, op->n[0], &e);
        if (got) {
            v->addr = got;
            v->len = (op->n[0] + KM_PAGE_SIZE - 1) & ~(KM_PAGE_SIZE - 1);
        }
        outcome(r, op, proc_outcome(mm) ? proc_outcome(mm) : got ? 0 : e, "mremap");
        break;
    }
    case OP_SBRK: {
        uint64_t old = mm->brk;
        uint64_t want = op->iarg ? (op->n[0] > old ? 0 : old - op->n[0]) : old + op->n[0];
        uint64_t got = vma_brk(km, mm, want);
        int res = got == want ? 0 : ENOMEM;
        if (res == 0 && op->a[0] && !op->iarg) {
            if (set_var(r, op, op->a, old, op->n[0]))
                return 2;
        }
        outcome(r, op, proc_outcome(mm) ? proc_outcome(mm) : res, "sbrk");
        break;
    }
    case OP_READ: {
        int f = file_find(km, op->a);
        if (f < 0)
            RFAIL(op, "unknown file '%s'", op->a);
        uint64_t size = km->files[f].npages << KM_PAGE_SHIFT;
        uint64_t off = op->has[0] ? op->n[0] : 0;
        uint64_t len = op->has[1] ? op->n[1] : (off < size ? size - off : 0);
        if (off > size || len > size - off)
            RFAIL(op, "read beyond the end of file '%s'", op->a);
        int rr = file_read(km, mm, f, off, len);
        outcome(r, op, proc_outcome(mm) ? proc_outcome(mm) : rr ? ENOMEM : 0, "read");
        break;
    }
    case OP_FORK: {
        if (proc_find(km, op->a) && !proc_find(km, op->a)->exited)
            RFAIL(op, "process '%s' already exists", op->a);
        if (km->nmm >= 4096)
            RFAIL(op, "too many processes (max 4096)");
        struct km_mm *child = proc_fork(km, mm, op->a);
        outcome(r, op, proc_outcome(mm) ? proc_outcome(mm) : child ? 0 : ENOMEM, "fork");
        break;
    }
    case OP_EXIT:
        proc_exit(km, mm);
        break;
    case OP_ADJ:
        mm->oom_score_adj = (int)(int64_t)op->n[0];
        break;
    default:
        break;
    }
    return 0;
}

int scen_run(struct scen *s, struct km *km, const struct scen_opts *o, char *err, size_t errlen)
{
    struct rctx r = {.s = s, .km = km, .o = o, .err = err, .errlen = errlen};
    uint64_t counters[MAX_DEPTH * 4] = {0};
    int depth = 0;
    int loop_at[MAX_DEPTH * 4];
    uint64_t executed = 0;
    s->nvars = 0;
    s->expect_failures = 0;
    for (size_t pc = 0; pc < s->nops; pc++) {
        struct op *op = &s->ops[pc];
        if (op->kind == OP_REPEAT) {
            if (op->n[0] == 0) {
                pc = (size_t)op->jump;
                continue;
            }
            loop_at[depth] = (int)pc;
            counters[depth++] = op->n[0];
            continue;
        }
        if (op->kind == OP_END) {
            if (--counters[depth - 1] > 0) {
                pc = (size_t)loop_at[depth - 1];
                continue;
            }
            depth--;
            continue;
        }
        int rc = run_op(&r, op);
        km_after_op(km);
        if (rc)
            return rc;
        if (km->budget_exceeded || (o->max_ops && ++executed > o->max_ops))
            break;
    }
    return s->expect_failures ? 1 : 0;
}
