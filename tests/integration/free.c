/*
 * Integration tests of mini_free: NULL is a no-op; a pointer libmini never returned, and one
 * already freed, are reported as glibc does ("libmini: free(): invalid pointer 0x..." or
 * "... double free 0x...") and abort with SIGABRT. Each bad call runs in a child process.
 */
#include "tests/mini_test.h"

static char msg[128];

static const char *expect_msg(const char *what, const void *p)
{
    snprintf(msg, sizeof(msg), "libmini: free(): %s %p\n", what, p);
    return msg;
}

static void do_free(void *p)
{
    mini_free(p);
}

TEST_BEGIN(test_null)
{
    mini_free(NULL);
}
TEST_END

TEST_BEGIN(test_invalid_pointers)
{
    char stack[64] = {0};
    test_expect_death(do_free, stack + 16, SIGABRT, expect_msg("invalid pointer", stack + 16));
    char *p = mini_malloc(100);
    test_expect_death(do_free, p + 1, SIGABRT, expect_msg("invalid pointer", p + 1));
    test_expect_death(do_free, p + 32, SIGABRT, expect_msg("invalid pointer", p + 32));
    char *big = mini_malloc(300000);
    test_expect_death(do_free, big + 4096, SIGABRT, expect_msg("invalid pointer", big + 4096));
    void *g = malloc(100); /* the C library's own allocator */
    test_expect_death(do_free, g, SIGABRT, expect_msg("invalid pointer", g));
    free(g);
    test_expect_death(do_free, (void *)0x1000, SIGABRT,
                      expect_msg("invalid pointer", (void *)0x1000));
    mini_free(p);
    mini_free(big);
}
TEST_END

static void double_free(void *arg)
{
    size_t s = *(size_t *)arg;
    void *p = mini_malloc(s);
    mini_free(p);
    mini_free(p);
}

TEST_BEGIN(test_double_free_every_kind)
{
    /* thread-cache sized, arena sized */
    size_t sizes[] = {16, 32, 1000, 2000, 100000};
    for (int i = 0; i < 5; i++)
        test_expect_death(double_free, &sizes[i], SIGABRT, "libmini: free(): double free 0x");
    /* A mapped block is gone after the first free: the second is not one of ours. */
    size_t big = 300000;
    test_expect_death(double_free, &big, SIGABRT, "libmini: free(): invalid pointer 0x");
}
TEST_END

static void *free_in_thread(void *p)
{
    mini_free(p);
    return NULL;
}

static void cross_thread_double_free(void *arg)
{
    (void)arg;
    void *p = mini_malloc(64);
    pthread_t t;
    pthread_create(&t, NULL, free_in_thread, p); /* sits in that thread's cache until it exits */
    pthread_join(t, NULL);
    void *q = mini_malloc(64);
    pthread_create(&t, NULL, free_in_thread, q);
    mini_free(q); /* one of the two frees finds the block already freed */
    pthread_join(t, NULL);
}

TEST_BEGIN(test_double_free_across_threads)
{
    test_expect_death(cross_thread_double_free, NULL, SIGABRT, "libmini: free(): double free 0x");
}
TEST_END

static void corrupt_header(void *arg)
{
    (void)arg;
    /* Find two neighbouring blocks, then overrun the first into the second's header. */
    char *p[64];
    for (int i = 0; i < 64; i++)
        p[i] = mini_malloc(100);
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++)
            if (p[j] == p[i] + mini_s2c(100)) {
                memset(p[i], 'x', mini_s2c(100));
                mini_free(p[j]);
                _exit(3); /* not reported */
            }
    _exit(4); /* no neighbours found */
}

TEST_BEGIN(test_overrun_header_is_reported)
{
    test_expect_death(corrupt_header, NULL, SIGABRT, "libmini: free(): invalid pointer 0x");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_null, test_invalid_pointers, test_double_free_every_kind,
                     test_double_free_across_threads, test_overrun_header_is_reported);
}
