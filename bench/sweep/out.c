/*
 * out.c — the sweep's files (results/README.md, section "sweep/", documents them):
 *
 *   runs.csv      one row per run: the configuration, the workload and allocator, the real
 *                 outcome and exit status, every quantity of enum sw_q measured (real_*) and
 *                 predicted (model_*), the model's scenario, notes
 *   compare.csv   one row per run and quantity where both sides have a value: real, model,
 *                 difference (model - real) and relative difference; plus an "outcome" row
 *   session.json  the sweep as a whole (written at the start with state "running", again at
 *                 the end: "done", "refused", "interrupted" if it never got there)
 *
 * Rows are written and flushed as runs finish, so an interrupted sweep leaves what it did.
 */
#include "bench/sweep/sweep.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/vmctl/vmprobe.h"

const char *const sw_q_names[SW_NQ] = {
    "time_s",         "user_s",         "sys_s",        "minflt",        "majflt",
    "maxrss_kb",      "touched_kb",     "pswpin",       "pswpout",       "pgscan_anon",
    "pgscan_file",    "pgsteal_anon",   "pgsteal_file", "pgscan_kswapd", "pgscan_direct",
    "pgsteal_kswapd", "pgsteal_direct", "allocstall",   "oom_kill",      "memcg_max_usage_kb",
    "memcg_failcnt",  "memcg_oom_kill", "stall_s",      "psi_full_s"};

const char *const sw_outcome_names[] = {"ok",      "ENOMEM", "OOM-killed", "crashed",
                                        "timeout", "failed", "skipped",    "n/a"};

void sw_vals_set(struct sw_vals *s, enum sw_q q, double v)
{
    s->v[q] = v;
    s->have[q] = true;
}

static FILE *runs, *cmp;
static char started_utc[32];

static void num(FILE *f, const struct sw_vals *v, enum sw_q q)
{
    if (!v->have[q])
        fputs(",n/a", f);
    else if (v->v[q] == floor(v->v[q]) && fabs(v->v[q]) < 1e15)
        fprintf(f, ",%.0f", v->v[q]);
    else
        fprintf(f, ",%.4f", v->v[q]);
}

/* CSV cells never hold a comma or a quote (results/README.md). */
static void cell(FILE *f, const char *s)
{
    fputc(',', f);
    if (*s == '\0') {
        fputc('-', f);
        return;
    }
    for (; *s; s++)
        fputc(*s == ',' || *s == '"' || *s == '\n' ? ';' : *s, f);
}

int sw_out_open(const struct sweep *s)
{
    char p[600];
    time_t now = time(NULL);
    strftime(started_utc, sizeof(started_utc), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    snprintf(p, sizeof(p), "%s/runs.csv", s->out);
    runs = fopen(p, "we");
    snprintf(p, sizeof(p), "%s/compare.csv", s->out);
    cmp = fopen(p, "we");
    if (runs == NULL || cmp == NULL)
        return -1;
    fprintf(runs, "run,config,oc,overcommit_ratio,swappiness,swappiness_scope,swap_mb,scope,"
                  "limit_mb,workload,allocator,args,outcome,status,model_outcome,outcome_match");
    for (int q = 0; q < SW_NQ; q++)
        fprintf(runs, ",real_%s,model_%s", sw_q_names[q], sw_q_names[q]);
    fprintf(runs, ",scenario,notes\n");
    fprintf(cmp, "run,config,workload,allocator,quantity,real,model,difference,rel_difference\n");
    fflush(NULL);
    return 0;
}

void sw_out_run(const struct sweep *s, const struct sw_run *r)
{
    const struct sw_cfg *c = r->cfg;
    char lab[96];
    sw_cfg_label(c, lab, sizeof(lab));
    fprintf(runs, "%d", r->idx);
    cell(runs, lab);
    fprintf(runs, ",%d,%d,%d,%s,%llu,%s", c->oc, c->oc == 2 ? s->ratio : 50, c->swappiness,
            c->global ? "global" : "cgroup", (unsigned long long)(c->swap / SW_MIB),
            c->global ? "global" : "memcg");
    if (c->global)
        fputs(",n/a", runs);
    else
        fprintf(runs, ",%llu", (unsigned long long)(s->limit / SW_MIB));
    cell(runs, r->wl->name);
    cell(runs, r->alloc->name);
    cell(runs, r->args);
    cell(runs, sw_outcome_names[r->real]);
    cell(runs, r->status);
    cell(runs, sw_outcome_names[r->model]);
    bool both = r->real != O_SKIPPED && r->model != O_NONE;
    cell(runs, both ? (r->real == r->model ? "yes" : "no") : "n/a");
    for (int q = 0; q < SW_NQ; q++) {
        num(runs, &r->r, q);
        num(runs, &r->m, q);
    }
    cell(runs, r->scen);
    cell(runs, r->note);
    fputc('\n', runs);
    fflush(runs);

    if (r->real == O_SKIPPED)
        return;
    if (r->model != O_NONE) {
        fprintf(cmp, "%d", r->idx);
        cell(cmp, lab);
        cell(cmp, r->wl->name);
        cell(cmp, r->alloc->name);
        fprintf(cmp, ",outcome,%s,%s,%s,n/a\n", sw_outcome_names[r->real],
                sw_outcome_names[r->model], r->real == r->model ? "same" : "differs");
    }
    for (int q = 0; q < SW_NQ; q++) {
        if (!r->r.have[q] || !r->m.have[q])
            continue;
        double a = r->r.v[q], b = r->m.v[q];
        fprintf(cmp, "%d", r->idx);
        cell(cmp, lab);
        cell(cmp, r->wl->name);
        cell(cmp, r->alloc->name);
        fprintf(cmp, ",%s,%.6g,%.6g,%.6g,", sw_q_names[q], a, b, b - a);
        if (a != 0)
            fprintf(cmp, "%.4f\n", (b - a) / fabs(a));
        else
            fprintf(cmp, "%s\n", b == 0 ? "0" : "n/a");
    }
    fflush(cmp);
}

void sw_out_close(void)
{
    if (runs)
        fclose(runs);
    if (cmp)
        fclose(cmp);
    runs = cmp = NULL;
}

static void jstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

/* The machine's VM settings now: what the end of a sweep must find as it was at the start. */
static void settings(char *buf, size_t len)
{
    static const char *const sys[] = {"overcommit_memory", "overcommit_ratio", "swappiness",
                                      "nr_hugepages"};
    size_t n = (size_t)snprintf(buf, len, "{");
    for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]) && n < len; i++) {
        char p[96];
        snprintf(p, sizeof(p), "/proc/sys/vm/%s", sys[i]);
        n += (size_t)snprintf(buf + n, len - n, "\"vm.%s\": %lld, ", sys[i], vmprobe_read_num(p));
    }
    if (n < len)
        snprintf(buf + n, len - n, "\"SwapTotal_kB\": %lld}", vmprobe_meminfo_kb("SwapTotal"));
}

