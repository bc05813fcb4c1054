/*
 * plots.c — the plots of the report: data files under plots/data/, then one gnuplot run per
 * plot and format (the scripts in analysis/plots/; PNG through pngcairo and SVG).
 *
 *   plots/normalised-{time,peak-rss,faults,frag}   every workload x allocator / glibc
 *   plots/timeline-W                               VmRSS (+ live bytes, fragmentation) over time
 *   plots/reclaim-W                                RSS after the free phase, curve and readings
 *
 * gnuplot gets its inputs as -e variable assignments (no shell); its messages go to
 * plots/gnuplot.log. A plot whose PNG is not there afterwards is simply not referenced by the
 * report, and the reason is given where it would have been.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/report/report.h"

static const char *const headline_file[NHEADLINE] = {"time", "peak-rss", "faults", "frag"};

static char gnuplot_problem[256];

static int run_gnuplot(const char *gp_dir, const char *script, const char *plots_dir,
                       const char *name, const char *vars)
{
    static const char *const fmts[2] = {"png", "svg"};
    char log[1024];
    snprintf(log, sizeof(log), "%s/gnuplot.log", plots_dir);
    for (int k = 0; k < 2; k++) {
        char expr[8192], script_path[1024];
        snprintf(expr, sizeof(expr), "dir='%s'; fmt='%s'; out='%s/%s.%s'; %s", gp_dir, fmts[k],
                 plots_dir, name, fmts[k], vars);
        snprintf(script_path, sizeof(script_path), "%s/%s", gp_dir, script);
        pid_t pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0666);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
            dprintf(2, "== %s.%s: gnuplot -e \"%s\" %s\n", name, fmts[k], expr, script_path);
            execlp("gnuplot", "gnuplot", "-e", expr, script_path, (char *)NULL);
            dprintf(2, "exec gnuplot: %s\n", strerror(errno));
            _exit(errno == ENOENT ? 126 : 127);
        }
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 126) {
            snprintf(gnuplot_problem, sizeof(gnuplot_problem),
                     "n/a (gnuplot is not installed: tests/deps.sh bench installs gnuplot-nox)");
            return -1;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fprintf(stderr, "mini-report: gnuplot failed for %s.%s (see %s)\n", name, fmts[k], log);
    }
    return 0;
}

/* The allocators that have a median for metric m in some workload. */
static int plotted_allocs(const struct summary *s, enum metric m, int *idx)
{
    int n = 0;
    for (int a = 0; a < MAX_ALLOC; a++) {
        bool any = false;
        for (int w = 0; w < s->nwl; w++)
            any |= !isnan(s->cell[w][a].m[m].med);
        if (any)
            idx[n++] = a;
    }
    return n;
}

static void colors_of(const int *idx, int n, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        size_t k = strlen(buf);
        snprintf(buf + k, len - k, "%s%d", i ? " " : "", alloc_color[idx[i]]);
    }
}

static void normalised(const struct summary *s, const char *plots_dir, const char *gp_dir)
{
    for (int h = 0; h < NHEADLINE; h++) {
        enum metric m = headline_metrics[h];
        int idx[MAX_ALLOC], n = plotted_allocs(s, m, idx);
        if (n == 0 || isnan(s->geo[0][0][m]))
            continue;
        char data[1024];
        snprintf(data, sizeof(data), "%s/data/normalised-%s.dat", plots_dir, headline_file[h]);
        FILE *f = fopen(data, "we");
        if (f == NULL)
            continue;
        fprintf(f, "workload");
        for (int i = 0; i < n; i++)
            fprintf(f, " %s", alloc_names[idx[i]]);
        fputc('\n', f);
        int rows = 0;
        for (int w = 0; w < s->nwl; w++) {
            bool any = false;
            for (int i = 0; i < n; i++)
                any |= isfinite(summary_ratio(s, w, idx[i], 0, m));
            if (!any)
                continue;
            fprintf(f, "%s", s->wl[w].name);
            for (int i = 0; i < n; i++) {
                double r = summary_ratio(s, w, idx[i], 0, m);
                if (isfinite(r))
                    fprintf(f, " %.4f", r);
                else
                    fprintf(f, " n/a");
            }
            fputc('\n', f);
            rows++;
        }
        fclose(f);
        if (rows == 0)
            continue;
        char vars[2048], colors[64], name[64];
        colors_of(idx, n, colors, sizeof(colors));
        snprintf(name, sizeof(name), "normalised-%s", headline_file[h]);
        snprintf(vars, sizeof(vars),
                 "data='%s'; ncols=%d; colors='%s'; metric='%s'; "
                 "ttl='%s per workload, relative to glibc (median of the runs; lower is better)'",
                 data, n, colors, metric_defs[m].label, metric_defs[m].label);
        run_gnuplot(gp_dir, "normalised.gp", plots_dir, name, vars);
    }
}

