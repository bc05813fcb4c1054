#!/usr/bin/env bash
# model.sh BIN — the sweep's model side without touching the machine (mini-sweep --dry-run):
# every run gets a scenario in model/ and a prediction in runs.csv, and the predictions are
# the known answers of the kernel model for these configurations: anonymous memory over the
# limit is OOM-killed without swap and with swappiness 0, and runs with swap; malloc(2 x RAM)
# untouched is refused in modes 0 and 2 but granted in mode 1, and granted to jemalloc in mode
# 0 (MAP_NORESERVE). Any user; a few seconds.
set -u
bin=${1:?usage: $0 BIN}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/sweep/lib.sh
. "$here/lib.sh"
tmp=$(mktemp -d /tmp/libmini-sweep-model.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

"$bin/mini-sweep" --dry-run --profile reduced --out "$tmp/s" >"$tmp/log" 2>&1
rc=$?
check "dry run: exit 0" "rc $rc: $(tail -3 "$tmp/log")" test $rc = 0
runs=$tmp/s/runs.csv
check "dry run: 108 runs planned" "$(wc -l <"$runs") lines" test "$(wc -l <"$runs")" = 109
check "dry run: no real run" "a real outcome other than skipped" \
    bash -c "! cut -d, -f13 '$runs' | tail -n +2 | grep -v '^skipped$'"
nscen=$(ls "$tmp/s/model/"*.scen 2>/dev/null | wc -l)
check "one scenario per configuration x workload (+ jemalloc's)" "$nscen scenarios" \
    test "$nscen" -ge 36
check "no kmodel error" "$(cat "$tmp/s/model/"*.err 2>/dev/null | head -3)" \
    bash -c "! cat '$tmp/s/model/'*.err 2>/dev/null | grep -q ."

# model CONFIG WORKLOAD ALLOCATOR: the model's predicted outcome for that run.
model() {
    awk -F, -v c="$1" -v w="$2" -v a="$3" 'NR > 1 && $2 == c && $10 == w && $11 == a {print $15}' "$runs"
}
expect() {
    local want=$1
    shift
    local got
    got=$(model "$@")
    check "model: $* -> $want" "got '$got'" test "$got" = "$want"
}
expect OOM-killed "oc=0 sw=60 swap=none" anon-over glibc
expect OOM-killed "oc=0 sw=0 swap=1G" anon-over libmini
expect ok "oc=0 sw=60 swap=1G" anon-over glibc
expect ok "oc=0 sw=200 swap=1G" file-anon jemalloc
expect OOM-killed "oc=1 sw=60 swap=none" overask-cg glibc
expect ok "oc=1 sw=60 swap=1G" overask-cg libmini
expect ENOMEM "oc=0 sw=60 swap=none" overask-ram glibc
expect ok "oc=0 sw=60 swap=none" overask-ram jemalloc
expect ENOMEM "oc=0 sw=60 swap=none" overask-ram libmini
expect ok "oc=1 sw=60 swap=none" overask-ram libmini
expect ENOMEM "oc=2 sw=60 swap=none" overask-ram jemalloc
scen=$(ls "$tmp/s/model/"*overask-ram.scen | head -1)
check "scenario: the machine is this one" "$(head -3 "$scen")" \
    grep -q "^machine ram=$(awk '/MemTotal/ {print $2}' /proc/meminfo)K" "$scen"
check "scenario: jemalloc's mapping is noreserve" "no noreserve scenario" \
    grep -lq "exit-on-fail noreserve" "$tmp/s/model/"*.scen
done_tests
