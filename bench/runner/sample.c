/*
 * sample.c — the RSS timeline of one run, taken from outside the process, and the reclaim
 * readings.
 *
 * Every sample_ms the runner reads /proc/PID/status (VmRSS, RssAnon, VmHWM: one pread of a
 * file kept open) and, at the same moment, the workload's counters in the shared page (live
 * bytes summed over the slots, ops, phase). The time spent doing so is added up so that the
 * sampling overhead can be reported per run.
 *
 *   phase:   INIT ──> RUN ──────────────> FREED ─────────────────> TRIMMED ──> DONE
 *                     │ run_s          │ │ +0 s   +1 s    +5 s  │ │ trim    │
 *   readings:         start=phase_ns   end  R0      R1      R5      RT
 *
 * The reclaim readings are taken when the sampler first sees FREED (R0), at exactly
 * phase_ns(FREED) + 1 s and + 5 s (the sampler wakes for them, whatever the interval), and when
 * it first sees TRIMMED (RT: the workload trims before it sets the phase). A reading whose
 * moment passed while the workload was no longer in FREED is "n/a" with the reason in
 * reclaim_note. With sample_ms 0 the /proc timeline is off but the shared page is still polled
 * every 10 ms and the reclaim readings are still taken.
 *
 * Invariants: timeline samples are in time order; every timeline sample has has_rss set;
 * peak_live_idx indexes the timeline sample with the largest live bytes (the first of equals).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench/runner/runner.h"

static const int64_t reclaim_delay_ns[RUNNER_NRECLAIM] = {0, 1000000000LL, 5000000000LL, 0};

int runner_sampler_init(struct runner_sampler *sp, int pid, struct bench_shm *shm, int sample_ms)
{
    memset(sp, 0, sizeof(*sp));
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    sp->status_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (sp->status_fd < 0)
        return -1;
    sp->shm = shm;
    sp->sample_ms = sample_ms;
    sp->last_phase = BENCH_PHASE_INIT;
    sp->peak_before_free_kb = -1;
    sp->max_vmhwm_kb = sp->max_rssanon_kb = sp->max_vmrss_kb = -1;
    sp->peak_live = -1;
    sp->last_live = -1;
    for (int i = 0; i < RUNNER_NRECLAIM; i++)
        sp->reclaim_kb[i] = sp->reclaim_anon_kb[i] = -1;
    return 0;
}

/* One pread of /proc/PID/status; false once the process has no mm (exited). */
static bool read_status(struct runner_sampler *sp, long *vmrss, long *anon, long *hwm)
{
    char buf[4096];
    ssize_t n = pread(sp->status_fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    sp->nproc_reads++;
    *vmrss = *anon = *hwm = -1;
    for (char *line = buf; line != NULL && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, "VmHWM:", 6) == 0)
            *hwm = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmRSS:", 6) == 0)
            *vmrss = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "RssAnon:", 8) == 0)
            *anon = strtol(line + 8, NULL, 10);
    }
    return *vmrss >= 0 && *anon >= 0 && *hwm >= 0;
}

