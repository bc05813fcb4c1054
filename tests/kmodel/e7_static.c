/*
 * e7_static.c — KMODEL-SPEC.md section 12.2 E7 (exact), the parts that need no settings change:
 * this machine's /proc/zoneinfo watermarks, protection and pcp sizes against the model built
 * with the same managed pages and sysctls; SLUB order and objects per slab of every cache in
 * /sys/kernel/slab; the unusable and fragmentation indices of /proc/buddyinfo against debugfs
 * (when debugfs is mounted); CommitLimit against /proc/meminfo.
 */
#include "tests/kmodel/kmtest.h"

#include <dirent.h>
#include <sys/stat.h>

struct zinfo {
    char name[16];
    long long managed, wm[4], prot[5], batch, high_min, high_max;
    int nprot;
};

/* Parse /proc/zoneinfo: managed, min/low/high/promo, protection, pcp batch/high_min/high_max. */
static int read_zoneinfo(struct zinfo *z, int max)
{
    FILE *f = fopen("/proc/zoneinfo", "r");
    if (f == NULL)
        return -1;
    char line[512];
    int n = -1;
    while (fgets(line, sizeof(line), f)) {
        char zname[16];
        long long v;
        if (sscanf(line, "Node %*d, zone %15s", zname) == 1) {
            if (++n >= max)
                break;
            memset(&z[n], 0, sizeof(z[n]));
            snprintf(z[n].name, sizeof(z[n].name), "%s", zname);
            z[n].batch = z[n].high_min = z[n].high_max = -1;
            continue;
        }
        if (n < 0)
            continue;
        if (sscanf(line, " managed %lld", &v) == 1)
            z[n].managed = v;
        else if (sscanf(line, " min %lld", &v) == 1)
            z[n].wm[0] = v;
        else if (sscanf(line, " low %lld", &v) == 1)
            z[n].wm[1] = v;
        else if (sscanf(line, " high %lld", &v) == 1)
            z[n].wm[2] = v;
        else if (sscanf(line, " promo %lld", &v) == 1)
            z[n].wm[3] = v;
        else if (sscanf(line, " batch: %lld", &v) == 1 && z[n].batch < 0)
            z[n].batch = v;
        else if (sscanf(line, " high_min: %lld", &v) == 1 && z[n].high_min < 0)
            z[n].high_min = v;
        else if (sscanf(line, " high_max: %lld", &v) == 1 && z[n].high_max < 0)
            z[n].high_max = v;
        else if (strstr(line, "protection: (")) {
            const char *p = strchr(line, '(') + 1;
            for (int i = 0; i < 5; i++) {
                char *end;
                z[n].prot[i] = strtoll(p, &end, 10);
                if (end == p)
                    break;
                z[n].nprot = i + 1;
                p = end + strspn(end, ", ");
            }
        }
    }
    fclose(f);
    return n + 1;
}

/* The model with this machine's managed pages and watermark sysctls. */
static struct km *machine_like_this(const struct zinfo *zi, int nz)
{
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = 24ULL << 30;
    for (int i = 0; i < nz && i < 3; i++) {
        c.zone_managed[i] = (uint64_t)zi[i].managed;
        c.zone_managed_set[i] = true;
    }
    c.min_free_kbytes = vmprobe_read_num("/proc/sys/vm/min_free_kbytes");
    c.watermark_scale_factor = (int)vmprobe_read_num("/proc/sys/vm/watermark_scale_factor");
    FILE *f = fopen("/proc/sys/vm/lowmem_reserve_ratio", "r");
    if (f) {
        for (int i = 0; i < 3; i++)
            if (fscanf(f, "%d", &c.lowmem_reserve_ratio[i]) != 1)
                break;
        fclose(f);
    }
    c.ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return kmt_machine_cfg(&c);
}

TEST_BEGIN(watermarks_and_protection_match_zoneinfo)
{
    struct zinfo zi[6];
    /* The Normal zone grows while the machine runs (lazy init): retry until two reads agree. */
    int nz = 0;
    for (int tries = 0; tries < 5; tries++) {
        struct zinfo again[6];
        nz = read_zoneinfo(zi, 6);
        test_skip_if(nz < 3, "/proc/zoneinfo not readable");
        if (read_zoneinfo(again, 6) == nz && again[2].managed == zi[2].managed)
            break;
    }
    struct km *km = machine_like_this(zi, nz);
    for (int i = 0; i < nz && i < KM_NR_ZONES; i++) {
        const struct km_zone *z = &km->zones[i];
        if (zi[i].managed == 0 && strcmp(zi[i].name, "Movable") != 0)
            continue;
        for (int w = 0; w < 4; w++)
            expect_u64_eq(z->wmark[w], (uint64_t)zi[i].wm[w], "zone %s watermark %d", zi[i].name,
                          w);
        for (int j = 0; j < zi[i].nprot && j < KM_NR_ZONES; j++)
            expect_u64_eq(z->lowmem_reserve[j], (uint64_t)zi[i].prot[j], "zone %s protection[%d]",
                          zi[i].name, j);
        if (zi[i].batch >= 0 && zi[i].managed) {
            expect_d_eq(z->pcp[0].batch, zi[i].batch, "zone %s pcp batch", zi[i].name);
            expect_d_eq(z->pcp[0].high_min, zi[i].high_min, "zone %s pcp high_min", zi[i].name);
            expect_d_eq(z->pcp[0].high_max, zi[i].high_max, "zone %s pcp high_max", zi[i].name);
        }
    }
    km_destroy(km);
}
TEST_END

