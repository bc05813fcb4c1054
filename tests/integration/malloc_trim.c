/* Integration tests of mini_trim (malloc_trim's contract): 1 when memory was released, 0 when
 * there was nothing to release; the heap stays usable. */
#include "tests/mini_test.h"

TEST_BEGIN(test_trim)
{
    t_isolate();
    void *p[64];
    for (int i = 0; i < 64; i++) {
        p[i] = mini_malloc(20000);
        memset(p[i], 1, 20000);
    }
    for (int i = 0; i < 64; i += 2)
        mini_free(p[i]);
    expect_d_eq(mini_trim(0), 1, "free blocks with whole pages were purged");
    expect_d_eq(mini_trim(0), 0, "nothing more");
    for (int i = 1; i < 64; i += 2)
        mini_free(p[i]);
    mini_trim(0);
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    expect_u64_le(st.heap_brk, 64 * 1024, "the break came down to what is left");
    void *q = mini_malloc(1000);
    expect_ptr_ne(q, NULL, "");
    mini_free(q);
    mini_check_heap();
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_trim);
}
