/*
 * Unit tests of the mmap threshold (128 KiB by default): 128 KiB - 1 and 128 KiB - 16 come from
 * the brk heap; 128 KiB and 128 KiB + 1 get a mapping of their own, unmapped at free.
 */
#include "tests/mini_test.h"

TEST_BEGIN(test_boundary)
{
    mini_stats_t s0, s1;
    mini_stats_get(&s0, sizeof(s0));
    char *below = mini_malloc(131072 - 1), *below16 = mini_malloc(131072 - 16);
    char *at = mini_malloc(131072), *above = mini_malloc(131072 + 1);
    require_true(below && below16 && at && above, "");
    expect_false(t_mmapped(below), "128 KiB - 1 is a heap block");
    expect_true(t_in_brk(below), "");
    expect_false(t_mmapped(below16), "128 KiB - 16 is a heap block");
    expect_true(t_mmapped(at), "128 KiB has its own mapping");
    expect_true(t_mmapped(above), "128 KiB + 1 has its own mapping");
    expect_false(t_in_brk(at), "");
    expect_zu_eq((uintptr_t)at & 4095, 16, "a fresh mapping: the header is at its start");
    expect_zu_ge(mini_usable_size(at), 131072, "");
    expect_zu_lt(mini_usable_size(at), 131072 + 4096, "");
    memset(below, 1, 131071);
    memset(at, 2, 131072);
    memset(above, 3, 131073);
    mini_stats_get(&s1, sizeof(s1));
    expect_u64_eq(s1.n_large_alloc - s0.n_large_alloc, 2, "");
    expect_u64_eq(s1.large_count - s0.large_count, 2, "");
    expect_u64_ge(s1.n_mmap - s0.n_mmap, 2, "");
    uintptr_t at_page = (uintptr_t)at & ~(uintptr_t)4095;
    mini_free(at);
    unsigned char v;
    expect_d_eq(mincore((void *)at_page, 4096, &v), -1, "unmapped at free");
    mini_stats_t s2;
    mini_stats_get(&s2, sizeof(s2));
    expect_u64_eq(s2.n_munmap - s1.n_munmap, 1, "one munmap");
    mini_free(above);
    mini_free(below);
    mini_free(below16);
    mini_stats_get(&s2, sizeof(s2));
    expect_u64_eq(s2.large_count, s0.large_count, "");
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_option_moves_the_threshold)
{
    expect_d_eq(mini_option_set(MINI_OPT_MMAP_THRESHOLD, 256 * 1024), 0, "");
    char *p = mini_malloc(200000);
    expect_false(t_mmapped(p), "200000 < 256 KiB: heap");
    mini_free(p);
    expect_d_eq(mini_option_set(MINI_OPT_MMAP_THRESHOLD, 64 * 1024), 0, "");
    p = mini_malloc(70000);
    expect_true(t_mmapped(p), "70000 >= 64 KiB: mapped");
    mini_free(p);
    expect_d_eq(mini_option_set(MINI_OPT_MMAP_THRESHOLD, 4096), EINVAL,
                "below the smallest allowed");
    expect_d_eq(mini_option_set(MINI_OPT_MMAP_THRESHOLD, 131072), 0, "");
}
TEST_END

TEST_BEGIN(test_calloc_large_is_zero_without_memset)
{
    char *p = mini_calloc(1, 1 << 20);
    require_ptr_ne(p, NULL, "");
    expect_true(t_mmapped(p), "");
    expect_zu_le(t_resident_pages(p, 1 << 20), 1,
                 "fresh pages are zero: calloc touches only the header page");
    for (size_t i = 0; i < (1 << 20); i += 4096)
        if (p[i])
            test_fail("byte %zu not zero", i);
    mini_free(p);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_boundary, test_option_moves_the_threshold,
                     test_calloc_large_is_zero_without_memset);
}
