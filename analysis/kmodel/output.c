/*
 * output.c — the model's reports, with the kernel's names: /proc/vmstat counters, /proc/meminfo
 * fields, per-process status (VmRSS, VmPTE, minflt...), memcg v1 files, /proc/zoneinfo
 * watermarks, /proc/buddyinfo, the unusable and fragmentation indices, /proc/slabinfo, and
 * the estimated time. One printer writes text or JSON; a time series goes to its own file.
 */
#include "analysis/kmodel/kmodel.h"

#include <inttypes.h>
#include <string.h>

static const char *const zone_names[KM_NR_ZONES] = {"DMA", "DMA32", "Normal", "Movable"};

/* ---- A tiny JSON writer ---------------------------------------------------------------------- */

struct jw {
    FILE *f;
    bool first[16];
    int depth;
};

static void jw_sep(struct jw *w)
{
    if (!w->first[w->depth])
        fputc(',', w->f);
    w->first[w->depth] = false;
}

static void jw_key(struct jw *w, const char *k)
{
    jw_sep(w);
    fprintf(w->f, "\"%s\":", k);
}

static void jw_open(struct jw *w, const char *k, char c)
{
    if (k)
        jw_key(w, k);
    else
        jw_sep(w);
    fputc(c, w->f);
    w->depth++;
    w->first[w->depth] = true;
}

static void jw_close(struct jw *w, char c)
{
    fputc(c, w->f);
    w->depth--;
}

static void jw_u64(struct jw *w, const char *k, uint64_t v)
{
    jw_key(w, k);
    fprintf(w->f, "%" PRIu64, v);
}

static void jw_i64(struct jw *w, const char *k, int64_t v)
{
    jw_key(w, k);
    fprintf(w->f, "%" PRId64, v);
}

static void jw_dbl(struct jw *w, const char *k, double v)
{
    jw_key(w, k);
    fprintf(w->f, "%.6g", v);
}

