/*
 * main.c — build/bin/kmodel: the command line of the kernel-side model.
 *
 *   kmodel [OPTIONS] SCENARIO              run a scenario file (README.md has the format)
 *   kmodel [OPTIONS] --perf-trace FILE     replay `perf script -F pid,addr --show-mmap-events`
 *   kmodel [OPTIONS] --alloc-trace FILE    replay an allocation trace through libmini (replay.c)
 *   kmodel --bench [--bench-ram SIZE]      measure events/s and host bytes per simulated frame
 *
 * Exit status: 0 done, 1 an `expect` in the scenario failed, 2 bad input or usage,
 * 3 the host ran out of memory.
 */
#include "analysis/kmodel/kmodel.h"
#include "analysis/kmodel/os_sim.h"
#include "analysis/kmodel/replay.h"
#include "preload/trace_export.h"
#include "libmini/include/mini.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Input 2's environment: the replayer's block touches and liveness go to the model. */
static void sim_touch(void *p, size_t len, bool write)
{
    mini_sim_touch(p, len, write ? KM_TOUCH_WRITE : KM_TOUCH_READ);
}
static uint64_t sim_probe(void *p, size_t len)
{
    return mini_sim_probe(p, len);
}
/* mincore: libmini's own writes found by probing a block's neighbourhood after each call and
 * walking everything every N calls; uffd: the watcher sees them as they happen. */
static const struct replay_env sim_env_mincore = {sim_touch, mini_sim_alive, mini_sim_sync,
                                                  sim_probe, NULL};
static const struct replay_env sim_env_uffd = {sim_touch, mini_sim_alive, NULL, NULL, NULL};

