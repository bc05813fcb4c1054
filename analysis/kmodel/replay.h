/*
 * replay.h — input 2: an allocation trace replayed through libmini (replay.c).
 *
 * The replayer only calls libmini's mini_* API and the three functions of a replay_env, so
 * the same code runs over the model (kmodel --alloc-trace: the env is os_sim.c's) and over the
 * real kernel (build/bin/kmodel-alloc-real, the other half of the comparison: the env writes
 * and reads the blocks for real).
 *
 * Trace format (README.md, "Input 2"), one call per line, numbers decimal or 0x-hex:
 *   [@TID] m ID SIZE          malloc            [@TID] f ID               free (ID 0: free(NULL))
 *   [@TID] c ID NMEMB SIZE    calloc            [@TID] t PAD              malloc_trim
 *   [@TID] a ID ALIGN SIZE    memalign          [@TID] w ID OFFSET LEN    the program writes
 *   [@TID] r OLD NEW SIZE     realloc           [@TID] R ID OFFSET LEN    the program reads
 */
#ifndef KMODEL_REPLAY_H
#define KMODEL_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct replay_env {
    /* The program accessed [p, p + len) (write: true for a write). */
    void (*touch)(void *p, size_t len, bool write);
    /* False once the process is gone (OOM-killed in the model): the replay stops. */
    bool (*alive)(void);
    /* Account pages the allocator wrote that no touch covered; returns how many (may be NULL). */
    uint64_t (*sync)(void);
    /* Account what the allocator wrote in [p, p + len) (the pages of a block's header and of
     * the next block's, after each call); returns the pages found (may be NULL). */
    uint64_t (*probe)(void *p, size_t len);
    /* Called once, in the replaying thread, just before the first call (may be NULL). */
    void (*start)(void);
};

struct replay_opts {
    const char *name; /* for messages: "file:line: ..." */
    const struct replay_env *env;
    bool touch_all;      /* the program writes every block it gets, whole (default) */
    uint64_t sync_every; /* calls between env->sync() (0: only at the end) */
    uint64_t expect_ids; /* size the ID table for this many live blocks up front (0: grow) */
};

struct replay_stats {
    uint64_t lines, calls, threads;
    uint64_t failed;              /* allocations that returned NULL */
    uint64_t skipped;             /* uses of such blocks, skipped */
    uint64_t peak_live, live_end; /* bytes asked for and not freed */
    uint64_t synced_pages;        /* what env->sync() found */
    uint64_t killed_line;         /* the line at which the process was gone, or 0 */
};

/* Replay the trace; 0, 2 bad input ("file:line: msg" in err), 3 host failure. */
int replay_alloc_trace(const struct replay_opts *o, FILE *in, struct replay_stats *st, char *err,
                       size_t errlen);

#endif
