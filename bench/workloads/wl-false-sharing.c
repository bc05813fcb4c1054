/*
 * wl-false-sharing — false sharing between threads, caused or not by the allocator.
 *
 * Two parts (--mode active|passive|both, default both), after Hoard's cache-thrash and
 * cache-scratch benchmarks. In each round a thread allocates a small object (--object-size,
 * 16 bytes by default), fills it, reads and writes every byte of it about 2000 times in all
 * (volatile read-modify-writes that leave the pattern as it was, so it is checked afterwards),
 * and frees it; 400000 rounds per thread at scale 1.0, --threads T (default 2) at once.
 *   active   the threads allocate concurrently: an allocator that hands consecutive small blocks
 *            of one cache line to different threads makes the writes ping-pong that line.
 *   passive  the main thread first allocates one object per thread, back to back (so they share
 *            a cache line), and hands object i to thread i, which frees it before its rounds: an
 *            allocator that keeps a freed block in the freeing thread's cache gives it back to
 *            that thread, and the false sharing lasts through every round.
 * Time is the result (each part's seconds are in the result line); memory stays tiny.
 */
#include "bench/workloads/wl.h"

#include <pthread.h>
#include <stdlib.h>

enum { MODE_ACTIVE, MODE_PASSIVE, MODE_BOTH };

struct worker {
    int idx;
    void *given; /* passive: the object the main thread allocated for it */
    uint64_t rounds;
};

static uint64_t objsize = 16;
static uint64_t passes; /* read-modify-write passes over the object per round (even) */
static pthread_barrier_t start_line;
static uint64_t shared_lines; /* passive: given objects that share a 64-byte line with another */

/* Reads and writes every byte `passes` times; an even number of XORs leaves it unchanged. */
static void hammer(void *p, size_t n)
{
    volatile unsigned char *v = p;
    for (uint64_t k = 0; k < passes; k++)
        for (size_t i = 0; i < n; i++)
            v[i] ^= 0x5a;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct wl_ctr c;
    wl_ctr_init(&c, w->idx, wl.threads);
    uint64_t stream = (uint64_t)w->idx + 1;
    pthread_barrier_wait(&start_line);
    if (w->given) {
        /* The main thread counted it; the freeing thread subtracts it. */
        wl_free_block(&c, w->given, objsize, wl_tag(0, (uint64_t)w->idx));
    }
    for (uint64_t k = 0; k < w->rounds; k++) {
        void *p = wl_alloc_block(&c, objsize, wl_tag(stream, k));
        hammer(p, objsize);
        wl_free_block(&c, p, objsize, wl_tag(stream, k));
        wl_ctr_ops(&c, 1);
    }
    return NULL;
}

static double run_part(bool passive, struct worker *w, uint64_t rounds)
{
    struct wl_ctr c;
    wl_ctr_init(&c, 0, wl.threads);
    for (int i = 0; i < wl.threads; i++) {
        w[i].idx = i;
        w[i].rounds = rounds;
        w[i].given = NULL;
    }
    if (passive) {
        for (int i = 0; i < wl.threads; i++) {
            w[i].given = wl_alloc_block(&c, objsize, wl_tag(0, (uint64_t)i));
        }
        /* What the allocator did: how many objects start in a cache line that another object
         * of this batch touches (a 16-byte object never spans two lines when 16-aligned). */
        for (int i = 0; i < wl.threads; i++) {
            uintptr_t a0 = (uintptr_t)w[i].given / 64,
                      a1 = ((uintptr_t)w[i].given + objsize - 1) / 64;
            for (int k = 0; k < wl.threads; k++) {
                uintptr_t b0 = (uintptr_t)w[k].given / 64;
                uintptr_t b1 = ((uintptr_t)w[k].given + objsize - 1) / 64;
                if (k != i && a0 <= b1 && b0 <= a1) {
                    shared_lines++;
                    break;
                }
            }
        }
    }
    pthread_barrier_init(&start_line, NULL, (unsigned)wl.threads);
    uint64_t t0 = wl_now_ns();
    wl_run_threads(wl.threads, worker_main, w, sizeof(w[0]));
    pthread_barrier_destroy(&start_line);
    return (double)(wl_now_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
    int mode = MODE_BOTH;
    const struct wl_opt opts[] = {
        {"mode", WL_OPT_CHOICE, &mode, 0, 0, "active|passive|both",
         "active (concurrent allocation), passive (objects handed out), both (default)"},
        {"object-size", WL_OPT_SIZE, &objsize, 1, 4096, NULL, "bytes per object (default 16)"},
        {0},
    };
    const struct wl_spec spec = {
        .name = "false-sharing",
        .summary = "False sharing between threads (Hoard's cache-thrash and cache-scratch): each\n"
                   "thread allocates a small object, hammers it (~2000 read-modify-writes) and\n"
                   "frees it, 400000 rounds per thread at scale 1.0; in the passive part the\n"
                   "objects first come from the main thread, allocated back to back.",
        .ops_unit = "alloc+write+free rounds",
        .flags = WL_OPT_THREADS,
        .threads_default = 2,
        .opts = opts,
    };
    wl_init(argc, argv, &spec);
    passes = 2000 / objsize;
    passes += passes & 1; /* even, so that the XORs cancel out */
    if (passes < 2)
        passes = 2;
    uint64_t rounds = wl_scaled(400000, 1);

    struct worker w[256];
    double active_s = 0, passive_s = 0;
    wl_phase(BENCH_PHASE_RUN);
    if (mode != MODE_PASSIVE)
        active_s = run_part(false, w, rounds);
    if (mode != MODE_ACTIVE)
        passive_s = run_part(true, w, rounds);

    wl_result_begin();
    wl_result_u64("object_size", objsize);
    wl_result_u64("writes_per_round", passes * objsize);
    if (mode != MODE_PASSIVE)
        wl_result_f("active_seconds", active_s);
    if (mode != MODE_ACTIVE) {
        wl_result_f("passive_seconds", passive_s);
        wl_result_u64("passive_objects_sharing_a_line", shared_lines);
    }
    wl_result_end();
    wl_done();
    return 0;
}
