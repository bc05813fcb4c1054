/*
 * glibc.c — glibc's malloc introspection and tuning calls, answered by libmini.
 *
 *   mallinfo2, mallinfo   honest numbers from libmini's arenas (see the mapping below)
 *   malloc_stats          libmini's text statistics on stderr (glibc prints its own there)
 *   malloc_info           XML shaped like glibc's (<malloc version="1"> ... ) to a FILE *
 *   mallopt               M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, M_TOP_PAD and M_ARENA_MAX change
 *                         libmini's options; glibc's other parameters are accepted and ignored;
 *                         an unknown parameter or a value out of range returns 0
 *   malloc_trim           mini_trim
 *   __libc_mallinfo, __libc_mallopt   aliases
 *
 * mallinfo2, field by field (glibc's meaning -> what libmini reports):
 *   arena     bytes of the heaps (non-mmapped)   -> brk heap + committed pool bytes
 *   ordblks   free chunks                        -> free chunks in bins + top chunks
 *   smblks    fastbin chunks                     -> blocks in thread caches
 *   hblks     mmapped regions                    -> live large blocks
 *   hblkhd    bytes in mmapped regions           -> their mapping bytes
 *   usmblks   0                                  -> 0
 *   fsmblks   bytes in fastbins                  -> bytes in thread caches
 *   uordblks  bytes in use in the heaps          -> arena - fordblks - fsmblks (headers and
 *                                                   metadata count as in use, as in glibc)
 *   fordblks  free bytes in the heaps            -> bytes in bins and top chunks
 *   keepcost  releasable top                     -> bytes of the top chunks
 * so that uordblks + fordblks + fsmblks = arena, as in glibc.
 *
 * malloc_info uses stdio on the caller's FILE; no lock of libmini is held by then (the numbers
 * are gathered first), so the stdio buffer may come from libmini without deadlock.
 */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>

#include "preload/shim.h"

struct mini_mallinfo {
    size_t arena, ordblks, smblks, hblks, hblkhd, fsmblks, uordblks, fordblks, keepcost;
};

static void gather(struct mini_mallinfo *m)
{
    struct mini_mallinfo r = {0};
    struct mini_arena_info ai;
    for (unsigned i = 0; mini_arena_info_get(i, &ai); i++) {
        r.arena += ai.mapped;
        r.ordblks += ai.nfree + (ai.top ? 1 : 0);
        r.fordblks += ai.bin_bytes + ai.top;
        r.keepcost += ai.top;
    }
    mini_tcache_totals(&r.smblks, &r.fsmblks);
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    r.hblks = st.large_count;
    r.hblkhd = st.large_mapped;
    r.uordblks = r.arena > r.fordblks + r.fsmblks ? r.arena - r.fordblks - r.fsmblks : 0;
    *m = r;
}

MINI_EXPORT struct mallinfo2 mallinfo2(void)
{
    struct mini_mallinfo m;
    gather(&m);
    struct mallinfo2 mi = {
        .arena = m.arena,
        .ordblks = m.ordblks,
        .smblks = m.smblks,
        .hblks = m.hblks,
        .hblkhd = m.hblkhd,
        .usmblks = 0,
        .fsmblks = m.fsmblks,
        .uordblks = m.uordblks,
        .fordblks = m.fordblks,
        .keepcost = m.keepcost,
    };
    return mi;
}

static int clamp(size_t v)
{
    return v > (size_t)INT_MAX ? INT_MAX : (int)v;
}

/* The old interface: glibc truncates to int; we saturate at INT_MAX instead of wrapping. */
static struct mallinfo mallinfo_impl(void)
{
    struct mini_mallinfo m;
    gather(&m);
    struct mallinfo mi = {
        .arena = clamp(m.arena),
        .ordblks = clamp(m.ordblks),
        .smblks = clamp(m.smblks),
        .hblks = clamp(m.hblks),
        .hblkhd = clamp(m.hblkhd),
        .usmblks = 0,
        .fsmblks = clamp(m.fsmblks),
        .uordblks = clamp(m.uordblks),
        .fordblks = clamp(m.fordblks),
        .keepcost = clamp(m.keepcost),
    };
    return mi;
}
struct mallinfo __libc_mallinfo(void);
MINI_EXPORT struct mallinfo __libc_mallinfo(void)
{
    return mallinfo_impl();
}
/* (glibc's header marks mallinfo deprecated; defining it is what a replacement must do.) */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
MINI_EXPORT struct mallinfo mallinfo(void)
{
    return mallinfo_impl();
}

MINI_EXPORT void malloc_stats(void)
{
    mini_stats_print(NULL, NULL, NULL);
}

