/*
 * benchproto.h — the channel between the bench runner and a workload program.
 *
 * The runner creates a memfd of sizeof(struct bench_shm) bytes, zero-filled, and passes its
 * file descriptor in the environment variable MINI_BENCH_SHM. A workload maps it (see
 * bench_shm_attach) and keeps its counters up to date with relaxed atomic stores; the runner
 * reads them whenever it samples the workload's RSS from /proc, so that live bytes and RSS are
 * taken at the same moment, for every allocator alike. Without MINI_BENCH_SHM a workload runs
 * the same and reports to a private page.
 *
 *   live bytes  bytes the workload has requested and not yet freed (sum over the slots);
 *               allocator-independent, so fragmentation = heap RSS / live bytes is comparable.
 *   ops         operations done, in the unit the workload names (ops_unit).
 *   phase       what the workload is doing (enum bench_phase). A workload that measures reclaim
 *               sets BENCH_PHASE_FREED after its free phase and then stays idle for
 *               `idle_ms` (>= 5000 by default) so that the runner can read RSS at once, after 1 s
 *               and after 5 s; it then asks its allocator to trim, sets BENCH_PHASE_TRIMMED and
 *               idles `trim_idle_ms` more, and goes on.
 *
 * Threads take a slot each (bench_slot) so that counting costs no shared cache line; threads
 * past BENCH_SLOTS share slots with atomic adds. The struct lives in one 4 KiB page, which the
 * kernel counts as RssShmem, not RssAnon.
 *
 * Besides `phase_ns` (CLOCK_MONOTONIC ns of the last change), a workload adds the time it spent
 * in a phase to `phase_total_ns[PHASE]` when it leaves it, so that the runner knows the time
 * spent in RUN even for RUN periods it never saw while sampling (shorter than its interval, or
 * a second RUN after TRIMMED). All zero: the workload does not keep them (the runner then times
 * RUN from the phase changes it saw).
 */
#ifndef BENCH_PROTO_H
#define BENCH_PROTO_H

#include <stdatomic.h>
#include <stdint.h>

#define BENCH_SHM_ENV     "MINI_BENCH_SHM"
#define BENCH_SHM_MAGIC   0x6c6962656e636831ULL /* "libench1" */
#define BENCH_SHM_VERSION 1
#define BENCH_SLOTS       48

enum bench_phase {
    BENCH_PHASE_INIT = 0,    /* started, not yet measuring */
    BENCH_PHASE_RUN = 1,     /* the measured work */
    BENCH_PHASE_FREED = 2,   /* free phase done; idling for the reclaim readings */
    BENCH_PHASE_TRIMMED = 3, /* the allocator's trim was called; idling */
    BENCH_PHASE_DONE = 4,    /* finished; about to exit */
    BENCH_NPHASES = 5
};

struct bench_slot {
    _Atomic int64_t live_bytes;
    _Atomic uint64_t ops;
    char pad_[48];
};

struct bench_shm {
    uint64_t magic;   /* BENCH_SHM_MAGIC, set by the workload once attached */
    uint32_t version; /* BENCH_SHM_VERSION */
    _Atomic uint32_t phase;
    _Atomic uint64_t phase_ns; /* CLOCK_MONOTONIC ns of the last phase change */
    _Atomic uint32_t idle_ms;  /* how long the workload idles in FREED (set by the workload) */
    _Atomic uint32_t trim_idle_ms;
    char workload[32]; /* the workload's name */
    char ops_unit[24]; /* e.g. "malloc+free pairs" */
    char pad_[24];
    struct bench_slot slot[BENCH_SLOTS];
    _Atomic uint64_t phase_total_ns[BENCH_NPHASES]; /* ns spent in each phase (left ones) */
};

_Static_assert(sizeof(struct bench_shm) <= 4096, "bench_shm must fit in one page");

#endif /* BENCH_PROTO_H */
