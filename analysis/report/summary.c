/*
 * summary.c — from the rows of runs.csv to one cell per workload x allocator: the median, min
 * and max of each metric over the runs that ended "ok", the ratios of medians between
 * allocators, and the geometric means of those ratios over the workloads (the headline).
 *
 * A geomean of a/b over workloads uses only the workloads where both a and b have a median;
 * the count is kept next to it and printed, so a geomean over fewer workloads is visible.
 */
#include <string.h>

#include "analysis/report/report.h"

const struct metric_def metric_defs[NMETRIC] = {
    [M_TIME] = {"time_s", "time (s)", true},
    [M_WALL] = {"wall_s", "wall (s)", true},
    [M_USER] = {"user_s", "user (s)", true},
    [M_SYS] = {"sys_s", "sys (s)", true},
    [M_OPS] = {"ops_per_s", "ops/s", false},
    [M_MINFLT] = {"minflt", "minor faults", true},
    [M_MAJFLT] = {"majflt", "major faults", true},
    [M_PEAK_RSS] = {"peak_rss_kb", "peak RSS", true},
    [M_PEAK_RSS_SAMPLED] = {"peak_rss_sampled_kb", "peak RSS (sampled VmHWM)", true},
    [M_PEAK_LIVE] = {"peak_live_bytes", "peak live bytes", true},
    [M_FRAG_PEAK] = {"frag_at_peak", "fragmentation", true},
    [M_FRAG_MEAN] = {"frag_mean", "fragmentation (mean)", true},
    [M_RSS_BEFORE_FREE] = {"peak_rss_before_free_kb", "peak RSS before the free", true},
    [M_RECLAIM_0S] = {"reclaim_rss_kb_0s", "RSS after free, at once", true},
    [M_RECLAIM_1S] = {"reclaim_rss_kb_1s", "RSS after free, 1 s", true},
    [M_RECLAIM_5S] = {"reclaim_rss_kb_5s", "RSS after free, 5 s", true},
    [M_RECLAIM_TRIM] = {"reclaim_rss_kb_trim", "RSS after trim", true},
    [M_RECLAIM_SETTLE] = {"reclaim_settle_s", "reclaim settled after (s)", true},
    [M_FAULT_DIFF] = {"minflt_diff_pct", "faults rusage vs perf (%)", true},
    [M_SAMPLING_PCT] = {"sampling_overhead_pct", "sampling time (% of wall)", true},
    [M_SAMPLE_US] = {"sample_cost_us", "cost per sample (us)", true},
    [M_CYCLES] = {"cycles", "cycles", true},
    [M_INSTR] = {"instructions", "instructions", true},
    [M_LLC] = {"llc_misses", "LLC misses", true},
    [M_DTLB] = {"dtlb_misses", "dTLB misses", true},
};

const enum metric headline_metrics[NHEADLINE] = {M_TIME, M_PEAK_RSS, M_MINFLT, M_FRAG_PEAK};

const char *const alloc_names[MAX_ALLOC] = {"glibc",       "jemalloc", "libmini",
                                            "libmini-dyn", "mimalloc", "tcmalloc"};
/* common.gp's palette keeps its first five colours for the first five allocators it knew. */
const int alloc_color[MAX_ALLOC] = {1, 2, 3, 6, 4, 5};

const char *const mini_stat_keys[NMINISTAT] = {
    [MS_LARGE_ALLOC] = "n_large_alloc",
    [MS_LARGE_FREE] = "n_large_free",
    [MS_MMAP] = "n_mmap",
    [MS_MUNMAP] = "n_munmap",
    [MS_MREMAP] = "n_mremap",
    [MS_MPROTECT] = "n_mprotect",
    [MS_MADVISE] = "n_madvise",
    [MS_BYTES_PURGED] = "bytes_purged",
    [MS_TRIM] = "n_trim",
    [MS_BYTES_TRIMMED] = "bytes_trimmed",
    [MS_BRK] = "n_brk",
    [MS_TCACHE_HIT] = "n_tcache_hit",
    [MS_TCACHE_MISS] = "n_tcache_miss",
    [MS_LOCK_WAITS] = "n_lock_contended",
    [MS_ARENAS] = "narenas",
    [MS_PEAK_MAPPED] = "peak_mapped",
    [MS_MALLOC] = "n_malloc",
    [MS_MMAP_THRESHOLD] = "options.mmap_threshold",
};

