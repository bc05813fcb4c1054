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
# A calibration file as mini-calibrate (make bench) writes it: extra keys, some negative, are
# ignored; the costs the model uses change the estimated time.
printf '{\n "page_size": 4096,\n "fault_write_ns": 1000,\n "fault_write_ns_min": 900,\n "sampling_slowdown_min_pct": -1.6,\n "memset_gbps": 20\n}\n' >"$tmp/c1.json"
sed 's/"fault_write_ns": 1000/"fault_write_ns": 3000/' "$tmp/c1.json" >"$tmp/c3.json"
t1=$("$km" --json --calibration "$tmp/c1.json" "$scen" | python3 -c 'import json,sys; print(json.load(sys.stdin)["time"]["simulated_ns"])')
t3=$("$km" --json --calibration "$tmp/c3.json" "$scen" | python3 -c 'import json,sys; print(json.load(sys.stdin)["time"]["simulated_ns"])')
if [ -n "$t1" ] && [ -n "$t3" ] && [ "$t3" -gt "$t1" ]; then
    ok "mini-calibrate's file read: $t1 ns at 1000 ns/fault, $t3 ns at 3000"
else
    bad "mini-calibrate's file: '$t1' vs '$t3'"
fi
echo "mini-test: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
