/*
 * mini_test.h — helpers shared by the allocator's tests: a look inside blocks through the
 * internal header, fill patterns that can be verified later, and a child-process runner.
 */
#ifndef MINI_TEST_H
#define MINI_TEST_H

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>

#include <valgrind/valgrind.h>

#include "libmini/src/internal.h"
#include "tests/harness.h"

/* How much work a randomized test does: full in release, less in debug builds (heap walks),
 * under sanitizers and under valgrind. MINI_TEST_SCALE multiplies it. */
static inline double t_scale(void)
{
    double s = 1.0;
    const char *e = getenv("MINI_TEST_SCALE");
    if (e)
        s = atof(e);
    if (RUNNING_ON_VALGRIND)
        s *= 0.05;
#if defined(__SANITIZE_THREAD__)
    s *= 0.05; /* races show up in the interleavings, not in the volume */
#elif defined(__SANITIZE_ADDRESS__)
    s *= 0.25;
#endif
    if (MINI_DEBUG >= 3)
        s *= 0.25;
    return s;
}

extern char **environ;

/* Hide a constant from the compiler (impossible sizes would warn through alloc_size). */
static inline size_t t_opaque(size_t x)
{
    volatile size_t v = x;
    return v;
}

static inline size_t t_csize(const void *p)
{
    return chunk_size(mem2chunk(p));
}
static inline bool t_mmapped(const void *p)
{
    uintptr_t lo;
    return mini_heap_bounds((uintptr_t)mem2chunk(p), &lo) == 0 && chunk_mmapped(mem2chunk(p));
}
/* In the main arena's brk heap? */
static inline bool t_in_brk(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return a >= MINI_LOAD(mini_global.heap_lo) && a < MINI_LOAD(mini_global.heap_hi);
}
static inline bool t_aligned(const void *p, size_t a)
{
    return ((uintptr_t)p & (a - 1)) == 0;
}

/* A byte pattern that depends on the address, the size and a seed. */
static inline uint8_t t_byte(const void *base, size_t i, uint64_t seed)
{
    uint64_t x = ((uintptr_t)base >> 4) * 0x9e3779b97f4a7c15ULL + i * 0xbf58476d1ce4e5b9ULL + seed;
    return (uint8_t)(x >> 56);
}
static inline void t_fill(void *p, size_t n, uint64_t seed)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = t_byte(p, i, seed);
}
/* Returns the index of the first wrong byte, or n. */
static inline size_t t_verify(const void *p, const void *base, size_t n, uint64_t seed)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != t_byte(base, i, seed))
            return i;
    return n;
}

/* Pages of [p, p+n) resident now (mincore). */
static inline size_t t_resident_pages(const void *p, size_t n)
{
    size_t page = 4096;
    uintptr_t s = (uintptr_t)p & ~(page - 1), e = ((uintptr_t)p + n + page - 1) & ~(page - 1);
    unsigned char vec[4096];
    size_t np = (e - s) / page, res = 0;
    for (size_t off = 0; off < np; off += sizeof(vec)) {
        size_t chunk = np - off < sizeof(vec) ? np - off : sizeof(vec);
        if (mincore((void *)(s + off * page), chunk * page, vec) != 0)
            return (size_t)-1;
        for (size_t i = 0; i < chunk; i++)
            res += vec[i] & 1;
    }
    return res;
}

/*
 * Run this test program again as a child with extra environment entries (NULL-terminated,
 * "NAME=VALUE") and arguments; capture stdout+stderr into out (NUL-terminated). Returns the
 * wait status, or -1.
 */
static inline int t_run_self(char *const extra_env[], char *const args[], char *out, size_t cap)
{
    char *envp[256];
    size_t n = 0;
    for (char **e = environ; *e && n < 200; e++) {
        bool replaced = false;
        for (size_t k = 0; extra_env && extra_env[k]; k++) {
            const char *eq = strchr(extra_env[k], '=');
            if (eq && strncmp(*e, extra_env[k], (size_t)(eq - extra_env[k]) + 1) == 0)
                replaced = true;
        }
        if (!replaced)
            envp[n++] = *e;
    }
    for (size_t k = 0; extra_env && extra_env[k] && n < 250; k++)
        envp[n++] = extra_env[k];
    envp[n] = NULL;
    char *argv[32];
    size_t na = 0;
    argv[na++] = (char *)"/proc/self/exe";
    for (size_t k = 0; args && args[k] && na < 30; k++)
        argv[na++] = args[k];
    argv[na] = NULL;
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    posix_spawn_file_actions_addclose(&fa, pfd[0]);
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (sl <= 0)
        return -1;
    self[sl] = '\0';
    pid_t pid;
    int rc = posix_spawn(&pid, self, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        return -1;
    }
    size_t len = 0;
    ssize_t r;
    while ((r = read(pfd[0], out + len, cap - 1 - len)) > 0)
        len += (size_t)r;
    out[len] = '\0';
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

/*
 * Run the current test alone in a fresh process, on a fresh heap. In the parent it runs the
 * child, reports its failures as this test's, and ends the test; in the child it returns.
 *     TEST_BEGIN(test_x) { t_isolate(); ...the test... } TEST_END
 */
#define t_isolate()                                                                                \
    do {                                                                                           \
        if (getenv("MINI_TEST_CHILD") == NULL) {                                                   \
            static char out_[1 << 16];                                                             \
            char suite_[256];                                                                      \
            snprintf(suite_, sizeof(suite_), "MINI_TEST_SUITE=%s", test_state_.suite);             \
            char *env_[] = {(char *)"MINI_TEST_CHILD=1", suite_, NULL};                            \
            char *args_[] = {(char *)test_state_.name, NULL};                                      \
            int st_ = t_run_self(env_, args_, out_, sizeof(out_));                                 \
            if (!(WIFEXITED(st_) && WEXITSTATUS(st_) == 0) || strstr(out_, "  FAIL "))             \
                test_fail("isolated run failed (status %d):\n%s", st_, out_);                      \
            else if (strstr(out_, "  skip "))                                                      \
                test_skip_if(1, "%s", "skipped in the isolated run");                              \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif /* MINI_TEST_H */
