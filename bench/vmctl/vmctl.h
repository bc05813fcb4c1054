/*
 * vmctl.h — change the machine's VM settings for an experiment, and always put them back.
 *
 *   vmctl_begin(journal)               root only; repairs what a previous run left behind (its
 *                                      journal), then restores on exit, SIGINT/SIGTERM/SIGHUP/
 *                                      SIGQUIT and on a crash (SIGSEGV, SIGBUS, SIGFPE, SIGABRT)
 *   vmctl_sysctl("vm.swappiness", "0") write /proc/sys/vm/swappiness, old value journaled first
 *   vmctl_write(path, value)           the same for any /proc or /sys file
 *   vmctl_swapfile(path, bytes)        create, mkswap and swapon a swap file (swapoff + unlink)
 *   vmctl_cgroup("name", path, len)    a v1 memory cgroup (its tasks killed, then rmdir)
 *   vmctl_cgroup_write(cg, file, val)  memory.limit_in_bytes etc. (no journal: rmdir undoes it)
 *   vmctl_cgroup_attach(cg, pid)       move a task into the cgroup
 *   vmctl_mount_debugfs()              mount debugfs on /sys/kernel/debug if needed (umount)
 *   vmctl_tmpfile(path)                a scratch file the caller creates next (unlink)
 *   vmctl_restore()                    undo everything now (also done at exit); idempotent
 *   vmctl_mark(), vmctl_restore_to(m)  undo only what was changed after the mark m (an
 *                                      experiment's per-run settings), keeping the rest
 *
 * Every change is appended to the journal and fsync'ed BEFORE it is made, so a run killed with
 * SIGKILL (or a power cut) is repaired by the next vmctl_begin() on the same journal. The
 * restore code uses only async-signal-safe calls, so it also runs inside signal handlers; the
 * handled signals are blocked while a restore runs outside one (a SIGINT in the middle of a
 * restore waits for it, then restores the rest).
 * Functions return 0, or -1 with a one-line message in vmctl_error().
 */
#ifndef VMCTL_H
#define VMCTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VMCTL_DEFAULT_JOURNAL "/var/tmp/libmini-vmctl.journal"

int vmctl_begin(const char *journal);
int vmctl_sysctl(const char *name, const char *value);
int vmctl_write(const char *path, const char *value);
int vmctl_swapfile(const char *path, uint64_t bytes);
int vmctl_cgroup(const char *name, char *path, size_t len);
int vmctl_cgroup_write(const char *cgpath, const char *file, const char *value);
int vmctl_cgroup_attach(const char *cgpath, pid_t pid);
int vmctl_mount_debugfs(void);
int vmctl_tmpfile(const char *path);
void vmctl_restore(void);
long vmctl_mark(void);
void vmctl_restore_to(long mark);
/* Read a small file (sysctl) into buf, trailing newline removed; -1 on error. */
int vmctl_read(const char *path, char *buf, size_t len);
const char *vmctl_error(void);

#endif
