#!/usr/bin/env bash
# real.sh ALLOC NAME [ARGS...] — run the real program NAME (bench/workloads/real/NAME.cmd)
# through run-real.sh under ALLOC and check that it exits 0 with its expected last line:
# sqlite prints "after vacuum|120000|..." and py-alloc "py-alloc rounds=N checksum=...".
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
alloc=$1 name=$2
shift 2
pre=$(alloc_preload "$alloc") || exit $?
out=$(LD_PRELOAD=$pre bench/workloads/real/run-real.sh "$name" "$@")
rc=$?
[ $rc -eq 77 ] && { echo "$out"; exit 77; }
[ $rc -eq 0 ] || { echo "$name under $alloc: exit $rc"; exit 1; }
last=$(printf '%s\n' "$out" | tail -n 1)
case $name in
sqlite) want='after vacuum|120000|' ;;
py-alloc) want='py-alloc rounds=' ;;
*) want='' ;;
esac
[[ $last == "$want"* ]] || { echo "$name under $alloc: last line '$last', wanted '$want...'"; exit 1; }
echo "$name under $alloc: ok ($last)"
