#!/usr/bin/env bash
# tests/bench/runner.sh — mini-bench and mini-calibrate on the runner's own test workload
# (build/tests/bench/wl-testwl, which reports exact live bytes and ops on stdout):
# faults perf vs getrusage within 1 %, live bytes and ops read back exactly, reclaim readings at
# 0 s / 1 s / 5 s / trim, threads, external programs, failed runs, skipped allocators, bad
# input (one line naming it, exit 2), calibration.json keys, machine.json. No timing asserts.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh

MB=build/bin/mini-bench
WLP=build/tests/bench
for f in $MB build/bin/mini-calibrate $WLP/wl-testwl; do
    [ -x "$f" ] || { echo "$f not built (make test-build)"; exit 1; }
done
out=build/test-bench/runner
rm -rf "$out"
mkdir -p "$out"

# --- one run with every reading: reclaim needs >= 5 s in FREED ------------------------------
$MB run --workload testwl --alloc glibc --wl-path $WLP --out "$out/a" --reps 1 \
    -- --idle-ms 5300 --trim-idle-ms 100 >"$out/a.txt"
rc=$?
t_check "run exits 0" [ $rc -eq 0 ] -- "mini-bench exit $rc: $(cat "$out/a.txt")"
csv=$out/a/runs.csv
t_check "runs.csv has one row" [ "$(wc -l <"$csv")" -eq 2 ] -- "$(cat "$csv")"
t_check "runs.csv rows have as many cells as the header" \
    awk -F, 'NR == 1 { n = NF } NF != n { exit 1 }' "$csv" -- "$(cat "$csv")"
t_check "status ok" [ "$(csv_cell "$csv" 1 status)" = ok ] -- "status $(csv_cell "$csv" 1 status)"
t_check "progress line" grep -qE '^testwl x glibc, run 1/1 \.\.\. ok ' "$out/a.txt" -- "$(cat "$out/a.txt")"

perf=$(csv_cell "$csv" 1 minflt_perf)
rus=$(csv_cell "$csv" 1 minflt_rusage)
pre=$(csv_cell "$csv" 1 minflt_preexec)
diff=$(csv_cell "$csv" 1 minflt_diff_pct)
if is_num "$perf"; then
    # 24 MiB written byte by byte: at least 6144 pages, so 1 % is 60 faults or more.
    t_check "perf counts the workload's faults" [ "$perf" -ge 6144 ] -- "minflt_perf $perf"
    t_check "faults: rusage minus pre-exec within 1% of perf" \
        awk -v d="$diff" 'BEGIN { exit !(d != "n/a" && d >= -1 && d <= 1) }' -- "diff $diff %"
    t_check "faults: raw rusage within 1% of perf" \
        awk -v p="$perf" -v r="$rus" 'BEGIN { d = (r - p) / p * 100; exit !(d >= -1 && d <= 1) }' \
        -- "perf $perf rusage $rus"
    t_check "diff column is rusage - preexec - perf" \
        [ "$(csv_cell "$csv" 1 minflt_diff)" = $((rus - pre - perf)) ] -- "$(csv_cell "$csv" 1 minflt_diff)"
    t_check "diff_pct column is (rusage - preexec - perf) / perf" \
        awk -v p="$perf" -v r="$rus" -v q="$pre" -v d="$diff" \
        'BEGIN { e = (r - q - p) / p * 100 - d; exit !(e > -0.001 && e < 0.001) }' -- "$perf $rus $pre $diff"
else
    t_skip "faults perf vs rusage" "perf software events unavailable: $(csv_cell "$csv" 1 notes)"
fi

log=$out/a/logs/testwl-glibc-1.log
truth_peak=$(sed -n 's/.*peak_live_bytes=\([0-9]*\).*/\1/p' "$log")
truth_ops=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' "$log")
t_check "workload log kept" [ -n "$truth_peak" ] -- "log: $(cat "$log")"
t_check "peak live bytes read back exactly" [ "$(csv_cell "$csv" 1 peak_live_bytes)" = "$truth_peak" ] \
    -- "runner $(csv_cell "$csv" 1 peak_live_bytes), workload $truth_peak"