TEST_BEGIN(slub_order_and_objects_per_slab_of_every_cache)
{
    DIR *d = opendir("/sys/kernel/slab");
    test_skip_if(d == NULL, "/sys/kernel/slab not available");
    int ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
    struct dirent *e;
    int checked = 0, bad = 0, layout_known = 0, layout_bad = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        struct stat st;
        snprintf(path, sizeof(path), "/sys/kernel/slab/%s", e->d_name);
        if (lstat(path, &st) != 0 || S_ISLNK(st.st_mode))
            continue; /* aliases of merged caches */
        char f[600];
        snprintf(f, sizeof(f), "%s/slab_size", path);
        long long size = vmprobe_read_num(f);
        snprintf(f, sizeof(f), "%s/order", path);
        long long order = vmprobe_read_num(f);
        snprintf(f, sizeof(f), "%s/objs_per_slab", path);
        long long objs = vmprobe_read_num(f);
        if (size <= 0 || order < 0 || objs <= 0)
            continue;
        uint32_t mobjs;
        int mo = slab_calc_order((uint32_t)size, ncpus, &mobjs);
        checked++;
        if (mo != order || (long long)mobjs != objs) {
            bad++;
            test_fail("%s: size %lld: model order %d objs %u, kernel order %lld objs %lld",
                      e->d_name, size, mo, mobjs, order, objs);
        }
        /* The layout (slab_size from object_size and flags), where the flags determine it. */
        long long osz, align, hw, rcu, poison, rz, su;
        snprintf(f, sizeof(f), "%s/object_size", path);
        osz = vmprobe_read_num(f);
        snprintf(f, sizeof(f), "%s/align", path);
        align = vmprobe_read_num(f);
        snprintf(f, sizeof(f), "%s/hwcache_align", path);
        hw = vmprobe_read_num(f);
        snprintf(f, sizeof(f), "%s/destroy_by_rcu", path);
        rcu = vmprobe_read_num(f);
        snprintf(f, sizeof(f), "%s/poison", path);
        poison = vmprobe_read_num(f);
        snprintf(f, sizeof(f), "%s/red_zone", path);
        rz = vmprobe_read_num(f);
        snprintf(f, sizeof(f), "%s/store_user", path);
        su = vmprobe_read_num(f);
        char ctor[128] = "";
        snprintf(f, sizeof(f), "%s/ctor", path);
        FILE *cf = fopen(f, "r");
        if (cf) {
            if (fgets(ctor, sizeof(ctor), cf) == NULL)
                ctor[0] = '\0';
            fclose(cf);
        }
        bool has_ctor = ctor[0] && ctor[0] != '\n';
        if (rcu == 1 && !has_ctor)
            continue; /* an explicit free-pointer offset may be set: not visible in sysfs */
        uint32_t flags = (hw == 1 ? KM_SLAB_HWCACHE_ALIGN : 0) |
                         (rcu == 1 ? KM_SLAB_TYPESAFE_RCU : 0) | (has_ctor ? KM_SLAB_CTOR : 0) |
                         (poison == 1 ? KM_SLAB_POISON : 0) | (rz == 1 ? KM_SLAB_RED_ZONE : 0) |
                         (su == 1 ? KM_SLAB_STORE_USER : 0);
        struct km_slab_layout l;
        slab_calculate(&l, (uint32_t)osz, (uint32_t)align, flags, ncpus);
        layout_known++;
        if ((long long)l.size != size) {
            layout_bad++;
            test_fail("%s: object_size %lld align %lld flags %#x: model size %u, kernel %lld",
                      e->d_name, osz, align, flags, l.size, size);
        }
    }
    closedir(d);
    printf("    %d caches: %d order/objects mismatches; layout of %d caches: %d mismatches\n",
           checked, bad, layout_known, layout_bad);
    expect_d_gt(checked, 50, "caches checked");
}
TEST_END

