/* Integration tests of mini_realloc: contents through growth from 1 byte to 16 MiB and back,
 * NULL and ENOMEM leaving the block intact, and bad pointers reported. */
#include "tests/mini_test.h"

TEST_BEGIN(test_vector_doubling_and_back)
{
    char *p = NULL;
    size_t n = 0;
    for (size_t s = 1; s <= (16 << 20); s *= 2) {
        char *q = mini_realloc(p, s);
        require_ptr_ne(q, NULL, "size %zu", s);
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)q[i] != (unsigned char)(i * 7)) {
                test_fail("byte %zu lost growing to %zu", i, s);
                break;
            }
        for (size_t i = n; i < s; i++)
            q[i] = (char)(i * 7);
        p = q;
        n = s;
    }
    for (size_t s = n / 3; s > 10; s /= 3) {
        p = mini_realloc(p, s);
        require_ptr_ne(p, NULL, "");
        for (size_t i = 0; i < s; i += 97)
            if ((unsigned char)p[i] != (unsigned char)(i * 7)) {
                test_fail("byte %zu lost shrinking to %zu", i, s);
                break;
            }
    }
    mini_free(p);
    mini_check_heap();
}
TEST_END

TEST_BEGIN(test_enomem_keeps_the_block)
{
    char *p = mini_malloc(1000);
    memset(p, 9, 1000);
    errno = 0;
    expect_ptr_eq(mini_realloc(p, t_opaque((size_t)1 << 50)), NULL, "");
    expect_d_eq(errno, ENOMEM, "");
    expect_zu_eq(mini_usable_size(p), 1008, "");
    expect_true(p[999] == 9, "");
    mini_free(p);
}
TEST_END

static void realloc_bad(void *p)
{
    mini_realloc(p, 100);
}

static void realloc_freed(void *arg)
{
    (void)arg;
    void *p = mini_malloc(50);
    mini_free(p);
    mini_realloc(p, 100);
}

TEST_BEGIN(test_bad_pointers)
{
    char stack[64] = {0};
    test_expect_death(realloc_bad, stack + 16, SIGABRT, "libmini: realloc(): invalid pointer 0x");
    test_expect_death(realloc_freed, NULL, SIGABRT,
                      "libmini: realloc(): invalid pointer (freed) 0x");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_vector_doubling_and_back, test_enomem_keeps_the_block,
                     test_bad_pointers);
}