int alloc_index(const char *name)
{
    for (int i = 0; i < MAX_ALLOC; i++)
        if (name != NULL && strcmp(alloc_names[i], name) == 0)
            return i;
    return -1;
}

/* A cell, or "n/a" when the column or row is missing. */
static const char *cget(const struct csv *t, int r, const char *k)
{
    const char *v = csv_get(t, r, k);
    return v ? v : "n/a";
}

static int wl_index(struct summary *s, const char *name, bool add)
{
    for (int i = 0; i < s->nwl; i++)
        if (strcmp(s->wl[i].name, name) == 0)
            return i;
    if (!add || s->nwl >= MAX_WL)
        return -1;
    struct wl_info *w = &s->wl[s->nwl];
    memset(w, 0, sizeof(*w));
    snprintf(w->name, sizeof(w->name), "%s", name);
    snprintf(w->scale, sizeof(w->scale), "?");
    snprintf(w->threads, sizeof(w->threads), "-");
    snprintf(w->reps, sizeof(w->reps), "?");
    return s->nwl++;
}

static const char *session(const struct summary *s, const char *key)
{
    for (int r = 0; r < s->session.nrow; r++)
        if (strcmp(csv_get(&s->session, r, "key"), key) == 0)
            return csv_get(&s->session, r, "value");
    return NULL;
}

