/* Integration tests of mini_malloc: alignment, contents, malloc(0), and NULL with ENOMEM for
 * every impossible size, never a crash. */
#include "tests/mini_test.h"

TEST_BEGIN(test_sizes_alignment_contents)
{
    static void *p[4000];
    size_t n = 0;
    for (size_t s = 0; s < 140000 && n < 4000; s += 1 + s / 8, n++) {
        p[n] = mini_malloc(s);
        require_ptr_ne(p[n], NULL, "size %zu", s);
        expect_true(t_aligned(p[n], 16), "");
        t_fill(p[n], s, s);
    }
    size_t k = 0;
    for (size_t s = 0; s < 140000 && k < n; s += 1 + s / 8, k++) {
        expect_zu_eq(t_verify(p[k], p[k], s, s), s, "size %zu", s);
        mini_free(p[k]);
    }
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_malloc0)
{
    void *a = mini_malloc(0), *b = mini_malloc(0);
    expect_true(a && b && a != b, "unique, non-NULL");
    mini_free(a);
    mini_free(b);
}
TEST_END

TEST_BEGIN(test_impossible_sizes_give_enomem)
{
    size_t bad[] = {SIZE_MAX,        SIZE_MAX - 15,  (size_t)PTRDIFF_MAX + 1, (size_t)PTRDIFF_MAX,
                    (size_t)1 << 62, (size_t)1 << 46};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        expect_ptr_eq(mini_malloc(bad[i]), NULL, "size %zu", bad[i]);
        expect_d_eq(errno, ENOMEM, "size %zu", bad[i]);
    }
    void *p = mini_malloc(100); /* still works afterwards */
    expect_ptr_ne(p, NULL, "");
    mini_free(p);
    mini_check_heap();
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_sizes_alignment_contents, test_malloc0,
                     test_impossible_sizes_give_enomem);
}