/* What a timeline file can draw: rows, rows with live bytes, rows with fragmentation. */
static void timeline_content(const char *path, int *rows, int *live, int *frag)
{
    struct csv t;
    *rows = *live = *frag = 0;
    if (csv_read(path, &t) != 0)
        return;
    *rows = t.nrow;
    for (int r = 0; r < t.nrow; r++) {
        *live += !isnan(csv_num(&t, r, "live_bytes"));
        *frag += !isnan(csv_num(&t, r, "frag"));
    }
}

static void timeline(const struct summary *s, int w, const char *plots_dir, const char *gp_dir)
{
    char files[4096] = "", titles[256] = "", colors[64] = "", livefile[1024] = "";
    int n = 0, best_live = 0;
    bool has_frag = false;
    for (int a = 0; a < MAX_ALLOC; a++) {
        const struct cell *c = &s->cell[w][a];
        if (c->timeline[0] == '\0')
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", s->results, c->timeline);
        int rows, live, frag;
        timeline_content(path, &rows, &live, &frag);
        if (rows < 2)
            continue; /* a run shorter than two samples draws no line */
        has_frag |= frag > 0;
        if (live > best_live) {
            best_live = live;
            snprintf(livefile, sizeof(livefile), "%s", path);
        }
        size_t k = strlen(files);
        snprintf(files + k, sizeof(files) - k, "%s%s", n ? " " : "", path);
        k = strlen(titles);
        snprintf(titles + k, sizeof(titles) - k, "%s%s", n ? " " : "", alloc_names[a]);
        k = strlen(colors);
        snprintf(colors + k, sizeof(colors) - k, "%s%d", n ? " " : "", alloc_color[a]);
        n++;
    }
    if (n == 0)
        return;
    char vars[8192], name[128];
    snprintf(name, sizeof(name), "timeline-%s", s->wl[w].name);
    snprintf(vars, sizeof(vars),
             "files='%s'; titles='%s'; colors='%s'; live=%d; frag=%d; livefile='%s'; "
             "ttl='%s: RSS over time (median run per allocator)'",
             files, titles, colors, best_live > 1 ? 1 : 0, has_frag ? 1 : 0, livefile,
             s->wl[w].name);
    run_gnuplot(gp_dir, "timeline.gp", plots_dir, name, vars);
}

/* Writes the curve after FREED of one timeline: "t_s rss_mib" from 1 s before FREED. */
static bool reclaim_curve(const char *timeline, const char *out)
{
    struct csv t;
    if (csv_read(timeline, &t) != 0)
        return false;
    double t_free = NAN;
    for (int r = 0; r < t.nrow && isnan(t_free); r++)
        if (csv_num(&t, r, "phase") >= 2)
            t_free = csv_num(&t, r, "t_ms");
    if (isnan(t_free))
        return false;
    FILE *f = fopen(out, "we");
    if (f == NULL)
        return false;
    for (int r = 0; r < t.nrow; r++) {
        double tm = csv_num(&t, r, "t_ms");
        if (tm >= t_free - 1000)
            fprintf(f, "%.3f %.3f\n", (tm - t_free) / 1000, csv_num(&t, r, "vmrss_kb") / 1024);
    }
    fclose(f);
    return true;
}

