#!/usr/bin/env bash
# bad_input.sh KMODEL — bad input gives "file:line: message" (or a byte offset) and exit status 2,
# never a crash: unknown directives, bad sizes, truncated input, runtime errors in the input,
# bad options, malformed calibration and perf traces.
set -u
km=${1:?usage: $0 KMODEL}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# check NAME EXPECTED_STATUS EXPECTED_STDERR_SUBSTRING -- ARGS...
check() {
    local name=$1 want=$2 msg=$3
    shift 4
    local out rc
    out=$("$km" "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -eq "$want" ] && [[ $out == *"$msg"* ]] && [ "$(printf '%s\n' "$out" | wc -l)" -le 2 ]; then
        pass=$((pass + 1))
        echo "  ok   $name"
    else
        fail=$((fail + 1))
        echo "  FAIL $name: status $rc (want $want), stderr: $out (want '$msg')"
    fi
}

scen() { printf '%b' "$2" >"$tmp/$1.scen"; }

scen unknown 'machine ram=1G\nprocess p\nfrobnicate 12\n'
check unknown-directive 2 "unknown.scen:3: unknown directive 'frobnicate" -- "$tmp/unknown.scen"
scen badsize 'process p\np mmap a 12Q\n'
check bad-size 2 "badsize.scen:2: bad mapping size '12Q'" -- "$tmp/badsize.scen"
scen overflow 'process p\np mmap a 99999999999999999999999G\n'
check size-overflow 2 "overflow.scen:2: bad mapping size" -- "$tmp/overflow.scen"
scen truncated 'process p\nrepeat 3\np mmap a 4K\n'
check repeat-without-end 2 "truncated.scen:2: repeat without end" -- "$tmp/truncated.scen"
scen strayend 'end\n'
check end-without-repeat 2 "strayend.scen:1: end without repeat" -- "$tmp/strayend.scen"
scen badram 'machine ram=12K\n'
check machine-too-small 2 "badram.scen:1: bad ram size" -- "$tmp/badram.scen"
scen late 'process p\nmachine ram=1G\n'
check machine-after-process 2 "late.scen:2: machine must come before" -- "$tmp/late.scen"
scen sysctl 'sysctl vm.swappiness=300\n'
check bad-sysctl-value 2 "sysctl.scen:1: bad vm.swappiness '300'" -- "$tmp/sysctl.scen"
scen unksysctl 'sysctl vm.frob=1\n'
check unknown-sysctl 2 "unksysctl.scen:1: unknown sysctl 'vm.frob'" -- "$tmp/unksysctl.scen"
scen novar 'process p\np touch nothere write\n'
check unknown-variable-at-runtime 2 "novar.scen:2: unknown variable 'nothere'" -- "$tmp/novar.scen"
scen noproc 'q mmap a 4K\n'
check unknown-process-at-runtime 2 "noproc.scen:1: unknown process 'q'" -- "$tmp/noproc.scen"
scen range 'process p\np mmap a 8K\np touch a 4K 1M write\n'
check range-beyond-variable 2 "range.scen:3: range beyond the end of 'a'" -- "$tmp/range.scen"
scen badmode 'process p\np mmap a 8K\np touch a scribble\n'
check bad-touch-mode 2 "badmode.scen:3: unknown touch mode 'scribble'" -- "$tmp/badmode.scen"
scen badexp 'process p\np mmap a 8K expect=maybe\n'
check bad-expect 2 "badexp.scen:2: bad expect= value 'maybe'" -- "$tmp/badexp.scen"
printf 'process p\n\0\n' >"$tmp/nul.scen"
check nul-byte 2 "nul.scen:2: NUL byte" -- "$tmp/nul.scen"
head -c 5000 /dev/zero | tr '\0' 'x' >"$tmp/long.scen"
check long-line 2 "long.scen:1: line longer than 4096 bytes" -- "$tmp/long.scen"
check missing-file 2 "nosuch.scen: No such file" -- "$tmp/nosuch.scen"
check unknown-option 2 "unknown option '--frob'" -- --frob x
check bad-set 2 "--set:0: unknown sysctl 'frob'" -- --set frob=1 "$tmp/range.scen"
echo '{"fault_write_ns": 2000, "memset_gbps": }' >"$tmp/cal.json"
check bad-calibration 2 "cal.json:1: value of \"memset_gbps\" is not a number" -- --calibration "$tmp/cal.json" "$tmp/range.scen"
echo '{"fault_write_ns": 2000' >"$tmp/cal2.json"
check truncated-calibration 2 "cal2.json:2: expected ',' or '}'" -- --calibration "$tmp/cal2.json" "$tmp/range.scen"
echo '{"fault_write_ns": -5, "memset_gbps": 10}' >"$tmp/cal3.json"
check negative-cost 2 "cal3.json:1: value of \"fault_write_ns\" is negative" -- --calibration "$tmp/cal3.json" "$tmp/range.scen"
printf ' 100 7f0000001000\n 100 PERF_RECORD_MMAP2 100/100: [0x7f0000000000(0x1000) @ 0 00:00 0 0]: rw-p //anon\n 100 zzzz\n' >"$tmp/t.txt"
check perf-bad-address 2 "t.txt:3: expected a hexadecimal data address" -- --perf-trace "$tmp/t.txt"
printf ' 100 PERF_RECORD_MMAP2 100/100: [0x7f0000000000(0x1' >"$tmp/t2.txt"
check perf-truncated 2 "t2.txt:1: bad MMAP2 length" -- --perf-trace "$tmp/t2.txt"
printf '  pt  3047  1217.673877:  1 minor-faults:  ffffffff8175336a elf_load\n' >"$tmp/t3.txt"
check perf-wrong-format 2 "t3.txt:1: expected 'PID ADDR'" -- --perf-trace "$tmp/t3.txt"
# An expectation that does not hold is not bad input: status 1, with file:line.
scen expectfail 'process p\np mmap a 8K\nexpect p.minflt == 5\n'
check failed-expectation 1 "expectfail.scen:3: expectation failed: p.minflt = 0, expected == 5" -- "$tmp/expectfail.scen"
echo "mini-test: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
