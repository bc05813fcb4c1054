/* Integration tests of mini_check_heap: a healthy heap passes; a corrupted boundary tag or a
 * write into a cached block is caught, with a message, and aborts. */
#include "tests/mini_test.h"

static void corrupt_tag(void *arg)
{
    (void)arg;
    char *a = mini_malloc(3000), *b = mini_malloc(3000), *c = mini_malloc(3000);
    (void)c;
    mini_free(a);
    mini_free(b); /* a and b merge: c's prev_foot holds their size */
    mem2chunk(c)->prev_foot += 16;
    mini_check_heap();
}

static void write_after_free(void *arg)
{
    (void)arg;
    char *a = mini_malloc(48), *b = mini_malloc(48);
    mini_free(a);
    mini_free(b);
    memset(b, 'z', 8); /* clobbers the cache link of b */
    void *volatile sink = mini_malloc(48);
    sink = mini_malloc(48);
    (void)sink;
}

TEST_BEGIN(test_checks)
{
    expect_d_eq(mini_check_heap(), 0, "a healthy heap");
    test_expect_death(corrupt_tag, NULL, SIGABRT, "libmini: heap check failed");
    test_expect_death(write_after_free, NULL, SIGABRT, "libmini: malloc(): corrupted thread cache");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_checks);
}
