#!/usr/bin/env bash
# run-wl.sh ALLOC WORKLOAD — run build/bin/wl-WORKLOAD at a tiny scale under ALLOC (glibc or
# jemalloc) and check that it completes: exit 0, nothing on stderr, and stdout is what the
# runner expects (one JSON object with the workload's name, ops > 0 and live_end_bytes 0; for
# wl-size-sweep a CSV table with its header and one row per size, ops > 0 in each).
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
alloc=$1 wl=$2
pre=$(alloc_preload "$alloc") || exit $?
args=$(tiny_args "$wl") || exit 2
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
# shellcheck disable=SC2086
LD_PRELOAD=$pre build/bin/wl-$wl $args >"$out" 2>"$err"
rc=$?
fail=0
[ $rc -eq 0 ] || { echo "wl-$wl under $alloc: exit $rc"; fail=1; }
[ ! -s "$err" ] || { echo "wl-$wl under $alloc wrote to stderr:"; cat "$err"; fail=1; }
if [ "$wl" = size-sweep ]; then
    python3 - "$out" <<'PY' || fail=1
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert rows[0] == ["size", "ops", "ns_per_op", "minflt_per_op"], f"header {rows[0]}"
body = rows[1:]
assert len(body) == 20, f"{len(body)} sizes"
sizes = [int(r[0]) for r in body]
assert sizes == sorted(sizes) and sizes[0] == 65536 and sizes[-1] == 1048576, sizes
for want in (131071 - 16, 131072 - 16, 131072, 131073):
    assert want in sizes, f"size {want} missing"
assert all(int(r[1]) > 0 and float(r[2]) > 0 for r in body), "ops and ns_per_op > 0"
PY
else
    python3 - "$out" "$wl" "$alloc" <<'PY' || fail=1
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, f"{len(lines)} lines on stdout"
r = json.loads(lines[0])
assert r["workload"] == sys.argv[2], r["workload"]
assert r["ops"] > 0 and r["live_end_bytes"] == 0, r
if sys.argv[2] == "phase":
    assert r["trim"].startswith(sys.argv[3] + ":"), r["trim"]
PY
fi
[ $fail -eq 0 ] && echo "wl-$wl under $alloc: ok"
exit $fail
