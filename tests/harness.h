/*
 * harness.h — the one tiny test harness of libmini (header only).
 *
 *   TEST_BEGIN(test_name)
 *   {
 *       expect_zu_eq(mini_usable_size(p), 48, "usable size of %p", p);
 *       require_ptr_ne(p, NULL, "");        (a failed require_* ends this test)
 *       test_skip_if(!have_thing, "no thing here");
 *   }
 *   TEST_END
 *
 *   int main(int argc, char **argv) { return TEST_MAIN(argc, argv, test_a, test_b); }
 *
 * Each test prints one line ("  ok   suite: name", "  FAIL suite: name", "  skip suite: name
 * (reason)"), failed expectations print file:line and the values, and the program closes with
 *
 *   mini-test: P passed, F failed, S skipped
 *
 * which tests/run-tests adds up. The exit status is 1 if anything failed. Running the program
 * with test names as arguments runs only those. Expectations use only stdio of the test
 * process (never the allocator under test: these tests call mini_* directly).
 *
 * test_expect_death() runs a function in a forked child with stderr captured, and checks the
 * signal and a substring of what it wrote: invalid and double frees are tested that way.
 */
#ifndef MINI_TEST_HARNESS_H
#define MINI_TEST_HARNESS_H

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef void test_fn_t(void);

struct test_state {
    const char *suite;
    const char *name;
    int failed;  /* expectations failed in the current test */
    int skipped; /* current test skipped */
    char skip_reason[256];
    jmp_buf jmp; /* where require_* and test_skip_if return to */
    int npass, nfail, nskip;
};

static struct test_state test_state_;

