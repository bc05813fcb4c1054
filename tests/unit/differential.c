/*
 * A randomized differential test: a fixed-seed sequence of malloc, calloc, realloc, the aligned
 * family and free, checked against a shadow model of the live blocks (address, size, alignment,
 * fill pattern). Every block is filled with a pattern of its own when it is allocated and
 * verified when it is freed or resized, so any overlap or stray write shows up; debug builds
 * walk the whole heap after every step. Replay a failure with MINI_TEST_SEED=<seed>.
 */
#include "tests/mini_test.h"

struct blk {
    char *p;
    size_t n;
    size_t align;
    uint64_t seed;
};

enum { SLOTS = 1500 };
static struct blk live[SLOTS];

static size_t pick_size(uint64_t r)
{
    unsigned k = (unsigned)(r % 100);
    r >>= 8;
    if (k < 50)
        return r % 129;
    if (k < 75)
        return 129 + r % 900;
    if (k < 90)
        return 1024 + r % 64000;
    if (k < 98)
        return 65536 + r % 65536;
    return 131072 + r % (1 << 20);
}

static void check(struct blk *b)
{
    size_t bad = t_verify(b->p, b->p, b->n, b->seed);
    if (bad != b->n)
        test_fail("block %p size %zu: byte %zu overwritten", (void *)b->p, b->n, bad);
}

TEST_BEGIN(test_random_ops_against_shadow_model)
{
    uint64_t seed = test_seed(0x5eed);
    long steps = (long)(200000 * t_scale());
    bool walk_each = MINI_DEBUG >= 3;
    size_t nlive = 0, maxlive = 0;
    for (long step = 0; step < steps; step++) {
        uint64_t r = test_rand_next(&seed);
        struct blk *b = &live[r % SLOTS];
        r = test_rand_next(&seed);
        if (b->p == NULL) {
            size_t n = pick_size(r);
            unsigned kind = (unsigned)(r >> 56) % 10;
            size_t align = 16;
            if (kind == 0) {
                b->p = mini_calloc(1, n);
                for (size_t i = 0; b->p && i < n; i++)
                    if (b->p[i]) {
                        test_fail("calloc byte %zu not zero (step %ld)", i, step);
                        break;
                    }
            } else if (kind == 1) {
                align = (size_t)1 << (4 + (r >> 40) % 13);
                b->p = mini_memalign(align, n);
            } else if (kind == 2) {
                align = (size_t)1 << (3 + (r >> 40) % 10);
                void *q = NULL;
                if (mini_posix_memalign(&q, align, n) != 0)
                    q = NULL;
                b->p = q;
            } else if (kind == 3) {
                b->p = mini_realloc(NULL, n);
            } else {
                b->p = mini_malloc(n);
            }
            require_ptr_ne(b->p, NULL, "step %ld size %zu", step, n);
            if (!t_aligned(b->p, align < 16 ? 16 : align))
                test_fail("step %ld: %p not aligned to %zu", step, (void *)b->p, align);
            if (mini_usable_size(b->p) < n)
                test_fail("step %ld: usable %zu < %zu", step, mini_usable_size(b->p), n);
            b->n = n;
            b->align = align;
            b->seed = r;
            t_fill(b->p, n, r);
            nlive++;
        } else if ((r & 3) == 0) {
            check(b);
            size_t n = pick_size(r >> 2);
            char *old = b->p;
            char *q = mini_realloc(b->p, n ? n : 1);
            require_ptr_ne(q, NULL, "realloc step %ld", step);
            size_t keep = b->n < n ? b->n : n;
            if (t_verify(q, old, keep, b->seed) != keep)
                test_fail("step %ld: realloc lost contents", step);
            b->p = q;
            b->n = n ? n : 1;
            b->align = 16;
            b->seed = r;
            t_fill(q, b->n, r);
        } else {
            check(b);
            mini_free(b->p);
            b->p = NULL;
            nlive--;
        }
        if (nlive > maxlive)
            maxlive = nlive;
        if (walk_each || step % 1000 == 0)
            mini_check_heap();
        if (test_state_.failed)
            break;
    }
    for (int i = 0; i < SLOTS; i++)
        if (live[i].p) {
            check(&live[i]);
            mini_free(live[i].p);
            live[i].p = NULL;
        }
    mini_check_heap();
    mini_thread_cache_flush();
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    expect_u64_eq(st.allocated, 0, "nothing held once all is freed");
    expect_u64_eq(st.large_count, 0, "");
    expect_zu_gt(maxlive, SLOTS / 4, "the heap was exercised");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_random_ops_against_shadow_model);
}