t_check "ops read back exactly" [ "$(csv_cell "$csv" 1 ops)" = "$truth_ops" ] \
    -- "runner $(csv_cell "$csv" 1 ops), workload $truth_ops"
t_check "ops unit" [ "$(csv_cell "$csv" 1 ops_unit)" = "malloc+free calls" ] -- "$(csv_cell "$csv" 1 ops_unit)"
peak=$(csv_cell "$csv" 1 peak_rss_kb)
t_check "peak RSS holds the live bytes" [ "$peak" -ge $((truth_peak / 1024)) ] -- "peak $peak KiB, live $truth_peak B"
frag=$(csv_cell "$csv" 1 frag_at_peak)
t_check "fragmentation at peak >= 1" num_le 1 "$frag" -- "frag $frag"
t_check "time from the run phase" [ "$(csv_cell "$csv" 1 time_source)" = run-phase ] -- "$(csv_cell "$csv" 1 time_source)"
for r in peak_rss_before_free_kb reclaim_rss_kb_0s reclaim_rss_kb_1s reclaim_rss_kb_5s reclaim_rss_kb_trim reclaim_settle_s; do
    v=$(csv_cell "$csv" 1 $r)
    t_check "reclaim reading $r" is_num "$v" -- "$r = '$v' ($(csv_cell "$csv" 1 notes))"
done
tl=$out/a/$(csv_cell "$csv" 1 timeline)
t_check "timeline written" [ -s "$tl" ] -- "$tl"
t_check "timeline has phases RUN, FREED, TRIMMED" \
    awk -F, 'NR > 1 { p[$7] = 1 } END { exit !(p[1] && p[2] && p[3]) }' "$tl" -- "$(cut -d, -f7 "$tl" | sort -u | tr '\n' ' ')"
t_check "timeline live bytes reach the peak" \
    awk -F, -v t="$truth_peak" 'NR > 1 && $5 == t { f = 1 } END { exit !f }' "$tl" -- "no sample with live $truth_peak"
t_check "timeline live bytes back to 0 after free" \
    awk -F, 'NR > 1 && $7 == 2 && $5 == 0 { f = 1 } END { exit !f }' "$tl" -- "no FREED sample with live 0"
hw=$(csv_cell "$csv" 1 cycles)
if is_num "$hw"; then
    t_ok "hardware counters measured"
else
    t_check "hardware counters n/a with the reason" grep -q 'hw counters: n/a (' "$csv" -- "$(csv_cell "$csv" 1 notes)"
fi
t_check "allocator version recorded" [ "$(csv_cell "$csv" 1 alloc_version)" != n/a ] -- "$(csv_cell "$csv" 1 alloc_version)"

# --- threads, inherited counters, another allocator -------------------------------------------
alloc2=jemalloc
$MB list --tsv | grep -q "^jemalloc	ok" || alloc2=glibc
$MB run --workload testwl --alloc $alloc2 --threads 3 --wl-path $WLP --out "$out/b" --reps 1 \
    --env MALLOC_ARENA_MAX=2 -- --no-reclaim --hold-ms 50 >"$out/b.txt"
csv=$out/b/runs.csv
diff=$(csv_cell "$csv" 1 minflt_diff_pct)
t_check "threads: run ok" [ "$(csv_cell "$csv" 1 status)" = ok ] -- "$(cat "$out/b.txt")"
if is_num "$(csv_cell "$csv" 1 minflt_perf)"; then
    t_check "threads: faults within 1% (perf inherit)" \
        awk -v d="$diff" 'BEGIN { exit !(d >= -1 && d <= 1) }' -- "diff $diff %"
fi
truth_ops=$(sed -n 's/.* ops=\([0-9]*\).*/\1/p' "$out/b/logs/testwl-$alloc2-1.log")
t_check "threads: ops summed over slots" [ "$(csv_cell "$csv" 1 ops)" = "$truth_ops" ] \
    -- "runner $(csv_cell "$csv" 1 ops), workload $truth_ops"
