/* Integration tests of mini_calloc: zeroed memory (also when a dirty block is reused),
 * overflow of n * size gives NULL and ENOMEM. */
#include "tests/mini_test.h"

static bool all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

TEST_BEGIN(test_zeroed_even_when_reused)
{
    size_t sizes[] = {1, 24, 500, 1024, 3000, 70000, 131072, 1 << 20};
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            char *d = mini_malloc(sizes[i]);
            memset(d, 0xff, sizes[i]);
            mini_free(d);
            char *p = mini_calloc(1, sizes[i]);
            require_ptr_ne(p, NULL, "");
            expect_true(all_zero(p, sizes[i]), "size %zu round %d", sizes[i], round);
            memset(p, 0xee, sizes[i]);
            mini_free(p);
        }
    char *p = mini_calloc(1000, 100);
    expect_true(all_zero(p, 100000), "");
    mini_free(p);
}
TEST_END

TEST_BEGIN(test_overflow)
{
    errno = 0;
    expect_ptr_eq(mini_calloc(t_opaque(SIZE_MAX / 2), 3), NULL, "");
    expect_d_eq(errno, ENOMEM, "");
    errno = 0;
    expect_ptr_eq(mini_calloc(t_opaque((size_t)1 << 33), (size_t)1 << 31), NULL, "");
    expect_d_eq(errno, ENOMEM, "");
    errno = 0;
    expect_ptr_eq(mini_calloc(1, t_opaque((size_t)PTRDIFF_MAX + 1)), NULL, "");
    expect_d_eq(errno, ENOMEM, "");
    void *z = mini_calloc(0, 0);
    expect_ptr_ne(z, NULL, "calloc(0, 0) is a unique pointer");
    mini_free(z);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_zeroed_even_when_reused, test_overflow);
}
