/*
 * libFuzzer target: the input is a program of allocator operations on 64 slots — malloc,
 * calloc, realloc, memalign, posix_memalign, aligned_alloc, free, trim, option changes — with
 * sizes from the input. Every live block carries a fill pattern checked before it is freed or
 * resized; the heap checker runs after every operation (MINI_CHECK=2) and everything is freed at
 * the end of each input. Run by `make test` for a bounded number of inputs from a fixed seed;
 * run longer by hand: build/fuzz/tests/fuzz/alloc_ops -max_total_time=600
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libmini/src/internal.h"

enum { SLOTS = 64 };
static struct {
    unsigned char *p;
    size_t n;
    unsigned char tag;
} slot[SLOTS];

static size_t take(const uint8_t **d, size_t *len, size_t bytes)
{
    size_t v = 0;
    for (size_t i = 0; i < bytes && *len; i++, (*d)++, (*len)--)
        v |= (size_t) * *d << (8 * i);
    return v;
}

static void verify(int i)
{
    for (size_t k = 0; k < slot[i].n; k++)
        if (slot[i].p[k] != (unsigned char)(slot[i].tag + k))
            __builtin_trap();
}

static void fill(int i, size_t n, unsigned char tag)
{
    slot[i].n = n;
    slot[i].tag = tag;
    for (size_t k = 0; k < n; k++)
        slot[i].p[k] = (unsigned char)(tag + k);
}

/* Sizes: mostly small, sometimes around the thresholds, rarely large. */
static size_t size_of(size_t raw)
{
    switch (raw & 7) {
    case 0:
        return (raw >> 3) % 64;
    case 1:
    case 2:
        return (raw >> 3) % 1100;
    case 3:
        return (raw >> 3) % 20000;
    case 4:
        return 131072 - 64 + (raw >> 3) % 128;
    case 5:
        return 60000 + (raw >> 3) % 80000;
    case 6:
        return (raw >> 3) % 300000;
    default:
        return (raw >> 3) % 5000;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static int init;
    if (!init) {
        mini_option_set(MINI_OPT_CHECK, 2);
        init = 1;
    }
    while (len) {
        unsigned op = (unsigned)take(&data, &len, 1);
        int i = (int)(take(&data, &len, 1) % SLOTS);
        size_t n = size_of(take(&data, &len, 3));
        unsigned char tag = (unsigned char)op;
        switch (op % 12) {
        case 0:
        case 1:
        case 2:
            if (slot[i].p) {
                verify(i);
                mini_free(slot[i].p);
            }
            slot[i].p = mini_malloc(n);
            if (slot[i].p)
                fill(i, n, tag);
            break;
        case 3:
            if (!slot[i].p && (slot[i].p = mini_calloc(1, n)) != NULL) {
                for (size_t k = 0; k < n; k++)
                    if (slot[i].p[k])
                        __builtin_trap();
                fill(i, n, tag);
            }
            break;
        case 4:
        case 5:
            if (slot[i].p) {
                verify(i);
                size_t keep = slot[i].n < n ? slot[i].n : n;
                unsigned char *q = mini_realloc(slot[i].p, n ? n : 1);
                if (q) {
                    for (size_t k = 0; k < keep; k++)
                        if (q[k] != (unsigned char)(slot[i].tag + k))
                            __builtin_trap();
                    slot[i].p = q;
                    fill(i, n ? n : 1, tag);
                }
            }
            break;
        case 6:
            if (!slot[i].p) {
                size_t al = (size_t)1 << (4 + (op >> 4) % 12);
                slot[i].p = (op & 8) ? mini_memalign(al, n) : mini_aligned_alloc(al, n);
                if (slot[i].p) {
                    if ((uintptr_t)slot[i].p & (al - 1))
                        __builtin_trap();
                    fill(i, n, tag);
                }
            }
            break;
        case 7:
            if (!slot[i].p) {
                void *q = NULL;
                if (mini_posix_memalign(&q, (size_t)8 << (op >> 4) % 10, n) == 0) {
                    slot[i].p = q;
                    fill(i, n, tag);
                }
            }
            break;
        case 8:
        case 9:
        case 10:
            if (slot[i].p) {
                verify(i);
                if (mini_usable_size(slot[i].p) < slot[i].n)
                    __builtin_trap();
                mini_free(slot[i].p);
                slot[i].p = NULL;
            }
            break;
        default:
            switch ((op >> 4) % 4) {
            case 0:
                mini_trim(n % 4096);
                break;
            case 1:
                mini_thread_cache_flush();
                break;
            case 2:
                mini_option_set(MINI_OPT_PURGE_THRESHOLD, (op & 0x80) ? -1 : 4096 + (long)n);
                break;
            default:
                mini_option_set(MINI_OPT_TRIM_THRESHOLD, (long)(n % 300000));
                break;
            }
        }
    }
    for (int i = 0; i < SLOTS; i++)
        if (slot[i].p) {
            verify(i);
            mini_free(slot[i].p);
            slot[i].p = NULL;
        }
    mini_check_heap();
    return 0;
}
