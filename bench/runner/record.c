/*
 * record.c — what a run leaves behind: one row of OUT/runs.csv, OUT/timeline/W-A-R.csv, and one
 * line on the console. results/README.md documents every column; the order is runner_csv_columns.
 *
 * Every cell holds a number, a word, or "n/a"; the reason for each "n/a" is in the row's notes
 * cell. Text cells never contain a comma (runner_csv_clean), so the file needs no quoting.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/runner/runner.h"

const char *const runner_csv_columns[] = {"workload",
                                          "allocator",
                                          "rep",
                                          "scale",
                                          "threads",
                                          "status",
                                          "wall_s",
                                          "run_s",
                                          "time_s",
                                          "time_source",
                                          "user_s",
                                          "sys_s",
                                          "ops",
                                          "ops_unit",
                                          "ops_per_s",
                                          "minflt_perf",
                                          "majflt_perf",
                                          "minflt_rusage",
                                          "majflt_rusage",
                                          "minflt_preexec",
                                          "minflt_diff",
                                          "minflt_diff_pct",
                                          "peak_rss_kb",
                                          "peak_rss_sampled_kb",
                                          "peak_rssanon_kb",
                                          "runner_rss_at_fork_kb",
                                          "peak_live_bytes",
                                          "live_end_bytes",
                                          "frag_at_peak",
                                          "frag_mean",
                                          "peak_rss_before_free_kb",
                                          "reclaim_rss_kb_0s",
                                          "reclaim_rss_kb_1s",
                                          "reclaim_rss_kb_5s",
                                          "reclaim_rss_kb_trim",
                                          "reclaim_settle_s",
                                          "samples",
                                          "sample_ms",
                                          "sample_cost_us",
                                          "sampling_overhead_pct",
                                          "cycles",
                                          "instructions",
                                          "llc_misses",
                                          "dtlb_misses",
                                          "alloc_version",
                                          "alloc_settings",
                                          "alloc_stats",
                                          "timeline",
                                          "notes",
                                          NULL};

/* The derived numbers of a run (-1 or NAN: n/a). */
struct derived {
    double time_s;
    const char *time_source;
    double ops_per_s;
    long minflt_perf, majflt_perf;
    double diff_pct;
    double frag_peak, frag_mean;
    double settle_s;
};

/* Seconds from the start of FREED until VmRSS first came within 1 % (at least 64 KiB) of the
 * value it had at the end of the FREED idle; NAN without two samples in FREED. */
static double settle_time(const struct runner_sampler *sp)
{
    if (!sp->freed_seen)
        return NAN;
    size_t first = sp->n, last = sp->n;
    for (size_t i = 0; i < sp->n; i++)
        if (sp->s[i].phase == BENCH_PHASE_FREED) {
            if (first == sp->n)
                first = i;
            last = i;
        }
    if (first == sp->n || first == last)
        return NAN;
    int64_t freed_rel = sp->freed_ns - sp->t0_ns;
    /* The end of the idle the workload announced (less 20 ms): samples after it may already
     * show the effect of the trim, which the workload calls before it sets TRIMMED. */
    if (sp->idle_ms > 20) {
        int64_t end = freed_rel + ((int64_t)sp->idle_ms - 20) * 1000000;
        while (last > first && sp->s[last].t_ns > end)
            last--;
    }
    double final_kb = sp->s[last].vmrss_kb;
    double tol = final_kb / 100 > 64 ? final_kb / 100 : 64;
    for (size_t i = first; i <= last; i++)
        if (sp->s[i].phase == BENCH_PHASE_FREED && fabs(sp->s[i].vmrss_kb - final_kb) <= tol) {
            double t = (double)(sp->s[i].t_ns - freed_rel) / 1e9;
            return t > 0 ? t : 0;
        }
    return NAN;
}

