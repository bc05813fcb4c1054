/*
 * e7_static.c — E7: static state (exact): watermarks and protection of every zone against
 * /proc/zoneinfo, SLUB order and objects per slab of every cache, the unusable and
 * fragmentation indices from /proc/buddyinfo against debugfs (mounted for the run, as root),
 * and CommitLimit.
 */
#include "analysis/kmodel/validate/validate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct zi {
    char name[16];
    long long managed, wm[4], prot[5];
};

static int read_zoneinfo(struct zi *z, int max)
{
    FILE *f = fopen("/proc/zoneinfo", "r");
    char line[512];
    int n = -1;
    while (f && fgets(line, sizeof(line), f)) {
        char name[16];
        long long v;
        if (sscanf(line, "Node %*d, zone %15s", name) == 1) {
            if (++n >= max)
                break;
            memset(&z[n], 0, sizeof(z[n]));
            snprintf(z[n].name, sizeof(z[n].name), "%s", name);
        } else if (n >= 0 && sscanf(line, " managed %lld", &v) == 1) {
            z[n].managed = v;
        } else if (n >= 0 && sscanf(line, " min %lld", &v) == 1) {
            z[n].wm[0] = v;
        } else if (n >= 0 && sscanf(line, " low %lld", &v) == 1) {
            z[n].wm[1] = v;
        } else if (n >= 0 && sscanf(line, " high %lld", &v) == 1) {
            z[n].wm[2] = v;
        } else if (n >= 0 && sscanf(line, " promo %lld", &v) == 1) {
            z[n].wm[3] = v;
        } else if (n >= 0 && strstr(line, "protection: (")) {
            sscanf(strchr(line, '(') + 1, "%lld, %lld, %lld, %lld, %lld", &z[n].prot[0],
                   &z[n].prot[1], &z[n].prot[2], &z[n].prot[3], &z[n].prot[4]);
        }
    }
    if (f)
        fclose(f);
    return n + 1;
}

