/*
 * e4_memcg_swap.c — E4: a memcg-limited anonymous workload with swap. A 1 GiB swap file, a
 * cgroup with limit L = 256 MiB and swappiness S, a workload writing non-zero data over
 * A = 512 MiB for 3 passes. Targets: pswpout, pswpin and major faults within 10 %; OOM vs no
 * OOM exact (S = 0 in a cgroup scans file pages only: the workload is OOM-killed).
 */
#include "analysis/kmodel/validate/validate.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define L_BYTES (256ULL << 20)
#define A_BYTES (512ULL << 20)
#define PASSES  3

static int workload(void *arg)
{
    (void)arg;
    volatile char *p =
        mmap(NULL, A_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 2;
    madvise((void *)p, A_BYTES, MADV_NOHUGEPAGE);
    for (int pass = 0; pass < PASSES; pass++)
        for (size_t off = 0; off < A_BYTES; off += 4096)
            p[off] = (char)(pass + 1);
    return 0;
}

static long long oom_kills(const char *cg)
{
    char path[512], line[256];
    snprintf(path, sizeof(path), "%s/memory.oom_control", cg);
    FILE *f = fopen(path, "r");
    long long v = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "oom_kill %lld", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

int e4_memcg_swap(void)
{
    if (!v_root) {
        v_skip("E4", "needs root (swap file, memory cgroup)");
        return -1;
    }
    if (vmctl_swapfile(v_swapfile, 1ULL << 30) != 0) {
        v_skip("E4", vmctl_error());
        vmctl_restore();
        return -1;
    }
    static const int sw[] = {60, 0};
    for (int k = 0; k < 2; k++) {
        int s = sw[k];
        char cg[256];
        if (v_cgroup("E4", s, L_BYTES, s, cg, sizeof(cg)) != 0)
            break;
        struct v_vmstat a, b;
        struct rusage ru;
        memset(&ru, 0, sizeof(ru));
        v_vmstat_snap(&a);
        int st = v_run_child(cg, workload, NULL, 180, &ru);
        v_vmstat_snap(&b);
        bool real_oom =
            (st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) || oom_kills(cg) > 0;

        struct km *km = v_model(1ULL << 30, 0, 50);
        if (km == NULL)
            break;
        int g = memcg_create(km, "e4");
        km->memcg[g].limit = L_BYTES / 4096;
        km->memcg[g].swappiness = s;
        struct km_mm *mm = proc_create(km, "w", g);
        uint64_t p = v_model_anon(km, mm, A_BYTES, 0);
        for (int pass = 0; pass < PASSES && !mm->killed; pass++)
            fault_touch_range(km, mm, p, A_BYTES, KM_TOUCH_WRITE, 1);
        char q[96];
        snprintf(q, sizeof(q), "swappiness %d: OOM kill (0/1)", s);
        v_row("E4", q, real_oom, mm->killed, T_EXACT, 0, "exact");
        snprintf(q, sizeof(q), "swappiness %d: pswpout", s);
        v_row("E4", q, (double)v_vmstat_delta(&a, &b, KM_VM_pswpout), (double)km->vm[KM_VM_pswpout],
              T_REL, 0.10, "within 10 %");
        snprintf(q, sizeof(q), "swappiness %d: pswpin", s);
        v_row("E4", q, (double)v_vmstat_delta(&a, &b, KM_VM_pswpin), (double)km->vm[KM_VM_pswpin],
              T_REL, 0.10, "within 10 %");
        snprintf(q, sizeof(q), "swappiness %d: major faults", s);
        v_row("E4", q, (double)ru.ru_majflt, (double)mm->majflt, T_REL, 0.10, "within 10 %");
        snprintf(q, sizeof(q), "swappiness %d: pswpin per major fault", s);
        v_row(
            "E4", q,
            ru.ru_majflt ? (double)v_vmstat_delta(&a, &b, KM_VM_pswpin) / (double)ru.ru_majflt : 0,
            mm->majflt ? (double)km->vm[KM_VM_pswpin] / (double)mm->majflt : 0, T_INFO, 0, "info");
        km_destroy(km);
    }
    vmctl_restore();
    return 0;
}
