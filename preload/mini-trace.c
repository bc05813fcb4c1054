/*
 * mini-trace — read libmini allocation traces (MINI_TRACE=FILE; format in TRACE-FORMAT.md).
 *
 *   mini-trace dump [--raw] FILE        one line per record (global order; --raw: file order)
 *   mini-trace stats [--window] FILE    calls per op and per size class, OS calls, peak live
 *                                       bytes, lifetimes (--window: only between the marks 1
 *                                       and 2 that mini-trace replay writes)
 *   mini-trace replay [--strict] [--no-write] [--max-threads N] [--free-at-end] [--name NAME]
 *                     FILE              drive the allocator mini-trace runs under through the
 *                                       trace's calls, in its threads (replay.c); FILE is a
 *                                       trace or a plan; reports to MINI_BENCH_SHM when set
 *   mini-trace plan [--max-threads N] TRACE OUT
 *                                       write the replay's plan of TRACE to OUT: replaying it
 *                                       streams the calls (the benchmark's trace workloads)
 *   mini-trace export FILE              the calls as the kernel model's text trace ("Input 2" of
 *                                       analysis/kmodel/README.md: m/c/a/r/f/t lines, @TID)
 *
 * A truncated or corrupt trace gets one line, "mini-trace: FILE: byte OFFSET: what", and exit
 * status 2; so does a bad command line (with the usage). Live bytes are bytes the program asked
 * for (allocator-independent); a realloc changes them at its record.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "preload/mini_trace.h"
#include "preload/trace_export.h"

static const char usage[] =
    "usage: mini-trace dump [--raw] FILE\n"
    "       mini-trace stats [--window] FILE\n"
    "       mini-trace replay [--strict] [--no-write] [--max-threads N] [--free-at-end]\n"
    "                         [--name NAME] FILE\n"
    "       mini-trace plan [--max-threads N] TRACE OUT\n"
    "       mini-trace export FILE\n"
    "Read a libmini allocation trace (MINI_TRACE=FILE). See preload/TRACE-FORMAT.md.\n";

static int bad_usage(const char *why, const char *what)
{
    fprintf(stderr, "mini-trace: %s%s%s\n%s", why, what ? ": " : "", what ? what : "", usage);
    return 2;
}

int mt_bad_trace(const char *path, const struct mtr_err *err)
{
    fflush(stdout);
    fprintf(stderr, "mini-trace: %s: byte %" PRIu64 ": %s\n", path, err->off, err->msg);
    return 2;
}

long mt_parse_count(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v <= 0)
        return -1;
    return v;
}

void mt_print_calls(FILE *f, const uint64_t counts[MT_NOPS])
{
    uint64_t total = 0;
    fputs("calls:", f);
    for (unsigned op = MINI_TR_MALLOC; op <= MINI_TR_MALLOPT; op++)
        if (counts[op]) {
            fprintf(f, " %s=%" PRIu64, mtr_op_name(op), counts[op]);
            total += counts[op];
        }
    fprintf(f, " total=%" PRIu64 "\n", total);
}

static void header_lines(const struct mtr_trace *t)
{
    const struct mini_trace_header *h = t->hdr;
    printf("trace: %s\n", t->path);
    printf("process: pid %u (parent %u) %s, libmini %.16s%s%s%s\n", h->pid, h->ppid,
           h->exe[0] ? h->exe : "?", h->libmini_version,
           (h->flags & MINI_TRACE_HF_COMPLETE) ? ", complete" : ", incomplete (no exit() seen)",
           (h->flags & MINI_TRACE_HF_CHILD) ? ", child of a traced fork" : "",
           (h->flags & MINI_TRACE_HF_LOST) ? ", RECORDS LOST" : "");
    uint64_t last = t->nev ? t->ev[t->nev - 1].key : h->start_ns;
    printf("records: %" PRIu64 " in %" PRIu64 " chunks (%" PRIu64
           " never written), %u threads, %.6f s\n",
           t->nrec, t->nchunks, t->zero_chunks, t->ntids, (double)(last - h->start_ns) * 1e-9);
    if (h->lost)
        printf("lost_records: %u\n", h->lost);
}

/* ---- dump ---------------------------------------------------------------------------- */

