/*
 * plan.c — what the sweep runs: the workloads, the two profiles, the sizes of each run.
 *
 *   profile  configurations (oc, swappiness, swap)                    L       workloads
 *   reduced  swap 1G: (0,0) (0,60) (0,100) (0,200) (1,60) (2,60);   128 MiB  anon-over file-anon
 *            none: (0,60) (1,60) (2,60)                                       overask-cg overask-ram
 *   full     {0,1,2} x {0,60,100,200} x {1G, none}, and global       256 MiB  all (phase: oc 0
 *            (0,60) with and without swap (free memory squeezed to 1 GiB)       only)
 *
 * Sizes follow the configuration: in a memory cgroup the limit L plays the machine's RAM, so
 * the "8 GB on a 4 GB machine" run asks 2 x L; the overcommit heuristics look at the whole
 * machine, so another run asks 2 x MemTotal; global runs size themselves on MemAvailable
 * after the squeeze.
 */
#include "bench/sweep/sweep.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/vmctl/vmprobe.h"

const struct sw_wl sw_workloads[] = {
    {"anon-over", "wl-anon-over", K_ANON_OVER, 7, true, true,
     "anonymous memory over the limit: 2 x L in 64 KiB blocks written with non-zero data, then "
     "read back and rewritten (global: MemAvailable + 512 MiB, written once and read back)"},
    {"file-anon", "wl-file-anon", K_FILE_ANON, 7, true, false,
     "file + anonymous mix: 0.6 x L anonymous rewritten and a 0.8 x L file read with read(2), "
     "3 passes (the file's cache dropped first)"},
    {"overask-cg", "wl-overask", K_OVERASK_CG, 7, true, false,
     "8 GB on a 4 GB machine scaled to the cgroup: one malloc(2 x L), every page written"},
    {"overask-avail", "wl-overask", K_OVERASK_AVAIL, 7, false, true,
     "8 GB on a 4 GB machine on the squeezed machine: one malloc(2 x MemAvailable), every page "
     "written"},
    {"overask-ram", "wl-overask", K_OVERASK_RAM, 7, true, false,
     "8 GB on a 4 GB machine scaled to the machine: one malloc(2 x MemTotal), untouched"},
    {"overask-ram-touched", "wl-overask", K_OVERASK_RAM_T, 7, true, false,
     "one malloc(2 x MemTotal), every page written until the process dies"},
    {"phase", "wl-phase", K_PHASE, 1, true, false,
     "the reclaim phase workload (wl-phase): grow to 1.5 x L of mixed blocks, free 90 %, trim, "
     "grow again"},
    {NULL, NULL, 0, 0, false, false, NULL},
};

const struct sw_wl *sw_wl_find(const char *name)
{
    for (const struct sw_wl *w = sw_workloads; w->name; w++)
        if (strcmp(w->name, name) == 0)
            return w;
    return NULL;
}

static void add_cfg(struct sweep *s, int oc, int sw, uint64_t swap, bool global)
{
    if (s->ncfg == (int)(sizeof(s->cfgs) / sizeof(s->cfgs[0])))
        return;
    s->cfgs[s->ncfg++] = (struct sw_cfg){oc, sw, swap, global};
}

static void add_wl(struct sweep *s, const char *name)
{
    const struct sw_wl *w = sw_wl_find(name);
    if (w && s->nwl < (int)(sizeof(s->wls) / sizeof(s->wls[0])))
        s->wls[s->nwl++] = w;
}

int sw_plan_profile(struct sweep *s, const char *profile, char *err, size_t len)
{
    s->ncfg = s->nwl = 0;
    if (strcmp(profile, "reduced") == 0) {
        s->limit = 128 * SW_MIB;
        s->timeout_s = 60;
        s->budget_s = 600;
        static const int sw1g[][2] = {{0, 0}, {0, 60}, {0, 100}, {0, 200}, {1, 60}, {2, 60}};
        for (size_t i = 0; i < sizeof(sw1g) / sizeof(sw1g[0]); i++)
            add_cfg(s, sw1g[i][0], sw1g[i][1], s->swap_size, false);
        for (int oc = 0; oc < 3; oc++)
            add_cfg(s, oc, 60, 0, false);
        add_wl(s, "anon-over");
        add_wl(s, "file-anon");
        add_wl(s, "overask-cg");
        add_wl(s, "overask-ram");
    } else if (strcmp(profile, "full") == 0) {
        s->limit = 256 * SW_MIB;
        s->timeout_s = 120;
        s->budget_s = 1800;
        static const int sws[] = {0, 60, 100, 200};
        for (int sw_on = 1; sw_on >= 0; sw_on--) {
            for (int oc = 0; oc < 3; oc++)
                for (int k = 0; k < 4; k++)
                    add_cfg(s, oc, sws[k], sw_on ? s->swap_size : 0, false);
            add_cfg(s, 0, 60, sw_on ? s->swap_size : 0, true);
        }
        for (const struct sw_wl *w = sw_workloads; w->name; w++)
            add_wl(s, w->name);
    } else {
        snprintf(err, len, "unknown profile '%s' (reduced, full)", profile);
        return -1;
    }
    s->profile = profile;
    return 0;
}

