/*
 * statsburst.c — N processes that share one stderr and exit at the same moment: the children
 * allocate, block on a pipe, and all return from main when the parent closes its end (then the
 * parent returns too). Under the shim with MINI_SHOW_STATS each prints its report at exit;
 * stats-burst.sh checks that no two reports are interleaved.
 *
 *   statsburst [N]    N children (default 24); exit 0, or 1 if a child failed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 24;
    if (n < 1 || n > 1000) {
        fprintf(stderr, "statsburst: bad N '%s' (1..1000)\n", argv[1]);
        return 2;
    }
    int go[2];
    if (pipe(go) != 0) {
        perror("statsburst: pipe");
        return 1;
    }
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("statsburst: fork");
            return 1;
        }
        if (pid == 0) {
            close(go[1]);
            /* Some allocations of each kind, so that every report has non-zero counters. */
            void *keep[64];
            for (int k = 0; k < 64; k++) {
                keep[k] = malloc((size_t)(16 + 97 * k + i));
                memset(keep[k], k, (size_t)(16 + 97 * k + i));
            }
            void *big = malloc(200000);
            for (int k = 0; k < 64; k += 2)
                free(keep[k]);
            char c;
            if (read(go[0], &c, 1) != 0) /* EOF when the parent closes its end */
                return 1;
            free(big);
            return 0;
        }
    }
    close(go[0]);
    usleep(100000);
    close(go[1]);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bad++;
    }
    return bad ? 1 : 0;
}