static void flags_text(const struct mini_trace_rec *r, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s%s%s%s", (r->flags & MINI_TR_F_NOTHROW) ? " nothrow" : "",
             (r->flags & MINI_TR_F_ALIGNED) ? " aligned" : "",
             (r->flags & MINI_TR_F_SIZED) ? " sized" : "",
             (r->flags & MINI_TR_F_FAILED) ? " FAILED" : "", "");
}

static void dump_rec(const struct mtr_trace *t, const struct mini_trace_rec *r)
{
    char name[32], fl[64], in[24] = "-", out[24] = "-", res[32] = "";
    snprintf(name, sizeof(name), "%s%s", mtr_op_name(r->op),
             (r->flags & MINI_TR_F_ARRAY) ? "[]" : "");
    flags_text(r, fl, sizeof(fl));
    if (r->in)
        snprintf(in, sizeof(in), "0x%" PRIx64, r->in);
    if (r->out)
        snprintf(out, sizeof(out), "0x%" PRIx64, r->out);
    if (r->result)
        snprintf(res, sizeof(res), " result=%d", r->result);
    if (r->op == MINI_TR_OS_SBRK)
        printf("%14.3f %7u %-16s %14" PRId64 " %12s %18s %18s%s%s\n",
               (double)(r->ts - t->hdr->start_ns) / 1e3, r->tid, name, (int64_t)r->size, "-", in,
               out, fl, res);
    else if (mtr_op_is_os(r->op) && r->op != MINI_TR_OS_MREMAP) /* prot, flags, advice */
        printf("%14.3f %7u %-16s %14" PRIu64 " %#12" PRIx64 " %18s %18s%s%s\n",
               (double)(r->ts - t->hdr->start_ns) / 1e3, r->tid, name, r->size, r->arg, in, out, fl,
               res);
    else
        printf("%14.3f %7u %-16s %14" PRIu64 " %12" PRIu64 " %18s %18s%s%s\n",
               (double)(r->ts - t->hdr->start_ns) / 1e3, r->tid, name, r->size, r->arg, in, out, fl,
               res);
}

