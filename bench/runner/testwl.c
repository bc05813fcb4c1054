/*
 * testwl.c — wl-testwl, the runner's own test workload: it speaks bench/include/benchproto.h
 * so that the runner's tests do not depend on the real workloads (bench/workloads/).
 *
 *   wl-testwl [--scale S] [--threads N] [--hold-ms MS] [--idle-ms MS] [--trim-idle-ms MS]
 *             [--no-reclaim] [--external] [--exit N]
 *
 *   INIT -> RUN: each thread mallocs blocks (64 B..8 KiB, one in 64 of 192 KiB) and writes
 *          every byte until its share of 24 MiB x S is live, then replaces every block once with
 *          a block of the same size (free then malloc: live bytes never exceed the plateau),
 *          then all threads wait while thread 0 holds the plateau for hold-ms (default 100) so
 *          that a 10 ms sampler sees it, then free everything.
 *   FREED: idle idle-ms (default 5000);  then the allocator's trim (malloc_trim, jemalloc's
 *          arena purge, mi_collect, tcmalloc's ReleaseFreeMemory: whichever is loaded);
 *   TRIMMED: idle trim-idle-ms (default 200);  DONE.
 *
 * At the end it prints "testwl: peak_live_bytes=P final_live_bytes=F ops=O" so that a test can
 * compare the runner's readings with the truth. --external never attaches the shared page (an
 * external program); --exit N exits with status N after the work; --no-reclaim skips FREED and
 * TRIMMED.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench/include/benchproto.h"

static struct bench_shm private_shm;
static struct bench_shm *shm = &private_shm;
static double scale = 1.0;
static int nthreads = 1;
static long hold_ms = 100, idle_ms = 5000, trim_idle_ms = 200;
static pthread_barrier_t barrier;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void set_phase(enum bench_phase p)
{
    atomic_store_explicit(&shm->phase_ns, now_ns(), memory_order_relaxed);
    atomic_store_explicit(&shm->phase, (uint32_t)p, memory_order_release);
}

static void attach(bool external)
{
    const char *e = getenv(BENCH_SHM_ENV);
    if (e != NULL && !external) {
        void *p =
            mmap(NULL, sizeof(struct bench_shm), PROT_READ | PROT_WRITE, MAP_SHARED, atoi(e), 0);
        if (p != MAP_FAILED)
            shm = p;
    }
    snprintf(shm->workload, sizeof(shm->workload), "testwl");
    snprintf(shm->ops_unit, sizeof(shm->ops_unit), "malloc+free calls");
    shm->version = BENCH_SHM_VERSION;
    atomic_store_explicit(&shm->idle_ms, (uint32_t)idle_ms, memory_order_relaxed);
    atomic_store_explicit(&shm->trim_idle_ms, (uint32_t)trim_idle_ms, memory_order_relaxed);
    set_phase(BENCH_PHASE_INIT);
    __atomic_store_n(&shm->magic, BENCH_SHM_MAGIC, __ATOMIC_RELEASE);
}

struct block {
    char *p;
    size_t n;
};

static size_t next_size(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t r = *x >> 33;
    if (r % 64 == 0)
        return 192 * 1024;
    return 64 + (size_t)(r % 8129);
}

static void *worker(void *arg)
{
    long id = (long)arg;
    struct bench_slot *slot = &shm->slot[id % BENCH_SLOTS];
    size_t target = (size_t)(24.0 * 1024 * 1024 * scale / nthreads);
    size_t cap = 1024, n = 0, live = 0;
    struct block *b = malloc(cap * sizeof(*b));
    uint64_t x = 0x9e3779b97f4a7c15ULL ^ (uint64_t)id;
    if (b == NULL)
        abort();
    while (live < target) {
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap * sizeof(*b));
            if (b == NULL)
                abort();
        }
        size_t sz = next_size(&x);
        b[n].p = malloc(sz);
        if (b[n].p == NULL)
            abort();
        memset(b[n].p, (int)(n & 0x7f) + 1, sz);
        b[n++].n = sz;
        live += sz;
        atomic_fetch_add_explicit(&slot->live_bytes, (int64_t)sz, memory_order_relaxed);
        atomic_fetch_add_explicit(&slot->ops, 1, memory_order_relaxed);
    }
    /* Replace every block with one of the same size, in a scrambled order. */
    for (size_t k = 0; k < n; k++) {
        size_t i = (k * 7919) % n;
        free(b[i].p);
        atomic_fetch_sub_explicit(&slot->live_bytes, (int64_t)b[i].n, memory_order_relaxed);
        b[i].p = malloc(b[i].n);
        if (b[i].p == NULL)
            abort();
        memset(b[i].p, 0x5a, b[i].n);
        atomic_fetch_add_explicit(&slot->live_bytes, (int64_t)b[i].n, memory_order_relaxed);
        atomic_fetch_add_explicit(&slot->ops, 2, memory_order_relaxed);
    }
    pthread_barrier_wait(&barrier); /* plateau reached by every thread */
    pthread_barrier_wait(&barrier); /* thread 0 held it */
    for (size_t i = 0; i < n; i++) {
        free(b[i].p);
        atomic_fetch_sub_explicit(&slot->live_bytes, (int64_t)b[i].n, memory_order_relaxed);
        atomic_fetch_add_explicit(&slot->ops, 1, memory_order_relaxed);
    }
    free(b);
    return NULL;
}

