/* Unit tests of sizeclass.h: request to chunk sizes, the bins (closed form against the table),
 * and the thread-cache index. */
#include "tests/mini_test.h"

TEST_BEGIN(test_s2c_known)
{
    expect_zu_eq(mini_s2c(0), 32, "");
    expect_zu_eq(mini_s2c(1), 32, "");
    expect_zu_eq(mini_s2c(16), 32, "");
    expect_zu_eq(mini_s2c(17), 48, "");
    expect_zu_eq(mini_s2c(32), 48, "two malloc(32) are 48 bytes apart");
    expect_zu_eq(mini_s2c(1008), 1024, "");
    expect_zu_eq(mini_s2c(1009), 1040, "");
    for (size_t s = 0; s < 70000; s++) {
        size_t c = mini_s2c(s);
        if (c % 16 || c < s + 16 || c >= s + 16 + 16 + (s < 16 ? 16 : 0)) {
            test_fail("s2c(%zu) = %zu", s, c);
            break;
        }
    }
}
TEST_END

TEST_BEGIN(test_bins_closed_form_matches_table)
{
    mini_bins_init_table();
    expect_zu_eq(MINI_NSMALL, 63, "exact bins 32..1024");
    expect_zu_eq(mini_bin_lo[0], 32, "");
    expect_zu_eq(mini_bin_lo[MINI_NSMALL - 1], 1024, "");
    expect_zu_eq(mini_bin_lo[MINI_NSMALL], 1040, "");
    unsigned prev = 0;
    for (size_t c = 32; c <= ((size_t)1 << 24); c += 16) {
        unsigned b = mini_c2bin(c);
        if (b < prev || b >= MINI_NBINS || c < mini_bin_lo[b] || c >= mini_bin_lo[b + 1]) {
            test_fail("c2bin(%zu) = %u, bounds [%zu, %zu)", c, b, mini_bin_lo[b],
                      mini_bin_lo[b + 1]);
            return;
        }
        prev = b;
    }
    /* Every large class is at most a quarter of its group wide. */
    for (unsigned b = MINI_NSMALL + 1; b + 1 < MINI_NBINS; b++) {
        size_t lo = mini_bin_lo[b], hi = mini_bin_lo[b + 1];
        if ((hi - lo) * 4 > lo + (lo >> 1)) {
            test_fail("bin %u [%zu, %zu) too wide", b, lo, hi);
            return;
        }
    }
    expect_d_eq(mini_c2bin((size_t)1 << 46),
                MINI_NSMALL + ((46 - MINI_LG_SMALL_MAX) << MINI_LG_NDELTA), "");
    expect_d_eq(mini_c2bin(SIZE_MAX & ~(size_t)15), MINI_NBINS - 1, "sizes past the table");
}
TEST_END

TEST_BEGIN(test_tcache_index)
{
    for (size_t c = 32; c <= MINI_TCACHE_MAX_LIMIT + 16; c += 16) {
        unsigned t = mini_c2tci(c);
        expect_zu_eq(mini_tci2c(t), c, "");
        expect_true(t < MINI_TC_NBINS, "tci %u of %zu", t, c);
    }
    expect_zu_eq(mini_c2tci(32), 0, "");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_s2c_known, test_bins_closed_form_matches_table,
                     test_tcache_index);
}
