/*
 * wl-prodcons — producer/consumer with cross-thread frees.
 *
 * Of --threads T (default 2) threads, ceil(T/2) produce and floor(T/2) consume. A producer
 * allocates messages of 16..4096 bytes (log-uniform, about 1 KiB on average), fills each with
 * its pattern and pushes it into its own single-producer ring of 1024 entries; consumer j serves
 * the rings of producers j, j + C, ... and checks and frees every message it pops. Every free is
 * therefore a free of a block that another thread allocated: the remote-free path (glibc takes
 * the owning arena's lock, jemalloc and tcmalloc flush through their thread caches to the
 * owning bin, mimalloc uses its delayed free lists). 6 million messages at scale 1.0; at most
 * 1024 messages per ring are in flight, so live bytes stay around 1 MiB per producer and return
 * to 0 at the end.
 */
#include "bench/workloads/wl.h"

#include <sched.h>
#include <stdlib.h>

#define RING 1024 /* a power of two */

struct msg {
    void *p;
    uint32_t size;
    uint32_t tag;
};

struct ring {
    _Alignas(64) _Atomic uint64_t head; /* next slot the producer writes */
    _Alignas(64) _Atomic uint64_t tail; /* next slot the consumer reads */
    _Alignas(64) _Atomic int done;      /* the producer has pushed everything */
    _Alignas(64) struct msg slot[RING];
};

struct worker {
    int idx;        /* thread index: producers 0..P-1, consumers P..T-1 */
    int role_idx;   /* index among producers or among consumers */
    uint64_t count; /* messages to produce (producers) */
};

static struct ring *rings;
static int nprod, ncons;

static void relax(unsigned *spins)
{
    if (++*spins < 64) {
        __builtin_ia32_pause();
        return;
    }
    *spins = 0;
    sched_yield();
}

static void *producer(void *arg)
{
    struct worker *w = arg;
    struct ring *q = &rings[w->role_idx];
    struct wl_ctr c;
    struct wl_rng r;
    wl_ctr_init(&c, w->idx, wl.threads);
    wl_rng_init(&r, (uint64_t)w->idx);
    uint64_t head = 0, tail_seen = 0;
    for (uint64_t k = 0; k < w->count; k++) {
        size_t n = wl_rng_logsize(&r, 16, 4096);
        struct msg m = {wl_alloc_block(&c, n, wl_tag((uint64_t)w->idx, k)), (uint32_t)n,
                        (uint32_t)k};
        unsigned spins = 0;
        while (head - tail_seen >= RING) {
            tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
            if (head - tail_seen >= RING)
                relax(&spins);
        }
        q->slot[head % RING] = m;
        atomic_store_explicit(&q->head, ++head, memory_order_release);
    }
    atomic_store_explicit(&q->done, 1, memory_order_release);
    return NULL;
}

static void *consumer(void *arg)
{
    struct worker *w = arg;
    struct wl_ctr c;
    wl_ctr_init(&c, w->idx, wl.threads);
    int mine = 0;
    for (int i = w->role_idx; i < nprod; i += ncons)
        mine++;
    uint64_t tails[256] = {0};
    unsigned spins = 0;
    while (mine > 0) {
        bool got = false;
        for (int i = w->role_idx; i < nprod; i += ncons) {
            struct ring *q = &rings[i];
            uint64_t t = tails[i];
            if (t == UINT64_MAX)
                continue;
            int done = atomic_load_explicit(&q->done, memory_order_acquire);
            uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
            if (t == head) {
                if (done) {
                    tails[i] = UINT64_MAX;
                    mine--;
                }
                continue;
            }
            /* Take what is there, then publish the new tail once. */
            for (; t != head; t++) {
                struct msg m = q->slot[t % RING];
                wl_free_block(&c, m.p, m.size, wl_tag((uint64_t)i, m.tag));
                wl_ctr_ops(&c, 1);
            }
            atomic_store_explicit(&q->tail, t, memory_order_release);
            tails[i] = t;
            got = true;
        }
        if (got)
            spins = 0;
        else
            relax(&spins);
    }
    return NULL;
}

static void *start(void *arg)
{
    struct worker *w = arg;
    return w->idx < nprod ? producer(arg) : consumer(arg);
}

int main(int argc, char **argv)
{
    static const struct wl_spec spec = {
        .name = "prodcons",
        .summary = "Producer/consumer with cross-thread frees: ceil(T/2) producers allocate\n"
                   "16..4096-byte messages and pass them through rings to floor(T/2) consumers,\n"
                   "which check and free them; 6 million messages at scale 1.0.",
        .ops_unit = "messages",
        .flags = WL_OPT_THREADS,
        .threads_default = 2,
    };
    wl_init(argc, argv, &spec);
    if (wl.threads < 2)
        wl_bad_usage("--threads must be at least 2 (one producer, one consumer)");
    nprod = (wl.threads + 1) / 2;
    ncons = wl.threads / 2;
    uint64_t total = wl_scaled(6e6, (uint64_t)nprod);

    /* The rings are bookkeeping: counted as live bytes by thread 0's slot before it starts. */
    struct wl_ctr c;
    wl_ctr_init(&c, 0, wl.threads);
    size_t rings_size = sizeof(struct ring) * (size_t)nprod;
    void *raw = wl_book_alloc(&c, rings_size + 64);
    rings = (struct ring *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);

    struct worker w[256];
    for (int i = 0; i < wl.threads; i++) {
        w[i].idx = i;
        w[i].role_idx = i < nprod ? i : i - nprod;
        w[i].count =
            i < nprod ? total / (uint64_t)nprod + ((uint64_t)i < total % (uint64_t)nprod) : 0;
    }
    wl_phase(BENCH_PHASE_RUN);
    wl_run_threads(wl.threads, start, w, sizeof(w[0]));

    wl_ctr_init(&c, 0, wl.threads);
    wl_book_free(&c, raw, rings_size + 64);
    wl_result_begin();
    wl_result_u64("producers", (uint64_t)nprod);
    wl_result_u64("consumers", (uint64_t)ncons);
    wl_result_end();
    wl_done();
    return 0;
}