static void reclaim(const struct summary *s, int w, const char *plots_dir, const char *gp_dir)
{
    static const enum metric readings[5] = {M_RSS_BEFORE_FREE, M_RECLAIM_0S, M_RECLAIM_1S,
                                            M_RECLAIM_5S, M_RECLAIM_TRIM};
    static const char *const reading_names[5] = {"before-free", "at-once", "after-1s", "after-5s",
                                                 "after-trim"};
    char files[4096] = "", titles[256] = "", colors[64] = "", bars[1024];
    int idx[MAX_ALLOC], n = 0;
    for (int a = 0; a < MAX_ALLOC; a++) {
        const struct cell *c = &s->cell[w][a];
        if (c->timeline[0] == '\0' || isnan(c->m[M_RECLAIM_0S].med))
            continue;
        char tl[1024], out[1024];
        snprintf(tl, sizeof(tl), "%s/%s", s->results, c->timeline);
        snprintf(out, sizeof(out), "%s/data/reclaim-%s-%s.dat", plots_dir, s->wl[w].name,
                 alloc_names[a]);
        if (!reclaim_curve(tl, out))
            continue;
        size_t k = strlen(files);
        snprintf(files + k, sizeof(files) - k, "%s%s", n ? " " : "", out);
        k = strlen(titles);
        snprintf(titles + k, sizeof(titles) - k, "%s%s", n ? " " : "", alloc_names[a]);
        idx[n++] = a;
    }
    if (n == 0)
        return;
    colors_of(idx, n, colors, sizeof(colors));
    snprintf(bars, sizeof(bars), "%s/data/reclaim-%s.dat", plots_dir, s->wl[w].name);
    FILE *f = fopen(bars, "we");
    if (f == NULL)
        return;
    fprintf(f, "reading");
    for (int i = 0; i < n; i++)
        fprintf(f, " %s", alloc_names[idx[i]]);
    fputc('\n', f);
    for (int r = 0; r < 5; r++) {
        fprintf(f, "%s", reading_names[r]);
        for (int i = 0; i < n; i++) {
            double v = s->cell[w][idx[i]].m[readings[r]].med;
            if (isnan(v))
                fprintf(f, " n/a");
            else
                fprintf(f, " %.3f", v / 1024);
        }
        fputc('\n', f);
    }
    fclose(f);
    char vars[8192], name[128];
    snprintf(name, sizeof(name), "reclaim-%s", s->wl[w].name);
    snprintf(vars, sizeof(vars),
             "files='%s'; titles='%s'; colors='%s'; bars='%s'; "
             "ttl='%s: RSS returned after the free phase (median run)'",
             files, titles, colors, bars, s->wl[w].name);
    run_gnuplot(gp_dir, "reclaim.gp", plots_dir, name, vars);
}

void plots_make(const struct summary *s, const char *plots_dir, const char *gp_dir, char *plot_note,
                size_t len)
{
    char data[1024];
    plot_note[0] = '\0';
    if (strchr(s->results, '\'') != NULL || strchr(gp_dir, '\'') != NULL) {
        snprintf(plot_note, len,
                 "n/a (a path contains a single quote, which gnuplot -e cannot take)");
        return;
    }
    mkdir(plots_dir, 0777);
    snprintf(data, sizeof(data), "%s/data", plots_dir);
    mkdir(data, 0777);
    snprintf(data, sizeof(data), "%s/gnuplot.log", plots_dir);
    unlink(data);
    normalised(s, plots_dir, gp_dir);
    for (int w = 0; w < s->nwl && gnuplot_problem[0] == '\0'; w++) {
        timeline(s, w, plots_dir, gp_dir);
        if (s->wl[w].reclaim)
            reclaim(s, w, plots_dir, gp_dir);
    }
    if (gnuplot_problem[0])
        snprintf(plot_note, len, "%s", gnuplot_problem);
}

bool plots_have(const struct summary *s, const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/plots/%s.png", s->results, name);
    return access(path, R_OK) == 0;
}
