/*
 * i2_alloc_trace.c — input 2 against the real kernel (no root needed): one allocation trace
 * (tests/kmodel/gen_alloc_trace.py 1 20000 1: 20000 calls, 230 MB peak) replayed through
 * libmini over the real kernel (build/bin/kmodel-alloc-real) and over the model (kmodel
 * --alloc-trace). libmini must make the same calls in both; the model's minor faults and
 * anonymous RSS must match the real replay's.
 */
#include "analysis/kmodel/validate/validate.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The number after "key": in a JSON text (first occurrence), or -1. */
static double json_num(const char *text, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = strstr(text, pat);
    return p ? strtod(p + strlen(pat), NULL) : -1;
}

#define I2_PURGE_DELAY "3600000"

static char *run(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL) {
        pclose(f);
        return NULL;
    }
    for (;;) {
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - 1 - n, f);
        if (r == 0)
            break;
        n += r;
    }
    buf[n] = '\0';
    if (pclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int i2_alloc_trace(void)
{
    char self[PATH_MAX];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (sl <= 0) {
        v_skip("I2", "cannot find the binaries' directory");
        return -1;
    }
    self[sl] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    char trace[] = "/tmp/kmodel-i2-XXXXXX";
    int fd = mkstemp(trace);
    if (fd < 0) {
        v_skip("I2", "cannot create a temporary file");
        return -1;
    }
    close(fd);
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof(cmd), "python3 tests/kmodel/gen_alloc_trace.py 1 20000 1 > %s", trace);
    if (system(cmd) != 0) {
        v_skip("I2", "tests/kmodel/gen_alloc_trace.py did not run (python3, repository root)");
        unlink(trace);
        return -1;
    }
    /* libmini's purge delay is wall-clock time, and the replay over the model runs slower than
     * the real one: with the default 1 s the model's replay would see more delays expire and
     * purge more often. Both run with a delay that does not expire during a replay, so that
     * libmini decides by the sequence of calls alone (the purge ratio still applies). */
    snprintf(cmd, sizeof(cmd), "MINI_PURGE_DELAY=" I2_PURGE_DELAY " %s/kmodel-alloc-real %s", self,
             trace);
    char *real = run(cmd);
    snprintf(cmd, sizeof(cmd),
             "MINI_PURGE_DELAY=" I2_PURGE_DELAY
             " %s/kmodel --json --alloc-sync uffd --calibration %s --alloc-trace %s",
             self, v_calibration(), trace);
    char *model = run(cmd);
    unlink(trace);
    if (real == NULL || model == NULL) {
        v_skip("I2", "kmodel-alloc-real or kmodel failed");
        free(real);
        free(model);
        return -1;
    }
    static const char *const calls[] = {"libmini_n_brk",     "libmini_n_mmap",
                                        "libmini_n_munmap",  "libmini_n_mremap",
                                        "libmini_n_madvise", "libmini_peak_mapped"};
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
        v_row("I2", calls[i] + 8, json_num(real, calls[i]), json_num(model, calls[i]), T_EXACT, 0,
              "exact (same allocator decisions)");
    v_row("I2", "minor faults of the replay", json_num(real, "minflt"), json_num(model, "minflt"),
          T_REL, 0.01, "within 1 %");
    v_row("I2", "RssAnon after the replay, kB", json_num(real, "rss_anon_kB_delta"),
          json_num(model, "RssAnon_kB"), T_REL, 0.01, "within 1 %");
    v_note("I2",
           "trace: gen_alloc_trace.py 1 20000 1 (%.0f calls, peak live %.0f bytes); the "
           "real replay runs without ASLR; its own thread stack is in its counts; both run "
           "with MINI_PURGE_DELAY=" I2_PURGE_DELAY " (ms; the model has no clock of libmini's)",
           json_num(real, "calls"), json_num(real, "peak_live_bytes"));
    free(real);
    free(model);
    return 0;
}
