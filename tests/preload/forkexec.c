/*
 * forkexec.c — fork from a multi-threaded program (the other threads allocate and free all the
 * while, so a fork can land inside the allocator), and fork + exec, and posix_spawn: the child
 * must be able to allocate (no lock left held), run threads, and exec a program that is also
 * under the shim.
 */
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tests/preload/pt.h"

extern char **environ;
static _Atomic int stop;
static char self[4096];

static void *churn(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg;
    void *keep[64] = {0};
    while (!atomic_load(&stop)) {
        uint64_t r = test_rand_next(&s);
        unsigned i = r % 64;
        free(keep[i]);
        size_t n = (r >> 8) % ((r & 15) == 0 ? 300000 : 600);
        keep[i] = malloc(n);
        if (keep[i])
            memset(keep[i], 1, n);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return NULL;
}

static void *child_thread(void *arg)
{
    for (int i = 0; i < 1000; i++)
        free(malloc((size_t)(uintptr_t)arg + (size_t)i));
    return NULL;
}

/* What a child does: allocate a lot, in this thread and a new one, then exit. */
static int child_work(void)
{
    char *blocks[200];
    for (int i = 0; i < 200; i++) {
        blocks[i] = malloc((size_t)i * 97 + 1);
        if (!blocks[i])
            return 3;
        memset(blocks[i], i, (size_t)i * 97 + 1);
    }
    pthread_t t;
    if (pthread_create(&t, NULL, child_thread, (void *)(uintptr_t)100) != 0)
        return 4;
    pthread_join(t, NULL);
    for (int i = 0; i < 200; i++) {
        if (blocks[i][(size_t)i * 97] != (char)i)
            return 5;
        free(blocks[i]);
    }
    return 0;
}

TEST_BEGIN(test_fork_multithreaded)
{
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, churn, (void *)(uintptr_t)(i + 1));
    int forks = 0, ok = 0;
    for (int k = 0; k < 40; k++) {
        pid_t pid = fork();
        require_true(pid >= 0, "fork");
        if (pid == 0)
            _exit(child_work());
        forks++;
        int st;
        waitpid(pid, &st, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok++;
        else
            test_fail("child %d: status 0x%x", k, st);
        free(malloc(1000)); /* and the parent goes on */
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    expect_d_eq(ok, forks, "every child could allocate");
}
TEST_END

TEST_BEGIN(test_fork_exec)
{
    for (int k = 0; k < 5; k++) {
        pid_t pid = fork();
        require_true(pid >= 0, "fork");
        if (pid == 0) {
            char *argv[] = {self, "--child", NULL};
            execve(self, argv, environ);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exec'd child: status 0x%x", st);
    }
}
TEST_END

TEST_BEGIN(test_posix_spawn)
{
    pid_t pid;
    char *argv[] = {self, "--child", NULL};
    require_d_eq(posix_spawn(&pid, self, NULL, NULL, argv, environ), 0, "");
    int st;
    waitpid(pid, &st, 0);
    expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "spawned child: status 0x%x", st);
}
TEST_END

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--child") == 0) {
        /* The exec'd program: is the shim there again, and does it work? */
        if (!pt_under_shim())
            return 10;
        return child_work();
    }
    pt_require_shim();
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 2;
    self[n] = '\0';
    return TEST_MAIN(argc, argv, test_fork_multithreaded, test_fork_exec, test_posix_spawn);
}
