/*
 * markdown.c — REPORT.md: the machine, the headline, every table and plot, and a short reading
 * of each, computed from the same medians the tables print.
 *
 *   # title, how it was made, the files
 *   ## Machine (+ allocators, context)      ## Headline (geomeans)      ## Normalised to glibc
 *   ## Machine calibration                  ## Workloads (one ### each)  ## Micro-benchmarks
 *   ## Fault accounting cross-check         ## Hardware counters         ## Skipped and failed
 *   ## Seed questions / ## Overcommit and swappiness sweep   (hooks: results/sections/NAME.md)
 *
 * Readings only state numbers and comparisons computed from them ("X uses 1.30x the peak RSS
 * of glibc"; "libmini mapped 1737 blocks of >= 128 KiB: 135 more faults than glibc per
 * mapped block"): they never claim a cause, which could become false when the numbers change.
 * A sentence whose numbers are missing is left out, never printed with a hole.
 */
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "analysis/report/report.h"

static FILE *out;

static const struct json *mj(const struct summary *s, const char *key)
{
    return json_get(s->machine, key);
}

static const char *mstr(const struct summary *s, const char *key)
{
    const struct json *j = mj(s, key);
    if (j == NULL)
        return s->machine == NULL ? "n/a (machine.json missing)" : "n/a (not recorded)";
    if (j->type == JSON_NUM)
        return num3(j->num);
    return j->type == JSON_STR ? j->str : "n/a";
}

static double mnum(const struct summary *s, const char *key)
{
    return json_num(s->machine, key);
}

static const char *session_value(const struct summary *s, const char *key)
{
    for (int r = 0; r < s->session.nrow; r++)
        if (strcmp(csv_get(&s->session, r, "key"), key) == 0)
            return csv_get(&s->session, r, "value");
    return NULL;
}

/* Why a cell has no numbers, or NULL if it has some. */
static const char *cell_reason(const struct summary *s, int w, int a)
{
    const struct cell *c = &s->cell[w][a];
    if (c->nok > 0)
        return NULL;
    if (s->wl[w].skip[0])
        return s->wl[w].skip;
    if (s->alloc[a].skip[0])
        return s->alloc[a].skip;
    if (c->nruns > 0 && strncmp(c->fail_status, "skipped", 7) == 0)
        return c->fail_status;
    if (c->nruns > 0)
        return fmt("failed: %s (%d of %d runs)", c->fail_status, c->nruns - c->nok, c->nruns);
    return "not run (no row in runs.csv: interrupted?)";
}

static bool alloc_shown(const struct summary *s, int a)
{
    return s->alloc[a].in_profile;
}

/* "median (min–max)" */
static const char *spread(const struct stat3 *st, double scale, const char *(*f)(double))
{
    if (st->n == 0)
        return "n/a";
    if (st->n == 1 || st->min == st->max)
        return f(st->med / scale);
    return fmt("%s (%s–%s)", f(st->med / scale), f(st->min / scale), f(st->max / scale));
}

/* A ratio: two decimals, or three significant digits below 0.1 (0.00194x, not 0.00x). */
static const char *ratio_s(double r)
{
    if (!isfinite(r))
        return "n/a";
    return r < 0.1 ? fmt("%.3gx", r) : fmt("%.2fx", r);
}

/* Bytes as MiB with 3 significant digits. */
static const char *mib(double bytes)
{
    return num3(bytes / 1048576);
}

/* Bytes in B, KiB or MiB. */
static const char *bytes_text(double b)
{
    if (b < 1024)
        return fmt("%.0f B", b);
    if (b < 1048576)
        return fmt("%s KiB", num3(b / 1024));
    return fmt("%s MiB", num3(b / 1048576));
}

/* Why metric m of an allocator that ran workload w has no median. */
static const char *metric_na(const struct summary *s, int w, int a, enum metric m)
{
    const struct wl_info *wi = &s->wl[w];
    const struct cell *c = &s->cell[w][a];
    bool live_metric = m == M_FRAG_PEAK || m == M_FRAG_MEAN || m == M_PEAK_LIVE;
    if ((live_metric || m == M_OPS) && wi->external)
        return "n/a (external program)";
    if (live_metric) {
        const struct stat3 *pl = &c->m[M_PEAK_LIVE];
        if (pl->n == 0 || pl->med <= 0)
            return "n/a (no sample saw live bytes: the run is shorter than the sampling "
                   "interval)";
        if (m == M_PEAK_LIVE)
            return "n/a (see the notes)";
        if (pl->med < REPORT_FRAG_MIN_LIVE)
            return fmt("n/a (peak live %s < %s: stacks and libraries would weigh too much "
                       "in RssAnon)",
                       bytes_text(pl->med), bytes_text(REPORT_FRAG_MIN_LIVE));
        return "n/a (no RSS sample while live bytes peaked)";
    }
    if (m >= M_RSS_BEFORE_FREE && m <= M_RECLAIM_SETTLE)
        return "n/a (see the notes)";
    return "n/a (not measured: see the notes)";
}

/* A cell's median of m as text (scaled), or why there is none. */
static const char *cell_value(const struct summary *s, int w, int a, enum metric m, double scale)
{
    const struct stat3 *st = &s->cell[w][a].m[m];
    if (m == M_PEAK_LIVE && st->n && st->max <= 0)
        return metric_na(s, w, a, m); /* 0: the sampler never saw the workload's blocks */
    return st->n ? spread(st, scale, num3) : metric_na(s, w, a, m);
}

/* The allocators a table lists: those of this run's profile. */
static int shown_count(const struct summary *s)
{
    int n = 0;
    for (int a = 0; a < MAX_ALLOC; a++)
        n += s->alloc[a].in_profile;
    return n;
}

/* "mimalloc, tcmalloc": the allocators not in this run's profile, "" if none. */
static const char *not_in_profile(const struct summary *s)
{
    static char b[256];
    b[0] = '\0';
    for (int a = 0; a < MAX_ALLOC; a++)
        if (!s->alloc[a].in_profile) {
            size_t n = strlen(b);
            snprintf(b + n, sizeof(b) - n, "%s%s", n ? ", " : "", alloc_names[a]);
        }
    return b;
}

/* ---- header, machine, context ------------------------------------------------------------- */

static void header(const struct summary *s)
{
    const char *elapsed = session_value(s, "elapsed_s");
    fprintf(out, "# libmini benchmark report\n\n");
    fprintf(out,
            "Made by `make bench PROFILE=%s` (bench/run-bench: build/bin/mini-calibrate, "
            "build/bin/mini-bench for every workload x allocator x repetition, "
            "build/bin/mini-micro, then build/bin/mini-report) on %s from tree %s%s. ",
            s->profile, mstr(s, "date_utc"), mstr(s, "git_commit"),
            strcmp(mstr(s, "git_dirty"), "yes") == 0 ? " (with uncommitted changes)" : "");
    const char *budget = session_value(s, "budget_s");
    fprintf(out, "The whole run took %s s (the profile's budget: %s s). ",
            elapsed ? elapsed : "n/a", budget ? budget : "n/a");
    fprintf(out, "The data is in this directory (schema: [README.md](README.md)): "
                 "`runs.csv` (one row per run), `timeline/` (RSS samples), `logs/` (each run's "
                 "output), `mini-stats/` (libmini's own counters of each libmini run), "
                 "`traces.csv` (the traces replayed), `summary.json` (medians, min, max, "
                 "ratios), `calibration.json`, `machine.json`, `micro/`, `plots/` (PNG and SVG; "
                 "`plots/data/` holds their data).\n\n");
}

