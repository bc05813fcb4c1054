/*
 * symbols.c — every C name the shim exports, with its edge cases, run under LD_PRELOAD.
 *
 * Each call is checked for glibc's contract (mini.h restates it) and for being served by
 * libmini: the shim's call counters move. Pointers libmini never made (a static buffer, the
 * stack, an interior pointer, a mapping, a block from another allocator: jemalloc loaded with
 * dlopen) get libmini's message and abort; so do double frees.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#include "tests/preload/pt.h"

/* glibc's aliases: linkable ones are declared here, the others are looked up. */
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);
void *__libc_memalign(size_t, size_t);
void *__libc_valloc(size_t);
void *__libc_pvalloc(size_t);
int __libc_mallopt(int, int);
struct mallinfo __libc_mallinfo(void);

static size_t opaque(size_t x)
{
    volatile size_t v = x;
    return v;
}

/* Called through these, gcc cannot see that a failed realloc keeps its block. */
static void *(*volatile realloc_v)(void *, size_t) = realloc;
static void *(*volatile reallocarray_v)(void *, size_t, size_t) = reallocarray;

/* Hide where a pointer came from (gcc would refuse, rightly, to compile the bad frees). */
static void *launder(void *p)
{
    volatile uintptr_t v = (uintptr_t)p;
    return (void *)v;
}

static bool aligned(const void *p, size_t a)
{
    return ((uintptr_t)p & (a - 1)) == 0;
}

static void *sym(const char *name)
{
    void *f = dlsym(RTLD_DEFAULT, name);
    Dl_info di;
    if (f == NULL || !dladdr(f, &di) || !strstr(di.dli_fname, "libmini-preload"))
        return NULL;
    return f;
}