static void derive(const struct runner_result *r, struct derived *d)
{
    d->time_s = r->run_s > 0 ? r->run_s : r->wall_s;
    d->time_source = r->run_s > 0 ? "run-phase" : "wall";
    d->ops_per_s = r->ops > 0 && d->time_s > 0 ? (double)r->ops / d->time_s : NAN;
    d->minflt_perf = r->ctr.ok[RUNNER_CTR_MINFLT] ? (long)r->ctr.value[RUNNER_CTR_MINFLT] : -1;
    d->majflt_perf = r->ctr.ok[RUNNER_CTR_MAJFLT] ? (long)r->ctr.value[RUNNER_CTR_MAJFLT] : -1;
    d->diff_pct = NAN;
    if (d->minflt_perf > 0 && r->preexec_minflt >= 0)
        d->diff_pct = 100.0 * (double)(r->ru.ru_minflt - r->preexec_minflt - d->minflt_perf) /
                      (double)d->minflt_perf;
    d->frag_peak = d->frag_mean = NAN;
    const struct runner_sampler *sp = &r->smp;
    if (sp->peak_live >= RUNNER_FRAG_MIN_LIVE && sp->peak_live_idx < sp->n)
        d->frag_peak = (double)sp->s[sp->peak_live_idx].rssanon_kb * 1024.0 / (double)sp->peak_live;
    double sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < sp->n && sp->peak_live >= RUNNER_FRAG_MIN_LIVE; i++) {
        if (sp->s[i].phase == BENCH_PHASE_RUN && sp->s[i].live_bytes >= sp->peak_live / 10 &&
            sp->s[i].live_bytes > 0) {
            sum += (double)sp->s[i].rssanon_kb * 1024.0 / (double)sp->s[i].live_bytes;
            k++;
        }
    }
    if (k > 0)
        d->frag_mean = sum / (double)k;
    d->settle_s = settle_time(sp);
}

static void put_l(FILE *f, long v)
{
    if (v < 0)
        fputs(",n/a", f);
    else
        fprintf(f, ",%ld", v);
}

static void put_d(FILE *f, double v, const char *fmt)
{
    if (isnan(v) || v < 0) {
        fputs(",n/a", f);
        return;
    }
    fputc(',', f);
    fprintf(f, fmt, v);
}

static void put_s(FILE *f, const char *s)
{
    char buf[RUNNER_NOTE_LEN * 2 + 512];
    snprintf(buf, sizeof(buf), "%s", s && *s ? s : "n/a");
    runner_csv_clean(buf);
    fprintf(f, ",%s", buf);
}

static int write_timeline(const struct runner_cfg *cfg, const struct runner_result *r, char *name,
                          size_t len)
{
    const struct runner_sampler *sp = &r->smp;
    snprintf(name, len, "timeline/%s-%s-%d.csv", cfg->workload, cfg->alloc->name, cfg->rep);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/timeline", cfg->out_dir);
    mkdir(path, 0777);
    snprintf(path, sizeof(path), "%s/%s", cfg->out_dir, name);
    FILE *f = fopen(path, "we");
    if (f == NULL) {
        fprintf(stderr, "%s: %s: %s\n", RUNNER_NAME, path, strerror(errno));
        return -1;
    }
    fputs("t_ms,vmrss_kb,rssanon_kb,vmhwm_kb,live_bytes,ops,phase,frag\n", f);
    for (size_t i = 0; i < sp->n; i++) {
        const struct runner_sample *s = &sp->s[i];
        fprintf(f, "%.3f,%u,%u,%u", (double)s->t_ns / 1e6, s->vmrss_kb, s->rssanon_kb, s->vmhwm_kb);
        if (s->live_bytes < 0)
            fputs(",n/a", f);
        else
            fprintf(f, ",%lld", (long long)s->live_bytes);
        fprintf(f, ",%llu,%u", (unsigned long long)s->ops, s->phase);
        /* Fragmentation only where live bytes are at least a tenth of their peak (and the peak
         * at least RUNNER_FRAG_MIN_LIVE): below that the process's fixed anonymous memory
         * (stacks, libc data) dominates the ratio. */
        if (s->live_bytes > 0 && s->live_bytes >= sp->peak_live / 10 &&
            sp->peak_live >= RUNNER_FRAG_MIN_LIVE)
            fprintf(f, ",%.4f\n", (double)s->rssanon_kb * 1024.0 / (double)s->live_bytes);
        else
            fputs(",n/a\n", f);
    }
    return fclose(f);
}

static void header_line(char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; runner_csv_columns[i] != NULL; i++) {
        size_t n = strlen(buf);
        snprintf(buf + n, len - n, "%s%s", i ? "," : "", runner_csv_columns[i]);
    }
}

int runner_record_check(const char *out_dir)
{
    char path[PATH_MAX], want[2048], have[2048];
    snprintf(path, sizeof(path), "%s/runs.csv", out_dir);
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return 0;
    header_line(want, sizeof(want));
    bool same = true;
    if (fgets(have, sizeof(have), f) != NULL) {
        have[strcspn(have, "\n")] = '\0';
        same = strcmp(have, want) == 0;
    }
    fclose(f);
    if (!same)
        fprintf(stderr, "%s: %s: its columns are not this mini-bench's (remove it first)\n",
                RUNNER_NAME, path);
    return same ? 0 : -1;
}