static void machine(const struct summary *s)
{
    fprintf(out, "## Machine\n\n| what | this machine |\n|---|---|\n");
    fprintf(out, "| kernel | Linux %s (%s) |\n", mstr(s, "kernel"), mstr(s, "arch"));
    fprintf(out, "| distribution | Debian %s |\n", mstr(s, "debian_version"));
    fprintf(out, "| CPU | %s, %s online, cache %s, hypervisor: %s |\n", mstr(s, "cpu_model"),
            mstr(s, "cpus_online"), mstr(s, "cpu_cache"), mstr(s, "hypervisor"));
    const char *le = session_value(s, "loadavg_1min_end");
    fprintf(out, "| load (1-minute average) | %s at the start, %s at the end |\n",
            mstr(s, "loadavg_1min"), le ? le : "n/a (not recorded)");
    fprintf(out, "| memory | %.1f GiB (available at start %.1f GiB), swap %.1f GiB |\n",
            mnum(s, "mem_total_kb") / 1048576, mnum(s, "mem_available_kb") / 1048576,
            mnum(s, "swap_total_kb") / 1048576);
    fprintf(out, "| page size, THP | %s B, THP %s (defrag %s) |\n", mstr(s, "page_size"),
            mstr(s, "thp_enabled"), mstr(s, "thp_defrag"));
    fprintf(out, "| overcommit | vm.overcommit_memory=%s, vm.overcommit_ratio=%s |\n",
            mstr(s, "vm.overcommit_memory"), mstr(s, "vm.overcommit_ratio"));
    fprintf(out, "| reclaim | vm.swappiness=%s, vm.min_free_kbytes=%s, vm.zone_reclaim_mode=%s |\n",
            mstr(s, "vm.swappiness"), mstr(s, "vm.min_free_kbytes"),
            mstr(s, "vm.zone_reclaim_mode"));
    fprintf(out,
            "| other sysctls | vm.max_map_count=%s, kernel.perf_event_paranoid=%s, "
            "kernel.randomize_va_space=%s |\n",
            mstr(s, "vm.max_map_count"), mstr(s, "kernel.perf_event_paranoid"),
            mstr(s, "kernel.randomize_va_space"));
    fprintf(out, "| cgroup | %s |\n", mstr(s, "cgroup"));
    fprintf(out, "| glibc, compiler | %s, %s |\n", mstr(s, "glibc"), mstr(s, "compiler"));
    fprintf(out, "| hardware counters | %s |\n", mstr(s, "hw_counters"));
    fprintf(out, "| tools | libbenchmark-dev %s, libpfm4 %s, gnuplot-nox %s, linux-perf %s |\n\n",
            mstr(s, "pkg.libbenchmark-dev"), mstr(s, "pkg.libpfm4"), mstr(s, "pkg.gnuplot-nox"),
            mstr(s, "pkg.linux-perf"));
    double cpus = mnum(s, "cpus_online"), l0 = mnum(s, "loadavg_1min"),
           l1 = le && *le >= '0' && *le <= '9' ? atof(le) : NAN;
    const char *l0s = mstr(s, "loadavg_1min");
    if (isnan(l0) && *l0s >= '0' && *l0s <= '9')
        l0 = atof(l0s); /* written as a string by an older mini-bench */
    if (isfinite(cpus) && cpus > 0 && isfinite(l0)) {
        double lmax = isfinite(l1) && l1 > l0 ? l1 : l0;
        fprintf(out, "Reading: %s CPUs; the load average was %s at the start%s. ", num3(cpus),
                num3(l0), isfinite(l1) ? fmt(" and %s at the end", num3(l1)) : "");
        if (lmax > cpus * 0.75)
            fprintf(out,
                    "Other processes competed for the CPUs during this run (a load of %s "
                    "on %s CPUs): the times carry their noise (see the min–max spreads), "
                    "and interleavings of threaded workloads vary with it.\n\n",
                    num3(lmax), num3(cpus));
        else
            fprintf(out, "The machine was mostly idle besides this run.\n\n");
    }

    fprintf(out, "### Allocators\n\nEvery allocator runs the same workload binaries; all but glibc "
                 "through LD_PRELOAD.\n\n");
    fprintf(out,
            "| allocator | version | LD_PRELOAD | settings | status |\n|---|---|---|---|---|\n");
    for (int a = 0; a < MAX_ALLOC; a++) {
        const struct alloc_info *ai = &s->alloc[a];
        fprintf(out, "| %s | %s | `%s` | %s | %s |\n", alloc_names[a], ai->version, ai->preload,
                ai->settings, ai->skip[0] ? ai->skip : "ran");
    }
    fputc('\n', out);
    int dyn = alloc_index("libmini-dyn");
    fprintf(out, "libmini runs with its defaults: a fixed mmap threshold of 128 KiB (every "
                 "request of 128 KiB or more is mapped on its own and unmapped when freed), "
                 "dirty free pages purged by ratio and delay.");
    if (s->alloc[dyn].in_profile)
        fprintf(out, " libmini-dyn is the same library with `MINI_MMAP_DYNAMIC=1`: glibc's "
                     "sliding threshold (freeing a mapped block raises the threshold to its "
                     "size, up to 32 MiB), to show what the fixed threshold costs.");
    fprintf(out, " For every libmini run the runner also collects libmini's own counters "
                 "(`MINI_SHOW_STATS=json` into `MINI_STATS_FILE`; `mini-stats/`).\n\n");
}

static const char *micro_build_type(const struct summary *s)
{
    char dir[768];
    snprintf(dir, sizeof(dir), "%s/micro", s->results);
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    struct dirent *e;
    const char *bt = NULL;
    while (bt == NULL && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char path[1024], err[256];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct json *j = json_parse_file(path, err, sizeof(err));
        const char *v = json_str(json_get(j, "context"), "library_build_type");
        if (v != NULL)
            bt = fmt("%s", v);
    }
    closedir(d);
    return bt;
}

static void context(const struct summary *s)
{
    const struct json *c = s->calibration;
    fprintf(out, "### How to read the numbers\n\n");
    fprintf(out,
            "- Every number is the median over the repetitions that ended \"ok\"; where they "
            "differ, min–max follows in parentheses. The machine has %s online CPUs "
            "(hypervisor: %s); other processes running at the same time show up as spread.\n",
            mstr(s, "cpus_online"), mstr(s, "hypervisor"));
    fprintf(out, "- **time** is the time the workload spent in its measured phase RUN (its "
                 "own total over its RUN periods, written to the shared page: no set-up, idle or "
                 "exit); the wall time of the process for programs that do not report phases. "
                 "**ops/s** = operations the workload counted / time.\n");
    fprintf(out, "- **minor/major faults** are perf software events (`minor-faults`, "
                 "`major-faults`) counted from the workload's exec, its threads and children "
                 "included; getrusage is the cross-check (see below).\n");
    fprintf(out, "- **peak RSS** is `ru_maxrss` from wait4 (the kernel's VmHWM at exit); the "
                 "sampled VmHWM is kept in runs.csv as a cross-check.\n");
    fprintf(out, "- **fragmentation** is RssAnon / live bytes at the sample where the workload's "
                 "live bytes peaked (RssAnon also holds stacks and library data, a few hundred "
                 "KiB). It is at least 1.0 once every live byte has been written; below 1.0 the "
                 "workload holds memory it asked for but has not touched yet (untouched pages "
                 "are not resident). Programs that do not report live bytes (sqlite3, python3 "
                 "run as they are) have none: n/a (external program).\n");
    fprintf(out, "- **trace replays** (`trace-*`) are real programs recorded once under libmini "
                 "with `MINI_TRACE` at the start of the run and replayed call by call under "
                 "every allocator (`mini-trace replay`): the same sizes, order and lifetimes "
                 "for all, with live bytes reported like our own workloads. The replayer's own "
                 "memory is small and the same for every allocator (its slot table is shared "
                 "memory, so it is in VmRSS and peak RSS but not in RssAnon); a replay lasts "
                 "tens of ms, so it is sampled every 2 ms.\n");
    if (c != NULL)
        fprintf(out,
                "- **sampling overhead**: one sample (pread of /proc/PID/status + the "
                "shared page) costs %s µs in calibration; a workload sampled every 10 ms "
                "took %s %% longer than the same workload unsampled (fastest run against "
                "fastest run; the median over alternating pairs is %s %% and the pairs "
                "ranged from %s %% to %s %%: that is the noise these numbers carry); over "
                "the runs the sampler spent a median %s %% (max %s %%) of the wall time "
                "sampling.\n",
                num3(json_num(c, "sample_status_us")),
                num3(json_num(c, "sampling_slowdown_best_pct")),
                num3(json_num(c, "sampling_slowdown_pct")),
                num3(json_num(c, "sampling_slowdown_min_pct")),
                num3(json_num(c, "sampling_slowdown_max_pct")), num3(s->sampling_pct_med),
                num3(s->sampling_pct_max));
    const char *bt = micro_build_type(s);
    fprintf(out,
            "- **micro-benchmarks** use Debian's libbenchmark %s, which is a DEBUG build "
            "of Google Benchmark%s: its own loop carries assertions, so compare "
            "allocators with each other, not with published Google Benchmark numbers.\n",
            mstr(s, "pkg.libbenchmark-dev"),
            bt ? fmt(" (its JSON says library_build_type \"%s\")", bt) : "");
    fprintf(out, "- **hardware counters** (cycles, instructions, LLC and dTLB misses): %s.\n\n",
            s->hw_note[0] ? s->hw_note : "measured, see below");
}