static void jw_str(struct jw *w, const char *k, const char *s)
{
    if (k)
        jw_key(w, k);
    else
        jw_sep(w);
    fputc('"', w->f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(w->f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(w->f, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, w->f);
    }
    fputc('"', w->f);
}

/* ---- Values ---------------------------------------------------------------------------------- */

uint64_t out_meminfo_committed_kb(const struct km *km)
{
    return km->committed * 4;
}

struct meminfo_row {
    const char *name;
    uint64_t kb;
};

static size_t meminfo(struct km *km, struct meminfo_row *r)
{
    size_t n = 0;
    uint64_t thp = 0;
    for (uint32_t p = 0; p < km->nframes; p += 1) {
        const struct km_frame *f = &km->frames[p];
        if (fr_state(f) == KM_FS_ANON && fr_test(f, KM_PG_THP)) {
            thp++;
            p += KM_PAGEBLOCK_PAGES - 1;
        }
    }
#define ROW(nm, v) r[n++] = (struct meminfo_row){nm, (uint64_t)(v)}
    ROW("MemTotal", km->totalram * 4);
    ROW("MemFree", km_nr_free_pages(km) * 4);
    ROW("MemAvailable", zone_si_mem_available(km) * 4);
    ROW("Cached", km->nr_file * 4);
    ROW("SwapCached", km->nr_swapcache * 4);
    ROW("Active",
        (lru_size(km, -1, KM_LRU_ACTIVE_ANON) + lru_size(km, -1, KM_LRU_ACTIVE_FILE)) * 4);
    ROW("Inactive",
        (lru_size(km, -1, KM_LRU_INACTIVE_ANON) + lru_size(km, -1, KM_LRU_INACTIVE_FILE)) * 4);
    ROW("Active(anon)", lru_size(km, -1, KM_LRU_ACTIVE_ANON) * 4);
    ROW("Inactive(anon)", lru_size(km, -1, KM_LRU_INACTIVE_ANON) * 4);
    ROW("Active(file)", lru_size(km, -1, KM_LRU_ACTIVE_FILE) * 4);
    ROW("Inactive(file)", lru_size(km, -1, KM_LRU_INACTIVE_FILE) * 4);
    ROW("SwapTotal", swap_total_pages(km) * 4);
    ROW("SwapFree", swap_free_pages(km) * 4);
    ROW("AnonPages", km->nr_anon * 4);
    ROW("KernelStack", km->nr_kernel_stack * 4);
    ROW("PageTables", km->nr_pgtable_pages * 4);
    ROW("Slab", (km->slab_recl_pages + km->slab_unrecl_pages) * 4);
    ROW("SReclaimable", km->slab_recl_pages * 4);
    ROW("SUnreclaim", km->slab_unrecl_pages * 4);
    ROW("CommitLimit", commit_limit(km) * 4);
    ROW("Committed_AS", km->committed * 4);
    ROW("AnonHugePages", thp * 2048);
    ROW("HugePages_Total", km->nr_hugetlb);
    ROW("PcpFree", km_nr_pcp_pages(km) * 4);
#undef ROW
    return n;
}

static const char *proc_state(const struct km_mm *mm)
{
    if (mm->killed)
        return "oom-killed";
    if (mm->oom_blocked)
        return "blocked(under_oom)";
    if (mm->exited)
        return "exited";
    return "running";
}

static uint64_t nr_free_order(const struct km_zone *z, int o)
{
    return z->nr_free_blocks[o];
}

/* ---- Text ------------------------------------------------------------------------------------ */

void out_buddyinfo(const struct km *km, FILE *f)
{
    for (int i = 0; i < KM_NR_ZONES; i++) {
        const struct km_zone *z = &km->zones[i];
        if (!z->managed)
            continue;
        fprintf(f, "Node 0, zone %8s", zone_names[i]);
        for (int o = 0; o < KM_NR_ORDERS; o++)
            fprintf(f, " %6" PRIu64, nr_free_order(z, o));
        fputc('\n', f);
    }
}

void out_slabinfo(const struct km *km, FILE *f)
{
    fprintf(f, "slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize> "
               "<objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : "
               "slabdata <active_slabs> <num_slabs> <sharedavail>\n");
    for (int c = 0; c < km->ncaches; c++) {
        const struct km_slab_cache *s = &km->caches[c];
        uint64_t num_objs = s->nr_slabs * s->l.objects;
        /* SLUB: active = all objects minus the free ones on node partial lists. */
        uint64_t partial_free = 0;
        for (uint32_t id = s->partial.head; id != KM_NIL; id = km->slabs[id].next)
            partial_free += s->l.objects - km->slabs[id].inuse;
        fprintf(f,
                "%-17s %6" PRIu64 " %6" PRIu64 " %6u %4u %4u : tunables    0    0    0 : "
                "slabdata %6" PRIu64 " %6" PRIu64 "      0\n",
                s->name, num_objs - partial_free, num_objs, s->l.size, s->l.objects,
                1u << s->l.order, s->nr_slabs, s->nr_slabs);
    }
}

static void text_report(struct km *km, FILE *f, unsigned what)
{
    fprintf(f, "# kmodel: Linux 6.18 memory model (classic LRU)\n");
    fprintf(f, "calibration: %s%s\n", km->calib.source,
            strcmp(km->calib.source, "defaults") == 0 ? " (built-in defaults, see README)" : "");
    fprintf(f,
            "machine: MemTotal %" PRIu64 " kB, cpus %d, swap %" PRIu64 " kB, overcommit_memory %d"
            " (ratio %d), swappiness %d, min_free_kbytes %" PRIu64 ", thp %s\n",
            km->totalram * 4, km->cfg.ncpus, swap_total_pages(km) * 4, km->cfg.overcommit_memory,
            km->cfg.overcommit_ratio, km->cfg.swappiness, km->min_free_kbytes,
            km->cfg.thp == KM_THP_ALWAYS    ? "always"
            : km->cfg.thp == KM_THP_MADVISE ? "madvise"
                                            : "never");
    if (what & KM_OUT_TIME) {
        fprintf(f, "\n## time (estimated)\n");
        fprintf(f, "simulated time: %.3f ms, kswapd busy until %.3f ms, events %" PRIu64 "\n",
                (double)km->now_ns / 1e6, (double)km->kswapd.clock_ns / 1e6, km->events);
    }
    if (what & KM_OUT_PROCS) {
        fprintf(f, "\n## processes\n");
        fprintf(f, "%-6s %-12s %-18s %10s %10s %10s %10s %8s %10s %9s %7s %9s %5s %10s %10s\n",
                "pid", "name", "state", "VmSize_kB", "VmRSS_kB", "RssAnon_kB", "VmSwap_kB",
                "VmPTE_kB", "minflt", "perfmin", "majflt", "VmHWM_kB", "oom", "time_ms",
                "stall_ms");
        uint64_t total = km->totalram + swap_total_pages(km);
        for (int i = 0; i < km->nmm; i++) {
            struct km_mm *mm = km->mm[i];
            fprintf(f,
                    "%-6d %-12s %-18s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
                    " %8" PRIu64 " %10" PRIu64 " %9" PRIu64 " %7" PRIu64 " %9" PRIu64
                    " %5d %10.3f %10.3f\n",
                    mm->pid, mm->name, proc_state(mm), mm->total_vm * 4, proc_rss(mm) * 4,
                    mm->counters[KM_MM_ANON] * 4, mm->counters[KM_MM_SWAPENTS] * 4,
                    mm->pgtables_bytes / 1024, mm->minflt, mm->perf_minflt, mm->majflt,
                    mm->hiwater_rss * 4, oom_score(km, mm, total), (double)mm->time_ns / 1e6,
                    (double)mm->stall_ns / 1e6);
        }
    }
    if (what & KM_OUT_VMSTAT) {
        fprintf(f, "\n## vmstat\n");
        fprintf(f,
                "nr_free_pages %" PRIu64 "\nnr_anon_pages %" PRIu64 "\nnr_file_pages %" PRIu64
                "\nnr_page_table_pages %" PRIu64 "\n",
                km_nr_free_pages(km), km->nr_anon, km->nr_file + km->nr_swapcache,
                km->nr_pgtable_pages);
        for (int i = 0; i < KM_NR_VMSTAT; i++)
            fprintf(f, "%s %" PRIu64 "\n", km_vmstat_names[i], km->vm[i]);
    }
    if (what & KM_OUT_MEMINFO) {
        struct meminfo_row r[32];
        size_t n = meminfo(km, r);
        fprintf(f, "\n## meminfo\n");
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%-16s %10" PRIu64 " kB\n", r[i].name, r[i].kb);
    }
    if (what & KM_OUT_MEMCG) {
        fprintf(f, "\n## memory cgroups (v1)\n");
        for (int i = 1; i < km->nmemcg; i++) {
            const struct km_memcg *m = &km->memcg[i];
            if (!m->used)
                continue;
            fprintf(f,
                    "%s: limit %" PRIu64 " kB usage %" PRIu64 " kB max_usage %" PRIu64
                    " kB memsw %" PRIu64 " kB failcnt %" PRIu64 " swappiness %d rss %" PRIu64
                    " kB cache %" PRIu64 " kB swap %" PRIu64 " kB pgfault %" PRIu64
                    " pgmajfault %" PRIu64 " pgscan anon/file %" PRIu64 "/%" PRIu64
                    " pgsteal anon/file %" PRIu64 "/%" PRIu64 " oom_kill %" PRIu64 "%s\n",
                    m->name, m->limit == UINT64_MAX ? 0 : m->limit * 4, m->usage * 4,
                    m->max_usage * 4, m->memsw_usage * 4, m->failcnt, m->swappiness, m->rss * 4,
                    m->cache * 4, m->swap * 4, m->pgfault, m->pgmajfault, m->pgscan[0],
                    m->pgscan[1], m->pgsteal[0], m->pgsteal[1], m->oom_kill,
                    m->under_oom ? " under_oom" : "");
        }
    }
    if (what & KM_OUT_ZONES) {
        fprintf(f, "\n## zones\n");
        for (int i = 0; i < KM_NR_ZONES; i++) {
            const struct km_zone *z = &km->zones[i];
            fprintf(f,
                    "%-7s managed %9" PRIu64 " free %9" PRIu64 " min %7" PRIu64 " low %7" PRIu64
                    " high %7" PRIu64 " promo %7" PRIu64 " boost %5" PRIu64 " protection: (",
                    zone_names[i], z->managed, z->nr_free, z->wmark[0], z->wmark[1], z->wmark[2],
                    z->wmark[3], z->boost);
            for (int j = 0; j < KM_NR_ZONES + 1; j++)
                fprintf(f, "%s%" PRIu64, j ? ", " : "", j < KM_NR_ZONES ? z->lowmem_reserve[j] : 0);
            fprintf(f, ")\n");
        }
        fprintf(f, "totalreserve_pages %" PRIu64 "\n", km->totalreserve);
    }
    if (what & KM_OUT_BUDDY) {
        fprintf(f, "\n## buddyinfo (pages on per-CPU lists are not included: %" PRIu64 ")\n",
                km_nr_pcp_pages(km));
        out_buddyinfo(km, f);
    }
    if (what & KM_OUT_FRAG) {
        fprintf(f, "\n## fragmentation (unusable_index / extfrag_index by order)\n");
        for (int i = 0; i < KM_NR_ZONES; i++) {
            const struct km_zone *z = &km->zones[i];
            if (!z->managed)
                continue;
            fprintf(f, "%-7s unusable:", zone_names[i]);
            for (int o = 0; o < KM_NR_ORDERS; o++) {
                int v = buddy_unusable_index(z->nr_free_blocks, o);
                fprintf(f, " %d.%03d", v / 1000, v % 1000);
            }
            fprintf(f, "\n%-7s extfrag: ", zone_names[i]);
            for (int o = 0; o < KM_NR_ORDERS; o++) {
                int v = buddy_fragmentation_index(z->nr_free_blocks, o);
                fprintf(f, " %s%d.%03d", v < 0 ? "-" : "", (v < 0 ? -v : v) / 1000,
                        (v < 0 ? -v : v) % 1000);
            }
            fputc('\n', f);
        }
    }
    if (what & KM_OUT_SLAB) {
        fprintf(f, "\n## slabinfo\n");
        out_slabinfo(km, f);
    }
    if (km->input_section) {
        fprintf(f, "\n## %s\n", km->input_section);
        for (int i = 0; i < km->n_input; i++)
            fprintf(f, "%s %" PRIu64 "\n", km->input[i].key, km->input[i].v);
    }
    if (km->oom_log_len)
        fprintf(f, "\n## events\n%s", km->oom_log);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static void json_report(struct km *km, FILE *f, unsigned what)
{
    struct jw w = {.f = f, .depth = 0};
    w.first[0] = true;
    jw_open(&w, NULL, '{');
    jw_str(&w, "model", "kmodel: Linux 6.18 memory model (classic LRU)");
    jw_str(&w, "calibration", km->calib.source);
    jw_open(&w, "costs", '{');
    for (int i = 0; i < KM_NR_COSTS; i++)
        jw_dbl(&w, km_cost_names[i], km->calib.v[i]);
    jw_close(&w, '}');
    jw_open(&w, "machine", '{');
    jw_u64(&w, "MemTotal_kB", km->totalram * 4);
    jw_i64(&w, "cpus", km->cfg.ncpus);
    jw_u64(&w, "swap_kB", swap_total_pages(km) * 4);
    jw_i64(&w, "overcommit_memory", km->cfg.overcommit_memory);
    jw_i64(&w, "overcommit_ratio", km->cfg.overcommit_ratio);
    jw_u64(&w, "overcommit_kbytes", km->cfg.overcommit_kbytes);
    jw_i64(&w, "swappiness", km->cfg.swappiness);
    jw_u64(&w, "min_free_kbytes", km->min_free_kbytes);
    jw_u64(&w, "user_reserve_kbytes", km->user_reserve_kbytes);
    jw_u64(&w, "admin_reserve_kbytes", km->admin_reserve_kbytes);
    jw_u64(&w, "commit_batch_pages", commit_batch(km));
    jw_close(&w, '}');
    if (what & KM_OUT_TIME) {
        jw_open(&w, "time", '{');
        jw_u64(&w, "simulated_ns", km->now_ns);
        jw_u64(&w, "kswapd_clock_ns", km->kswapd.clock_ns);
        jw_u64(&w, "events", km->events);
        jw_close(&w, '}');
    }
    if (what & KM_OUT_VMSTAT) {
        jw_open(&w, "vmstat", '{');
        jw_u64(&w, "nr_free_pages", km_nr_free_pages(km));
        jw_u64(&w, "nr_anon_pages", km->nr_anon);
        jw_u64(&w, "nr_file_pages", km->nr_file + km->nr_swapcache);
        jw_u64(&w, "nr_page_table_pages", km->nr_pgtable_pages);
        for (int i = 0; i < KM_NR_VMSTAT; i++)
            jw_u64(&w, km_vmstat_names[i], km->vm[i]);
        jw_close(&w, '}');
    }
    if (what & KM_OUT_MEMINFO) {
        struct meminfo_row r[32];
        size_t n = meminfo(km, r);
        jw_open(&w, "meminfo_kB", '{');
        for (size_t i = 0; i < n; i++)
            jw_u64(&w, r[i].name, r[i].kb);
        jw_close(&w, '}');
    }
    if (what & KM_OUT_PROCS) {
        uint64_t total = km->totalram + swap_total_pages(km);
        jw_open(&w, "processes", '[');
        for (int i = 0; i < km->nmm; i++) {
            struct km_mm *mm = km->mm[i];
            jw_open(&w, NULL, '{');
            jw_i64(&w, "pid", mm->pid);
            jw_str(&w, "name", mm->name);
            jw_str(&w, "state", proc_state(mm));
            jw_u64(&w, "VmSize_kB", mm->total_vm * 4);
            jw_u64(&w, "VmRSS_kB", proc_rss(mm) * 4);
            jw_u64(&w, "RssAnon_kB", mm->counters[KM_MM_ANON] * 4);
            jw_u64(&w, "RssFile_kB", mm->counters[KM_MM_FILE] * 4);
            jw_u64(&w, "VmSwap_kB", mm->counters[KM_MM_SWAPENTS] * 4);
            jw_u64(&w, "VmPTE_kB", mm->pgtables_bytes / 1024);
            jw_u64(&w, "VmHWM_kB", mm->hiwater_rss * 4);
            jw_u64(&w, "VmData_kB", mm->data_vm * 4);
            jw_u64(&w, "committed_kB", mm->committed * 4);
            jw_u64(&w, "map_count", mm->nvma);
            jw_u64(&w, "minflt", mm->minflt);
            jw_u64(&w, "majflt", mm->majflt);
            jw_u64(&w, "perf_minor_faults", mm->perf_minflt);
            jw_u64(&w, "perf_major_faults", mm->perf_majflt);
            jw_i64(&w, "oom_score", oom_score(km, mm, total));
            jw_i64(&w, "oom_score_adj", mm->oom_score_adj);
            jw_u64(&w, "time_ns", mm->time_ns);
            jw_u64(&w, "stall_ns", mm->stall_ns);
            jw_u64(&w, "direct_reclaim_stalls", mm->nr_stalls);
            jw_close(&w, '}');
        }
        jw_close(&w, ']');
    }
    if (what & KM_OUT_MEMCG) {
        jw_open(&w, "memcgs", '[');
        for (int i = 1; i < km->nmemcg; i++) {
            const struct km_memcg *m = &km->memcg[i];
            if (!m->used)
                continue;
            jw_open(&w, NULL, '{');
            jw_str(&w, "name", m->name);
            jw_u64(&w, "limit_in_bytes", m->limit == UINT64_MAX ? 0 : m->limit * KM_PAGE_SIZE);
            jw_u64(&w, "usage_in_bytes", m->usage * KM_PAGE_SIZE);
            jw_u64(&w, "max_usage_in_bytes", m->max_usage * KM_PAGE_SIZE);
            jw_u64(&w, "memsw_usage_in_bytes", m->memsw_usage * KM_PAGE_SIZE);
            jw_u64(&w, "failcnt", m->failcnt);
            jw_u64(&w, "memsw_failcnt", m->memsw_failcnt);
            jw_i64(&w, "swappiness", m->swappiness);
            jw_u64(&w, "rss", m->rss * KM_PAGE_SIZE);
            jw_u64(&w, "cache", m->cache * KM_PAGE_SIZE);
            jw_u64(&w, "swap", m->swap * KM_PAGE_SIZE);
            jw_u64(&w, "pgfault", m->pgfault);
            jw_u64(&w, "pgmajfault", m->pgmajfault);
            jw_u64(&w, "pgscan_anon", m->pgscan[0]);
            jw_u64(&w, "pgscan_file", m->pgscan[1]);
            jw_u64(&w, "pgsteal_anon", m->pgsteal[0]);
            jw_u64(&w, "pgsteal_file", m->pgsteal[1]);
            jw_u64(&w, "oom_kill", m->oom_kill);
            jw_u64(&w, "under_oom", m->under_oom);
            jw_close(&w, '}');
        }
        jw_close(&w, ']');
    }
    if (what & (KM_OUT_ZONES | KM_OUT_BUDDY | KM_OUT_FRAG)) {
        jw_open(&w, "zones", '[');
        for (int i = 0; i < KM_NR_ZONES; i++) {
            const struct km_zone *z = &km->zones[i];
            jw_open(&w, NULL, '{');
            jw_str(&w, "name", zone_names[i]);
            jw_u64(&w, "managed", z->managed);
            jw_u64(&w, "free", z->nr_free);
            jw_u64(&w, "min", z->wmark[0]);
            jw_u64(&w, "low", z->wmark[1]);
            jw_u64(&w, "high", z->wmark[2]);
            jw_u64(&w, "promo", z->wmark[3]);
            jw_u64(&w, "boost", z->boost);
            jw_open(&w, "protection", '[');
            for (int j = 0; j < KM_NR_ZONES; j++) {
                jw_sep(&w);
                fprintf(f, "%" PRIu64, z->lowmem_reserve[j]);
            }
            jw_close(&w, ']');
            jw_open(&w, "buddyinfo", '[');
            for (int o = 0; o < KM_NR_ORDERS; o++) {
                jw_sep(&w);
                fprintf(f, "%" PRIu64, z->nr_free_blocks[o]);
            }
            jw_close(&w, ']');
            jw_open(&w, "unusable_index", '[');
            for (int o = 0; o < KM_NR_ORDERS; o++) {
                jw_sep(&w);
                fprintf(f, "%.3f", buddy_unusable_index(z->nr_free_blocks, o) / 1000.0);
            }
            jw_close(&w, ']');
            jw_open(&w, "extfrag_index", '[');
            for (int o = 0; o < KM_NR_ORDERS; o++) {
                jw_sep(&w);
                fprintf(f, "%.3f", buddy_fragmentation_index(z->nr_free_blocks, o) / 1000.0);
            }
            jw_close(&w, ']');
            uint64_t pcp = 0;
            for (int c = 0; c < km->cfg.ncpus; c++)
                pcp += (uint64_t)z->pcp[c].count;
            jw_u64(&w, "pcp_pages", pcp);
            jw_close(&w, '}');
        }
        jw_close(&w, ']');
        jw_u64(&w, "totalreserve_pages", km->totalreserve);
    }
    if (what & KM_OUT_SLAB) {
        jw_open(&w, "slabinfo", '[');
        for (int c = 0; c < km->ncaches; c++) {
            const struct km_slab_cache *s = &km->caches[c];
            jw_open(&w, NULL, '{');
            jw_str(&w, "name", s->name);
            jw_u64(&w, "active_objs", s->nr_active);
            jw_u64(&w, "num_objs", s->nr_slabs * s->l.objects);
            jw_u64(&w, "objsize", s->l.size);
            jw_u64(&w, "object_size", s->l.object_size);
            jw_u64(&w, "objperslab", s->l.objects);
            jw_u64(&w, "pagesperslab", 1u << s->l.order);
            jw_u64(&w, "num_slabs", s->nr_slabs);
            jw_u64(&w, "partial_slabs", s->partial.n);
            jw_u64(&w, "cpu_partial", s->l.cpu_partial);
            jw_u64(&w, "min_partial", s->l.min_partial);
            jw_close(&w, '}');
        }
        jw_close(&w, ']');
    }
    if (km->input_section) {
        jw_open(&w, km->input_section, '{');
        for (int i = 0; i < km->n_input; i++)
            jw_u64(&w, km->input[i].key, km->input[i].v);
        jw_close(&w, '}');
    }
    jw_str(&w, "events", km->oom_log);
    jw_close(&w, '}');
    fputc('\n', f);
}

void out_report(struct km *km, FILE *f, enum km_out_fmt fmt, unsigned what)
{
    if (fmt == KM_OUT_JSON)
        json_report(km, f, what);
    else
        text_report(km, f, what);
}

/* ---- Time series ------------------------------------------------------------------------------------ */

void out_series_open(struct km *km, const char *path, uint64_t every_ns, bool json)
{
    km->series.f = fopen(path, "w");
    km->series.every_ns = every_ns ? every_ns : 1000000;
    km->series.next_ns = 0;
    km->series.json = json;
    if (km->series.f && !json)
        fprintf(km->series.f,
                "time_ns,MemFree_kB,AnonPages_kB,Cached_kB,SwapUsed_kB,Committed_AS_kB,rss_kB,"
                "pgfault,pgmajfault,pswpin,pswpout,pgscan_kswapd,pgscan_direct,pgsteal_kswapd,"
                "pgsteal_direct,allocstall,oom_kill,kswapd_awake\n");
}

void out_series_sample(struct km *km)
{
    FILE *f = km->series.f;
    if (f == NULL)
        return;
    uint64_t rss = 0;
    for (int i = 0; i < km->nmm; i++)
        if (!km->mm[i]->exited)
            rss += proc_rss(km->mm[i]);
    uint64_t stalls = km->vm[KM_VM_allocstall_dma] + km->vm[KM_VM_allocstall_dma32] +
                      km->vm[KM_VM_allocstall_normal] + km->vm[KM_VM_allocstall_movable];
    uint64_t v[] = {km->now_ns,
                    km_nr_free_pages(km) * 4,
                    km->nr_anon * 4,
                    km->nr_file * 4,
                    (swap_total_pages(km) - swap_free_pages(km)) * 4,
                    km->committed * 4,
                    rss * 4,
                    km->vm[KM_VM_pgfault],
                    km->vm[KM_VM_pgmajfault],
                    km->vm[KM_VM_pswpin],
                    km->vm[KM_VM_pswpout],
                    km->vm[KM_VM_pgscan_kswapd],
                    km->vm[KM_VM_pgscan_direct],
                    km->vm[KM_VM_pgsteal_kswapd],
                    km->vm[KM_VM_pgsteal_direct],
                    stalls,
                    km->vm[KM_VM_oom_kill],
                    km->kswapd.awake};
    static const char *const names[] = {
        "time_ns",         "MemFree_kB",    "AnonPages_kB",  "Cached_kB",      "SwapUsed_kB",
        "Committed_AS_kB", "rss_kB",        "pgfault",       "pgmajfault",     "pswpin",
        "pswpout",         "pgscan_kswapd", "pgscan_direct", "pgsteal_kswapd", "pgsteal_direct",
        "allocstall",      "oom_kill",      "kswapd_awake"};
    size_t n = sizeof(v) / sizeof(v[0]);
    if (km->series.json) {
        fputc('{', f);
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", names[i], v[i]);
        fputs("}\n", f);
    } else {
        for (size_t i = 0; i < n; i++)
            fprintf(f, "%s%" PRIu64, i ? "," : "", v[i]);
        fputc('\n', f);
    }
    while (km->series.next_ns <= km->now_ns)
        km->series.next_ns += km->series.every_ns;
}

void out_series_close(struct km *km)
{
    if (km->series.f) {
        out_series_sample(km);
        fclose(km->series.f);
        km->series.f = NULL;
    }
}
