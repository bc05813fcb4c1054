#!/usr/bin/env bash
# trace-fork.sh — MINI_TRACE across fork and exec. The traced process keeps FILE (it holds a lock
# on it); a fork child writes FILE.<pid> (flagged as a child) from its first record, a program
# started by exec or posix_spawn writes FILE.<pid> too; every file is a valid trace of its own
# process and nobody writes into another's file.
set -u
source tests/preload/lib.sh

check_trace() { # check_trace FILE EXPECTED-PID WANT-CHILD-FLAG [MIN-CALLS]
    local f=$1 pid=$2 child=$3 min=${4:-1}
    "$MINI_TRACE_BIN" stats "$f" >"$TMP/s" 2>"$TMP/err" || { echo "invalid: $(cat "$TMP/err")"; return 1; }
    grep -q "^process: pid $pid " "$TMP/s" || { echo "not pid $pid: $(grep '^process' "$TMP/s")"; return 1; }
    if [ "$child" = 1 ]; then
        grep -q 'child of a traced fork' "$TMP/s" || { echo "no child flag"; return 1; }
    else
        grep -q 'child of a traced fork' "$TMP/s" && { echo "child flag"; return 1; }
    fi
    local n
    n=$(sed -n 's/^calls: .*total=\([0-9]*\)$/\1/p' "$TMP/s")
    [ "${n:-0}" -ge "$min" ] || { echo "$n calls"; return 1; }
    return 0
}

# The pid that FILE's header names, or nothing when FILE is not a valid trace.
trace_pid() {
    sed -n 's/^process: pid \([0-9]*\) .*/\1/p' < <("$MINI_TRACE_BIN" stats "$1" 2>/dev/null)
}

# check_pid_files DIR WANT-CHILD-FLAG: check each DIR/t.trc.<pid>; sets n (valid) and nbad.
check_pid_files() {
    local f pid why
    n=0 nbad=0
    for f in "$1"/t.trc.*; do
        [ -e "$f" ] || continue
        pid=${f##*.}
        if why=$(check_trace "$f" "$pid" "$2"); then n=$((n + 1)); else nbad=$((nbad + 1)); echo "     | $f: $why"; fi
    done
}

# fork + exec and posix_spawn: the exec'd programs write FILE.<pid>.
mkdir -p "$TMP/a"
env LD_PRELOAD="$SHIM" MINI_TRACE="$TMP/a/t.trc" "$PT/forkexec" test_fork_exec test_posix_spawn >"$TMP/out" 2>&1 ||
    bad "forkexec under MINI_TRACE: $(tail -n 3 "$TMP/out")"
main_pid=$(trace_pid "$TMP/a/t.trc")
# (The parent itself may not allocate at all: its FILE is taken at load time anyway.)
if [ -n "$main_pid" ] && why=$(check_trace "$TMP/a/t.trc" "$main_pid" 0 0); then
    ok "the parent keeps FILE (pid $main_pid)"
else
    bad "the parent's FILE: ${why:-unreadable}"
fi
check_pid_files "$TMP/a" 0
# 5 exec'd children and 1 spawned one; the forked children exec at once (no record, no file).
[ $n -eq 6 ] && [ $nbad -eq 0 ] && ok "6 exec'd programs wrote FILE.<pid>, each valid" ||
    bad "exec'd programs: $n valid files, $nbad bad (wanted 6)"

# fork without exec, from a multi-threaded program: 40 children, each its own FILE.<pid>.
mkdir -p "$TMP/b"
env LD_PRELOAD="$SHIM" MINI_TRACE="$TMP/b/t.trc" "$PT/forkexec" test_fork_multithreaded >"$TMP/out" 2>&1 ||
    bad "fork test under MINI_TRACE: $(tail -n 3 "$TMP/out")"
main_pid=$(trace_pid "$TMP/b/t.trc")
if [ -n "$main_pid" ] && why=$(check_trace "$TMP/b/t.trc" "$main_pid" 0); then
    ok "the forking parent's trace is valid"
else
    bad "the forking parent's trace: ${why:-unreadable}"
fi
check_pid_files "$TMP/b" 1
[ $n -eq 40 ] && [ $nbad -eq 0 ] && ok "40 fork children wrote FILE.<pid>, each valid and flagged" ||
    bad "fork children: $n valid files, $nbad bad (wanted 40)"

# Two unrelated processes with the same MINI_TRACE: the second one writes FILE.<pid>.
mkdir -p "$TMP/c"
env LD_PRELOAD="$SHIM" MINI_TRACE="$TMP/c/t.trc" sleep 1 &
first=$!
sleep 0.3
env LD_PRELOAD="$SHIM" MINI_TRACE="$TMP/c/t.trc" "$PT/churn" 1000 1 >/dev/null
wait $first
nfiles=$(ls "$TMP/c" | wc -l)
[ "$nfiles" -eq 2 ] && ok "a second process with the same MINI_TRACE writes FILE.<pid>" ||
    bad "same MINI_TRACE twice: $nfiles files: $(ls "$TMP/c" | tr '\n' ' ')"
finish
