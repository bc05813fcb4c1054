#!/usr/bin/env bash
# micro.sh ALLOC — build/bin/mini-micro runs one fast benchmark per family under ALLOC with a
# small --benchmark_min_time and writes valid JSON (--benchmark_out) holding those benchmarks,
# each with iterations > 0 and a real_time (times are never compared: the machine is shared).
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
pre=$(alloc_preload "$1") || exit $?
out=$(mktemp --suffix=.json)
trap 'rm -f "$out"' EXIT
filter='^(pair/64/|pair/64/real_time/threads:2|calloc/64/|realloc_grow16|realloc_move/64/|posix_memalign/align:64/size:64/|batch_fifo/n:100/|xthread_free/64/)'
LD_PRELOAD=$pre build/bin/mini-micro --benchmark_filter="$filter" --benchmark_min_time=0.01 \
    --benchmark_format=json --benchmark_out="$out" >/dev/null || { echo "mini-micro failed"; exit 1; }
python3 - "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
names = {b["name"] for b in doc["benchmarks"]}
want = {"pair/64/real_time", "pair/64/real_time/threads:2", "calloc/64/real_time",
        "realloc_grow16/real_time", "realloc_move/64/real_time",
        "posix_memalign/align:64/size:64/real_time", "batch_fifo/n:100/size:64/real_time",
        "xthread_free/64/real_time/threads:2"}
missing = want - names
assert not missing, f"missing {sorted(missing)}"
for b in doc["benchmarks"]:
    assert "error_occurred" not in b, f"{b['name']}: {b.get('error_message')}"
    assert b["iterations"] > 0 and b["real_time"] > 0, b["name"]
assert doc["context"]["library_build_type"] in ("debug", "release")
print(f"mini-micro: {len(names)} benchmarks, valid JSON, library {doc['context']['library_build_type']}")
PY
