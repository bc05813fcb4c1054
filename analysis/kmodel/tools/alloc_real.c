/*
 * alloc_real.c — build/bin/kmodel-alloc-real: the real half of input 2's comparison.
 *
 *   kmodel-alloc-real TRACE      replay TRACE through libmini over the real kernel (os.c) with
 *                                the same replayer as `kmodel --alloc-trace TRACE`, and print
 *                                one JSON object: the faults and anonymous RSS the replay cost
 *                                this process, and libmini's own counters (mini_stats_get)
 *
 * The replayer's writes are real (memset of each block when the trace says the program wrote
 * it), its reads read every page. The ID table is sized before the clock starts (the trace is
 * read twice) so that the replayer's own memory adds as few faults as possible; what remains
 * (thread stacks, stdio) is the expected difference from the model, a few pages.
 *
 * It runs without address-space randomisation (re-executes itself with ADDR_NO_RANDOMIZE unless
 * KMODEL_ALLOC_REAL_ASLR is set): libmini's decisions depend on the break's alignment.
 *
 * Options: --alloc-touch all|none as in kmodel. Exit status 0, 2 bad input, 3 host failure.
 */
#include "analysis/kmodel/replay.h"
#include "libmini/include/mini.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

static void real_touch(void *p, size_t len, bool write)
{
    if (write) {
        memset(p, 0xa5, len);
        return;
    }
    volatile const char *c = p;
    char sink = 0;
    for (size_t i = 0; i < len; i += 4096)
        sink ^= c[i];
    sink ^= c[len - 1];
    (void)sink;
}

static bool real_alive(void)
{
    return true;
}

static uint64_t status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return 0;
    char line[256];
    uint64_t v = 0;
    size_t kl = strlen(key);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':')
            v = strtoull(line + kl + 1, NULL, 10);
    fclose(f);
    return v;
}

static uint64_t minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)ru.ru_minflt;
}

static uint64_t f0, rss0;

/* The clock starts in the replaying thread, right before the first call. */
static void real_start(void)
{
    f0 = minflt();
    rss0 = status_kb("RssAnon");
}

int main(int argc, char **argv)
{
    /* Without address-space randomisation: libmini's choices depend on where the break starts
     * (brk heap alignment) and on what lies above a mapping (mremap in place), and a fixed
     * layout makes the run repeatable. Re-executed once with the personality set. */
    int pers = personality(0xffffffff);
    if (pers != -1 && !(pers & ADDR_NO_RANDOMIZE) && getenv("KMODEL_ALLOC_REAL_ASLR") == NULL &&
        personality((unsigned long)pers | ADDR_NO_RANDOMIZE) != -1) {
        execv("/proc/self/exe", argv);
        /* Not fatal: the run is still valid, only less repeatable. */
    }
    struct replay_env env = {real_touch, real_alive, NULL, NULL, real_start};
    struct replay_opts o = {.env = &env, .touch_all = true};
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--alloc-touch") == 0 && i + 1 < argc &&
            (strcmp(argv[i + 1], "all") == 0 || strcmp(argv[i + 1], "none") == 0)) {
            o.touch_all = strcmp(argv[++i], "all") == 0;
        } else if (argv[i][0] == '-' || path) {
            fprintf(stderr, "usage: kmodel-alloc-real [--alloc-touch all|none] TRACE\n");
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: kmodel-alloc-real [--alloc-touch all|none] TRACE\n");
        return 2;
    }
    /* glibc's malloc (the replayer's own) must not move the break under libmini's brk heap:
     * give its heap room now, and never let it trim or mmap. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 32 << 20);
    free(malloc(1024));
    FILE *in = fopen(path, "r");
    if (in == NULL) {
        fprintf(stderr, "kmodel-alloc-real: %s: %s\n", path, strerror(errno));
        return 2;
    }
    /* Lines bound the live blocks: size the table once, before the measurement. */
    uint64_t lines = 0;
    for (int c; (c = getc(in)) != EOF;)
        lines += c == '\n';
    rewind(in);
    o.name = path;
    o.expect_ids = lines + 1;
    char err[512] = "";
    struct replay_stats st;
    int rc = replay_alloc_trace(&o, in, &st, err, sizeof(err));
    uint64_t f1 = minflt(), rss1 = status_kb("RssAnon"), hwm = status_kb("VmHWM");
    fclose(in);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        return rc;
    }
    mini_stats_t ms;
    memset(&ms, 0, sizeof(ms));
    mini_stats_get(&ms, sizeof(ms));
    printf("{\"lines\": %" PRIu64 ", \"calls\": %" PRIu64 ", \"threads\": %" PRIu64
           ", \"failed\": %" PRIu64 ", \"peak_live_bytes\": %" PRIu64 ", \"minflt\": %" PRIu64
           ", \"rss_anon_kB_delta\": %" PRId64 ", \"vmhwm_kB\": %" PRIu64
           ", \"libmini_mapped\": %" PRIu64 ", \"libmini_peak_mapped\": %" PRIu64
           ", \"libmini_narenas\": %" PRIu64 ", \"libmini_n_brk\": %" PRIu64
           ", \"libmini_n_mmap\": %" PRIu64 ", \"libmini_n_munmap\": %" PRIu64
           ", \"libmini_n_mremap\": %" PRIu64 ", \"libmini_n_mprotect\": %" PRIu64
           ", \"libmini_n_madvise\": %" PRIu64 ", \"libmini_bytes_purged\": %" PRIu64
           ", \"libmini_bytes_trimmed\": %" PRIu64 "}\n",
           st.lines, st.calls, st.threads, st.failed, st.peak_live, f1 - f0,
           (int64_t)rss1 - (int64_t)rss0, hwm, ms.mapped, ms.peak_mapped, ms.narenas, ms.n_brk,
           ms.n_mmap, ms.n_munmap, ms.n_mremap, ms.n_mprotect, ms.n_madvise, ms.bytes_purged,
           ms.bytes_trimmed);
    return 0;
}
