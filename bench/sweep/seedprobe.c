/*
 * seedprobe.c — build/bin/mini-seedprobe: small measurements for the seed questions (DESIGN.md),
 * run under each allocator with LD_PRELOAD by bench/sweep/run-sweep. No allocator is linked.
 * Each prints one JSON object per line on stdout.
 *
 *   malloc1              Q1: the process's anonymous virtual memory and RSS (smaps, status)
 *                        and the program break at main() before any malloc, after malloc(1),
 *                        after a second malloc(1): what malloc(1) reserves and makes resident
 *   free                 Q2: 64 MiB of 1 KiB blocks (heap memory) freed all / all but the
 *                        last one, and one 64 MiB block (its own mapping) freed: RssAnon and
 *                        VmSize before and after free, and after the allocator's trim
 *   sizes [--raw] [--size S] [--iters N]
 *                        Q3: per size, N x (malloc, write one byte per page, free): ns and
 *                        minor faults per op; --raw does mmap + write + munmap instead (what
 *                        "mmap for everything" costs). run-sweep counts the system calls of
 *                        the same loop with strace -c
 *   header [--size S] [--count N]
 *                        Q4: malloc_usable_size for 1..64 bytes, the distance between two
 *                        consecutive malloc(16), the 16 bytes before the pointer (read through
 *                        /proc/self/mem, so reading them cannot fault), and N blocks of S bytes
 *                        written: RssAnon growth per requested byte
 *
 * Exit 0; 2 for bad usage (one line naming the argument); 1 when malloc returned NULL.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- Readings that do not allocate ------------------------------------------------------- */

static char big[1 << 20];

static ssize_t read_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = 0;
    ssize_t r;
    while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    close(fd);
    buf[n] = '\0';
    return (ssize_t)n;
}

static long long field_kb(const char *text, const char *key)
{
    const char *p = strstr(text, key);
    if (p == NULL)
        return -1;
    return strtoll(p + strlen(key), NULL, 10);
}

struct reading {
    long long vmsize_kb, vmrss_kb, rssanon_kb, anon_vm_kb, anon_rss_kb;
    int anon_maps;
    uintptr_t brk;
};

/* Anonymous memory from smaps: mappings without a file ([heap] included; [stack], [vvar],
 * [vdso] and other named kernel mappings excluded). */
static void smaps_anon(struct reading *r)
{
    r->anon_vm_kb = r->anon_rss_kb = 0;
    r->anon_maps = 0;
    if (read_file("/proc/self/smaps", big, sizeof(big)) < 0)
        return;
    bool anon = false;
    for (char *line = big; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        unsigned long lo, hi;
        char perms[8];
        unsigned long long off;
        char dev[16];
        unsigned long ino;
        int pos = 0;
        if (sscanf(line, "%lx-%lx %7s %llx %15s %lu %n", &lo, &hi, perms, &off, &dev[0], &ino,
                   &pos) >= 6 &&
            strchr(line, '-') < strchr(line, ' ')) {
            const char *name = line + pos;
            while (*name == ' ')
                name++;
            anon = ino == 0 && (*name == '\0' || strcmp(name, "[heap]") == 0);
            if (anon) {
                r->anon_vm_kb += (long long)(hi - lo) / 1024;
                r->anon_maps++;
            }
        } else if (anon && strncmp(line, "Rss:", 4) == 0) {
            r->anon_rss_kb += strtoll(line + 4, NULL, 10);
        }
        if (!nl)
            break;
        line = nl + 1;
    }
}

static void take(struct reading *r)
{
    static char st[8192];
    read_file("/proc/self/status", st, sizeof(st));
    r->vmsize_kb = field_kb(st, "VmSize:");
    r->vmrss_kb = field_kb(st, "VmRSS:");
    r->rssanon_kb = field_kb(st, "RssAnon:");
    r->brk = (uintptr_t)sbrk(0);
    smaps_anon(r);
}

static void print_reading(const char *name, const struct reading *r, const struct reading *base)
{
    printf("\"%s\":{\"vmsize_kb\":%lld,\"vmrss_kb\":%lld,\"rssanon_kb\":%lld,\"anon_vm_kb\":%lld,"
           "\"anon_rss_kb\":%lld,\"anon_maps\":%d,\"brk_delta\":%lld}",
           name, r->vmsize_kb, r->vmrss_kb, r->rssanon_kb, r->anon_vm_kb, r->anon_rss_kb,
           r->anon_maps, base ? (long long)(r->brk - base->brk) : 0LL);
}

static const char *alloc_name(void)
{
    const char *pre = getenv("LD_PRELOAD");
    if (pre == NULL || *pre == '\0')
        return "glibc";
    if (strstr(pre, "jemalloc"))
        return "jemalloc";
    if (strstr(pre, "libmini")) {
        const char *t = getenv("MINI_MMAP_THRESHOLD");
        if (t && *t) {
            static char name[64];
            snprintf(name, sizeof(name), "libmini (MINI_MMAP_THRESHOLD=%.20s)", t);
            return name;
        }
        return "libmini";
    }
    if (strstr(pre, "mimalloc"))
        return "mimalloc";
    if (strstr(pre, "tcmalloc"))
        return "tcmalloc";
    return "other";
}