static inline void test_fail_(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void test_fail_(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    test_state_.failed++;
}

/* msg is a printf format (may be ""), followed by its arguments. */
#define TEST_CHECK_(t, fmt, a, op, b, stop, msg, ...)                                              \
    do {                                                                                           \
        t a_ = (a);                                                                                \
        t b_ = (b);                                                                                \
        if (!(a_ op b_)) {                                                                         \
            test_fail_(__FILE__, __LINE__, "expected %s " #op " %s (" fmt " vs " fmt ") " msg, #a, \
                       #b, a_, b_, ##__VA_ARGS__);                                                 \
            if (stop)                                                                              \
                longjmp(test_state_.jmp, 1);                                                       \
        }                                                                                          \
    } while (0)

/* expect_* record a failure and go on; require_* end the test. */
#define expect_zu_eq(a, b, ...)  TEST_CHECK_(size_t, "%zu", a, ==, b, 0, __VA_ARGS__)
#define expect_zu_ne(a, b, ...)  TEST_CHECK_(size_t, "%zu", a, !=, b, 0, __VA_ARGS__)
#define expect_zu_lt(a, b, ...)  TEST_CHECK_(size_t, "%zu", a, <, b, 0, __VA_ARGS__)
#define expect_zu_le(a, b, ...)  TEST_CHECK_(size_t, "%zu", a, <=, b, 0, __VA_ARGS__)
#define expect_zu_gt(a, b, ...)  TEST_CHECK_(size_t, "%zu", a, >, b, 0, __VA_ARGS__)
#define expect_zu_ge(a, b, ...)  TEST_CHECK_(size_t, "%zu", a, >=, b, 0, __VA_ARGS__)
#define expect_u64_eq(a, b, ...) TEST_CHECK_(uint64_t, "%" PRIu64, a, ==, b, 0, __VA_ARGS__)
#define expect_u64_ge(a, b, ...) TEST_CHECK_(uint64_t, "%" PRIu64, a, >=, b, 0, __VA_ARGS__)
#define expect_u64_le(a, b, ...) TEST_CHECK_(uint64_t, "%" PRIu64, a, <=, b, 0, __VA_ARGS__)
#define expect_u64_gt(a, b, ...) TEST_CHECK_(uint64_t, "%" PRIu64, a, >, b, 0, __VA_ARGS__)
#define expect_u64_lt(a, b, ...) TEST_CHECK_(uint64_t, "%" PRIu64, a, <, b, 0, __VA_ARGS__)
#define expect_d_eq(a, b, ...)   TEST_CHECK_(long long, "%lld", a, ==, b, 0, __VA_ARGS__)
#define expect_d_ne(a, b, ...)   TEST_CHECK_(long long, "%lld", a, !=, b, 0, __VA_ARGS__)
#define expect_d_lt(a, b, ...)   TEST_CHECK_(long long, "%lld", a, <, b, 0, __VA_ARGS__)
#define expect_d_le(a, b, ...)   TEST_CHECK_(long long, "%lld", a, <=, b, 0, __VA_ARGS__)
#define expect_d_gt(a, b, ...)   TEST_CHECK_(long long, "%lld", a, >, b, 0, __VA_ARGS__)
#define expect_d_ge(a, b, ...)   TEST_CHECK_(long long, "%lld", a, >=, b, 0, __VA_ARGS__)
#define expect_f_le(a, b, ...)   TEST_CHECK_(double, "%g", a, <=, b, 0, __VA_ARGS__)
#define expect_f_ge(a, b, ...)   TEST_CHECK_(double, "%g", a, >=, b, 0, __VA_ARGS__)
#define expect_ptr_eq(a, b, ...) TEST_CHECK_(const void *, "%p", a, ==, b, 0, __VA_ARGS__)
#define expect_ptr_ne(a, b, ...) TEST_CHECK_(const void *, "%p", a, !=, b, 0, __VA_ARGS__)
#define expect_true(c, ...)      TEST_CHECK_(int, "%d", !!(c), ==, 1, 0, __VA_ARGS__)
#define expect_false(c, ...)     TEST_CHECK_(int, "%d", !!(c), ==, 0, 0, __VA_ARGS__)

#define require_zu_eq(a, b, ...)  TEST_CHECK_(size_t, "%zu", a, ==, b, 1, __VA_ARGS__)
#define require_zu_ge(a, b, ...)  TEST_CHECK_(size_t, "%zu", a, >=, b, 1, __VA_ARGS__)
#define require_d_eq(a, b, ...)   TEST_CHECK_(long long, "%lld", a, ==, b, 1, __VA_ARGS__)
#define require_ptr_ne(a, b, ...) TEST_CHECK_(const void *, "%p", a, !=, b, 1, __VA_ARGS__)
#define require_ptr_eq(a, b, ...) TEST_CHECK_(const void *, "%p", a, ==, b, 1, __VA_ARGS__)
#define require_true(c, ...)      TEST_CHECK_(int, "%d", !!(c), ==, 1, 1, __VA_ARGS__)
#define require_false(c, ...)     TEST_CHECK_(int, "%d", !!(c), ==, 0, 1, __VA_ARGS__)

#define expect_str_eq(a, b, ...)                                                                   \
    do {                                                                                           \
        const char *sa_ = (a), *sb_ = (b);                                                         \
        if (strcmp(sa_, sb_) != 0)                                                                 \
            test_fail_(__FILE__, __LINE__, "expected strings equal: \"%s\" vs \"%s\"", sa_, sb_);  \
    } while (0)
#define expect_str_contains(hay, needle)                                                           \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (strstr(h_, n_) == NULL)                                                                \
            test_fail_(__FILE__, __LINE__, "expected \"%s\" in \"%s\"", n_, h_);                   \
    } while (0)

/* Explicit failure with a message. */
#define test_fail(...) test_fail_(__FILE__, __LINE__, __VA_ARGS__)

/* Skip the rest of the current test, with a reason that is printed. */
#define test_skip_if(cond, ...)                                                                    \
    do {                                                                                           \
        if (cond) {                                                                                \
            snprintf(test_state_.skip_reason, sizeof(test_state_.skip_reason), __VA_ARGS__);       \
            test_state_.skipped = 1;                                                               \
            longjmp(test_state_.jmp, 1);                                                           \
        }                                                                                          \
    } while (0)

#define TEST_BEGIN(f)                                                                              \
    static void f(void)                                                                            \
    {                                                                                              \
        test_state_.name = #f;
#define TEST_END }

static inline bool test_selected_(int argc, char **argv, const char *name)
{
    if (argc <= 1)
        return true;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

static inline int test_main_(int argc, char **argv, const char *names, test_fn_t **fns)
{
    const char *suite = getenv("MINI_TEST_SUITE");
    if (suite == NULL) {
        suite = strrchr(argv[0], '/');
        suite = suite ? suite + 1 : argv[0];
    }
    test_state_.suite = suite;
    /* A static buffer: stdio must not call malloc (it would share the program break with the
     * allocator under test). */
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", names);
    char *save = NULL;
    char *tok = strtok_r(buf, ", ", &save);
    for (int i = 0; fns[i] != NULL; i++, tok = strtok_r(NULL, ", ", &save)) {
        const char *name = tok ? tok : "?";
        if (!test_selected_(argc, argv, name))
            continue;
        test_state_.failed = 0;
        test_state_.skipped = 0;
        test_state_.skip_reason[0] = '\0';
        test_state_.name = name;
        if (setjmp(test_state_.jmp) == 0)
            fns[i]();
        if (test_state_.skipped && !test_state_.failed) {
            printf("  skip %s: %s (%s)\n", suite, name, test_state_.skip_reason);
            test_state_.nskip++;
        } else if (test_state_.failed) {
            printf("  FAIL %s: %s\n", suite, name);
            test_state_.nfail++;
        } else {
            printf("  ok   %s: %s\n", suite, name);
            test_state_.npass++;
        }
    }
    printf("mini-test: %d passed, %d failed, %d skipped\n", test_state_.npass, test_state_.nfail,
           test_state_.nskip);
    fflush(stdout);
    return test_state_.nfail ? 1 : 0;
}

#define TEST_MAIN(argc, argv, ...)                                                                 \
    test_main_(argc, argv, #__VA_ARGS__, (test_fn_t *[]){__VA_ARGS__, NULL})

/* A fixed-seed generator for randomized tests (splitmix64): same seed, same sequence. */
static inline uint64_t test_rand_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Seed from MINI_TEST_SEED when given (to replay a failure), else the default. */
static inline uint64_t test_seed(uint64_t dflt)
{
    const char *s = getenv("MINI_TEST_SEED");
    return s ? strtoull(s, NULL, 0) : dflt;
}

/*
 * Run fn(arg) in a child with stderr captured. Returns true when the child died of signal
 * `sig` (0: exited with status 0 instead) and its stderr contains `needle` (NULL: anything);
 * otherwise records a failure that says what happened.
 */
#define test_expect_death(fn, arg, sig, needle)                                                    \
    test_expect_death_(__FILE__, __LINE__, fn, arg, sig, needle)
static inline bool test_expect_death_(const char *file, int line, void (*fn)(void *), void *arg,
                                      int sig, const char *needle)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        test_fail_(file, line, "pipe: %s", strerror(errno));
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        test_fail_(file, line, "fork: %s", strerror(errno));
        return false;
    }
    if (pid == 0) {
        close(pfd[0]);
        dup2(pfd[1], 2);
        /* No core files from expected aborts. */
        signal(SIGABRT, SIG_DFL);
        fn(arg);
        _exit(0);
    }
    close(pfd[1]);
    char out[4096];
    size_t n = 0;
    ssize_t r;
    while ((r = read(pfd[0], out + n, sizeof(out) - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    bool ok_sig =
        sig ? (WIFSIGNALED(st) && WTERMSIG(st) == sig) : (WIFEXITED(st) && WEXITSTATUS(st) == 0);
    bool ok_msg = needle == NULL || strstr(out, needle) != NULL;
    if (!ok_sig || !ok_msg) {
        test_fail_(file, line, "child: %s %d (wanted %s %d), stderr \"%s\" (wanted \"%s\")",
                   WIFSIGNALED(st) ? "signal" : "exit",
                   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), sig ? "signal" : "exit", sig,
                   out, needle ? needle : "(any)");
        return false;
    }
    return true;
}

static inline double test_now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif /* MINI_TEST_HARNESS_H */