/* ---- headline --------------------------------------------------------------------------------- */

/* The workloads where a/b of metric m is lowest and highest; false if none has it. */
static bool ratio_range(const struct summary *s, int a, int b, enum metric m, int *wlo, int *whi)
{
    *wlo = *whi = -1;
    for (int w = 0; w < s->nwl; w++) {
        double r = summary_ratio(s, w, a, b, m);
        if (!isfinite(r))
            continue;
        if (*wlo < 0 || r < summary_ratio(s, *wlo, a, b, m))
            *wlo = w;
        if (*whi < 0 || r > summary_ratio(s, *whi, a, b, m))
            *whi = w;
    }
    return *wlo >= 0;
}

/* "1.60x over 10 workloads, from 0.80x (prodcons) to 25.4x (size-sweep)" */
static const char *geo_text(const struct summary *s, int a, int b, enum metric m)
{
    int lo, hi;
    if (s->geo_n[a][b][m] == 0 || !ratio_range(s, a, b, m, &lo, &hi))
        return NULL;
    if (lo == hi)
        return fmt("%s (%s only)", ratio_s(s->geo[a][b][m]), s->wl[lo].name);
    return fmt("%s over %d workloads, from %s (%s) to %s (%s)", ratio_s(s->geo[a][b][m]),
               s->geo_n[a][b][m], ratio_s(summary_ratio(s, lo, a, b, m)), s->wl[lo].name,
               ratio_s(summary_ratio(s, hi, a, b, m)), s->wl[hi].name);
}

