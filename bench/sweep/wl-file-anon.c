/*
 * wl-file-anon — a file and anonymous memory competing for one memory limit.
 *
 * Each of --passes passes rewrites --anon bytes of anonymous memory (blocks of --block bytes,
 * every 4 KiB page stamped with non-zero data; from pass 2 on each page is read back first)
 * and then reads the whole of --file with read(2) into a --buf byte buffer. The sweep generates
 * the file and drops its page cache before the run, so every pass's read charges page cache to
 * the workload's memory cgroup and the kernel must choose between file pages and anonymous
 * pages (vm.swappiness / memory.swappiness): the E5 experiment of KMODEL-SPEC.md 12.2.
 *
 * Exit 0 done; 1 with {"outcome":"enomem",...} when malloc returned NULL, or when the file
 * cannot be read; 3 a content mismatch; killed by SIGKILL when the OOM killer took it.
 */
#include "bench/workloads/wl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *file_path;

static int enomem(const char *what, uint64_t done)
{
    fprintf(stderr, "wl-file-anon: %s returned NULL after %llu bytes (ENOMEM)\n", what,
            (unsigned long long)done);
    wl_result_begin();
    wl_result_str("outcome", "enomem");
    wl_result_u64("enomem_after_bytes", done);
    wl_result_end();
    return 1;
}

/* Reads the whole file; returns the bytes read, or exits 1. */
static uint64_t read_file(char *buf, size_t len, unsigned *sum)
{
    int fd = open(file_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "wl-file-anon: %s: %s\n", file_path, strerror(errno));
        exit(1);
    }
    uint64_t total = 0;
    for (;;) {
        ssize_t r = read(fd, buf, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fprintf(stderr, "wl-file-anon: read %s: %s\n", file_path, strerror(errno));
            exit(1);
        }
        if (r == 0)
            break;
        *sum += (unsigned char)buf[r - 1];
        total += (uint64_t)r;
    }
    close(fd);
    return total;
}

int main(int argc, char **argv)
{
    uint64_t anon = 0, block = 64 * 1024, passes = 3, buflen = 128 * 1024;
    const struct wl_opt opts[] = {
        {"anon", WL_OPT_SIZE, &anon, 4096, 1024.0 * 1024 * 1024 * 1024, NULL,
         "anonymous bytes (default 192 MiB x --scale)"},
        {"block", WL_OPT_SIZE, &block, 4096, 1024.0 * 1024 * 1024, NULL,
         "block size (default 64 KiB)"},
        {"passes", WL_OPT_UINT, &passes, 1, 1000, NULL, "passes (default 3)"},
        {"buf", WL_OPT_SIZE, &buflen, 512, 64.0 * 1024 * 1024, NULL,
         "read(2) buffer size (default 128 KiB)"},
        {0},
    };
    const struct wl_spec spec = {
        .name = "file-anon",
        .summary = "File + anonymous mix: --passes passes that rewrite --anon bytes of\n"
                   "anonymous memory and read the whole --file with read(2). The file path\n"
                   "is given in the environment variable WL_FILE (the sweep generates it).",
        .ops_unit = "pages written+read",
        .opts = opts,
    };
    wl_init(argc, argv, &spec);
    file_path = getenv("WL_FILE");
    if (file_path == NULL || *file_path == '\0')
        wl_bad_usage("WL_FILE is not set (the file to read)");
    if (access(file_path, R_OK) != 0)
        wl_bad_usage("WL_FILE=%s: %s", file_path, strerror(errno));
    if (anon == 0)
        anon = wl_scaled(192.0 * 1024 * 1024, 4096);
    size_t n = (size_t)((anon + block - 1) / block);
    uint64_t pages_per_block = (block + WL_PAGE - 1) / WL_PAGE;

    struct wl_ctr c;
    wl_ctr_init(&c, 0, 1);
    void **b = wl_book_alloc(&c, n * sizeof(*b));
    char *buf = malloc(buflen);
    if (buf == NULL)
        return enomem("malloc(buf)", 0);
    wl_ctr_live(&c, (int64_t)buflen);

    wl_phase(BENCH_PHASE_RUN);
    uint64_t file_bytes = 0;
    unsigned sum = 0;
    for (uint64_t pass = 0; pass < passes; pass++) {
        for (size_t i = 0; i < n; i++) {
            if (pass == 0) {
                b[i] = malloc(block);
                if (b[i] == NULL)
                    return enomem("malloc", (uint64_t)i * block);
                wl_ctr_live(&c, (int64_t)block);
            } else {
                wl_check(b[i], block, wl_tag(pass - 1, i));
            }
            wl_fill(b[i], block, wl_tag(pass, i));
            wl_ctr_ops(&c, pages_per_block);
        }
        uint64_t got = read_file(buf, buflen, &sum);
        file_bytes += got;
        wl_ctr_ops(&c, got / WL_PAGE);
    }
    for (size_t i = 0; i < n; i++) {
        wl_free_block(&c, b[i], block, wl_tag(passes - 1, i));
    }
    free(buf);
    wl_ctr_live(&c, -(int64_t)buflen);
    wl_book_free(&c, b, n * sizeof(*b));

    wl_result_begin();
    wl_result_str("outcome", "ok");
    wl_result_u64("anon_bytes", anon);
    wl_result_u64("file_bytes_read", file_bytes);
    wl_result_u64("passes", passes);
    wl_result_u64("file_checksum", sum);
    wl_result_end();
    wl_done();
    return 0;
}
