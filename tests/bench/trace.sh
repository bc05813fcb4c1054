#!/usr/bin/env bash
# tests/bench/trace.sh — the trace-replay workload and libmini's own counters, through the runner:
#   - a real program (py-alloc at a tiny scale) recorded under libmini the way bench/run-bench
#     does (run-real.sh with MINI_BENCH_TRACE_TO), planned by mini-trace, found by mini-bench
#     in --trace-dir and replayed under glibc and jemalloc: every run ok, ops = the trace's
#     calls, live bytes > 0 at the peak and back to 0 at the end, time from the run phase,
#     fragmentation a number; the replayer alone (no shm) frees what the program left;
#   - libmini and libmini-dyn runs leave their counters in mini-stats/ (the workload process's
#     own report: its pid), libmini-dyn with MINI_MMAP_DYNAMIC=1 in its settings and in the
#     counters' options; other allocators have none (alloc_stats n/a);
#   - bad input: a truncated plan, --max-threads with a plan, a bad scale for run-real.sh:
#     one line naming it, exit 2.
# No timing asserts.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh

MB=build/bin/mini-bench MT=build/bin/mini-trace SHIM=$PWD/build/lib/libmini-preload.so
for f in $MB $MT "$SHIM"; do
    [ -e "$f" ] || { echo "$f not built (make)"; exit 1; }
done
out=build/test-bench/trace
rm -rf "$out"
mkdir -p "$out/traces"
[ -x /usr/bin/python3 ] || { echo "skipped: /usr/bin/python3 not installed"; exit 77; }

# --- record and plan, as run-bench does ---------------------------------------------------------
MINI_BENCH_TRACE_TO=$out/traces/trace-tiny.trc MINI_BENCH_TRACE_PRELOAD=$SHIM \
    bench/workloads/real/run-real.sh py-alloc 0.002 >"$out/record.txt" 2>&1
rc=$?
t_check "recording exits 0" [ $rc -eq 0 ] -- "exit $rc: $(cat "$out/record.txt")"
t_check "the program itself was traced" bash -c "$MT stats $out/traces/trace-tiny.trc | grep -q '^process: .*python3'" \
    -- "$($MT stats "$out/traces/trace-tiny.trc" 2>&1 | head -3)"
t_check "run-real.sh's own shell was not traced" bash -c "! ls $out/traces/trace-tiny.trc.* 2>/dev/null | grep -q ." \
    -- "$(ls "$out/traces")"
calls=$($MT stats "$out/traces/trace-tiny.trc" | sed -n 's/^calls: .*total=\([0-9]*\)$/\1/p')
$MT plan "$out/traces/trace-tiny.trc" "$out/traces/trace-tiny.plan" >"$out/plan.txt" 2>&1
t_check "plan written" [ -s "$out/traces/trace-tiny.plan" ] -- "$(cat "$out/plan.txt")"
t_check "plan: all the calls, one worker, slots recycled" grep -q "plan: .*: $calls calls, 1 threads (1 workers), [0-9]* slots (recycled)" \
    "$out/plan.txt" -- "$(cat "$out/plan.txt") (trace: $calls calls)"

# --- the replayer alone frees what the program never freed ------------------------------------
$MT replay --free-at-end "$out/traces/trace-tiny.plan" >"$out/alone.txt" 2>&1
t_check "replay --free-at-end: live 0 at the end" grep -q '^freed_at_end: [0-9]* blocks; live now 0 bytes$' \
    "$out/alone.txt" -- "$(cat "$out/alone.txt")"
t_check "replay of the plan: the trace's calls" grep -q "^calls: .* total=$calls\$" "$out/alone.txt" -- "$(grep calls: "$out/alone.txt")"

