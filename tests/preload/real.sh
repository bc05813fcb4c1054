#!/usr/bin/env bash
# real.sh NAME [ALLOCATOR] — run a real program once with glibc's malloc and once under the shim
# (or under ALLOCATOR: a .so path, for measure-real.sh), and compare: same exit status, same
# standard output, same standard error once libmini's statistics lines are removed; and the
# shim must have served the program's allocations (MINI_SHOW_STATS=json counts, added up over
# every process the program started). Time and peak RSS of both runs go to the log.
#
#   NAME: python3 perl sqlite3 gcc git sort stl threads
#
# The programs and their inputs: workloads.sh.
set -u
source tests/preload/lib.sh

name=${1:?usage: real.sh NAME}
alloc=${2:-$SHIM}

source tests/preload/workloads.sh
workload "$name"
case $? in
0) ;;
77) skip "$name (not installed: tests/deps.sh test)"; finish; exit ;;
*) echo "real.sh: unknown program '$name' (one of: $WORKLOADS)" >&2; exit 2 ;;
esac

run() { # run TAG PRELOAD
    local tag=$1 pre=$2
    export OUT=$TMP/$tag
    mkdir -p "$OUT"
    eval "$prep"
    if [ -n "$pre" ]; then
        run_timed "$TMP/$tag" env LD_PRELOAD="$pre" MINI_SHOW_STATS=json "${cmd[@]}"
    else
        run_timed "$TMP/$tag" env -u LD_PRELOAD "${cmd[@]}"
    fi
}

run glibc ""
run mini "$alloc"
read -r g_s g_kb < <(tail -n 1 "$TMP/glibc.time")
read -r m_s m_kb < <(tail -n 1 "$TMP/mini.time")
echo "  $name: glibc ${g_s}s ${g_kb} KiB, under $(basename "$alloc") ${m_s}s ${m_kb} KiB (peak RSS)"

rc_g=$(cat "$TMP/glibc.rc") rc_m=$(cat "$TMP/mini.rc")
if [ "$rc_g" = "$rc_m" ] && [ "$rc_g" = 0 ]; then
    ok "$name: exit status 0 both ways"
else
    bad "$name: exit status $rc_g with glibc, $rc_m under the shim"
    tail -n 5 "$TMP/mini.err" | sed 's/^/     | /'
fi
if cmp -s "$TMP/glibc.out" "$TMP/mini.out"; then
    ok "$name: same output ($(wc -l <"$TMP/mini.out") lines)"
else
    bad "$name: output differs"
    diff "$TMP/glibc.out" "$TMP/mini.out" | head -n 10 | sed 's/^/     | /'
fi
strip_stats "$TMP/mini.err" >"$TMP/mini.err2"
if cmp -s "$TMP/glibc.err" "$TMP/mini.err2"; then
    ok "$name: same standard error"
else
    bad "$name: standard error differs"
    diff "$TMP/glibc.err" "$TMP/mini.err2" | head -n 10 | sed 's/^/     | /'
fi
if [ "$alloc" = "$SHIM" ]; then
    nm=$(stats_json_sum n_malloc "$TMP/mini.err")
    np=$(grep -c '^{"libmini":' "$TMP/mini.err")
    if [ "$nm" -gt 100 ]; then
        ok "$name: libmini served $nm allocations in $np processes"
    else
        bad "$name: libmini served $nm allocations ($np processes reported)"
    fi
fi
finish
