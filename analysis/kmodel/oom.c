/*
 * oom.c — the OOM killer (KMODEL-SPEC.md section 6; mm/oom_kill.c, fs/proc/base.c).
 *
 *   points(p) = rss + swap entries + page-table pages + oom_score_adj * totalpages / 1000
 *   victim    = the eligible process with the most points (ties: the later one, as the kernel's
 *               walk of the task list replaces the choice when points are equal)
 *   totalpages: global = totalram + swap; memcg = its limit (+ swap it may use)
 *
 * oom_score_adj = -1000 makes a process unkillable. vm.oom_kill_allocating_task = 1 kills the
 * allocating process. The victim's memory is freed at once (the oom_reaper's work).
 */
#include "analysis/kmodel/kmodel.h"

#include <limits.h>

#define OOM_SCORE_ADJ_MIN (-1000)

int64_t oom_badness(struct km *km, struct km_mm *mm, uint64_t totalpages)
{
    (void)km;
    if (mm->killed || mm->exited || mm->oom_score_adj == OOM_SCORE_ADJ_MIN)
        return LLONG_MIN;
    int64_t points =
        (int64_t)(proc_rss(mm) + mm->counters[KM_MM_SWAPENTS] + mm->pgtables_bytes / KM_PAGE_SIZE);
    int64_t adj = (int64_t)mm->oom_score_adj * (int64_t)(totalpages / 1000);
    return points + adj;
}

/* /proc/PID/oom_score. */
int oom_score(struct km *km, struct km_mm *mm, uint64_t totalpages)
{
    int64_t b = oom_badness(km, mm, totalpages);
    if (b == LLONG_MIN || totalpages == 0)
        return 0;
    int64_t s = (1000 + b * 1000 / (int64_t)totalpages) * 2 / 3;
    return s < 0 ? 0 : (int)s;
}

bool oom_kill(struct km *km, int cg, const char *why)
{
    /* A victim that has not exited yet aborts the selection (the kernel waits for it). */
    for (int i = 0; i < km->nmm; i++) {
        struct km_mm *mm = km->mm[i];
        if (mm && mm->killed && !mm->exited && (cg < 0 || mm->memcg == cg))
            return true;
    }
    uint64_t totalpages = cg < 0 ? km->totalram + swap_total_pages(km) : memcg_get_max(km, cg);
    if (totalpages == 0)
        totalpages = 1;
    struct km_mm *victim = NULL;
    int64_t best = LLONG_MIN;
    if (cg < 0 && km->cfg.oom_kill_allocating_task && km->cur && !km->cur->killed &&
        !km->cur->exited && km->cur->oom_score_adj != OOM_SCORE_ADJ_MIN) {
        victim = km->cur;
        best = oom_badness(km, victim, totalpages);
    } else {
        for (int i = 0; i < km->nmm; i++) {
            struct km_mm *mm = km->mm[i];
            if (mm == NULL || mm->exited || mm->killed)
                continue;
            if (cg >= 0 && mm->memcg != cg)
                continue;
            int64_t p = oom_badness(km, mm, totalpages);
            if (p == LLONG_MIN || p < best)
                continue;
            best = p;
            victim = mm;
        }
    }
    if (victim == NULL) {
        km_event(km, "t=%.3fms oom (%s, %s): no killable process", (double)km->now_ns / 1e6, why,
                 cg < 0 ? "global" : km->memcg[cg].name);
        return false;
    }
    km->vm[KM_VM_oom_kill]++;
    km->memcg[victim->memcg].oom_kill++;
    km_event(km,
             "t=%.3fms oom-kill (%s, constraint=%s): killed process %d (%s), points %lld, "
             "rss %llu kB, swap %llu kB, oom_score_adj %d",
             (double)km->now_ns / 1e6, why, cg < 0 ? "global" : km->memcg[cg].name, victim->pid,
             victim->name, (long long)best, (unsigned long long)proc_rss(victim) * 4,
             (unsigned long long)victim->counters[KM_MM_SWAPENTS] * 4, victim->oom_score_adj);
    if (victim == km->cur) {
        /* The allocating task itself: its memory is torn down when the operation it is in
         * unwinds (km_reap), never under the feet of the code that is allocating for it. */
        victim->killed = true;
        return true;
    }
    struct km_mm *cur = km->cur;
    proc_kill(km, victim);
    km->cur = cur;
    return true;
}
