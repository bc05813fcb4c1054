/* Unit tests of stats.c: the accounting identity, counters, versioning by size, and both
 * printers (text and JSON through a callback). */
#include "tests/mini_test.h"

TEST_BEGIN(test_identity_and_counters)
{
    mini_stats_t s0, s1, s2;
    mini_stats_get(&s0, sizeof(s0));
    enum { N = 300 };
    void *p[N];
    size_t want = 0;
    for (int i = 0; i < N; i++) {
        size_t s = (size_t)(i * 37 % 3000) + (i % 50 == 0 ? 300000 : 0);
        p[i] = mini_malloc(s);
        want += s;
    }
    mini_stats_get(&s1, sizeof(s1));
    expect_u64_eq(s1.n_malloc - s0.n_malloc, N, "one thread: exact");
    expect_u64_ge(s1.allocated - s0.allocated, want, "allocated covers the requests");
    expect_u64_ge(s1.mapped, s1.allocated + s1.cached + s1.free,
                  "mapped = allocated + cached + free + overhead");
    expect_u64_le(s1.purged, s1.free, "");
    expect_u64_le(s1.top, s1.free, "");
    expect_u64_ge(s1.peak_mapped, s1.mapped, "");
    expect_u64_eq(s1.large_count - s0.large_count, 6, "");
    for (int i = 0; i < N; i++)
        mini_free(p[i]);
    mini_stats_get(&s2, sizeof(s2));
    expect_u64_eq(s2.n_free - s1.n_free, N, "");
    expect_u64_eq(s2.n_malloc - s2.n_free, s0.n_malloc - s0.n_free, "live blocks as before");
    expect_u64_eq(s2.allocated, s0.allocated, "everything given back");
    expect_u64_eq(s2.large_count, s0.large_count, "");
    expect_u64_ge(s2.n_tcache_hit + s2.n_tcache_miss, 1, "");
    mini_thread_cache_flush();
    mini_stats_t s3;
    mini_stats_get(&s3, sizeof(s3));
    expect_u64_eq(s3.cached, 0, "flushed");
    expect_u64_ge(s3.mapped, s3.allocated + s3.free, "");
}
TEST_END

TEST_BEGIN(test_versioned_by_size)
{
    mini_stats_t st;
    memset(&st, 0xff, sizeof(st));
    expect_zu_eq(mini_stats_get(&st, 24), 24, "");
    expect_u64_eq(st.size, 24, "");
    expect_u64_eq(st.version, MINI_STATS_VERSION, "");
    expect_u64_eq(st.heap_brk, UINT64_MAX, "fields past the caller's size are untouched");
    expect_zu_eq(mini_stats_get(&st, sizeof(st) + 100), sizeof(st), "");
    expect_zu_eq(mini_stats_get(NULL, sizeof(st)), 0, "");
}
TEST_END

struct capture {
    char buf[16384];
    size_t len;
};

static void cb(void *op, const char *s)
{
    struct capture *c = op;
    size_t n = strlen(s);
    if (c->len + n < sizeof(c->buf)) {
        memcpy(c->buf + c->len, s, n);
        c->len += n;
        c->buf[c->len] = '\0';
    }
}

TEST_BEGIN(test_printers)
{
    static struct capture c;
    c.len = 0;
    mini_stats_print(cb, &c, NULL);
    expect_str_contains(c.buf, "mapped from the OS");
    expect_str_contains(c.buf, "os: brk");
    expect_str_contains(c.buf, "libmini: option MINI_MMAP_THRESHOLD=");
    c.len = 0;
    mini_stats_print(cb, &c, "J");
    expect_true(c.buf[0] == '{', "");
    expect_true(c.len > 2 && c.buf[c.len - 1] == '\n' && c.buf[c.len - 2] == '}',
                "ends the object");
    int depth = 0, quotes = 0;
    for (size_t i = 0; i < c.len; i++) {
        depth += c.buf[i] == '{';
        depth -= c.buf[i] == '}';
        quotes += c.buf[i] == '"';
        if (depth < 0)
            break;
    }
    expect_d_eq(depth, 0, "balanced braces");
    expect_d_eq(quotes % 2, 0, "balanced quotes");
    expect_str_contains(c.buf, "\"mapped\":");
    expect_str_contains(c.buf, "\"bytes_purged\":");
    expect_false(strstr(c.buf, ",,") || strstr(c.buf, "{,"), "no empty members");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_identity_and_counters, test_versioned_by_size, test_printers);
}
