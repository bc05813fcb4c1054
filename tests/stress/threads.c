/*
 * Stress: several threads doing random malloc/calloc/realloc/memalign/free with fixed seeds;
 * a share of the blocks is handed to another thread (a locked queue per thread) and freed
 * there. Every block carries a fill pattern derived from its address, size and a seed, checked
 * when it is resized or freed, so any overlap or stray write between threads shows up. The
 * heap checker runs periodically from every thread. At the end, with every thread joined and
 * every block freed, the statistics must say that nothing is held.
 */
#include "tests/mini_test.h"

enum { NTHREADS = 4, SLOTS = 512, QCAP = 1024 };

struct blk {
    char *p;
    size_t n;
    uint64_t seed;
};

struct queue {
    pthread_mutex_t lock;
    struct blk items[QCAP];
    size_t head, len;
};

static struct queue queues[NTHREADS];
static _Atomic long failures;
static _Atomic int running;

static size_t pick_size(uint64_t r)
{
    unsigned k = (unsigned)(r % 100);
    r >>= 8;
    if (k < 60)
        return r % 257;
    if (k < 85)
        return 257 + r % 1800;
    if (k < 97)
        return 2048 + r % 60000;
    return 131072 + r % 400000;
}

static void verify(const struct blk *b, const char *where)
{
    size_t bad = t_verify(b->p, b->p, b->n, b->seed);
    if (bad != b->n) {
        fprintf(stderr, "%s: block %p size %zu: byte %zu overwritten\n", where, (void *)b->p, b->n,
                bad);
        atomic_fetch_add(&failures, 1);
    }
}

static bool push(int to, struct blk b)
{
    struct queue *q = &queues[to];
    pthread_mutex_lock(&q->lock);
    bool ok = q->len < QCAP;
    if (ok) {
        q->items[(q->head + q->len) % QCAP] = b;
        q->len++;
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

static bool pop(int me, struct blk *b)
{
    struct queue *q = &queues[me];
    pthread_mutex_lock(&q->lock);
    bool ok = q->len > 0;
    if (ok) {
        *b = q->items[q->head];
        q->head = (q->head + 1) % QCAP;
        q->len--;
    }
    pthread_mutex_unlock(&q->lock);
    return ok;
}

static long ops_per_thread;

static void *worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    uint64_t seed = test_seed(1000) + (uint64_t)me * 7919;
    struct blk *live = calloc(SLOTS, sizeof(*live));
    for (long op = 0; op < ops_per_thread; op++) {
        uint64_t r = test_rand_next(&seed);
        struct blk got;
        if ((r & 7) == 0 && pop(me, &got)) {
            verify(&got, "handed-off block");
            mini_free(got.p);
            continue;
        }
        struct blk *b = &live[(r >> 8) % SLOTS];
        r = test_rand_next(&seed);
        if (b->p == NULL) {
            size_t n = pick_size(r);
            unsigned kind = (unsigned)(r >> 60);
            if (kind == 0)
                b->p = mini_calloc(1, n);
            else if (kind == 1)
                b->p = mini_memalign((size_t)64 << (r >> 50) % 6, n);
            else
                b->p = mini_malloc(n);
            if (b->p == NULL) {
                atomic_fetch_add(&failures, 1);
                continue;
            }
            b->n = n;
            b->seed = r;
            t_fill(b->p, n, r);
        } else if ((r & 3) == 0) {
            verify(b, "realloc'd block");
            size_t n = pick_size(r >> 2) + 1;
            char *old = b->p;
            char *q = mini_realloc(b->p, n);
            if (q == NULL) {
                atomic_fetch_add(&failures, 1);
                continue;
            }
            size_t keep = b->n < n ? b->n : n;
            if (t_verify(q, old, keep, b->seed) != keep)
                atomic_fetch_add(&failures, 1);
            b->p = q;
            b->n = n;
            b->seed = r;
            t_fill(q, n, r);
        } else if ((r & 3) == 1 &&
                   push((me + 1 + (int)(r >> 40) % (NTHREADS - 1)) % NTHREADS, *b)) {
            b->p = NULL; /* another thread frees it */
        } else {
            verify(b, "freed block");
            mini_free(b->p);
            b->p = NULL;
        }
        if (op % 20000 == 0)
            mini_check_heap();
    }
    for (int i = 0; i < SLOTS; i++)
        if (live[i].p) {
            verify(&live[i], "final block");
            mini_free(live[i].p);
        }
    free(live);
    atomic_fetch_sub(&running, 1);
    /* Drain what others still send until every worker is done. */
    struct blk got;
    for (;;) {
        bool others = atomic_load(&running) > 0; /* read before the queue: nothing comes after */
        if (pop(me, &got)) {
            verify(&got, "late block");
            mini_free(got.p);
        } else if (others) {
            sched_yield();
        } else {
            break;
        }
    }
    return NULL;
}

TEST_BEGIN(test_threads_with_cross_thread_frees)
{
    ops_per_thread = (long)(400000 * t_scale());
    for (int i = 0; i < NTHREADS; i++)
        pthread_mutex_init(&queues[i].lock, NULL);
    atomic_store(&running, NTHREADS);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    expect_d_eq(atomic_load(&failures), 0, "pattern or allocation failures");
    for (int i = 0; i < NTHREADS; i++)
        expect_zu_eq(queues[i].len, 0, "queue %d drained", i);
    mini_check_heap();
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    expect_u64_eq(st.allocated, 0, "every block came back (thread caches flushed at thread exit)");
    expect_u64_eq(st.cached, 0, "");
    expect_u64_eq(st.large_count, 0, "");
    expect_u64_eq(st.nthreads, 0, "no thread cache left");
    expect_u64_eq(st.n_malloc, st.n_free, "every block handed out was taken back");
    expect_u64_ge(st.narenas, 1, "");
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, test_threads_with_cross_thread_frees);
}