/* Parses a comma list of integers in [lo, hi] into v (at most max); returns the count or -1. */
static int int_list(const char *list, int lo, int hi, int *v, int max)
{
    int n = 0;
    const char *p = list;
    while (*p) {
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p || (*end != ',' && *end != '\0') || x < lo || x > hi || n == max)
            return -1;
        v[n++] = (int)x;
        p = *end ? end + 1 : end;
    }
    return n;
}

/* --oc, --swappiness, --swaps, --global, --workloads: replace one axis of the plan. The
 * configuration grid is rebuilt from the axes present in the current plan. */
int sw_plan_list(struct sweep *s, const char *what, const char *list, char *err, size_t len)
{
    int ocs[3], nocs = 0, sws[8], nsws = 0;
    uint64_t swaps[4];
    int nswaps = 0;
    bool global = false;
    /* The current axes. */
    for (int i = 0; i < s->ncfg; i++) {
        const struct sw_cfg *c = &s->cfgs[i];
        if (c->global) {
            global = true;
            continue;
        }
        bool f = false;
        for (int k = 0; k < nocs; k++)
            f |= ocs[k] == c->oc;
        if (!f && nocs < 3)
            ocs[nocs++] = c->oc;
        f = false;
        for (int k = 0; k < nsws; k++)
            f |= sws[k] == c->swappiness;
        if (!f && nsws < 8)
            sws[nsws++] = c->swappiness;
        f = false;
        for (int k = 0; k < nswaps; k++)
            f |= swaps[k] == c->swap;
        if (!f && nswaps < 4)
            swaps[nswaps++] = c->swap;
    }
    if (strcmp(what, "oc") == 0) {
        if ((nocs = int_list(list, 0, 2, ocs, 3)) <= 0) {
            snprintf(err, len, "--oc '%s': want a comma list of 0, 1, 2", list);
            return -1;
        }
    } else if (strcmp(what, "swappiness") == 0) {
        if ((nsws = int_list(list, 0, 200, sws, 8)) <= 0) {
            snprintf(err, len, "--swappiness '%s': want a comma list of 0..200", list);
            return -1;
        }
    } else if (strcmp(what, "swaps") == 0) {
        nswaps = 0;
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", list);
        for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
            if (nswaps == 4) {
                snprintf(err, len, "--swaps '%s': at most 4 sizes", list);
                return -1;
            }
            if (strcmp(t, "none") == 0 || strcmp(t, "0") == 0) {
                swaps[nswaps++] = 0;
                continue;
            }
            char *end;
            double v = strtod(t, &end);
            uint64_t mul = *end == 'G' || *end == 'g'   ? SW_GIB
                           : *end == 'M' || *end == 'm' ? SW_MIB
                                                        : 0;
            if (v <= 0 || mul == 0 || end[1] != '\0' || v * (double)mul > 64.0 * SW_GIB) {
                snprintf(err, len, "--swaps '%s': want none or sizes like 1G, 512M", list);
                return -1;
            }
            swaps[nswaps++] = (uint64_t)(v * (double)mul) & ~4095ULL;
        }
        if (nswaps == 0) {
            snprintf(err, len, "--swaps: empty list");
            return -1;
        }
    } else if (strcmp(what, "global") == 0) {
        if (strcmp(list, "yes") != 0 && strcmp(list, "no") != 0) {
            snprintf(err, len, "--global '%s': want yes or no", list);
            return -1;
        }
        global = strcmp(list, "yes") == 0;
    } else if (strcmp(what, "workloads") == 0) {
        s->nwl = 0;
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", list);
        for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
            if (sw_wl_find(t) == NULL) {
                snprintf(err, len,
                         "--workloads: unknown workload '%s' (known: anon-over, "
                         "file-anon, overask-cg, overask-avail, overask-ram, "
                         "overask-ram-touched, phase)",
                         t);
                return -1;
            }
            add_wl(s, t);
        }
        return 0;
    } else {
        snprintf(err, len, "unknown plan axis '%s'", what);
        return -1;
    }
    /* Rebuild: swap sizes in the order given (largest first by default), then the grid. */
    s->ncfg = 0;
    for (int w = 0; w < nswaps; w++) {
        for (int o = 0; o < nocs; o++)
            for (int k = 0; k < nsws; k++)
                add_cfg(s, ocs[o], sws[k], swaps[w], false);
        if (global)
            add_cfg(s, 0, 60, swaps[w], true);
    }
    return 0;
}

