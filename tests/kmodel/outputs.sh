#!/usr/bin/env bash
# outputs.sh KMODEL — the report formats: --json parses and carries the kernel's counter names,
# the text report has the /proc-shaped sections, --series writes a time series that advances,
# and a calibration file is named in the output while the defaults are announced as such.
set -u
km=${1:?usage: $0 KMODEL}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; }
scen=analysis/kmodel/scenarios/global-pressure.scen
"$km" --json "$scen" >"$tmp/out.json" && ok "json run" || bad "json run"
if python3 - "$tmp/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = d["vmstat"]
for k in ("pgfault", "pgmajfault", "pswpin", "pswpout", "pgscan_kswapd", "pgscan_direct",
          "pgsteal_kswapd", "pgsteal_direct", "allocstall_movable", "oom_kill"):
    assert k in v, k
m = d["meminfo_kB"]
for k in ("MemFree", "Committed_AS", "CommitLimit", "PageTables", "Slab"):
    assert k in m, k
p = d["processes"][0]
for k in ("VmRSS_kB", "VmPTE_kB", "minflt", "majflt", "oom_score"):
    assert k in p, k
assert v["pswpout"] > 0 and v["pgsteal_kswapd"] > 0
assert d["calibration"] == "defaults"
assert len(d["zones"][1]["buddyinfo"]) == 11
PY
then ok "json fields"; else bad "json fields"; fi
"$km" "$scen" >"$tmp/out.txt"
for s in "## vmstat" "## meminfo" "## buddyinfo" "## slabinfo" "## fragmentation" "Node 0, zone    DMA32" "built-in defaults"; do
    grep -q -- "$s" "$tmp/out.txt" && ok "text has '$s'" || bad "text has '$s'"
done
"$km" --quiet --series "$tmp/s.csv" --series-every 50ms "$scen"
rows=$(wc -l <"$tmp/s.csv")
head -1 "$tmp/s.csv" | grep -q '^time_ns,MemFree_kB' && ok "series header" || bad "series header"
if [ "$rows" -gt 20 ] && awk -F, 'NR > 2 && $1 < prev { exit 1 } { prev = $1 }' "$tmp/s.csv"; then
    ok "series: $rows rows, time advances"
else
    bad "series: $rows rows"
fi
"$km" --calibration analysis/kmodel/calibration-default.json --report time "$scen" | grep -q "calibration: analysis/kmodel/calibration-default.json" && ok "calibration named" || bad "calibration named"
echo "mini-test: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