TEST_BEGIN(fragmentation_indices_match_debugfs)
{
    FILE *f = fopen("/sys/kernel/debug/extfrag/unusable_index", "r");
    test_skip_if(f == NULL, "debugfs not mounted (make validate-model mounts it as root)");
    fclose(f);
    /* Compare a few times: buddyinfo and debugfs are read at slightly different moments. */
    int agree = 0;
    for (int tries = 0; tries < 10 && !agree; tries++) {
        uint64_t nr[8][KM_NR_ORDERS];
        char names[8][16];
        int nz = 0;
        FILE *b = fopen("/proc/buddyinfo", "r");
        char line[512];
        while (b && nz < 8 && fgets(line, sizeof(line), b)) {
            char *p = strstr(line, "zone");
            if (!p || sscanf(p, "zone %15s", names[nz]) != 1)
                continue;
            p += 4 + strspn(p + 4, " ") + strlen(names[nz]);
            for (int o = 0; o < KM_NR_ORDERS; o++)
                nr[nz][o] = strtoull(p, &p, 10);
            nz++;
        }
        if (b)
            fclose(b);
        FILE *u = fopen("/sys/kernel/debug/extfrag/unusable_index", "r");
        FILE *x = fopen("/sys/kernel/debug/extfrag/extfrag_index", "r");
        int ok = 1, zi = 0;
        char l1[512], l2[512];
        while (u && x && zi < nz && fgets(l1, sizeof(l1), u) && fgets(l2, sizeof(l2), x)) {
            char *p = strstr(l1, names[zi]), *q = strstr(l2, names[zi]);
            if (!p || !q) {
                ok = 0;
                break;
            }
            p += strlen(names[zi]);
            q += strlen(names[zi]);
            for (int o = 0; o < KM_NR_ORDERS; o++) {
                double a = strtod(p, &p), c = strtod(q, &q);
                if ((int)(a * 1000 + (a < 0 ? -0.5 : 0.5)) != buddy_unusable_index(nr[zi], o) ||
                    (int)(c * 1000 + (c < 0 ? -0.5 : 0.5)) != buddy_fragmentation_index(nr[zi], o))
                    ok = 0;
            }
            zi++;
        }
        if (u)
            fclose(u);
        if (x)
            fclose(x);
        agree = ok && zi == nz;
    }
    expect_true(agree, "indices computed from /proc/buddyinfo equal debugfs extfrag");
}
TEST_END

TEST_BEGIN(commit_limit_matches_meminfo)
{
    long long memtotal = vmprobe_key("/proc/meminfo", "MemTotal");
    long long swaptotal = vmprobe_key("/proc/meminfo", "SwapTotal");
    long long limit = vmprobe_key("/proc/meminfo", "CommitLimit");
    long long hp = vmprobe_key("/proc/meminfo", "HugePages_Total");
    test_skip_if(memtotal <= 0 || limit <= 0, "/proc/meminfo not readable");
    struct zinfo zi[6];
    int nz = read_zoneinfo(zi, 6);
    test_skip_if(nz < 3, "/proc/zoneinfo not readable");
    struct km_config c;
    km_config_default(&c);
    c.ram_bytes = 24ULL << 30;
    /* totalram_pages is MemTotal (it counts memory the lazy init has not handed over yet). */
    c.zone_managed[0] = (uint64_t)zi[0].managed;
    c.zone_managed[1] = (uint64_t)zi[1].managed;
    c.zone_managed[2] =
        (uint64_t)(memtotal / 4) - (uint64_t)zi[0].managed - (uint64_t)zi[1].managed;
    for (int i = 0; i < 3; i++)
        c.zone_managed_set[i] = true;
    c.overcommit_ratio = (int)vmprobe_read_num("/proc/sys/vm/overcommit_ratio");
    c.overcommit_kbytes = (uint64_t)vmprobe_read_num("/proc/sys/vm/overcommit_kbytes");
    c.swap_bytes = swaptotal > 0 ? (uint64_t)(swaptotal + 4) * 1024 : 0;
    c.nr_hugepages = hp > 0 ? (uint64_t)hp : 0;
    c.shuffle = false;
    struct km *km = kmt_machine_cfg(&c);
    expect_u64_eq(km->totalram * 4, (uint64_t)memtotal, "");
    expect_u64_eq(commit_limit(km) * 4, (uint64_t)limit, "CommitLimit kB");
    km_destroy(km);
}
TEST_END

int main(int argc, char **argv)
{
    return TEST_MAIN(argc, argv, watermarks_and_protection_match_zoneinfo,
                     slub_order_and_objects_per_slab_of_every_cache,
                     fragmentation_indices_match_debugfs, commit_limit_matches_meminfo);
}
