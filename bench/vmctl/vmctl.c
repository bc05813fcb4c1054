/*
 * vmctl.c — see vmctl.h. One journal, one process at a time (an flock on the journal).
 *
 *   journal line            undo
 *   "set PATH\tOLD"         write OLD to PATH
 *   "swap PATH"             swapoff PATH, unlink PATH
 *   "cgroup PATH"           SIGKILL its tasks, wait (bounded) until empty, rmdir PATH
 *   "umount PATH"           umount PATH
 *   "rm PATH"               unlink PATH (a scratch file of the experiment)
 *
 * Undo runs the lines in reverse order, then truncates the journal (vmctl_restore_to(mark)
 * undoes and truncates only the lines after a mark). Nothing here allocates
 * memory or uses stdio after vmctl_begin(), so the undo can run in a signal handler.
 */
#include "bench/vmctl/vmctl.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CG_ROOT "/sys/fs/cgroup/memory"
#define JMAX    65536

static char journal_path[256];
static int journal_fd = -1;
static char err[512];
static volatile sig_atomic_t restoring;
static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGFPE, SIGABRT};

const char *vmctl_error(void)
{
    return err;
}

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, sizeof(err), fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- Async-signal-safe helpers ----------------------------------------------------------- */

static size_t slen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int put_file(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = write_all(fd, value, slen(value));
    if (close(fd) != 0)
        r = -1;
    return r;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void say(const char *a, const char *b)
{
    write_all(2, "vmctl: ", 7);
    write_all(2, a, slen(a));
    write_all(2, b, slen(b));
    write_all(2, "\n", 1);
}

/* Kill every task of a cgroup and remove it; bounded to about 10 s. */
static void undo_cgroup(const char *path)
{
    char procs[300];
    size_t n = slen(path);
    if (n + 16 > sizeof(procs))
        return;
    memcpy(procs, path, n);
    memcpy(procs + n, "/cgroup.procs", 14);
    for (int tries = 0; tries < 200; tries++) {
        if (rmdir(path) == 0 || errno == ENOENT)
            return;
        int fd = open(procs, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return;
        char buf[4096];
        ssize_t r = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (r > 0) {
            buf[r] = '\0';
            long pid = 0;
            for (ssize_t i = 0; i <= r; i++) {
                if (buf[i] >= '0' && buf[i] <= '9') {
                    pid = pid * 10 + (buf[i] - '0');
                } else {
                    if (pid > 1 && pid != (long)getpid())
                        kill((pid_t)pid, SIGKILL);
                    pid = 0;
                }
            }
        }
        /* Reap our own children that were in there. */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        nap_ms(50);
    }
    say("could not remove cgroup ", path);
}

static void undo_line(char *line)
{
    if (strncmp(line, "set ", 4) == 0) {
        char *tab = strchr(line + 4, '\t');
        if (tab == NULL)
            return;
        *tab = '\0';
        if (put_file(line + 4, tab + 1) != 0)
            say("could not restore ", line + 4);
    } else if (strncmp(line, "swap ", 5) == 0) {
        if (swapoff(line + 5) != 0 && errno != EINVAL)
            say("swapoff failed for ", line + 5);
        unlink(line + 5);
    } else if (strncmp(line, "cgroup ", 7) == 0) {
        undo_cgroup(line + 7);
    } else if (strncmp(line, "umount ", 7) == 0) {
        umount2(line + 7, MNT_DETACH);
    } else if (strncmp(line, "rm ", 3) == 0) {
        unlink(line + 3);
    }
}

/* Undo every line of the journal open on fd from byte `from` on, last first, then truncate the
 * journal to `from`. */
static void replay(int fd, off_t from)
{
    static char buf[JMAX + 1];
    if (lseek(fd, from, SEEK_SET) != from)
        return;
    ssize_t n = 0, r;
    while (n < JMAX && (r = read(fd, buf + n, (size_t)(JMAX - n))) > 0)
        n += r;
    buf[n] = '\0';
    while (n > 0) {
        /* The last complete line. */
        if (buf[n - 1] == '\n')
            buf[--n] = '\0';
        ssize_t s = n;
        while (s > 0 && buf[s - 1] != '\n')
            s--;
        if (n > s)
            undo_line(buf + s);
        n = s;
        buf[n] = '\0';
    }
    if (ftruncate(fd, from) == 0)
        fsync(fd);
}

/* The handled signals are blocked while the journal is replayed outside a handler, so that a
 * SIGINT arriving in the middle of a restore waits for it and then restores the rest. */
static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
        sigaddset(&set, signals[i]);
    sigprocmask(SIG_BLOCK, &set, old);
}

long vmctl_mark(void)
{
    if (journal_fd < 0)
        return 0;
    off_t end = lseek(journal_fd, 0, SEEK_END);
    return end < 0 ? 0 : (long)end;
}

void vmctl_restore_to(long mark)
{
    if (journal_fd < 0 || restoring)
        return;
    sigset_t old;
    block_signals(&old);
    restoring = 1;
    replay(journal_fd, mark < 0 ? 0 : (off_t)mark);
    restoring = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

void vmctl_restore(void)
{
    vmctl_restore_to(0);
}

static void on_signal(int sig)
{
    vmctl_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void at_exit(void)
{
    vmctl_restore();
}

static int journal_add(const char *kind, const char *a, const char *b)
{
    if (journal_fd < 0)
        return fail("vmctl_begin() was not called");
    char line[1024];
    int n = snprintf(line, sizeof(line), "%s %s%s%s\n", kind, a, b ? "\t" : "", b ? b : "");
    if (n < 0 || (size_t)n >= sizeof(line))
        return fail("journal line too long for %s", a);
    if (lseek(journal_fd, 0, SEEK_END) < 0 || write_all(journal_fd, line, (size_t)n) != 0 ||
        fsync(journal_fd) != 0)
        return fail("%s: cannot write the journal: %s", journal_path, strerror(errno));
    return 0;
}

int vmctl_begin(const char *journal)
{
    if (geteuid() != 0)
        return fail("changing VM settings needs root (sysctls, swap, memory cgroups); run as root");
    if (journal == NULL)
        journal = VMCTL_DEFAULT_JOURNAL;
    snprintf(journal_path, sizeof(journal_path), "%s", journal);
    int fd = open(journal_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail("%s: %s", journal_path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return fail("%s: another experiment holds the settings journal", journal_path);
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        fprintf(stderr, "vmctl: repairing settings left by an interrupted run (%s)\n",
                journal_path);
        replay(fd, 0);
    }
    journal_fd = fd;
    static bool installed;
    if (!installed) {
        atexit(at_exit);
        for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
            struct sigaction sa;
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = on_signal;
            /* One handler at a time: a second signal waits until the restore is done. */
            sigemptyset(&sa.sa_mask);
            for (size_t k = 0; k < sizeof(signals) / sizeof(signals[0]); k++)
                sigaddset(&sa.sa_mask, signals[k]);
            sigaction(signals[i], &sa, NULL);
        }
        installed = true;
    }
    return 0;
}

int vmctl_read(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail("%s: %s", path, strerror(errno));
    ssize_t r = read(fd, buf, len - 1);
    close(fd);
    if (r < 0)
        return fail("%s: %s", path, strerror(errno));
    buf[r] = '\0';
    while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' '))
        buf[--r] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == '\t' || *p == '\n')
            *p = ' ';
    return 0;
}