static _Noreturn void bad(const char *what, const char *arg)
{
    fprintf(stderr,
            "mini-seedprobe: %s '%s' (try: malloc1 | free | sizes [--raw] [--size S] "
            "[--iters N] | header [--size S] [--count N])\n",
            what, arg);
    exit(2);
}

static _Noreturn void nomem(size_t n)
{
    fprintf(stderr, "mini-seedprobe: malloc(%zu) returned NULL\n", n);
    exit(1);
}

/* ---- Q1 ------------------------------------------------------------------------------------ */

static int probe_malloc1(void)
{
    static struct reading r0, r1, r2, r3;
    take(&r0);
    char *volatile p = malloc(1);
    take(&r1);
    char *volatile q = malloc(1);
    take(&r2);
    if (p == NULL || q == NULL)
        nomem(1);
    p[0] = 1;
    take(&r3);
    /* Where the block is: in the brk heap, or in a mapping of its own allocator. */
    bool in_brk = (uintptr_t)p >= r0.brk && (uintptr_t)p < r1.brk;
    printf("{\"probe\":\"malloc1\",\"allocator\":\"%s\",", alloc_name());
    print_reading("main", &r0, NULL);
    putchar(',');
    print_reading("after_malloc1", &r1, &r0);
    putchar(',');
    print_reading("after_second_malloc1", &r2, &r0);
    putchar(',');
    print_reading("after_write", &r3, &r0);
    printf(",\"usable\":%zu,\"distance\":%lld,\"in_brk_heap\":%s}\n", malloc_usable_size(p),
           (long long)((uintptr_t)q - (uintptr_t)p), in_brk ? "true" : "false");
    free(q);
    free(p);
    return 0;
}

/* ---- Q2 ------------------------------------------------------------------------------------ */

/* The allocator's own trim: jemalloc's arena purge, else malloc_trim (glibc, libmini). */
static const char *trim(void)
{
    typedef int mallctl_fn(const char *, void *, size_t *, void *, size_t);
    mallctl_fn *mallctl = (mallctl_fn *)dlsym(RTLD_DEFAULT, "mallctl");
    if (mallctl) {
        mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
        mallctl("arena.4096.purge", NULL, NULL, NULL, 0);
        return "mallctl(arena.4096.purge)";
    }
    malloc_trim(0);
    return "malloc_trim(0)";
}

static void small_case(const char *name, bool keep_last)
{
    enum { N = 65536, SZ = 1024 };
    static char *b[N];
    struct reading a, f, t;
    for (int i = 0; i < N; i++) {
        b[i] = malloc(SZ);
        if (b[i] == NULL)
            nomem(SZ);
        memset(b[i], 0x5a, SZ);
    }
    take(&a);
    for (int i = 0; i < N - (keep_last ? 1 : 0); i++)
        free(b[i]);
    take(&f);
    const char *how = trim();
    take(&t);
    printf("{\"probe\":\"free\",\"case\":\"%s\",\"allocator\":\"%s\",\"bytes\":%d,\"trim\":\"%s\",",
           name, alloc_name(), N * SZ, how);
    print_reading("allocated", &a, NULL);
    putchar(',');
    print_reading("freed", &f, &a);
    putchar(',');
    print_reading("trimmed", &t, &a);
    printf("}\n");
    fflush(stdout);
    if (keep_last) {
        free(b[N - 1]);
        trim();
    }
}

static int probe_free(void)
{
    small_case("heap-all", false);
    small_case("heap-all-but-last", true);
    enum { BIG = 64 << 20 };
    struct reading a, f;
    char *p = malloc(BIG);
    if (p == NULL)
        nomem(BIG);
    for (size_t o = 0; o < BIG; o += 4096)
        p[o] = 1;
    take(&a);
    free(p);
    take(&f);
    printf("{\"probe\":\"free\",\"case\":\"mmap-block\",\"allocator\":\"%s\",\"bytes\":%d,",
           alloc_name(), BIG);
    print_reading("allocated", &a, NULL);
    putchar(',');
    print_reading("freed", &f, &a);
    printf("}\n");
    return 0;
}

/* ---- Q3 ------------------------------------------------------------------------------------ */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

static void one_size(size_t size, long iters, bool raw)
{
    /* Warm up once (first-use costs of the allocator), then measure. */
    for (int pass = 0; pass < 2; pass++) {
        long n = pass == 0 ? (iters < 16 ? iters : 16) : iters;
        double t0 = now_ns();
        long f0 = minflt();
        for (long i = 0; i < n; i++) {
            char *p;
            if (raw) {
                p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                    nomem(size);
            } else {
                p = malloc(size);
                if (p == NULL)
                    nomem(size);
            }
            for (size_t o = 0; o < size; o += 4096)
                ((volatile char *)p)[o] = (char)i;
            ((volatile char *)p)[size - 1] = 1;
            if (raw)
                munmap(p, size);
            else
                free(p);
        }
        if (pass == 1 && n > 0)
            printf("{\"probe\":\"sizes\",\"allocator\":\"%s\",\"raw_mmap\":%s,\"size\":%zu,"
                   "\"iters\":%ld,\"ns_per_op\":%.1f,\"minflt_per_op\":%.3f}\n",
                   raw ? "mmap" : alloc_name(), raw ? "true" : "false", size, n,
                   (now_ns() - t0) / (double)n, (double)(minflt() - f0) / (double)n);
    }
}