static void alloc_trace_stats(struct km *km, const struct replay_stats *st)
{
    const char *s = "alloc_trace";
    km_input_stat(km, s, "lines", st->lines);
    km_input_stat(km, s, "calls", st->calls);
    km_input_stat(km, s, "threads", st->threads);
    km_input_stat(km, s, "failed", st->failed);
    km_input_stat(km, s, "skipped", st->skipped);
    km_input_stat(km, s, "peak_live_bytes", st->peak_live);
    km_input_stat(km, s, "live_bytes_end", st->live_end);
    km_input_stat(km, s, "libmini_pages_by_mincore", st->synced_pages);
    km_input_stat(km, s, "libmini_pages_by_userfaultfd", mini_sim_watched_pages());
    km_input_stat(km, s, "killed_line", st->killed_line);
    mini_stats_t ms;
    memset(&ms, 0, sizeof(ms));
    mini_stats_get(&ms, sizeof(ms));
    km_input_stat(km, s, "libmini_mapped", ms.mapped);
    km_input_stat(km, s, "libmini_peak_mapped", ms.peak_mapped);
    km_input_stat(km, s, "libmini_narenas", ms.narenas);
    km_input_stat(km, s, "libmini_n_brk", ms.n_brk);
    km_input_stat(km, s, "libmini_n_mmap", ms.n_mmap);
    km_input_stat(km, s, "libmini_n_munmap", ms.n_munmap);
    km_input_stat(km, s, "libmini_n_mremap", ms.n_mremap);
    km_input_stat(km, s, "libmini_n_mprotect", ms.n_mprotect);
    km_input_stat(km, s, "libmini_n_madvise", ms.n_madvise);
    km_input_stat(km, s, "libmini_bytes_purged", ms.bytes_purged);
    km_input_stat(km, s, "libmini_bytes_trimmed", ms.bytes_trimmed);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kmodel [OPTIONS] SCENARIO | --perf-trace FILE | --alloc-trace FILE | --bench\n"
            "  --json                 JSON report instead of text\n"
            "  --calibration FILE     costs from a flat JSON object of numbers (make bench writes\n"
            "                         results/calibration.json); built-in defaults otherwise\n"
            "  --set KEY=VALUE        override a machine key or sysctl (ram=8G, swap=2G,\n"
            "                         vm.overcommit_memory=2, vm.swappiness=100, thp=never ...)\n"
            "  --report LIST          sections: vmstat,meminfo,procs,memcg,zones,buddyinfo,frag,\n"
            "                         slabinfo,time,all (default: all)\n"
            "  --series FILE          write a time series (CSV, or JSON lines with --json)\n"
            "  --series-every DUR     sample period in simulated time (default 1ms)\n"
            "  --max-events N         stop after N page touches (for fuzzing)\n"
            "  --quiet                no report (the exit status says whether expectations held)\n"
            "  --perf-trace FILE      replay a perf page-touch trace ('-' for stdin)\n"
            "  --alloc-trace FILE     replay an allocation trace through libmini ('-' for stdin)\n"
            "  --alloc-touch all|none the program writes each block it gets (all, default), or\n"
            "                         only libmini's own writes and the trace's w/R lines count\n"
            "  --alloc-sync N|uffd    how pages libmini writes itself reach the model: by\n"
            "                         mincore near each call's block and over everything every\n"
            "                         N calls (default 4096; 0: only at the end), or as they\n"
            "                         are written (uffd: a userfaultfd watcher; exact, slower)\n"
            "  --bench                benchmark the model (events/s, bytes per frame)\n"
            "  --bench-ram SIZE       machine size for --bench (default 64G)\n"
            "  --help\n");
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        if (f != stdin)
            fclose(f);
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            char *nb = cap >= (64u << 20) ? NULL : realloc(buf, cap * 2);
            if (nb == NULL) {
                snprintf(err, errlen, "%s: %s", path,
                         cap >= (64u << 20) ? "larger than 64 MiB" : "out of memory");
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    if (buf && ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        free(buf);
        buf = NULL;
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf;
}

static unsigned parse_report(const char *s, bool *ok)
{
    static const char *const names[] = {"vmstat", "meminfo", "procs", "buddyinfo", "slabinfo",
                                        "frag",   "zones",   "memcg", "time",      "all"};
    static const unsigned bits[] = {KM_OUT_VMSTAT, KM_OUT_MEMINFO, KM_OUT_PROCS, KM_OUT_BUDDY,
                                    KM_OUT_SLAB,   KM_OUT_FRAG,    KM_OUT_ZONES, KM_OUT_MEMCG,
                                    KM_OUT_TIME,   KM_OUT_ALL};
    unsigned what = 0;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", s);
    char *save = NULL;
    *ok = true;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        bool found = false;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strcmp(t, names[i]) == 0) {
                what |= bits[i];
                found = true;
            }
        if (!found)
            *ok = false;
    }
    return what;
}

