/*
 * Unit tests of giving memory back: the break grows by the request plus MINI_TOP_PAD, shrinks
 * when more than MINI_TRIM_THRESHOLD is free at the top, and free blocks of MINI_PURGE_THRESHOLD
 * bytes or more have their whole pages purged (checked with mincore): at free with
 * MINI_PURGE_DELAY=0, after the delay, or at once, oldest first, when dirty bytes exceed
 * in-use bytes / MINI_PURGE_RATIO; mini_trim gives back everything it can.
 */
#include "tests/mini_test.h"

static uintptr_t brk_now(void)
{
    return (uintptr_t)sbrk(0);
}

TEST_BEGIN(test_malloc1_grows_break_by_132k)
{
    t_isolate();
    uintptr_t b0 = brk_now();
    char *p = mini_malloc(1);
    uintptr_t b1 = brk_now();
    require_ptr_ne(p, NULL, "");
    expect_zu_eq(b1 - b0, 132 * 1024, "request + header + top pad (128 KiB), in pages");
    expect_true(t_in_brk(p), "");
    *p = 1;
    size_t res = t_resident_pages((void *)b0, b1 - b0);
    expect_zu_le(res, 2, "only the touched page(s) of the 132 KiB are resident");
    mini_free(p);
}
TEST_END

TEST_BEGIN(test_free_gives_back_the_top)
{
    t_isolate();
    uintptr_t b0 = brk_now();
    char *p[200];
    for (int i = 0; i < 200; i++) {
        p[i] = mini_malloc(10000);
        memset(p[i], 1, 10000);
    }
    uintptr_t b1 = brk_now();
    expect_zu_ge(b1 - b0, 200 * 10000 - 200000, "the break grew");
    for (int i = 199; i >= 0; i--)
        mini_free(p[i]);
    uintptr_t b2 = brk_now();
    expect_zu_lt(b2, b1, "the break shrank");
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    expect_zu_le(st.top, 128 * 1024 + 4096 + MINI_TOP_MIN, "what stays is the top pad");
    expect_u64_ge(st.n_trim, 1, "");
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_trim_threshold_never_then_mini_trim)
{
    t_isolate();
    mini_option_set(MINI_OPT_TRIM_THRESHOLD, -1);
    char *p[100];
    for (int i = 0; i < 100; i++) {
        p[i] = mini_malloc(20000);
        memset(p[i], 2, 20000);
    }
    uintptr_t b1 = brk_now();
    for (int i = 99; i >= 0; i--)
        mini_free(p[i]);
    expect_zu_eq(brk_now(), b1, "no trim with MINI_TRIM_THRESHOLD=-1");
    expect_d_eq(mini_trim(0), 1, "mini_trim released memory");
    uintptr_t b2 = brk_now();
    expect_zu_lt(b2, b1 - 1000000, "");
    expect_d_eq(mini_trim(0), 0, "nothing left to release");
    mini_option_set(MINI_OPT_TRIM_THRESHOLD, 128 * 1024);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_purge_whole_pages_inside_free_blocks)
{
    t_isolate();
    mini_option_set(MINI_OPT_PURGE_DELAY, 0); /* at free */
    char *a = mini_malloc(40000), *b = mini_malloc(40000), *g = mini_malloc(100);
    expect_true((uintptr_t)b == (uintptr_t)a + mini_s2c(40000), "adjacent");
    memset(a, 3, 40000);
    memset(b, 3, 40000);
    uintptr_t s = ((uintptr_t)a + 64 + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)b + 40000 - 16) & ~(uintptr_t)4095;
    expect_zu_eq(t_resident_pages((void *)s, e - s), (e - s) / 4096, "written: resident");
    mini_stats_t st0, st1;
    mini_stats_get(&st0, sizeof(st0));
    mini_free(a); /* 40 KiB: below the purge threshold */
    expect_zu_gt(t_resident_pages((void *)s, e - s), 0, "not purged yet");
    mini_free(b); /* merged: 80 KiB >= 64 KiB */
    expect_zu_eq(t_resident_pages((void *)s, e - s), 0, "whole pages inside were purged");
    mini_stats_get(&st1, sizeof(st1));
    expect_u64_ge(st1.purged, e - s, "stats count them as purged");
    expect_u64_ge(st1.bytes_purged - st0.bytes_purged, e - s, "");
    /* Reuse: the pages come back as zeros, and the block is usable. */
    char *c = mini_malloc(70000);
    expect_ptr_eq(c, a, "best fit reuses the purged block");
    memset(c, 4, 70000);
    mini_free(c);
    mini_free(g);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_purge_after_delay)
{
    t_isolate();
    mini_option_set(MINI_OPT_PURGE_DELAY, 100);
    mini_option_set(MINI_OPT_PURGE_RATIO, 0); /* the delay alone */
    mini_option_set(MINI_OPT_PURGE_KEEP, 0);
    char *x = mini_malloc(5000), *a = mini_malloc(100000), *g = mini_malloc(100);
    require_false(t_mmapped(a), "below the mmap threshold");
    memset(a, 5, 100000);
    uintptr_t s = ((uintptr_t)a + 64 + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)a + 100000 - 16) & ~(uintptr_t)4095;
    mini_free(a);
    expect_zu_eq(t_resident_pages((void *)s, e - s), (e - s) / 4096, "kept during the delay");
    usleep(150 * 1000);
    mini_free(x); /* an arena operation after the delay purges */
    expect_zu_eq(t_resident_pages((void *)s, e - s), 0, "purged once the delay passed");
    mini_option_set(MINI_OPT_PURGE_DELAY, 0);
    mini_free(g);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_mini_trim_purges_small_free_blocks)
{
    t_isolate();
    /* Automatic purging off: whatever a merges with, only mini_trim gives pages back. */
    mini_option_set(MINI_OPT_PURGE_THRESHOLD, -1);
    char *a = mini_malloc(12000), *g = mini_malloc(100);
    memset(a, 6, 12000);
    uintptr_t s = ((uintptr_t)a + 64 + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)a + 12000 - 16) & ~(uintptr_t)4095;
    require_true(e > s, "a whole page inside");
    mini_free(a);
    expect_zu_gt(t_resident_pages((void *)s, e - s), 0, "below the purge threshold: kept");
    expect_d_eq(mini_trim(0), 1, "");
    expect_zu_eq(t_resident_pages((void *)s, e - s), 0, "mini_trim purged it");
    mini_option_set(MINI_OPT_PURGE_THRESHOLD, 64 * 1024);
    mini_free(g);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_purge_only_what_is_dirty)
{
    t_isolate();
    mini_option_set(MINI_OPT_PURGE_DELAY, 0); /* at free */
    char *a = mini_malloc(100000), *b = mini_malloc(20000), *c = mini_malloc(100000);
    char *g = mini_malloc(5000);
    memset(a, 1, 100000);
    memset(b, 1, 20000);
    memset(c, 1, 100000);
    mini_free(a);
    mini_free(c);
    mini_stats_t s0, s1;
    mini_stats_get(&s0, sizeof(s0));
    mini_free(b); /* merges with two purged neighbours */
    mini_stats_get(&s1, sizeof(s1));
    uint64_t given = s1.bytes_purged - s0.bytes_purged;
    expect_u64_le(given, 20000 + 2 * 4096, "only b's pages (and the two it shares)");
    expect_u64_ge(given, 16384, "b's own pages");
    expect_u64_eq(s1.dirty, 0, "");
    uintptr_t s = ((uintptr_t)a + 96 + 4095) & ~(uintptr_t)4095;
    uintptr_t e = ((uintptr_t)c + 100000 - 16) & ~(uintptr_t)4095;
    expect_zu_eq(t_resident_pages((void *)s, e - s), 0, "the whole merged block is purged");
    mini_free(g);
    mini_check_heap();
}
TEST_END

