/*
 * early.c — allocation before main: in a library constructor (libearly.so), in the program's
 * first constructor, in initial-exec TLS, and from the C library's own start-up. Every such
 * block must be libmini's (free() of a glibc block would abort with libmini's message).
 */
#include <stdint.h>

#include "tests/preload/pt.h"

extern void *early_lib_block;
extern char *early_lib_string;
extern __thread void *early_lib_tls_block;

static void *ctor_block, *ctor_aligned;
static char *ctor_string;
static uint64_t ctor_mallocs;

__attribute__((constructor(101))) static void early_first_ctor(void)
{
    uint64_t before = pt_stats().n_malloc;
    ctor_block = malloc(77);
    ctor_string = strdup("allocated in the program's first constructor");
    ctor_aligned = aligned_alloc(256, 512);
    ctor_mallocs = pt_stats().n_malloc - before;
}

TEST_BEGIN(test_library_constructor)
{
    size_t (*usable)(const void *) = NULL;
    *(void **)&usable = dlsym(RTLD_DEFAULT, "mini_usable_size");
    require_ptr_ne((void *)usable, NULL, "");
    require_ptr_ne(early_lib_block, NULL, "");
    /* mini_usable_size validates the pointer: a block from glibc would abort here. */
    expect_zu_ge(usable(early_lib_block), 123, "");
    expect_true(((unsigned char *)early_lib_block)[122] == 0x5a, "");
    expect_str_eq(early_lib_string, "allocated in a library constructor");
    expect_zu_ge(usable(early_lib_string), strlen(early_lib_string) + 1, "");
    require_ptr_ne(early_lib_tls_block, NULL, "calloc in initial-exec TLS");
    expect_zu_ge(usable(early_lib_tls_block), 21, "");
    free(early_lib_block);
    free(early_lib_string);
    free(early_lib_tls_block);
}
TEST_END

TEST_BEGIN(test_program_constructor)
{
    expect_u64_eq(ctor_mallocs, 3, "the shim served the constructor's calls");
    require_ptr_ne(ctor_block, NULL, "");
    require_ptr_ne(ctor_aligned, NULL, "");
    expect_true(((uintptr_t)ctor_aligned & 255) == 0, "");
    expect_str_eq(ctor_string, "allocated in the program's first constructor");
    free(ctor_block);
    free(ctor_string);
    free(ctor_aligned);
}
TEST_END

TEST_BEGIN(test_libc_startup_blocks)
{
    /* The C library allocated during start-up (stdio, locale): all of it through libmini, so
     * libmini had counted calls before main. */
    mini_stats_t s = pt_stats();
    expect_u64_ge(s.n_malloc, 6, "");
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    require_ptr_ne(f, NULL, "");
    fprintf(f, "%s %d", "memstream", 42);
    fclose(f);
    expect_str_eq(buf, "memstream 42");
    free(buf); /* allocated inside glibc: must be libmini's block */
}
TEST_END

int main(int argc, char **argv)
{
    pt_require_shim();
    return TEST_MAIN(argc, argv, test_library_constructor, test_program_constructor,
                     test_libc_startup_blocks);
}