TEST_BEGIN(test_exports_resolve_to_shim)
{
    static const char *const names[] = {"malloc",
                                        "calloc",
                                        "realloc",
                                        "reallocarray",
                                        "free",
                                        "cfree",
                                        "memalign",
                                        "posix_memalign",
                                        "aligned_alloc",
                                        "valloc",
                                        "pvalloc",
                                        "malloc_usable_size",
                                        "mallinfo",
                                        "mallinfo2",
                                        "malloc_trim",
                                        "malloc_stats",
                                        "malloc_info",
                                        "mallopt",
                                        "__libc_malloc",
                                        "__libc_calloc",
                                        "__libc_realloc",
                                        "__libc_reallocarray",
                                        "__libc_free",
                                        "__libc_memalign",
                                        "__libc_valloc",
                                        "__libc_pvalloc",
                                        "__posix_memalign",
                                        "__libc_mallinfo",
                                        "__libc_mallopt",
                                        "_Znwm",
                                        "_Znam",
                                        "_ZnwmRKSt9nothrow_t",
                                        "_ZnamRKSt9nothrow_t",
                                        "_ZnwmSt11align_val_t",
                                        "_ZnamSt11align_val_t",
                                        "_ZnwmSt11align_val_tRKSt9nothrow_t",
                                        "_ZnamSt11align_val_tRKSt9nothrow_t",
                                        "_ZdlPv",
                                        "_ZdaPv",
                                        "_ZdlPvm",
                                        "_ZdaPvm",
                                        "_ZdlPvRKSt9nothrow_t",
                                        "_ZdaPvRKSt9nothrow_t",
                                        "_ZdlPvSt11align_val_t",
                                        "_ZdaPvSt11align_val_t",
                                        "_ZdlPvmSt11align_val_t",
                                        "_ZdaPvmSt11align_val_t",
                                        "_ZdlPvSt11align_val_tRKSt9nothrow_t",
                                        "_ZdaPvSt11align_val_tRKSt9nothrow_t",
                                        "mini_malloc",
                                        "mini_stats_get",
                                        "mini_trace_mark"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        expect_ptr_ne(sym(names[i]), NULL, "%s is not the shim's", names[i]);
    /* And nothing of libmini's internals. */
    expect_ptr_eq(dlsym(RTLD_DEFAULT, "mini_validate"), NULL, "internal name exported");
    expect_ptr_eq(dlsym(RTLD_DEFAULT, "mini_global"), NULL, "internal name exported");
}
TEST_END

TEST_BEGIN(test_malloc_free)
{
    mini_stats_t a = pt_stats();
    void *p = malloc(0), *q = malloc(0);
    mini_stats_t b = pt_stats();
    expect_u64_eq(b.n_malloc - a.n_malloc, 2, "malloc served by libmini");
    require_ptr_ne(p, NULL, "malloc(0)");
    expect_ptr_ne(p, q, "malloc(0) pointers are unique");
    free(p);
    free(q);
    free(NULL);
    mini_stats_t c = pt_stats();
    expect_u64_eq(c.n_free - b.n_free, 2, "free served by libmini (free(NULL) is not counted)");
    for (size_t s = 1; s < 300000; s = s * 3 + 1) {
        char *x = malloc(s);
        require_ptr_ne(x, NULL, "malloc(%zu)", s);
        expect_true(aligned(x, 16), "malloc(%zu) = %p", s, (void *)x);
        expect_zu_ge(malloc_usable_size(x), s, "");
        memset(x, 0xa5, s);
        free(x);
    }
    errno = 0;
    expect_ptr_eq(malloc(opaque(SIZE_MAX)), NULL, "");
    expect_d_eq(errno, ENOMEM, "");
    errno = 0;
    expect_ptr_eq(malloc(opaque(PTRDIFF_MAX)), NULL, "");
    expect_d_eq(errno, ENOMEM, "");
}
TEST_END

TEST_BEGIN(test_calloc)
{
    /* Dirty a block, free it, and ask calloc for the same size: it must come back zeroed. */
    for (size_t s = 8; s <= 1 << 20; s *= 4) {
        unsigned char *d = malloc(s);
        require_ptr_ne(d, NULL, "");
        memset(d, 0xff, s);
        free(d);
        unsigned char *z = calloc(1, s);
        require_ptr_ne(z, NULL, "calloc(1, %zu)", s);
        size_t nz = 0;
        for (size_t i = 0; i < s; i++)
            nz += z[i] != 0;
        expect_zu_eq(nz, 0, "calloc(1, %zu) has non-zero bytes", s);
        free(z);
    }
    void *z0 = calloc(0, 0);
    expect_ptr_ne(z0, NULL, "calloc(0, 0)");
    free(z0);
    errno = 0;
    expect_ptr_eq(calloc(opaque(SIZE_MAX / 2 + 1), 2), NULL, "overflow");
    expect_d_eq(errno, ENOMEM, "");
    errno = 0;
    expect_ptr_eq(calloc(opaque(1) << 62, 4), NULL, "overflow");
    expect_d_eq(errno, ENOMEM, "");
}
TEST_END

TEST_BEGIN(test_realloc)
{
    char *p = realloc(NULL, 10);
    require_ptr_ne(p, NULL, "realloc(NULL, n)");
    memcpy(p, "abcdefghi", 10);
    size_t sizes[] = {20, 1000, 5000, 200000, 3000000, 100, 7};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        p = realloc(p, sizes[i]);
        require_ptr_ne(p, NULL, "realloc to %zu", sizes[i]);
        expect_true(memcmp(p, "abcdefg", 7) == 0, "contents kept at %zu", sizes[i]);
        expect_zu_ge(malloc_usable_size(p), sizes[i], "");
    }
    errno = 0;
    expect_ptr_eq(realloc_v(p, opaque(SIZE_MAX)), NULL, "");
    expect_d_eq(errno, ENOMEM, "");
    expect_true(memcmp(p, "abcdefg", 7) == 0, "a failed realloc keeps the block");
    mini_stats_t a = pt_stats();
    expect_ptr_eq(realloc_v(p, 0), NULL, "realloc(p, 0) frees and returns NULL (glibc)");
    mini_stats_t b = pt_stats();
    expect_u64_eq(b.n_free - a.n_free, 1, "realloc(p, 0) freed p");
}
TEST_END

TEST_BEGIN(test_reallocarray)
{
    int *a = reallocarray(NULL, 10, sizeof(int));
    require_ptr_ne(a, NULL, "");
    for (int i = 0; i < 10; i++)
        a[i] = i;
    a = reallocarray(a, 1000, sizeof(int));
    require_ptr_ne(a, NULL, "");
    expect_d_eq(a[9], 9, "");
    errno = 0;
    expect_ptr_eq(reallocarray_v(a, opaque(SIZE_MAX / 2), 4), NULL, "overflow");
    expect_d_eq(errno, ENOMEM, "");
    expect_d_eq(a[9], 9, "kept after overflow");
    void *(*libc_ra)(void *, size_t, size_t) = NULL;
    *(void **)&libc_ra = sym("__libc_reallocarray");
    require_ptr_ne((void *)libc_ra, NULL, "");
    a = libc_ra(a, 20, sizeof(int));
    require_ptr_ne(a, NULL, "");
    expect_d_eq(a[9], 9, "");
    free(a);
}
TEST_END