/* Many 8 KiB blocks; returns how many. */
static int fill_heap(char **p, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = mini_malloc(8000);
        memset(p[i], 7, 8000);
    }
    return n;
}

TEST_BEGIN(test_purge_ratio)
{
    t_isolate();
    mini_option_set(MINI_OPT_PURGE_DELAY, 3600 * 1000); /* the ratio alone */
    mini_option_set(MINI_OPT_PURGE_RATIO, 2);
    mini_option_set(MINI_OPT_PURGE_KEEP, 64 * 1024); /* a small heap: no 4 MiB allowance */
    static char *p[256];
    fill_heap(p, 256); /* about 2 MiB in use */
    /* 40 neighbours: one dirty block of 320 KiB, under half of what is in use: kept. */
    for (int i = 10; i < 50; i++)
        mini_free(p[i]);
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    expect_u64_gt(st.dirty, 300000, "dirty, under the limit");
    expect_zu_gt(t_resident_pages(p[20], 8000), 0, "still resident");
    /* Most of the rest: dirty far above half of what remains in use: purged at once. */
    for (int i = 60; i < 250; i++)
        mini_free(p[i]);
    mini_stats_get(&st, sizeof(st));
    expect_u64_le(st.dirty, st.allocated / 2 + 65536, "purged down to the limit");
    expect_u64_gt(st.purged, 1000000, "");
    expect_zu_eq(t_resident_pages(p[20] + 4096, 2048), 0, "the oldest dirty block went first");
    mini_check_heap();
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_malloc1_grows_break_by_132k, test_free_gives_back_the_top,
                     test_trim_threshold_never_then_mini_trim,
                     test_purge_whole_pages_inside_free_blocks, test_purge_after_delay,
                     test_mini_trim_purges_small_free_blocks, test_purge_ratio,
                     test_purge_only_what_is_dirty);
}