int e7_static(void)
{
    struct zi z[6];
    int nz = read_zoneinfo(z, 6);
    struct km *km = v_model(0, 0, 50);
    if (km == NULL || nz < 3)
        return -1;
    int wm_bad = 0, wm_n = 0;
    for (int i = 0; i < nz && i < KM_NR_ZONES; i++) {
        for (int w = 0; w < 4; w++, wm_n++)
            wm_bad += (long long)km->zones[i].wmark[w] != z[i].wm[w];
        for (int j = 0; j < KM_NR_ZONES; j++, wm_n++)
            wm_bad += (long long)km->zones[i].lowmem_reserve[j] != z[i].prot[j];
    }
    v_row("E7", "zone watermarks and protection values", wm_n, wm_n - wm_bad, T_EXACT, 0,
          "exact (all equal)");
    char q[96];
    snprintf(q, sizeof(q), "DMA32 min/low/high (real %lld/%lld/%lld): low", z[1].wm[0], z[1].wm[1],
             z[1].wm[2]);
    v_row("E7", q, (double)z[1].wm[1], (double)km->zones[1].wmark[1], T_EXACT, 0, "exact");
    km_destroy(km);
    /* SLUB. */
    DIR *d = opendir("/sys/kernel/slab");
    int checked = 0, bad = 0, lay = 0, lay_bad = 0;
    int ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[512], f[600];
        struct stat st;
        snprintf(path, sizeof(path), "/sys/kernel/slab/%s", e->d_name);
        if (e->d_name[0] == '.' || lstat(path, &st) != 0 || S_ISLNK(st.st_mode))
            continue;
        snprintf(f, sizeof(f), "%s/slab_size", path);
        long long size = v_read_num(f);
        snprintf(f, sizeof(f), "%s/order", path);
        long long order = v_read_num(f);
        snprintf(f, sizeof(f), "%s/objs_per_slab", path);
        long long objs = v_read_num(f);
        if (size <= 0 || order < 0 || objs <= 0)
            continue;
        uint32_t mo;
        int o = slab_calc_order((uint32_t)size, ncpus, &mo);
        checked++;
        bad += o != order || (long long)mo != objs;
        snprintf(f, sizeof(f), "%s/object_size", path);
        long long osz = v_read_num(f);
        snprintf(f, sizeof(f), "%s/align", path);
        long long al = v_read_num(f);
        snprintf(f, sizeof(f), "%s/hwcache_align", path);
        long long hw = v_read_num(f);
        snprintf(f, sizeof(f), "%s/destroy_by_rcu", path);
        long long rcu = v_read_num(f);
        char ctor[128] = "";
        snprintf(f, sizeof(f), "%s/ctor", path);
        FILE *cf = fopen(f, "r");
        if (cf) {
            if (!fgets(ctor, sizeof(ctor), cf))
                ctor[0] = '\0';
            fclose(cf);
        }
        bool has_ctor = ctor[0] && ctor[0] != '\n';
        if (rcu == 1 && !has_ctor)
            continue;
        struct km_slab_layout l;
        slab_calculate(&l, (uint32_t)osz, (uint32_t)al,
                       (hw == 1 ? KM_SLAB_HWCACHE_ALIGN : 0) |
                           (rcu == 1 ? KM_SLAB_TYPESAFE_RCU : 0) | (has_ctor ? KM_SLAB_CTOR : 0),
                       ncpus);
        lay++;
        lay_bad += (long long)l.size != size;
    }
    if (d)
        closedir(d);
    v_row("E7", "SLUB caches with order and objs_per_slab as computed", checked, checked - bad,
          T_EXACT, 0, "exact (all caches)");
    v_row("E7", "SLUB caches with slab_size as computed (flags known)", lay, lay - lay_bad, T_EXACT,
          0, "exact");
    /* Fragmentation indices: debugfs, mounted for the run. */
    if (v_root && vmctl_mount_debugfs() != 0)
        v_note("E7", "cannot mount debugfs: %s", vmctl_error());
    FILE *u = fopen("/sys/kernel/debug/extfrag/unusable_index", "r");
    if (u == NULL) {
        v_skip("E7", "fragmentation indices: debugfs not available (needs root)");
    } else {
        fclose(u);
        int agree = 0, tries;
        for (tries = 0; tries < 20 && !agree; tries++) {
            uint64_t nr[6][KM_NR_ORDERS];
            char names[6][16];
            int n = 0;
            char line[512];
            FILE *b = fopen("/proc/buddyinfo", "r");
            while (b && n < 6 && fgets(line, sizeof(line), b)) {
                char *p = strstr(line, "zone");
                if (!p || sscanf(p, "zone %15s", names[n]) != 1)
                    continue;
                p += 4 + strspn(p + 4, " ") + strlen(names[n]);
                for (int o = 0; o < KM_NR_ORDERS; o++)
                    nr[n][o] = strtoull(p, &p, 10);
                n++;
            }
            if (b)
                fclose(b);
            FILE *uf = fopen("/sys/kernel/debug/extfrag/unusable_index", "r");
            FILE *xf = fopen("/sys/kernel/debug/extfrag/extfrag_index", "r");
            int ok = 1, zi = 0;
            char l1[512], l2[512];
            while (uf && xf && zi < n && fgets(l1, sizeof(l1), uf) && fgets(l2, sizeof(l2), xf)) {
                char *p = strstr(l1, names[zi]), *q2 = strstr(l2, names[zi]);
                if (!p || !q2) {
                    ok = 0;
                    break;
                }
                p += strlen(names[zi]);
                q2 += strlen(names[zi]);
                for (int o = 0; o < KM_NR_ORDERS; o++) {
                    double a = strtod(p, &p), c = strtod(q2, &q2);
                    ok &= (int)(a * 1000 + (a < 0 ? -0.5 : 0.5)) == buddy_unusable_index(nr[zi], o);
                    ok &= (int)(c * 1000 + (c < 0 ? -0.5 : 0.5)) ==
                          buddy_fragmentation_index(nr[zi], o);
                }
                zi++;
            }
            if (uf)
                fclose(uf);
            if (xf)
                fclose(xf);
            agree = ok && zi == n;
        }
        v_row("E7", "unusable and extfrag indices, all zones and orders (1 = equal)", 1, agree,
              T_EXACT, 0, "exact");
        v_note("E7",
               "indices compared on read %d (buddyinfo and debugfs are read at different moments)",
               tries);
    }
    return 0;
}
