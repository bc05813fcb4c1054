/* Integration tests of mini_usable_size: NULL gives 0; a bad pointer is reported. */
#include "tests/mini_test.h"

static void bad(void *p)
{
    mini_usable_size(p);
}

TEST_BEGIN(test_usable_size)
{
    expect_zu_eq(mini_usable_size(NULL), 0, "");
    void *p = mini_malloc(5);
    expect_zu_eq(mini_usable_size(p), 16, "");
    mini_free(p);
    char stack[32] = {0};
    test_expect_death(bad, stack + 16, SIGABRT,
                      "libmini: malloc_usable_size(): invalid pointer 0x");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_usable_size);
}