static bool parse_dur(const char *s, uint64_t *ns)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return false;
    double mul = 0;
    if (strcmp(end, "ns") == 0)
        mul = 1;
    else if (strcmp(end, "us") == 0)
        mul = 1e3;
    else if (strcmp(end, "ms") == 0)
        mul = 1e6;
    else if (strcmp(end, "s") == 0)
        mul = 1e9;
    if (mul == 0 || v * mul > 1e18)
        return false;
    *ns = (uint64_t)(v * mul);
    return *ns > 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t host_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return 0;
    char line[256];
    uint64_t kb = 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtoull(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/*
 * --bench: build a big machine, then replay synthetic page-touch events through the same entry
 * point as every trace (fault_touch): first touches that fault (allocation, page tables, LRU)
 * and touches of resident pages; report the rates and the host memory per simulated frame.
 */
static int bench(uint64_t ram)
{
    struct km_config cfg;
    km_config_default(&cfg);
    cfg.ram_bytes = ram;
    char err[256] = "";
    uint64_t rss0 = host_rss_kb();
    double t0 = now_s();
    struct km *km = km_create(&cfg, err, sizeof(err));
    if (km == NULL) {
        fprintf(stderr, "kmodel: %s\n", err);
        return 2;
    }
    double t_create = now_s() - t0;
    uint64_t rss1 = host_rss_kb();
    printf("machine: %.1f GiB RAM, %u simulated frames (%zu bytes each), created in %.2f s\n",
           (double)ram / (1 << 30), km->nframes, sizeof(struct km_frame), t_create);
    printf("host memory for the machine: %.1f MiB = %.2f bytes per simulated frame\n",
           (double)(rss1 - rss0) / 1024, (double)(rss1 - rss0) * 1024 / km->nframes);
    struct km_mm *mm = proc_create(km, "bench", 0);
    int e;
    uint64_t span = (km->totalram / 2) << KM_PAGE_SHIFT; /* touch half of RAM */
    uint64_t base = vma_mmap(km, mm, 0, span, KM_PROT_READ | KM_PROT_WRITE,
                             KM_MAP_PRIVATE | KM_MAP_ANON | KM_MAP_NORESERVE, -1, 0, &e);
    if (!base) {
        fprintf(stderr, "kmodel: bench mmap failed\n");
        km_destroy(km);
        return 2;
    }
    vma_madvise(km, mm, base, span, KM_MADV_NOHUGEPAGE);
    uint64_t pages = span >> KM_PAGE_SHIFT;
    double t1 = now_s();
    for (uint64_t i = 0; i < pages; i++)
        fault_touch(km, mm, base + (i << KM_PAGE_SHIFT), KM_TOUCH_WRITE);
    double t_fault = now_s() - t1;
    uint64_t rss2 = host_rss_kb();
    printf("first-touch write faults: %" PRIu64 " in %.2f s = %.2f M events/s\n", pages, t_fault,
           (double)pages / t_fault / 1e6);
    /* Resident touches: a pseudo-random walk over the touched pages, reads and writes. */
    uint64_t n = 50000000, x = 88172645463325252ULL, hits = 0;
    double t2 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t page = (i & 7) ? (x % pages) : ((i >> 3) % pages); /* mostly random */
        if (fault_touch(km, mm, base + (page << KM_PAGE_SHIFT) + (x & 4095),
                        (x >> 40) & 1 ? KM_TOUCH_WRITE : KM_TOUCH_READ) == 0)
            hits++;
    }
    double t_hit = now_s() - t2;
    printf("touches of resident pages (random, 4 KiB PTE walk): %" PRIu64 " in %.2f s = %.2f M "
           "events/s\n",
           n, t_hit, (double)n / t_hit / 1e6);
    /* Sequential touches: what a trace of an allocator writing its blocks mostly looks like. */
    double t3 = now_s();
    uint64_t m = 0;
    for (int rep = 0; rep < 4; rep++)
        for (uint64_t i = 0; i < pages && m < 50000000; i++, m++)
            fault_touch(km, mm, base + (i << KM_PAGE_SHIFT), KM_TOUCH_WRITE);
    double t_seq = now_s() - t3;
    printf("touches of resident pages (sequential): %" PRIu64 " in %.2f s = %.2f M events/s\n", m,
           t_seq, (double)m / t_seq / 1e6);
    printf("host memory with half of RAM mapped: %.1f MiB = %.2f bytes per simulated frame "
           "(frames %.2f + page tables and the rest)\n",
           (double)(rss2 - rss0) / 1024, (double)(rss2 - rss0) * 1024 / km->nframes,
           (double)sizeof(struct km_frame));
    (void)hits;
    km_destroy(km);

    /* A perf trace, as text: parsing plus replay (each sample is a fault in the real run). */
    size_t nl = 5000000, cap = nl * 24 + 256, len = 0;
    char *text = malloc(cap);
    if (text == NULL)
        return 0;
    len +=
        (size_t)snprintf(text + len, cap - len,
                         " 4242 PERF_RECORD_MMAP2 4242/4242: [0x7f0000000000(0x%llx) @ 0 00:00 0 "
                         "0]: rw-p //anon\n",
                         (unsigned long long)nl * 4096);
    for (size_t i = 0; i < nl; i++)
        len += (size_t)snprintf(text + len, cap - len, " 4242 %llx\n",
                                (unsigned long long)(0x7f0000000000ULL + (uint64_t)i * 4096 + 8));
    cfg.ram_bytes = 64ULL << 30;
    km = km_create(&cfg, err, sizeof(err));
    FILE *in = fmemopen(text, len, "r");
    if (km && in) {
        struct perf_stats st;
        double t4 = now_s();
        perf_replay(km, "bench", in, &st, err, sizeof(err));
        double t_perf = now_s() - t4;
        printf("perf trace replay (text parse + fault each sample): %" PRIu64
               " samples in %.2f s = "
               "%.2f M events/s (%.0f MB/s of text)\n",
               st.samples, t_perf, (double)st.samples / t_perf / 1e6, (double)len / t_perf / 1e6);
    }
    if (in)
        fclose(in);
    km_destroy(km);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    const char *scenario = NULL, *perf = NULL, *alloc = NULL, *calib = NULL, *series = NULL;
    struct replay_opts ro = {.env = &sim_env_mincore, .touch_all = true, .sync_every = 4096};
    bool use_uffd = false;
    const char *sets[64];
    int nsets = 0;
    bool json = false, quiet = false, do_bench = false;
    unsigned what = KM_OUT_ALL;
    uint64_t every = 1000000, max_events = 0, bench_ram = 64ULL << 30;
    char err[512] = "";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_ARG()                                                                                 \
    do {                                                                                           \
        if (next == NULL) {                                                                        \
            fprintf(stderr, "kmodel: %s needs an argument\n", a);                                  \
            return 2;                                                                              \
        }                                                                                          \
        i++;                                                                                       \
    } while (0)
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(a, "--bench") == 0) {
            do_bench = true;
        } else if (strcmp(a, "--calibration") == 0) {
            NEED_ARG();
            calib = next;
        } else if (strcmp(a, "--set") == 0) {
            NEED_ARG();
            if (nsets == 64) {
                fprintf(stderr, "kmodel: too many --set options\n");
                return 2;
            }
            sets[nsets++] = next;
        } else if (strcmp(a, "--report") == 0) {
            NEED_ARG();
            bool ok;
            what = parse_report(next, &ok);
            if (!ok || !what) {
                fprintf(stderr, "kmodel: --report %s: unknown section\n", next);
                return 2;
            }
        } else if (strcmp(a, "--series") == 0) {
            NEED_ARG();
            series = next;
        } else if (strcmp(a, "--series-every") == 0) {
            NEED_ARG();
            if (!parse_dur(next, &every)) {
                fprintf(stderr, "kmodel: --series-every %s: bad duration (e.g. 1ms)\n", next);
                return 2;
            }
        } else if (strcmp(a, "--max-events") == 0) {
            NEED_ARG();
            char *end;
            max_events = strtoull(next, &end, 10);
            if (*end || end == next) {
                fprintf(stderr, "kmodel: --max-events %s: not a number\n", next);
                return 2;
            }
        } else if (strcmp(a, "--bench-ram") == 0) {
            NEED_ARG();
            char *end;
            double v = strtod(next, &end);
            uint64_t mul = *end == 'G'   ? 1ULL << 30
                           : *end == 'M' ? 1ULL << 20
                           : *end == 'T' ? 1ULL << 40
                                         : 0;
            if (v <= 0 || mul == 0 || end[1] != '\0') {
                fprintf(stderr, "kmodel: --bench-ram %s: bad size (e.g. 64G)\n", next);
                return 2;
            }
            bench_ram = (uint64_t)(v * (double)mul);
        } else if (strcmp(a, "--perf-trace") == 0) {
            NEED_ARG();
            perf = next;
        } else if (strcmp(a, "--alloc-trace") == 0) {
            NEED_ARG();
            alloc = next;
        } else if (strcmp(a, "--alloc-touch") == 0) {
            NEED_ARG();
            if (strcmp(next, "all") != 0 && strcmp(next, "none") != 0) {
                fprintf(stderr, "kmodel: --alloc-touch %s: 'all' or 'none'\n", next);
                return 2;
            }
            ro.touch_all = strcmp(next, "all") == 0;
        } else if (strcmp(a, "--alloc-sync") == 0) {
            NEED_ARG();
            char *end;
            use_uffd = strcmp(next, "uffd") == 0;
            ro.sync_every = use_uffd ? 0 : strtoull(next, &end, 10);
            if (!use_uffd && (*end || end == next || next[0] == '-')) {
                fprintf(stderr, "kmodel: --alloc-sync %s: 'uffd' or a number\n", next);
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "kmodel: unknown option '%s' (see --help)\n", a);
            return 2;
        } else if (scenario == NULL) {
            scenario = a;
        } else {
            fprintf(stderr, "kmodel: more than one scenario given ('%s')\n", a);
            return 2;
        }
