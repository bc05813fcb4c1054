#!/usr/bin/env bash
# stats-burst.sh — MINI_SHOW_STATS reports of many processes that share one stderr and exit at
# the same moment (statsburst: 24 children + the parent) are never interleaved: each is written
# by one write(2). JSON: 25 lines, each a whole JSON object with its own pid; text: 25 reports,
# each the same sequence of lines. Both with stderr a file and a pipe, five rounds each.
set -u
source tests/preload/lib.sh

N=24
check_json() { # FILE: 25 whole JSON reports with distinct pids, nothing else
    "$PY" - "$1" $((N + 1)) <<'PYEOF'
import json, sys
path, want = sys.argv[1], int(sys.argv[2])
pids, busy = set(), 0
with open(path, errors="replace") as f:
    for no, line in enumerate(f, 1):
        try:
            o = json.loads(line)
        except ValueError:
            sys.exit("line %d is not a whole JSON object: %.80s" % (no, line))
        busy += o.get("n_malloc", 0) >= 64  # the children; the parent hardly allocates
        pids.add(o["pid"])
if len(pids) != want or busy < want - 1:
    sys.exit("%d reports with distinct pids (%d with >= 64 mallocs), want %d" % (len(pids), busy, want))
PYEOF
}
check_text() { # FILE: 25 reports, each the same sequence of labels as the first
    "$PY" - "$1" $((N + 1)) <<'PYEOF'
import re, sys
path, want = sys.argv[1], int(sys.argv[2])
reports, cur = [], None
with open(path, errors="replace") as f:
    for line in f:
        if line.startswith("___ libmini "):
            cur = []
            reports.append(cur)
        elif cur is None:
            sys.exit("text before the first report: %.80s" % line)
        else:
            cur.append(re.sub(r"[0-9]+", "#", line.rstrip("\n")))
if len(reports) != want:
    sys.exit("%d reports, want %d" % (len(reports), want))
for i, r in enumerate(reports):
    if r != reports[0]:
        sys.exit("report %d differs from the first (interleaved?)" % (i + 1))
PYEOF
}

for mode in json text; do
    val=$([ $mode = json ] && echo json || echo 1)
    for how in file pipe; do
        good=0
        for round in 1 2 3 4 5; do
            if [ $how = file ]; then
                env LD_PRELOAD="$SHIM" MINI_SHOW_STATS=$val "$PT/statsburst" $N 2>"$TMP/err"
            else
                env LD_PRELOAD="$SHIM" MINI_SHOW_STATS=$val "$PT/statsburst" $N 2>&1 >/dev/null |
                    cat >"$TMP/err"
            fi
            rc=${PIPESTATUS[0]}
            if [ "$rc" -ne 0 ]; then
                bad "$mode, stderr a $how, round $round: statsburst exit $rc"
                break
            fi
            if ! msg=$(check_$mode "$TMP/err" 2>&1); then
                bad "$mode, stderr a $how, round $round: $msg"
                break
            fi
            good=$((good + 1))
        done
        [ $good -eq 5 ] && ok "$mode, stderr a $how: $((N + 1)) whole reports in each of 5 rounds"
    done
done
finish
