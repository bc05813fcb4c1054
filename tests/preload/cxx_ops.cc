// cxx_ops.cc — every C++ operator new/delete variant under the shim: served by libmini,
// aligned as asked, the new_handler loop, std::bad_alloc, nothrow returning nullptr, sized and
// aligned delete. (C++ because only a C++ program can test C++ semantics; the shim is C.)
#include <cstddef>
#include <cstdint>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <new>
#include <sys/wait.h>
#include <unistd.h>

#include "mini.h"

static int npass, nfail;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            std::printf("    %s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            failed = true;                                                                         \
        }                                                                                          \
    } while (0)

static mini_stats_t stats()
{
    static auto get =
        reinterpret_cast<size_t (*)(mini_stats_t *, size_t)>(dlsym(RTLD_DEFAULT, "mini_stats_get"));
    mini_stats_t s;
    std::memset(&s, 0, sizeof(s));
    if (get)
        get(&s, sizeof(s));
    return s;
}

static bool aligned(const void *p, std::size_t a)
{
    return (reinterpret_cast<std::uintptr_t>(p) & (a - 1)) == 0;
}

static void report(const char *name, bool failed)
{
    std::printf("  %s %s\n", failed ? "FAIL" : "ok  ", name);
    (failed ? nfail : npass)++;
}

static std::size_t huge()
{
    volatile std::size_t h = SIZE_MAX - 4096;
    return h;
}

static void test_every_variant()
{
    bool failed = false;
    const std::nothrow_t &nt = std::nothrow;
    mini_stats_t a = stats();
    void *p[8];
    p[0] = ::operator new(10);
    p[1] = ::operator new[](20);
    p[2] = ::operator new(30, nt);
    p[3] = ::operator new[](40, nt);
    p[4] = ::operator new(50, std::align_val_t(64));
    p[5] = ::operator new[](60, std::align_val_t(128));
    p[6] = ::operator new(70, std::align_val_t(256), nt);
    p[7] = ::operator new[](80, std::align_val_t(4096), nt);
    mini_stats_t b = stats();
    CHECK(b.n_malloc - a.n_malloc == 8);
    for (int i = 0; i < 8; i++)
        CHECK(p[i] != nullptr && aligned(p[i], 16));
    CHECK(aligned(p[4], 64) && aligned(p[5], 128) && aligned(p[6], 256) && aligned(p[7], 4096));
    ::operator delete(p[0]);
    ::operator delete[](p[1]);
    ::operator delete(p[2], nt);
    ::operator delete[](p[3], nt);
    ::operator delete(p[4], std::align_val_t(64));
    ::operator delete[](p[5], std::align_val_t(128));
    ::operator delete(p[6], std::align_val_t(256), nt);
    ::operator delete[](p[7], std::align_val_t(4096), nt);
    void *s[4] = {::operator new(100), ::operator new[](200),
                  ::operator new(300, std::align_val_t(64)),
                  ::operator new[](400, std::align_val_t(512))};
    ::operator delete(s[0], 100);
    ::operator delete[](s[1], 200);
    ::operator delete(s[2], 300, std::align_val_t(64));
    ::operator delete[](s[3], 400, std::align_val_t(512));
    mini_stats_t c = stats();
    CHECK(c.n_free - b.n_free == 12);
    ::operator delete(static_cast<void *>(nullptr));
    ::operator delete[](static_cast<void *>(nullptr), std::align_val_t(64));
    void *z = ::operator new(0);
    CHECK(z != nullptr);
    ::operator delete(z);
    report("every variant of new and delete is libmini's", failed);
}

struct alignas(128) Wide {
    char c[200];
};

static void test_aligned_types()
{
    bool failed = false;
    Wide *w = new Wide;
    Wide *ws = new Wide[7];
    CHECK(aligned(w, 128) && aligned(ws, 128));
    std::memset(w, 1, sizeof(*w));
    std::memset(ws, 2, 7 * sizeof(*ws));
    delete w;
    delete[] ws;
    report("new of an over-aligned type", failed);
}

static int handler_calls;
static void handler()
{
    if (++handler_calls >= 3)
        std::set_new_handler(nullptr);
}

static void test_new_handler_and_bad_alloc()
{
    bool failed = false;
    handler_calls = 0;
    std::set_new_handler(handler);
    bool thrown = false;
    try {
        void *p = ::operator new(huge());
        ::operator delete(p);
    } catch (const std::bad_alloc &) {
        thrown = true;
    }
    CHECK(thrown);
    CHECK(handler_calls == 3);
    thrown = false;
    try {
        void *p = ::operator new[](huge(), std::align_val_t(64));
        ::operator delete[](p);
    } catch (const std::bad_alloc &) {
        thrown = true;
    }
    CHECK(thrown);
    handler_calls = 0;
    std::set_new_handler(handler);
    void *q = ::operator new(huge(), std::nothrow);
    CHECK(q == nullptr);
    CHECK(handler_calls == 3); // the nothrow form runs the handler loop too
    CHECK(::operator new[](huge(), std::align_val_t(32), std::nothrow) == nullptr);
    report("new_handler loop, bad_alloc, nothrow", failed);
}

static void test_sized_delete_checked()
{
    // Only the checked build (build/debug/lib/libmini-preload.so) checks the size.
    if (!std::getenv("PT_DEBUG_SHIM")) {
        std::printf("  skip sized delete with a wrong size (release shim does not check)\n");
        return;
    }
    bool failed = false;
    std::fflush(stdout);
    int pfd[2];
    if (pipe(pfd) != 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 2);
        void *p = ::operator new(100);
        ::operator delete(p, 100000);
        _exit(0);
    }
    close(pfd[1]);
    char buf[512] = {0};
    ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
    (void)n;
    close(pfd[0]);
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
    CHECK(std::strstr(buf, "libmini: operator delete(): size larger than the block") != nullptr);
    report("sized delete with a wrong size aborts (checked build)", failed);
}

int main()
{
    void *m = dlsym(RTLD_DEFAULT, "_Znwm");
    Dl_info di;
    if (!m || !dladdr(m, &di) || !std::strstr(di.dli_fname, "libmini-preload")) {
        std::printf(
            "  FAIL operator new is not the shim's\nmini-test: 0 passed, 1 failed, 0 skipped\n");
        return 1;
    }
    test_every_variant();
    test_aligned_types();
    test_new_handler_and_bad_alloc();
    test_sized_delete_checked();
    std::printf("mini-test: %d passed, %d failed, 0 skipped\n", npass, nfail);
    return nfail ? 1 : 0;
}
