# lib.sh — shared by the shell tests of tests/preload/ (sourced, from the repository root).
#
#   SHIM, SHIM_DEBUG, MINI_TRACE_BIN, MINI_RUN, PT    paths of what `make` built
#   TMP                                               a fresh directory, removed on every exit
#   ok / bad / skip NAME [why]; finish                count results, print the mini-test line
#   run_timed OUT_PREFIX CMD...                       run CMD, keep stdout, stderr, exit status,
#                                                     wall seconds and peak RSS (KiB)
#   stats_json_sum FIELD FILE                         add up FIELD of the MINI_SHOW_STATS=json
#                                                     lines in FILE (one per process)
# The Debian python3 is used explicitly (a pyenv python3 may come first in PATH).

ROOT=$(pwd)
SHIM=$ROOT/build/lib/libmini-preload.so
SHIM_DEBUG=$ROOT/build/debug/lib/libmini-preload.so
MINI_TRACE_BIN=$ROOT/build/bin/mini-trace
MINI_RUN=$ROOT/build/bin/mini-run
PT=$ROOT/build/tests/preload
PY=/usr/bin/python3
JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2

PASS=0 FAIL=0 SKIP=0
ok() { echo "  ok   $*"; PASS=$((PASS + 1)); }
bad() { echo "  FAIL $*"; FAIL=$((FAIL + 1)); }
skip() { echo "  skip $*"; SKIP=$((SKIP + 1)); }
finish() {
    echo "mini-test: $PASS passed, $FAIL failed, $SKIP skipped"
    [ "$FAIL" -eq 0 ]
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mini-preload.XXXXXX")
cleanup_hooks=()
cleanup() {
    local h
    for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -r "$SHIM" ] || { echo "  FAIL $SHIM is missing (make)"; echo "mini-test: 0 passed, 1 failed, 0 skipped"; exit 1; }

# run_timed PREFIX CMD... : PREFIX.out PREFIX.err PREFIX.rc PREFIX.time ("SECONDS MAXRSS_KB")
run_timed() {
    local p=$1
    shift
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -o "$p.time" -f '%e %M' "$@" >"$p.out" 2>"$p.err" </dev/null
        echo $? >"$p.rc"
    else
        "$@" >"$p.out" 2>"$p.err" </dev/null
        echo $? >"$p.rc"
        echo "0 0" >"$p.time"
    fi
}

stats_json_sum() {
    "$PY" - "$1" "$2" <<'EOF'
import json, sys
field, path = sys.argv[1], sys.argv[2]
total = 0
with open(path, errors="replace") as f:
    for line in f:
        if line.startswith('{"libmini":'):
            total += json.loads(line).get(field, 0)
print(total)
EOF
}

# Lines of FILE without libmini's JSON statistics lines.
strip_stats() {
    grep -v '^{"libmini":' "$1" || true
}