#undef NEED_ARG
    }
    if (do_bench)
        return bench(bench_ram);
    if ((scenario != NULL) + (perf != NULL) + (alloc != NULL) != 1) {
        usage(stderr);
        return 2;
    }
    struct km_calib cal;
    calib_default(&cal);
    if (calib && calib_load(&cal, calib, err, sizeof(err)) != 0) {
        fprintf(stderr, "kmodel: %s\n", err);
        return 2;
    }
    struct scen *sc = NULL;
    char *text = NULL;
    if (scenario) {
        size_t len;
        text = read_file(scenario, &len, err, sizeof(err));
        if (text == NULL) {
            fprintf(stderr, "kmodel: %s\n", err);
            return 2;
        }
        sc = scen_parse(scenario, text, len, err, sizeof(err));
    } else {
        sc = scen_parse(perf ? "(perf)" : "(alloc)", "", 0, err, sizeof(err));
    }
    free(text);
    if (sc == NULL) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    for (int i = 0; i < nsets; i++) {
        if (scen_override(sc, sets[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "kmodel: %s\n", err);
            scen_free(sc);
            return 2;
        }
    }
    struct km *km = km_create(scen_config(sc), err, sizeof(err));
    if (km == NULL) {
        fprintf(stderr, "kmodel: %s\n", err);
        scen_free(sc);
        return 2;
    }
    km->calib = cal;
    if (series) {
        out_series_open(km, series, every, json);
        if (km->series.f == NULL) {
            fprintf(stderr, "kmodel: %s: %s\n", series, strerror(errno));
            km_destroy(km);
            scen_free(sc);
            return 2;
        }
    }
    int rc = 0;
    if (alloc) {
        FILE *in = strcmp(alloc, "-") == 0 ? stdin : fopen(alloc, "r");
        char *conv = NULL;
        size_t convlen = 0;
        char magic[sizeof(MINI_TRACE_MAGIC) - 1];
        if (in && in != stdin && fread(magic, 1, sizeof(magic), in) == sizeof(magic) &&
            memcmp(magic, MINI_TRACE_MAGIC, sizeof(magic)) == 0) {
            /* A binary libmini trace (MINI_TRACE): read it as `mini-trace export` writes it. */
            fclose(in);
            in = NULL;
            FILE *ms = open_memstream(&conv, &convlen);
            struct mtr_err terr;
            int xr = ms ? mtr_export_text(alloc, ms, &terr) : 1;
            if (ms)
                fclose(ms);
            if (xr < 0)
                fprintf(stderr, "kmodel: %s: byte %" PRIu64 ": %s\n", alloc, terr.off, terr.msg);
            else if (xr > 0)
                fprintf(stderr, "kmodel: %s: cannot convert the trace: %s\n", alloc,
                        strerror(errno));
            else
                in = fmemopen(conv, convlen, "r");
            if (in == NULL) {
                free(conv);
                km_destroy(km);
                scen_free(sc);
                return 2;
            }
        } else if (in && in != stdin) {
            rewind(in);
        }
        /* The simulated process's address space: room for RAM + swap twice over, >= 64 GiB. */
        uint64_t span = 2 * (km->cfg.ram_bytes + km->cfg.swap_bytes);
        span = span < (64ULL << 30) ? 64ULL << 30 : span;
        if (in == NULL) {
            fprintf(stderr, "kmodel: %s: %s\n", alloc, strerror(errno));
            rc = 2;
        } else if (mini_sim_attach(km, span, err, sizeof(err)) != 0) {
            fprintf(stderr, "kmodel: %s\n", err);
            rc = 3;
        } else {
            struct replay_stats st;
            ro.name = alloc;
            if (use_uffd && !mini_sim_watch(err, sizeof(err))) {
                km_event(km, "alloc trace: %s; libmini's own writes found with mincore instead",
                         err);
                use_uffd = false;
            }
            ro.env = use_uffd ? &sim_env_uffd : &sim_env_mincore;
            rc = replay_alloc_trace(&ro, in, &st, err, sizeof(err));
            if (rc)
                fprintf(stderr, "%s\n", err);
            else
                alloc_trace_stats(km, &st);
            if (rc == 0 && st.killed_line)
                km_event(km, "alloc trace: the process was OOM-killed at %s:%" PRIu64, alloc,
                         st.killed_line);
            /* libmini's memory stays mapped: its atexit handler may still read it. */
            mini_sim_detach();
        }
        if (in && in != stdin)
            fclose(in);
        free(conv);
    } else if (perf) {
        FILE *in = strcmp(perf, "-") == 0 ? stdin : fopen(perf, "r");
        if (in == NULL) {
            fprintf(stderr, "kmodel: %s: %s\n", perf, strerror(errno));
            rc = 2;
        } else {
            struct perf_stats st;
            if (perf_replay(km, perf, in, &st, err, sizeof(err)) != 0) {
                fprintf(stderr, "%s\n", err);
                rc = 2;
            } else if (!quiet) {
                km_event(km,
                         "perf trace: %" PRIu64 " lines, %" PRIu64 " fault samples (%" PRIu64
                         " taken as reads), %" PRIu64 " mmap records, %" PRIu64
                         " kernel addresses skipped, %" PRIu64 " processes",
                         st.lines, st.samples, st.reads_inferred, st.mmaps, st.skipped, st.pids);
            }
            if (rc == 0) {
                km_input_stat(km, "perf_trace", "lines", st.lines);
                km_input_stat(km, "perf_trace", "samples", st.samples);
                km_input_stat(km, "perf_trace", "reads_inferred", st.reads_inferred);
                km_input_stat(km, "perf_trace", "mmap_records", st.mmaps);
                km_input_stat(km, "perf_trace", "kernel_skipped", st.skipped);
                km_input_stat(km, "perf_trace", "processes", st.pids);
            }
            if (in != stdin)
                fclose(in);
        }
    } else {
        struct scen_opts o = {.out = stdout,
                              .fmt = json ? KM_OUT_JSON : KM_OUT_TEXT,
                              .max_events = max_events,
                              .quiet = quiet};
        rc = scen_run(sc, km, &o, err, sizeof(err));
        if (rc == 2)
            fprintf(stderr, "%s\n", err);
    }
    if (rc != 2 && !quiet)
        out_report(km, stdout, json ? KM_OUT_JSON : KM_OUT_TEXT, what);
    if (series)
        out_series_close(km);
    km_destroy(km);
    scen_free(sc);
    return rc;
}
