/*
 * signals.c — signals arriving during malloc. A handler that does NOT allocate (it only counts
 * and writes a static buffer) interrupts allocation loops in three threads thousands of times;
 * every block must still hold its pattern and the heap must stay consistent (mini_check_heap).
 * What is not safe — allocating inside a handler — is documented in preload/README.md.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/time.h>

#include "tests/preload/pt.h"

static volatile sig_atomic_t hits;
static char scratch[64];
static _Atomic int stop;
static _Atomic uint64_t bad;

static void handler(int sig)
{
    (void)sig;
    hits++;
    scratch[hits % sizeof(scratch)]++;
}

static void *loop(void *arg)
{
    uint64_t s = (uint64_t)(uintptr_t)arg;
    unsigned char *keep[128] = {0};
    size_t len[128] = {0};
    while (!atomic_load(&stop)) {
        uint64_t r = test_rand_next(&s);
        unsigned i = r % 128;
        if (keep[i]) {
            unsigned char want = (unsigned char)(i + 1);
            if (len[i] && (keep[i][0] != want || keep[i][len[i] - 1] != want))
                atomic_fetch_add(&bad, 1);
            free(keep[i]);
        }
        len[i] = (r >> 8) % ((r & 31) == 0 ? 200000 : 2000);
        keep[i] = (r & 64) ? calloc(1, len[i]) : realloc(NULL, len[i]);
        if (keep[i])
            memset(keep[i], (int)(i + 1), len[i]);
    }
    for (int i = 0; i < 128; i++)
        free(keep[i]);
    return NULL;
}

TEST_BEGIN(test_nonallocating_handler_interrupts_malloc)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 100}, {0, 100}}; /* every 100 us */
    setitimer(ITIMER_REAL, &it, NULL);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, loop, (void *)(uintptr_t)(i + 7));
    double t0 = test_now_sec();
    while (test_now_sec() - t0 < 0.6)
        usleep(10000); /* cut short by the signals: fine */
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    expect_true(hits > 100, "signals delivered: %d", (int)hits);
    expect_u64_eq(atomic_load(&bad), 0, "blocks changed under a signal");
    int (*check)(void) = NULL;
    *(void **)&check = dlsym(RTLD_DEFAULT, "mini_check_heap");
    require_ptr_ne((void *)check, NULL, "");
    expect_d_eq(check(), 0, "heap consistent");
}
TEST_END

int main(int argc, char **argv)
{
    pt_require_shim();
    return TEST_MAIN(argc, argv, test_nonallocating_handler_interrupts_malloc);
}