/* Whether word w is in the space-separated list. */
static bool in_list(const char *list, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = list; p && *p;) {
        while (*p == ' ')
            p++;
        if (strncmp(p, w, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
            return true;
        p = strchr(p, ' ');
    }
    return false;
}

int summary_load(struct summary *s, const char *dir)
{
    char path[768], err[256];
    snprintf(s->results, sizeof(s->results), "%s", dir);
    snprintf(path, sizeof(path), "%s/runs.csv", dir);
    csv_read(path, &s->runs);
    snprintf(path, sizeof(path), "%s/plan.csv", dir);
    csv_read(path, &s->plan);
    snprintf(path, sizeof(path), "%s/session.csv", dir);
    csv_read(path, &s->session);
    snprintf(path, sizeof(path), "%s/skipped.csv", dir);
    csv_read(path, &s->skipped);
    snprintf(path, sizeof(path), "%s/traces.csv", dir);
    csv_read(path, &s->traces);
    snprintf(path, sizeof(path), "%s/machine.json", dir);
    s->machine = json_parse_file(path, err, sizeof(err));
    if (s->machine == NULL)
        fprintf(stderr, "mini-report: %s\n", err);
    snprintf(path, sizeof(path), "%s/calibration.json", dir);
    s->calibration = json_parse_file(path, err, sizeof(err));
    if (s->calibration == NULL)
        fprintf(stderr, "mini-report: %s\n", err);

    for (int r = 0; r < s->skipped.nrow; r++)
        if (strcmp(csv_get(&s->skipped, r, "kind"), "micro") == 0)
            snprintf(s->micro_note, sizeof(s->micro_note), "skipped: %s",
                     csv_get(&s->skipped, r, "reason"));
    const char *p = session(s, "profile");
    snprintf(s->profile, sizeof(s->profile), "%s", p ? p : "unknown");

    /* Workloads: the plan's order first, then any other workload found in runs.csv. */
    for (int r = 0; r < s->plan.nrow; r++) {
        int w = wl_index(s, csv_get(&s->plan, r, "workload"), true);
        if (w < 0)
            continue;
        struct wl_info *wi = &s->wl[w];
        snprintf(wi->scale, sizeof(wi->scale), "%s", csv_get(&s->plan, r, "scale"));
        snprintf(wi->threads, sizeof(wi->threads), "%s", csv_get(&s->plan, r, "threads"));
        snprintf(wi->reps, sizeof(wi->reps), "%s", csv_get(&s->plan, r, "reps"));
        snprintf(wi->args, sizeof(wi->args), "%s", csv_get(&s->plan, r, "args"));
        const char *st = csv_get(&s->plan, r, "status");
        if (st != NULL && strncmp(st, "skipped", 7) == 0)
            snprintf(wi->skip, sizeof(wi->skip), "%s", st);
        wi->real = strncmp(wi->scale, "n/a (real", 9) == 0;
    }
    /* Trace replays: what was recorded (traces.csv, written by run-bench). */
    for (int r = 0; r < s->traces.nrow; r++) {
        const char *name = csv_get(&s->traces, r, "workload");
        int w = name ? wl_index(s, name, false) : -1;
        if (w < 0)
            continue;
        struct wl_info *wi = &s->wl[w];
        wi->trace = true;
        snprintf(wi->trace_program, sizeof(wi->trace_program), "%s",
                 cget(&s->traces, r, "program"));
        snprintf(wi->trace_args, sizeof(wi->trace_args), "%s", cget(&s->traces, r, "args"));
        snprintf(wi->trace_exe, sizeof(wi->trace_exe), "%s", cget(&s->traces, r, "exe"));
        snprintf(wi->trace_status, sizeof(wi->trace_status), "%s", cget(&s->traces, r, "status"));
        wi->trace_calls = csv_num(&s->traces, r, "calls");
        wi->trace_threads = csv_num(&s->traces, r, "threads");
        wi->trace_peak_live = csv_num(&s->traces, r, "peak_live_bytes");
        wi->trace_bytes = csv_num(&s->traces, r, "trace_bytes");
        wi->trace_record_s = csv_num(&s->traces, r, "record_s");
    }
    for (int r = 0; r < s->runs.nrow; r++)
        wl_index(s, csv_get(&s->runs, r, "workload"), true);

    /* Allocators: in the profile, available, version. */
    const char *allocs = session(s, "allocs");
    const struct json *ja = json_get(s->machine, "allocators");
    for (int a = 0; a < MAX_ALLOC; a++) {
        struct alloc_info *ai = &s->alloc[a];
        const struct json *j = json_get(ja, alloc_names[a]);
        const struct json *av = json_get(j, "available");
        ai->available = av != NULL && av->type == JSON_BOOL && av->num != 0;
        snprintf(ai->version, sizeof(ai->version), "%s",
                 json_str(j, "version") ? json_str(j, "version") : "n/a (machine.json missing)");
        snprintf(ai->preload, sizeof(ai->preload), "%s",
                 json_str(j, "preload") ? json_str(j, "preload") : "n/a");
        snprintf(ai->settings, sizeof(ai->settings), "%s",
                 json_str(j, "settings") ? json_str(j, "settings") : "n/a");
        ai->in_profile = allocs ? in_list(allocs, alloc_names[a]) : false;
        for (int r = 0; allocs == NULL && r < s->runs.nrow; r++)
            ai->in_profile |= alloc_index(csv_get(&s->runs, r, "allocator")) == a;
        if (!ai->in_profile) {
            char list[256];
            snprintf(list, sizeof(list), "%s", allocs ? allocs : "none recorded");
            for (size_t n = strlen(list); n > 0 && list[n - 1] == ' '; n--)
                list[n - 1] = '\0';
            snprintf(ai->skip, sizeof(ai->skip), "skipped: not among this run's allocators (%s)",
                     list);
        } else if (!ai->available)
            snprintf(ai->skip, sizeof(ai->skip), "skipped: %s",
                     json_str(j, "reason") ? json_str(j, "reason") : "not available");
    }
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double row_metric(const struct csv *t, int r, enum metric m)
{
    static const char *const cols[NMETRIC] = {
        [M_TIME] = "time_s",
        [M_WALL] = "wall_s",
        [M_USER] = "user_s",
        [M_SYS] = "sys_s",
        [M_OPS] = "ops_per_s",
        [M_PEAK_RSS] = "peak_rss_kb",
        [M_PEAK_RSS_SAMPLED] = "peak_rss_sampled_kb",
        [M_PEAK_LIVE] = "peak_live_bytes",
        [M_FRAG_PEAK] = "frag_at_peak",
        [M_FRAG_MEAN] = "frag_mean",
        [M_RSS_BEFORE_FREE] = "peak_rss_before_free_kb",
        [M_RECLAIM_0S] = "reclaim_rss_kb_0s",
        [M_RECLAIM_1S] = "reclaim_rss_kb_1s",
        [M_RECLAIM_5S] = "reclaim_rss_kb_5s",
        [M_RECLAIM_TRIM] = "reclaim_rss_kb_trim",
        [M_RECLAIM_SETTLE] = "reclaim_settle_s",
        [M_FAULT_DIFF] = "minflt_diff_pct",
        [M_SAMPLING_PCT] = "sampling_overhead_pct",
        [M_SAMPLE_US] = "sample_cost_us",
        [M_CYCLES] = "cycles",
        [M_INSTR] = "instructions",
        [M_LLC] = "llc_misses",
        [M_DTLB] = "dtlb_misses",
    };
    double v;
    switch (m) {
    case M_MINFLT: /* perf is the authority; getrusage when perf could not count */
        v = csv_num(t, r, "minflt_perf");
        return isnan(v) ? csv_num(t, r, "minflt_rusage") : v;
    case M_MAJFLT:
        v = csv_num(t, r, "majflt_perf");
        return isnan(v) ? csv_num(t, r, "majflt_rusage") : v;
    default:
        return csv_num(t, r, cols[m]);
    }
}

/* One counter of a libmini statistics object ("options.mmap_threshold": a nested key). */
static double mini_stat_value(const struct json *j, const char *key)
{
    const char *dot = strchr(key, '.');
    if (dot == NULL)
        return json_num(j, key);
    char outer[64];
    snprintf(outer, sizeof(outer), "%.*s", (int)(dot - key), key);
    return json_num(json_get(j, outer), dot + 1);
}

/* libmini's counters of the ok runs of cell (w, a): medians, min, max over mini-stats/. */
static void cell_mini_stats(struct summary *s, int w, int a, struct cell *c)
{
    const struct csv *t = &s->runs;
    double vals[NMINISTAT][64];
    int n = 0;
    for (int r = 0; r < t->nrow && n < 64; r++) {
        const char *f = csv_get(t, r, "alloc_stats");
        if (strcmp(csv_get(t, r, "workload"), s->wl[w].name) != 0 ||
            alloc_index(csv_get(t, r, "allocator")) != a ||
            strcmp(csv_get(t, r, "status"), "ok") != 0 || f == NULL || strcmp(f, "n/a") == 0)
            continue;
        char path[1024], err[256];
        snprintf(path, sizeof(path), "%s/%s", s->results, f);
        struct json *j = json_parse_file(path, err, sizeof(err));
        if (j == NULL)
            continue;
        for (int k = 0; k < NMINISTAT; k++)
            vals[k][n] = mini_stat_value(j, mini_stat_keys[k]);
        n++;
    }
    for (int k = 0; k < NMINISTAT; k++) {
        struct stat3 *st = &c->ms[k];
        st->n = 0;
        st->med = st->min = st->max = NAN;
        double v[64];
        for (int i = 0; i < n; i++)
            if (!isnan(vals[k][i]))
                v[st->n++] = vals[k][i];
        if (st->n == 0)
            continue;
        qsort(v, (size_t)st->n, sizeof(double), cmp_d);
        st->min = v[0];
        st->max = v[st->n - 1];
        st->med = st->n % 2 ? v[st->n / 2] : (v[st->n / 2 - 1] + v[st->n / 2]) / 2;
    }
}

static void add_note(struct cell *c, const char *note)
{
    if (*note == '\0' || strcmp(note, "-") == 0 || strstr(c->notes, note) != NULL)
        return;
    size_t n = strlen(c->notes);
    snprintf(c->notes + n, sizeof(c->notes) - n, "%s%s", n ? "; " : "", note);
}

static void cell_notes(struct summary *s, struct cell *c, const char *notes)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s", notes ? notes : "");
    char *save = NULL;
    for (char *t = strtok_r(buf, ";", &save); t != NULL; t = strtok_r(NULL, ";", &save)) {
        while (*t == ' ')
            t++;
        if (strncmp(t, "hw counters: ", 13) == 0) {
            if (s->hw_note[0] == '\0')
                snprintf(s->hw_note, sizeof(s->hw_note), "%s", t + 13);
            continue;
        }
        add_note(c, t);
    }
}

void summary_compute(struct summary *s)
{
    const struct csv *t = &s->runs;
    double *vals = xmalloc(sizeof(double) * (size_t)(t->nrow + 1));
    double *all_sampling = xmalloc(sizeof(double) * (size_t)(t->nrow + 1));
    int nsampling = 0;
    bool hw_measured = false;

    for (int w = 0; w < s->nwl; w++) {
        bool all_external = true, any_ok = false;
        for (int a = 0; a < MAX_ALLOC; a++) {
            struct cell *c = &s->cell[w][a];
            memset(c, 0, sizeof(*c));
            for (int r = 0; r < t->nrow; r++) {
                if (strcmp(csv_get(t, r, "workload"), s->wl[w].name) != 0 ||
                    alloc_index(csv_get(t, r, "allocator")) != a)
                    continue;
                c->nruns++;
                const char *st = csv_get(t, r, "status");
                if (strcmp(st, "ok") != 0) {
                    if (c->fail_status[0] == '\0')
                        snprintf(c->fail_status, sizeof(c->fail_status), "%s", st);
                    continue;
                }
                c->nok++;
                any_ok = true;
                cell_notes(s, c, csv_get(t, r, "notes"));
                snprintf(c->ops_unit, sizeof(c->ops_unit), "%s", csv_get(t, r, "ops_unit"));
                if (!isnan(csv_num(t, r, "peak_live_bytes")))
                    all_external = false;
                if (!isnan(csv_num(t, r, "reclaim_rss_kb_0s")) ||
                    !isnan(csv_num(t, r, "reclaim_rss_kb_trim")))
                    s->wl[w].reclaim = true;
                if (!isnan(csv_num(t, r, "cycles")))
                    hw_measured = true;
                double d = csv_num(t, r, "minflt_diff_pct");
                if (!isnan(d)) {
                    s->fault_runs++;
                    s->fault_within_1pct += fabs(d) <= 1.0;
                    double np = csv_num(t, r, "minflt_perf");
                    double nd =
                        fabs(csv_num(t, r, "minflt_rusage") - csv_num(t, r, "minflt_preexec") - np);
                    if (fabs(d) > 1.0 && nd > s->fault_max_outside)
                        s->fault_max_outside = nd;
                    if (fabs(d) > 1.0 && np > s->fault_max_perf_outside)
                        s->fault_max_perf_outside = np;
                    if (fabs(d) > s->fault_max_abs_diff)
                        s->fault_max_abs_diff = fabs(d);
                }
                double sp = csv_num(t, r, "sampling_overhead_pct");
                if (!isnan(sp))
                    all_sampling[nsampling++] = sp;
            }
            for (int m = 0; m < NMETRIC; m++) {
                int n = 0;
                for (int r = 0; r < t->nrow; r++) {
                    if (strcmp(csv_get(t, r, "workload"), s->wl[w].name) != 0 ||
                        alloc_index(csv_get(t, r, "allocator")) != a ||
                        strcmp(csv_get(t, r, "status"), "ok") != 0)
                        continue;
                    double v = row_metric(t, r, (enum metric)m);
                    if (!isnan(v))
                        vals[n++] = v;
                }
                struct stat3 *st = &c->m[m];
                st->n = n;
                st->med = st->min = st->max = NAN;
                if (n == 0)
                    continue;
                qsort(vals, (size_t)n, sizeof(double), cmp_d);
                st->min = vals[0];
                st->max = vals[n - 1];
                st->med = n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2;
            }
            cell_mini_stats(s, w, a, c);
            /* The timeline of the run whose time is closest to the median. */
            double best = INFINITY;
            for (int r = 0; r < t->nrow; r++) {
                if (strcmp(csv_get(t, r, "workload"), s->wl[w].name) != 0 ||
                    alloc_index(csv_get(t, r, "allocator")) != a ||
                    strcmp(csv_get(t, r, "status"), "ok") != 0)
                    continue;
                const char *tl = csv_get(t, r, "timeline");
                double dt = fabs(row_metric(t, r, M_TIME) - c->m[M_TIME].med);
                if (tl != NULL && strcmp(tl, "n/a") != 0 && dt < best) {
                    best = dt;
                    snprintf(c->timeline, sizeof(c->timeline), "%s", tl);
                }
            }
        }
        s->wl[w].external = any_ok && all_external;
    }
    if (hw_measured)
        s->hw_note[0] = '\0';
    else if (s->hw_note[0] == '\0')
        snprintf(s->hw_note, sizeof(s->hw_note), "n/a (no runs)");

    s->sampling_pct_med = s->sampling_pct_max = NAN;
    if (nsampling > 0) {
        qsort(all_sampling, (size_t)nsampling, sizeof(double), cmp_d);
        s->sampling_pct_med = all_sampling[nsampling / 2];
        s->sampling_pct_max = all_sampling[nsampling - 1];
    }
    free(vals);
    free(all_sampling);

    for (int a = 0; a < MAX_ALLOC; a++)
        for (int b = 0; b < MAX_ALLOC; b++)
            for (int m = 0; m < NMETRIC; m++) {
                double sum = 0;
                int n = 0;
                for (int w = 0; w < s->nwl; w++) {
                    double r = summary_ratio(s, w, a, b, (enum metric)m);
                    if (isfinite(r) && r > 0) {
                        sum += log(r);
                        n++;
                    }
                }
                s->geo[a][b][m] = n ? exp(sum / n) : NAN;
                s->geo_n[a][b][m] = n;
            }
}

double summary_ratio(const struct summary *s, int w, int a, int b, enum metric m)
{
    if (w < 0 || a < 0 || b < 0)
        return NAN;
    double x = s->cell[w][a].m[m].med, y = s->cell[w][b].m[m].med;
    if (isnan(x) || isnan(y) || y == 0)
        return NAN;
    return x / y;
}

static void jnum(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

static void jstr(FILE *f, const char *str)
{
    fputc('"', f);
    for (const char *p = str; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc('\\', f);
        if ((unsigned char)*p < 0x20)
            fputc(' ', f);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

int summary_write_json(const struct summary *s, const char *path)
{
    FILE *f = fopen(path, "we");
    if (f == NULL)
        return -1;
    fprintf(f, "{\n  \"profile\": ");
    jstr(f, s->profile);
    fprintf(f, ",\n  \"allocators\": {");
    for (int a = 0; a < MAX_ALLOC; a++) {
        const struct alloc_info *ai = &s->alloc[a];
        fprintf(f, "%s\n    \"%s\": {\"version\": ", a ? "," : "", alloc_names[a]);
        jstr(f, ai->version);
        fprintf(f, ", \"status\": ");
        jstr(f, ai->skip[0] ? ai->skip : "ok");
        fputc('}', f);
    }
    fprintf(f, "\n  },\n  \"workloads\": [");
    for (int w = 0; w < s->nwl; w++) {
        const struct wl_info *wi = &s->wl[w];
        fprintf(f, "%s\n    {\"name\": ", w ? "," : "");
        jstr(f, wi->name);
        fprintf(f, ", \"scale\": ");
        jstr(f, wi->scale);
        fprintf(f, ", \"status\": ");
        jstr(f, wi->skip[0] ? wi->skip : "ran");
        fprintf(f, ", \"results\": {");
        bool first = true;
        for (int a = 0; a < MAX_ALLOC; a++) {
            const struct cell *c = &s->cell[w][a];
            if (c->nruns == 0)
                continue;
            fprintf(f,
                    "%s\n      \"%s\": {\"runs\": %d, \"ok\": %d, \"status\": ", first ? "" : ",",
                    alloc_names[a], c->nruns, c->nok);
            first = false;
            jstr(f, c->fail_status[0] ? c->fail_status : "ok");
            fprintf(f, ", \"metrics\": {");
            bool fm = true;
            for (int m = 0; m < NMETRIC; m++) {
                const struct stat3 *st = &c->m[m];
                if (st->n == 0)
                    continue;
                fprintf(f, "%s\n        \"%s\": {\"median\": ", fm ? "" : ",", metric_defs[m].key);
                fm = false;
                jnum(f, st->med);
                fprintf(f, ", \"min\": ");
                jnum(f, st->min);
                fprintf(f, ", \"max\": ");
                jnum(f, st->max);
                fprintf(f, ", \"n\": %d, \"ratio_to_glibc\": ", st->n);
                jnum(f, summary_ratio(s, w, a, 0, (enum metric)m));
                fputc('}', f);
            }
            fprintf(f, "}");
            bool fs = true;
            for (int k = 0; k < NMINISTAT; k++) {
                if (c->ms[k].n == 0)
                    continue;
                fprintf(f, "%s\"%s\": ", fs ? ", \"libmini_stats\": {" : ", ", mini_stat_keys[k]);
                jnum(f, c->ms[k].med);
                fs = false;
            }
            fprintf(f, "%s}", fs ? "" : "}");
        }
        fprintf(f, "}}");
    }
    fprintf(f, "\n  ],\n  \"geomean\": {");
    for (int a = 0; a < MAX_ALLOC; a++) {
        fprintf(f, "%s\n    \"%s\": {", a ? "," : "", alloc_names[a]);
        for (int bi = 0; bi < 2; bi++) { /* alloc_names[0] = glibc, [1] = jemalloc */
            fprintf(f, "%s\"vs_%s\": {", bi ? ", " : "", alloc_names[bi]);
            for (int k = 0; k < NHEADLINE; k++) {
                enum metric m = headline_metrics[k];
                fprintf(f, "%s\"%s\": {\"ratio\": ", k ? ", " : "", metric_defs[m].key);
                jnum(f, s->geo[a][bi][m]);
                fprintf(f, ", \"workloads\": %d}", s->geo_n[a][bi][m]);
            }
            fputc('}', f);
        }
        fputc('}', f);
    }
    fprintf(f,
            "\n  },\n  \"fault_check\": {\"runs\": %d, \"within_1pct\": %d, \"max_abs_diff_pct\": ",
            s->fault_runs, s->fault_within_1pct);
    jnum(f, s->fault_max_abs_diff);
    fprintf(f, ", \"max_faults_outside_1pct\": ");
    jnum(f, s->fault_runs > s->fault_within_1pct ? s->fault_max_outside : NAN);
    fprintf(f, "},\n  \"sampling_overhead_pct\": {\"median\": ");
    jnum(f, s->sampling_pct_med);
    fprintf(f, ", \"max\": ");
    jnum(f, s->sampling_pct_max);
    fprintf(f, "},\n  \"hw_counters\": ");
    jstr(f, s->hw_note[0] ? s->hw_note : "measured");
    fprintf(f, "\n}\n");
    return fclose(f);
}
