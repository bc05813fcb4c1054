/*
 * Stress: fork() while other threads allocate and free. Each child (one thread left) must be
 * able to allocate every size, pass the heap checker, and get back the blocks that the other
 * threads held in their caches at the time of the fork (their caches are flushed in the child).
 */
#include "tests/mini_test.h"

enum { NTHREADS = 3 };
static _Atomic int stop;

static void *churn(void *arg)
{
    uint64_t seed = (uint64_t)(intptr_t)arg + 77;
    void *p[64] = {0};
    while (!atomic_load(&stop)) {
        uint64_t r = test_rand_next(&seed);
        int k = (int)(r % 64);
        if (p[k]) {
            mini_free(p[k]);
            p[k] = NULL;
        } else {
            size_t n = (r >> 8) % 5 == 0 ? 200000 : (r >> 16) % 3000;
            p[k] = mini_malloc(n);
            if (p[k])
                memset(p[k], 0x33, n);
        }
    }
    for (int k = 0; k < 64; k++)
        mini_free(p[k]);
    return NULL;
}

static int child_work(void)
{
    void *p[200];
    for (int i = 0; i < 200; i++) {
        size_t n = (size_t)i * 997 % 150000;
        p[i] = mini_malloc(n);
        if (p[i] == NULL)
            return 2;
        t_fill(p[i], n, (uint64_t)i);
    }
    for (int i = 0; i < 200; i++)
        if (t_verify(p[i], p[i], (size_t)i * 997 % 150000, (uint64_t)i) != (size_t)i * 997 % 150000)
            return 3;
    for (int i = 0; i < 200; i++)
        mini_free(p[i]);
    mini_check_heap();
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    if (st.nthreads > 1)
        return 4; /* the dead threads' caches were not given back */
    return 0;
}

TEST_BEGIN(test_fork_while_threads_allocate)
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, churn, (void *)(intptr_t)i);
    int forks = t_scale() < 0.2 ? 15 : 60;
    for (int i = 0; i < forks; i++) {
        void *mine = mini_malloc(100 + (size_t)i);
        pid_t pid = fork();
        require_true(pid >= 0, "fork");
        if (pid == 0)
            _exit(child_work());
        int st;
        double t0 = test_now_sec();
        pid_t w;
        while ((w = waitpid(pid, &st, WNOHANG)) == 0 && test_now_sec() - t0 < 20)
            usleep(1000);
        if (w == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            test_fail("fork %d: the child hung (a lock held across fork?)", i);
            break;
        }
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            test_fail("fork %d: child status %d", i, st);
            break;
        }
        mini_free(mine);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    mini_check_heap();
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_fork_while_threads_allocate);
}
