/*
 * e8_slab.c — E8: slab cost of VMAs (within 5 %). N non-mergeable one-page mappings: the
 * vm_area_struct objects and slabs grow as the SLUB layout predicts (21 objects of 192 bytes
 * per order-0 slab). The model's cache starts with this machine's objects and slabs.
 */
#include "analysis/kmodel/validate/validate.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#define N 30000

static long long slabval(const char *cache, const char *file)
{
    char p[256];
    snprintf(p, sizeof(p), "/sys/kernel/slab/%s/%s", cache, file);
    return v_read_num(p);
}

int e8_slab(void)
{
    if (!v_root) {
        v_skip("E8", "needs root (/sys/kernel/slab/*/objects is 0400)");
        return -1;
    }
    long long o0 = slabval("vm_area_struct", "objects"),
              t0 = slabval("vm_area_struct", "total_objects");
    long long s0 = slabval("vm_area_struct", "slabs"), mo0 = slabval("maple_node", "objects");
    static void *maps[N];
    int n = 0;
    for (; n < N; n++) {
        maps[n] = mmap(NULL, 4096, (n & 1) ? PROT_READ : PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (maps[n] == MAP_FAILED)
            break;
    }
    long long o1 = slabval("vm_area_struct", "objects"), s1 = slabval("vm_area_struct", "slabs");
    long long mo1 = slabval("maple_node", "objects");
    for (int i = 0; i < n; i++)
        munmap(maps[i], 4096);

    struct km *km = v_model(0, 0, 50);
    if (km == NULL)
        return -1;
    int c = km->kcache[KM_KO_VMA];
    /* Seed the cache with the machine's state: total_objects allocated, the free ones freed. */
    slab_seed(km, c, (uint64_t)t0, (uint64_t)o0);
    uint64_t ms0 = km->caches[c].nr_slabs, ma0 = km->caches[c].nr_active;
    uint64_t mm0 = km->nr_maple_nodes;
    struct km_mm *mm = proc_create(km, "e8", 0);
    uint64_t mv0 = km->caches[c].nr_active, msl0 = km->caches[c].nr_slabs;
    for (int i = 0; i < n; i++) {
        int e;
        vma_mmap(km, mm, 0, 4096, (i & 1) ? KM_PROT_READ : KM_PROT_READ | KM_PROT_WRITE,
                 KM_MAP_PRIVATE | KM_MAP_ANON, -1, 0, &e);
    }
    (void)ms0, (void)ma0;
    char q[96];
    snprintf(q, sizeof(q), "vm_area_struct objects added (N = %d)", n);
    v_row("E8", q, (double)(o1 - o0), (double)(km->caches[c].nr_active - mv0), T_REL, 0.05,
          "within 5 %");
    v_row("E8", "vm_area_struct slabs added", (double)(s1 - s0),
          (double)(km->caches[c].nr_slabs - msl0), T_REL, 0.05, "within 5 %");
    v_row("E8", "maple_node objects added", (double)(mo1 - mo0), (double)(km->nr_maple_nodes - mm0),
          T_INFO, 0, "info (estimate)");
    km_destroy(km);
    return 0;
}
