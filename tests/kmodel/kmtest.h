/*
 * kmtest.h — helpers shared by the kernel-model tests: build a machine from a few settings.
 * Numbers from /proc files come from bench/vmctl/vmprobe.h (vmprobe_key, vmprobe_read_num).
 */
#ifndef KMTEST_H
#define KMTEST_H

#include "analysis/kmodel/kmodel.h"
#include "bench/vmctl/vmprobe.h"
#include "tests/harness.h"

#include <string.h>

static inline struct km *kmt_machine_cfg(const struct km_config *c)
{
    char err[256];
    struct km *km = km_create(c, err, sizeof(err));
    if (km == NULL) {
        fprintf(stdout, "km_create: %s\n", err);
        abort();
    }
    return km;
}

static inline struct km *kmt_machine(uint64_t ram, uint64_t swap)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = ram;
    c.swap_bytes = swap;
    c.stats_flush_ms = 0; /* exact statistics: the unit tests check the algorithms */
    return kmt_machine_cfg(&c);
}

/* A private anonymous read-write mapping of len bytes without THP; its address (0: failed). */
static inline uint64_t kmt_map(struct km *km, struct km_mm *mm, uint64_t len)
{
    int e;
    uint64_t a = vma_mmap(km, mm, 0, len, KM_PROT_READ | KM_PROT_WRITE,
                          KM_MAP_PRIVATE | KM_MAP_ANON, -1, 0, &e);
    if (a)
        vma_madvise(km, mm, a, len, KM_MADV_NOHUGEPAGE);
    return a;
}

#endif
