/* Unit tests of the block header (chunk.h): the 16-byte header, the boundary tag, the canary. */
#include "tests/mini_test.h"

/* Must run first: it needs a fresh heap. */
TEST_BEGIN(test_two_malloc32_are_48_apart)
{
    char *a = mini_malloc(32), *b = mini_malloc(32);
    require_ptr_ne(a, NULL, "");
    expect_d_eq(b - a, 48, "a=%p b=%p", (void *)a, (void *)b);
    expect_zu_eq(mini_usable_size(a), 32, "");
    mini_free(a);
    mini_free(b);
}
TEST_END

TEST_BEGIN(test_header_layout)
{
    size_t sizes[] = {0, 1, 15, 16, 17, 100, 1000, 1024, 5000, 60000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t s = sizes[i];
        char *p = mini_malloc(s);
        require_ptr_ne(p, NULL, "");
        mini_chunk_t *c = mem2chunk(p);
        expect_ptr_eq((char *)c + 16, p, "header is the 16 bytes before the pointer");
        expect_true(t_aligned(p, 16), "%p", (void *)p);
        expect_zu_eq(chunk_size(c), mini_s2c(s), "size %zu", s);
        expect_true(chunk_cinuse(c), "");
        expect_false(c->head & MINI_CACHED, "held by the program: not cached");
        expect_zu_eq(mini_usable_size(p), chunk_size(c) - 16, "");
        mini_chunk_t *n = chunk_next(c);
        expect_true(mini_prev_inuse(n),
                    "the next chunk's prev_foot is its canary: this one is in use");
        expect_zu_eq(chunk_head(c) & MINI_BIT0, 0, "bit 0 is never set");
        memset(p, 0xab, mini_usable_size(p));
        expect_true(mini_prev_inuse(n) && chunk_size(c) == mini_s2c(s),
                    "writing the block leaves headers");
        mini_free(p);
    }
}
TEST_END

TEST_BEGIN(test_boundary_tag_of_a_free_block)
{
    /* Above the thread-cache limit, free goes straight to the arena. */
    char *a = mini_malloc(2000), *b = mini_malloc(2000), *g = mini_malloc(2000);
    require_ptr_eq(b, a + 2016, "adjacent");
    mini_free(b);
    mini_chunk_t *cb = mem2chunk(b), *cg = mem2chunk(g);
    expect_false(chunk_cinuse(cb), "");
    expect_false(mini_prev_inuse(cg), "the next chunk knows b is free");
    expect_zu_eq(cg->prev_foot, chunk_size(cb), "footer holds b's size");
    expect_zu_eq(chunk_size(cb), 2016, "");
    mini_free(a);
    mini_free(g);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_malloc0_unique)
{
    void *p[64];
    for (int i = 0; i < 64; i++) {
        p[i] = mini_malloc(0);
        require_ptr_ne(p[i], NULL, "");
        expect_zu_eq(mini_usable_size(p[i]), 16, "");
        for (int j = 0; j < i; j++)
            if (p[j] == p[i])
                test_fail("malloc(0) returned %p twice", p[i]);
    }
    for (int i = 0; i < 64; i++)
        mini_free(p[i]);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_two_malloc32_are_48_apart, test_header_layout,
                     test_boundary_tag_of_a_free_block, test_malloc0_unique);
}
