/*
 * main.c — mini-report's command line:
 *
 *   mini-report [--results DIR] [--plots-src DIR] [--no-plots]
 *
 * Reads DIR (default results) as bench/run-bench left it, writes DIR/summary.json, DIR/plots/
 * (through the gnuplot scripts in --plots-src, default analysis/plots) and DIR/REPORT.md.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/report/report.h"

static void out_of_memory(void)
{
    fprintf(stderr, "mini-report: out of memory\n");
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        out_of_memory();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        out_of_memory();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        out_of_memory();
    return q;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        out_of_memory();
    return p;
}

const char *fmt(const char *f, ...)
{
    static char ring[32][512];
    static int next;
    char *b = ring[next++ % 32];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof(ring[0]), f, ap);
    va_end(ap);
    return b;
}

const char *num3(double v)
{
    if (!isfinite(v))
        return "n/a";
    if (fabs(v) >= 1000 || (v == floor(v) && fabs(v) < 1e15))
        return fmt("%.0f", v);
    if (fabs(v) >= 100)
        return fmt("%.1f", v);
    return fmt("%.3g", v);
}

static struct summary sum;

int main(int argc, char **argv)
{
    const char *dir = "results", *gp = "analysis/plots";
    bool plots = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-plots") == 0)
            plots = false;
        else if (strcmp(argv[i], "--results") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--plots-src") == 0 && i + 1 < argc)
            gp = argv[++i];
        else {
            fprintf(stderr,
                    "mini-report: unknown option '%s' (usage: mini-report [--results DIR] "
                    "[--plots-src DIR] [--no-plots])\n",
                    argv[i]);
            return 2;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "mini-report: --results %s: not a directory\n", dir);
        return 2;
    }
    summary_load(&sum, dir);
    summary_compute(&sum);
    char path[1024], plot_note[256] = "n/a (plots not requested: --no-plots)";
    snprintf(path, sizeof(path), "%s/summary.json", dir);
    if (summary_write_json(&sum, path) != 0) {
        fprintf(stderr, "mini-report: cannot write %s\n", path);
        return 1;
    }
    if (plots) {
        char plots_dir[1024];
        snprintf(plots_dir, sizeof(plots_dir), "%s/plots", dir);
        plots_make(&sum, plots_dir, gp, plot_note, sizeof(plot_note));
    }
    snprintf(path, sizeof(path), "%s/REPORT.md", dir);
    if (markdown_write(&sum, path, plot_note) != 0) {
        fprintf(stderr, "mini-report: cannot write %s\n", path);
        return 1;
    }
    printf("mini-report: wrote %s/summary.json, %s/plots/, %s\n", dir, dir, path);
    return 0;
}
