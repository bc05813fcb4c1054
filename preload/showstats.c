/*
 * showstats.c — MINI_SHOW_STATS=1 (text) or 2/json under the shim: libmini's statistics at exit.
 *
 * libmini alone prints them from an atexit handler. Under the shim the printing is taken over
 * here and moved as late as it can go — the shim's destructor, which runs after every atexit
 * handler and every C++ static destructor of the program — so the numbers include what those
 * freed. And it writes to a duplicate of stderr taken at load time (close-on-exec, fd >= 64):
 * programs such as coreutils close fd 2 in their own atexit handler, which would otherwise
 * swallow the report. Printing never allocates (mini_stats_print).
 *
 * A process that ends with _exit() or a signal prints nothing (as with libmini alone). While
 * MINI_SHOW_STATS is set, the duplicate keeps the original stderr open until the process exits
 * (a reader of a stderr pipe sees EOF only then).
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "preload/shim.h"

static int show_fd = -1;
static long show;

static void write_fd(void *cbopaque, const char *s)
{
    int fd = *(const int *)cbopaque;
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0)
            break;
        s += w;
        n -= (size_t)w;
    }
}

__attribute__((constructor)) static void showstats_init(void)
{
    show = mini_option_get(MINI_OPT_SHOW_STATS);
    if (show <= 0)
        return;
    show_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 64);
    mini_option_set(MINI_OPT_SHOW_STATS, 0); /* libmini's atexit handler stays quiet */
}

__attribute__((destructor)) static void showstats_fini(void)
{
    if (show <= 0)
        return;
    int fd = show_fd >= 0 ? show_fd : STDERR_FILENO;
    mini_stats_print(write_fd, &fd, show == 2 ? "J" : NULL);
}
