/*
 * pt.h — helpers for the programs of tests/preload/, which are ordinary programs linked against
 * glibc and run with LD_PRELOAD=build/lib/libmini-preload.so (never linked with libmini).
 *
 * They reach libmini's own API through the shim's exported mini_* names (dlsym), to check that
 * a call was served by libmini and not by glibc.
 */
#ifndef MINI_PT_H
#define MINI_PT_H

#include <dlfcn.h>
#include <string.h>

#include "mini.h"
#include "tests/harness.h"

/* Is malloc libmini's shim in this process? */
static inline bool pt_under_shim(void)
{
    Dl_info di;
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    return m && dladdr(m, &di) && di.dli_fname && strstr(di.dli_fname, "libmini-preload");
}

/* libmini's statistics (all zero when not under the shim). */
static inline mini_stats_t pt_stats(void)
{
    static size_t (*get)(mini_stats_t *, size_t);
    mini_stats_t s;
    memset(&s, 0, sizeof(s));
    if (get == NULL)
        *(void **)&get = dlsym(RTLD_DEFAULT, "mini_stats_get");
    if (get)
        get(&s, sizeof(s));
    return s;
}

/* Stop the whole program (exit 2, a failure) when the shim is not there: the test would
 * otherwise test glibc. */
static inline void pt_require_shim(void)
{
    if (!pt_under_shim()) {
        printf("  FAIL: libmini-preload.so is not loaded (run with LD_PRELOAD)\n"
               "mini-test: 0 passed, 1 failed, 0 skipped\n");
        fflush(stdout);
        exit(2);
    }
}

#endif /* MINI_PT_H */
