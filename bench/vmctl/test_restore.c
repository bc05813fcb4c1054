/*
 * test_restore.c — vmctl puts every setting back: after SIGINT, after a crash, after a normal
 * exit, and (through the journal, on the next vmctl_begin) after SIGKILL.
 *
 * Also: vmctl_restore_to(mark) undoes only what came after a mark.
 *
 * The settings changed are harmless for a moment on a shared machine: vm.extfrag_threshold
 * (+1), an 8 MiB swap file, a memory cgroup with a limit. Root only (skipped otherwise).
 */
#include "bench/vmctl/vmctl.h"
#include "tests/harness.h"

#include <sys/stat.h>

#define JOURNAL  "/var/tmp/libmini-vmctl-test.journal"
#define SWAPFILE "/var/tmp/libmini-vmctl-test.swap"
#define CGNAME   "libmini-vmctl-test"
#define CGPATH   "/sys/fs/cgroup/memory/" CGNAME

enum { END_SIGINT, END_CRASH, END_EXIT, END_SIGKILL, END_SIGTERM };

static char orig_extfrag[64];

static bool swap_active(void)
{
    FILE *f = fopen("/proc/swaps", "r");
    char line[512];
    bool found = false;
    while (f && fgets(line, sizeof(line), f))
        if (strstr(line, SWAPFILE))
            found = true;
    if (f)
        fclose(f);
    return found;
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void child(int end, int readyfd, int gofd)
{
    if (vmctl_begin(JOURNAL) != 0 || vmctl_sysctl("vm.extfrag_threshold", "501") != 0 ||
        vmctl_swapfile(SWAPFILE, 8 << 20) != 0) {
        fprintf(stderr, "child: %s\n", vmctl_error());
        _exit(3);
    }
    char cg[256];
    if (vmctl_cgroup(CGNAME, cg, sizeof(cg)) != 0 ||
        vmctl_cgroup_write(cg, "memory.limit_in_bytes", "33554432") != 0) {
        fprintf(stderr, "child: %s\n", vmctl_error());
        _exit(3);
    }
    if (write(readyfd, "r", 1) != 1)
        _exit(3);
    char go;
    if ((end == END_CRASH || end == END_EXIT) && read(gofd, &go, 1) != 1)
        _exit(3);
    switch (end) {
    case END_CRASH: {
        volatile int *p = NULL;
        *p = 1; /* SIGSEGV */
        break;
    }
    case END_EXIT:
        exit(0);
    default:
        for (int i = 0; i < 600; i++) /* at most 60 s */
            usleep(100000);
        exit(4);
    }
}

static void run(int end)
{
    int fd[2], go[2];
    require_true(pipe(fd) == 0 && pipe(go) == 0, "pipe");
    pid_t pid = fork();
    require_true(pid >= 0, "fork");
    if (pid == 0) {
        close(fd[0]);
        close(go[1]);
        signal(SIGSEGV, SIG_DFL);
        child(end, fd[1], go[0]);
        _exit(5);
    }
    close(fd[1]);
    close(go[0]);
    char c;
    require_true(read(fd[0], &c, 1) == 1, "child made its changes");
    close(fd[0]);
    char now[64];
    vmctl_read("/proc/sys/vm/extfrag_threshold", now, sizeof(now));
    expect_str_eq(now, "501");
    expect_true(swap_active(), "swap file active while the child runs");
    expect_true(exists(CGPATH), "cgroup exists while the child runs");
    int sig = end == END_SIGINT    ? SIGINT
              : end == END_SIGKILL ? SIGKILL
              : end == END_SIGTERM ? SIGTERM
                                   : 0;
    if (sig)
        kill(pid, sig);
    else if (write(go[1], "g", 1) != 1)
        test_fail("cannot tell the child to go on");
    close(go[1]);
    int st;
    waitpid(pid, &st, 0);
    if (end == END_SIGKILL) {
        /* Nothing could run in the child: the settings are still changed... */
        vmctl_read("/proc/sys/vm/extfrag_threshold", now, sizeof(now));
        expect_str_eq(now, "501");
        /* ...until the next run repairs them from the journal. */
        require_true(vmctl_begin(JOURNAL) == 0, "repair: %s", vmctl_error());
    }
    vmctl_read("/proc/sys/vm/extfrag_threshold", now, sizeof(now));
    expect_str_eq(now, orig_extfrag);
    expect_false(swap_active(), "swap file off");
    expect_false(exists(SWAPFILE), "swap file removed");
    expect_false(exists(CGPATH), "cgroup removed");
    struct stat js;
    expect_true(stat(JOURNAL, &js) == 0 && js.st_size == 0, "journal empty");
}

TEST_BEGIN(restored_after_sigint)
{
    test_skip_if(geteuid() != 0, "needs root");
    run(END_SIGINT);
}
TEST_END

TEST_BEGIN(restored_after_sigterm)
{
    test_skip_if(geteuid() != 0, "needs root");
    run(END_SIGTERM);
}
TEST_END

TEST_BEGIN(restored_after_crash)
{
    test_skip_if(geteuid() != 0, "needs root");
    run(END_CRASH);
}
TEST_END

TEST_BEGIN(restored_after_exit)
{
    test_skip_if(geteuid() != 0, "needs root");
    run(END_EXIT);
}
TEST_END

TEST_BEGIN(repaired_after_sigkill)
{
    test_skip_if(geteuid() != 0, "needs root");
    run(END_SIGKILL);
}
TEST_END

/* vmctl_restore_to(mark) undoes only what came after the mark: one run's settings of a sweep
 * (bench/sweep), while the earlier ones (the swap file of the whole group) stay. */
static int marks_child(void)
{
    char now[64];
    int bad = 0;
    if (vmctl_begin(JOURNAL) != 0 || vmctl_sysctl("vm.extfrag_threshold", "501") != 0)
        return 64;
    long m = vmctl_mark();
    char cg[256];
    if (vmctl_cgroup(CGNAME, cg, sizeof(cg)) != 0 ||
        vmctl_sysctl("vm.extfrag_threshold", "502") != 0 || vmctl_tmpfile(SWAPFILE) != 0)
        return 64;
    FILE *f = fopen(SWAPFILE, "w");
    if (f)
        fclose(f);
    vmctl_restore_to(m);
    vmctl_read("/proc/sys/vm/extfrag_threshold", now, sizeof(now));
    bad |= strcmp(now, "501") != 0 ? 1 : 0;
    bad |= exists(CGPATH) ? 2 : 0;
    bad |= exists(SWAPFILE) ? 4 : 0;
    struct stat js;
    bad |= stat(JOURNAL, &js) == 0 && js.st_size > 0 ? 0 : 8; /* the line before the mark */
    vmctl_restore();
    vmctl_read("/proc/sys/vm/extfrag_threshold", now, sizeof(now));
    bad |= strcmp(now, orig_extfrag) != 0 ? 16 : 0;
    bad |= stat(JOURNAL, &js) == 0 && js.st_size == 0 ? 0 : 32;
    return bad;
}

TEST_BEGIN(restore_to_a_mark)
{
    test_skip_if(geteuid() != 0, "needs root");
    pid_t pid = fork();
    require_true(pid >= 0, "fork");
    if (pid == 0)
        _exit(marks_child());
    int st;
    waitpid(pid, &st, 0);
    expect_true(WIFEXITED(st), "child exited");
    expect_d_eq(WEXITSTATUS(st), 0,
                "1: setting after the mark not undone, 2: cgroup left, 4: scratch file left, 8: "
                "journal lost the line before the mark, 16/32: full restore incomplete");
}
TEST_END

TEST_BEGIN(refuses_without_root)
{
    test_skip_if(geteuid() != 0, "not root: the refusal is what everything else shows");
    pid_t pid = fork();
    if (pid == 0) {
        if (setuid(65534) != 0)
            _exit(2);
        int r = vmctl_begin("/tmp/libmini-vmctl-nobody.journal");
        _exit(r == -1 && strstr(vmctl_error(), "root") ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    expect_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "non-root vmctl_begin refuses clearly");
}
TEST_END

int main(int argc, char **argv)
{
    if (geteuid() == 0 &&
        vmctl_read("/proc/sys/vm/extfrag_threshold", orig_extfrag, sizeof(orig_extfrag)) != 0)
        return 1;
    /* A journal left by an earlier failed run of this test is repaired first. */
    if (geteuid() == 0) {
        pid_t p = fork();
        if (p == 0)
            _exit(vmctl_begin(JOURNAL) == 0 ? 0 : 1);
        waitpid(p, NULL, 0);
        vmctl_read("/proc/sys/vm/extfrag_threshold", orig_extfrag, sizeof(orig_extfrag));
    }
    int rc =
        // cppcheck-suppress cppcheckError
        TEST_MAIN(argc, argv, restored_after_sigint, restored_after_sigterm, restored_after_crash,
                  restored_after_exit, restore_to_a_mark, repaired_after_sigkill,
                  refuses_without_root);
    unlink(JOURNAL);
    return rc;
}