int vmctl_write(const char *path, const char *value)
{
    char old[512];
    if (vmctl_read(path, old, sizeof(old)) != 0)
        return -1;
    if (journal_add("set", path, old) != 0)
        return -1;
    if (put_file(path, value) != 0)
        return fail("%s: cannot write '%s': %s", path, value, strerror(errno));
    return 0;
}

int vmctl_sysctl(const char *name, const char *value)
{
    char path[256];
    int n = snprintf(path, sizeof(path), "/proc/sys/%s", name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return fail("sysctl name too long");
    for (char *p = path + 10; *p; p++)
        if (*p == '.')
            *p = '/';
    return vmctl_write(path, value);
}

int vmctl_swapfile(const char *path, uint64_t bytes)
{
    if (journal_add("swap", path, NULL) != 0)
        return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail("%s: %s", path, strerror(errno));
    /* A swap file must have no holes: write it. */
    static char zero[1 << 20];
    for (uint64_t done = 0; done < bytes;) {
        size_t n = bytes - done < sizeof(zero) ? (size_t)(bytes - done) : sizeof(zero);
        if (write_all(fd, zero, n) != 0) {
            close(fd);
            return fail("%s: write: %s", path, strerror(errno));
        }
        done += n;
    }
    fsync(fd);
    close(fd);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkswap '%s' >/dev/null 2>&1", path);
    if (system(cmd) != 0)
        return fail("mkswap %s failed", path);
    if (swapon(path, 0) != 0)
        return fail("swapon %s: %s", path, strerror(errno));
    return 0;
}

int vmctl_cgroup(const char *name, char *path, size_t len)
{
    int n = snprintf(path, len, "%s/%s", CG_ROOT, name);
    if (n < 0 || (size_t)n >= len)
        return fail("cgroup path too long");
    struct stat st;
    if (stat(CG_ROOT, &st) != 0)
        return fail("%s: no v1 memory controller here", CG_ROOT);
    if (journal_add("cgroup", path, NULL) != 0)
        return -1;
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return fail("mkdir %s: %s", path, strerror(errno));
    return 0;
}

int vmctl_cgroup_write(const char *cgpath, const char *file, const char *value)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", cgpath, file);
    if (put_file(p, value) != 0)
        return fail("%s: cannot write '%s': %s", p, value, strerror(errno));
    return 0;
}

int vmctl_cgroup_attach(const char *cgpath, pid_t pid)
{
    char v[32];
    snprintf(v, sizeof(v), "%d", (int)pid);
    return vmctl_cgroup_write(cgpath, "cgroup.procs", v);
}

int vmctl_mount_debugfs(void)
{
    struct stat st;
    if (stat("/sys/kernel/debug/extfrag", &st) == 0)
        return 0;
    if (journal_add("umount", "/sys/kernel/debug", NULL) != 0)
        return -1;
    if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) != 0)
        return fail("mount debugfs: %s", strerror(errno));
    return 0;
}

int vmctl_tmpfile(const char *path)
{
    return journal_add("rm", path, NULL);
}
