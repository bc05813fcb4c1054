/*
 * Unit tests of tcache.c: LIFO reuse, a miss refills a batch that adapts (max/8, doubled at each
 * miss up to max/2, halved at an overflow), an overflowing bin gives its older half back, the
 * whole cache stays under MINI_TCACHE_BYTES, and a thread's exit gives its cache back.
 */
#include "tests/mini_test.h"

static struct mini_tbin *bin_of(size_t s)
{
    return mini_tc_bin(mini_tls_tc, mini_s2c(s));
}

TEST_BEGIN(test_lifo_reuse)
{
    void *p = mini_malloc(40);
    mini_free(p);
    expect_ptr_eq(mini_malloc(40), p, "the block just freed comes back first");
    mini_free(p);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_refill_batches_adapt)
{
    t_isolate();
    void *p = mini_malloc(200);
    struct mini_tbin *b = bin_of(200);
    uint32_t max = b->max;
    require_true(max >= 16, "max %u", max);
    expect_d_eq(MINI_LOAD(b->count), max / 8 - 1, "a first miss carves max/8, one goes out");
    expect_d_eq(b->fill, max / 4, "and the next batch is twice as big");
    void *q[64];
    for (uint32_t i = 0; i < max / 8 - 1; i++)
        q[i] = mini_malloc(200); /* empties the bin */
    expect_d_eq(MINI_LOAD(b->count), 0, "");
    void *r = mini_malloc(200); /* second miss: max/4 */
    expect_d_eq(MINI_LOAD(b->count), max / 4 - 1, "");
    expect_d_eq(b->fill, max / 2, "doubled again, up to max/2");
    for (uint32_t i = 0; i < max / 8 - 1; i++)
        mini_free(q[i]);
    mini_free(r);
    mini_free(p);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_overflow_gives_back_half)
{
    t_isolate();
    enum { N = 200 };
    void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = mini_malloc(64);
    struct mini_tbin *b = bin_of(64);
    uint32_t max = b->max, fill = b->fill;
    for (int i = 0; i < N; i++) {
        mini_free(p[i]);
        if (MINI_LOAD(b->count) > max) {
            test_fail("bin holds %u > max %u", (unsigned)MINI_LOAD(b->count), max);
            break;
        }
    }
    expect_d_le(MINI_LOAD(b->count), max, "");
    expect_d_ge(MINI_LOAD(b->count), max / 2, "");
    expect_d_lt(b->fill, fill, "overflows halve the batch");
    mini_check_heap(); /* the byte count of the cache included */
}
TEST_END

TEST_BEGIN(test_cache_bytes_cap)
{
    t_isolate();
    mini_option_set(MINI_OPT_TCACHE_BYTES, 64 * 1024);
    enum { N = 600 };
    static void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = mini_malloc(16 + (size_t)(i % 250) * 16); /* 250 sizes up to 4 KiB */
    for (int i = 0; i < N; i++) {
        mini_free(p[i]);
        if (mini_tls_tc->bytes > 64 * 1024) {
            test_fail("cache holds %zu bytes", mini_tls_tc->bytes);
            break;
        }
    }
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    expect_u64_le(st.cached, 64 * 1024, "");
    mini_check_heap();
}
TEST_END

static void *exiting_thread(void *arg)
{
    (void)arg;
    void *p[100];
    for (int i = 0; i < 100; i++)
        p[i] = mini_malloc(100);
    for (int i = 0; i < 100; i++)
        mini_free(p[i]);
    return NULL;
}

TEST_BEGIN(test_thread_exit_gives_the_cache_back)
{
    mini_stats_t s0, s1;
    mini_thread_cache_flush();
    mini_stats_get(&s0, sizeof(s0));
    pthread_t t;
    pthread_create(&t, NULL, exiting_thread, NULL);
    pthread_join(t, NULL);
    mini_stats_get(&s1, sizeof(s1));
    expect_u64_eq(s1.cached, s0.cached, "the exited thread's cache was flushed");
    expect_u64_eq(s1.nthreads, s0.nthreads, "and unregistered");
    expect_u64_eq(s1.n_free - s0.n_free, 100, "its counters kept");
    mini_check_heap();
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_lifo_reuse, test_refill_batches_adapt,
                     test_overflow_gives_back_half, test_cache_bytes_cap,
                     test_thread_exit_gives_the_cache_back);
}