static const size_t q3_sizes[] = {16, 1024, 16384, 65536, 131072 - 64, 131072, 262144, 1048576};

static int probe_sizes(size_t only, long iters, bool raw)
{
    for (size_t i = 0; i < sizeof(q3_sizes) / sizeof(q3_sizes[0]); i++) {
        size_t s = q3_sizes[i];
        if (only && s != only)
            continue;
        long n = iters >= 0 ? iters : (long)((64u << 20) / s);
        if (iters < 0 && n > 20000)
            n = 20000;
        if (iters < 0 && n < 200)
            n = 200;
        one_size(s, n, raw);
    }
    if (only && iters != 0) {
        bool known = false;
        for (size_t i = 0; i < sizeof(q3_sizes) / sizeof(q3_sizes[0]); i++)
            known |= q3_sizes[i] == only;
        if (!known)
            one_size(only, iters >= 0 ? iters : 1000, raw);
    }
    return 0;
}

/* ---- Q4 ------------------------------------------------------------------------------------ */

/* Reads n bytes at addr through /proc/self/mem: an unmapped address gives an error, never a
 * fault (jemalloc keeps no header, so the bytes before a block may be anything). */
static int peek(const void *addr, unsigned char *out, size_t n)
{
    int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t r = pread(fd, out, n, (off_t)(uintptr_t)addr);
    close(fd);
    return r == (ssize_t)n ? 0 : -1;
}

static int probe_header(size_t size, long count)
{
    printf("{\"probe\":\"header\",\"allocator\":\"%s\",\"usable\":[", alloc_name());
    void *keep[64];
    for (int n = 1; n <= 64; n++) {
        keep[n - 1] = malloc((size_t)n);
        if (keep[n - 1] == NULL)
            nomem((size_t)n);
        printf("%s%zu", n > 1 ? "," : "", malloc_usable_size(keep[n - 1]));
    }
    char *a = malloc(16), *b = malloc(16);
    if (a == NULL || b == NULL)
        nomem(16);
    unsigned char before[16];
    bool ok = peek(b - 16, before, 16) == 0;
    uint64_t w0 = 0, w1 = 0;
    if (ok) {
        memcpy(&w0, before, 8);
        memcpy(&w1, before + 8, 8);
    }
    printf("],\"distance_16\":%lld,\"word_minus16\":\"0x%llx\",\"word_minus8\":\"0x%llx\","
           "\"readable\":%s",
           (long long)(b - a), (unsigned long long)w0, (unsigned long long)w1,
           ok ? "true" : "false");
    for (int n = 0; n < 64; n++)
        free(keep[n]);
    /* N blocks of `size` bytes, all written, all live. */
    struct reading r0, r1;
    char **v = mmap(NULL, (size_t)count * sizeof(char *), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (v == MAP_FAILED)
        nomem((size_t)count * sizeof(char *));
    take(&r0);
    for (long i = 0; i < count; i++) {
        v[i] = malloc(size);
        if (v[i] == NULL)
            nomem(size);
        memset(v[i], 0x5a, size);
    }
    take(&r1);
    long long grew = r1.rssanon_kb - r0.rssanon_kb;
    printf(",\"size\":%zu,\"count\":%ld,\"rssanon_growth_kb\":%lld,\"rss_per_requested\":%.3f,"
           "\"bytes_per_block\":%.2f}\n",
           size, count, grew, (double)grew * 1024 / ((double)count * (double)size),
           (double)grew * 1024 / (double)count);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        bad("missing probe name", "");
    const char *what = argv[1];
    size_t size = 0;
    long iters = -1, count = 1000000;
    bool raw = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--raw") == 0) {
            raw = true;
            continue;
        }
        if (i + 1 >= argc)
            bad("option needs a value:", argv[i]);
        char *end;
        long long v = strtoll(argv[i + 1], &end, 10);
        if (*end != '\0' || end == argv[i + 1] || v < 0)
            bad("bad number", argv[i + 1]);
        if (strcmp(argv[i], "--size") == 0 && v > 0 && v <= (1LL << 30))
            size = (size_t)v;
        else if (strcmp(argv[i], "--iters") == 0 && v <= 100000000)
            iters = (long)v;
        else if (strcmp(argv[i], "--count") == 0 && v > 0 && v <= 100000000)
            count = (long)v;
        else
            bad("unknown option or value out of range:", argv[i]);
        i++;
    }
    if (strcmp(what, "malloc1") == 0)
        return probe_malloc1();
    if (strcmp(what, "free") == 0)
        return probe_free();
    if (strcmp(what, "sizes") == 0)
        return probe_sizes(size, iters, raw);
    if (strcmp(what, "header") == 0)
        return probe_header(size ? size : 16, count);
    bad("unknown probe", what);
}
