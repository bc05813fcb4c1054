/*
 * dlopen.c — a program that dlopens a library which allocates (libplugin.so, next to this
 * program): blocks cross the boundary both ways, the library is unloaded and loaded again.
 */
#include <limits.h>

#include "tests/preload/pt.h"

static char plugin_path[PATH_MAX + 32];

TEST_BEGIN(test_dlopen_allocating_library)
{
    for (int round = 0; round < 3; round++) {
        void *h = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
        require_ptr_ne(h, NULL, "dlopen %s: %s", plugin_path, dlerror());
        const char *(*ctor)(void) = NULL;
        void *(*alloc)(size_t, int) = NULL;
        void (*pfree)(void *) = NULL;
        char *(*tls)(void) = NULL;
        *(void **)&ctor = dlsym(h, "plugin_ctor_block");
        *(void **)&alloc = dlsym(h, "plugin_alloc");
        *(void **)&pfree = dlsym(h, "plugin_free");
        *(void **)&tls = dlsym(h, "plugin_tls");
        require_true(ctor && alloc && pfree && tls, "");
        expect_str_eq(ctor(), "plugin constructor");
        mini_stats_t a = pt_stats();
        unsigned char *p = alloc(1000, 0x3c);
        require_ptr_ne(p, NULL, "");
        expect_true(p[999] == 0x3c, "");
        expect_u64_eq(pt_stats().n_malloc - a.n_malloc, 1, "the plugin's malloc is libmini's");
        free(p); /* the program frees the plugin's block */
        char *q = malloc(2000);
        pfree(q); /* and the plugin frees the program's */
        char *t = tls();
        require_ptr_ne(t, NULL, "");
        strcpy(t, "tls");
        expect_str_eq(tls(), "tls");
        expect_d_eq(dlclose(h), 0, "");
    }
}
TEST_END

int main(int argc, char **argv)
{
    pt_require_shim();
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 2;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    snprintf(plugin_path, sizeof(plugin_path), "%s/libplugin.so", self);
    return TEST_MAIN(argc, argv, test_dlopen_allocating_library);
}
