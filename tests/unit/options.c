/*
 * Unit tests of options.c: values from the environment (read in a child process, since they
 * are read once per process), one warning line for a malformed value with the default kept,
 * MINI_VERBOSE and MINI_SHOW_STATS, and the get/set/find API.
 */
#include "tests/mini_test.h"

/* The child: print every option, allocate and free a little, exit. */
static int child_main(void)
{
    for (int i = 0; i < MINI_OPT_COUNT_; i++)
        printf("opt %s=%ld\n", mini_option_name((mini_option_t)i),
               mini_option_get((mini_option_t)i));
    fflush(stdout);
    /* Whatever the options, every kind of request works. */
    void *p[6] = {mini_malloc(0),      mini_malloc(100),        mini_calloc(1, 2000),
                  mini_malloc(200000), mini_memalign(4096, 10), mini_realloc(NULL, 5)};
    for (int i = 0; i < 6; i++) {
        if (p[i] == NULL)
            return 2;
        mini_free(p[i]);
    }
    mini_check_heap();
    return 0;
}

static int run(char *const env[], char *out, size_t cap)
{
    char *args[] = {(char *)"--child", NULL};
    return t_run_self(env, args, out, cap);
}

static char out[1 << 16];

TEST_BEGIN(test_defaults)
{
    int st = run(NULL, out, sizeof(out));
    expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
    expect_str_contains(out, "opt MINI_MMAP_THRESHOLD=131072\n");
    expect_str_contains(out, "opt MINI_TRIM_THRESHOLD=131072\n");
    expect_str_contains(out, "opt MINI_TOP_PAD=131072\n");
    expect_str_contains(out, "opt MINI_TCACHE=1\n");
    expect_str_contains(out, "opt MINI_TCACHE_MAX=1024\n");
    expect_str_contains(out, "opt MINI_PURGE_THRESHOLD=65536\n");
    expect_false(strstr(out, "warning"), "no warnings: %s", out);
}
TEST_END

TEST_BEGIN(test_values_from_the_environment)
{
    char *env[] = {(char *)"MINI_MMAP_THRESHOLD=256k",
                   (char *)"MINI_TCACHE=off",
                   (char *)"MINI_TRIM_THRESHOLD=-1",
                   (char *)"MINI_PURGE_DELAY=250",
                   (char *)"MINI_TOP_PAD=0x10000",
                   (char *)"MINI_ARENA_MAX=3",
                   NULL};
    int st = run(env, out, sizeof(out));
    expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
    expect_str_contains(out, "opt MINI_MMAP_THRESHOLD=262144\n");
    expect_str_contains(out, "opt MINI_TCACHE=0\n");
    expect_str_contains(out, "opt MINI_TRIM_THRESHOLD=-1\n");
    expect_str_contains(out, "opt MINI_PURGE_DELAY=250\n");
    expect_str_contains(out, "opt MINI_TOP_PAD=65536\n");
    expect_str_contains(out, "opt MINI_ARENA_MAX=3\n");
}
TEST_END

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

TEST_BEGIN(test_thread_cache_off)
{
    char *env[] = {(char *)"MINI_TCACHE=0", NULL};
    int st = run(env, out, sizeof(out));
    expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d: %s", st, out);
    char *env2[] = {(char *)"MINI_TCACHE_MAX=0", (char *)"MINI_CHECK=2", NULL};
    st = run(env2, out, sizeof(out));
    expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d: %s", st, out);
}
TEST_END

TEST_BEGIN(test_malformed_value_warns_once_and_keeps_the_default)
{
    char *env[] = {(char *)"MINI_MMAP_THRESHOLD=12q", NULL};
    int st = run(env, out, sizeof(out));
    expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
    expect_str_contains(out, "libmini: warning: ignoring MINI_MMAP_THRESHOLD=12q");
    expect_zu_eq(count(out, "warning"), 1, "one line: %s", out);
    expect_str_contains(out, "opt MINI_MMAP_THRESHOLD=131072\n");

    char *env2[] = {(char *)"MINI_ARENA_MAX=100000", (char *)"MINI_TCACHE=maybe",
                    (char *)"MINI_CHECK=", NULL};
    st = run(env2, out, sizeof(out));
    expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
    expect_str_contains(out, "ignoring MINI_ARENA_MAX=100000 (out of range");
    expect_str_contains(out, "ignoring MINI_TCACHE=maybe (not a boolean");
    expect_str_contains(out, "ignoring MINI_CHECK= (not a number");
    expect_str_contains(out, "opt MINI_ARENA_MAX=0\n");
    expect_str_contains(out, "opt MINI_TCACHE=1\n");
}
TEST_END

TEST_BEGIN(test_verbose_and_show_stats)
{
    char *env[] = {(char *)"MINI_VERBOSE=1", NULL};
    run(env, out, sizeof(out));
    expect_str_contains(out, "libmini: option MINI_MMAP_THRESHOLD=131072");
    expect_str_contains(out, "libmini: option MINI_CHECK=");
    char *env2[] = {(char *)"MINI_SHOW_STATS=1", NULL};
    run(env2, out, sizeof(out));
    expect_str_contains(out, "___ libmini " MINI_VERSION " statistics");
    expect_str_contains(out, "calls: malloc");
    char *env3[] = {(char *)"MINI_SHOW_STATS=json", NULL};
    run(env3, out, sizeof(out));
    expect_str_contains(out, "{\"libmini\":\"" MINI_VERSION "\"");
    expect_str_contains(out, "\"n_malloc\":");
    expect_str_contains(out, "\"options\":{\"mmap_threshold\":131072");
}
TEST_END

TEST_BEGIN(test_get_set_find)
{
    expect_d_eq(mini_option_find("mmap_threshold"), MINI_OPT_MMAP_THRESHOLD, "");
    expect_d_eq(mini_option_find("MINI_TCACHE"), MINI_OPT_TCACHE, "");
    expect_d_eq(mini_option_find("nonsense"), -1, "");
    expect_d_eq(mini_option_find(NULL), -1, "");
    expect_str_eq(mini_option_name(MINI_OPT_TOP_PAD), "MINI_TOP_PAD");
    expect_ptr_eq(mini_option_name(MINI_OPT_COUNT_), NULL, "");
    long old = mini_option_get(MINI_OPT_TOP_PAD);
    expect_d_eq(mini_option_set(MINI_OPT_TOP_PAD, 4096), 0, "");
    expect_d_eq(mini_option_get(MINI_OPT_TOP_PAD), 4096, "");
    expect_d_eq(mini_option_set(MINI_OPT_TOP_PAD, -5), EINVAL, "");
    expect_d_eq(mini_option_set(MINI_OPT_COUNT_, 1), EINVAL, "");
    expect_d_eq(mini_option_set(MINI_OPT_CHECK, 3), EINVAL, "");
    mini_option_set(MINI_OPT_TOP_PAD, old);
}
TEST_END

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--child") == 0)
        return child_main();
    return TEST_MAIN(argc, argv, test_defaults, test_values_from_the_environment,
                     test_thread_cache_off, test_malformed_value_warns_once_and_keeps_the_default,
                     test_verbose_and_show_stats, test_get_set_find);
}