int runner_record_run(const struct runner_cfg *cfg, const struct runner_result *r)
{
    if (cfg->out_dir == NULL)
        return 0;
    struct derived d;
    derive(r, &d);
    char timeline[PATH_MAX] = "n/a";
    if (cfg->sample_ms > 0 && r->smp.n > 0 && write_timeline(cfg, r, timeline, sizeof(timeline)))
        snprintf(timeline, sizeof(timeline), "n/a");

    char notes[RUNNER_NOTE_LEN * 2];
    snprintf(notes, sizeof(notes), "%s", r->notes);
    if (r->ctr.sw_note[0])
        runner_note(notes, sizeof(notes), "faults (perf): %s", r->ctr.sw_note);
    if (cfg->real)
        runner_note(notes, sizeof(notes),
                    "real program (run-real.sh %s): scale and threads n/a (not passed)",
                    cfg->workload);
    if (cfg->trace)
        runner_note(notes, sizeof(notes),
                    "trace replay (mini-trace replay of %s.plan): scale and threads n/a (the "
                    "recording fixed them)",
                    cfg->workload);
    if (!r->smp.attached)
        runner_note(notes, sizeof(notes),
                    "live bytes and ops: n/a (external program: does not report through %s)",
                    BENCH_SHM_ENV);
    else if (r->smp.peak_live <= 0)
        runner_note(notes, sizeof(notes),
                    "fragmentation: n/a (no sample saw live bytes above 0: the workload's "
                    "blocks live shorter than the %d ms sampling interval)",
                    cfg->sample_ms > 0 ? cfg->sample_ms : 10);
    else if (r->smp.peak_live < RUNNER_FRAG_MIN_LIVE)
        runner_note(notes, sizeof(notes),
                    "fragmentation: n/a (peak live bytes %lld < 4 MiB: RssAnon / live would "
                    "measure the process's fixed memory: stacks and library data)",
                    (long long)r->smp.peak_live);
    else if (cfg->sample_ms > 0 && isnan(d.frag_peak))
        runner_note(notes, sizeof(notes),
                    "fragmentation: n/a (no RSS sample while live bytes peaked: the run is "
                    "shorter than the %d ms sampling interval)",
                    cfg->sample_ms);
    if (cfg->sample_ms <= 0)
        runner_note(notes, sizeof(notes),
                    "timeline and fragmentation and RSS before free: n/a (sampling off)");
    if (r->smp.reclaim_note[0])
        runner_note(notes, sizeof(notes), "%s", r->smp.reclaim_note);
    if (r->ctr.hw_note[0])
        runner_note(notes, sizeof(notes), "hw counters: %s", r->ctr.hw_note);
    if (r->run_s <= 0)
        runner_note(notes, sizeof(notes), "time: wall (run phase not seen)");

    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/runs.csv", cfg->out_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) {
        fprintf(stderr, "%s: %s: %s\n", RUNNER_NAME, path, strerror(errno));
        return -1;
    }
    flock(fd, LOCK_EX);
    FILE *f = fdopen(fd, "a");
    if (f == NULL) {
        close(fd);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size == 0) {
        char header[2048];
        header_line(header, sizeof(header));
        fprintf(f, "%s\n", header);
    }
    char wl[64], unit[64];
    snprintf(wl, sizeof(wl), "%s", cfg->workload);
    runner_csv_clean(wl);
    fprintf(f, "%s,%s,%d", wl, cfg->alloc->name, cfg->rep);
    if (cfg->real || cfg->trace)
        fputs(",n/a", f);
    else
        fprintf(f, ",%g", cfg->scale);
    put_l(f, cfg->real || cfg->trace ? -1 : cfg->threads);
    put_s(f, r->status);
    put_d(f, r->wall_s, "%.4f");
    put_d(f, r->run_s, "%.4f");
    put_d(f, d.time_s, "%.4f");
    put_s(f, d.time_source);
    put_d(f, r->user_s, "%.4f");
    put_d(f, r->sys_s, "%.4f");
    if (r->smp.attached)
        fprintf(f, ",%llu", (unsigned long long)r->ops);
    else
        fputs(",n/a", f);
    snprintf(unit, sizeof(unit), "%s", r->ops_unit);
    put_s(f, unit);
    put_d(f, d.ops_per_s, "%.1f");
    put_l(f, d.minflt_perf);
    put_l(f, d.majflt_perf);
    put_l(f, r->ru.ru_minflt);
    put_l(f, r->ru.ru_majflt);
    put_l(f, r->preexec_minflt);
    if (isnan(d.diff_pct))
        fputs(",n/a,n/a", f);
    else
        fprintf(f, ",%ld,%.4f", r->ru.ru_minflt - r->preexec_minflt - d.minflt_perf, d.diff_pct);
    put_l(f, r->ru.ru_maxrss);
    put_l(f, r->smp.max_vmhwm_kb);
    put_l(f, r->smp.max_rssanon_kb);
    put_l(f, r->runner_rss_at_fork_kb);
    put_l(f, r->smp.attached ? (long)r->smp.peak_live : -1);
    if (r->smp.attached)
        fprintf(f, ",%lld", (long long)r->smp.last_live); /* may be negative: a workload bug */
    else
        fputs(",n/a", f);
    put_d(f, d.frag_peak, "%.4f");
    put_d(f, d.frag_mean, "%.4f");
    put_l(f, r->smp.peak_before_free_kb);
    for (int i = 0; i < RUNNER_NRECLAIM; i++)
        put_l(f, r->smp.reclaim_kb[i]);
    put_d(f, d.settle_s, "%.3f");
    fprintf(f, ",%zu,%d", r->smp.n, cfg->sample_ms);
    put_d(f, r->smp.nproc_reads ? (double)r->smp.cost_ns / 1e3 / (double)r->smp.nproc_reads : NAN,
          "%.2f");
    put_d(f, r->wall_s > 0 ? 100.0 * (double)r->smp.cost_ns / 1e9 / r->wall_s : NAN, "%.4f");
    for (int i = RUNNER_FIRST_HW; i < RUNNER_NCTR; i++)
        put_l(f, r->ctr.ok[i] ? (long)r->ctr.value[i] : -1);
    put_s(f, cfg->alloc->version);
    put_s(f, cfg->alloc->settings);
    put_s(f, r->alloc_stats[0] ? r->alloc_stats : "n/a");
    put_s(f, timeline);
    put_s(f, notes[0] ? notes : "-");
    fputc('\n', f);
    int rc = fflush(f);
    flock(fd, LOCK_UN);
    fclose(f);
    return rc;
}