MINI_EXPORT int malloc_info(int options, FILE *fp)
{
    if (options != 0 || fp == NULL)
        return EINVAL;
    /* Gather everything before printing: stdio may allocate. */
    enum { MAXA = 256 };
    struct mini_arena_info ai[MAXA];
    unsigned n = 0;
    while (n < MAXA && mini_arena_info_get(n, &ai[n]))
        n++;
    size_t tc_n, tc_bytes;
    mini_tcache_totals(&tc_n, &tc_bytes);
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    size_t nfree = 0, free_bytes = 0, heap = 0;
    fprintf(fp, "<malloc version=\"1\" allocator=\"libmini\" libmini=\"%s\">\n", MINI_VERSION);
    for (unsigned i = 0; i < n; i++) {
        size_t fc = ai[i].nfree + (ai[i].top ? 1 : 0), fb = ai[i].bin_bytes + ai[i].top;
        nfree += fc;
        free_bytes += fb;
        heap += ai[i].mapped;
        fprintf(fp,
                "<heap nr=\"%u\">\n<sizes>\n</sizes>\n"
                "<total type=\"fast\" count=\"0\" size=\"0\"/>\n"
                "<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n"
                "<system type=\"current\" size=\"%zu\"/>\n"
                "<system type=\"max\" size=\"%zu\"/>\n"
                "<aspace type=\"total\" size=\"%zu\"/>\n"
                "<aspace type=\"mprotect\" size=\"%zu\"/>\n"
                "<libmini brk=\"%zu\" top=\"%zu\" purged=\"%zu\" handed_out=\"%zu\"/>\n"
                "</heap>\n",
                i, fc, fb, ai[i].mapped, ai[i].mapped, ai[i].mapped, ai[i].mapped, ai[i].brk,
                ai[i].top, ai[i].purged, ai[i].out_bytes);
    }
    fprintf(fp,
            "<total type=\"fast\" count=\"%zu\" size=\"%zu\"/>\n"
            "<total type=\"rest\" count=\"%zu\" size=\"%zu\"/>\n"
            "<total type=\"mmap\" count=\"%llu\" size=\"%llu\"/>\n"
            "<system type=\"current\" size=\"%zu\"/>\n"
            "<system type=\"max\" size=\"%llu\"/>\n"
            "<aspace type=\"total\" size=\"%llu\"/>\n"
            "<aspace type=\"mprotect\" size=\"%llu\"/>\n"
            "<libmini mapped=\"%llu\" allocated=\"%llu\" cached=\"%llu\" free=\"%llu\" "
            "purged=\"%llu\" meta=\"%llu\" n_malloc=\"%llu\" n_free=\"%llu\"/>\n"
            "</malloc>\n",
            tc_n, tc_bytes, nfree, free_bytes, (unsigned long long)st.large_count,
            (unsigned long long)st.large_mapped, heap, (unsigned long long)st.peak_mapped,
            (unsigned long long)st.mapped, (unsigned long long)st.mapped,
            (unsigned long long)st.mapped, (unsigned long long)st.allocated,
            (unsigned long long)st.cached, (unsigned long long)st.free,
            (unsigned long long)st.purged, (unsigned long long)st.meta,
            (unsigned long long)st.n_malloc, (unsigned long long)st.n_free);
    return 0;
}

/* ---- mallopt, malloc_trim -------------------------------------------------------------- */

static int do_mallopt(int param, int value)
{
    switch (param) {
    case M_MMAP_THRESHOLD:
        return mini_option_set(MINI_OPT_MMAP_THRESHOLD, value) == 0;
    case M_TRIM_THRESHOLD:
        return mini_option_set(MINI_OPT_TRIM_THRESHOLD, value) == 0;
    case M_TOP_PAD:
        return mini_option_set(MINI_OPT_TOP_PAD, value) == 0;
    case M_ARENA_MAX:
        return mini_arena_max_set(value) == 0;
    case M_MXFAST:
    case M_NLBLKS:
    case M_GRAIN:
    case M_KEEP:
    case M_MMAP_MAX:
    case M_CHECK_ACTION:
    case M_PERTURB:
    case M_ARENA_TEST:
        return 1; /* glibc's, with no libmini meaning: accepted and ignored */
    default:
        return 0;
    }
}

MINI_EXPORT int mallopt(int param, int value)
{
    struct mini_rec_thread *rt = mini_rec_on() ? mini_rec_begin() : NULL;
    int r = do_mallopt(param, value);
    if (rt)
        mini_rec_put(rt, MINI_TR_MALLOPT, r ? 0 : MINI_TR_F_FAILED, r, mini_rec_now(), 0,
                     (uint64_t)(int64_t)param, (uint64_t)(int64_t)value, NULL, NULL);
    return r;
}
int __libc_mallopt(int param, int value);
MINI_EXPORT int __libc_mallopt(int param, int value)
{
    return mallopt(param, value);
}

MINI_EXPORT int malloc_trim(size_t pad)
{
    struct mini_rec_thread *rt = mini_rec_on() ? mini_rec_begin() : NULL;
    int r = mini_trim(pad);
    if (rt)
        mini_rec_put(rt, MINI_TR_TRIM, 0, r, mini_rec_now(), 0, pad, 0, NULL, NULL);
    return r;
}