t_check "settings recorded" contains "$(csv_cell "$csv" 1 alloc_settings)" MALLOC_ARENA_MAX=2 \
    -- "$(csv_cell "$csv" 1 alloc_settings)"
t_check "no reclaim phase: reclaim n/a" [ "$(csv_cell "$csv" 1 reclaim_rss_kb_0s)" = n/a ] -- "$(csv_cell "$csv" 1 reclaim_rss_kb_0s)"

# --- an external program, a failed run, sampling off ------------------------------------------
$MB run --workload testwl --alloc glibc --wl-path $WLP --out "$out/c" --reps 1 \
    -- --external --no-reclaim --hold-ms 0 >/dev/null
csv=$out/c/runs.csv
t_check "external: live bytes n/a" [ "$(csv_cell "$csv" 1 peak_live_bytes)" = n/a ] -- "$(csv_cell "$csv" 1 peak_live_bytes)"
t_check "external: fragmentation n/a" [ "$(csv_cell "$csv" 1 frag_at_peak)" = n/a ] -- "$(csv_cell "$csv" 1 frag_at_peak)"
t_check "external: reason in notes" grep -q 'external program' "$csv" -- "$(csv_cell "$csv" 1 notes)"
t_check "external: time is wall" [ "$(csv_cell "$csv" 1 time_source)" = wall ] -- "$(csv_cell "$csv" 1 time_source)"

$MB run --workload testwl --alloc glibc --wl-path $WLP --out "$out/d" --reps 2 \
    -- --no-reclaim --hold-ms 0 --exit 3 >"$out/d.txt"
rc=$?
t_check "failed run: mini-bench exits 1" [ $rc -eq 1 ] -- "exit $rc"
t_check "failed run: status recorded" [ "$(csv_cell "$out/d/runs.csv" 2 status)" = "exit 3" ] -- "$(cat "$out/d.txt")"

$MB run --workload testwl --alloc glibc --wl-path $WLP --out "$out/e" --reps 1 --sample-ms 0 \
    -- --idle-ms 1100 --trim-idle-ms 0 >/dev/null
csv=$out/e/runs.csv
t_check "sampling off: no timeline" [ "$(csv_cell "$csv" 1 timeline)" = n/a ] -- "$(csv_cell "$csv" 1 timeline)"
t_check "sampling off: reclaim still read" is_num "$(csv_cell "$csv" 1 reclaim_rss_kb_0s)" -- "$(csv_cell "$csv" 1 notes)"
t_check "sampling off: live bytes still read" [ "$(csv_cell "$csv" 1 peak_live_bytes)" != n/a ] -- "$(csv_cell "$csv" 1 notes)"

# --- a real program (NAME.cmd through run-real.sh), and one that says "skipped" (exit 77) -----
mkdir -p "$out/real"
cat >"$out/real/run-real.sh" <<EOS
#!/bin/sh
case \$1 in
fake) shift; exec $PWD/$WLP/wl-testwl --external --no-reclaim --hold-ms 0 "\$@" ;;
*) echo "skipped: frob not installed" >&2; exit 77 ;;
esac
EOS
chmod +x "$out/real/run-real.sh"
: >"$out/real/fake.cmd"
: >"$out/real/gone.cmd"
$MB run --workload fake --alloc glibc --real-dir "$out/real" --wl-path $WLP --out "$out/r" --reps 1 \
    --scale 2 >/dev/null
