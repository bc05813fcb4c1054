/* Unit tests of aligned allocation: every power-of-two alignment up to 1 MiB, through
 * memalign, posix_memalign and aligned_alloc, for sizes from 0 to past the mmap threshold. */
#include "tests/mini_test.h"

static const size_t sizes[] = {0, 1, 24, 100, 1000, 5000, 70000, 200000};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void check_block(void *p, size_t align, size_t s, int which)
{
    if (p == NULL) {
        test_fail("%d: align %zu size %zu: NULL", which, align, s);
        return;
    }
    size_t a = align < 16 ? 16 : align;
    if (!t_aligned(p, a))
        test_fail("%d: %p not aligned to %zu", which, p, a);
    if (mini_usable_size(p) < s)
        test_fail("%d: usable %zu < %zu", which, mini_usable_size(p), s);
    t_fill(p, s, align);
    if (t_verify(p, p, s, align) != s)
        test_fail("%d: contents", which);
}

TEST_BEGIN(test_every_power_of_two)
{
    for (size_t align = 1; align <= (1 << 20); align <<= 1) {
        for (size_t i = 0; i < NSIZES; i++) {
            size_t s = sizes[i];
            void *a = mini_memalign(align, s);
            check_block(a, align, s, 0);
            void *b = NULL;
            if (align >= sizeof(void *)) {
                expect_d_eq(mini_posix_memalign(&b, align, s), 0, "align %zu size %zu", align, s);
                check_block(b, align, s, 1);
            }
            void *c = mini_aligned_alloc(align, s);
            check_block(c, align, s, 2);
            /* Neighbours intact after all three were written. */
            if (t_verify(a, a, s, align) != s)
                test_fail("memalign block overwritten");
            mini_free(a);
            mini_free(b);
            mini_free(c);
        }
        mini_check_heap();
    }
}
TEST_END

TEST_BEGIN(test_valloc_pvalloc)
{
    void *v = mini_valloc(100);
    expect_true(t_aligned(v, 4096), "");
    void *p = mini_pvalloc(100);
    expect_true(t_aligned(p, 4096), "");
    expect_zu_ge(mini_usable_size(p), 4096, "pvalloc rounds up to a page");
    void *z = mini_pvalloc(0);
    expect_zu_ge(mini_usable_size(z), 4096, "pvalloc(0) is one page");
    mini_free(v);
    mini_free(p);
    mini_free(z);
}
TEST_END

TEST_BEGIN(test_aligned_blocks_from_the_heap_give_back_their_lead)
{
    /* A small aligned request comes from an arena; the slack before it returns to the bins. */
    mini_stats_t s0, s1;
    mini_check_heap();
    mini_stats_get(&s0, sizeof(s0));
    void *p = mini_memalign(4096, 200);
    expect_false(t_mmapped(p), "");
    mini_stats_get(&s1, sizeof(s1));
    expect_u64_le(s1.allocated - s0.allocated, 256, "only the block itself is held");
    mini_free(p);
    mini_check_heap();
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_every_power_of_two, test_valloc_pvalloc,
                     test_aligned_blocks_from_the_heap_give_back_their_lead);
}
