/*
 * plugin.c — a library loaded with dlopen by the test program `dlopen`: it allocates in its
 * constructor, hands blocks to the program, frees the program's blocks, and keeps a block in
 * initial-exec TLS (the static TLS surplus that dlopen'ed libraries may use).
 */
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static char *ctor_block;
static __thread __attribute__((tls_model("initial-exec"))) char *tls_block;

__attribute__((constructor)) static void plugin_init(void)
{
    ctor_block = strdup("plugin constructor");
}

__attribute__((destructor)) static void plugin_fini(void)
{
    free(ctor_block);
    free(tls_block);
    tls_block = NULL;
}

EXPORT const char *plugin_ctor_block(void)
{
    return ctor_block;
}

EXPORT void *plugin_alloc(size_t n, int fill)
{
    void *p = malloc(n);
    if (p)
        memset(p, fill, n);
    return p;
}

EXPORT void plugin_free(void *p)
{
    free(p);
}

EXPORT char *plugin_tls(void)
{
    if (tls_block == NULL)
        tls_block = calloc(1, 64);
    return tls_block;
}
