/*
 * memcg.c — memory cgroups, v1 semantics as on the reference VM (KMODEL-SPEC.md section 4.9;
 * mm/memcontrol.c try_charge_memcg, mm/memcontrol-v1.c).
 *
 *   root (id 0) ── child cgroups (flat: one level)        each has its own lruvec
 *   memory counter: anon + file + kmem (page tables, kernel stacks) pages, incl. per-CPU stock
 *   memsw counter:  memory + swap entries
 *
 * Charging takes batches of 64 pages into a per-CPU stock; a failed counter charge (failcnt++)
 * reclaims from the cgroup itself, synchronously (no kswapd), up to 16 retries, then the memcg
 * OOM killer runs, or with oom_kill_disable the task waits (under_oom; the model stops it).
 * memory.swappiness = 0 makes cgroup reclaim scan file pages only.
 *
 * Invariants (memcg_check): usage = Σ stock + pages charged to the cgroup (frames carrying its
 * id, including page tables and kernel stacks); memsw = usage + swap entries charged to it;
 * the root's counters are not limited.
 */
#include "analysis/kmodel/kmodel.h"

#include <string.h>

int memcg_create(struct km *km, const char *name)
{
    for (int i = 0; i < KM_MAX_MEMCG; i++) {
        struct km_memcg *cg = &km->memcg[i];
        if (cg->used) {
            if (strcmp(cg->name, name) == 0)
                return -1;
            continue;
        }
        memset(cg, 0, sizeof(*cg));
        cg->used = true;
        cg->id = i;
        snprintf(cg->name, sizeof(cg->name), "%s", name);
        cg->limit = cg->memsw_limit = UINT64_MAX;
        cg->swappiness = km->cfg.swappiness;
        for (int l = 0; l < KM_NR_LRU; l++)
            kl_init(&cg->lruvec.lists[l]);
        /* A new cgroup's flushed stats are zero until the next flush. */
        if (i >= km->nmemcg)
            km->nmemcg = i + 1;
        return i;
    }
    return -1;
}

int memcg_find(const struct km *km, const char *name)
{
    for (int i = 0; i < km->nmemcg; i++)
        if (km->memcg[i].used && strcmp(km->memcg[i].name, name) == 0)
            return i;
    return -1;
}

int memcg_swappiness(const struct km *km, int cg)
{
    return cg <= 0 ? km->cfg.swappiness : km->memcg[cg].swappiness;
}

uint64_t memcg_margin(const struct km *km, int cg)
{
    const struct km_memcg *m = &km->memcg[cg];
    uint64_t a = m->limit > m->usage ? m->limit - m->usage : 0;
    uint64_t b = m->memsw_limit > m->memsw_usage ? m->memsw_limit - m->memsw_usage : 0;
    return a < b ? a : b;
}

/* mem_cgroup_get_max(): the limit, plus the swap the cgroup may use when it may swap. */
uint64_t memcg_get_max(const struct km *km, int cg)
{
    const struct km_memcg *m = &km->memcg[cg];
    uint64_t max = m->limit;
    if (max == UINT64_MAX)
        max = km->totalram;
    if (memcg_swappiness(km, cg)) {
        uint64_t swap = m->memsw_limit == UINT64_MAX ? UINT64_MAX : m->memsw_limit - m->limit;
        uint64_t total = swap_total_pages(km);
        max += swap < total ? swap : total;
    }
    return max;
}

static void account_usage(struct km_memcg *m, uint64_t nr)
{
    m->usage += nr;
    m->memsw_usage += nr;
    if (m->usage > m->max_usage)
        m->max_usage = m->usage;
    if (m->memsw_usage > m->memsw_max_usage)
        m->memsw_max_usage = m->memsw_usage;
}

void memcg_drain_stock(struct km *km, int cg)
{
    struct km_memcg *m = &km->memcg[cg];
    for (int c = 0; c < km->cfg.ncpus; c++) {
        m->usage -= m->stock[c];
        m->memsw_usage -= m->stock[c];
        m->stock[c] = 0;
    }
}

static void refill_stock(struct km *km, struct km_memcg *m, uint64_t nr)
{
    int c = km->cur_cpu;
    m->stock[c] += nr;
    if (m->stock[c] > KM_CHARGE_BATCH) {
        m->usage -= m->stock[c];
        m->memsw_usage -= m->stock[c];
        m->stock[c] = 0;
    }
}

/* The task waits for the OOM to be resolved (oom_kill_disable); the model stops it. */
static int oom_wait(struct km *km, struct km_memcg *m)
{
    m->under_oom = true;
    if (km->cur)
        km->cur->oom_blocked = true;
    return -1;
}

