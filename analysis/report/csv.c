/*
 * csv.c — reads the results' CSV files (runs.csv, skipped.csv, plan.csv, session.csv).
 *
 * The runner never writes a comma or a quote inside a cell, so a line splits on every comma.
 * The first line is the header; a row with a different number of cells is reported as
 * "file:line: N cells, header has M" and skipped.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "analysis/report/report.h"

static char **split(char *line, int *n)
{
    int cap = 8, k = 0;
    char **v = xmalloc((size_t)cap * sizeof(char *));
    char *p = line;
    for (;;) {
        if (k == cap) {
            cap *= 2;
            v = xrealloc(v, (size_t)cap * sizeof(char *));
        }
        v[k++] = p;
        char *c = strchr(p, ',');
        if (c == NULL)
            break;
        *c = '\0';
        p = c + 1;
    }
    *n = k;
    return v;
}

int csv_read(const char *path, struct csv *t)
{
    memset(t, 0, sizeof(*t));
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, rcap = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        char *copy = xstrdup(line);
        int n;
        char **cells = split(copy, &n);
        if (t->col == NULL) {
            t->col = cells;
            t->ncol = n;
            continue;
        }
        if (n != t->ncol) {
            fprintf(stderr, "mini-report: %s:%d: %d cells, header has %d\n", path, lineno, n,
                    t->ncol);
            free(cells);
            free(copy);
            continue;
        }
        if (t->nrow == rcap) {
            rcap = rcap ? rcap * 2 : 64;
            t->cell = xrealloc(t->cell, (size_t)rcap * sizeof(*t->cell));
        }
        t->cell[t->nrow++] = cells;
    }
    free(line);
    fclose(f);
    return 0;
}

int csv_col(const struct csv *t, const char *name)
{
    for (int i = 0; i < t->ncol; i++)
        if (strcmp(t->col[i], name) == 0)
            return i;
    return -1;
}

const char *csv_get(const struct csv *t, int row, const char *name)
{
    int c = csv_col(t, name);
    return c < 0 || row < 0 || row >= t->nrow ? NULL : t->cell[row][c];
}

double csv_num(const struct csv *t, int row, const char *name)
{
    const char *s = csv_get(t, row, name);
    if (s == NULL || *s == '\0')
        return NAN;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    return errno || *end != '\0' ? NAN : v;
}
