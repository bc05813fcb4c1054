#!/usr/bin/env bash
# tests/bench/quick.sh — `bench/run-bench quick` end to end (what `make bench PROFILE=quick`
# runs, 1-2 minutes once every workload is built): every workload of the quick profile must end
# up in the report either with glibc and jemalloc numbers or as "skipped: not built", and no run
# may fail. Workloads that are not built yet are skipped, not failed.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh

out=build/test-bench/quick
rm -rf "$out"
mkdir -p "$(dirname "$out")"
bench/run-bench --out "$out" quick >"$out.txt" 2>&1
rc=$?
t_check "run-bench quick exits 0 (no run failed)" [ $rc -eq 0 ] -- "exit $rc: $(grep -vE '\.\.\. ok ' "$out.txt" | tail -8)"
r=$out/REPORT.md
[ -s "$r" ] || { t_fail "REPORT.md written" "$(tail -5 "$out.txt")"; t_done; }
mapfile -t wls < <(awk '$1 == "quick" && $2 == "workload" { print $3 }' bench/runner/profiles.conf)
built=0
for w in "${wls[@]}"; do
    if grep -q "^$w,.*,skipped: not built" "$out/plan.csv"; then
        t_check "$w: skipped: not built, in the report" grep -qxF "### $w" "$r" -- "no section"
        t_skip "$w: numbers" "wl-$w not built"
        continue
    fi
    built=$((built + 1))
    sec=$(awk -v h="### $w" '$0 == h { on = 1; next } /^##/ { on = 0 } on' "$r")
    for a in glibc jemalloc; do
        t_check "$w: $a has numbers" grep -qE "^\| $a \| [0-9.]+" <<<"$sec" -- "$(head -12 <<<"$sec")"
    done
done
echo "quick: $built of ${#wls[@]} workloads built"
t_done
