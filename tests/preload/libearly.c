/*
 * libearly.c — a shared library the test program `early` links against: its constructor runs
 * before the program's own constructors and before main, and allocates (also from initial-exec
 * TLS), so those blocks must come from libmini too.
 */
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT void *early_lib_block;
EXPORT char *early_lib_string;
EXPORT __thread __attribute__((tls_model("initial-exec"))) void *early_lib_tls_block;

__attribute__((constructor)) static void early_lib_init(void)
{
    early_lib_block = malloc(123);
    if (early_lib_block)
        memset(early_lib_block, 0x5a, 123);
    early_lib_string = strdup("allocated in a library constructor");
    early_lib_tls_block = calloc(3, 7);
}
