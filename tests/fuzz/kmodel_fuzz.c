/*
 * kmodel_fuzz.c — a deterministic random-mutation fuzzer of the kernel model's input parsers
 * (scenario language, perf traces, calibration JSON), run under ASan + UBSan as a test.
 *
 * Seeds: the scenarios in analysis/kmodel/scenarios (and known/), plus snippets of each input
 * kind. Each iteration mutates a seed (flip bytes, insert dictionary words or random bytes,
 * delete or duplicate spans, splice two seeds), parses it, and when it parses runs it on a
 * small machine with a bounded number of page touches. Any crash, sanitizer report or hang
 * (the test's timeout) is a failure; parse errors are expected and must be one line.
 *
 *   kmodel_fuzz [ITERATIONS] [SEED]      (MINI_TEST_SEED also sets the seed)
 */
#include "analysis/kmodel/kmodel.h"
#include "tests/harness.h"

#include <dirent.h>

#define MAX_SEEDS 128
#define MAX_LEN   16384

static char *seeds[MAX_SEEDS];
static size_t seed_len[MAX_SEEDS];
static int nseeds;

static const char *const dict[] = {
    "machine ",
    "ram=",
    "swap=",
    "cpus=",
    "process ",
    "mmap ",
    "munmap ",
    "mprotect ",
    "madvise ",
    "mremap ",
    "sbrk ",
    "touch ",
    "read ",
    "fork ",
    "exit",
    "repeat ",
    "end",
    "cgroup ",
    "limit=",
    "memsw=",
    "swappiness=",
    "file ",
    "expect ",
    "expect=",
    "sysctl ",
    "vm.overcommit_memory=",
    "vm.swappiness=",
    "4K",
    "2M",
    "1G",
    "16T",
    "0x7f0000000000",
    "-1",
    "write",
    "read",
    "rw",
    "zero",
    "dontneed",
    "free",
    "hugepage",
    "pageout",
    "populate",
    "noreserve",
    "shared",
    "fixed=",
    "align=",
    "prot=",
    "none",
    "\n",
    " ",
    "#",
    "=",
    "p ",
    "a ",
    "print",
    "sleep 1ms",
    "drop_caches",
    "oom_score_adj ",
    "thp=always",
    "killed",
    "ENOMEM",
    "==",
    "PERF_RECORD_MMAP2 ",
    "[0x",
    "(0x",
    ") @ ",
    "]: rw-p ",
    "//anon",
    "{",
    "}",
    "\"",
    ":",
    ",",
    "9999999999999999999",
    "0.5",
    "1e308",
};

static void add_seed(const char *text, size_t len)
{
    if (nseeds == MAX_SEEDS || len > MAX_LEN)
        return;
    seeds[nseeds] = malloc(len + 1);
    memcpy(seeds[nseeds], text, len);
    seeds[nseeds][len] = '\0';
    seed_len[nseeds++] = len;
}

static void load_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".scen") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        char buf[MAX_LEN];
        size_t len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        add_seed(buf, len);
    }
    closedir(d);
}

static uint64_t rng;

static size_t mutate(char *buf, size_t len, size_t cap)
{
    int rounds = 1 + (int)(test_rand_next(&rng) % 6);
    for (int r = 0; r < rounds; r++) {
        uint64_t x = test_rand_next(&rng);
        size_t pos = len ? (size_t)(x >> 8) % (len + 1) : 0;
        switch (x % 7) {
        case 0: /* flip a byte */
            if (len)
                buf[pos % len] ^= (char)(1u << ((x >> 40) % 8));
            break;
        case 1: /* random byte */
            if (len)
                buf[pos % len] = (char)(x >> 32);
            break;
        case 2: { /* insert a dictionary word */
            const char *w = dict[(x >> 20) % (sizeof(dict) / sizeof(dict[0]))];
            size_t wl = strlen(w);
            if (len + wl < cap) {
                memmove(buf + pos + wl, buf + pos, len - pos);
                memcpy(buf + pos, w, wl);
                len += wl;
            }
            break;
        }
        case 3: { /* delete a span */
            size_t n = (size_t)(x >> 40) % 64;
            if (pos + n > len)
                n = len - pos;
            memmove(buf + pos, buf + pos + n, len - pos - n);
            len -= n;
            break;
        }
        case 4: { /* duplicate a span */
            size_t n = (size_t)(x >> 40) % 128;
            if (pos + n > len)
                n = len - pos;
            if (len + n < cap) {
                memmove(buf + pos + n, buf + pos, len - pos);
                len += n;
            }
            break;
        }
        case 5: { /* splice another seed's tail */
            int s = (int)((x >> 16) % (uint64_t)nseeds);
            size_t from = seed_len[s] ? (size_t)(x >> 36) % seed_len[s] : 0;
            size_t n = seed_len[s] - from;
            if (pos + n > cap - 1)
                n = cap - 1 - pos;
            memcpy(buf + pos, seeds[s] + from, n);
            if (pos + n > len)
                len = pos + n;
            break;
        }
        default: /* truncate */
            len = pos;
            break;
        }
    }
    return len;
}

