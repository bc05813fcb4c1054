/* Unit tests of mini_usable_size: at least the request, the chunk size less the header, and
 * for heap blocks less than one alignment step of slack. */
#include "tests/mini_test.h"

TEST_BEGIN(test_usable_sizes)
{
    for (size_t s = 0; s <= 5000; s++) {
        char *p = mini_malloc(s);
        size_t u = mini_usable_size(p);
        if (u < s || u != t_csize(p) - 16 || u - s >= (s < 16 ? 17 : 16)) {
            test_fail("size %zu: usable %zu, chunk %zu", s, u, t_csize(p));
            mini_free(p);
            return;
        }
        memset(p, 0x5a, u); /* every usable byte can be written */
        mini_free(p);
    }
    size_t big[] = {131072, 200000, 1 << 20, (1 << 20) + 1};
    for (size_t i = 0; i < 4; i++) {
        char *p = mini_malloc(big[i]);
        size_t u = mini_usable_size(p);
        expect_zu_ge(u, big[i], "");
        expect_zu_lt(u, big[i] + 4096, "");
        memset(p, 0x5a, u);
        mini_free(p);
    }
    expect_zu_eq(mini_usable_size(NULL), 0, "");
    mini_check_heap();
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_usable_sizes);
}
