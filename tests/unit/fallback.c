/*
 * Unit tests of heap.c's fallbacks: when the break cannot grow (a mapping in the way), the
 * main arena carries on in mmap'd pools, as glibc does; under RLIMIT_DATA, allocation fails
 * with NULL and ENOMEM, never a crash, and works again once memory is freed.
 */
#include <sys/resource.h>

#include "tests/mini_test.h"

TEST_BEGIN(test_mapping_in_the_way)
{
    t_isolate();
    uintptr_t b0 = (uintptr_t)sbrk(0);
    uintptr_t wall = ((b0 + 4095) & ~(uintptr_t)4095) + (1 << 20);
    void *m = mmap((void *)wall, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                   -1, 0);
    test_skip_if(m != (void *)wall, "could not place a mapping after the break");
    enum { N = 1500 };
    static char *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = mini_malloc(3000);
        require_ptr_ne(p[i], NULL, "block %d", i);
        t_fill(p[i], 3000, (uint64_t)i);
    }
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    expect_u64_gt(st.heap_pools, 0, "the main arena went on in pools");
    expect_u64_le(st.heap_brk, 1 << 20, "the break stopped at the mapping");
    for (int i = 0; i < N; i++)
        if (t_verify(p[i], p[i], 3000, (uint64_t)i) != 3000)
            test_fail("block %d overwritten", i);
    mini_check_heap();
    for (int i = 0; i < N; i++)
        mini_free(p[i]);
    mini_check_heap();
    munmap(m, 4096);
}
TEST_END

static long vm_data_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmData: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static void rlimit_child(void *arg)
{
    (void)arg;
    long kb = vm_data_kb();
    if (kb < 0)
        _exit(10);
    struct rlimit rl = {(rlim_t)(kb + 2048) * 1024, RLIM_INFINITY};
    if (setrlimit(RLIMIT_DATA, &rl) != 0)
        _exit(11);
    enum { N = 100000 };
    static void *p[N];
    int n = 0;
    errno = 0;
    while (n < N && (p[n] = mini_malloc(3000)) != NULL)
        memset(p[n++], 1, 3000);
    if (n == N || n < 100 || errno != ENOMEM)
        _exit(12);
    errno = 0;
    if (mini_malloc(1 << 20) != NULL || errno != ENOMEM)
        _exit(13);
    errno = 0;
    if (mini_calloc(1, 500000) != NULL || errno != ENOMEM)
        _exit(14);
    mini_check_heap();
    for (int i = 0; i < n; i++)
        mini_free(p[i]);
    void *q = mini_malloc(3000);
    if (q == NULL)
        _exit(15);
    mini_free(q);
    mini_check_heap();
    _exit(0);
}

TEST_BEGIN(test_rlimit_data_gives_enomem)
{
    test_skip_if(RUNNING_ON_VALGRIND, "valgrind does not enforce RLIMIT_DATA on its client");
    test_expect_death(rlimit_child, NULL, 0, NULL);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_mapping_in_the_way, test_rlimit_data_gives_enomem);
}
