#!/usr/bin/env bash
# measure-trace.sh [-n RUNS] [DIR] — the cost of MINI_TRACE: each program runs under the shim
# without and with tracing (the trace written in DIR, default: a temporary directory under
# /tmp), RUNS times each (default 3, the median is kept); prints the wall times, the overhead in
# percent and in nanoseconds per recorded call, and the trace's size.
#   churn    build/tests/preload/churn 1000000 1: allocation calls and nothing else (worst case)
#   python3  the python3 workload of tests/preload/workloads.sh
set -u
cd "$(dirname "$0")/.."
source tests/preload/lib.sh
source tests/preload/workloads.sh

runs=3
if [ "${1:-}" = -n ]; then
    runs=${2:?-n wants a number}
    shift 2
fi
dir=${1:-$TMP}
mkdir -p "$dir"
trc=$dir/measure-trace.$$.trc
cleanup_hooks+=("rm -f '$trc' '$trc'.*")

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

measure() { # measure NAME CMD...
    local name=$1
    shift
    local plain=() traced=() r s
    for r in $(seq 1 "$runs"); do
        /usr/bin/time -o "$TMP/t" -f '%e' env LD_PRELOAD="$SHIM" "$@" >/dev/null 2>&1
        plain+=("$(tail -n 1 "$TMP/t")")
        rm -f "$trc"
        /usr/bin/time -o "$TMP/t" -f '%e' env LD_PRELOAD="$SHIM" MINI_TRACE="$trc" "$@" >/dev/null 2>&1
        traced+=("$(tail -n 1 "$TMP/t")")
    done
    local p t n bytes
    p=$(printf '%s\n' "${plain[@]}" | median)
    t=$(printf '%s\n' "${traced[@]}" | median)
    n=$("$MINI_TRACE_BIN" stats "$trc" | sed -n 's/^records: \([0-9]*\).*/\1/p')
    bytes=$(stat -c %s "$trc")
    awk -v name="$name" -v p="$p" -v t="$t" -v n="$n" -v b="$bytes" 'BEGIN {
        printf "%-8s untraced %.2f s, traced %.2f s: +%.0f %%, %.0f ns per record (%d records, %.1f MiB of trace)\n",
            name, p, t, (t - p) / p * 100, (t - p) * 1e9 / n, n, b / 1048576 }'
}

echo "trace directory: $dir ($(df -T "$dir" | awk 'NR == 2 { print $2 }')), $runs runs each, medians"
measure churn "$PT/churn" 1000000 1
workload python3
measure python3 "${cmd[@]}"
