/*
 * churn.c — an allocation-heavy program for trace tests and for measuring the recorder's
 * overhead: THREADS threads each make OPS calls of every kind of the C family (malloc, calloc,
 * realloc, reallocarray, memalign, posix_memalign, aligned_alloc, valloc, free, malloc_trim),
 * keep a working set of 256 blocks, and hand one block in 16 to the next thread, which frees it.
 *
 *   churn [OPS [THREADS]]     (defaults 200000 and 2)
 *
 * Prints the number of calls it made; the sequence of sizes is fixed by the seed of each thread.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WS   256
#define MAXT 16

static long ops = 200000;
static int nthreads = 2;

struct box {
    pthread_mutex_t mu;
    void *slot[64];
    int n;
} box[MAXT];

static uint64_t ncalls[MAXT];

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t pick_size(uint64_t r)
{
    switch (r & 15) {
    case 0:
        return (r >> 8) % 400000; /* some above the mmap threshold */
    case 1:
    case 2:
        return (r >> 8) % 16384;
    default:
        return (r >> 8) % 512;
    }
}

static void *worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    uint64_t s = 42 + (uint64_t)me, calls = 0;
    void *ws[WS] = {0};
    for (long i = 0; i < ops; i++) {
        uint64_t r = rnd(&s);
        unsigned k = (r >> 40) % WS;
        size_t n = pick_size(r >> 4);
        if (ws[k] && (r & 0x300) == 0x100) {
            void *q = (r & 0x400) ? realloc(ws[k], n) : reallocarray(ws[k], n / 8 + 1, 8);
            calls++;
            if (q || ((r & 0x400) && n == 0)) /* realloc(p, 0) freed p */
                ws[k] = q;
            continue;
        }
        if (ws[k]) {
            if ((r & 0xf000) == 0 && nthreads > 1) {
                struct box *b = &box[(me + 1) % nthreads];
                pthread_mutex_lock(&b->mu);
                if (b->n < 64) {
                    b->slot[b->n++] = ws[k];
                    ws[k] = NULL;
                }
                pthread_mutex_unlock(&b->mu);
            }
            free(ws[k]);
            calls++;
        }
        void *p = NULL;
        switch ((r >> 12) % 11) {
        case 0:
            p = calloc(n / 8 + 1, 8);
            break;
        case 1:
            p = memalign(64, n);
            break;
        case 2:
            if (posix_memalign(&p, 128, n) != 0)
                p = NULL;
            break;
        case 3:
            p = aligned_alloc(32, (n + 31) & ~(size_t)31);
            break;
        case 4:
            p = (r & 0x10000) ? valloc(n) : malloc(n);
            break;
        default:
            p = malloc(n);
            break;
        }
        calls++;
        if (p && n)
            ((char *)p)[0] = (char)i, ((char *)p)[n - 1] = (char)i;
        ws[k] = p;
        /* Free what the previous thread handed over. */
        struct box *mine = &box[me];
        pthread_mutex_lock(&mine->mu);
        int m = mine->n;
        void *got[64];
        memcpy(got, mine->slot, (size_t)m * sizeof(void *));
        mine->n = 0;
        pthread_mutex_unlock(&mine->mu);
        for (int j = 0; j < m; j++) {
            free(got[j]);
            calls++;
        }
        if ((i & 0xffff) == 0xffff) {
            malloc_trim(0);
            calls++;
        }
    }
    for (int k = 0; k < WS; k++) {
        free(ws[k]);
        calls++;
    }
    ncalls[me] = calls;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        ops = atol(argv[1]);
    if (argc > 2)
        nthreads = atoi(argv[2]);
    if (ops <= 0 || nthreads < 1 || nthreads > MAXT) {
        fprintf(stderr, "usage: churn [OPS [THREADS (1..%d)]]\n", MAXT);
        return 2;
    }
    pthread_t th[MAXT];
    for (int i = 0; i < nthreads; i++)
        pthread_mutex_init(&box[i].mu, NULL);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    uint64_t total = 0;
    for (int i = 0; i < nthreads; i++) {
        for (int j = 0; j < box[i].n; j++)
            free(box[i].slot[j]);
        total += ncalls[i];
    }
    printf("churn: %d threads, %llu calls\n", nthreads, (unsigned long long)total);
    return 0;
}
