/*
 * wl-anon-over — anonymous memory over a memory limit, written with non-zero data.
 *
 * The sweep (bench/sweep/) runs it in a memory cgroup whose limit is below --bytes. Pass 1
 * allocates --bytes in blocks of --block bytes (64 KiB by default: below every allocator's mmap
 * threshold, so the blocks come from the allocator's heap) and stamps every 4 KiB page of each
 * block with its pattern (wl_fill: non-zero words, so that the kernel's zeromap cannot skip
 * the swap write). Passes 2..--passes read every page back (wl_check: a swapped-out page is
 * faulted in) and stamp it with the next pattern. Then everything is freed.
 *
 * Outcomes the sweep tells apart: exit 0 done; exit 1 with {"outcome":"enomem",...} on stdout
 * when malloc returned NULL (overcommit refused); killed by SIGKILL (the OOM killer); exit 3 a
 * content mismatch (a page came back from swap wrong). Live bytes in the shm channel are the
 * bytes allocated so far, so the sweep knows how far a killed run got.
 */
#include "bench/workloads/wl.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    uint64_t bytes = 0, block = 64 * 1024, passes = 3;
    const struct wl_opt opts[] = {
        {"bytes", WL_OPT_SIZE, &bytes, 4096, 1024.0 * 1024 * 1024 * 1024, NULL,
         "bytes to allocate and write (default 512 MiB x --scale)"},
        {"block", WL_OPT_SIZE, &block, 4096, 1024.0 * 1024 * 1024, NULL,
         "block size (default 64 KiB)"},
        {"passes", WL_OPT_UINT, &passes, 1, 1000, NULL, "write passes (default 3)"},
        {0},
    };
    const struct wl_spec spec = {
        .name = "anon-over",
        .summary = "Anonymous memory over a memory limit: allocate --bytes in --block blocks,\n"
                   "write every page with non-zero data, then --passes - 1 passes that read\n"
                   "every page back and rewrite it. Meant to run in a memory cgroup.",
        .ops_unit = "pages written",
        .opts = opts,
    };
    wl_init(argc, argv, &spec);
    if (bytes == 0)
        bytes = wl_scaled(512.0 * 1024 * 1024, 4096);
    size_t n = (size_t)((bytes + block - 1) / block);

    struct wl_ctr c;
    wl_ctr_init(&c, 0, 1);
    void **b = wl_book_alloc(&c, n * sizeof(*b));
    uint64_t pages_per_block = (block + WL_PAGE - 1) / WL_PAGE;

    wl_phase(BENCH_PHASE_RUN);
    for (size_t i = 0; i < n; i++) {
        b[i] = malloc(block);
        if (b[i] == NULL) {
            fprintf(stderr, "wl-anon-over: malloc(%llu) returned NULL after %llu bytes (ENOMEM)\n",
                    (unsigned long long)block, (unsigned long long)(i * block));
            wl_result_begin();
            wl_result_str("outcome", "enomem");
            wl_result_u64("enomem_after_bytes", (uint64_t)(i * block));
            wl_result_end();
            return 1;
        }
        wl_fill(b[i], block, wl_tag(0, i));
        wl_ctr_live(&c, (int64_t)block);
        wl_ctr_ops(&c, pages_per_block);
    }
    for (uint64_t pass = 1; pass < passes; pass++)
        for (size_t i = 0; i < n; i++) {
            wl_check(b[i], block, wl_tag(pass - 1, i));
            wl_fill(b[i], block, wl_tag(pass, i));
            wl_ctr_ops(&c, pages_per_block);
        }
    for (size_t i = 0; i < n; i++) {
        wl_free_block(&c, b[i], block, wl_tag(passes - 1, i));
    }
    wl_book_free(&c, b, n * sizeof(*b));

    wl_result_begin();
    wl_result_str("outcome", "ok");
    wl_result_u64("bytes", bytes);
    wl_result_u64("block", block);
    wl_result_u64("passes", passes);
    wl_result_end();
    wl_done();
    return 0;
}
