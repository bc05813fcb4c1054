/* Unit tests of realloc's paths: growing in place into the top and into a free neighbour,
 * shrinking in place, moving, and mremap for mapped blocks; contents preserved throughout. */
#include "tests/mini_test.h"

TEST_BEGIN(test_grow_into_top)
{
    t_isolate();
    char *p = mini_malloc(2000);
    t_fill(p, 2000, 1);
    char *q = mini_realloc(p, 6000);
    expect_ptr_eq(q, p, "the top was next: grown in place");
    expect_zu_eq(t_verify(q, p, 2000, 1), 2000, "");
    mini_free(q);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_grow_into_free_neighbour)
{
    t_isolate();
    char *p = mini_malloc(2000), *n = mini_malloc(2000), *g = mini_malloc(2000);
    require_true((uintptr_t)n == (uintptr_t)p + 2016, "adjacent");
    t_fill(p, 2000, 2);
    mini_free(n);
    char *q = mini_realloc(p, 3500);
    expect_ptr_eq(q, p, "grown into the free block after it");
    expect_zu_eq(t_verify(q, p, 2000, 2), 2000, "");
    expect_zu_eq(t_csize(q), mini_s2c(3500), "the rest went back to the bins");
    mini_free(q);
    mini_free(g);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_shrink_in_place)
{
    char *p = mini_malloc(5000);
    t_fill(p, 5000, 3);
    char *q = mini_realloc(p, 100);
    expect_ptr_eq(q, p, "");
    expect_zu_eq(mini_usable_size(q), mini_s2c(100) - 16, "the tail was given back");
    expect_zu_eq(t_verify(q, p, 100, 3), 100, "");
    q = mini_realloc(q, 90);
    expect_ptr_eq(q, p, "a smaller shrink keeps the block");
    mini_free(q);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_move)
{
    char *p = mini_malloc(2000), *n = mini_malloc(2000);
    t_fill(p, 2000, 4);
    char *q = mini_realloc(p, 50000);
    require_ptr_ne(q, NULL, "");
    expect_ptr_ne(q, p, "the neighbour is in use: moved");
    expect_zu_eq(t_verify(q, p, 2000, 4), 2000, "contents moved along");
    mini_free(q);
    mini_free(n);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_mapped_blocks)
{
    char *p = mini_malloc(200000);
    require_true(t_mmapped(p), "");
    t_fill(p, 200000, 5);
    char *q = mini_realloc(p, 3 << 20);
    require_ptr_ne(q, NULL, "");
    expect_true(t_mmapped(q), "");
    expect_zu_eq(t_verify(q, p, 200000, 5), 200000, "mremap keeps the contents");
    memset(q + 200000, 7, (3 << 20) - 200000);
    char *r = mini_realloc(q, 150000);
    expect_true(t_mmapped(r), "still above the threshold");
    expect_zu_eq(t_verify(r, p, 150000, 5), 150000, "");
    char *s = mini_realloc(r, 1000);
    expect_false(t_mmapped(s), "moved into an arena");
    expect_zu_eq(t_verify(s, p, 1000, 5), 1000, "");
    mini_free(s);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_edge_cases)
{
    char *p = mini_realloc(NULL, 100);
    require_ptr_ne(p, NULL, "realloc(NULL, n) is malloc");
    expect_ptr_eq(mini_realloc(p, 0), NULL, "realloc(p, 0) frees, as glibc does");
    p = mini_malloc(100);
    errno = 0;
    expect_ptr_eq(mini_realloc(p, PTRDIFF_MAX), NULL, "");
    expect_d_eq(errno, ENOMEM, "");
    expect_zu_eq(mini_usable_size(p), 112, "the block is untouched");
    mini_free(p);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_grow_into_top, test_grow_into_free_neighbour,
                     test_shrink_in_place, test_move, test_mapped_blocks, test_edge_cases);
}
