/*
 * showstats.c — MINI_SHOW_STATS=1 (text) or 2/json under the shim: libmini's statistics at exit.
 *
 * libmini alone prints them from an atexit handler. Under the shim the printing is taken over
 * here and moved as late as it can go — the shim's destructor, which runs after every atexit
 * handler and every C++ static destructor of the program — so the numbers include what those
 * freed. And it writes to a duplicate of stderr taken at load time (close-on-exec, fd >= 64):
 * programs such as coreutils close fd 2 in their own atexit handler, which would otherwise
 * swallow the report. Printing never allocates (mini_stats_print), and the report is written
 * by one write(2): processes sharing a stderr never interleave theirs (tests/preload/
 * stats-burst.sh).
 *
 * A process that ends with _exit() or a signal prints nothing (as with libmini alone). While
 * MINI_SHOW_STATS is set, the duplicate keeps the original stderr open until the process exits
 * (a reader of a stderr pipe sees EOF only then).
 *
 * MINI_STATS_FILE=PATH sends the report to PATH instead of stderr (no duplicate of stderr is
 * taken then): opened at exit with O_APPEND (created if missing), the whole report written by
 * one write(2), so that the processes of one program tree (a fork child, an exec'd program:
 * each prints its own, JSON objects carry their "pid") append whole reports and never
 * interleave. The benchmark runner uses it to keep libmini's counters apart from a workload's
 * own stderr. A path that cannot be opened loses the report (nothing else is done at exit).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload/shim.h"

static int show_fd = -1;
static long show;
static const char *show_file; /* MINI_STATS_FILE, or NULL */

/* The report is gathered here (mini_gather) and written by one write(2) at the end, to
 * MINI_STATS_FILE or to stderr; the JSON report is about 1.2 KiB, the text one about 2 KiB (below
 * PIPE_BUF: a write to a pipe is atomic too). Static: it is 8 KiB. */
static struct mini_gather report;

__attribute__((constructor)) static void showstats_init(void)
{
    show = mini_option_get(MINI_OPT_SHOW_STATS);
    if (show <= 0)
        return;
    const char *f = getenv("MINI_STATS_FILE");
    if (f != NULL && *f != '\0')
        show_file = f;
    else
        show_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 64);
    mini_option_set(MINI_OPT_SHOW_STATS, 0); /* libmini's atexit handler stays quiet */
}

__attribute__((destructor)) static void showstats_fini(void)
{
    if (show <= 0)
        return;
    /* One write(2), to the file or to stderr: processes appending to one MINI_STATS_FILE, or
     * sharing a stderr (sort's helpers, a shell pipeline), would otherwise interleave their
     * reports piece by piece. Every report ends with a newline (one report per line). */
    int fd = show_fd >= 0 ? show_fd : STDERR_FILENO;
    if (show_file != NULL)
        fd = open(show_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    report.fd = fd;
    report.len = 0;
    mini_stats_print(mini_gather_cb, &report, show == 2 ? "J" : NULL);
    mini_gather_flush(&report);
    if (show_file != NULL)
        close(fd);
}
