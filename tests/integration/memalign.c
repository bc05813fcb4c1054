/* Integration tests of mini_memalign, mini_posix_memalign, mini_aligned_alloc, mini_valloc and
 * mini_pvalloc: their error conventions (EINVAL, ENOMEM, *memptr untouched). */
#include "tests/mini_test.h"

TEST_BEGIN(test_memalign_rounds_odd_alignments_up)
{
    void *p = mini_memalign(24, 10);
    expect_true(t_aligned(p, 32), "24 rounds up to 32, as glibc");
    mini_free(p);
    p = mini_memalign(0, 10);
    expect_ptr_ne(p, NULL, "");
    mini_free(p);
    errno = 0;
    expect_ptr_eq(mini_memalign(SIZE_MAX / 2 + 1, 10), NULL, "");
    expect_d_eq(errno, EINVAL, "");
}
TEST_END

TEST_BEGIN(test_posix_memalign_errors)
{
    void *sentinel = (void *)0x1234, *p = sentinel;
    size_t bad[] = {0, 1, 2, 4, 3, 12, 24, 48};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_d_eq(mini_posix_memalign(&p, bad[i], 10), EINVAL, "alignment %zu", bad[i]);
        expect_ptr_eq(p, sentinel, "*memptr untouched");
    }
    errno = 0;
    expect_d_eq(mini_posix_memalign(&p, 64, t_opaque((size_t)1 << 50)), ENOMEM, "");
    expect_ptr_eq(p, sentinel, "*memptr untouched");
    expect_d_eq(errno, 0, "errno untouched on ENOMEM");
    expect_d_eq(mini_posix_memalign(&p, 8, 10), 0, "");
    expect_true(t_aligned(p, 16), "");
    mini_free(p);
}
TEST_END

TEST_BEGIN(test_aligned_alloc)
{
    errno = 0;
    expect_ptr_eq(mini_aligned_alloc(24, 48), NULL, "not a power of two");
    expect_d_eq(errno, EINVAL, "");
    errno = 0;
    expect_ptr_eq(mini_aligned_alloc(0, 48), NULL, "");
    expect_d_eq(errno, EINVAL, "");
    void *p = mini_aligned_alloc(256, 100); /* size need not be a multiple (C17) */
    expect_true(p && t_aligned(p, 256), "");
    mini_free(p);
}
TEST_END

TEST_BEGIN(test_valloc_pvalloc_errors)
{
    errno = 0;
    expect_ptr_eq(mini_pvalloc(t_opaque(SIZE_MAX - 100)), NULL, "");
    expect_d_eq(errno, ENOMEM, "");
    errno = 0;
    expect_ptr_eq(mini_valloc(t_opaque(SIZE_MAX - 100)), NULL, "");
    expect_d_eq(errno, ENOMEM, "");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_memalign_rounds_odd_alignments_up, test_posix_memalign_errors,
                     test_aligned_alloc, test_valloc_pvalloc_errors);
}