TEST_BEGIN(test_aligned_family)
{
    for (size_t al = 1; al <= (1 << 21); al *= 2) {
        void *p = memalign(al, 100);
        require_ptr_ne(p, NULL, "memalign(%zu)", al);
        expect_true(aligned(p, al < 16 ? 16 : al), "memalign(%zu) = %p", al, p);
        free(p);
        if (al >= sizeof(void *)) {
            void *q = (void *)0x1;
            expect_d_eq(posix_memalign(&q, al, 333), 0, "posix_memalign(%zu)", al);
            expect_true(aligned(q, al), "");
            free(q);
        }
        void *r = aligned_alloc(al, al * 3);
        require_ptr_ne(r, NULL, "aligned_alloc(%zu)", al);
        expect_true(aligned(r, al), "");
        free(r);
    }
    void *p = memalign(24, 10); /* rounded up to 32 (glibc) */
    require_ptr_ne(p, NULL, "");
    expect_true(aligned(p, 32), "memalign(24) = %p", p);
    free(p);
    void *q = (void *)0x1;
    expect_d_eq(posix_memalign(&q, 0, 8), EINVAL, "");
    expect_d_eq(posix_memalign(&q, 3, 8), EINVAL, "");
    expect_d_eq(posix_memalign(&q, 4, 8), EINVAL, "less than sizeof(void *)");
    errno = 12345;
    expect_d_eq(posix_memalign(&q, 64, opaque(SIZE_MAX - 100)), ENOMEM, "");
    expect_d_eq(errno, 12345, "posix_memalign leaves errno alone");
    expect_ptr_eq(q, (void *)0x1, "*memptr untouched on error");
    errno = 0;
    expect_ptr_eq(aligned_alloc(3, 8), NULL, "");
    expect_d_eq(errno, EINVAL, "");
    errno = 0;
    expect_ptr_eq(aligned_alloc(0, 8), NULL, "");
    expect_d_eq(errno, EINVAL, "");
    long pg = sysconf(_SC_PAGESIZE);
    void *v = valloc(1), *v0 = valloc(0), *pv = pvalloc(1), *pv0 = pvalloc(0);
    require_true(v && v0 && pv && pv0, "");
    expect_true(aligned(v, (size_t)pg) && aligned(v0, (size_t)pg), "");
    expect_true(aligned(pv, (size_t)pg) && aligned(pv0, (size_t)pg), "");
    expect_zu_ge(malloc_usable_size(pv), (size_t)pg, "pvalloc rounds up to a page");
    expect_zu_ge(malloc_usable_size(pv0), (size_t)pg, "pvalloc(0) is a page");
    free(v);
    free(v0);
    free(pv);
    free(pv0);
    int (*pm)(void **, size_t, size_t) = NULL;
    *(void **)&pm = sym("__posix_memalign");
    require_ptr_ne((void *)pm, NULL, "");
    expect_d_eq(pm(&q, 128, 10), 0, "");
    expect_true(aligned(q, 128), "");
    free(q);
}
TEST_END

TEST_BEGIN(test_usable_size)
{
    expect_zu_eq(malloc_usable_size(NULL), 0, "");
    void *p = malloc(100);
    expect_zu_ge(malloc_usable_size(p), 100, "");
    expect_zu_lt(malloc_usable_size(p), 100 + 32, "");
    free(p);
}
TEST_END

TEST_BEGIN(test_libc_aliases_and_cfree)
{
    mini_stats_t a = pt_stats();
    void *p = __libc_malloc(10), *q = __libc_calloc(2, 10), *r = __libc_memalign(64, 10);
    void *v = __libc_valloc(10), *pv = __libc_pvalloc(10);
    require_true(p && q && r && v && pv, "");
    expect_true(aligned(r, 64), "");
    p = __libc_realloc(p, 1000);
    require_ptr_ne(p, NULL, "");
    mini_stats_t b = pt_stats();
    expect_u64_ge(b.n_malloc - a.n_malloc, 5, "the __libc_ aliases are libmini's");
    __libc_free(p);
    __libc_free(q);
    __libc_free(r);
    __libc_free(v);
    void (*cf)(void *) = NULL;
    *(void **)&cf = sym("cfree");
    require_ptr_ne((void *)cf, NULL, "");
    cf(pv);
    mini_stats_t c = pt_stats();
    expect_u64_eq(c.n_free - b.n_free, 5, "__libc_free and cfree free");
    expect_d_eq(__libc_mallopt(M_MXFAST, 64), 1, "");
    struct mallinfo mi = __libc_mallinfo();
    expect_d_gt(mi.arena, 0, "");
}
TEST_END

