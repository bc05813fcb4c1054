/*
 * Unit tests of arena.c's free: every coalescing case, on a private arena whose pool is fresh,
 * so that blocks are carved from its top one after the other:
 *     none:   [X used][B][Y used]     before: [A free][B][Y used]
 *     after:  [X used][B][C free]     both:   [A free][B][C free]
 *     top:    [X used][B][top]
 * and the merged block reused by a request only the sum of its parts can hold.
 */
#include "tests/mini_test.h"

static struct mini_arena *ar;

static void *aalloc(size_t s)
{
    mini_arena_lock(ar);
    mini_chunk_t *c = mini_arena_alloc(ar, mini_s2c(s), NULL);
    mini_check_arena(ar);
    mini_arena_unlock(ar);
    return c ? chunk2mem(c) : NULL;
}

static void afree(void *p)
{
    mini_arena_lock(ar);
    mini_arena_free(ar, mem2chunk(p));
    mini_check_arena(ar);
    mini_arena_unlock(ar);
}

static bool in_bins(void *p)
{
    mini_chunk_t *c = mem2chunk(p);
    unsigned b = mini_c2bin(chunk_size(c));
    for (mini_chunk_t *l = ar->bins[b].head; l; l = l->fd)
        for (mini_chunk_t *f = l; f; f = mini_bin_is_small(b) ? NULL : f->fd_size)
            if (f == c)
                return true;
    return false;
}

static void setup(void)
{
    if (ar)
        return;
    mini_option_set(MINI_OPT_PURGE_THRESHOLD, -1);
    mini_ensure_init();
    mini_global.arena_max = 256;
    ar = mini_arena_create();
}

TEST_BEGIN(test_fresh_blocks_are_adjacent)
{
    setup();
    require_ptr_ne(ar, NULL, "arena");
    char *x = aalloc(100), *y = aalloc(100);
    expect_ptr_eq(y, x + mini_s2c(100), "");
    afree(x);
    afree(y);
}
TEST_END

TEST_BEGIN(test_none)
{
    setup();
    char *x = aalloc(500), *b = aalloc(500), *y = aalloc(500), *g = aalloc(64);
    afree(b);
    expect_true(in_bins(b), "b is in its bin");
    expect_zu_eq(t_csize(b), mini_s2c(500), "no neighbour merged");
    expect_false(mini_prev_inuse(mem2chunk(y)), "");
    expect_zu_eq(mem2chunk(y)->prev_foot, mini_s2c(500), "boundary tag");
    afree(x);
    afree(y);
    afree(g);
}
TEST_END

TEST_BEGIN(test_before)
{
    setup();
    char *a = aalloc(500), *b = aalloc(600), *y = aalloc(500), *g = aalloc(64);
    afree(a);
    afree(b);
    expect_true(in_bins(a), "the merged block starts at a");
    expect_false(in_bins(b), "");
    expect_zu_eq(t_csize(a), mini_s2c(500) + mini_s2c(600), "");
    expect_zu_eq(mem2chunk(y)->prev_foot, mini_s2c(500) + mini_s2c(600), "");
    afree(y);
    afree(g);
}
TEST_END

TEST_BEGIN(test_after)
{
    setup();
    char *x = aalloc(500), *b = aalloc(600), *c = aalloc(700), *g = aalloc(64);
    afree(c);
    afree(b);
    expect_true(in_bins(b), "");
    expect_false(in_bins(c), "");
    expect_zu_eq(t_csize(b), mini_s2c(600) + mini_s2c(700), "");
    expect_zu_eq(mem2chunk(g)->prev_foot, t_csize(b), "");
    afree(x);
    afree(g);
}
TEST_END

TEST_BEGIN(test_both)
{
    setup();
    char *x = aalloc(64), *a = aalloc(500), *b = aalloc(600), *c = aalloc(700), *g = aalloc(64);
    afree(a);
    afree(c);
    afree(b);
    expect_true(in_bins(a), "");
    expect_zu_eq(t_csize(a), mini_s2c(500) + mini_s2c(600) + mini_s2c(700), "");
    expect_zu_eq(mem2chunk(g)->prev_foot, t_csize(a), "");
    expect_true(mini_prev_inuse(mem2chunk(a)), "x before it is in use");
    afree(x);
    afree(g);
}
TEST_END

TEST_BEGIN(test_top)
{
    setup();
    char *x = aalloc(64), *b = aalloc(3000);
    mini_chunk_t *top_before = ar->top;
    expect_ptr_eq(top_before, (char *)b + mini_s2c(3000) - 16, "b sits just below the top");
    size_t ts = chunk_size(ar->top);
    afree(b);
    expect_ptr_eq(ar->top, mem2chunk(b), "b merged into the top");
    expect_zu_eq(chunk_size(ar->top), ts + mini_s2c(3000), "");
    char *c = aalloc(1000);
    expect_ptr_eq(c, b, "carved again from the top");
    afree(c);
    afree(x);
}
TEST_END

TEST_BEGIN(test_merged_pair_serves_what_only_their_sum_holds)
{
    setup();
    char *x = aalloc(64), *a = aalloc(400), *b = aalloc(400), *g = aalloc(64);
    afree(a);
    afree(b);
    /* 800 bytes fit neither 400-byte block, only both together (816 + 16 bytes of header). */
    char *c = aalloc(800);
    expect_ptr_eq(c, a, "");
    afree(c);
    afree(x);
    afree(g);
}
TEST_END

TEST_BEGIN(test_split_remainder_goes_to_bins)
{
    setup();
    char *x = aalloc(64), *a = aalloc(4000), *g = aalloc(64);
    afree(a);
    char *c = aalloc(1000);
    expect_ptr_eq(c, a, "best fit takes the free block");
    char *rest = a + mini_s2c(1000);
    expect_true(in_bins(rest), "the rest is a free block");
    expect_zu_eq(t_csize(rest), mini_s2c(4000) - mini_s2c(1000), "");
    afree(c);
    expect_zu_eq(t_csize(a), mini_s2c(4000), "whole again");
    afree(x);
    afree(g);
}
TEST_END

TEST_BEGIN(test_best_fit_prefers_the_smallest)
{
    setup();
    char *p1 = aalloc(3000), *s1 = aalloc(32), *p2 = aalloc(2000), *s2 = aalloc(32),
         *p3 = aalloc(2500), *s3 = aalloc(32);
    afree(p1);
    afree(p2);
    afree(p3);
    expect_ptr_eq(aalloc(1900), p2, "2000 is the best fit for 1900");
    expect_ptr_eq(aalloc(2400), p3, "then 2500");
    expect_ptr_eq(aalloc(2900), p1, "then 3000");
    afree(p1);
    afree(p2);
    afree(p3);
    afree(s1);
    afree(s2);
    afree(s3);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_fresh_blocks_are_adjacent, test_none, test_before, test_after,
                     test_both, test_top, test_merged_pair_serves_what_only_their_sum_holds,
                     test_split_remainder_goes_to_bins, test_best_fit_prefers_the_smallest);
}
