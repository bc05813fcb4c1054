#!/usr/bin/env bash
# trace-roundtrip.sh — record a trace, dump it, replay it under glibc, jemalloc and libmini:
# every replay makes the same calls (per op) and reaches the same peak of live bytes as the
# recording (--strict keeps the recorded global order, hence the same peak), and under libmini
# a second trace of the replay, cut to the replayed window, says the same again.
#
# Two recordings: churn (two threads, cross-thread frees, every C call) and python3 (a real
# program). The dependency-order replay is also run (same calls; its peak may differ), and the
# export to the kernel model's text trace (replayed by its kmodel-alloc-real when it is built).
set -u
source tests/preload/lib.sh

field() { # field KEY FILE: the value after "KEY: " (first line)
    sed -n "s/^$1: \([^ ]*\).*/\1/p" "$2" | head -n 1
}
calls() { grep '^calls:' "$1" | head -n 1; }

roundtrip() { # roundtrip NAME TRACE
    local name=$1 t1=$2
    if ! "$MINI_TRACE_BIN" stats "$t1" >"$TMP/$name.stats" 2>"$TMP/err"; then
        bad "$name: stats: $(cat "$TMP/err")"
        return
    fi
    local c1 p1
    c1=$(calls "$TMP/$name.stats")
    p1=$(field peak_live_bytes "$TMP/$name.stats")
    local nrec
    nrec=$(sed -n 's/^records: \([0-9]*\).*/\1/p' "$TMP/$name.stats")
    echo "  $name: $nrec records; $c1; peak_live_bytes $p1"
    local nd
    nd=$("$MINI_TRACE_BIN" dump "$t1" | grep -vc '^#\|^trace:\|^process:\|^records:')
    [ "$nd" -eq "$nrec" ] && ok "$name: dump prints $nd records" || bad "$name: dump printed $nd of $nrec records"

    local a pre
    for a in glibc jemalloc libmini; do
        case $a in
        glibc) pre= ;;
        jemalloc)
            if [ ! -r "$JEMALLOC" ]; then
                skip "$name: replay under jemalloc (libjemalloc2 not installed)"
                continue
            fi
            pre=$JEMALLOC ;;
        libmini) pre=$SHIM ;;
        esac
        rm -f "$TMP/t2.trc"*
        if [ $a = libmini ]; then
            env LD_PRELOAD="$pre" MINI_TRACE="$TMP/t2.trc" "$MINI_TRACE_BIN" replay --strict "$t1" >"$TMP/r" 2>"$TMP/err"
        else
            env LD_PRELOAD="$pre" "$MINI_TRACE_BIN" replay --strict "$t1" >"$TMP/r" 2>"$TMP/err"
        fi
        local rc=$?
        if [ $rc -ne 0 ]; then
            bad "$name: replay under $a: status $rc: $(head -c 300 "$TMP/err")"
            continue
        fi
        local c2 p2
        c2=$(calls "$TMP/r")
        p2=$(field peak_live_bytes "$TMP/r")
        if [ "$c2" = "$c1" ] && [ "$p2" = "$p1" ]; then
            ok "$name: strict replay under $a: same calls, peak_live_bytes $p2 ($(sed -n 's/.*order, \(.*\)/\1/p' "$TMP/r"))"
        else
            bad "$name: strict replay under $a: $c2, peak $p2"
        fi
        if [ $a = libmini ]; then
            if "$MINI_TRACE_BIN" stats --window "$TMP/t2.trc" >"$TMP/w" 2>"$TMP/err"; then
                local c3 p3
                c3=$(calls "$TMP/w")
                p3=$(field peak_live_bytes "$TMP/w")
                [ "$c3" = "$c1" ] && [ "$p3" = "$p1" ] &&
                    ok "$name: the replay's own trace (window) has the same calls and peak" ||
                    bad "$name: the replay's own trace: $c3, peak $p3"
            else
                bad "$name: stats --window of the replay's trace: $(cat "$TMP/err")"
            fi
        fi
    done
    # export: the kernel model's text trace, one line per call that did not fail.
    local total failed nl
    total=$(sed -n 's/^calls: .*total=\([0-9]*\)$/\1/p' "$TMP/$name.stats")
    failed=$(field failed_calls "$TMP/$name.stats")
    "$MINI_TRACE_BIN" export "$t1" >"$TMP/$name.ktrace"
    nl=$(grep -c '^@[0-9]* [mcarft] ' "$TMP/$name.ktrace")
    [ "$nl" -eq $((total - failed)) ] && ok "$name: export writes $nl calls for the kernel model" ||
        bad "$name: export wrote $nl calls, the trace has $total ($failed failed)"
    local kreal=$ROOT/build/bin/kmodel-alloc-real
    if [ -x "$kreal" ]; then
        # The kernel model's own replayer (over the real kernel) must see the same trace.
        "$kreal" "$TMP/$name.ktrace" >"$TMP/k" 2>"$TMP/err"
        local kc kp
        kc=$(sed -n 's/.*"calls": \([0-9]*\).*/\1/p' "$TMP/k")
        kp=$(sed -n 's/.*"peak_live_bytes": \([0-9]*\).*/\1/p' "$TMP/k")
        [ "$kc" = "$nl" ] && [ "$kp" = "$p1" ] && ok "$name: kmodel-alloc-real replays the export: $kc calls, peak $kp" ||
            bad "$name: kmodel-alloc-real: calls ${kc:-?}, peak ${kp:-?} $(head -c 200 "$TMP/err")"
    else
        skip "$name: kmodel-alloc-real not built (the kernel model is not in this tree)"
    fi
    if env LD_PRELOAD="$SHIM" "$MINI_TRACE_BIN" replay "$t1" >"$TMP/r" 2>"$TMP/err" &&
        [ "$(calls "$TMP/r")" = "$c1" ]; then
        ok "$name: dependency-order replay under libmini: same calls (peak $(field peak_live_bytes "$TMP/r"))"
    else
        bad "$name: dependency-order replay: $(calls "$TMP/r") $(head -c 200 "$TMP/err")"
    fi
}

env LD_PRELOAD="$SHIM" MINI_TRACE="$TMP/churn.trc" "$PT/churn" 30000 2 >/dev/null
roundtrip churn "$TMP/churn.trc"

env LD_PRELOAD="$SHIM" MINI_TRACE="$TMP/py.trc" PYTHONHASHSEED=0 "$PY" -c '
import json
d = {str(i): [i] * (i % 7) for i in range(50000)}
s = json.dumps(d)
print(len(json.loads(s)), len(sorted(s.split(","))))' >/dev/null
roundtrip python3 "$TMP/py.trc"
finish
