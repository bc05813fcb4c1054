#!/usr/bin/env python3
"""sections.py --results DIR — write DIR/sections/sweep.md and DIR/sections/seed-questions.md.

The report generator (mini-report) includes both files verbatim. Every number in them is read
from the files of the run (results/README.md documents them):

  sweep/session.json, sweep/runs.csv, sweep/compare.csv   mini-sweep (bench/sweep/)
  seed/probes.jsonl, seed/syscalls.csv, seed/q5/*.json     run-sweep's probes and model runs
  runs.csv, logs/size-sweep-*.log, calibration.json        the bench runner (when present)
  model-validation.json                                    make validate-model (when present)

What is missing is said ("not in this run: reason"), never invented. Exit 0; 2 for bad usage.
"""
import csv
import glob
import json
import math
import os
import statistics
import sys

ALLOCS = ["glibc", "jemalloc", "libmini"]


# ---- Reading ------------------------------------------------------------------------------

def read_csv(path):
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except OSError:
        return None


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_jsonl(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def last_json_line(path):
    """kmodel --json prints one object per `print` and one at the end: the last is the state."""
    rows = read_jsonl(path)
    return rows[-1] if rows else None


def num(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


# ---- Formatting ---------------------------------------------------------------------------

def fmt(x, unit=""):
    if x is None:
        return "n/a"
    a = abs(x)
    if a >= 1e6:
        s = f"{x / 1e6:.2f} M"
    elif a >= 1e4:
        s = f"{x / 1e3:.1f} k"
    elif a >= 100 or x == int(x):
        s = f"{x:.0f}"
    elif a >= 10:
        s = f"{x:.1f}"
    elif a >= 1:
        s = f"{x:.2f}"
    else:
        s = f"{x:.3f}"
    return s + (" " + unit if unit else "")


def kib(x):
    if x is None:
        return "n/a"
    if abs(x) >= 1024 * 10:
        return f"{x / 1024:.1f} MiB"
    return f"{x:.0f} KiB"


def pct(d):
    return "n/a" if d is None else f"{d * 100:+.0f} %"


def table(head, rows, align=None):
    out = ["| " + " | ".join(head) + " |"]
    out.append("|" + "|".join((align[i] if align else "---") for i in range(len(head))) + "|")
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out) + "\n"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rel(real, model):
    if real is None or model is None:
        return None
    if real == 0:
        return 0.0 if model == 0 else None
    return (model - real) / abs(real)


SHORT = {"ok": "ok", "ENOMEM": "ENOMEM", "OOM-killed": "OOM", "crashed": "crash",
         "timeout": "timeout", "failed": "failed", "skipped": "skip", "n/a": "n/a"}


# ---- The sweep ------------------------------------------------------------------------------

class Sweep:
    def __init__(self, res):
        self.dir = os.path.join(res, "sweep")
        self.session = read_json(os.path.join(self.dir, "session.json"))
        self.runs = read_csv(os.path.join(self.dir, "runs.csv")) or []
        self.ok = bool(self.session) and self.session.get("state") != "refused" and self.runs

    def state_line(self):
        s = self.session
        if not s:
            return "Not in this run: `results/sweep/session.json` is missing (the sweep did not run)."
        if s.get("state") == "refused":
            return f"skipped: {s.get('reason')}"
        if s.get("state") == "running":
            return ("interrupted: the sweep did not finish (session.json still says \"running\"); "
                    f"{len(self.runs)} of {s.get('runs_planned')} runs are recorded.")
        return None

    def where(self, **kw):
        out = []
        for r in self.runs:
            if all(str(r.get(k)) == str(v) for k, v in kw.items()):
                out.append(r)
        return out

    @staticmethod
    def v(r, q, side="real"):
        return num(r.get(f"{side}_{q}"))

    @staticmethod
    def cfg_key(r):
        return (r["scope"], int(r["oc"]), int(r["swappiness"]), int(r["swap_mb"]))


def cfg_label(scope, oc, sw, swap_mb):
    swap = "none" if swap_mb == 0 else (f"{swap_mb // 1024}G" if swap_mb % 1024 == 0 else f"{swap_mb}M")
    return f"oc={oc} sw={sw} swap={swap}" + (" global" if scope == "global" else "")


def sweep_section(res):
    sw = Sweep(res)
    out = []
    p = out.append
    p("Generated by `bench/sweep/sections.py` from `results/sweep/` (`mini-sweep`, "
      "bench/sweep/). Each configuration runs every workload under each allocator for real "
      "(a fresh v1 memory cgroup of limit L, or global pressure) and through the kernel model "
      "(a scenario written from the same parameters: `results/sweep/model/`).\n")
    st = sw.state_line()
    if st:
        p(st + "\n")
        if not sw.ok:
            return "\n".join(out)
    s = sw.session
    L = s.get("limit_bytes", 0) // (1 << 20)
    machine = s.get("machine", {})
    p(f"Profile `{s.get('profile')}`, started {s.get('started_utc')}, "
      f"{s.get('runs_done')} of {s.get('runs_planned')} runs done in {s.get('seconds', 0):.0f} s "
      f"(budget {s.get('budget_s')} s, {s.get('runs_failed')} failed, at most "
      f"{s.get('timeout_s')} s per run). L = {L} MiB; swap file "
      f"{s.get('swap_bytes', 0) // (1 << 20)} MiB; mode 2 with vm.overcommit_ratio = "
      f"{s.get('overcommit_ratio')} and at least {s.get('mode2_reserve_bytes', 0) // (1 << 20)} MiB "
      f"of commit room left to the rest of the machine; machine MemTotal "
      f"{machine.get('MemTotal_kB', 0) // 1024} MiB.\n")
    restored = s.get("settings_restored")
    p(f"Settings at the start: `{json.dumps(s.get('settings_at_start'))}`; at the end: "
      f"`{json.dumps(s.get('settings_now'))}` — "
      + ("**restored**." if restored else "**differ** (another experiment may have changed them, "
                                          "or a restore failed: see the sweep's output).") + "\n")
    allocs = [a["name"] for a in s.get("allocators", []) if a.get("status") == "ok"]
    for a in s.get("allocators", []):
        if a.get("status") != "ok":
            p(f"- allocator {a['name']}: {a['status']}")
    p("")
    p(table(["workload", "what it does"],
            [[f"`{w['name']}` ({w['program']})", w["what"]] for w in s.get("workloads", [])]))

    # The outcome table: one sub-table per workload.
    p("### Outcomes\n")
    p("Each cell: the real outcome and wall time under that allocator; the last column is the "
      "model's prediction (allocator-independent, except jemalloc's MAP_NORESERVE mappings: "
      "`m*` marks where its prediction for jemalloc differs). ENOMEM = malloc returned NULL; "
      "OOM = killed by the OOM killer (memcg or global); skip = not run (reason in runs.csv, "
      "e.g. mode 2 refused).\n")
    wl_names = [w["name"] for w in s.get("workloads", [])]
    for wl in wl_names:
        rows = sw.where(workload=wl)
        if not rows:
            continue
        keys = []
        for r in rows:
            k = Sweep.cfg_key(r)
            if k not in keys:
                keys.append(k)
        body = []
        for k in keys:
            cells = [cfg_label(*k)]
            model = None
            model_je = None
            for a in allocs:
                rr = [r for r in rows if Sweep.cfg_key(r) == k and r["allocator"] == a]
                if not rr:
                    cells.append("")
                    continue
                r = rr[0]
                o = SHORT.get(r["outcome"], r["outcome"])
                t = Sweep.v(r, "time_s")
                cells.append(o + (f" {t:.1f} s" if t is not None and r["outcome"] != "skipped" else ""))
                if a == "jemalloc":
                    model_je = r["model_outcome"]
                elif model is None:
                    model = r["model_outcome"]
            m = SHORT.get(model or "n/a", model)
            if model_je and model and model_je != model:
                m += f" (m* jemalloc: {SHORT.get(model_je, model_je)})"
            cells.append(m)
            body.append(cells)
        args = rows[0]["args"]
        p(f"**{wl}** (arguments of the first run: `{args}`)\n")
        p(table(["configuration"] + allocs + ["model"], body))

    # Outcome agreement.
    both = [r for r in sw.runs if r["outcome"] != "skipped" and r["model_outcome"] not in ("n/a", "")]
    same = [r for r in both if r["outcome"] == r["model_outcome"]]
    diff = [r for r in both if r["outcome"] != r["model_outcome"]]
    p(f"The model predicted the outcome of {len(same)} of {len(both)} runs exactly."
      + (" The others:\n" if diff else ""))
    if diff:
        p(table(["run", "configuration", "workload", "allocator", "real", "model", "notes"],
                [[r["run"], r["config"], r["workload"], r["allocator"],
                  f"{r['outcome']} ({r['status']})", r["model_outcome"], r["notes"][:120]]
                 for r in diff[:40]]))
        if len(diff) > 40:
            p(f"... and {len(diff) - 40} more (runs.csv).\n")
    else:
        p("\n")

    # Model vs real for the E4/E5/E6-type configurations.
    p("### Model vs real: E4-, E5- and E6-type configurations\n")
    p("E4-type: `anon-over` in a memory cgroup with swap and swappiness > 0 (memcg-limited "
      "anonymous memory and swap); E5-type: `file-anon` in a memory cgroup (swappiness balance "
      "between file and anonymous pages); E6-type: the global configurations (free memory "
      "squeezed, kswapd and direct reclaim). The model does not see the allocator (but for "
      "jemalloc's MAP_NORESERVE), so the spread between allocators is the allocators' own "
      "effect. Counters are system-wide "
      "vmstat deltas (other processes add noise) except minflt/majflt (the workload's rusage) "
      "and the memcg files.\n")
    groups = [
        ("E4", lambda r: r["workload"] == "anon-over" and r["scope"] == "memcg"
         and int(r["swap_mb"]) > 0 and int(r["swappiness"]) > 0, lambda r: "all",
         ["minflt", "majflt", "pswpin", "pswpout", "pgscan_anon", "pgsteal_anon",
          "memcg_failcnt", "time_s"]),
        ("E5", lambda r: r["workload"] == "file-anon" and r["scope"] == "memcg"
         and int(r["swap_mb"]) > 0, lambda r: f"sw={r['swappiness']}",
         ["pgscan_anon", "pgsteal_anon", "pswpout", "pgscan_file", "pgsteal_file", "majflt"]),
        ("E6", lambda r: r["scope"] == "global", lambda r: f"{r['config']} {r['workload']}",
         ["minflt", "majflt", "pswpin", "pswpout", "pgsteal_kswapd", "pgsteal_direct",
          "allocstall", "time_s"]),
    ]
    for name, pred, sub, qs in groups:
        rows = [r for r in sw.runs if pred(r) and r["outcome"] not in ("skipped",)
                and r["model_outcome"] not in ("n/a", "")]
        if not rows:
            p(f"{name}-type: not in this run (no such configuration ran).\n")
            continue
        subs = []
        for r in rows:
            if sub(r) not in subs:
                subs.append(sub(r))
        body = []
        for sg in subs:
            for q in qs:
                cells = ([sg] if len(subs) > 1 else []) + [q]
                for a in allocs:
                    ra = [r for r in rows if r["allocator"] == a and sub(r) == sg]
                    rv = [Sweep.v(r, q) for r in ra]
                    mv = [Sweep.v(r, q, "model") for r in ra]
                    if not ra or None in rv or None in mv:
                        cells.append("n/a")
                        continue
                    tr, tm = sum(rv), sum(mv)
                    cells.append(f"{fmt(tr)} / {fmt(tm)} ({pct(rel(tr, tm))})")
                body.append(cells)
        agree = sum(1 for r in rows if r["outcome"] == r["model_outcome"])
        cfgs = sorted({r["config"] for r in rows})
        p(f"**{name}-type** ({len(rows)} runs; outcome predicted in {agree}; configurations: "
          f"{', '.join(cfgs)}). Cells: real / model summed over the runs of that allocator "
          f"(relative difference of the sums, (model - real) / real).\n")
        p(table((["group"] if len(subs) > 1 else []) + ["quantity"] + allocs, body))
        if name == "E6":
            share = []
            for a in allocs:
                for r in [r for r in rows if r["allocator"] == a]:
                    rk, rd = Sweep.v(r, "pgsteal_kswapd"), Sweep.v(r, "pgsteal_direct")
                    mk, md = Sweep.v(r, "pgsteal_kswapd", "model"), Sweep.v(r, "pgsteal_direct", "model")
                    if None not in (rk, rd, mk, md) and rk + rd > 0 and mk + md > 0:
                        share.append((a, r["config"], r["workload"], rk / (rk + rd), mk / (mk + md)))
            if share:
                p(table(["allocator", "configuration", "workload",
                         "kswapd share of pages stolen: real", "model", "difference (points)"],
                        [[a, c, w, f"{x:.2f}", f"{y:.2f}", f"{(y - x) * 100:+.0f}"]
                         for a, c, w, x, y in share]))
        if name == "E4":
            tr = sum(Sweep.v(r, "time_s") or 0 for r in rows)
            tm = sum(Sweep.v(r, "time_s", "model") or 0 for r in rows)
            po = sum((Sweep.v(r, "pswpout") or 0) + (Sweep.v(r, "pswpin") or 0) for r in rows)
            if tr > 0 and tm > 0 and po > 0:
                p(f"Time: the model's estimate is {tm / tr * 100:.0f} % of the real time over these "
                  f"runs. They moved {fmt(po)} pages through swap, about {tr / po * 1e6:.0f} us of "
                  f"real time per page swapped in or out, where the model's swap costs (guesses, "
                  f"not measured by the calibration: analysis/kmodel/README.md) are 4 us per page "
                  f"out and 20 us per page in.\n")

    # The interruption test of this run.
    p("### Interruption test\n")
    it = os.path.join(sw.dir, "interrupt.txt")
    try:
        lines = open(it).read().splitlines()
    except OSError:
        lines = None
    if not lines:
        p("Not in this run (`results/sweep/interrupt.txt` is missing: run-sweep runs "
          "tests/sweep/interrupt.sh after the sweep, as root).\n")
    else:
        summ = [l for l in lines if l.startswith("mini-test:")]
        checks = [l.strip() for l in lines if l.startswith("  ok ") or l.startswith("  FAIL ")]
        p("Right after the sweep, `tests/sweep/interrupt.sh` stopped small real sweeps in the "
          "middle of a run (SIGINT with the real workload; SIGTERM, SIGSEGV of the driver and "
          "SIGKILL with a workload that sleeps; and a workload that crashes) and compared the "
          "settings with those before: " + (summ[-1][len("mini-test: "):] if summ else
                                              lines[-1]) + ".\n")
        failed = [c for c in checks if c.startswith("FAIL")]
        p(table(["check", "result"],
                [[c.split(": ", 1)[1] if ": " in c else c, c.split()[0]] for c in checks]))
        if failed:
            p("**Failed:** " + "; ".join(failed) + " (details in results/sweep/interrupt.txt).\n")

    # Readings computed from the numbers.
    p("### Readings\n")
    for line in sweep_readings(sw, allocs):
        p("- " + line)
    p("")
    p("The model's time is its estimate from calibrated event costs (faults, swap I/O, reclaim "
      "scans); the real time includes the workload's own work and, for swap, the VM's disk. "
      "`stall_s` is PSI memory \"some\" for the real runs and the model's direct-reclaim stall "
      "time. Full data: `results/sweep/runs.csv` (one row per run, real_* and model_*) and "
      "`results/sweep/compare.csv` (one row per run and quantity, with the difference).\n")
    return "\n".join(out)


def sweep_readings(sw, allocs):
    out = []
    runs = [r for r in sw.runs if r["outcome"] != "skipped"]

    def outcomes(rows):
        c = {}
        for r in rows:
            c[r["outcome"]] = c.get(r["outcome"], 0) + 1
        return ", ".join(f"{k} {v}" for k, v in sorted(c.items())) or "none"

    a0 = [r for r in runs if r["workload"] == "anon-over" and r["scope"] == "memcg"
          and int(r["swappiness"]) == 0 and int(r["swap_mb"]) > 0]
    if a0:
        out.append(f"swappiness 0 in a memory cgroup, with swap: `anon-over` outcomes {outcomes(a0)} "
                   f"(model: {outcomes([dict(outcome=r['model_outcome']) for r in a0])}); the "
                   f"cgroup's reclaim scans file pages only, so anonymous memory over the limit "
                   f"cannot go to swap.")
    an = [r for r in runs if r["workload"] == "anon-over" and r["scope"] == "memcg"
          and int(r["swap_mb"]) == 0]
    if an:
        out.append(f"no swap: `anon-over` (2 x L) outcomes {outcomes(an)}.")
    asw = [r for r in runs if r["workload"] == "anon-over" and r["scope"] == "memcg"
           and int(r["swap_mb"]) > 0 and int(r["swappiness"]) > 0]
    if asw:
        t = median([Sweep.v(r, "time_s") for r in asw])
        so = median([Sweep.v(r, "pswpout") for r in asw])
        out.append(f"with swap and swappiness > 0: `anon-over` outcomes {outcomes(asw)}; median "
                   f"{fmt(t)} s and {fmt(so)} pages swapped out per run.")
    for oc in (0, 1, 2):
        rows = [r for r in runs if r["workload"] == "overask-ram" and int(r["oc"]) == oc]
        if rows:
            per = "; ".join(f"{a}: {outcomes([r for r in rows if r['allocator'] == a])}"
                            for a in allocs if any(r["allocator"] == a for r in rows))
            out.append(f"overcommit mode {oc}, one malloc of 2 x MemTotal, untouched: {per}.")
    kk = [r for r in runs if r["scope"] == "memcg"]
    if kk:
        ks = sum(Sweep.v(r, "pgscan_kswapd") or 0 for r in kk)
        st = sum(Sweep.v(r, "allocstall") or 0 for r in kk)
        fc = sum(Sweep.v(r, "memcg_failcnt") or 0 for r in kk)
        sa = sum(Sweep.v(r, "pgsteal_anon") or 0 for r in kk) + sum(Sweep.v(r, "pgsteal_file") or 0 for r in kk)
        out.append(f"memory-cgroup runs: {fmt(sa)} pages reclaimed in all, {fmt(fc)} charge "
                   f"failures (memory.failcnt), while the system-wide kswapd scanned {fmt(ks)} "
                   f"pages and allocstall moved by {fmt(st)}: limit reclaim is done by the "
                   f"charging task itself, kswapd is not involved.")
    m2 = [r for r in sw.runs if int(r["oc"]) == 2 and r["outcome"] == "skipped"
          and "refused" in r["notes"]]
    if m2:
        out.append(f"{len(m2)} runs in mode 2 were refused by the safety check: {m2[0]['notes'][:200]}")
    return out


# ---- Seed questions -------------------------------------------------------------------------

class Seed:
    def __init__(self, res):
        self.res = res
        self.dir = os.path.join(res, "seed")
        self.probes = read_jsonl(os.path.join(self.dir, "probes.jsonl"))
        self.syscalls = read_csv(os.path.join(self.dir, "syscalls.csv"))
        self.cal = read_json(os.path.join(res, "calibration.json"))
        self.runs = read_csv(os.path.join(res, "runs.csv")) or []
        self.mv = read_json(os.path.join(res, "model-validation.json"))

    def probe(self, kind, alloc=None, **kw):
        out = []
        for p in self.probes:
            if p.get("probe") != kind:
                continue
            if alloc is not None and p.get("allocator") != alloc:
                continue
            if all(p.get(k) == v for k, v in kw.items()):
                out.append(p)
        return out

    def allocs(self):
        seen = []
        for p in self.probes:
            a = p.get("allocator")
            if a in ALLOCS and a not in seen:
                seen.append(a)
        return [a for a in ALLOCS if a in seen]


def q1(seed, sw):
    out = ["### 1. How much virtual memory does `malloc(1)` reserve, and how much becomes resident?\n"]
    rows = []
    glibc_main = None
    for a in seed.allocs():
        pr = seed.probe("malloc1", a)
        if not pr:
            continue
        x = pr[0]
        m, a1, a2 = x["main"], x["after_malloc1"], x["after_second_malloc1"]
        if a == "glibc":
            glibc_main = m["anon_vm_kb"]
        rows.append((a, x, m, a1, a2))
    if not rows:
        out.append("Not in this run: `results/seed/probes.jsonl` has no malloc1 probe.\n")
        return "\n".join(out)
    body = []
    for a, x, m, a1, a2 in rows:
        extra = (m["anon_vm_kb"] - glibc_main) if glibc_main is not None else None
        body.append([a, kib(a1["anon_vm_kb"] - m["anon_vm_kb"]), f"{a1['brk_delta'] // 1024} KiB",
                     kib(a1["anon_rss_kb"] - m["anon_rss_kb"]),
                     kib(a2["anon_vm_kb"] - a1["anon_vm_kb"]),
                     kib(extra) if extra is not None else "n/a",
                     f"{x['usable']} B", f"{x['distance']} B",
                     "brk heap" if x["in_brk_heap"] else "an mmap'd region"])
    out.append(table(["allocator", "anonymous VM added by the first malloc(1)", "program break moved",
                      "anonymous RSS added", "VM added by a second malloc(1)",
                      "anonymous VM at main() beyond glibc's (mapped before any malloc)",
                      "usable size", "distance to the next malloc(1)", "block lives in"], body))
    words = []
    for a, x, m, a1, a2 in rows:
        vm = a1["anon_vm_kb"] - m["anon_vm_kb"]
        rss = a1["anon_rss_kb"] - m["anon_rss_kb"]
        pre = (m["anon_vm_kb"] - glibc_main) if glibc_main is not None else 0
        if vm > 0:
            words.append(f"{a} reserved {vm} KiB of address space for one byte (the break moved "
                         f"{a1['brk_delta'] // 1024} KiB) of which {rss} KiB became resident")
        else:
            words.append(f"{a} had already mapped {kib(pre)} more than glibc before main() "
                         f"(its arenas, at start-up), so malloc(1) added no address space and "
                         f"{rss} KiB of RSS")
    out.append("**Answer (measured, `mini-seedprobe malloc1` under each allocator; smaps of the "
               "process):** " + "; ".join(words) + ". The block itself is one small size class "
               "(usable size above); the rest is a pool for later requests, and only the pages "
               "actually written (the allocator's headers and metadata) are resident: virtual "
               "memory is reserved, physical memory is used on first touch.\n")
    return "\n".join(out)


def q2(seed, sw):
    out = ["### 2. Does `free` give memory back to the OS — for brk memory, for mmap memory?\n"]
    body = []
    for a in seed.allocs():
        for case in ("heap-all", "heap-all-but-last", "mmap-block"):
            pr = seed.probe("free", a, case=case)
            if not pr:
                continue
            x = pr[0]
            al, fr = x["allocated"], x["freed"]
            tr = x.get("trimmed")
            body.append([a, case, kib(al["rssanon_kb"]), kib(fr["rssanon_kb"]),
                         kib(tr["rssanon_kb"]) if tr else "—",
                         kib(fr["vmsize_kb"] - al["vmsize_kb"]),
                         kib(tr["vmsize_kb"] - al["vmsize_kb"]) if tr else "—",
                         x.get("trim", "—")])
    if not body:
        out.append("Not in this run: no free probe in `results/seed/probes.jsonl`.\n")
        return "\n".join(out)
    out.append("Measured with `mini-seedprobe free`: 64 MiB as 65536 blocks of 1 KiB (heap "
               "memory: `heap-all` frees them all, `heap-all-but-last` keeps the last one, which "
               "pins the top of the heap), and one 64 MiB block (its own mapping, `mmap-block`). "
               "RssAnon after allocating, right after free, and after the allocator's trim; the "
               "change of VmSize.\n")
    out.append(table(["allocator", "case", "RssAnon allocated", "after free", "after trim",
                      "VmSize change at free", "after trim", "trim call"], body))
    words = []
    for a in seed.allocs():
        def get(case):
            pr = seed.probe("free", a, case=case)
            return pr[0] if pr else None

        def back(x, when):
            d = x["allocated"]["rssanon_kb"] - x[when]["rssanon_kb"]
            return kib(d) if d > 256 else "nothing"
        h, hp, mm = get("heap-all"), get("heap-all-but-last"), get("mmap-block")
        parts = []
        if h:
            parts.append(f"all heap blocks freed: {back(h, 'freed')} of RSS back at free, "
                         f"{back(h, 'trimmed')} after the trim")
        if hp:
            parts.append(f"all but the top one: {back(hp, 'freed')} at free, "
                         f"{back(hp, 'trimmed')} after the trim")
        if mm:
            vm = mm["allocated"]["vmsize_kb"] - mm["freed"]["vmsize_kb"]
            parts.append(f"the 64 MiB block: {back(mm, 'freed')} of RSS and "
                         f"{kib(vm) if vm > 256 else 'no'} address space back at free")
        if parts:
            words.append(f"{a} — " + "; ".join(parts))
    out.append("**Answer (measured):** " + ". ".join(words) + ". So heap (brk) memory goes back "
               "to the OS at free only when the free space is at the top of the heap (the break "
               "moves down) or when the allocator hands whole free pages inside the heap back "
               "with madvise (libmini's purge; glibc only in malloc_trim; jemalloc after its "
               "decay time or a purge): RSS drops, the address space stays. A block that had its "
               "own mapping is unmapped at free (jemalloc keeps the address range for reuse).\n")
    # The reclaim phase workload of the bench run.
    ph = [r for r in seed.runs if r.get("workload") == "phase" and r.get("status") == "ok"]
    if ph:
        body = []
        for a in ALLOCS:
            ra = [r for r in ph if r["allocator"] == a]
            if not ra:
                continue
            g = lambda k: median([num(r.get(k)) for r in ra])
            body.append([a, kib(g("peak_rss_before_free_kb")), kib(g("reclaim_rss_kb_0s")),
                         kib(g("reclaim_rss_kb_1s")), kib(g("reclaim_rss_kb_5s")),
                         kib(g("reclaim_rss_kb_trim"))])
        out.append("The reclaim phase workload of this run (`wl-phase`, results/runs.csv, medians): "
                   "grow to 256 MiB x scale of mixed blocks, free 90 % (the 10 % left are spread "
                   "over the heap), then VmRSS at once, 1 s and 5 s later, and after the "
                   "allocator's trim.\n")
        out.append(table(["allocator", "peak RSS before free", "RSS at free", "+1 s", "+5 s",
                          "after trim"], body))
    return "\n".join(out)


def q3(seed, sw):
    out = ["### 3. Why not use `mmap` for everything? (system calls and page faults per size)\n"]
    sz = seed.probe("sizes")
    if not sz:
        out.append("Not in this run: no sizes probe in `results/seed/probes.jsonl`.\n")
        return "\n".join(out)
    names = []
    for p in sz:
        if p["allocator"] not in names:
            names.append(p["allocator"])
    sizes = sorted({p["size"] for p in sz})
    sc = {}
    for r in seed.syscalls or []:
        sc[(r["allocator"], int(r["size"]))] = num(r["per_op"])

    def cell(a, s):
        pr = [p for p in sz if p["allocator"] == a and p["size"] == s]
        if not pr:
            return "n/a"
        p = pr[0]
        c = sc.get((a, s))
        return (f"{fmt(p['ns_per_op'])} ns, {p['minflt_per_op']:.2g} flt"
                + (f", {c:.2g} sc" if c is not None else ""))

    out.append("Measured with `mini-seedprobe sizes`: per size, malloc + one write per 4 KiB page "
               "+ free, repeated (after a warm-up); `mmap` is the same loop with mmap + munmap "
               "instead of malloc + free (what \"mmap for everything\" costs); "
               "`libmini (MINI_MMAP_THRESHOLD=8k)` is libmini made to map almost everything. "
               "Cells: ns per op, minor faults per op (flt), system calls per op (sc: brk, mmap, "
               "munmap, mremap, madvise, mprotect counted by `strace -c` over 1000 ops minus an "
               "empty run).\n")
    out.append(table(["size"] + names, [[f"{s} B"] + [cell(a, s) for a in names] for s in sizes]))
    # The model's expectation from the calibration.
    if seed.cal and all(k in seed.cal for k in ("mmap_call_ns", "munmap_call_ns", "fault_write_ns")):
        c = seed.cal
        rows = []
        for s in (16, 65536, 131072, 1048576):
            pages = max(1, (s + 4095) // 4096)
            t = c["mmap_call_ns"] + c["munmap_call_ns"] + pages * c["fault_write_ns"] + pages * c.get("munmap_page_ns", 0)
            meas = [p for p in sz if p["allocator"] == "mmap" and p["size"] == s]
            rows.append([f"{s} B", f"{fmt(t)} ns", f"{fmt(meas[0]['ns_per_op'])} ns" if meas else "n/a"])
        out.append("The kernel model's cost of one mmap + touch + munmap from this machine's "
                   "calibration (results/calibration.json: mmap call + munmap call + one "
                   "first-write fault and one unmap per page), next to the measured `mmap` loop:\n")
        out.append(table(["size", "model (calibration)", "measured"], rows))
    words = []
    raw = {p["size"]: p for p in sz if p["allocator"] == "mmap"}
    for a in [n for n in names if n in ALLOCS]:
        for s in (16, 65536):
            pa = [p for p in sz if p["allocator"] == a and p["size"] == s]
            if pa and s in raw and pa[0]["ns_per_op"] > 0:
                words.append(f"{a} at {s} B: {fmt(pa[0]['ns_per_op'])} ns vs "
                             f"{fmt(raw[s]['ns_per_op'])} ns with mmap "
                             f"({raw[s]['ns_per_op'] / pa[0]['ns_per_op']:.0f}x)")
    def at(a, size):
        pr = [p for p in sz if p["allocator"] == a and p["size"] == size]
        return pr[0] if pr else None
    extra = []
    g, lm = at("glibc", 131072), at("libmini", 131072)
    if g is not None:
        extra.append(f"at 128 KiB glibc took {g['minflt_per_op']:.2g} faults per op after the "
                     "warm-up: " + ("its threshold rose when the first mapped block was freed "
                                    "(glibc's dynamic mmap threshold), so it reuses heap memory"
                                    if g["minflt_per_op"] < 1 else "it maps each block"))
    if lm is not None:
        extra.append(f"libmini took {lm['minflt_per_op']:.2g} faults per op at 128 KiB: "
                     + ("its fixed 128 KiB threshold maps and unmaps every such block"
                        if lm["minflt_per_op"] >= 1 else "it kept the block"))
    out.append("**Answer (measured):** " + "; ".join(words) + ". Every mmap'd block costs two "
               "system calls and one page fault per page on every use, because munmap gives the "
               "pages back; a heap block is reused with its pages still mapped (no system call, "
               "no fault). That is why allocators map only large blocks (128 KiB and up by "
               "default), where touching the pages costs about as much as the calls"
               + ("; " + "; ".join(extra) if extra else "") + ".\n")
    logs = sorted(glob.glob(os.path.join(seed.res, "logs", "size-sweep-*.log")))
    if logs:
        per = {}
        for path in logs:
            base = os.path.basename(path)[len("size-sweep-"):-4]
            alloc = base.rsplit("-", 1)[0]
            if alloc not in ALLOCS:
                continue
            with open(path) as f:
                for line in f:
                    parts = line.strip().split(",")
                    if len(parts) == 4 and parts[0].isdigit():
                        per.setdefault((alloc, int(parts[0])), []).append((num(parts[2]), num(parts[3])))
        if per:
            ss = sorted({k[1] for k in per})
            pick = [s for s in ss if s in (65536, 131055, 131056, 131072, 131073, 262144, 1048576)] or ss
            out.append("The size-sweep workload of this run (results/logs/size-sweep-*.log: ns and "
                       "minor faults per malloc + touch + free, 256 MiB x scale per size):\n")
            out.append(table(["size"] + [a for a in ALLOCS if any(k[0] == a for k in per)],
                             [[f"{s} B"] + [
                                 (lambda v: f"{fmt(median([x[0] for x in v]))} ns, "
                                            f"{median([x[1] for x in v]):.2g} flt")(per[(a, s)])
                                 if (a, s) in per else "n/a"
                                 for a in ALLOCS if any(k[0] == a for k in per)]
                              for s in pick]))
    return "\n".join(out)


def q4(seed, sw):
    out = ["### 4. Where is the block size kept? (the 16-byte header, and what it costs in RSS)\n"]
    body = []
    words = []
    for a in seed.allocs():
        hs = seed.probe("header", a)
        if not hs:
            continue
        h = hs[0]
        w8 = int(h["word_minus8"], 16)
        us = h["usable"]
        decoded = "no size there"
        if a == "glibc" and (w8 & ~7) >= 32:
            decoded = f"size {w8 & ~7} + flags {w8 & 7} (chunk of 16 B of header overlap + data)"
        elif a == "libmini" and (w8 & ~15) >= 32:
            decoded = f"size {w8 & ~15} + flags {w8 & 15} (16-byte header + 16 B)"
        per = {x["size"]: x for x in hs}
        r16 = per.get(16)
        r48 = per.get(48)
        body.append([a, us[0], us[15], us[23], h["distance_16"], h["word_minus8"], decoded,
                     f"{r16['bytes_per_block']:.1f} B ({r16['rss_per_requested']:.2f}x)" if r16 else "n/a",
                     f"{r48['bytes_per_block']:.1f} B ({r48['rss_per_requested']:.2f}x)" if r48 else "n/a"])
        if r16:
            words.append(f"{a}: {r16['bytes_per_block']:.0f} bytes of RSS per 16-byte block "
                         f"({r16['rss_per_requested']:.2f}x the request)")
    if not body:
        out.append("Not in this run: no header probe in `results/seed/probes.jsonl`.\n")
        return "\n".join(out)
    out.append("Measured with `mini-seedprobe header`: `malloc_usable_size` of malloc(1), (16), "
               "(24); the distance between two consecutive malloc(16); the 8 bytes just before "
               "the second block (read through /proc/self/mem); and 1,000,000 blocks of 16 and of "
               "48 bytes, all written: RssAnon growth per block and per requested byte.\n")
    out.append(table(["allocator", "usable(1)", "usable(16)", "usable(24)", "malloc(16) to malloc(16)",
                      "word before the pointer", "decoded", "RSS per 16 B block", "per 48 B block"], body))
    out.append("**Answer (measured):** " + "; ".join(words) + ". glibc keeps the chunk size in "
               "the 8 bytes before the pointer (its 16-byte chunk header overlaps the previous "
               "chunk's last word, so a 16-byte request takes a 32-byte chunk); libmini keeps a "
               "full 16-byte header (size and flags in the word before the pointer, a canary or "
               "boundary tag before that), so a 16-byte block also takes 32 bytes: twice the "
               "request for tiny blocks, little for large ones; jemalloc keeps no header at all — "
               "blocks of one size class share a slab and free() finds the size from the "
               "address (its radix tree of extents), so 16-byte blocks cost about 16 bytes. "
               "`free(p)` needs no size argument in all three: the header (glibc, libmini) or "
               "the address (jemalloc) gives it.\n")
    return "\n".join(out)


def q5(seed, sw):
    out = ["### 5. What happens when a process asks for 8 GB on a 4 GB machine?\n"]
    out.append("Under each overcommit mode, with and without swap, touched and untouched. This "
               "machine has 24 GiB, so the literal case comes from the **kernel model** "
               "(a 4 GiB machine, vm.overcommit_ratio 50); the **real** runs of the sweep scale "
               "it: to the memory cgroup (limit L plays the RAM: malloc(2 x L)), to the machine "
               "(malloc(2 x MemTotal)) and, in the global configurations, to the memory left "
               "after squeezing (malloc(2 x MemAvailable)).\n")
    q5dir = os.path.join(seed.dir, "q5")
    body = []
    for oc in (0, 1, 2):
        for swp in ("none", "1G", "8G"):
            for touch in ("untouched", "touched"):
                cells = [str(oc), swp, touch]
                for cls in ("plain", "noreserve", "libmini"):
                    if cls == "noreserve" and oc == 2:
                        cls = "plain"
                    d = last_json_line(os.path.join(q5dir, f"oc{oc}-swap{swp}-{touch}-{cls}.json"))
                    if d is None:
                        cells.append("n/a")
                        continue
                    ev = d.get("events", "")
                    procs = d.get("processes", [])
                    pr = procs[0] if procs else {}
                    at = d.get("alloc_trace")
                    if pr.get("state") == "oom-killed":
                        o = f"OOM-killed after {kib(pr.get('VmHWM_kB'))} resident"
                    elif "mmap: ENOMEM" in ev or (at and at.get("failed")):
                        o = "ENOMEM"
                    else:
                        o = "ok"
                        so = (d.get("vmstat") or {}).get("pswpout") or 0
                        if touch == "touched" and so:
                            o += f" ({kib(so * 4)} swapped out)"
                    cells.append(o)
                body.append(cells)
    if any(c != "n/a" for r in body for c in r[3:]):
        out.append("**Model** (kernel model, 4 GiB machine, one malloc(8 GiB); "
                   "results/seed/q5/*.scen and *.json; libmini = libmini's own code over the model "
                   "with `kmodel --alloc-trace`; jemalloc maps with MAP_NORESERVE in modes 0 and 1, "
                   "which mode 0's check does not charge):\n")
        out.append(table(["overcommit", "swap", "memory", "glibc (mmap 8 GiB)",
                          "jemalloc (MAP_NORESERVE)", "libmini (through the model)"], body))
    else:
        out.append("Model: not in this run (results/seed/q5 is empty).\n")
    if sw.ok:
        rows = [r for r in sw.runs if r["workload"].startswith("overask") and r["outcome"] != "skipped"]
        if rows:
            keys = []
            for r in rows:
                k = (r["workload"],) + Sweep.cfg_key(r)
                if k not in keys:
                    keys.append(k)
            body = []
            for k in keys:
                rr = [r for r in rows if (r["workload"],) + Sweep.cfg_key(r) == k]
                cells = [k[0], cfg_label(*k[1:])]
                for a in ALLOCS:
                    x = [r for r in rr if r["allocator"] == a]
                    if not x:
                        cells.append("n/a")
                        continue
                    r = x[0]
                    o = SHORT.get(r["outcome"], r["outcome"])
                    tk = Sweep.v(r, "touched_kb")
                    if r["outcome"] == "OOM-killed" and tk:
                        o += f" after {kib(tk)} touched"
                    cells.append(o)
                cells.append(SHORT.get(rr[0]["model_outcome"], rr[0]["model_outcome"]))
                body.append(cells)
            out.append("**Real** (the sweep, results/sweep/runs.csv; the ask is in the workload's "
                       "arguments there):\n")
            out.append(table(["workload", "configuration"] + ALLOCS + ["model"], body))
    else:
        out.append("Real: the sweep did not run here (" + (sw.state_line() or "no data") + ").\n")
    agree = ""
    if sw.ok:
        ov = [r for r in sw.runs if r["workload"].startswith("overask") and r["outcome"] != "skipped"
              and r["model_outcome"] not in ("n/a", "")]
        if ov:
            same = sum(1 for r in ov if r["outcome"] == r["model_outcome"])
            agree = (f" On this machine the model predicted {same} of {len(ov)} outcomes of the "
                     f"real scaled runs.")
    out.append("**Answer:** untouched, the request is only address space: mode 1 always grants "
               "it; mode 0 refuses a single request larger than RAM + swap (so 8 GiB on a 4 GiB "
               "machine fails without 4 GiB+ of swap, and succeeds with 8 GiB of swap) — except "
               "under jemalloc, whose MAP_NORESERVE mappings mode 0 does not check; mode 2 "
               "refuses anything beyond CommitLimit (RAM x ratio + swap), whatever the "
               "allocator. Touched, a granted request becomes RSS page by page: with enough swap "
               "it runs (slowly, swapping); without, the process is OOM-killed (\"Killed\", not "
               "\"Cannot allocate memory\") once RAM + swap are full." + agree + "\n")
    return "\n".join(out)


def q6(seed, sw):
    out = ["### 6. What do swappiness 0, 60, 100 and 200 change under memory pressure?\n"]
    if not sw.ok:
        out.append("Not in this run: the sweep did not run (" + (sw.state_line() or "no data")
                   + "). Its scenario `analysis/kmodel/scenarios/swappiness-mix.scen` gives the "
                   "model's answer.\n")
        return "\n".join(out)
    # The runs under pressure: in a memory cgroup, with swap, overcommit 0, not skipped.
    mix = {wl: [r for r in sw.runs if r["workload"] == wl and r["scope"] == "memcg"
                and int(r["swap_mb"]) > 0 and int(r["oc"]) == 0 and r["outcome"] != "skipped"]
           for wl in ("file-anon", "anon-over")}
    any_rows = False
    for wl, rows in mix.items():
        if not rows:
            continue
        any_rows = True
        sws = sorted({int(r["swappiness"]) for r in rows})
        body = []
        for s in sws:
            for a in ALLOCS:
                ra = [r for r in rows if int(r["swappiness"]) == s and r["allocator"] == a]
                if not ra:
                    continue
                r = ra[0]
                v = lambda q, side="real": Sweep.v(r, q, side)
                body.append([s, a, SHORT.get(r["outcome"]), f"{fmt(v('pgscan_anon'))} / {fmt(v('pgscan_anon', 'model'))}",
                             f"{fmt(v('pgsteal_anon'))} / {fmt(v('pgsteal_anon', 'model'))}",
                             f"{fmt(v('pgscan_file'))} / {fmt(v('pgscan_file', 'model'))}",
                             f"{fmt(v('pgsteal_file'))} / {fmt(v('pgsteal_file', 'model'))}",
                             f"{fmt(v('pswpout'))} / {fmt(v('pswpout', 'model'))}",
                             f"{fmt(v('majflt'))} / {fmt(v('majflt', 'model'))}",
                             f"{fmt(v('time_s'))} / {fmt(v('time_s', 'model'))}"])
        out.append(f"**{wl}** in a memory cgroup (L = {sw.session.get('limit_bytes', 0) >> 20} MiB), "
                   f"1 GiB of swap, overcommit 0 (memory.swappiness set per cgroup). Cells: "
                   f"real / model.\n")
        out.append(table(["swappiness", "allocator", "outcome", "pgscan_anon", "pgsteal_anon",
                          "pgscan_file", "pgsteal_file", "pswpout", "major faults", "time s"], body))
    if not any_rows:
        out.append("Not in this run: no memory-cgroup configuration with swap ran.\n")
        return "\n".join(out)
    words = []
    fa = mix["file-anon"]
    for s in sorted({int(r["swappiness"]) for r in fa}):
        x = [r for r in fa if int(r["swappiness"]) == s]
        words.append(f"at {s}, file-anon swapped out {fmt(median([Sweep.v(r, 'pswpout') for r in x]))} "
                     f"pages and reclaimed {fmt(median([Sweep.v(r, 'pgsteal_file') for r in x]))} file pages "
                     f"(medians over allocators)")
    ao = mix["anon-over"]
    for s in sorted({int(r["swappiness"]) for r in ao}):
        x = [r for r in ao if int(r["swappiness"]) == s]
        oc = {}
        for r in x:
            oc[r["outcome"]] = oc.get(r["outcome"], 0) + 1
        words.append(f"anon-over at {s}: " + ", ".join(f"{k} x{v}" for k, v in oc.items())
                     + f", {fmt(median([Sweep.v(r, 'time_s') for r in x]))} s")
    mid = [r for r in fa if int(r["swappiness"]) in (60, 100)]
    swapped = [r for r in mid if (Sweep.v(r, "pswpout") or 0) > 1000]
    note = ""
    if mid:
        note = (f" At 60 and 100, {len(swapped)} of {len(mid)} file-anon runs swapped out more "
                f"than 1000 pages: whether the refaulting page cache counts as working set (which "
                f"ends cache_trim_mode and exposes anonymous pages) depends on when the memory "
                f"cgroup's statistics were last flushed (every 2 s), so one configuration swaps "
                f"in some runs and not in others (analysis/kmodel/README.md, E5).")
    out.append("**Answer (measured, and the model next to it):** " + "; ".join(words) + ". "
               "Swappiness weighs the cost of reclaiming anonymous pages (swap I/O) against file "
               "pages (dropping clean cache): at 0 a memory cgroup never swaps (anonymous memory "
               "over the limit is OOM-killed even with swap free); at 60 and 100 the kernel "
               "reclaims the file cache first while it can be trimmed and swaps anonymous pages "
               "when it must; at 200 anonymous pages are the cheaper ones and go to swap even "
               "while the file cache could be dropped: more swap traffic, more major faults, "
               "more time." + note + "\n")
    return "\n".join(out)


def q7(seed, sw):
    out = ["### 7. Direct vs background (kswapd) reclaim: when does each happen and what does it cost?\n"]
    words = []
    if sw.ok:
        gl = [r for r in sw.runs if r["scope"] == "global" and r["outcome"] != "skipped"]
        if gl:
            body = []
            for r in gl:
                v = lambda q, side="real": Sweep.v(r, q, side)
                rk, rd = v("pgsteal_kswapd"), v("pgsteal_direct")
                mk, md = v("pgsteal_kswapd", "model"), v("pgsteal_direct", "model")
                share = lambda k, d: f"{k / (k + d):.2f}" if k is not None and d is not None and k + d > 0 else "n/a"
                body.append([r["config"], r["workload"], r["allocator"], SHORT.get(r["outcome"]),
                             f"{fmt(rk)} / {fmt(mk)}", f"{fmt(rd)} / {fmt(md)}",
                             f"{share(rk, rd)} / {share(mk, md)}",
                             f"{fmt(v('allocstall'))} / {fmt(v('allocstall', 'model'))}",
                             f"{fmt(v('stall_s'))} / {fmt(v('stall_s', 'model'))}",
                             f"{fmt(v('time_s'))} / {fmt(v('time_s', 'model'))}"])
            sq = (sw.session.get("squeeze_free_bytes") or 0) >> 20
            out.append("**Global pressure** (the sweep's global configurations: free memory "
                       f"squeezed to about {sq} MiB by a hugetlb reservation, no memory limit; "
                       "system-wide vmstat deltas). Cells: real / model. Stall: PSI memory "
                       "\"some\" (real) and direct-reclaim stall time (model), in seconds.\n")
            out.append(table(["configuration", "workload", "allocator", "outcome", "stolen by kswapd",
                              "stolen directly", "kswapd share", "allocstall", "stall s", "time s"], body))
            ks = [Sweep.v(r, "pgsteal_kswapd") for r in gl]
            dr = [Sweep.v(r, "pgsteal_direct") for r in gl]
            tot_k, tot_d = sum(x or 0 for x in ks), sum(x or 0 for x in dr)
            if tot_k + tot_d > 0:
                words.append(f"under global pressure kswapd stole {tot_k / (tot_k + tot_d) * 100:.0f} % "
                             f"of the reclaimed pages and the allocating tasks the rest "
                             f"({fmt(sum(Sweep.v(r, 'allocstall') or 0 for r in gl))} direct-reclaim "
                             f"stalls, {fmt(sum(Sweep.v(r, 'stall_s') or 0 for r in gl))} s of PSI "
                             f"\"some\" stall in all)")
        mc = [r for r in sw.runs if r["scope"] == "memcg" and r["outcome"] != "skipped"]
        if mc:
            fc = sum(Sweep.v(r, "memcg_failcnt") or 0 for r in mc)
            ks = sum(Sweep.v(r, "pgscan_kswapd") or 0 for r in mc)
            st = sum(Sweep.v(r, "stall_s") or 0 for r in mc)
            words.append(f"in a memory cgroup at its limit all reclaim is direct: {fmt(fc)} charge "
                         f"failures each made the task reclaim for itself, while kswapd scanned "
                         f"{fmt(ks)} pages system-wide over the same runs ({fmt(st)} s of PSI "
                         f"stall)")
    else:
        out.append("The sweep did not run here (" + (sw.state_line() or "no data") + ").\n")
    if seed.mv:
        e6 = [r for r in seed.mv.get("rows", []) if r.get("experiment") == "E6"]
        if e6:
            out.append("`make validate-model`'s E6 (results/model-validation.json, same machine):\n")
            out.append(table(["quantity", "real", "model", "verdict"],
                             [[r["quantity"], r["real"], r["model"], r["verdict"]] for r in e6]))
    out.append("**Answer:** " + ("; ".join(words) + ". " if words else "")
               + "kswapd is woken when an allocation finds a zone below its low watermark and "
               "reclaims in the background until the high watermark is met: the allocating "
               "process does not wait. When allocations outrun it and free memory reaches the min "
               "watermark, the allocating task reclaims itself (direct reclaim: an allocstall, "
               "time counted in PSI as memory stall), which is what the program feels as "
               "latency. Memory-cgroup limits never wake kswapd (v1): the charging task reclaims "
               "directly every time.\n")
    return "\n".join(out)


def seed_section(res):
    seed = Seed(res)
    sw = Sweep(res)
    out = ["Generated by `bench/sweep/sections.py` from this run's files: `results/seed/` "
           "(`mini-seedprobe` under each allocator, strace counts, kernel-model runs), "
           "`results/sweep/` (the overcommit/swappiness sweep), `results/runs.csv` and "
           "`results/logs/` (the workloads), `results/calibration.json`. Each answer says "
           "which numbers are measured on this machine and which come from the kernel model.\n"]
    if not seed.probes:
        out.append("The seed probes did not run (results/seed/probes.jsonl is missing).\n")
    for q in (q1, q2, q3, q4, q5, q6, q7):
        try:
            out.append(q(seed, sw))
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as e:
            out.append(f"(this answer could not be computed from the data: {type(e).__name__}: {e})\n")
    return "\n".join(out)


def main(argv):
    res = None
    i = 1
    while i < len(argv):
        if argv[i] == "--results" and i + 1 < len(argv):
            res = argv[i + 1]
            i += 2
        elif argv[i] in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            print(f"sections.py: unknown argument '{argv[i]}' (usage: sections.py --results DIR)",
                  file=sys.stderr)
            return 2
    if res is None or not os.path.isdir(res):
        print(f"sections.py: --results DIR: '{res}' is not a directory", file=sys.stderr)
        return 2
    os.makedirs(os.path.join(res, "sections"), exist_ok=True)
    for name, fn in (("sweep", sweep_section), ("seed-questions", seed_section)):
        text = fn(res)
        tmp = os.path.join(res, "sections", name + ".md.tmp")
        with open(tmp, "w") as f:
            f.write(text.rstrip() + "\n")
        os.replace(tmp, os.path.join(res, "sections", name + ".md"))
    print(f"sections.py: wrote {res}/sections/sweep.md and {res}/sections/seed-questions.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