static void check_identity(struct mallinfo2 m)
{
    expect_zu_eq(m.uordblks + m.fordblks + m.fsmblks, m.arena,
                 "uordblks + fordblks + fsmblks == arena");
    expect_zu_le(m.keepcost, m.fordblks, "");
    expect_zu_eq(m.usmblks, 0, "");
}

TEST_BEGIN(test_mallinfo2)
{
    struct mallinfo2 m0 = mallinfo2();
    check_identity(m0);
    enum { N = 16 };
    void *small[N], *large[4];
    for (int i = 0; i < N; i++)
        small[i] = malloc(64 * 1024); /* under the mmap threshold */
    for (int i = 0; i < 4; i++)
        large[i] = malloc(1 << 20);
    struct mallinfo2 m1 = mallinfo2();
    check_identity(m1);
    expect_zu_ge(m1.uordblks, m0.uordblks + N * 64 * 1024, "in-use heap bytes grew");
    expect_zu_eq(m1.hblks, m0.hblks + 4, "four more mmapped blocks");
    expect_zu_ge(m1.hblkhd, m0.hblkhd + 4 * (1 << 20), "");
    for (int i = 0; i < N; i += 2)
        free(small[i]); /* every other one: free chunks that cannot merge */
    for (int i = 0; i < 4; i++)
        free(large[i]);
    struct mallinfo2 m2 = mallinfo2();
    check_identity(m2);
    expect_zu_eq(m2.hblks, m0.hblks, "");
    expect_zu_ge(m2.fordblks, m1.fordblks + (N / 2) * 64 * 1024, "freed bytes are free");
    expect_zu_ge(m2.ordblks, m1.ordblks + N / 2 - 1, "free chunks are counted");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    struct mallinfo mo = mallinfo();
#pragma GCC diagnostic pop
    expect_d_eq((long long)mo.hblks, (long long)m2.hblks, "mallinfo agrees");
    expect_d_eq((long long)mo.arena, (long long)m2.arena, "");
    for (int i = 1; i < N; i += 2)
        free(small[i]);
    /* Thread caches show as fast blocks. */
    void *t[8];
    for (int i = 0; i < 8; i++)
        t[i] = malloc(48);
    for (int i = 0; i < 8; i++)
        free(t[i]);
    struct mallinfo2 m3 = mallinfo2();
    check_identity(m3);
    expect_zu_ge(m3.smblks, 8, "cached blocks");
    expect_zu_ge(m3.fsmblks, 8 * 48, "");
}
TEST_END

TEST_BEGIN(test_mallopt)
{
    long (*get)(int) = NULL;
    *(void **)&get = sym("mini_option_get");
    require_ptr_ne((void *)get, NULL, "");
    expect_d_eq(mallopt(M_MMAP_THRESHOLD, 1 << 20), 1, "");
    expect_d_eq(get(MINI_OPT_MMAP_THRESHOLD), 1 << 20, "");
    struct mallinfo2 a = mallinfo2();
    void *p = malloc(512 * 1024);
    struct mallinfo2 b = mallinfo2();
    expect_zu_eq(b.hblks, a.hblks, "512 KiB stays in the heap under a 1 MiB threshold");
    free(p);
    expect_d_eq(mallopt(M_MMAP_THRESHOLD, 128 * 1024), 1, "");
    p = malloc(512 * 1024);
    struct mallinfo2 c = mallinfo2();
    expect_zu_eq(c.hblks, a.hblks + 1, "512 KiB is mmapped under the default threshold");
    free(p);
    expect_d_eq(mallopt(M_MMAP_THRESHOLD, -5), 0, "a value out of range");
    expect_d_eq(mallopt(M_MMAP_THRESHOLD, 1 << 30), 0, "a value out of range");
    expect_d_eq(mallopt(M_TRIM_THRESHOLD, 256 * 1024), 1, "");
    expect_d_eq(get(MINI_OPT_TRIM_THRESHOLD), 256 * 1024, "");
    expect_d_eq(mallopt(M_TRIM_THRESHOLD, 128 * 1024), 1, "");
    expect_d_eq(mallopt(M_TOP_PAD, 64 * 1024), 1, "");
    expect_d_eq(get(MINI_OPT_TOP_PAD), 64 * 1024, "");
    expect_d_eq(mallopt(M_TOP_PAD, 128 * 1024), 1, "");
    expect_d_eq(mallopt(M_ARENA_MAX, 2), 1, "");
    expect_d_eq(get(MINI_OPT_ARENA_MAX), 2, "");
    expect_d_eq(mallopt(M_ARENA_MAX, 1000), 0, "");
    int known[] = {M_MXFAST, M_MMAP_MAX, M_CHECK_ACTION, M_PERTURB, M_ARENA_TEST};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        expect_d_eq(mallopt(known[i], 1), 1, "glibc parameter %d accepted", known[i]);
    expect_d_eq(mallopt(12345, 1), 0, "an unknown parameter");
}
TEST_END

