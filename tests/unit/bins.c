/*
 * Unit tests of bins.c on a fake arena: free chunks laid out in a buffer, inserted, removed and
 * taken; best fit checked against a sorted model with a fixed seed.
 */
#include "tests/mini_test.h"

static struct mini_arena fa;
static _Alignas(4096) unsigned char buf[1 << 22];

static mini_chunk_t *mk(size_t off, size_t sz)
{
    mini_chunk_t *c = (mini_chunk_t *)(buf + off);
    c->head = sz;
    mini_chunk_set_dirty(c, MINI_ALL_DIRTY);
    return c;
}

static void setup(void)
{
    memset(&fa, 0, sizeof(fa));
    mini_options_init();
    mini_option_set(MINI_OPT_PURGE_THRESHOLD, -1);
    mini_global.page = 4096;
    mini_bins_init_table();
}

TEST_BEGIN(test_small_bins_are_exact_and_lifo)
{
    setup();
    mini_chunk_t *a = mk(0, 64), *b = mk(1024, 64), *c = mk(2048, 96);
    mini_bin_insert(&fa, a);
    mini_bin_insert(&fa, b);
    mini_bin_insert(&fa, c);
    expect_zu_eq(fa.bin_bytes, 224, "");
    expect_ptr_eq(mini_bin_take(&fa, 64), b, "LIFO");
    expect_ptr_eq(mini_bin_take(&fa, 64), a, "");
    expect_ptr_eq(mini_bin_take(&fa, 64), c, "the next non-empty bin");
    expect_ptr_eq(mini_bin_take(&fa, 32), NULL, "empty");
    expect_zu_eq(fa.bin_bytes, 0, "");
    for (unsigned w = 0; w < MINI_BINMAP_WORDS; w++)
        expect_u64_eq(fa.binmap[w], 0, "binmap cleared");
}
TEST_END

TEST_BEGIN(test_large_bin_sorted_with_followers)
{
    setup();
    size_t sizes[] = {1200, 1104, 1104, 1248, 1040, 1104};
    mini_chunk_t *c[6];
    for (int i = 0; i < 6; i++) {
        c[i] = mk((size_t)i * 8192, sizes[i]);
        mini_bin_insert(&fa, c[i]);
    }
    unsigned b = mini_c2bin(1040);
    expect_d_eq(b, mini_c2bin(1248), "one class");
    mini_chunk_t *l = fa.bins[b].head;
    size_t order[] = {1040, 1104, 1200, 1248};
    int i = 0;
    for (; l; l = l->fd, i++)
        expect_zu_eq(chunk_size(l), order[i], "leader %d", i);
    expect_d_eq(i, 4, "four distinct sizes");
    /* Removing a leader with followers promotes one. */
    mini_bin_remove(&fa, c[1]);
    /* c[5] was promoted to leader; its follower c[2] goes first. */
    expect_ptr_eq(mini_bin_take(&fa, 1090), c[2], "best fit 1104, a follower first");
    expect_ptr_eq(mini_bin_take(&fa, 1090), c[5], "");
    expect_ptr_eq(mini_bin_take(&fa, 1090), c[0], "then 1200");
    expect_ptr_eq(mini_bin_take(&fa, 1000), c[4], "1040 for a small request");
    expect_ptr_eq(mini_bin_take(&fa, 1240), c[3], "");
    expect_ptr_eq(fa.bins[b].head, NULL, "");
    expect_zu_eq(fa.bin_bytes, 0, "");
}
TEST_END

TEST_BEGIN(test_random_best_fit_against_model)
{
    setup();
    uint64_t seed = test_seed(12345);
    enum { N = 400 };
    mini_chunk_t *live[N];
    size_t nlive = 0;
    size_t off = 0;
    for (int step = 0; step < 20000; step++) {
        uint64_t r = test_rand_next(&seed);
        if ((r & 3) != 0 && nlive < N && off + 70000 < sizeof(buf)) {
            size_t sz = ((r >> 8) % 4000 + 2) * 16;
            if (r & 0x10000)
                sz = ((r >> 20) % 200 + 2) * 16;
            mini_chunk_t *c = mk(off, sz);
            off += sz + 64;
            mini_bin_insert(&fa, c);
            live[nlive++] = c;
        } else if (nlive && (r & 4)) {
            size_t k = (r >> 32) % nlive;
            mini_bin_remove(&fa, live[k]);
            live[k] = live[--nlive];
        } else if (nlive) {
            size_t want = ((r >> 12) % 4000 + 2) * 16;
            size_t best = SIZE_MAX;
            for (size_t k = 0; k < nlive; k++)
                if (chunk_size(live[k]) >= want && chunk_size(live[k]) < best)
                    best = chunk_size(live[k]);
            mini_chunk_t *got = mini_bin_take(&fa, want);
            if (best == SIZE_MAX) {
                expect_ptr_eq(got, NULL, "step %d want %zu", step, want);
            } else {
                require_ptr_ne(got, NULL, "step %d want %zu", step, want);
                /* Exact small bins fall through to the next non-empty bin: best fit by size. */
                expect_zu_eq(chunk_size(got), best, "step %d want %zu", step, want);
                size_t k = 0;
                while (k < nlive && live[k] != got)
                    k++;
                require_true(k < nlive, "taken chunk was live");
                live[k] = live[--nlive];
            }
        }
        if (off + 70000 >= sizeof(buf) && nlive == 0)
            off = 0;
    }
    size_t total = 0;
    for (size_t k = 0; k < nlive; k++)
        total += chunk_size(live[k]);
    expect_zu_eq(fa.bin_bytes, total, "");
}
TEST_END

static void remove_a(void *c)
{
    mini_bin_remove(&fa, c);
}

TEST_BEGIN(test_corrupted_list_is_reported)
{
    setup();
    mini_chunk_t *a = mk(0, 64), *b = mk(1024, 64);
    mini_bin_insert(&fa, a);
    mini_bin_insert(&fa, b);
    a->bk = (mini_chunk_t *)(buf + 4096); /* a stray write into a free block */
    test_expect_death(remove_a, a, SIGABRT, "corrupted free list");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_small_bins_are_exact_and_lifo,
                     test_large_bin_sorted_with_followers, test_random_best_fit_against_model,
                     test_corrupted_list_is_reported);
}
