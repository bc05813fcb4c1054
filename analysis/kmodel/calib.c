/*
 * calib.c — the machine calibration: what each kind of event costs, in nanoseconds.
 *
 *   results/calibration.json (written by `make bench`) is a flat JSON object of numbers:
 *   { "fault_write_ns": 2100, "memset_gbps": 6.5, ... }     unknown keys are ignored
 *
 * Without a file the defaults below are used; they were measured on the reference VM (2 vCPU
 * Firecracker guest, kernel 6.18) by analysis/kmodel/calib/measure.c, the same program that
 * wrote analysis/kmodel/calibration-default.json, except the swap and file I/O costs, which
 * are documented guesses (README.md) because the VM has no swap by default.
 */
#include "analysis/kmodel/kmodel.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const km_cost_names[KM_NR_COSTS] = {
    "fault_write_ns",    "fault_read_zero_ns",   "populate_page_ns",
    "cow_fault_ns",      "brk_call_ns",          "mmap_call_ns",
    "munmap_call_ns",    "munmap_page_ns",       "madvise_dontneed_page_ns",
    "memset_gbps",       "swapout_page_ns",      "swapin_page_ns",
    "file_read_page_ns", "file_read_io_page_ns", "reclaim_scan_page_ns",
    "thp_fault_ns",
};

static const double defaults[KM_NR_COSTS] = {
    [KM_COST_FAULT_WRITE] = 1595,
    [KM_COST_FAULT_READ_ZERO] = 635,
    [KM_COST_POPULATE_PAGE] = 934,
    [KM_COST_COW_FAULT] = 2655,
    [KM_COST_BRK_CALL] = 593,
    [KM_COST_MMAP_CALL] = 1134,
    [KM_COST_MUNMAP_CALL] = 901,
    [KM_COST_MUNMAP_PAGE] = 100,
    [KM_COST_MADVISE_DONTNEED_PAGE] = 110,
    [KM_COST_MEMSET_GBPS] = 12.30,
    [KM_COST_SWAPOUT_PAGE] = 4000, /* not measured (no swap by default): documented guesses */
    [KM_COST_SWAPIN_PAGE] = 20000,
    [KM_COST_FILE_READ_PAGE] = 412,
    [KM_COST_FILE_READ_IO_PAGE] = 2016,
    [KM_COST_RECLAIM_SCAN_PAGE] = 250,
    [KM_COST_THP_FAULT] = 0, /* 0: fault_write_ns + 2 MiB at memset_gbps */
};

void calib_default(struct km_calib *c)
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < KM_NR_COSTS; i++)
        c->v[i] = defaults[i];
    snprintf(c->source, sizeof(c->source), "defaults");
}

static const char *skip_ws(const char *p, int *line)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
        if (*p == '\n')
            (*line)++;
        p++;
    }
    return p;
}

int calib_load(struct km_calib *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    bool too_big = !feof(f);
    fclose(f);
    buf[n] = '\0';
    if (too_big) {
        snprintf(err, errlen, "%s: file larger than 64 KiB", path);
        return -1;
    }
    if (strlen(buf) != n) {
        snprintf(err, errlen, "%s: NUL byte in file", path);
        return -1;
    }
    struct km_calib tmp = *c;
    int line = 1;
    const char *p = skip_ws(buf, &line);
    if (*p != '{') {
        snprintf(err, errlen, "%s:%d: expected '{'", path, line);
        return -1;
    }
    p = skip_ws(p + 1, &line);
    if (*p == '}')
        goto end;
    for (;;) {
        if (*p != '"') {
            snprintf(err, errlen, "%s:%d: expected a quoted key", path, line);
            return -1;
        }
        const char *k = ++p;
        while (*p && *p != '"' && *p != '\n' && *p != '\\')
            p++;
        if (*p != '"') {
            snprintf(err, errlen, "%s:%d: unterminated or escaped key", path, line);
            return -1;
        }
        size_t klen = (size_t)(p - k);
        p = skip_ws(p + 1, &line);
        if (*p != ':') {
            snprintf(err, errlen, "%s:%d: expected ':' after key", path, line);
            return -1;
        }
        p = skip_ws(p + 1, &line);
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno == ERANGE || !isfinite(v) || *p == '+' || (*p >= 'a' && *p <= 'z') ||
            (*p >= 'A' && *p <= 'Z')) {
            snprintf(err, errlen, "%s:%d: value of \"%.*s\" is not a number", path, line, (int)klen,
                     k);
            return -1;
        }
        p = end;
        for (int i = 0; i < KM_NR_COSTS; i++) {
            if (strlen(km_cost_names[i]) == klen && memcmp(km_cost_names[i], k, klen) == 0) {
                /* Only the costs the model uses must be >= 0 (other keys, such as the
                 * calibrator's sampling slowdowns, may be negative). */
                if (v < 0) {
                    snprintf(err, errlen, "%s:%d: value of \"%.*s\" is negative", path, line,
                             (int)klen, k);
                    return -1;
                }
                tmp.v[i] = v;
                tmp.from_file[i] = true;
            }
        }
        p = skip_ws(p, &line);
        if (*p == ',') {
            p = skip_ws(p + 1, &line);
            continue;
        }
        if (*p == '}')
            break;
        snprintf(err, errlen, "%s:%d: expected ',' or '}'", path, line);
        return -1;
    }
end:
    p = skip_ws(p + 1, &line);
    if (*p != '\0') {
        snprintf(err, errlen, "%s:%d: trailing characters after the object", path, line);
        return -1;
    }
    if (tmp.v[KM_COST_MEMSET_GBPS] <= 0) {
        snprintf(err, errlen, "%s: memset_gbps must be positive", path);
        return -1;
    }
    *c = tmp;
    snprintf(c->source, sizeof(c->source), "%s", path);
    return 0;
}