rc=$?
csv=$out/r/runs.csv
t_check "real program: run ok" [ $rc -eq 0 ] -- "exit $rc: $(cat "$out/r/logs/fake-glibc-1.log")"
t_check "real program: scale not passed" [ "$(csv_cell "$csv" 1 scale)" = n/a ] -- "$(csv_cell "$csv" 1 scale)"
t_check "real program: noted" grep -q 'real program (run-real.sh fake)' "$csv" -- "$(csv_cell "$csv" 1 notes)"
txt=$($MB run --workload gone --alloc glibc --real-dir "$out/real" --wl-path $WLP --out "$out/r" --reps 1)
rc=$?
t_check "exit 77: mini-bench exits 3" [ $rc -eq 3 ] -- "exit $rc: $txt"
t_check "exit 77: status is the workload's skip line" \
    [ "$(csv_cell "$csv" 2 status)" = "skipped: frob not installed" ] -- "$(csv_cell "$csv" 2 status)"

# --- an allocator that is not there: a copy of mini-bench whose ../lib has no libmini ----------
mkdir -p "$out/fake/bin"
cp $MB "$out/fake/bin/"
txt=$("$out/fake/bin/mini-bench" run --workload testwl --alloc libmini --wl-path $WLP --out "$out/f")
rc=$?
t_check "missing allocator: exit 3" [ $rc -eq 3 ] -- "exit $rc: $txt"
t_check "missing allocator: skipped with the reason" contains "$txt" "libmini-preload.so not built" -- "$txt"
t_check "missing allocator: skipped.csv" grep -q '^allocator,testwl,libmini,' "$out/f/skipped.csv" -- "$(cat "$out/f/skipped.csv" 2>&1)"

# --- bad input: one line naming it, exit 2 ------------------------------------------------------
one_line_error "bad option" "--bogus" $MB run --bogus
one_line_error "unknown workload" "nosuchwl" $MB run --workload nosuchwl --alloc glibc --wl-path $WLP
one_line_error "unknown allocator" "nosuchalloc" $MB run --workload testwl --alloc nosuchalloc --wl-path $WLP
one_line_error "bad scale" "--scale" $MB run --workload testwl --alloc glibc --scale -1
one_line_error "missing value" "--reps" $MB run --workload testwl --alloc glibc --reps
one_line_error "unknown command" "frobnicate" $MB frobnicate
mkdir -p "$out/h" && echo "workload,something,else" >"$out/h/runs.csv"
one_line_error "runs.csv of another schema" "runs.csv" $MB run --workload testwl --alloc glibc --wl-path $WLP --out "$out/h"
one_line_error "calibrate: bad option" "--bogus" build/bin/mini-calibrate --bogus
one_line_error "run-bench: unknown profile" "nosuchprofile" bench/run-bench nosuchprofile
one_line_error "run-bench: bad option" "--bogus" bench/run-bench --bogus quick
one_line_error "run-bench: unknown allocator" "nosuchalloc" bench/run-bench --out "$out/g" --allocs glibc,nosuchalloc quick
one_line_error "run-bench: unknown workload" "nosuchwl" bench/run-bench --out "$out/g" --workloads nosuchwl quick

# --- calibration.json: exactly the keys the kernel model reads, all numbers --------------------
build/bin/mini-calibrate --quick --out "$out/cal.json" >/dev/null
for k in fault_write_ns fault_read_zero_ns populate_page_ns cow_fault_ns brk_call_ns mmap_call_ns \
    munmap_call_ns munmap_page_ns madvise_dontneed_page_ns memset_gbps; do
    v=$(sed -n "s/^  \"$k\": \\([-0-9.e+]*\\),\\{0,1\\}\$/\\1/p" "$out/cal.json")
    t_check "calibration key $k" awk -v v="$v" 'BEGIN { exit !(v != "" && v + 0 > 0) }' -- "$k = '$v'"
done

# --- machine.json --------------------------------------------------------------------------------
$MB machine --out "$out/machine.json"
for k in '"kernel"' '"cpu_model"' '"mem_total_kb"' '"vm.overcommit_memory"' '"vm.swappiness"' \
    '"hw_counters"' '"allocators"' '"pkg.libjemalloc2"'; do
    t_check "machine.json has $k" grep -q "$k" "$out/machine.json" -- "$(head -c 400 "$out/machine.json")"
done
t_done