static void *arena_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        free(malloc(2000));
    return NULL;
}

TEST_BEGIN(test_mallopt_arena_max_honoured)
{
    /* With M_ARENA_MAX at 2 (set above), contending threads make no more than 2 arenas. */
    expect_d_eq(mallopt(M_ARENA_MAX, 2), 1, "");
    pthread_t th[6];
    for (int i = 0; i < 6; i++)
        pthread_create(&th[i], NULL, arena_thread, NULL);
    for (int i = 0; i < 6; i++)
        pthread_join(th[i], NULL);
    expect_u64_le(pt_stats().narenas, 2, "");
}
TEST_END

TEST_BEGIN(test_malloc_trim)
{
    enum { N = 64 };
    void *p[N];
    for (int i = 0; i < N; i++)
        p[i] = malloc(64 * 1024);
    for (int i = 0; i < N; i++)
        free(p[i]);
    mini_stats_t a = pt_stats();
    int r = malloc_trim(0);
    mini_stats_t b = pt_stats();
    expect_d_eq(r, 1, "4 MiB of free heap: something goes back");
    expect_u64_gt(b.bytes_trimmed + b.bytes_purged, a.bytes_trimmed + a.bytes_purged, "");
    expect_d_eq(malloc_trim(0), 0, "nothing left to give back");
}
TEST_END

/* Run fn with fd 2 or a FILE captured into buf. */
static void capture_stderr(void (*fn)(void), char *buf, size_t n)
{
    FILE *tmp = tmpfile();
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    fn();
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t got = fread(buf, 1, n - 1, tmp);
    buf[got] = '\0';
    fclose(tmp);
}

TEST_BEGIN(test_malloc_stats_info)
{
    static char buf[65536];
    capture_stderr(malloc_stats, buf, sizeof(buf));
    expect_str_contains(buf, "libmini");
    expect_str_contains(buf, "calls: malloc");
    FILE *f = tmpfile();
    expect_d_eq(malloc_info(0, f), 0, "");
    rewind(f);
    size_t got = fread(buf, 1, sizeof(buf) - 1, f);
    buf[got] = '\0';
    fclose(f);
    expect_true(strncmp(buf, "<malloc version=\"1\"", 19) == 0, "starts with <malloc: %.40s", buf);
    expect_true(got > 10 && strcmp(buf + got - 10, "</malloc>\n") == 0, "ends with </malloc>");
    expect_str_contains(buf, "<heap nr=\"0\">");
    expect_str_contains(buf, "<total type=\"mmap\"");
    expect_d_eq(malloc_info(1, stdout), EINVAL, "options must be 0");
}
TEST_END

/* ---- Pointers libmini never made -------------------------------------------------------- */

static char static_buf[256] __attribute__((aligned(64)));

