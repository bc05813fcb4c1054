#!/usr/bin/env bash
# workloads.sh BIN — the sweep's workloads (wl-anon-over, wl-file-anon, wl-overask) at tiny
# sizes under glibc and libmini: one JSON result line with "outcome":"ok"; malloc returning
# NULL (RLIMIT_AS, no setting changed) gives exit 1 and {"outcome":"enomem"}; bad options and
# a missing WL_FILE exit 2 with one line. Any user; a second or two.
set -u
bin=${1:?usage: $0 BIN}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/sweep/lib.sh
. "$here/lib.sh"
tmp=$(mktemp -d /tmp/libmini-sweep-wl.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
head -c 3000000 /dev/urandom >"$tmp/data"
lib=$(cd "$bin/../lib" && pwd)/libmini-preload.so

for pre in "" "$lib"; do
    a=$([ -n "$pre" ] && echo libmini || echo glibc)
    out=$(LD_PRELOAD=$pre "$bin/wl-anon-over" --bytes 4M --passes 3)
    check "anon-over ($a): ok" "$out" bash -c "[[ '$out' == *'\"outcome\":\"ok\"'* ]]"
    out=$(LD_PRELOAD=$pre WL_FILE=$tmp/data "$bin/wl-file-anon" --anon 2M --passes 2)
    check "file-anon ($a): ok and read the file twice" "$out" \
        bash -c "[[ '$out' == *'\"file_bytes_read\":6000000'* ]]"
    out=$(LD_PRELOAD=$pre "$bin/wl-overask" --ask 8M --touch all)
    check "overask ($a): touched" "$out" bash -c "[[ '$out' == *'\"touched_bytes\":8388608'* ]]"
    out=$(LD_PRELOAD=$pre "$bin/wl-overask" --ask 8M --touch none)
    check "overask ($a): untouched" "$out" bash -c "[[ '$out' == *'\"touched_bytes\":0'* ]]"
    # RLIMIT_AS makes the request fail like an overcommit refusal.
    out=$(ulimit -v 400000; LD_PRELOAD=$pre "$bin/wl-overask" --ask 2G --touch none 2>"$tmp/err")
    rc=$?
    check "overask ($a): ENOMEM is exit 1 with the outcome" "rc $rc: $out" \
        bash -c "[ $rc = 1 ] && [[ '$out' == *'\"outcome\":\"enomem\"'* ]]"
    out=$(ulimit -v 400000; LD_PRELOAD=$pre "$bin/wl-anon-over" --bytes 1G --block 1M 2>"$tmp/err")
    rc=$?
    check "anon-over ($a): ENOMEM after some blocks" "rc $rc: $out" \
        bash -c "[ $rc = 1 ] && [[ '$out' == *'\"enomem_after_bytes\":'[1-9]* ]]"
done
"$bin/wl-file-anon" --anon 1M >/dev/null 2>"$tmp/err"
rc=$?
check "file-anon without WL_FILE: exit 2, one line" "rc $rc: $(cat "$tmp/err")" \
    bash -c "[ $rc = 2 ] && [ \$(wc -l <'$tmp/err') = 1 ] && grep -q WL_FILE '$tmp/err'"
"$bin/wl-overask" --touch some >/dev/null 2>"$tmp/err"
rc=$?
check "overask --touch some: exit 2" "rc $rc" bash -c "[ $rc = 2 ] && grep -q -- --touch '$tmp/err'"
"$bin/wl-anon-over" --passes 0 >/dev/null 2>"$tmp/err"
rc=$?
check "anon-over --passes 0: exit 2" "rc $rc" test $rc = 2
done_tests
