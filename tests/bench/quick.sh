#!/usr/bin/env bash
# tests/bench/quick.sh — `bench/run-bench quick` end to end (what `make bench PROFILE=quick`
# runs, under a minute once every workload is built): every workload of the quick profile must
# end up in the report either with glibc and jemalloc numbers or as "skipped: not built", and no
# run may fail. Workloads that are not built yet are skipped, not failed. The trace replays name
# their program and calls and end with live bytes 0; every libmini run has its counters
# (mini-stats/), and the report shows them.
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

# Trace replays: recorded once, replayed under every allocator, live bytes back to 0.
mapfile -t traces < <(awk '$1 == "quick" && $2 == "trace" { print $3 }' bench/runner/profiles.conf)
for w in "${traces[@]}"; do
    st=$(awk -F, -v w="$w" '$1 == w { print $4 }' "$out/traces.csv" 2>/dev/null)
    if [ "$st" != ok ]; then
        t_check "$w: skipped with the reason" grep -qF "### $w" "$r" -- "no section"
        t_skip "$w: replay" "${st:-no row in traces.csv}"
        continue
    fi
    t_check "$w: the report names the program and its calls"         grep -qE "^Replay of a trace of the real program .* [0-9]+ calls in" "$r" -- "$(grep -A2 "### $w" "$r")"
    t_check "$w: live bytes back to 0 in every run"         awk -F, -v w="$w" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
            $1 == w { n++; if ($c["live_end_bytes"] != "0") bad++ } END { exit !(n > 0 && !bad) }'         "$out/runs.csv" -- "$(grep "^$w," "$out/runs.csv" | cut -c1-200)"
done
[ -d build/bench-traces ] && t_check "traces are kept out of the results"     bash -c "! ls $out | grep -q '\.trc\|\.plan'" -- "$(ls "$out")"

# libmini's counters: a report per libmini run, and their table in the report.
if grep -q '^libmini	ok' < <(build/bin/mini-bench list --tsv); then
    t_check "every libmini run has its counters"         awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
            $2 == "libmini" && $6 == "ok" { n++; if ($c["alloc_stats"] == "n/a") bad++ } END { exit !(n > 0 && !bad) }'         "$out/runs.csv" -- "$(awk -F, '$2 == "libmini"' "$out/runs.csv" | cut -c1-120)"
    sec=$(awk '$0 == "### server-sim" { on = 1; next } /^###? / { on = 0 } on' "$r")
    t_check "server-sim: libmini's counters shown" grep -qE '^\| libmini \| [0-9]+ / [0-9]+ \|' <<<"$sec" -- "$sec"
    t_check "server-sim: reading of libmini's counters" grep -q '^Reading (libmini.s counters): libmini took' <<<"$sec" -- "$sec"
fi
t_done
