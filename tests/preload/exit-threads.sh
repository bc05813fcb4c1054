#!/usr/bin/env bash
# exit-threads.sh — a program that calls exit() while four threads are still allocating, under
# the shim with MINI_SHOW_STATS and MINI_TRACE: it must exit 0 promptly (no deadlock between the
# exit path and the threads), print libmini's statistics, and leave a valid, complete trace.
set -u
source tests/preload/lib.sh

for i in 1 2 3 4 5; do
    rm -f "$TMP/t.trc"*
    timeout 20 env LD_PRELOAD="$SHIM" MINI_SHOW_STATS=1 MINI_TRACE="$TMP/t.trc" "$PT/exitthreads" \
        >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc -ne 0 ]; then
        bad "run $i: exit status $rc"
        tail -n 3 "$TMP/err" | sed 's/^/     | /'
        continue
    fi
    grep -q 'libmini 0.1.0 statistics' "$TMP/err" || { bad "run $i: no statistics printed"; continue; }
    if ! "$MINI_TRACE_BIN" stats "$TMP/t.trc" >"$TMP/stats" 2>"$TMP/stats.err"; then
        bad "run $i: trace: $(cat "$TMP/stats.err")"
        continue
    fi
    grep -q ', complete' "$TMP/stats" || { bad "run $i: trace not marked complete"; continue; }
    ok "run $i: exit 0, statistics printed, trace valid ($(sed -n 's/^records: \([0-9]*\).*/\1/p' "$TMP/stats") records)"
done
finish
