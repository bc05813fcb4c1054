/*
 * wl-overask — "what happens when a process asks for 8 GB on a 4 GB machine" (seed question 5).
 *
 * One malloc(--ask) — one request, as in the question — then, with --touch all, one non-zero
 * write per 4 KiB page of it (the pages become resident and may be swapped; live bytes in the
 * shm channel count the bytes touched so far, so the sweep knows how far a killed run got),
 * and free. With --touch none the memory is never used: only the address space and (in
 * overcommit mode 2) the commit charge are taken.
 *
 * Outcomes: exit 0 done ({"outcome":"ok"}); exit 1 with {"outcome":"enomem"} when malloc
 * returned NULL (overcommit refused the request: mode 2 beyond CommitLimit, mode 0 beyond
 * RAM + swap); killed by SIGKILL when the OOM killer took it while it touched the memory.
 * The sweep asks 2 x the memory cgroup's limit (the cgroup plays the 4 GB machine) or 2 x the
 * machine's RAM (the overcommit heuristics look at the whole machine).
 */
#include "bench/workloads/wl.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    uint64_t ask = 0;
    int touch = 1;
    const struct wl_opt opts[] = {
        {"ask", WL_OPT_SIZE, &ask, 4096, 1024.0 * 1024 * 1024 * 1024 * 64, NULL,
         "bytes asked for in one malloc (default 8 GiB x --scale)"},
        {"touch", WL_OPT_CHOICE, &touch, 0, 0, "none|all", "write every page (all) or none"},
        {0},
    };
    const struct wl_spec spec = {
        .name = "overask",
        .summary = "One malloc(--ask) (8 GiB x --scale by default), every page written once\n"
                   "(--touch all) or never (--touch none), then free.",
        .ops_unit = "pages touched",
        .opts = opts,
    };
    wl_init(argc, argv, &spec);
    if (ask == 0)
        ask = wl_scaled(8.0 * 1024 * 1024 * 1024, 4096);

    struct wl_ctr c;
    wl_ctr_init(&c, 0, 1);
    wl_phase(BENCH_PHASE_RUN);
    uint64_t t0 = wl_now_ns();
    volatile char *p = malloc(ask);
    uint64_t malloc_ns = wl_now_ns() - t0;
    if (p == NULL) {
        fprintf(stderr, "wl-overask: malloc(%llu) returned NULL (ENOMEM)\n",
                (unsigned long long)ask);
        wl_result_begin();
        wl_result_str("outcome", "enomem");
        wl_result_u64("ask", ask);
        wl_result_u64("malloc_ns", malloc_ns);
        wl_result_end();
        return 1;
    }
    uint64_t touched = 0;
    if (touch == 1) {
        /* One byte per page, never zero; live bytes move every 256 pages (1 MiB). */
        for (uint64_t off = 0; off < ask; off += WL_PAGE) {
            p[off] = (char)(1 + (off >> 12) % 251);
            if (((off >> 12) & 255) == 255 || off + WL_PAGE >= ask) {
                uint64_t now = off + WL_PAGE < ask ? off + WL_PAGE : ask;
                wl_ctr_live(&c, (int64_t)(now - touched));
                wl_ctr_ops(&c, (now - touched + WL_PAGE - 1) / WL_PAGE);
                touched = now;
            }
        }
    }
    free((void *)p);
    wl_ctr_live(&c, -(int64_t)touched);

    wl_result_begin();
    wl_result_str("outcome", "ok");
    wl_result_u64("ask", ask);
    wl_result_u64("touched_bytes", touched);
    wl_result_u64("malloc_ns", malloc_ns);
    wl_result_end();
    wl_done();
    return 0;
}