static void headline(const struct summary *s)
{
    int lm = alloc_index("libmini"), dyn = alloc_index("libmini-dyn");
    fprintf(out, "## Headline: libmini against glibc and jemalloc\n\n");
    fprintf(out, "Geometric mean over the workloads of the ratio of medians (below 1.00x: "
                 "libmini is lower, which is better for all four). The count in parentheses is "
                 "the number of workloads where both allocators have the number.\n\n");
    fprintf(out, "| metric | libmini / glibc | libmini / jemalloc |\n|---|---|---|\n");
    const char *why = s->alloc[lm].skip[0] ? fmt("n/a (libmini %s)", s->alloc[lm].skip) : NULL;
    for (int k = 0; k < NHEADLINE; k++) {
        enum metric m = headline_metrics[k];
        fprintf(out, "| %s |", metric_defs[m].label);
        for (int b = 0; b < 2; b++) {
            if (why)
                fprintf(out, " %s |", why);
            else if (s->alloc[b].skip[0])
                fprintf(out, " n/a (%s %s) |", alloc_names[b], s->alloc[b].skip);
            else if (s->geo_n[lm][b][m] == 0)
                fprintf(out, " n/a (no workload with both) |");
            else
                fprintf(out, " %s (%d) |", ratio_s(s->geo[lm][b][m]), s->geo_n[lm][b][m]);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    if (!why) {
        fprintf(out, "Reading:\n\n");
        for (int k = 0; k < NHEADLINE; k++) {
            enum metric m = headline_metrics[k];
            const char *g = geo_text(s, lm, 0, m), *j = geo_text(s, lm, 1, m);
            if (g == NULL && j == NULL)
                continue;
            fprintf(out, "- %s: libmini / glibc %s", metric_defs[m].label, g ? g : "n/a");
            if (j)
                fprintf(out, "; libmini / jemalloc %s", j);
            fprintf(out, ".\n");
        }
        if (s->alloc[dyn].in_profile && !s->alloc[dyn].skip[0]) {
            fprintf(out, "- libmini-dyn (`MINI_MMAP_DYNAMIC=1`) against glibc:");
            bool first = true;
            for (int k = 0; k < NHEADLINE; k++) {
                enum metric m = headline_metrics[k];
                if (s->geo_n[dyn][0][m] == 0)
                    continue;
                fprintf(out, "%s %s %s", first ? "" : ",", metric_defs[m].label,
                        ratio_s(s->geo[dyn][0][m]));
                first = false;
            }
            fprintf(out, "; against libmini with its defaults:");
            first = true;
            for (int k = 0; k < NHEADLINE; k++) {
                enum metric m = headline_metrics[k];
                const char *t = geo_text(s, dyn, lm, m);
                if (t == NULL)
                    continue;
                fprintf(out, "%s %s %s", first ? "" : ";", metric_defs[m].label, t);
                first = false;
            }
            fprintf(out, ".\n");
        }
        fputc('\n', out);
    }

    fprintf(out, "### Every allocator against glibc\n\n");
    fprintf(out, "The same geometric means for every allocator of this run.");
    if (*not_in_profile(s))
        fprintf(out, " Not in this profile: %s.", not_in_profile(s));
    fprintf(out, "\n\n| allocator |");
    for (int k = 0; k < NHEADLINE; k++)
        fprintf(out, " %s |", metric_defs[headline_metrics[k]].label);
    fprintf(out, "\n|---|");
    for (int k = 0; k < NHEADLINE; k++)
        fprintf(out, "---|");
    fputc('\n', out);
    for (int a = 0; a < MAX_ALLOC; a++) {
        if (!s->alloc[a].in_profile)
            continue;
        fprintf(out, "| %s |", alloc_names[a]);
        for (int k = 0; k < NHEADLINE; k++) {
            enum metric m = headline_metrics[k];
            if (s->alloc[a].skip[0])
                fprintf(out, " %s |", k == 0 ? s->alloc[a].skip : "n/a (skipped)");
            else if (s->alloc[0].skip[0])
                fprintf(out, " n/a (glibc %s) |", s->alloc[0].skip);
            else if (s->geo_n[a][0][m] == 0)
                fprintf(out, " n/a (no workload with both) |");
            else
                fprintf(out, " %s (%d) |", ratio_s(s->geo[a][0][m]), s->geo_n[a][0][m]);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    /* Reading: the lowest and highest geomean of each metric (the counts may differ: a
     * geomean over fewer workloads is named with its count). */
    bool first = true;
    for (int k = 0; k < NHEADLINE; k++) {
        enum metric m = headline_metrics[k];
        int lo = -1, hi = -1;
        for (int a = 0; a < MAX_ALLOC; a++) {
            if (!s->alloc[a].in_profile || s->alloc[a].skip[0] || s->geo_n[a][0][m] == 0)
                continue;
            if (lo < 0 || s->geo[a][0][m] < s->geo[lo][0][m])
                lo = a;
            if (hi < 0 || s->geo[a][0][m] > s->geo[hi][0][m])
                hi = a;
        }
        if (lo < 0 || lo == hi)
            continue;
        fprintf(out, "%s%s: lowest %s (%.2fx), highest %s (%.2fx)", first ? "Reading: " : "; ",
                metric_defs[m].label, alloc_names[lo], s->geo[lo][0][m], alloc_names[hi],
                s->geo[hi][0][m]);
        first = false;
    }
    if (!first)
        fprintf(out, ".\n\n");
}

/* ---- plots ------------------------------------------------------------------------------------ */

static void image(const struct summary *s, const char *name, const char *alt, const char *note)
{
    if (plots_have(s, name))
        fprintf(out, "![%s](plots/%s.png)\n\n([SVG](plots/%s.svg))\n\n", alt, name, name);
    else
        fprintf(out, "Plot %s: %s.\n\n", name, note && *note ? note : "n/a (no data to plot)");
}

static void normalised(const struct summary *s, const char *plot_note)
{
    static const char *const files[NHEADLINE] = {"time", "peak-rss", "faults", "frag"};
    int lm = alloc_index("libmini");
    fprintf(out, "## Normalised to glibc\n\nEach workload's median under each allocator divided "
                 "by glibc's median for the same workload.\n\n");
    for (int k = 0; k < NHEADLINE; k++) {
        enum metric m = headline_metrics[k];
        fprintf(out, "### %s / glibc\n\n", metric_defs[m].label);
        image(s, fmt("normalised-%s", files[k]), metric_defs[m].label, plot_note);
        fprintf(out, "| workload |");
        int n = shown_count(s);
        for (int a = 0; a < MAX_ALLOC; a++)
            if (alloc_shown(s, a))
                fprintf(out, " %s |", alloc_names[a]);
        fprintf(out, "\n|---|");
        for (int i = 0; i < n; i++)
            fprintf(out, "---|");
        fputc('\n', out);
        double hi = -INFINITY, lo = INFINITY;
        int hw = -1, ha = -1, lw = -1, la = -1, above = 0, below = 0, both = 0;
        for (int w = 0; w < s->nwl; w++) {
            fprintf(out, "| %s |", s->wl[w].name);
            if (s->wl[w].skip[0]) {
                for (int i = 0; i < n; i++)
                    fprintf(out, " %s |", i == 0 ? s->wl[w].skip : "n/a (skipped)");
                fputc('\n', out);
                continue;
            }
            for (int a = 0; a < MAX_ALLOC; a++) {
                if (!alloc_shown(s, a))
                    continue;
                const char *why = cell_reason(s, w, a);
                if (why == NULL && cell_reason(s, w, 0) != NULL)
                    why = fmt("n/a (glibc: %s)", cell_reason(s, w, 0));
                double r = summary_ratio(s, w, a, 0, m);
                if (why != NULL)
                    fprintf(out, " %s |", why);
                else if (!isfinite(r))
                    fprintf(out, " %s |",
                            s->cell[w][a].m[m].n == 0
                                ? metric_na(s, w, a, m)
                                : fmt("n/a (glibc: %s", metric_na(s, w, 0, m) + 5));
                else {
                    fprintf(out, " %s |", ratio_s(r));
                    if (a == lm) {
                        both++;
                        above += r > 1.005;
                        below += r < 0.995;
                    }
                    if (a != 0 && r > hi) {
                        hi = r;
                        hw = w;
                        ha = a;
                    }
                    if (a != 0 && r < lo) {
                        lo = r;
                        lw = w;
                        la = a;
                    }
                }
            }
            fputc('\n', out);
        }
        if (hw >= 0) {
            fprintf(out,
                    "\nReading: the highest %s relative to glibc is %s under %s (%.2fx), the "
                    "lowest %s under %s (%.2fx).",
                    metric_defs[m].label, s->wl[hw].name, alloc_names[ha], hi, s->wl[lw].name,
                    alloc_names[la], lo);
            if (both > 0)
                fprintf(out,
                        " libmini is above glibc (by more than 0.5 %%) on %d of the %d workloads "
                        "with both numbers and below on %d.",
                        above, both, below);
            fputc('\n', out);
        }
        fputc('\n', out);
    }
}

/* ---- calibration ------------------------------------------------------------------------------ */

static void calibration(const struct summary *s)
{
    static const char *const rows[][3] = {
        {"fault_write_ns", "ns", "first write to a fresh anonymous page (allocate, zero, map)"},
        {"fault_read_zero_ns", "ns", "first read of a fresh page (maps the shared zero page)"},
        {"zero_cow_fault_ns", "ns", "write after a read: zero page replaced by a private page"},
        {"cow_fault_ns", "ns", "write in a forked child to a page shared with the parent"},
        {"populate_page_ns", "ns/page", "mmap(MAP_POPULATE), beyond a plain mmap call"},
        {"madv_populate_write_page_ns", "ns/page", "madvise(MADV_POPULATE_WRITE)"},
        {"brk_call_ns", "ns", "one brk() call moving the break by 64 KiB (untouched)"},
        {"mmap_call_ns", "ns", "one mmap() of 64 KiB (untouched)"},
        {"munmap_call_ns", "ns", "one munmap() of 64 KiB (untouched)"},
        {"munmap_page_ns", "ns/page", "munmap() of touched pages, beyond the call"},
        {"madvise_dontneed_page_ns", "ns/page", "madvise(MADV_DONTNEED) of touched pages"},
        {"madvise_free_page_ns", "ns/page", "madvise(MADV_FREE) of touched pages"},
        {"memset_gbps", "GB/s", "memset over already-faulted memory"},
        {"sample_status_us", "µs", "one RSS sample of the runner (/proc/PID/status)"},
        {"sampling_slowdown_pct", "%", "slowdown of a workload sampled every 10 ms"},
    };
    const struct json *c = s->calibration;
    fprintf(out,
            "## Machine calibration\n\nMeasured by build/bin/mini-calibrate on this machine "
            "(median of %s repetitions over %s-page regions, MADV_NOHUGEPAGE); the kernel "
            "model takes its costs from `calibration.json`.\n\n",
            num3(json_num(c, "samples")), num3(json_num(c, "region_pages")));
    if (c == NULL) {
        fprintf(out, "n/a (calibration.json missing: mini-calibrate did not run)\n\n");
        return;
    }
    fprintf(out, "| cost | value | unit | what is timed |\n|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        fprintf(out, "| `%s` | %s | %s | %s |\n", rows[i][0], num3(json_num(c, rows[i][0])),
                rows[i][1], rows[i][2]);
    double w = json_num(c, "fault_write_ns"), r = json_num(c, "fault_read_zero_ns"),
           ms = json_num(c, "memset_gbps"), dn = json_num(c, "madvise_dontneed_page_ns"),
           mm = json_num(c, "mmap_call_ns"), mu = json_num(c, "munmap_call_ns"),
           ps = json_num(c, "page_size");
    if (isfinite(w) && isfinite(r) && isfinite(ms) && isfinite(dn) && ms > 0 && r > 0)
        fprintf(out,
                "\nReading: a first-write fault costs %s ns, %.1fx a zero-page read fault; "
                "zeroing one %s-byte page at the memset bandwidth would take %s ns. "
                "Giving a touched page back with MADV_DONTNEED costs %s ns, and an "
                "mmap + munmap pair of untouched memory %s ns.\n",
                num3(w), w / r, num3(ps), num3(ps / ms), num3(dn), num3(mm + mu));
    fputc('\n', out);
}

/* ---- workloads -------------------------------------------------------------------------------- */

/* Index of the allocator with the best (lowest or highest) median of m, or -1. */
static int best_of(const struct summary *s, int w, enum metric m, bool lowest)
{
    int best = -1;
    for (int a = 0; a < MAX_ALLOC; a++) {
        double v = s->cell[w][a].m[m].med;
        if (isnan(v))
            continue;
        if (best < 0 || (lowest ? v < s->cell[w][best].m[m].med : v > s->cell[w][best].m[m].med))
            best = a;
    }
    return best;
}

static void workload_reading(const struct summary *s, int w)
{
    int lo = best_of(s, w, M_TIME, true), hi = best_of(s, w, M_TIME, false);
    if (lo < 0)
        return;
    fprintf(out, "Reading:");
    if (lo != hi)
        fprintf(out, " %s is fastest (%s s), %s slowest (%.2fx that).", alloc_names[lo],
                num3(s->cell[w][lo].m[M_TIME].med), alloc_names[hi],
                summary_ratio(s, w, hi, lo, M_TIME));
    int r = best_of(s, w, M_PEAK_RSS, true), rh = best_of(s, w, M_PEAK_RSS, false);
    if (r >= 0 && r != rh)
        fprintf(out, " %s has the smallest peak RSS (%s MiB), %s the largest (%.2fx that).",
                alloc_names[r], num3(s->cell[w][r].m[M_PEAK_RSS].med / 1024), alloc_names[rh],
                summary_ratio(s, w, rh, r, M_PEAK_RSS));
    int f = best_of(s, w, M_MINFLT, true), fh = best_of(s, w, M_MINFLT, false);
    if (f >= 0 && f != fh)
        fprintf(out, " %s takes the fewest minor faults (%s), %s the most (%.2fx that).",
                alloc_names[f], num3(s->cell[w][f].m[M_MINFLT].med), alloc_names[fh],
                summary_ratio(s, w, fh, f, M_MINFLT));
    int g = best_of(s, w, M_FRAG_PEAK, true), gh = best_of(s, w, M_FRAG_PEAK, false);
    if (g >= 0 && g != gh)
        fprintf(out, " Fragmentation at peak ranges from %s (%s) to %s (%s).",
                num3(s->cell[w][g].m[M_FRAG_PEAK].med), alloc_names[g],
                num3(s->cell[w][gh].m[M_FRAG_PEAK].med), alloc_names[gh]);
    if (g >= 0 && s->cell[w][g].m[M_FRAG_PEAK].med < 1.0)
        fprintf(out,
                " A fragmentation below 1.0 (%s under %s) means fewer bytes were resident than "
                "asked for at that moment: part of what the workload asked for was not written "
                "yet.",
                num3(s->cell[w][g].m[M_FRAG_PEAK].med), alloc_names[g]);
    int lm = alloc_index("libmini");
    double rg = summary_ratio(s, w, lm, 0, M_PEAK_RSS), rj = summary_ratio(s, w, lm, 1, M_PEAK_RSS);
    double tg = summary_ratio(s, w, lm, 0, M_TIME), tj = summary_ratio(s, w, lm, 1, M_TIME);
    if (isfinite(rg) && isfinite(tg))
        fprintf(out, " libmini uses %.2fx the peak RSS of glibc and takes %.2fx its time", rg, tg);
    if (isfinite(rg) && isfinite(tg) && isfinite(rj) && isfinite(tj))
        fprintf(out, "; against jemalloc %.2fx and %.2fx", rj, tj);
    if (isfinite(rg) && isfinite(tg))
        fputc('.', out);
    if (s->wl[w].reclaim) {
        /* Each allocator's RSS at each reading, as a share of its peak before the free. */
        static const enum metric rd[4] = {M_RECLAIM_0S, M_RECLAIM_1S, M_RECLAIM_5S, M_RECLAIM_TRIM};
        static const char *const rdn[4] = {"at once", "after 1 s", "after 5 s", "after trim"};
        fprintf(out, " RSS after the free phase, as a share of the peak before it:");
        bool any = false;
        for (int a = 0; a < MAX_ALLOC; a++) {
            double before = s->cell[w][a].m[M_RSS_BEFORE_FREE].med;
            if (!isfinite(before) || before <= 0)
                continue;
            fprintf(out, "%s %s", any ? ";" : "", alloc_names[a]);
            bool first = true;
            for (int i = 0; i < 4; i++) {
                double v = s->cell[w][a].m[rd[i]].med;
                if (isfinite(v)) {
                    fprintf(out, "%s %.0f %% %s", first ? "" : ",", 100 * v / before, rdn[i]);
                    first = false;
                }
            }
            any = true;
        }
        fprintf(out, "%s", any ? "." : " n/a (no reading).");
        int t = best_of(s, w, M_RECLAIM_TRIM, true);
        if (t >= 0)
            fprintf(out, " After trim %s is lowest (%s MiB).", alloc_names[t],
                    num3(s->cell[w][t].m[M_RECLAIM_TRIM].med / 1024));
    }
    /* Spread flags: (max - min) / median > 10 % of time. */
    bool first = true;
    for (int a = 0; a < MAX_ALLOC; a++) {
        const struct stat3 *st = &s->cell[w][a].m[M_TIME];
        if (st->n > 1 && (st->max - st->min) > 0.10 * st->med) {
            fprintf(out, "%s%s (%.0f %%)", first ? " Time spread above 10 % of the median: " : ", ",
                    alloc_names[a], 100 * (st->max - st->min) / st->med);
            first = false;
        }
    }
    if (!first)
        fputc('.', out);
    fprintf(out, "\n\n");
}

/* libmini's own counters for the libmini configurations that ran workload w, and what they
 * say next to glibc's numbers (all computed: differences and ratios, no causes). */
static void mini_counters(const struct summary *s, int w)
{
    int lm = alloc_index("libmini"), dyn = alloc_index("libmini-dyn");
    const int cfgs[2] = {lm, dyn};
    bool any = false;
    for (int i = 0; i < 2; i++)
        any |= s->cell[w][cfgs[i]].ms[MS_MALLOC].n > 0;
    if (!any) {
        for (int i = 0; i < 2; i++)
            if (s->cell[w][cfgs[i]].nok > 0) {
                fprintf(out,
                        "libmini's counters: n/a (no `mini-stats/` report for %s: see the "
                        "notes).\n\n",
                        alloc_names[cfgs[i]]);
                break;
            }
        return;
    }
    fprintf(out, "libmini's own counters (median over the runs; from `mini-stats/`, printed by "
                 "libmini at exit):\n\n"
                 "| configuration | large blocks mapped / unmapped "
                 "| mmap / munmap / mremap / mprotect calls "
                 "| madvise calls (MiB purged) | heap tops given back (MiB) | brk calls "
                 "| thread-cache hits / misses | lock waits | arenas | peak mapped (MiB) "
                 "| mmap threshold at exit |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < 2; i++) {
        int a = cfgs[i];
        const struct cell *c = &s->cell[w][a];
        if (!s->alloc[a].in_profile)
            continue;
        if (c->ms[MS_MALLOC].n == 0) {
            const char *why = cell_reason(s, w, a);
            fprintf(out, "| %s | %s |", alloc_names[a],
                    why ? why : "n/a (no mini-stats report: see the notes)");
            for (int k = 0; k < 9; k++)
                fprintf(out, " n/a (no report) |");
            fputc('\n', out);
            continue;
        }
        const struct stat3 *m = c->ms;
        double hits = m[MS_TCACHE_HIT].med, miss = m[MS_TCACHE_MISS].med;
        fprintf(out,
                "| %s | %s / %s | %s / %s / %s / %s | %s (%s) | %s (%s) | %s | %s / %s (%s) | %s | "
                "%s | %s | %s |\n",
                alloc_names[a], num3(m[MS_LARGE_ALLOC].med), num3(m[MS_LARGE_FREE].med),
                num3(m[MS_MMAP].med), num3(m[MS_MUNMAP].med), num3(m[MS_MREMAP].med),
                num3(m[MS_MPROTECT].med), num3(m[MS_MADVISE].med), mib(m[MS_BYTES_PURGED].med),
                num3(m[MS_TRIM].med), mib(m[MS_BYTES_TRIMMED].med), num3(m[MS_BRK].med), num3(hits),
                num3(miss),
                hits + miss > 0 ? fmt("%.1f %% hits", 100 * hits / (hits + miss)) : "no lookups",
                num3(m[MS_LOCK_WAITS].med), num3(m[MS_ARENAS].med), mib(m[MS_PEAK_MAPPED].med),
                m[MS_MMAP_THRESHOLD].n ? fmt("%s KiB", num3(m[MS_MMAP_THRESHOLD].med / 1024))
                                       : "n/a (not in the report)");
    }
    fputc('\n', out);

    /* Reading: where libmini's faults, peak RSS and time stand against glibc, each next to the
     * counters that go with it. Only numbers and their ratios. */
    fprintf(out, "Reading (libmini's counters):");
    bool said = false;
    for (int i = 0; i < 2; i++) {
        int a = cfgs[i];
        const struct cell *c = &s->cell[w][a];
        const struct stat3 *m = c->ms;
        if (m[MS_MALLOC].n == 0)
            continue;
        const struct cell *g = &s->cell[w][0];
        double fl = c->m[M_MINFLT].med, fg = g->m[M_MINFLT].med;
        double large = m[MS_LARGE_ALLOC].med, purged = m[MS_BYTES_PURGED].med / 4096,
               trimmed = m[MS_BYTES_TRIMMED].med / 4096;
        /* Faults. */
        fprintf(out, " %s", alloc_names[a]);
        if (isfinite(fl) && isfinite(fg) && fg > 0)
            fprintf(out, " took %s minor faults, %.2fx glibc's (%s%s)", num3(fl), fl / fg,
                    fl >= fg ? "+" : "-", num3(fabs(fl - fg)));
        else if (isfinite(fl))
            fprintf(out, " took %s minor faults", num3(fl));
        if (large > 0) {
            fprintf(out,
                    "; it mapped %s block%s of at least its mmap threshold (%s KiB at exit) "
                    "on %s own and unmapped %s",
                    num3(large), large == 1 ? "" : "s", num3(m[MS_MMAP_THRESHOLD].med / 1024),
                    large == 1 ? "its" : "their", num3(m[MS_LARGE_FREE].med));
            if (large >= 32 && isfinite(fl) && isfinite(fg) && fl > fg)
                fprintf(out, ": %s more faults than glibc per mapped block",
                        num3((fl - fg) / large));
        } else {
            fprintf(out, "; it mapped no block on its own (threshold %s KiB at exit)",
                    num3(m[MS_MMAP_THRESHOLD].med / 1024));
        }
        if (purged > 0)
            fprintf(out,
                    "; its %s madvise calls covered %s pages (%s MiB; a page purged twice "
                    "counts twice; a purged page faults again when it is reused)",
                    num3(m[MS_MADVISE].med), num3(purged), mib(m[MS_BYTES_PURGED].med));
        else
            fprintf(out, "; it purged no page");
        if (trimmed > 0)
            fprintf(out, "; it shrank heap tops %s, by %s pages",
                    m[MS_TRIM].med == 1 ? "once" : fmt("%s times", num3(m[MS_TRIM].med)),
                    num3(trimmed));
        fputc('.', out);
        /* Peak RSS, when it stands out. */
        double rl = c->m[M_PEAK_RSS].med, rg = g->m[M_PEAK_RSS].med;
        if (isfinite(rl) && isfinite(rg) && rg > 0 && rl > 1.2 * rg)
            fprintf(out,
                    " Its peak RSS is %.2fx glibc's (%s against %s MiB); at its peak it held "
                    "%s MiB from the OS (peak mapped) in %s arena%s.",
                    rl / rg, num3(rl / 1024), num3(rg / 1024), mib(m[MS_PEAK_MAPPED].med),
                    num3(m[MS_ARENAS].med), m[MS_ARENAS].med == 1 ? "" : "s");
        /* Time, when it stands out: the OS calls and lock waits per 1000 operations. */
        double tl = c->m[M_TIME].med, tg = g->m[M_TIME].med, ops = c->m[M_OPS].med * tl;
        double sys = m[MS_MMAP].med + m[MS_MUNMAP].med + m[MS_MREMAP].med + m[MS_MPROTECT].med +
                     m[MS_MADVISE].med + m[MS_BRK].med;
        if (isfinite(tl) && isfinite(tg) && tg > 0 && tl > 1.2 * tg) {
            fprintf(out,
                    " It took %.2fx glibc's time; it made %s memory system calls (mmap, "
                    "munmap, mremap, mprotect, madvise, brk)",
                    tl / tg, num3(sys));
            if (isfinite(ops) && ops > 0)
                fprintf(out, ", %s per 1000 operations", num3(1000 * sys / ops));
            double hits = m[MS_TCACHE_HIT].med, miss = m[MS_TCACHE_MISS].med;
            if (hits + miss >= 1000)
                fprintf(out, "; %.1f %% of its small requests came from a thread cache",
                        100 * hits / (hits + miss));
            if (m[MS_LOCK_WAITS].med > 0)
                fprintf(out, "; %s arena lock acquisitions had to wait (%s arenas)",
                        num3(m[MS_LOCK_WAITS].med), num3(m[MS_ARENAS].med));
            fputc('.', out);
        }
        said = true;
    }
    if (s->cell[w][lm].ms[MS_MALLOC].n && s->cell[w][dyn].ms[MS_MALLOC].n) {
        double f1 = s->cell[w][lm].m[M_MINFLT].med, f2 = s->cell[w][dyn].m[M_MINFLT].med;
        double t1 = s->cell[w][lm].m[M_TIME].med, t2 = s->cell[w][dyn].m[M_TIME].med;
        double r1 = s->cell[w][lm].m[M_PEAK_RSS].med, r2 = s->cell[w][dyn].m[M_PEAK_RSS].med;
        if (isfinite(f1) && isfinite(f2) && f1 > 0 && isfinite(t1) && isfinite(t2) && t1 > 0 &&
            isfinite(r1) && isfinite(r2) && r1 > 0)
            fprintf(out,
                    " The sliding threshold (libmini-dyn against libmini) changes the minor "
                    "faults by %s, the time by %s and the peak RSS by %s.",
                    ratio_s(f2 / f1), ratio_s(t2 / t1), ratio_s(r2 / r1));
    }
    fprintf(out, "%s\n\n", said ? "" : " n/a.");
}

/* A cell's notes without those the section already says: a trace replay's or a real
 * program's n/a scale, threads, live bytes, ops and run phase (its first paragraph), and why
 * fragmentation is n/a (the table's cells). */
static const char *section_notes(const struct wl_info *wi, const char *notes)
{
    static const char *const said_trace[] = {"trace replay (", "fragmentation: n/a (", NULL};
    static const char *const said_real[] = {"real program (", "live bytes and ops: n/a (external",
                                            "time: wall (run phase not seen)", NULL};
    static const char *const said_wl[] = {"fragmentation: n/a (", NULL};
    const char *const *said = wi->trace ? said_trace : wi->real ? said_real : said_wl;
    static char out_[1024];
    char buf[1024];
    out_[0] = '\0';
    snprintf(buf, sizeof(buf), "%s", notes);
    char *save = NULL;
    for (char *t = strtok_r(buf, ";", &save); t != NULL; t = strtok_r(NULL, ";", &save)) {
        while (*t == ' ')
            t++;
        bool skip = false;
        for (int i = 0; said[i] != NULL; i++)
            skip |= strncmp(t, said[i], strlen(said[i])) == 0;
        if (!skip) {
            size_t n = strlen(out_);
            snprintf(out_ + n, sizeof(out_) - n, "%s%s", n ? "; " : "", t);
        }
    }
    return out_;
}

static void workload(const struct summary *s, int w, const char *plot_note)
{
    const struct wl_info *wi = &s->wl[w];
    fprintf(out, "### %s\n\n", wi->name);
    if (wi->skip[0]) {
        fprintf(out, "%s.\n\n", wi->skip);
        return;
    }
    const char *unit = "";
    for (int a = 0; a < MAX_ALLOC && !*unit; a++)
        if (s->cell[w][a].ops_unit[0] && strcmp(s->cell[w][a].ops_unit, "n/a") != 0)
            unit = s->cell[w][a].ops_unit;
    bool has_args = wi->args[0] && strcmp(wi->args, "-") != 0;
    if (wi->trace) {
        fprintf(out,
                "Replay of a trace of the real program `%s%s%s` (%s), recorded once under "
                "libmini with `MINI_TRACE` at the start of this run (%s s): %s calls in %s "
                "thread%s, a peak of %s MiB live (the program's own, from the trace), %s MiB of "
                "trace. Every allocator replays the same calls with `mini-trace replay` (same "
                "sizes, alignments, entry points and order; every block is written when it is "
                "allocated); the blocks the program never freed are freed after the measured "
                "phase. Repetitions %s; operations counted: %s.\n\n",
                wi->trace_program, strcmp(wi->trace_args, "-") != 0 ? " " : "",
                strcmp(wi->trace_args, "-") != 0 ? wi->trace_args : "", wi->trace_exe,
                num3(wi->trace_record_s), num3(wi->trace_calls), num3(wi->trace_threads),
                wi->trace_threads == 1 ? "" : "s", mib(wi->trace_peak_live), mib(wi->trace_bytes),
                wi->reps, *unit ? unit : "n/a");
    } else if (wi->real) {
        fprintf(out,
                "A real program, run as it is (`bench/workloads/real/run-real.sh %s%s%s`, "
                "described by `%s.cmd`): it reports no live bytes or ops, its time is the wall "
                "time of the process. Repetitions %s.\n\n",
                wi->name, has_args ? " " : "", has_args ? wi->args : "", wi->name, wi->reps);
    } else {
        fprintf(out, "Scale %s, threads %s, repetitions %s%s%s%s%s.\n\n", wi->scale, wi->threads,
                wi->reps, *unit ? "; operations counted: " : "", unit,
                has_args ? "; arguments: " : "", has_args ? wi->args : "");
    }
    fprintf(out, "| allocator | time (s) | ops/s | minor faults | major faults | peak RSS (MiB) "
                 "| peak live (MiB) | fragmentation at peak | fragmentation (mean) |\n"
                 "|---|---|---|---|---|---|---|---|---|\n");
    for (int a = 0; a < MAX_ALLOC; a++) {
        if (!alloc_shown(s, a) && s->cell[w][a].nruns == 0)
            continue;
        const char *why = cell_reason(s, w, a);
        if (why != NULL) {
            fprintf(out, "| %s | %s | n/a | n/a | n/a | n/a | n/a | n/a | n/a |\n", alloc_names[a],
                    why);
            continue;
        }
        fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", alloc_names[a],
                cell_value(s, w, a, M_TIME, 1), cell_value(s, w, a, M_OPS, 1),
                cell_value(s, w, a, M_MINFLT, 1), cell_value(s, w, a, M_MAJFLT, 1),
                cell_value(s, w, a, M_PEAK_RSS, 1024), cell_value(s, w, a, M_PEAK_LIVE, 1048576),
                cell_value(s, w, a, M_FRAG_PEAK, 1), cell_value(s, w, a, M_FRAG_MEAN, 1));
    }
    fputc('\n', out);
    if (wi->reclaim) {
        fprintf(out,
                "Reclaim (VmRSS in MiB; the workload frees its memory, idles, then calls its "
                "allocator's trim; \"settled\" is the time after the free until VmRSS came "
                "within 1 %% of where it stood at the end of the idle):\n\n"
                "| allocator | peak before the free | at once | after 1 s | after 5 s | after trim "
                "| settled after (s) |\n|---|---|---|---|---|---|---|\n");
        for (int a = 0; a < MAX_ALLOC; a++) {
            if (!alloc_shown(s, a) && s->cell[w][a].nruns == 0)
                continue;
            const struct cell *c = &s->cell[w][a];
            const char *why = cell_reason(s, w, a);
            if (why != NULL) {
                fprintf(out, "| %s | %s | n/a | n/a | n/a | n/a | n/a |\n", alloc_names[a], why);
                continue;
            }
            fprintf(out, "| %s", alloc_names[a]);
            for (int m = M_RSS_BEFORE_FREE; m <= M_RECLAIM_TRIM; m++)
                fprintf(out, " | %s", c->m[m].n ? spread(&c->m[m], 1024, num3) : "n/a (see notes)");
            fprintf(out, " | %s |\n",
                    c->m[M_RECLAIM_SETTLE].n ? spread(&c->m[M_RECLAIM_SETTLE], 1, num3)
                                             : "n/a (no samples in FREED)");
        }
        fputc('\n', out);
    }
    image(s, fmt("timeline-%s", wi->name), fmt("%s: RSS over time", wi->name), plot_note);
    if (wi->reclaim)
        image(s, fmt("reclaim-%s", wi->name), fmt("%s: reclaim", wi->name), plot_note);
    workload_reading(s, w);
    mini_counters(s, w);
    bool any = false;
    for (int a = 0; a < MAX_ALLOC; a++) {
        const struct cell *c = &s->cell[w][a];
        if (*section_notes(wi, c->notes) == '\0' && c->fail_status[0] == '\0')
            continue;
        if (!any)
            fprintf(out, "Notes from the runs:\n\n");
        any = true;
        const char *notes = section_notes(wi, c->notes);
        if (*notes)
            fprintf(out, "- %s: %s\n", alloc_names[a], notes);
        if (c->fail_status[0])
            fprintf(out, "- %s: %d of %d runs did not end ok (%s)\n", alloc_names[a],
                    c->nruns - c->nok, c->nruns, c->fail_status);
    }
    if (any)
        fputc('\n', out);
}

/* ---- micro-benchmarks ------------------------------------------------------------------------- */

#define MAX_MICRO 80

static double unit_ns(const char *u)
{
    if (u == NULL || strcmp(u, "ns") == 0)
        return 1;
    if (strcmp(u, "us") == 0)
        return 1e3;
    if (strcmp(u, "ms") == 0)
        return 1e6;
    return 1e9;
}

static void micro(const struct summary *s)
{
    fprintf(out, "## Micro-benchmarks\n\n");
    char names[MAX_MICRO][96];
    double ns[MAX_MICRO][MAX_ALLOC];
    bool have[MAX_ALLOC] = {false};
    int n = 0;
    for (int i = 0; i < MAX_MICRO; i++)
        for (int a = 0; a < MAX_ALLOC; a++)
            ns[i][a] = NAN;
    for (int a = 0; a < MAX_ALLOC; a++) {
        char path[1024], err[256];
        snprintf(path, sizeof(path), "%s/micro/%s.json", s->results, alloc_names[a]);
        if (access(path, R_OK) != 0)
            continue;
        struct json *j = json_parse_file(path, err, sizeof(err));
        const struct json *b = json_get(j, "benchmarks");
        if (b == NULL || b->type != JSON_ARR) {
            fprintf(out, "- %s: n/a (%s)\n", alloc_names[a], j ? "no benchmarks in the JSON" : err);
            continue;
        }
        have[a] = true;
        for (int k = 0; k < b->n; k++) {
            const struct json *e = b->v[k];
            const char *name =
                json_str(e, "run_name") ? json_str(e, "run_name") : json_str(e, "name");
            const char *agg = json_str(e, "aggregate_name");
            if (name == NULL || (agg != NULL && strcmp(agg, "median") != 0))
                continue;
            int i = 0;
            while (i < n && strcmp(names[i], name) != 0)
                i++;
            if (i == n) {
                if (n == MAX_MICRO)
                    continue;
                snprintf(names[n++], sizeof(names[0]), "%s", name);
            }
            /* A benchmark marked UseRealTime ("/real_time" in its name) is timed by the clock. */
            const char *field = strstr(name, "real_time") ? "real_time" : "cpu_time";
            if (isnan(ns[i][a]) || agg != NULL)
                ns[i][a] = json_num(e, field) * unit_ns(json_str(e, "time_unit"));
        }
    }
    if (n == 0) {
        fprintf(out, "%s.\n\n",
                s->micro_note[0] ? s->micro_note : "skipped: no micro-benchmark results (micro/)");
        return;
    }
    fprintf(out, "Time per iteration in ns: CPU time, or real time for the benchmarks named "
                 "`.../real_time` (Google Benchmark, the same binary under each allocator "
                 "through LD_PRELOAD; the median of its repetitions when it made "
                 "several).\n\n| benchmark |");
    int cols = 0;
    for (int a = 0; a < MAX_ALLOC; a++)
        if (alloc_shown(s, a)) {
            fprintf(out, " %s |", alloc_names[a]);
            cols++;
        }
    fprintf(out, "\n|---|");
    for (int i = 0; i < cols; i++)
        fprintf(out, "---|");
    fputc('\n', out);
    double lsum[2] = {0, 0};
    int ln[2] = {0, 0}, lm = alloc_index("libmini"), wins[MAX_ALLOC] = {0};
    for (int i = 0; i < n; i++) {
        fprintf(out, "| `%s` |", names[i]);
        for (int a = 0; a < MAX_ALLOC; a++) {
            if (!alloc_shown(s, a))
                continue;
            if (!have[a])
                fprintf(out, " %s |",
                        s->alloc[a].skip[0] ? s->alloc[a].skip : "n/a (no micro JSON)");
            else
                fprintf(out, " %s |", num3(ns[i][a]));
        }
        fputc('\n', out);
        int best = -1;
        for (int a = 0; a < MAX_ALLOC; a++)
            if (have[a] && isfinite(ns[i][a]) && (best < 0 || ns[i][a] < ns[i][best]))
                best = a;
        if (best >= 0)
            wins[best]++;
        for (int b = 0; b < 2; b++)
            if (isfinite(ns[i][lm]) && isfinite(ns[i][b]) && ns[i][b] > 0 && ns[i][lm] > 0) {
                lsum[b] += log(ns[i][lm] / ns[i][b]);
                ln[b]++;
            }
    }
    fputc('\n', out);
    fprintf(out, "Reading: the lowest time per benchmark belongs to");
    bool first = true;
    for (int a = 0; a < MAX_ALLOC; a++)
        if (wins[a] > 0) {
            fprintf(out, "%s %s in %d of %d", first ? "" : ",", alloc_names[a], wins[a], n);
            first = false;
        }
    fputc('.', out);
    for (int b = 0; b < 2; b++)
        if (ln[b] > 0)
            fprintf(out, " Over %d benchmarks libmini's time is %.2fx %s's (geomean).", ln[b],
                    exp(lsum[b] / ln[b]), alloc_names[b]);
    fprintf(out, "\n\n");
}

/* ---- cross-checks, counters, hooks, skipped ---------------------------------------------------- */

static void fault_check(const struct summary *s)
{
    fprintf(out, "## Fault accounting cross-check\n\nFor every run the runner counts minor faults "
                 "twice: perf's `minor-faults` event from the exec on, and wait4's `ru_minflt` "
                 "minus the faults the child took between fork and exec (it reads its own "
                 "getrusage just before execve). The difference left is the kernel's own work "
                 "during exec (copying the arguments: counted in ru_minflt, not as a perf "
                 "event).\n\n");
    if (s->fault_runs == 0) {
        fprintf(out, "n/a (no run had both counts).\n\n");
        return;
    }
    fprintf(out, "%d of %d runs agree within 1 %%; the largest difference is %.3f %%.",
            s->fault_within_1pct, s->fault_runs, s->fault_max_abs_diff);
    if (s->fault_runs > s->fault_within_1pct)
        fprintf(out,
                " The runs outside 1 %% take at most %s minor faults in all and differ by "
                "at most %s faults: the constant the exec leaves (its argument and "
                "environment pages, a few per exec), which is over 1 %% only for a "
                "process that faults this little.",
                num3(s->fault_max_perf_outside), num3(s->fault_max_outside));
    fprintf(out, "\n\n");
    fprintf(out, "| workload |");
    for (int a = 0; a < MAX_ALLOC; a++)
        if (alloc_shown(s, a))
            fprintf(out, " %s |", alloc_names[a]);
    fprintf(out, "\n|---|");
    for (int a = 0; a < MAX_ALLOC; a++)
        if (alloc_shown(s, a))
            fprintf(out, "---|");
    fputc('\n', out);
    for (int w = 0; w < s->nwl; w++) {
        fprintf(out, "| %s |", s->wl[w].name);
        bool first = true;
        for (int a = 0; a < MAX_ALLOC; a++) {
            if (!alloc_shown(s, a))
                continue;
            const char *why = cell_reason(s, w, a);
            const struct stat3 *st = &s->cell[w][a].m[M_FAULT_DIFF];
            if (s->wl[w].skip[0]) {
                fprintf(out, " %s |", first ? s->wl[w].skip : "n/a (skipped)");
                first = false;
                continue;
            }
            if (why)
                fprintf(out, " %s |", why);
            else if (st->n == 0)
                fprintf(out, " n/a (perf counter missing) |");
            else
                fprintf(out, " %+.3f %% (extreme %+.3f %%) |", st->med,
                        fabs(st->max) > fabs(st->min) ? st->max : st->min);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
}

static void hw_counters(const struct summary *s)
{
    fprintf(out, "## Hardware counters\n\n");
    if (s->hw_note[0]) {
        fprintf(out,
                "Cycles, instructions, LLC misses, dTLB misses: %s. The runner encodes them "
                "with libpfm4 (`perf::PERF_COUNT_HW_CPU_CYCLES`, `..._INSTRUCTIONS`, "
                "`..._CACHE_LL:READ:MISS`, `..._CACHE_DTLB:READ:MISS`) and opens them with "
                "perf_event_open on every run; on a machine with a PMU the columns of "
                "runs.csv fill in and this section shows them.\n\n",
                s->hw_note);
        return;
    }
    fprintf(out, "| workload | allocator | cycles | instructions | LLC misses | dTLB misses |\n"
                 "|---|---|---|---|---|---|\n");
    for (int w = 0; w < s->nwl; w++)
        for (int a = 0; a < MAX_ALLOC; a++) {
            const struct cell *c = &s->cell[w][a];
            if (c->nok == 0)
                continue;
            fprintf(out, "| %s | %s | %s | %s | %s | %s |\n", s->wl[w].name, alloc_names[a],
                    num3(c->m[M_CYCLES].med), num3(c->m[M_INSTR].med), num3(c->m[M_LLC].med),
                    num3(c->m[M_DTLB].med));
        }
    fputc('\n', out);
}

/* A section others add later: results/sections/NAME.md is included when it exists. */
static void hook(const struct summary *s, const char *title, const char *name, const char *what)
{
    fprintf(out, "## %s\n\n<!-- section hook: %s (results/sections/%s.md) -->\n\n", title, name,
            name);
    char path[1024];
    snprintf(path, sizeof(path), "%s/sections/%s.md", s->results, name);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        fprintf(out,
                "Not in this run: %s will be added here (the report includes "
                "`results/sections/%s.md` when it exists).\n\n",
                what, name);
        return;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, out);
    fclose(f);
    fprintf(out, "\n<!-- end of section hook: %s -->\n\n", name);
}

static void skipped(const struct summary *s)
{
    fprintf(out, "## Skipped and failed\n\n");
    int n = 0;
    for (int r = 0; r < s->skipped.nrow; r++) {
        const char *kind = csv_get(&s->skipped, r, "kind"),
                   *w = csv_get(&s->skipped, r, "workload"),
                   *a = csv_get(&s->skipped, r, "allocator"),
                   *why = csv_get(&s->skipped, r, "reason");
        bool hw = strcmp(w, "-") != 0, ha = strcmp(a, "-") != 0;
        fprintf(out, "- %s%s%s%s%s: skipped: %s\n", kind, hw || ha ? " " : "", hw ? w : "",
                hw && ha ? " x " : "", ha ? a : "", why);
        n++;
    }
    for (int a = 0; a < MAX_ALLOC; a++)
        if (!s->alloc[a].in_profile) {
            fprintf(out, "- allocator %s: %s\n", alloc_names[a], s->alloc[a].skip);
            n++;
        }
    for (int w = 0; w < s->nwl; w++)
        for (int a = 0; a < MAX_ALLOC; a++)
            if (strncmp(s->cell[w][a].fail_status, "skipped", 7) == 0) {
                fprintf(out, "- %s x %s: %s\n", s->wl[w].name, alloc_names[a],
                        s->cell[w][a].fail_status);
                n++;
            } else if (s->cell[w][a].fail_status[0]) {
                fprintf(out, "- %s x %s: %d of %d runs failed (%s); logs in `logs/%s-%s-*.log`\n",
                        s->wl[w].name, alloc_names[a], s->cell[w][a].nruns - s->cell[w][a].nok,
                        s->cell[w][a].nruns, s->cell[w][a].fail_status, s->wl[w].name,
                        alloc_names[a]);
                n++;
            }
    if (n == 0)
        fprintf(out, "Nothing was skipped and no run failed.\n");
    fputc('\n', out);
}

int markdown_write(const struct summary *s, const char *path, const char *plot_note)
{
    out = fopen(path, "we");
    if (out == NULL)
        return -1;
    header(s);
    machine(s);
    context(s);
    headline(s);
    normalised(s, plot_note);
    calibration(s);
    fprintf(out, "## Workloads\n\n");
    for (int w = 0; w < s->nwl; w++)
        workload(s, w, plot_note);
    micro(s);
    fault_check(s);
    hw_counters(s);
    skipped(s);
    hook(s, "Seed questions", "seed-questions",
         "the measured answers to the seed questions (malloc(1) reservation, free and the OS, "
         "mmap vs brk costs, the 16-byte header, 8 GB on a 4 GB machine, swappiness, direct vs "
         "background reclaim)");
    hook(s, "Overcommit and swappiness sweep", "sweep",
         "the vm.overcommit_memory and vm.swappiness sweep");
    return fclose(out);
}
