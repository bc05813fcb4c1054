/*
 * exitthreads.c — a program that calls exit() while its other threads are still allocating.
 * tests/preload/exit-threads.sh runs it under the shim with MINI_SHOW_STATS and MINI_TRACE:
 * it must exit 0 promptly, print the statistics, and leave a valid trace.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *spin(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL;
    void *keep[32] = {0};
    for (;;) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        unsigned i = s % 32;
        free(keep[i]);
        keep[i] = malloc((s >> 16) % ((s & 63) == 0 ? 300000 : 3000));
    }
    return NULL;
}

int main(void)
{
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, spin, (void *)(uintptr_t)(i + 1));
    usleep(50000);
    printf("exit with 4 threads still allocating\n");
    fflush(stdout);
    exit(0);
}
