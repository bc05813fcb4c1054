/*
 * e9_oom.c — E9: the OOM victim (exact). Two memory hogs in a 256 MiB cgroup without swap:
 * hog 1 holds 160 MiB, then hog 2 asks for 128 MiB and causes the OOM. With equal
 * oom_score_adj hog 1, the bigger, is killed; with oom_score_adj 500 on hog 2 the smaller
 * hog 2 is. The model names the victim in each case. (Positive adjustments only: root in this
 * VM lacks CAP_SYS_RESOURCE, which lowering oom_score_adj needs.)
 */
#include "analysis/kmodel/validate/validate.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIMIT (256ULL << 20)

static pid_t hog(const char *cg, uint64_t bytes, int adj, int readyfd)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char v[16];
    snprintf(v, sizeof(v), "%d", adj);
    FILE *f = fopen("/proc/self/oom_score_adj", "w");
    if (f) {
        fputs(v, f);
        fclose(f);
    }
    if (vmctl_cgroup_attach(cg, getpid()) != 0)
        _exit(3);
    volatile char *p =
        mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        _exit(2);
    madvise((void *)p, bytes, MADV_NOHUGEPAGE);
    for (size_t off = 0; off < bytes; off += 4096)
        p[off] = 1;
    if (readyfd >= 0 && write(readyfd, "r", 1) != 1)
        _exit(4);
    for (int i = 0; i < 300; i++) /* at most 30 s */
        usleep(100000);
    _exit(0);
}

/* Which hog the kernel killed: 1, 2, or 0 (none within 30 s). */
static int real_victim(const char *cg, int adj2)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    pid_t h1 = hog(cg, 160ULL << 20, 0, fd[1]);
    close(fd[1]);
    char c;
    if (read(fd[0], &c, 1) != 1) {
        kill(h1, SIGKILL);
        waitpid(h1, NULL, 0);
        return -1;
    }
    close(fd[0]);
    pid_t h2 = hog(cg, 128ULL << 20, adj2, -1);
    int victim = 0;
    time_t t0 = time(NULL);
    while (time(NULL) - t0 < 30 && victim == 0) {
        int st;
        pid_t r = waitpid(-1, &st, WNOHANG);
        if (r == h1 && WIFSIGNALED(st))
            victim = 1;
        else if (r == h2 && WIFSIGNALED(st))
            victim = 2;
        else
            usleep(20000);
    }
    kill(h1, SIGKILL);
    kill(h2, SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
    return victim;
}

static int model_victim(int adj2)
{
    struct km *km = v_model(0, 0, 50);
    if (km == NULL)
        return -1;
    int g = memcg_create(km, "e9");
    km->memcg[g].limit = LIMIT / 4096;
    struct km_mm *a = proc_create(km, "hog1", g), *b = proc_create(km, "hog2", g);
    b->oom_score_adj = adj2;
    uint64_t pa = v_model_anon(km, a, 160ULL << 20, 0);
    fault_touch_range(km, a, pa, 160ULL << 20, KM_TOUCH_WRITE, 1);
    uint64_t pb = v_model_anon(km, b, 128ULL << 20, 0);
    fault_touch_range(km, b, pb, 128ULL << 20, KM_TOUCH_WRITE, 1);
    int v = a->killed ? 1 : b->killed ? 2 : 0;
    km_destroy(km);
    return v;
}

int e9_oom(void)
{
    if (!v_root) {
        v_skip("E9", "needs root (memory cgroup, oom_score_adj < 0)");
        return -1;
    }
    static const int adj[] = {500, 0};
    for (int k = 0; k < 2; k++) {
        char cg[256], val[32];
        if (v_cgroup("E9", k, LIMIT, -1, cg, sizeof(cg)) != 0)
            break;
        snprintf(val, sizeof(val), "%llu", LIMIT);
        vmctl_cgroup_write(cg, "memory.memsw.limit_in_bytes", val); /* no swap for them */
        int r = real_victim(cg, adj[k]), m = model_victim(adj[k]);
        char q[96];
        snprintf(q, sizeof(q), "victim (hog 1 160 MiB adj 0, hog 2 128 MiB adj %d)", adj[k]);
        v_row("E9", q, r, m, T_EXACT, 0, "exact");
    }
    vmctl_restore();
    return 0;
}
