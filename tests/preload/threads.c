/*
 * threads.c — a multi-threaded pthread program with cross-thread frees, as a "real program":
 * its output must be the same with and without the shim (tests/preload/real.sh threads).
 *
 * NTHREADS threads in a ring: each allocates blocks of varied sizes (malloc, calloc, realloc,
 * aligned_alloc), fills them with a pattern derived from (thread, sequence), and passes them
 * to the next thread through a mutex-protected queue; the receiver checks the pattern and frees
 * the block. So every block is freed by a thread other than the one that allocated it. Prints
 * the totals; exits 1 if any block came back wrong.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 4
#define QCAP     256

struct msg {
    unsigned char *p;
    size_t n;
    uint64_t tag;
};

struct queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct msg m[QCAP];
    unsigned head, tail;
    int closed;
};

static struct queue q[NTHREADS];
static long per_thread = 60000;
static uint64_t checked[NTHREADS], bad[NTHREADS], bytes[NTHREADS];
static _Atomic int active = NTHREADS;
static void check_and_free(int me, struct msg m);

static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int take(struct queue *qu, struct msg *m, int wait);

/* Queue m; while the queue is full, keep emptying our own (the ring must not lock up). */
static void put(int me, struct queue *qu, struct msg m)
{
    pthread_mutex_lock(&qu->mu);
    while (qu->tail - qu->head == QCAP) {
        pthread_mutex_unlock(&qu->mu);
        struct msg x;
        int drained = 0;
        while (take(&q[me], &x, 0) == 1) {
            check_and_free(me, x);
            drained = 1;
        }
        if (!drained)
            sched_yield();
        pthread_mutex_lock(&qu->mu);
    }
    qu->m[qu->tail++ % QCAP] = m;
    pthread_cond_broadcast(&qu->cv);
    pthread_mutex_unlock(&qu->mu);
}

/* Take one message if there is one; returns 0 when the queue is empty and closed. */
static int take(struct queue *qu, struct msg *m, int wait)
{
    pthread_mutex_lock(&qu->mu);
    while (qu->tail == qu->head && !qu->closed && wait)
        pthread_cond_wait(&qu->cv, &qu->mu);
    int got = qu->tail != qu->head;
    if (got) {
        *m = qu->m[qu->head++ % QCAP];
        pthread_cond_broadcast(&qu->cv);
    }
    int more = got || !qu->closed;
    pthread_mutex_unlock(&qu->mu);
    return got ? 1 : (more ? 2 : 0);
}

static void check_and_free(int me, struct msg m)
{
    unsigned char want = (unsigned char)(m.tag * 31 + 7);
    if (m.n && (m.p[0] != want || m.p[m.n - 1] != want || m.p[m.n / 2] != want))
        bad[me]++;
    checked[me]++;
    bytes[me] += m.n;
    free(m.p);
}

static void *worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    struct queue *out = &q[(me + 1) % NTHREADS], *in = &q[me];
    uint64_t seed = 1000 + (uint64_t)me;
    for (long i = 0; i < per_thread; i++) {
        uint64_t r = next_rand(&seed);
        size_t n = (r & 7) == 0 ? (r >> 8) % 200000 : (r >> 8) % 512;
        unsigned char *p;
        switch ((r >> 3) & 3) {
        case 0:
            p = calloc(1, n);
            break;
        case 1:
            p = aligned_alloc(64, (n + 63) & ~(size_t)63);
            break;
        case 2:
            p = malloc(n / 2 + 1);
            p = p ? realloc(p, n) : NULL;
            break;
        default:
            p = malloc(n);
            break;
        }
        if (p == NULL && n) {
            fprintf(stderr, "threads: out of memory\n");
            exit(1);
        }
        uint64_t tag = ((uint64_t)me << 32) | (uint64_t)i;
        memset(p, (unsigned char)(tag * 31 + 7), n);
        put(me, out, (struct msg){p, n, tag});
        struct msg m;
        while (take(in, &m, 0) == 1)
            check_and_free(me, m);
    }
    /* Keep freeing what arrives until every producer is done. */
    atomic_fetch_sub(&active, 1);
    while (atomic_load(&active) > 0) {
        struct msg m;
        int got = 0;
        while (take(in, &m, 0) == 1) {
            check_and_free(me, m);
            got = 1;
        }
        if (!got)
            sched_yield();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        per_thread = atol(argv[1]);
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        pthread_mutex_init(&q[i].mu, NULL);
        pthread_cond_init(&q[i].cv, NULL);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    /* Drain what is left, from the main thread (more cross-thread frees). */
    uint64_t total = 0, tb = 0, tbad = 0;
    for (int i = 0; i < NTHREADS; i++) {
        q[i].closed = 1;
        struct msg m;
        while (take(&q[i], &m, 0) == 1)
            check_and_free(i, m);
        total += checked[i];
        tb += bytes[i];
        tbad += bad[i];
    }
    printf("threads: %d threads, %llu blocks freed by another thread, %llu bytes, %llu bad\n",
           NTHREADS, (unsigned long long)total, (unsigned long long)tb, (unsigned long long)tbad);
    return tbad ? 1 : 0;
}
