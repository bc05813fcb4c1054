#!/usr/bin/env bash
# interrupt.sh BIN — a sweep interrupted in the middle of a run leaves every setting as it was.
#
# Real sweeps (build/bin/mini-sweep, small: L = 48 MiB, a 96 MiB swap file, overcommit mode
# set to a value other than the machine's, swappiness 200 in the cgroup) are stopped:
#   sigint     SIGINT while the real wl-anon-over runs in its cgroup
#   sigterm    SIGTERM while a workload that sleeps runs in its cgroup (the workload is killed)
#   crash      a workload that dies of SIGSEGV: the sweep records "crashed", goes on, exits 1
#   segv       the driver itself dies of SIGSEGV in the middle of a run
#   sigkill    the driver is SIGKILLed: the settings stay changed until the next sweep starts
#              and repairs them from the journal (sigkill-restore: until mini-sweep --restore)
# After each: vm.overcommit_memory / ratio / swappiness / nr_hugepages, the swap file, the
# sweep's memory cgroups and scratch files are as before, the journal is empty, and the
# workload's processes are gone. Root only (exit 77 otherwise); about 20 s.
set -u
bin=${1:?usage: $0 BIN}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/sweep/lib.sh
. "$here/lib.sh"
need_root_cgroup
journal=/var/tmp/libmini-vmctl.journal
if [ -e "$journal" ] && ! flock -n "$journal" true || ! repair_stale_journal "$bin" "$journal"; then
    echo "skipped: another experiment holds $journal (a sweep or make validate-model is running)"
    exit 77
fi

tmp=$(mktemp -d /tmp/libmini-sweep-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
before=$(settings)
cur=$(cat /proc/sys/vm/overcommit_memory)
oc=$([ "$cur" = 1 ] && echo 0 || echo 1)
common=(--limit 48M --swaps 96M --oc "$oc" --swappiness 200 --workloads anon-over
        --allocs glibc,libmini --no-model --timeout 30 --budget 120)

# Fake workloads: one that sleeps (recording its pid), one that crashes.
mkdir -p "$tmp/sleeper" "$tmp/crasher"
printf '#!/bin/sh\necho $$ > %s/sleeper.pid\nexec sleep 60\n' "$tmp" >"$tmp/sleeper/wl-anon-over"
printf '#!/bin/sh\nkill -SEGV $$\n' >"$tmp/crasher/wl-anon-over"
chmod +x "$tmp/sleeper/wl-anon-over" "$tmp/crasher/wl-anon-over"

# Waits until a run is in progress: the sweep's overcommit value is set and its cgroup has a
# task (at most 30 s). Returns 1 if the sweep ended first.
mid_run() {
    local pid=$1 i
    for ((i = 0; i < 3000; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        if [ "$(cat /proc/sys/vm/overcommit_memory)" = "$oc" ] &&
            cat /sys/fs/cgroup/memory/libmini-sweep-*/cgroup.procs 2>/dev/null | grep -q .; then
            return 0
        fi
        sleep 0.01
    done
    return 1
}

same_settings() {
    local now
    now=$(settings)
    [ "$now" = "$before" ] || { echo "    $(settings_diff "$before" "$now")"; return 1; }
}

journal_empty() { [ ! -s "$journal" ]; }

# A killed workload whose parent (the driver) died too is a zombie until init reaps it.
gone() {
    local i st
    for ((i = 0; i < 200; i++)); do
        st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
        [ -z "$st" ] || [ "$st" = Z ] && return 0
        sleep 0.01
    done
    return 1
}

# interrupted NAME SIGNAL EXPECTED_RC [--wl-path DIR]: start, wait for mid-run, signal, check.
interrupted() {
    local name=$1 sig=$2 want=$3
    shift 3
    rm -f "$tmp/sleeper.pid"
    "$bin/mini-sweep" --out "$tmp/$name" "${common[@]}" "$@" >"$tmp/$name.log" 2>&1 &
    local pid=$!
    if ! mid_run "$pid"; then
        wait "$pid"
        fail "$name: mid-run" "the sweep ended before a run was seen in progress (see below)"
        sed 's/^/    /' "$tmp/$name.log" | tail -5
        return
    fi
    check "$name: a run in progress" "swap file not active" grep -q libmini-sweep /proc/swaps
    kill "-$sig" "$pid"
    wait "$pid"
    local rc=$?
    check "$name: exit status $want" "got $rc" test "$rc" = "$want"
    if [ "$sig" = KILL ]; then
        check "$name: settings still changed after SIGKILL" "nothing was left to repair" \
            test -s "$journal"
        if [ "$name" = sigkill-restore ]; then
            # mini-sweep --restore replays the journal and nothing else.
            "$bin/mini-sweep" --restore >"$tmp/repair.log" 2>&1
            local rrc=$?
            check "$name: --restore exits 0 and says so" "rc $rrc: $(tr '\n' ' ' <"$tmp/repair.log")" \
                grep -q "restored the settings an interrupted experiment left" "$tmp/repair.log"
        else
            # The next sweep repairs them first (one tiny real run: overask-ram, mode 0, no swap).
            "$bin/mini-sweep" --out "$tmp/repair" --oc 0 --swaps none --workloads overask-ram \
                --allocs glibc --no-model >"$tmp/repair.log" 2>&1
            check "$name: the next sweep repaired the settings" "no repair message" \
                grep -q "repairing settings" "$tmp/repair.log"
        fi
    fi
    check "$name: every setting is back" "settings differ" same_settings
    check "$name: journal empty" "$journal is not empty" journal_empty
    if [ -s "$tmp/sleeper.pid" ]; then
        local wpid
        wpid=$(cat "$tmp/sleeper.pid")
        check "$name: the workload is gone" "process $wpid still runs" gone "$wpid"
    fi
}

interrupted sigint INT 130
interrupted sigterm TERM 143 --wl-path "$tmp/sleeper"
interrupted segv SEGV 139 --wl-path "$tmp/sleeper"
interrupted sigkill KILL 137 --wl-path "$tmp/sleeper"
interrupted sigkill-restore KILL 137 --wl-path "$tmp/sleeper"
"$bin/mini-sweep" --restore >"$tmp/restore2.log" 2>&1
check "--restore with nothing to restore" "$(cat "$tmp/restore2.log")" \
    grep -q "nothing to restore" "$tmp/restore2.log"

# A crashing workload: the sweep goes on, records it, exits 1, restores everything.
"$bin/mini-sweep" --out "$tmp/crash" "${common[@]}" --wl-path "$tmp/crasher" >"$tmp/crash.log" 2>&1
rc=$?
check "crash: exit status 1" "got $rc" test "$rc" = 1
check "crash: recorded as crashed" "runs.csv has no crashed row" \
    grep -q ',crashed,signal 11 (SEGV),' "$tmp/crash/runs.csv"
check "crash: both allocators ran" "expected 2 rows" test "$(grep -c ',crashed,' "$tmp/crash/runs.csv")" = 2
check "crash: every setting is back" "settings differ" same_settings
check "crash: session says restored" "settings_restored is not true" \
    grep -q '"settings_restored": true' "$tmp/crash/session.json"
done_tests