void sw_sizes(const struct sweep *s, const struct sw_cfg *c, const struct sw_wl *w,
              struct sw_size *z)
{
    memset(z, 0, sizeof(*z));
    uint64_t L = s->limit, ram = s->memtotal_kb * 1024;
    long long avail_kb = c->global ? vmprobe_meminfo_kb("MemAvailable") : 0;
    uint64_t avail = avail_kb > 0 ? (uint64_t)avail_kb * 1024 : 0;
    switch (w->kind) {
    case K_ANON_OVER:
        /* Global: 512 MiB beyond what the machine can give (free memory and reclaimable page
         * cache), so that kswapd, direct reclaim and swap must make room; one write pass (the
         * final read-back swaps in what went out). */
        z->bytes = c->global ? (avail + 512 * SW_MIB) & ~(64 * 1024ULL - 1) : 2 * L;
        z->passes = c->global ? 1 : 2;
        z->commit = z->bytes;
        break;
    case K_FILE_ANON:
        z->bytes = (L * 3 / 5) & ~(64 * 1024ULL - 1);
        z->file = (L * 4 / 5) & ~4095ULL;
        z->passes = 3;
        z->commit = z->bytes + 256 * 1024;
        break;
    case K_OVERASK_CG:
        z->bytes = 2 * L;
        z->touch = true;
        z->commit = z->bytes;
        break;
    case K_OVERASK_AVAIL:
        z->bytes = (2 * avail) & ~4095ULL;
        z->touch = true;
        z->commit = z->bytes;
        break;
    case K_OVERASK_RAM:
    case K_OVERASK_RAM_T:
        z->bytes = (2 * ram) & ~4095ULL;
        z->touch = w->kind == K_OVERASK_RAM_T;
        z->commit = z->bytes;
        break;
    case K_PHASE:
        z->scale = 1.5 * (double)L / (256.0 * SW_MIB);
        z->bytes = (uint64_t)(1.5 * (double)L);
        z->commit = z->bytes + z->bytes / 4;
        break;
    }
}

const char *sw_size_str(uint64_t b, char *buf, size_t len)
{
    if (b == 0)
        snprintf(buf, len, "none");
    else if (b % SW_GIB == 0)
        snprintf(buf, len, "%lluG", (unsigned long long)(b / SW_GIB));
    else if (b % SW_MIB == 0)
        snprintf(buf, len, "%lluM", (unsigned long long)(b / SW_MIB));
    else if (b % 1024 == 0)
        snprintf(buf, len, "%lluK", (unsigned long long)(b / 1024));
    else
        snprintf(buf, len, "%llu", (unsigned long long)b);
    return buf;
}

const char *sw_cfg_label(const struct sw_cfg *c, char *buf, size_t len)
{
    char sz[32];
    snprintf(buf, len, "oc=%d sw=%d swap=%s%s", c->oc, c->swappiness,
             sw_size_str(c->swap, sz, sizeof(sz)), c->global ? " global" : "");
    return buf;
}

/* The allocators, as the bench runner finds them (bench/runner/alloc.c). */
void sw_alloc_lookup(struct sweep *s, const char *name)
{
    if (s->nalloc == (int)(sizeof(s->allocs) / sizeof(s->allocs[0])))
        return;
    struct sw_alloc *a = &s->allocs[s->nalloc++];
    memset(a, 0, sizeof(*a));
    a->name = name;
    if (strcmp(name, "glibc") == 0)
        return;
    if (strcmp(name, "libmini") == 0) {
        char path[1100];
        snprintf(path, sizeof(path), "%s/../lib/libmini-preload.so", s->bin);
        char *real = realpath(path, NULL);
        if (real && strlen(real) < sizeof(a->preload)) {
            memcpy(a->preload, real, strlen(real) + 1);
        } else {
            snprintf(a->skip, sizeof(a->skip), "not built (%.200s is missing)", path);
        }
        free(real);
        return;
    }
    static const struct {
        const char *name, *lib;
    } libs[] = {{"jemalloc", "libjemalloc.so.2"},
                {"mimalloc", "libmimalloc.so.2"},
                {"tcmalloc", "libtcmalloc_minimal.so.4"}};
    static const char *const dirs[] = {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
                                       "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"};
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        if (strcmp(libs[i].name, name) != 0)
            continue;
        for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
            snprintf(a->preload, sizeof(a->preload), "%s/%s", dirs[d], libs[i].lib);
            if (access(a->preload, R_OK) == 0)
                return;
        }
        snprintf(a->skip, sizeof(a->skip), "not installed (%s not found)", libs[i].lib);
        a->preload[0] = '\0';
        return;
    }
    snprintf(a->skip, sizeof(a->skip), "unknown allocator");
}
