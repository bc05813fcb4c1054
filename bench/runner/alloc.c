/*
 * alloc.c — the allocator registry: name -> LD_PRELOAD library, Debian package, version and
 * the settings a run passes.
 *
 *   name         preload                                     version from
 *   glibc        (none: the C library's own malloc)          dpkg-query libc6
 *   jemalloc     <multiarch libdir>/libjemalloc.so.2         dpkg-query libjemalloc2
 *   libmini      <bindir>/../lib/libmini-preload.so          MINI_VERSION (libmini/include/mini.h)
 *   libmini-dyn  the same, with MINI_MMAP_DYNAMIC=1          MINI_VERSION
 *                (glibc's sliding mmap threshold instead of the fixed 128 KiB)
 *   mimalloc     <multiarch libdir>/libmimalloc.so.2         dpkg-query libmimalloc2.0
 *   tcmalloc     <multiarch libdir>/libtcmalloc_minimal.so.4 dpkg-query libtcmalloc-minimal4
 *
 * A configuration of an allocator is an entry of its own with fixed settings (`env`), passed to
 * every run and recorded with it, like libmini-dyn.
 *
 * An allocator whose library is missing is "not available" with a reason; it is never an error
 * to name it, and mini-bench reports it as "skipped: reason".
 *
 * Settings: the environment variables that tune these allocators (GLIBC_TUNABLES, MALLOC_*,
 * MALLOC_CONF, MIMALLOC_*, TCMALLOC_*, MINI_*) present in the runner's environment or given
 * with --env are passed to the workload unchanged and recorded; "defaults" when there are none.
 */
#include <string.h>
#include <unistd.h>

#include "bench/runner/runner.h"
#include "mini.h"

const char *const runner_alloc_names[] = {"glibc",    "jemalloc", "libmini", "libmini-dyn",
                                          "mimalloc", "tcmalloc", NULL};

struct alloc_def {
    const char *name;
    const char *lib; /* file name in the multiarch libdir, NULL for glibc/libmini */
    const char *package;
    bool libmini;    /* libmini's shim (build/lib/libmini-preload.so) */
    const char *env; /* fixed settings of this configuration, or NULL */
};

static const struct alloc_def alloc_defs[] = {
    {"glibc", NULL, "libc6", false, NULL},
    {"jemalloc", "libjemalloc.so.2", "libjemalloc2", false, NULL},
    {"libmini", NULL, "", true, NULL},
    {"libmini-dyn", NULL, "", true, "MINI_MMAP_DYNAMIC=1"},
    {"mimalloc", "libmimalloc.so.2", "libmimalloc2.0", false, NULL},
    {"tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4", false, NULL},
};

/* Where Debian puts shared libraries, most specific first. */
static const char *const lib_dirs[] = {
#if defined(__x86_64__)
    "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
    "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu",
#endif
    "/usr/lib64", "/usr/lib", NULL};

/* Environment variables that tune one of the allocators. */
static bool is_alloc_setting(const char *kv)
{
    static const char *const prefixes[] = {
        "GLIBC_TUNABLES=", "MALLOC_", "JE_MALLOC_CONF=", "MIMALLOC_", "TCMALLOC_", "MINI_", NULL};
    for (int i = 0; prefixes[i] != NULL; i++)
        if (strncmp(kv, prefixes[i], strlen(prefixes[i])) == 0)
            return strncmp(kv, BENCH_SHM_ENV "=", strlen(BENCH_SHM_ENV) + 1) != 0 &&
                   strncmp(kv, "MINI_BENCH_", 11) != 0 && strncmp(kv, "MINI_TEST_", 10) != 0 &&
                   strncmp(kv, "MINI_SHOW_STATS=", 16) != 0 &&
                   strncmp(kv, "MINI_STATS_FILE=", 16) != 0;
    return false;
}

static void add_setting(struct runner_alloc *a, const char *kv)
{
    size_t n = strlen(a->settings);
    snprintf(a->settings + n, sizeof(a->settings) - n, "%s%s", n ? " " : "", kv);
}

bool runner_alloc_lookup(const char *name, const char *bindir, char *const extra_env[],
                         struct runner_alloc *a)
{
    const struct alloc_def *d = NULL;
    for (size_t i = 0; i < sizeof(alloc_defs) / sizeof(alloc_defs[0]); i++)
        if (strcmp(alloc_defs[i].name, name) == 0)
            d = &alloc_defs[i];
    if (d == NULL)
        return false;
    memset(a, 0, sizeof(*a));
    a->name = d->name;
    a->package = d->package;
    a->available = true;
    a->libmini = d->libmini;
    a->env = d->env;

    if (d->libmini) {
        /* bindir/../lib, spelled without the "..": bindir is absolute (/proc/self/exe). */
        char path[PATH_MAX], disp[PATH_MAX];
        snprintf(path, sizeof(path), "%s", bindir);
        char *slash = strrchr(path, '/');
        if (slash != NULL && slash != path)
            *slash = '\0';
        size_t n = strlen(path);
        snprintf(path + n, sizeof(path) - n, "/lib/libmini-preload.so");
        if (realpath(path, a->preload) == NULL || access(a->preload, R_OK) != 0) {
            a->available = false;
            snprintf(a->reason, sizeof(a->reason), "%s not built",
                     runner_display_path(path, disp, sizeof(disp)));
            snprintf(a->preload, sizeof(a->preload), "%s", path);
        }
        snprintf(a->version, sizeof(a->version), "%s", MINI_VERSION);
    } else if (d->lib != NULL) {
        a->available = false;
        for (int i = 0; lib_dirs[i] != NULL && !a->available; i++) {
            snprintf(a->preload, sizeof(a->preload), "%s/%s", lib_dirs[i], d->lib);
            a->available = access(a->preload, R_OK) == 0;
        }
        if (!a->available) {
            snprintf(a->reason, sizeof(a->reason), "%s not installed (Debian package %s)", d->lib,
                     d->package);
            a->preload[0] = '\0';
        }
    }
    if (d->package[0] != '\0') {
        char pkg[96];
        snprintf(pkg, sizeof(pkg), "%s", d->package);
        char *argv[] = {"dpkg-query", "-W", "-f=${Version}", pkg, NULL};
        runner_capture(argv, a->version, sizeof(a->version));
        if (a->version[0] == '\0')
            snprintf(a->version, sizeof(a->version), "unknown");
    }

    if (d->env != NULL)
        add_setting(a, d->env);
    extern char **environ;
    for (char **e = environ; *e != NULL; e++)
        if (is_alloc_setting(*e) && !(d->env != NULL && strcmp(*e, d->env) == 0))
            add_setting(a, *e);
    for (int i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
        add_setting(a, extra_env[i]);
    if (a->settings[0] == '\0')
        snprintf(a->settings, sizeof(a->settings), "defaults");
    return true;
}