int sw_out_session(const struct sweep *s, const char *state, double seconds, int runs_planned,
                   int done, int failed, const char *reason)
{
    char p[600], tmp[620];
    snprintf(p, sizeof(p), "%s/session.json", s->out);
    snprintf(tmp, sizeof(tmp), "%s.tmp", p);
    FILE *f = fopen(tmp, "we");
    if (f == NULL)
        return -1;
    fprintf(f, "{\n  \"profile\": ");
    jstr(f, s->profile ? s->profile : "custom");
    fprintf(f, ",\n  \"state\": ");
    jstr(f, state);
    fprintf(f, ",\n  \"reason\": ");
    jstr(f, reason ? reason : "");
    fprintf(f, ",\n  \"started_utc\": \"%s\",\n  \"seconds\": %.1f,\n", started_utc, seconds);
    fprintf(f, "  \"runs_planned\": %d,\n  \"runs_done\": %d,\n  \"runs_failed\": %d,\n",
            runs_planned, done, failed);
    fprintf(f, "  \"limit_bytes\": %llu,\n  \"swap_bytes\": %llu,\n  \"overcommit_ratio\": %d,\n",
            (unsigned long long)s->limit, (unsigned long long)s->swap_size, s->ratio);
    fprintf(f, "  \"mode2_reserve_bytes\": %llu,\n  \"squeeze_free_bytes\": %llu,\n",
            (unsigned long long)s->reserve, (unsigned long long)s->squeeze_free);
    fprintf(f, "  \"timeout_s\": %d,\n  \"budget_s\": %d,\n  \"model\": %s,\n", s->timeout_s,
            s->budget_s, s->model ? "true" : "false");
    fprintf(f,
            "  \"machine\": {\"MemTotal_kB\": %llu, \"zone_managed\": [%llu, %llu, %llu], "
            "\"Committed_AS_kB_at_start\": %lld, \"cpus\": %ld},\n",
            (unsigned long long)s->memtotal_kb, (unsigned long long)s->zone_managed[0],
            (unsigned long long)s->zone_managed[1], (unsigned long long)s->zone_managed[2],
            s->committed0_kb, sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(f, "  \"allocators\": [");
    for (int i = 0; i < s->nalloc; i++) {
        fprintf(f, "%s{\"name\": ", i ? ", " : "");
        jstr(f, s->allocs[i].name);
        fprintf(f, ", \"preload\": ");
        jstr(f, s->allocs[i].preload);
        fprintf(f, ", \"status\": ");
        char st[300];
        snprintf(st, sizeof(st), "%s%s", s->allocs[i].skip[0] ? "skipped: " : "ok",
                 s->allocs[i].skip);
        jstr(f, st);
        fprintf(f, "}");
    }
    fprintf(f, "],\n  \"workloads\": [");
    for (int i = 0; i < s->nwl; i++) {
        fprintf(f, "%s{\"name\": ", i ? ", " : "");
        jstr(f, s->wls[i]->name);
        fprintf(f, ", \"program\": ");
        jstr(f, s->wls[i]->prog);
        fprintf(f, ", \"what\": ");
        jstr(f, s->wls[i]->what);
        fprintf(f, "}");
    }
    fprintf(f, "],\n  \"configs\": [");
    for (int i = 0; i < s->ncfg; i++) {
        char lab[96];
        fprintf(f, "%s", i ? ", " : "");
        jstr(f, sw_cfg_label(&s->cfgs[i], lab, sizeof(lab)));
    }
    static char at_start[512];
    char now[512];
    settings(now, sizeof(now));
    if (at_start[0] == '\0')
        snprintf(at_start, sizeof(at_start), "%s", now);
    fprintf(f, "],\n  \"settings_at_start\": %s,\n  \"settings_now\": %s,\n", at_start, now);
    fprintf(f, "  \"settings_restored\": %s\n}\n", strcmp(at_start, now) == 0 ? "true" : "false");
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, p);
}
