#!/usr/bin/env bash
# refuse.sh BIN — mini-sweep refuses clearly and changes nothing: without root (exit 77, one
# line "refused: needs root", session.json state "refused"), when the swap file cannot be
# created (not enough disk for it), and for a mode-2 run whose commit room would leave the rest
# of the machine less than the reserve (that run is skipped with the reason; mode 2 is never
# set). Bad options exit 2 with one line naming the option. Root for all but the option checks.
set -u
bin=${1:?usage: $0 BIN}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/sweep/lib.sh
. "$here/lib.sh"
tmp=$(mktemp -d /tmp/libmini-sweep-refuse.XXXXXX)
chmod 777 "$tmp"
trap 'rm -rf "$tmp"' EXIT

# one_line_error NAME NEEDLE ARGS...: exit 2 and one stderr line containing NEEDLE.
one_line_error() {
    local name=$1 needle=$2
    shift 2
    "$bin/mini-sweep" --out "$tmp/bad" "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$needle" "$tmp/err"; then
        ok "$name"
    else
        fail "$name" "rc $rc, stderr: $(head -c 300 "$tmp/err")"
    fi
}
one_line_error "unknown option" "--frobnicate" --frobnicate
one_line_error "unknown profile" "bogus" --profile bogus
one_line_error "bad overcommit list" "--oc" --oc 3
one_line_error "bad swappiness list" "--swappiness" --swappiness 201
one_line_error "bad swap list" "--swaps" --swaps 1T
one_line_error "unknown allocator" "nosuchalloc" --allocs glibc,nosuchalloc
one_line_error "unknown workload" "nosuchwl" --workloads nosuchwl
one_line_error "bad size" "--limit" --limit 12Q
one_line_error "missing value" "--out" --out
check "--help exits 0" "--help failed" "$bin/mini-sweep" --help >/dev/null

if [ "$(id -u)" -ne 0 ]; then
    skip "refusals as root" "not root"
    done_tests
fi
journal=/var/tmp/libmini-vmctl.journal
if ! repair_stale_journal "$bin" "$journal"; then
    skip "refusals as root" "another experiment holds $journal"
    done_tests
fi
before=$(settings)

setpriv --reuid=65534 --regid=65534 --clear-groups -- "$bin/mini-sweep" --out "$tmp/nobody" \
    >"$tmp/nobody.out" 2>"$tmp/nobody.err"
rc=$?
check "not root: exit 77" "got $rc" test $rc = 77
check "not root: one clear line" "stderr: $(cat "$tmp/nobody.err")" \
    grep -q "^mini-sweep: refused: needs root" "$tmp/nobody.err"
check "not root: session.json says refused" "no refused state" \
    grep -q '"state": "refused"' "$tmp/nobody/session.json"

need_root_cgroup
if [ -e "$journal" ] && ! flock -n "$journal" true; then
    skip "refusals that take the settings journal" "another experiment holds $journal"
    done_tests
fi
"$bin/mini-sweep" --out "$tmp/noswap" --swap-size 900000G --no-model >"$tmp/noswap.out" 2>"$tmp/noswap.err"
rc=$?
check "swap cannot be created: exit 77" "got $rc" test $rc = 77
check "swap cannot be created: says so" "stderr: $(cat "$tmp/noswap.err")" \
    grep -q "refused: swap cannot be created" "$tmp/noswap.err"
check "swap cannot be created: no run recorded" "runs.csv has rows" \
    test "$(wc -l <"$tmp/noswap/runs.csv")" = 1

"$bin/mini-sweep" --out "$tmp/mode2" --oc 2 --swaps none --workloads anon-over --allocs glibc \
    --no-model --reserve 900000G >"$tmp/mode2.out" 2>&1
rc=$?
check "mode 2 without room: the sweep itself succeeds" "got $rc" test $rc = 0
check "mode 2 without room: the run is refused with the reason" "$(tail -2 "$tmp/mode2/runs.csv")" \
    grep -q ',skipped,skipped,.*refused: overcommit mode 2 with ratio 50 gives CommitLimit' "$tmp/mode2/runs.csv"
now=$(settings)
check "nothing changed" "$(settings_diff "$before" "$now")" test "$now" = "$before"
check "journal empty" "$journal not empty" test ! -s "$journal"
done_tests
