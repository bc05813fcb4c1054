/*
 * wl-server-sim — a server simulation: several threads, random sizes and lifetimes.
 *
 * --threads T workers (default 2) each handle their share of 2.5 million requests (scale 1.0).
 * A request first frees what other workers sent it (its inbox), then allocates a request
 * buffer (64..2048 bytes), 1..8 parsed fields (16..512 bytes) and a response (256 bytes..64 KiB
 * log-uniform, or 64..512 KiB for 2 % of them, across the usual 128 KiB mmap threshold), fills
 * them, checks and frees the request and its fields, and then the response either
 *   - goes into the worker's session cache of 2048 entries (30 %), replacing a random entry,
 *     so cached responses live for a random, long time (about 70 MiB live in all at 2 threads),
 *   - is sent to another worker's inbox (10 %), which frees it: a cross-thread free,
 *   - or is checked and freed at once.
 * Sizes and lifetimes are random with a fixed seed per worker. At the end the workers drain
 * their inboxes and caches, so live bytes return to 0.
 */
#include "bench/workloads/wl.h"

#include <pthread.h>
#include <stdlib.h>

#define CACHE     2048
#define INBOX     1024
#define MAXFIELDS 8

struct blk {
    void *p;
    uint32_t size;
    uint32_t tag;
    uint64_t stream; /* the thread that filled it */
};

struct inbox {
    pthread_mutex_t lock;
    uint32_t n;
    struct blk m[INBOX];
};

struct worker {
    int idx;
    uint64_t requests;
    struct inbox *in;
    struct blk *cache;
};

static struct worker *workers;
static pthread_barrier_t drained;

static void check_free(struct wl_ctr *c, const struct blk *b)
{
    wl_free_block(c, b->p, b->size, wl_tag(b->stream, b->tag));
}

static struct blk new_blk(struct wl_ctr *c, uint64_t stream, uint32_t *next_tag, size_t n)
{
    struct blk b = {wl_alloc_block(c, n, wl_tag(stream, *next_tag)), (uint32_t)n, *next_tag,
                    stream};
    (*next_tag)++;
    return b;
}

static void drain(struct wl_ctr *c, struct inbox *in)
{
    static _Thread_local struct blk local[INBOX];
    pthread_mutex_lock(&in->lock);
    uint32_t n = in->n;
    for (uint32_t i = 0; i < n; i++)
        local[i] = in->m[i];
    in->n = 0;
    pthread_mutex_unlock(&in->lock);
    for (uint32_t i = 0; i < n; i++)
        check_free(c, &local[i]);
}

static bool send(struct inbox *in, const struct blk *b)
{
    pthread_mutex_lock(&in->lock);
    bool ok = in->n < INBOX;
    if (ok)
        in->m[in->n++] = *b;
    pthread_mutex_unlock(&in->lock);
    return ok;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct wl_ctr c;
    struct wl_rng r;
    wl_ctr_init(&c, w->idx, wl.threads);
    wl_rng_init(&r, (uint64_t)w->idx);
    uint64_t stream = (uint64_t)w->idx;
    uint32_t tag = 0;
    struct blk fields[MAXFIELDS];

    for (uint64_t q = 0; q < w->requests; q++) {
        drain(&c, w->in);
        struct blk req = new_blk(&c, stream, &tag, wl_rng_logsize(&r, 64, 2048));
        int nf = (int)wl_rng_range(&r, 1, MAXFIELDS);
        for (int i = 0; i < nf; i++)
            fields[i] = new_blk(&c, stream, &tag, wl_rng_logsize(&r, 16, 512));
        size_t rs = wl_rng_below(&r, 100) < 2 ? wl_rng_logsize(&r, 65536, 524288)
                                              : wl_rng_logsize(&r, 256, 65536);
        struct blk resp = new_blk(&c, stream, &tag, rs);
        /* The fields die in a random order, then the request. */
        for (int i = nf; i > 0; i--) {
            int k = (int)wl_rng_below(&r, (uint64_t)i);
            check_free(&c, &fields[k]);
            fields[k] = fields[i - 1];
        }
        check_free(&c, &req);

        uint64_t u = wl_rng_below(&r, 100);
        if (u < 30) {
            struct blk *slot = &w->cache[wl_rng_below(&r, CACHE)];
            if (slot->p)
                check_free(&c, slot);
            *slot = resp;
        } else if (u < 40 && wl.threads > 1) {
            int to = (int)wl_rng_below(&r, (uint64_t)wl.threads - 1);
            to += to >= w->idx;
            if (!send(workers[to].in, &resp))
                check_free(&c, &resp);
        } else {
            check_free(&c, &resp);
        }
        wl_ctr_ops(&c, 1);
    }
    /* Nobody sends after this barrier; then each worker frees what it holds. */
    pthread_barrier_wait(&drained);
    drain(&c, w->in);
    for (int i = 0; i < CACHE; i++)
        if (w->cache[i].p)
            check_free(&c, &w->cache[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct wl_spec spec = {
        .name = "server-sim",
        .summary = "Server simulation: T workers handle 2.5 million requests (scale 1.0), each a\n"
                   "request buffer, 1..8 fields and a response of 256 B..512 KiB; responses are\n"
                   "cached (random long lifetime), sent to another worker to free, or freed.",
        .ops_unit = "requests",
        .flags = WL_OPT_THREADS,
        .threads_default = 2,
    };
    wl_init(argc, argv, &spec);
    uint64_t total = wl_scaled(2.5e6, (uint64_t)wl.threads);
    int nt = wl.threads;

    /* Bookkeeping (inboxes, caches) comes from the allocator and counts as live bytes. */
    struct wl_ctr c;
    wl_ctr_init(&c, 0, nt);
    size_t book = sizeof(struct worker) * (size_t)nt +
                  (sizeof(struct inbox) + sizeof(struct blk) * CACHE) * (size_t)nt;
    char *mem = wl_book_alloc(&c, book);
    workers = (struct worker *)mem;
    char *at = mem + sizeof(struct worker) * (size_t)nt;
    for (int i = 0; i < nt; i++) {
        workers[i].idx = i;
        workers[i].requests = total / (uint64_t)nt + ((uint64_t)i < total % (uint64_t)nt);
        workers[i].in = (struct inbox *)at;
        pthread_mutex_init(&workers[i].in->lock, NULL);
        at += sizeof(struct inbox);
        workers[i].cache = (struct blk *)at;
        at += sizeof(struct blk) * CACHE;
    }
    pthread_barrier_init(&drained, NULL, (unsigned)nt);

    wl_phase(BENCH_PHASE_RUN);
    wl_run_threads(nt, worker_main, workers, sizeof(workers[0]));

    pthread_barrier_destroy(&drained);
    wl_ctr_init(&c, 0, nt);
    wl_book_free(&c, mem, book);
    wl_result_begin();
    wl_result_end();
    wl_done();
    return 0;
}
