#!/usr/bin/env bash
# broken.sh LIB — the workloads catch a broken allocator: under LIB (tests/bench-wl/
# broken_alloc.c) each workload that keeps blocks alive exits 3 with "content mismatch at 0x..."
# on stderr. BROKEN_MODE=dup hands out overlapping live blocks; BROKEN_MODE=realloc loses half
# of what realloc should copy. Prints "mini-test: P passed, F failed, 0 skipped".
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
lib=$1
pass=0 fail=0
check() {
    local mode=$1 wl=$2 err rc
    # shellcheck disable=SC2046
    err=$(BROKEN_MODE=$mode LD_PRELOAD=$lib build/bin/wl-$wl $(tiny_args "$wl") 2>&1 >/dev/null)
    rc=$?
    if [ $rc -eq 3 ] && [[ $err == *"wl-$wl: content mismatch at 0x"* ]]; then
        pass=$((pass + 1))
    else
        echo "  FAIL: wl-$wl under BROKEN_MODE=$mode: exit $rc, stderr: $err (wanted exit 3)"
        fail=$((fail + 1))
    fi
}
for wl in small-churn prodcons server-sim frag phase; do
    check dup "$wl"
done
check realloc realloc-growth
echo "mini-test: $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