static void free_static(void *arg)
{
    (void)arg;
    free(launder(static_buf + 16));
}
static void free_stack(void *arg)
{
    (void)arg;
    char local[64] __attribute__((aligned(16)));
    free(launder(local + 16));
}
static void free_interior(void *arg)
{
    (void)arg;
    char *p = malloc(100);
    free(launder(p + 32));
}
static void free_mapping(void *arg)
{
    (void)arg;
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    free(launder(m + 4096));
}
static void free_misaligned(void *arg)
{
    (void)arg;
    char *p = malloc(100);
    free(launder(p + 1));
}
static void realloc_garbage(void *arg)
{
    (void)arg;
    void *r = realloc(launder((void *)(uintptr_t)0x12345670), 10);
    (void)r;
}
static void usable_garbage(void *arg)
{
    (void)arg;
    malloc_usable_size(launder(static_buf + 32));
}
static void free_from_glibc(void *arg)
{
    void *(*glibc_malloc)(size_t) = arg;
    void *p = glibc_malloc(100);
    free(p);
}
static void double_free(void *arg)
{
    (void)arg;
    void *p = malloc(40);
    free(p);
    free(p);
}
static void double_free_large(void *arg)
{
    (void)arg;
    void *p = malloc(1 << 20);
    free(p);
    free(p);
}

TEST_BEGIN(test_foreign_pointers_abort)
{
    test_expect_death(free_static, NULL, SIGABRT, "libmini: free(): invalid pointer");
    test_expect_death(free_stack, NULL, SIGABRT, "libmini: free(): invalid pointer");
    test_expect_death(free_interior, NULL, SIGABRT, "libmini: free(): invalid pointer");
    test_expect_death(free_mapping, NULL, SIGABRT, "libmini: free(): invalid pointer");
    test_expect_death(free_misaligned, NULL, SIGABRT, "libmini: free(): invalid pointer");
    test_expect_death(realloc_garbage, NULL, SIGABRT, "libmini: realloc(): invalid pointer");
    test_expect_death(usable_garbage, NULL, SIGABRT,
                      "libmini: malloc_usable_size(): invalid pointer");
    test_expect_death(double_free, NULL, SIGABRT, "libmini: free(): double free");
    test_expect_death(double_free_large, NULL, SIGABRT, "libmini: free(): invalid pointer");
}
TEST_END

TEST_BEGIN(test_pointer_from_another_allocator)
{
    /* glibc's own malloc, found in libc.so.6's scope (the global scope has the shim's): a block
     * of a real allocator that libmini never made. (jemalloc cannot be dlopen'ed: its
     * initial-exec TLS does not fit in the static TLS surplus.) */
    void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    require_ptr_ne(h, NULL, "");
    void *gm = dlsym(h, "malloc");
    require_ptr_ne(gm, NULL, "");
    expect_ptr_ne(gm, dlsym(RTLD_DEFAULT, "malloc"), "glibc's malloc, not the shim's");
    test_expect_death(free_from_glibc, gm, SIGABRT, "libmini: free(): invalid pointer");
}
TEST_END

TEST_BEGIN(test_nothing_reaches_glibc_malloc)
{
    /* After everything above (stdio, tmpfile, dlopen, threads, fork), glibc's own allocator,
     * asked through its own mallinfo2, must hold nothing: every block was libmini's. */
    char *s = strdup("through the C library");
    FILE *f = tmpfile();
    fprintf(f, "%s %d\n", s, 1);
    fclose(f);
    free(s);
    void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    require_ptr_ne(h, NULL, "");
    struct mallinfo2 (*glibc_mallinfo2)(void) = NULL;
    *(void **)&glibc_mallinfo2 = dlsym(h, "mallinfo2");
    require_ptr_ne((void *)glibc_mallinfo2, NULL, "");
    expect_ptr_ne((void *)glibc_mallinfo2, (void *)mallinfo2, "glibc's, not the shim's");
    struct mallinfo2 g = glibc_mallinfo2();
    expect_zu_eq(g.arena, 0, "glibc's heap");
    expect_zu_eq(g.uordblks, 0, "");
    expect_zu_eq(g.hblks, 0, "glibc's mmapped blocks");
    dlclose(h);
}
TEST_END

int main(int argc, char **argv)
{
    pt_require_shim();
    return TEST_MAIN(argc, argv, test_exports_resolve_to_shim, test_malloc_free, test_calloc,
                     test_realloc, test_reallocarray, test_aligned_family, test_usable_size,
                     test_libc_aliases_and_cfree, test_mallinfo2, test_mallopt,
                     test_mallopt_arena_max_honoured, test_malloc_trim, test_malloc_stats_info,
                     test_foreign_pointers_abort, test_pointer_from_another_allocator,
                     test_nothing_reaches_glibc_malloc);
}