# --- through the runner, under glibc and jemalloc ---------------------------------------------
allocs=(glibc)
$MB list --tsv | grep -q "^jemalloc	ok" && allocs+=(jemalloc)
[ ${#allocs[@]} -eq 2 ] || t_skip "trace replay under jemalloc" "libjemalloc2 not installed"
row=0
for a in "${allocs[@]}"; do
    $MB run --workload trace-tiny --alloc "$a" --trace-dir "$out/traces" --out "$out/r" --reps 1 \
        --sample-ms 2 >"$out/run-$a.txt" 2>&1
    rc=$?
    row=$((row + 1))
    csv=$out/r/runs.csv
    t_check "$a: run ok" [ $rc -eq 0 ] -- "exit $rc: $(cat "$out/run-$a.txt")"
    t_check "$a: ops are the trace's calls" [ "$(csv_cell "$csv" $row ops)" = "$calls" ] -- "ops $(csv_cell "$csv" $row ops), calls $calls"
    t_check "$a: ops unit" [ "$(csv_cell "$csv" $row ops_unit)" = "replayed calls" ] -- "$(csv_cell "$csv" $row ops_unit)"
    peak=$(csv_cell "$csv" $row peak_live_bytes)
    t_check "$a: live bytes seen" awk -v p="$peak" 'BEGIN { exit !(p != "n/a" && p + 0 > 0) }' -- "peak_live_bytes $peak"
    t_check "$a: live bytes back to 0" [ "$(csv_cell "$csv" $row live_end_bytes)" = 0 ] -- "live_end_bytes $(csv_cell "$csv" $row live_end_bytes)"
    t_check "$a: time from the run phase" [ "$(csv_cell "$csv" $row time_source)" = run-phase ] -- "$(csv_cell "$csv" $row time_source)"
    t_check "$a: scale n/a (the recording fixed it)" [ "$(csv_cell "$csv" $row scale)" = n/a ] -- "$(csv_cell "$csv" $row scale)"
    t_check "$a: the note says it is a trace replay" contains "$(csv_cell "$csv" $row notes)" "trace replay" -- "$(csv_cell "$csv" $row notes)"
    t_check "$a: no libmini counters" [ "$(csv_cell "$csv" $row alloc_stats)" = n/a ] -- "$(csv_cell "$csv" $row alloc_stats)"
done
t_check "trace workload listed" bash -c "$MB list --trace-dir $out/traces | grep -q 'trace-tiny .*(trace replay)'" -- "$($MB list --trace-dir "$out/traces")"

# --- libmini's counters: libmini and libmini-dyn -----------------------------------------------
if $MB list --tsv | grep -q "^libmini	ok"; then
    t_check "libmini-dyn listed with its setting" bash -c "$MB list --tsv | grep -q '^libmini-dyn	ok	.*	MINI_MMAP_DYNAMIC=1\$'" \
        -- "$($MB list --tsv)"
    for a in libmini libmini-dyn; do
        $MB run --workload trace-tiny --alloc "$a" --trace-dir "$out/traces" --out "$out/m" --reps 1 \
            >"$out/run-$a.txt" 2>&1
        rc=$?
        csv=$out/m/runs.csv
        r=$(awk -F, -v a="$a" 'NR > 1 && $2 == a { print NR - 1 }' "$csv")
        t_check "$a: run ok" [ $rc -eq 0 ] -- "exit $rc: $(cat "$out/run-$a.txt")"
        st=$(csv_cell "$csv" "$r" alloc_stats)
        t_check "$a: alloc_stats names its file" [ "$st" = "mini-stats/trace-tiny-$a-1.json" ] -- "alloc_stats '$st' ($(csv_cell "$csv" "$r" notes))"
        j=$out/m/$st
        t_check "$a: one JSON object" python3 -c "import json, sys; json.loads(open(sys.argv[1]).read())" "$j" -- "$(head -c 300 "$j" 2>&1)"
        t_check "$a: the counters count the replayed calls" python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
assert j['n_malloc'] >= int(sys.argv[2]) // 3, j['n_malloc']
assert j['n_free'] > 0 and j['n_tcache_hit'] > 0
" "$j" "$calls" -- "$(head -c 400 "$j")"
        t_check "$a: no leftover .all file" [ ! -e "$out/m/mini-stats/trace-tiny-$a-1.all" ] -- "left over"
        dyn=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['options']['mmap_dynamic'])" "$j" 2>/dev/null)
        set=$(csv_cell "$csv" "$r" alloc_settings)
        if [ $a = libmini-dyn ]; then
            t_check "$a: MINI_MMAP_DYNAMIC=1 in its settings" contains "$set" MINI_MMAP_DYNAMIC=1 -- "$set"
            t_check "$a: mmap_dynamic 1 in libmini's options" [ "$dyn" = 1 ] -- "mmap_dynamic $dyn"
        else
            t_check "$a: defaults" [ "$set" = defaults ] -- "$set"
            t_check "$a: mmap_dynamic 0 in libmini's options" [ "$dyn" = 0 ] -- "mmap_dynamic $dyn"
        fi
        t_check "$a: the stats variables are not settings" bash -c "! grep -q 'MINI_SHOW_STATS\|MINI_STATS_FILE' <<<'$set'" -- "$set"
    done
else
    t_skip "libmini counters" "libmini-preload.so not built"
fi

# --- bad input -------------------------------------------------------------------------------------
head -c 300 "$out/traces/trace-tiny.plan" >"$out/cut.plan"
one_line_error "truncated plan" "cut.plan" $MT replay "$out/cut.plan"
one_line_error "--max-threads with a plan" "--max-threads" $MT replay --max-threads 2 "$out/traces/trace-tiny.plan"
one_line_error "plan: no OUT" "plan" $MT plan "$out/traces/trace-tiny.trc"
one_line_error "run-real.sh: bad scale" "bad scale" bench/workloads/real/run-real.sh py-alloc nope
one_line_error "run-real.sh: bad trace preload" "MINI_BENCH_TRACE_PRELOAD" \
    env MINI_BENCH_TRACE_TO="$out/x.trc" MINI_BENCH_TRACE_PRELOAD=/nonexistent bench/workloads/real/run-real.sh py-alloc 0.002
t_done
