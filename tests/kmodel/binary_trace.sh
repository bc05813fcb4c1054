#!/usr/bin/env bash
# binary_trace.sh KMODEL MINI_TRACE_TOOL PRELOAD_SO CHURN — input 2 from a real MINI_TRACE file:
# a program recorded under the preload shim, replayed by the kernel model straight from the
# binary trace, gives exactly what the same trace exported to the model's text format gives;
# a truncated trace gets one line with the byte offset and exit status 2.
set -u
km=$1 mt=$2 so=$3 churn=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); echo "  ok   $1"; else fail=$((fail + 1)); echo "  FAIL $1"; fi; }

MINI_TRACE="$tmp/run.trace" LD_PRELOAD="$so" "$churn" 20000 >/dev/null 2>&1
check "the program was recorded" '[ -s "$tmp/run.trace" ]'
"$mt" export "$tmp/run.trace" >"$tmp/run.txt"
"$km" --json --set ram=256M --alloc-trace "$tmp/run.trace" >"$tmp/bin.json" 2>"$tmp/bin.err"
check "kmodel reads the binary trace" '[ $? -eq 0 ] && [ -s "$tmp/bin.json" ]'
"$km" --json --set ram=256M --alloc-trace "$tmp/run.txt" >"$tmp/txt.json" 2>"$tmp/txt.err"
# The same calls, the same libmini decisions, the same faults (key order is fixed by kmodel).
pick() { grep -o '"\(calls\|peak_live_bytes\|libmini_n_[a-z]*\|libmini_peak_mapped\|pgfault\)":[0-9]*' "$1"; }
check "binary and exported text replay the same" '[ -n "$(pick $tmp/bin.json)" ] && [ "$(pick $tmp/bin.json)" = "$(pick $tmp/txt.json)" ]'
calls=$(grep -o '"calls":[0-9]*' "$tmp/bin.json" | head -1 | cut -d: -f2)
check "the trace has the program's calls (>= 20000)" '[ "${calls:-0}" -ge 20000 ]'
head -c 5000 "$tmp/run.trace" >"$tmp/cut.trace"
"$km" --alloc-trace "$tmp/cut.trace" >/dev/null 2>"$tmp/cut.err"
rc=$?
check "a truncated trace: exit 2" '[ $rc -eq 2 ]'
check "with the file and the byte offset" 'grep -q "^kmodel: $tmp/cut.trace: byte [0-9]*: " "$tmp/cut.err" && [ $(wc -l <"$tmp/cut.err") -eq 1 ]'
echo "mini-test: $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