static void push(struct runner_sampler *sp, const struct runner_sample *s)
{
    if (sp->n == sp->cap) {
        size_t ncap = sp->cap ? sp->cap * 2 : 4096;
        void *p = sp->s == NULL
                      ? mmap(NULL, ncap * sizeof(*s), PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                      : mremap(sp->s, sp->cap * sizeof(*s), ncap * sizeof(*s), MREMAP_MAYMOVE);
        if (p == MAP_FAILED)
            return; /* The timeline stops growing; the maxima are still tracked. */
        sp->s = p;
        sp->cap = ncap;
    }
    sp->s[sp->n++] = *s;
}

static void read_shm(const struct runner_sampler *sp, struct runner_sample *s, bool *attached)
{
    const volatile uint64_t *magic = &sp->shm->magic;
    *attached = *magic == BENCH_SHM_MAGIC;
    s->live_bytes = -1;
    s->ops = 0;
    s->phase = BENCH_PHASE_INIT;
    if (!*attached)
        return;
    int64_t live = 0;
    uint64_t ops = 0;
    struct bench_shm *m = sp->shm;
    for (int i = 0; i < BENCH_SLOTS; i++) {
        live += atomic_load_explicit(&m->slot[i].live_bytes, memory_order_relaxed);
        ops += atomic_load_explicit(&m->slot[i].ops, memory_order_relaxed);
    }
    s->live_bytes = live;
    s->ops = ops;
    s->phase = (uint8_t)atomic_load_explicit(&m->phase, memory_order_acquire);
}

static void take_reading(struct runner_sampler *sp, int which, long vmrss, long anon)
{
    sp->reclaim_tried |= 1u << which;
    sp->reclaim_kb[which] = vmrss;
    sp->reclaim_anon_kb[which] = anon;
}

void runner_sampler_take(struct runner_sampler *sp, bool read_proc)
{
    int64_t t_start = runner_now_ns();
    struct runner_sample s;
    memset(&s, 0, sizeof(s));
    s.t_ns = t_start - sp->t0_ns;
    bool attached;
    read_shm(sp, &s, &attached);
    struct bench_shm *m = sp->shm;
    bool phase_changed = attached && s.phase != sp->last_phase;
    /* A phase change needs /proc now: the reclaim readings are taken at phase changes. */
    long vmrss = -1, anon = -1, hwm = -1;
    if ((read_proc || phase_changed) && read_status(sp, &vmrss, &anon, &hwm)) {
        s.has_rss = 1;
        s.vmrss_kb = (uint32_t)vmrss;
        s.rssanon_kb = (uint32_t)anon;
        s.vmhwm_kb = (uint32_t)hwm;
    }
    if (attached) {
        sp->attached = true;
        sp->last_live = s.live_bytes;
    }
    if (s.live_bytes > sp->peak_live || sp->peak_live < 0) {
        sp->peak_live = s.live_bytes;
        sp->peak_live_idx = s.has_rss ? sp->n : (size_t)-1;
    }
    if (s.has_rss) {
        if (hwm > sp->max_vmhwm_kb)
            sp->max_vmhwm_kb = hwm;
        if (anon > sp->max_rssanon_kb)
            sp->max_rssanon_kb = anon;
        if (vmrss > sp->max_vmrss_kb)
            sp->max_vmrss_kb = vmrss;
        if (sp->sample_ms > 0)
            push(sp, &s);
    }
    sp->last_ops = attached ? s.ops : sp->last_ops;

    if (phase_changed) {
        int64_t pns = (int64_t)atomic_load_explicit(&m->phase_ns, memory_order_relaxed);
        if (s.phase == BENCH_PHASE_RUN)
            sp->run_start_ns = pns;
        else if (sp->last_phase == BENCH_PHASE_RUN && s.phase > BENCH_PHASE_RUN)
            sp->run_end_ns = pns;
        if (s.phase == BENCH_PHASE_FREED && !sp->freed_seen) {
            sp->freed_seen = true;
            sp->freed_ns = pns;
            sp->idle_ms = atomic_load_explicit(&m->idle_ms, memory_order_relaxed);
            if (s.has_rss) {
                take_reading(sp, RUNNER_RECLAIM_0S, vmrss, anon);
                sp->peak_before_free_kb = hwm; /* the peak of everything before the free */
            }
        }
        if (s.phase == BENCH_PHASE_TRIMMED && !sp->trimmed_seen) {
            sp->trimmed_seen = true;
            if (s.has_rss)
                take_reading(sp, RUNNER_RECLAIM_TRIM, vmrss, anon);
            if (!sp->freed_seen)
                runner_note(sp->reclaim_note, sizeof(sp->reclaim_note),
                            "FREED phase not seen before TRIMMED");
        }
        sp->last_phase = s.phase;
    }
    sp->cost_ns += runner_now_ns() - t_start;
}

int64_t runner_sampler_next_ns(const struct runner_sampler *sp, int64_t next_tick_ns)
{
    int64_t next = next_tick_ns;
    if (sp->freed_seen && !sp->trimmed_seen) {
        for (int i = RUNNER_RECLAIM_1S; i <= RUNNER_RECLAIM_5S; i++) {
            int64_t due = sp->freed_ns + reclaim_delay_ns[i];
            if (!(sp->reclaim_tried & (1u << i)) && due < next)
                next = due;
        }
    }
    return next;
}

void runner_sampler_due(struct runner_sampler *sp, int64_t now_ns)
{
    if (!sp->freed_seen)
        return;
    for (int i = RUNNER_RECLAIM_1S; i <= RUNNER_RECLAIM_5S; i++) {
        if ((sp->reclaim_tried & (1u << i)) || now_ns < sp->freed_ns + reclaim_delay_ns[i])
            continue;
        sp->reclaim_tried |= 1u << i;
        if (sp->last_phase != BENCH_PHASE_FREED)
            continue; /* missed: reported in runner_sampler_finish */
        int64_t t_start = runner_now_ns();
        struct runner_sample s;
        bool attached;
        read_shm(sp, &s, &attached);
        long vmrss, anon, hwm;
        if (s.phase == BENCH_PHASE_FREED && read_status(sp, &vmrss, &anon, &hwm)) {
            take_reading(sp, i, vmrss, anon);
            s.t_ns = t_start - sp->t0_ns;
            s.has_rss = 1;
            s.vmrss_kb = (uint32_t)vmrss;
            s.rssanon_kb = (uint32_t)anon;
            s.vmhwm_kb = (uint32_t)hwm;
            if (sp->sample_ms > 0)
                push(sp, &s);
        }
        sp->cost_ns += runner_now_ns() - t_start;
    }
}

void runner_sampler_finish(struct runner_sampler *sp)
{
    static const char *const what[RUNNER_NRECLAIM] = {"at once", "after 1 s", "after 5 s",
                                                      "after trim"};
    if (!sp->freed_seen && !sp->trimmed_seen)
        return;
    for (int i = 0; i < RUNNER_NRECLAIM; i++) {
        if (sp->reclaim_kb[i] >= 0)
            continue;
        if (i == RUNNER_RECLAIM_TRIM && !sp->trimmed_seen)
            runner_note(sp->reclaim_note, sizeof(sp->reclaim_note),
                        "reclaim %s: n/a (workload never reported TRIMMED)", what[i]);
        else if (i == RUNNER_RECLAIM_1S || i == RUNNER_RECLAIM_5S)
            runner_note(sp->reclaim_note, sizeof(sp->reclaim_note),
                        "reclaim %s: n/a (workload idled %u ms in FREED)", what[i], sp->idle_ms);
        else
            runner_note(sp->reclaim_note, sizeof(sp->reclaim_note),
                        "reclaim %s: n/a (phase change missed)", what[i]);
    }
}

void runner_sampler_free(struct runner_sampler *sp)
{
    if (sp->status_fd >= 0)
        close(sp->status_fd);
    sp->status_fd = -1;
    if (sp->s != NULL)
        munmap(sp->s, sp->cap * sizeof(*sp->s));
    sp->s = NULL;
    sp->n = sp->cap = 0;
}