void runner_record_console(const struct runner_cfg *cfg, const struct runner_result *r)
{
    if (cfg->quiet)
        return;
    struct derived d;
    derive(r, &d);
    printf("%s %.3f s", r->status, d.time_s);
    if (d.ops_per_s > 0)
        printf(", %.3g ops/s", d.ops_per_s);
    printf(", peak RSS %.1f MiB", (double)r->ru.ru_maxrss / 1024.0);
    long minflt = d.minflt_perf >= 0 ? d.minflt_perf : r->ru.ru_minflt;
    printf(", %ld minor faults", minflt);
    if (!isnan(d.diff_pct))
        printf(" (rusage %+ld, %+.2f%%)", r->ru.ru_minflt - r->preexec_minflt - d.minflt_perf,
               d.diff_pct);
    if (!isnan(d.frag_peak))
        printf(", frag %.2f", d.frag_peak);
    if (r->smp.freed_seen || r->smp.trimmed_seen) {
        printf(", reclaim RSS MiB");
        static const char *const tag[RUNNER_NRECLAIM] = {"0s", "1s", "5s", "trim"};
        for (int i = 0; i < RUNNER_NRECLAIM; i++) {
            if (r->smp.reclaim_kb[i] >= 0)
                printf(" %s=%.1f", tag[i], (double)r->smp.reclaim_kb[i] / 1024.0);
            else
                printf(" %s=n/a", tag[i]);
        }
    }
    putchar('\n');
    fflush(stdout);
}

void runner_record_skip(const char *out_dir, const char *kind, const char *workload,
                        const char *alloc, const char *reason)
{
    if (out_dir == NULL)
        return;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/skipped.csv", out_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0)
        return;
    flock(fd, LOCK_EX);
    struct stat st;
    char line[1024], w[128], a[64], why[512];
    snprintf(w, sizeof(w), "%s", workload ? workload : "-");
    snprintf(a, sizeof(a), "%s", alloc ? alloc : "-");
    snprintf(why, sizeof(why), "%s", reason);
    runner_csv_clean(w);
    runner_csv_clean(why);
    int n = 0;
    if (fstat(fd, &st) == 0 && st.st_size == 0)
        n = snprintf(line, sizeof(line), "kind,workload,allocator,reason\n");
    n += snprintf(line + n, sizeof(line) - (size_t)n, "%s,%s,%s,%s\n", kind, w, a, why);
    if (write(fd, line, (size_t)n) != n)
        fprintf(stderr, "%s: %s: short write\n", RUNNER_NAME, path);
    flock(fd, LOCK_UN);
    close(fd);
}