static int cmd_dump(int argc, char **argv)
{
    bool raw = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--raw") == 0)
            raw = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return bad_usage("dump: unknown option", argv[i]);
        else if (path)
            return bad_usage("dump: more than one FILE", argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return bad_usage("dump: no FILE", NULL);
    struct mtr_trace t;
    struct mtr_err err;
    if (mtr_open(&t, path, &err) != 0)
        return mt_bad_trace(path, &err);
    header_lines(&t);
    printf("#%13s %7s %-16s %14s %12s %18s %18s flags\n", "time_us", "tid", "op", "size", "arg",
           "in", "out");
    if (raw) {
        for (uint64_t i = 0; i < t.nrec; i++)
            dump_rec(&t, t.rec[i]);
    } else {
        for (uint64_t e = 0; e < t.nev; e++)
            if (t.ev[e].kind == MTR_EV_RECORD)
                dump_rec(&t, t.rec[t.ev[e].rec]);
    }
    mtr_close(&t);
    return 0;
}

/* ---- stats --------------------------------------------------------------------------- */

/* Size classes of requests: 0, then [2^(k-1)+1, 2^k] for k = 4 (1..16) up to 2^40, then more. */
#define NCLASS 40
static unsigned size_class(uint64_t s)
{
    if (s == 0)
        return 0;
    if (s <= 16)
        return 1;
    unsigned k = 64u - (unsigned)__builtin_clzll(s - 1); /* 2^(k-1) < s <= 2^k */
    unsigned c = k - 3;
    return c < NCLASS - 1 ? c : NCLASS - 1;
}

static void class_name(unsigned c, char *buf, size_t n)
{
    if (c == 0)
        snprintf(buf, n, "0");
    else if (c == 1)
        snprintf(buf, n, "1-16");
    else if (c == NCLASS - 1)
        snprintf(buf, n, "> %" PRIu64, (uint64_t)1 << (NCLASS + 1));
    else
        snprintf(buf, n, "%" PRIu64 "-%" PRIu64, ((uint64_t)1 << (c + 2)) + 1,
                 (uint64_t)1 << (c + 3));
}

/* LSD radix sort of n values, 16 bits a pass. */
static void radix_sort(uint64_t *a, uint64_t n)
{
    uint64_t *tmp = mtr_mem_alloc(n * sizeof(*a));
    uint64_t *cnt = mtr_mem_alloc(65536 * sizeof(*cnt));
    if (!tmp || !cnt) {
        mtr_mem_free(tmp, n * sizeof(*a));
        mtr_mem_free(cnt, 65536 * sizeof(*cnt));
        return;
    }
    uint64_t *src = a, *dst = tmp;
    for (unsigned sh = 0; sh < 64; sh += 16) {
        memset(cnt, 0, 65536 * sizeof(*cnt));
        for (uint64_t i = 0; i < n; i++)
            cnt[(src[i] >> sh) & 0xffff]++;
        uint64_t sum = 0;
        for (unsigned d = 0; d < 65536; d++) {
            uint64_t c = cnt[d];
            cnt[d] = sum;
            sum += c;
        }
        for (uint64_t i = 0; i < n; i++)
            dst[cnt[(src[i] >> sh) & 0xffff]++] = src[i];
        uint64_t *s = src;
        src = dst;
        dst = s;
    }
    /* Four passes: the result is back in a. */
    mtr_mem_free(tmp, n * sizeof(*a));
    mtr_mem_free(cnt, 65536 * sizeof(*cnt));
}

static int cmd_stats(int argc, char **argv)
{
    bool window = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--window") == 0)
            window = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return bad_usage("stats: unknown option", argv[i]);
        else if (path)
            return bad_usage("stats: more than one FILE", argv[i]);
        else
            path = argv[i];
    }
    if (!path)
        return bad_usage("stats: no FILE", NULL);
    struct mtr_trace t;
    struct mtr_res res;
    struct mtr_err err;
    if (mtr_load(&t, &res, path, &err) != 0)
        return mt_bad_trace(path, &err);

    /* The window: events strictly between mark 1 and the next mark 2. */
    uint64_t from = 0, to = t.nev;
    if (window) {
        uint64_t m1 = UINT64_MAX, m2 = UINT64_MAX;
        for (uint64_t e = 0; e < t.nev; e++) {
            const struct mini_trace_rec *r = t.rec[t.ev[e].rec];
            if (r->op != MINI_TR_MARK)
                continue;
            if (r->arg == 1 && m1 == UINT64_MAX)
                m1 = e;
            else if (r->arg == 2 && m1 != UINT64_MAX) {
                m2 = e;
                break;
            }
        }
        if (m2 == UINT64_MAX) {
            fprintf(stderr, "mini-trace: %s: no window (marks 1 and 2 from mini-trace replay)\n",
                    path);
            mtr_unload(&t, &res);
            return 2;
        }
        from = m1 + 1;
        to = m2;
    }

    uint64_t calls[MT_NOPS] = {0}, oscalls[MT_NOPS] = {0}, failed = 0;
    uint64_t cls_n[NCLASS] = {0}, cls_b[NCLASS] = {0};
    uint64_t brk_grow = 0, brk_shrink = 0, mmap_b = 0, munmap_b = 0, madv_b = 0;
    uint64_t live = 0, peak = 0, blocks = 0, peak_blocks = 0, peak_at = 0, nlife = 0;
    uint64_t born_from = window ? t.ev[from - 1].key : 0;
    uint64_t *life = mtr_mem_alloc((res.nslots + 1) * sizeof(uint64_t));
    for (uint64_t e = from; e < to; e++) {
        const struct mtr_ev *ev = &t.ev[e];
        if (ev->kind != MTR_EV_RECORD)
            continue;
        const struct mini_trace_rec *r = t.rec[ev->rec];
        if (mtr_op_is_os(r->op)) {
            oscalls[r->op]++;
            if (r->flags & MINI_TR_F_FAILED)
                continue;
            if (r->op == MINI_TR_OS_SBRK) {
                if ((int64_t)r->size > 0)
                    brk_grow += r->size;
                else
                    brk_shrink += (uint64_t)(-(int64_t)r->size);
            } else if (r->op == MINI_TR_OS_MMAP) {
                mmap_b += r->size;
            } else if (r->op == MINI_TR_OS_MUNMAP) {
                munmap_b += r->size;
            } else if (r->op == MINI_TR_OS_MADVISE) {
                madv_b += r->size;
            }
            continue;
        }
        if (!mtr_op_is_call(r->op))
            continue;
        calls[r->op]++;
        if (r->flags & MINI_TR_F_FAILED)
            failed++;
        uint32_t si = res.slot_in[ev->rec];
        if (si && si != MTR_SLOT_UNKNOWN && mtr_consumes(r) && res.slot_born[si] >= born_from) {
            live -= res.slot_size[si];
            blocks--;
            if (life)
                life[nlife++] = r->ts - res.slot_born[si];
        }
        if (mtr_produces(r)) {
            uint64_t s = mtr_req_bytes(r);
            unsigned c = size_class(s);
            cls_n[c]++;
            cls_b[c] += s;
        }
        uint32_t so = res.slot_out[ev->rec];
        if (so) {
            live += res.slot_size[so];
            blocks++;
            if (live > peak) {
                peak = live;
                peak_at = r->ts;
            }
            if (blocks > peak_blocks)
                peak_blocks = blocks;
        }
    }

    header_lines(&t);
    if (window)
        printf("window: between marks 1 and 2 (events %" PRIu64 "..%" PRIu64 ")\n", from, to - 1);
    mt_print_calls(stdout, calls);
    printf("failed_calls: %" PRIu64 "\n", failed);
    printf("os_calls:");
    for (unsigned op = MINI_TR_OP_MIN_OS; op <= MINI_TR_OP_MAX_OS; op++)
        printf(" %s=%" PRIu64, mtr_op_name(op), oscalls[op]);
    printf("\nos_bytes: brk_grow=%" PRIu64 " brk_shrink=%" PRIu64 " mmap=%" PRIu64
           " munmap=%" PRIu64 " madvise=%" PRIu64 "\n",
           brk_grow, brk_shrink, mmap_b, munmap_b, madv_b);
    printf("peak_live_bytes: %" PRIu64 "\n", peak);
    printf("peak_live_blocks: %" PRIu64 "\n", peak_blocks);
    printf("peak_at_s: %.6f\n", peak ? (double)(peak_at - t.hdr->start_ns) * 1e-9 : 0.0);
    printf("live_at_end_bytes: %" PRIu64 " (%" PRIu64 " blocks)\n", live, blocks);
    printf("unmatched_releases: %" PRIu64 "%s\n", res.unmatched,
           res.unmatched && (t.hdr->flags & MINI_TRACE_HF_CHILD) ? " (blocks of the parent)" : "");
    if (res.clobbered)
        printf("clobbered_blocks: %" PRIu64 "\n", res.clobbered);
    if (life && nlife) {
        radix_sort(life, nlife);
        printf("lifetime_ns: freed=%" PRIu64 " p50=%" PRIu64 " p90=%" PRIu64 " p99=%" PRIu64
               " max=%" PRIu64 "\n",
               nlife, life[nlife / 2], life[(nlife * 9) / 10], life[(nlife * 99) / 100],
               life[nlife - 1]);
    } else {
        printf("lifetime_ns: freed=0\n");
    }
    printf("sizes (bytes asked for, by calls that return a block):\n");
    printf("  %-24s %12s %16s\n", "class", "calls", "bytes");
    for (unsigned c = 0; c < NCLASS; c++)
        if (cls_n[c]) {
            char name[48];
            class_name(c, name, sizeof(name));
            printf("  %-24s %12" PRIu64 " %16" PRIu64 "\n", name, cls_n[c], cls_b[c]);
        }
    mtr_mem_free(life, (res.nslots + 1) * sizeof(uint64_t));
    mtr_unload(&t, &res);
    return 0;
}

/* ---- export -------------------------------------------------------------------------- */

static int cmd_export(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return bad_usage("export: want exactly one FILE", argc > 1 ? argv[1] : NULL);
    struct mtr_err err;
    int rc = mtr_export_text(argv[1], stdout, &err);
    return rc < 0 ? mt_bad_trace(argv[1], &err) : rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return bad_usage("no command", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "dump") == 0)
        return cmd_dump(argc - 1, argv + 1);
    if (strcmp(cmd, "stats") == 0)
        return cmd_stats(argc - 1, argv + 1);
    if (strcmp(cmd, "replay") == 0)
        return mt_cmd_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "plan") == 0)
        return mt_cmd_plan(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 1, argv + 1);
    return bad_usage("unknown command", cmd);
}