/* A machine small enough for thousands of runs, whatever the input asked for. */
static struct km *small_machine(const struct km_config *want)
{
    struct km_config c = *want;
    if (c.ram_bytes > (256ULL << 20))
        c.ram_bytes = 256ULL << 20;
    if (c.swap_bytes > (128ULL << 20))
        c.swap_bytes = 128ULL << 20;
    if (c.kernel_bytes > (32ULL << 20))
        c.kernel_bytes = 32ULL << 20;
    if (c.nr_hugepages > 8)
        c.nr_hugepages = 8;
    for (int i = 0; i < KM_NR_ZONES; i++)
        if (c.zone_managed_set[i] && c.zone_managed[i] > 65536)
            c.zone_managed[i] = 65536;
    if (c.ncpus > 4)
        c.ncpus = 4;
    char err[256];
    return km_create(&c, err, sizeof(err));
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 3000;
    rng = argc > 2 ? strtoull(argv[2], NULL, 0) : test_seed(0x6b6d6f64656cULL);
    load_dir("analysis/kmodel/scenarios");
    load_dir("analysis/kmodel/scenarios/known");
    static const char *const snippets[] = {
        "machine ram=128M swap=64M\nprocess p\np mmap a 1M\np touch a write\np fork c\nc touch a "
        "rw\n",
        "cgroup g limit=8M swappiness=0\nprocess p cgroup=g\np mmap a 16M\np touch a write\n",
        "file f 1M\nprocess p\np read f\np mmap m 64K file=f\np touch m read\np touch m write\n",
        "process p\np sbrk 1M as h\np touch h write\np sbrk -512K\nrepeat 3\np mmap x 8K\nend\n",
        " 1 PERF_RECORD_MMAP2 1/1: [0x7f0000000000(0x4000) @ 0 00:00 0 0]: rw-p //anon\n 1 "
        "7f0000001000\n 1 7f0000001000\n",
        "{\"fault_write_ns\": 2000, \"memset_gbps\": 6.5}",
    };
    for (size_t i = 0; i < sizeof(snippets) / sizeof(snippets[0]); i++)
        add_seed(snippets[i], strlen(snippets[i]));
    static char buf[MAX_LEN * 2];
    long parsed = 0, ran = 0;
    double t0 = test_now_sec();
    for (long it = 0; it < iters && test_now_sec() - t0 < 30; it++) {
        int s = (int)(test_rand_next(&rng) % (uint64_t)nseeds);
        memcpy(buf, seeds[s], seed_len[s]);
        size_t len = mutate(buf, seed_len[s], sizeof(buf) - 1);
        buf[len] = '\0';
        char err[512];
        err[0] = '\0';
        struct scen *sc = scen_parse("fuzz", buf, len, err, sizeof(err));
        if (sc == NULL) {
            if (strncmp(err, "fuzz:", 5) != 0 || strchr(err, '\n')) {
                printf("bad error message for input %ld: %s\n", it, err);
                return 1;
            }
        } else {
            parsed++;
            struct km *km = small_machine(scen_config(sc));
            if (km) {
                FILE *devnull = fopen("/dev/null", "w");
                struct scen_opts o = {.out = devnull,
                                      .fmt = KM_OUT_TEXT,
                                      .max_events = 20000,
                                      .max_ops = 2000,
                                      .quiet = false,
                                      .diag = devnull};
                scen_run(sc, km, &o, err, sizeof(err));
                if (it % 16 == 0)
                    km_check_all(km);
                out_report(km, devnull, (it & 1) ? KM_OUT_JSON : KM_OUT_TEXT, KM_OUT_ALL);
                fclose(devnull);
                km_destroy(km);
                ran++;
            }
            scen_free(sc);
        }
        /* The same bytes as a perf trace and as a calibration file. */
        if (it % 4 == 0) {
            struct km_config c;
            km_config_default(&c);
            c.ram_bytes = 64ULL << 20;
            struct km *km = km_create(&c, err, sizeof(err));
            FILE *in = fmemopen(buf, len ? len : 1, "r");
            if (km && in) {
                struct perf_stats st;
                perf_replay(km, "fuzz", in, &st, err, sizeof(err));
            }
            if (in)
                fclose(in);
            km_destroy(km);
            char path[] = "/tmp/kmodel-fuzz-XXXXXX";
            int fd = mkstemp(path);
            if (fd >= 0) {
                if (write(fd, buf, len) == (ssize_t)len) {
                    struct km_calib cal;
                    calib_default(&cal);
                    calib_load(&cal, path, err, sizeof(err));
                }
                close(fd);
                unlink(path);
            }
        }
    }
    printf("kmodel_fuzz: %ld iterations, %ld parsed, %ld ran, %.1f s\n", iters, parsed, ran,
           test_now_sec() - t0);
    printf("mini-test: 1 passed, 0 failed, 0 skipped\n");
    for (int i = 0; i < nseeds; i++)
        free(seeds[i]);
    return 0;
}
