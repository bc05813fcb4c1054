#!/usr/bin/env bash
# tests/bench/pipeline.sh — the whole `make bench` pipeline on the selftest profile (the runner's
# test workload under every installed allocator, ~20 s): bench/run-bench -> calibration, runs,
# progress lines, skips, summary.json, gnuplot plots, REPORT.md. Checks what the report contains,
# never how fast anything was.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh

out=build/test-bench/selftest
rm -rf "$out"
mkdir -p "$(dirname "$out")"
bench/run-bench --out "$out" --wl-path build/bin:build/tests/bench selftest >"$out.txt" 2>&1
rc=$?
t_check "run-bench selftest exits 0" [ $rc -eq 0 ] -- "exit $rc: $(tail -5 "$out.txt")"
[ -s "$out/REPORT.md" ] || { t_fail "REPORT.md written" "$(tail -5 "$out.txt")"; t_done; }
t_check "progress lines" grep -qE '^\[1/[0-9]+\] testwl x glibc, run 1/2 \.\.\. ok ' "$out.txt" -- "$(head -8 "$out.txt")"
t_check "progress reaches the total" \
    awk '/^\[[0-9]+\/[0-9]+\]/ { split(substr($1, 2), a, "/"); last = a[1]; tot = a[2] + 0 }
         END { exit !(tot > 0 && last == tot) }' "$out.txt" -- "$(grep '^\[' "$out.txt" | tail -2)"
t_check "ends naming the report" grep -q "report: $out/REPORT.md" "$out.txt" -- "$(tail -2 "$out.txt")"

# Which allocators ran: every one mini-bench says is available.
mapfile -t avail < <(build/bin/mini-bench list --tsv | awk -F'\t' '$2 == "ok" { print $1 }')
expect=$((${#avail[@]} * 3)) # testwl x 2 reps + testwl-mt x 1 rep
rows=$(($(wc -l <"$out/runs.csv") - 1))
t_check "runs.csv: one row per run" [ "$rows" -eq "$expect" ] -- "$rows rows, expected $expect"
t_check "runs.csv: every run ok" awk -F, 'NR > 1 && $6 != "ok" { exit 1 }' "$out/runs.csv" -- "$(cut -d, -f1-6 "$out/runs.csv")"
for f in machine.json calibration.json summary.json plan.csv session.csv skipped.csv REPORT.md; do
    t_check "$f written" [ -s "$out/$f" ] -- "missing $out/$f"
done
t_check "absent workload skipped in plan.csv" grep -q '^absent,.*,skipped: not built' "$out/plan.csv" -- "$(cat "$out/plan.csv")"
t_check "absent workload in skipped.csv" grep -q '^workload,absent,-,not built' "$out/skipped.csv" -- "$(cat "$out/skipped.csv")"

r=$out/REPORT.md
for h in '# libmini benchmark report' '## Machine' '### Allocators' '## Headline: libmini against glibc and jemalloc' \
    '## Normalised to glibc' '## Machine calibration' '### testwl' '### testwl-mt' '### absent' \
    '## Micro-benchmarks' '## Fault accounting cross-check' '## Hardware counters' '## Seed questions' \
    '## Overcommit and swappiness sweep' '## Skipped and failed'; do
    t_check "report has '$h'" grep -qxF "$h" "$r" -- "no heading '$h'"
done
t_check "report: section hooks" grep -q 'section hook: seed-questions' "$r" -- "no hook"
t_check "report: absent workload explained" grep -q 'skipped: not built' "$r" -- "no skip text"
t_check "report: debug build of libbenchmark said" grep -q 'DEBUG build' "$r" -- "no libbenchmark note"
t_check "report: no empty table cell" bash -c "! grep -nE '\\|[[:space:]]*\\|' '$r'" -- "$(grep -nE '\|[[:space:]]*\|' "$r" | head -3)"
t_check "report: hardware counters measured or n/a with the reason" grep -qE 'n/a \(no PMU|\| cycles \|' "$r" -- "no hw text"
t_check "report: fault cross-check counted" grep -qE '^[0-9]+ of [0-9]+ runs agree within 1 %' "$r" -- "$(grep -A3 'Fault accounting' "$r")"
if grep -q '^libmini	ok' < <(build/bin/mini-bench list --tsv); then
    t_check "report: libmini headline numbers" grep -qE '^\| time \(s\) \| [0-9.]+x' "$r" -- "$(grep -A6 '## Headline' "$r")"
else
    t_check "report: libmini skipped with the reason" grep -q 'n/a (libmini skipped: .*libmini-preload.so not built)' "$r" -- "$(grep -A6 '## Headline' "$r")"
fi
for a in "${avail[@]}"; do
    t_check "report: $a row in the testwl table" grep -qE "^\| $a \| [0-9.]+ " "$r" -- "$(grep -A8 '### testwl$' "$r")"
    t_check "report: $a in the every-allocator table" grep -qE "^\| $a \| [0-9.]+x \([0-9]+\) \|" "$r" -- "$(grep -A10 '### Every allocator' "$r")"
done
for a in libmini libmini-dyn; do
    [[ " ${avail[*]} " == *" $a "* ]] || continue
    n=$(ls "$out"/mini-stats/testwl-$a-[0-9]*.json 2>/dev/null | wc -l)
    t_check "$a: counters of every testwl run in mini-stats/" [ "$n" -eq 2 ] -- "$n files: $(ls "$out/mini-stats" 2>&1)"
    t_check "report: $a counters in the testwl section"         bash -c "awk '\$0 == \"### testwl\" { on = 1; next } /^###? / { on = 0 } on' '$r' | grep -qE '^\| $a \| [0-9]+ / [0-9]+ \|'"         -- "$(grep -A30 '### testwl$' "$r" | grep -i counters)"
done
for p in normalised-time normalised-peak-rss normalised-faults normalised-frag timeline-testwl reclaim-testwl timeline-testwl-mt; do
    t_check "plot $p.png" [ -s "$out/plots/$p.png" ] -- "missing (gnuplot log: $(tail -3 "$out/plots/gnuplot.log" 2>&1))"
    t_check "plot $p.svg" grep -q '<svg' "$out/plots/$p.svg" -- "missing or not SVG"
    t_check "report shows $p" grep -qF "(plots/$p.png)" "$r" -- "not referenced"
done
t_check "summary.json: geomean" grep -q '"geomean"' "$out/summary.json" -- "$(head -c 300 "$out/summary.json")"
t_check "summary.json: glibc ratio 1" grep -q '"ratio_to_glibc": 1[,}]' "$out/summary.json" -- "no ratio 1 for glibc"
t_done