static int64_t total_live(void)
{
    int64_t s = 0;
    for (int i = 0; i < BENCH_SLOTS; i++)
        s += atomic_load_explicit(&shm->slot[i].live_bytes, memory_order_relaxed);
    return s;
}

static uint64_t total_ops(void)
{
    uint64_t s = 0;
    for (int i = 0; i < BENCH_SLOTS; i++)
        s += atomic_load_explicit(&shm->slot[i].ops, memory_order_relaxed);
    return s;
}

/* The trim of whichever allocator is loaded. */
static void trim_allocator(void)
{
    int (*mallctl)(const char *, void *, size_t *, void *, size_t) =
        (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(RTLD_DEFAULT, "mallctl");
    void (*mi_collect)(bool) = (void (*)(bool))dlsym(RTLD_DEFAULT, "mi_collect");
    void (*tc_release)(void) =
        (void (*)(void))dlsym(RTLD_DEFAULT, "MallocExtension_ReleaseFreeMemory");
    if (mallctl != NULL)
        mallctl("arena.4096.purge", NULL, NULL, NULL, 0); /* 4096 = MALLCTL_ARENAS_ALL */
    else if (mi_collect != NULL)
        mi_collect(true);
    else if (tc_release != NULL)
        tc_release();
    else
        malloc_trim(0);
}

static long arg_long(const char *opt, const char *v)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0' || x < 0) {
        fprintf(stderr, "wl-testwl: %s: '%s' is not a non-negative integer\n", opt, v);
        exit(2);
    }
    return x;
}

int main(int argc, char **argv)
{
    bool external = false, reclaim = true;
    int exit_code = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--external") == 0) {
            external = true;
            continue;
        }
        if (strcmp(o, "--no-reclaim") == 0) {
            reclaim = false;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "wl-testwl: unknown option or missing value '%s'\n", o);
            return 2;
        }
        const char *v = argv[++i];
        if (strcmp(o, "--scale") == 0) {
            scale = strtod(v, NULL);
            if (!(scale > 0)) {
                fprintf(stderr, "wl-testwl: --scale: '%s' is not a positive number\n", v);
                return 2;
            }
        } else if (strcmp(o, "--threads") == 0) {
            nthreads = (int)arg_long(o, v);
            if (nthreads < 1 || nthreads > 64) {
                fprintf(stderr, "wl-testwl: --threads: '%s' is not in 1..64\n", v);
                return 2;
            }
        } else if (strcmp(o, "--hold-ms") == 0) {
            hold_ms = arg_long(o, v);
        } else if (strcmp(o, "--idle-ms") == 0) {
            idle_ms = arg_long(o, v);
        } else if (strcmp(o, "--trim-idle-ms") == 0) {
            trim_idle_ms = arg_long(o, v);
        } else if (strcmp(o, "--exit") == 0) {
            exit_code = (int)arg_long(o, v);
        } else {
            fprintf(stderr, "wl-testwl: unknown option '%s'\n", o);
            return 2;
        }
    }
    attach(external);
    set_phase(BENCH_PHASE_RUN);
    pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1);
    pthread_t *t = calloc((size_t)nthreads, sizeof(*t));
    if (t == NULL)
        return 1;
    for (long i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    pthread_barrier_wait(&barrier);
    int64_t peak = total_live();
    sleep_ms(hold_ms);
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    free(t);
    if (reclaim) {
        set_phase(BENCH_PHASE_FREED);
        sleep_ms(idle_ms);
        trim_allocator();
        set_phase(BENCH_PHASE_TRIMMED);
        sleep_ms(trim_idle_ms);
    }
    set_phase(BENCH_PHASE_DONE);
    printf("testwl: peak_live_bytes=%lld final_live_bytes=%lld ops=%llu\n", (long long)peak,
           (long long)total_live(), (unsigned long long)total_ops());
    return exit_code;
}
