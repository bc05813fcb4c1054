#!/usr/bin/env bash
# mini-run.sh — build/bin/mini-run: --stats (text and JSON), --trace, --debug, and its errors.
set -u
source tests/preload/lib.sh

out=$("$MINI_RUN" --stats /bin/echo hello 2>"$TMP/err")
if [ "$out" = hello ] && grep -q '___ libmini 0.1.0 statistics' "$TMP/err" && grep -q 'calls: malloc' "$TMP/err"; then
    ok "--stats prints the text statistics at exit"
else
    bad "--stats: out '$out', err $(head -c 200 "$TMP/err")"
fi

"$MINI_RUN" --stats=json /bin/ls / >/dev/null 2>"$TMP/err"
if "$PY" -c 'import json, sys
d = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][-1])
assert d["n_malloc"] > 0 and d["mapped"] >= d["allocated"] and "options" in d' "$TMP/err" 2>"$TMP/perr"; then
    ok "--stats=json prints one JSON object (even though ls closes stderr at exit)"
else
    bad "--stats=json: $(cat "$TMP/perr") $(head -c 200 "$TMP/err")"
fi

# --trace: the trace holds exactly the calls the program counted (one worker thread: fixed).
"$MINI_RUN" --trace "$TMP/c.trc" "$PT/churn" 20000 1 >"$TMP/out"
n_prog=$(sed -n 's/^churn: 1 threads, \([0-9]*\) calls$/\1/p' "$TMP/out")
"$MINI_TRACE_BIN" stats "$TMP/c.trc" >"$TMP/stats" 2>&1
# The program's own count is its worker's calls; the main thread adds a few (stdio, exit).
n_tr=$(awk '/^calls:/ { for (i = 2; i <= NF; i++) if ($i ~ /^total=/) { sub("total=", "", $i); print $i } }' "$TMP/stats")
if [ -n "$n_prog" ] && [ -n "$n_tr" ] && [ "$n_tr" -ge "$n_prog" ] && [ "$n_tr" -le $((n_prog + 20)) ]; then
    ok "--trace records every call ($n_prog by the worker, $n_tr in the trace)"
else
    bad "--trace: program made ${n_prog:-?} calls, trace has ${n_tr:-?}"
    head -n 5 "$TMP/stats" | sed 's/^/     | /'
fi

if "$MINI_RUN" --debug cat /proc/self/maps | grep -q 'debug/lib/libmini-preload.so'; then
    ok "--debug runs the checked build"
else
    bad "--debug did not load build/debug/lib/libmini-preload.so"
fi
if "$MINI_RUN" cat /proc/self/maps | grep -q "$SHIM"; then
    ok "the shim is preloaded"
else
    bad "the shim is not in the program's mappings"
fi

expect_status() { # expect_status STATUS WHAT ARGS...
    local want=$1 what=$2
    shift 2
    "$MINI_RUN" "$@" >/dev/null 2>"$TMP/err"
    local rc=$?
    if [ $rc -eq "$want" ] && [ "$(wc -l <"$TMP/err")" -ge 1 ]; then
        ok "$what: status $rc, \"$(head -n 1 "$TMP/err")\""
    else
        bad "$what: status $rc (wanted $want)"
    fi
}
expect_status 2 "no program"
expect_status 2 "unknown option" --bogus true
expect_status 2 "bad --stats value" --stats=xml true
expect_status 2 "--trace without a file" --trace
expect_status 127 "a program that does not exist" /nonexistent/program
finish
