/* Integration tests of mini_reallocarray: overflow gives NULL and ENOMEM and keeps the block. */
#include "tests/mini_test.h"

TEST_BEGIN(test_reallocarray)
{
    int *a = mini_reallocarray(NULL, 10, sizeof(int));
    require_ptr_ne(a, NULL, "");
    for (int i = 0; i < 10; i++)
        a[i] = i;
    int *b = mini_reallocarray(a, 1000, sizeof(int));
    require_ptr_ne(b, NULL, "");
    for (int i = 0; i < 10; i++)
        expect_d_eq(b[i], i, "");
    errno = 0;
    expect_ptr_eq(mini_reallocarray(b, t_opaque(SIZE_MAX / 2), 4), NULL, "overflow");
    expect_d_eq(errno, ENOMEM, "");
    expect_d_eq(b[9], 9, "block intact");
    mini_free(b);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_reallocarray);
}
