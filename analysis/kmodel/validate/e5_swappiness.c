/*
 * e5_swappiness.c — E5: swappiness balance with file and anonymous memory. A cgroup limit
 * (320 MiB) below anon (192 MiB) + file (256 MiB) working sets; 3 passes that rewrite the
 * anonymous memory and re-read the file with read(2); the file's page cache dropped first;
 * S in {1, 60, 100, 200}. Targets: anon pages scanned within 25 % (they rise with S), anon
 * reclaim and swap-out within 25 % (zero while the file cache can be trimmed; S = 200 swaps).
 */
#include "analysis/kmodel/validate/validate.h"
#include "bench/vmctl/vmprobe.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define L_BYTES   (320ULL << 20)
#define A_BYTES   (192ULL << 20)
#define F_BYTES   (256ULL << 20)
#define PASSES    3
#define FILE_PATH "/var/tmp/libmini-kmodel-e5.data"

static int workload(void *arg)
{
    (void)arg;
    volatile char *p =
        mmap(NULL, A_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 2;
    madvise((void *)p, A_BYTES, MADV_NOHUGEPAGE);
    static char buf[128 << 10];
    for (int pass = 0; pass < PASSES; pass++) {
        for (size_t off = 0; off < A_BYTES; off += 4096)
            p[off] = (char)(pass + 1);
        int fd = open(FILE_PATH, O_RDONLY);
        if (fd < 0)
            return 3;
        while (read(fd, buf, sizeof(buf)) > 0)
            ;
        close(fd);
    }
    return 0;
}

int e5_swappiness(void)
{
    if (!v_root) {
        v_skip("E5", "needs root (swap file, memory cgroup)");
        return -1;
    }
    if (vmprobe_make_file(FILE_PATH, F_BYTES, 0x5a) != 0 ||
        vmctl_swapfile(v_swapfile, 1ULL << 30) != 0) {
        v_skip("E5", "cannot create the data file or the swap file");
        vmctl_restore();
        unlink(FILE_PATH);
        return -1;
    }
    static const int sw[] = {1, 60, 100, 200};
    for (int k = 0; k < 4; k++) {
        int s = sw[k];
        char cg[256];
        if (v_cgroup("E5", s, L_BYTES, s, cg, sizeof(cg)) != 0)
            break;
        long left = vmprobe_drop_cache(FILE_PATH);
        if (left)
            v_note("E5", "swappiness %d: %ld pages of the file still cached after dropping", s,
                   left);
        struct v_vmstat a, b;
        struct rusage ru;
        v_vmstat_snap(&a);
        v_run_child(cg, workload, NULL, 180, &ru);
        v_vmstat_snap(&b);

        struct km *km = v_model(1ULL << 30, 0, 50);
        if (km == NULL)
            break;
        int g = memcg_create(km, "e5");
        km->memcg[g].limit = L_BYTES / 4096;
        km->memcg[g].swappiness = s;
        struct km_mm *mm = proc_create(km, "w", g);
        int f = file_create(km, "data", F_BYTES);
        uint64_t p = v_model_anon(km, mm, A_BYTES, 0);
        for (int pass = 0; pass < PASSES && !mm->killed; pass++) {
            fault_touch_range(km, mm, p, A_BYTES, KM_TOUCH_WRITE, 1);
            file_read(km, mm, f, 0, F_BYTES);
        }
        char q[96];
        static const struct {
            const char *name;
            enum km_vmstat i;
        } c[] = {{"pgscan_anon", KM_VM_pgscan_anon},
                 {"pgsteal_anon", KM_VM_pgsteal_anon},
                 {"pswpout", KM_VM_pswpout},
                 {"pgscan_file", KM_VM_pgscan_file},
                 {"pgsteal_file", KM_VM_pgsteal_file},
                 {"workingset_refault_file", KM_VM_workingset_refault_file},
                 {"workingset_activate_file", KM_VM_workingset_activate_file},
                 {"pgdeactivate", KM_VM_pgdeactivate}};
        for (int i = 0; i < 8; i++) {
            snprintf(q, sizeof(q), "swappiness %d: %s", s, c[i].name);
            double real = (double)v_vmstat_delta(&a, &b, c[i].i), model = (double)km->vm[c[i].i];
            if (i < 3)
                v_row("E5", q, real, model, real < 1000 && model < 1000 ? T_ABS : T_REL,
                      real < 1000 && model < 1000 ? 1000 : 0.25, "within 25 % (or both < 1000)");
            else
                v_row("E5", q, real, model, T_INFO, 0, "info");
        }
        km_destroy(km);
    }
    vmctl_restore();
    unlink(FILE_PATH);
    return 0;
}
