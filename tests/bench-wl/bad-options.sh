#!/usr/bin/env bash
# bad-options.sh — every workload refuses bad input with one line on stderr naming what was
# wrong and exit 2 (unknown option, missing or bad value, out of range, stray argument,
# --threads where it does not apply, a bad MINI_BENCH_SHM); --help exits 0 and prints usage.
# Also run-real.sh on a malformed .cmd file. Prints "mini-test: P passed, F failed, 0 skipped".
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
pass=0 fail=0

# expect_bad NEEDLE CMD... — CMD exits 2 with exactly one stderr line containing NEEDLE.
expect_bad() {
    local needle=$1
    shift
    local err rc
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ $rc -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ $err == *"$needle"* ]]; then
        pass=$((pass + 1))
    else
        echo "  FAIL: $* -> exit $rc, stderr: $err (wanted exit 2, one line with '$needle')"
        fail=$((fail + 1))
    fi
}

for wl in $WORKLOADS; do
    b=build/bin/wl-$wl
    expect_bad "'--bogus'" $b --bogus
    expect_bad "'--bogus=1'" $b --bogus=1
    expect_bad "'stray'" $b stray
    expect_bad "--scale" $b --scale
    expect_bad "--scale" $b --scale abc
    expect_bad "--scale" $b --scale 0
    expect_bad "--scale" $b --scale=-1
    expect_bad "--scale" $b --scale 1e9
    expect_bad "--seed" $b --seed 1.5
    expect_bad "MINI_BENCH_SHM" env MINI_BENCH_SHM=abc $b --scale 0.001
    expect_bad "MINI_BENCH_SHM" env MINI_BENCH_SHM=999 $b --scale 0.001
    case $wl in
    prodcons | server-sim | false-sharing)
        expect_bad "--threads" $b --threads 0
        expect_bad "--threads" $b --threads 1000 ;;
    *) expect_bad "'--threads'" $b --threads 2 ;;
    esac
    if $b --help | grep -q "usage: wl-$wl"; then pass=$((pass + 1)); else
        echo "  FAIL: $b --help"
        fail=$((fail + 1))
    fi
done
expect_bad "--threads must be at least 2" build/bin/wl-prodcons --threads 1
expect_bad "--size" build/bin/wl-size-sweep --size 0
expect_bad "--size" build/bin/wl-size-sweep --size 12q
expect_bad "--mode" build/bin/wl-false-sharing --mode sideways
expect_bad "--idle-ms" build/bin/wl-phase --idle-ms -5

# run-real.sh: a malformed .cmd file names file and line.
tmp=$(mktemp --suffix=.cmd)
trap 'rm -f "$tmp"' EXIT
printf '# ok\nargv: true\nbogus line\n' >"$tmp"
expect_bad "$tmp:3:" bench/workloads/real/run-real.sh "$tmp"
printf 'argv: true\nflavour: x\n' >"$tmp"
expect_bad "$tmp:2: unknown key 'flavour'" bench/workloads/real/run-real.sh "$tmp"
printf '# nothing\n' >"$tmp"
expect_bad "no 'argv:' line" bench/workloads/real/run-real.sh "$tmp"
expect_bad "cannot read" bench/workloads/real/run-real.sh no-such-program

echo "mini-test: $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