int memcg_charge(struct km *km, int cg, uint64_t nr, bool kmem)
{
    struct km_memcg *m = &km->memcg[cg];
    if (kmem)
        m->kmem_usage += nr;
    if (cg == 0) {
        /* The root is not limited; it counts for output only. */
        account_usage(m, nr);
        return 0;
    }
    uint64_t batch = nr > KM_CHARGE_BATCH ? nr : KM_CHARGE_BATCH;
    int retries = KM_MAX_RECLAIM_RETRIES;
    bool drained = false, passed_oom = false;
    for (int guard = 0; guard < 10000; guard++) {
        int c = km->cur_cpu;
        if (m->stock[c] >= nr) {
            m->stock[c] -= nr;
            return 0;
        }
        bool may_swap = true;
        if (m->memsw_usage + batch <= m->memsw_limit) {
            if (m->usage + batch <= m->limit) {
                account_usage(m, batch);
                if (batch > nr)
                    refill_stock(km, m, batch - nr);
                return 0;
            }
            m->failcnt++;
        } else {
            m->memsw_failcnt++;
            may_swap = false;
        }
        if (batch > nr) {
            batch = nr;
            continue;
        }
        if (km->in_reclaim)
            break; /* no recursion into reclaim */
        uint64_t reclaimed = reclaim_memcg(km, cg, nr, may_swap);
        if (memcg_margin(km, cg) >= nr)
            continue;
        if (!drained) {
            memcg_drain_stock(km, cg);
            drained = true;
            continue;
        }
        if (reclaimed && nr <= (1u << KM_COSTLY_ORDER))
            continue;
        if (retries-- > 0)
            continue;
        if (passed_oom && km->cur && km->cur->killed)
            break;
        if (m->oom_kill_disable)
            return oom_wait(km, m);
        if (oom_kill(km, cg, "memory cgroup")) {
            passed_oom = true;
            retries = KM_MAX_RECLAIM_RETRIES;
            if (km->cur && km->cur->killed)
                break;
            continue;
        }
        break;
    }
    if (kmem)
        m->kmem_usage -= nr;
    return -1;
}

void memcg_uncharge(struct km *km, int cg, uint64_t nr, bool kmem)
{
    struct km_memcg *m = &km->memcg[cg];
    km_assert(m->usage >= nr);
    m->usage -= nr;
    m->memsw_usage -= nr;
    if (kmem)
        m->kmem_usage -= nr;
}

void memcg_swapout(struct km *km, int cg, uint64_t nr)
{
    struct km_memcg *m = &km->memcg[cg];
    m->usage -= nr; /* memsw keeps the charge: it now pays for the swap entry */
    m->swap += nr;
}

void memcg_swap_uncharge(struct km *km, int cg, uint64_t nr)
{
    struct km_memcg *m = &km->memcg[cg];
    m->memsw_usage -= nr;
    m->swap -= nr;
}

/*
 * The kernel's memcg statistics (lruvec_page_state) are per-CPU deltas folded in by an rstat
 * flush that a worker runs every FLUSH_TIME (2 s); reclaim's heuristics (inactive_is_low,
 * cache_trim_mode, the refault test, the cost decay) read the flushed values. The model keeps
 * a snapshot refreshed at every multiple of stats_flush_ms of simulated time.
 */
void memcg_flush_stats(struct km *km)
{
    for (int i = 0; i < km->nmemcg; i++) {
        struct km_memcg *m = &km->memcg[i];
        if (!m->used)
            continue;
        for (int l = 0; l < KM_NR_LRU; l++)
            m->flushed_lru[l] = i == 0 ? lru_size(km, -1, l) : lru_size(km, i, l);
        m->flushed_wa[0] = m->lruvec.wa_activate[0];
        m->flushed_wa[1] = m->lruvec.wa_activate[1];
    }
    uint64_t period = (uint64_t)km->cfg.stats_flush_ms * 1000000ULL;
    km->stats_flushed_ns = period ? km->now_ns - km->now_ns % period : km->now_ns;
}

void memcg_stats_tick(struct km *km)
{
    uint64_t period = (uint64_t)km->cfg.stats_flush_ms * 1000000ULL;
    if (period && km->now_ns >= km->stats_flushed_ns + period)
        memcg_flush_stats(km);
}

uint64_t memcg_wa_activate(struct km *km, int cg, bool file)
{
    if (km->cfg.stats_flush_ms == 0)
        return km->memcg[cg].lruvec.wa_activate[file];
    memcg_stats_tick(km);
    return km->memcg[cg].flushed_wa[file];
}

void memcg_check(const struct km *km)
{
    uint64_t pages[KM_MAX_MEMCG] = {0};
    for (uint32_t p = 0; p < km->nframes; p++) {
        const struct km_frame *f = &km->frames[p];
        unsigned st = fr_state(f);
        if (st == KM_FS_ANON || st == KM_FS_FILE)
            pages[fr_memcg(f)] += fr_test(f, KM_PG_THP) ? KM_PAGEBLOCK_PAGES : 1;
        else if (st == KM_FS_PGTABLE || (st == KM_FS_KERNEL && fr_memcg(f)))
            pages[fr_memcg(f)] += 1u << fr_order(f);
    }
    for (int i = 1; i < km->nmemcg; i++) {
        const struct km_memcg *m = &km->memcg[i];
        if (!m->used)
            continue;
        uint64_t stock = 0;
        for (int c = 0; c < km->cfg.ncpus; c++)
            stock += m->stock[c];
        if (m->usage != pages[i] + stock)
            km_check_fail("memcg: usage differs from the charged pages + stock");
        if (m->memsw_usage != m->usage + m->swap)
            km_check_fail("memcg: memsw differs from usage + swap");
        if (m->usage > m->limit && m->limit != UINT64_MAX)
            km_check_fail("memcg: usage above the limit");
    }
}
