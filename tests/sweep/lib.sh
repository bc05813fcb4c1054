# lib.sh — helpers of the shell tests under tests/sweep/ (sourced, not run).
#
#   ok NAME | fail NAME MESSAGE | skip NAME REASON   one result line each (tests/harness.h style)
#   check NAME MESSAGE COMMAND...                    ok if COMMAND succeeds, else fail
#   done_tests                                       "mini-test: P passed, F failed, S skipped"
#   need_root_cgroup                                 exit 77 with the reason unless root with a
#                                                    cgroup v1 memory controller with memsw
#   settings                                         the VM settings the sweep touches, one line
#                                                    each, to compare before and after
#   settings_diff BEFORE AFTER                       the lines that differ, on one line
#   repair_stale_journal BIN JOURNAL                 put back what a SIGKILLed experiment left
#                                                    (mini-sweep --restore) before "before" is
#                                                    taken; non-zero if the journal is held by
#                                                    a run or cannot be replayed

SUITE=${MINI_TEST_SUITE:-$(basename "$0" .sh)}
n_pass=0 n_fail=0 n_skip=0

ok() {
    echo "  ok   $SUITE: $1"
    n_pass=$((n_pass + 1))
}

fail() {
    echo "  FAIL $SUITE: $1"
    echo "    ${BASH_SOURCE[1]}:${BASH_LINENO[0]}: $2"
    n_fail=$((n_fail + 1))
}

skip() {
    echo "  skip $SUITE: $1 ($2)"
    n_skip=$((n_skip + 1))
}

check() {
    local name=$1 msg=$2
    shift 2
    if "$@"; then ok "$name"; else fail "$name" "$msg"; fi
}

done_tests() {
    echo "mini-test: $n_pass passed, $n_fail failed, $n_skip skipped"
    [ "$n_fail" -eq 0 ]
    exit $?
}

need_root_cgroup() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "skipped: needs root (the sweep changes sysctls, swap and memory cgroups)"
        exit 77
    fi
    if [ ! -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
        echo "skipped: no cgroup v1 memory controller with memsw at /sys/fs/cgroup/memory"
        exit 77
    fi
}

settings() {
    local k
    for k in overcommit_memory overcommit_ratio swappiness nr_hugepages; do
        echo "vm.$k=$(cat /proc/sys/vm/$k)"
    done
    echo "swap files: $(tail -n +2 /proc/swaps | awk '{print $1}' | grep libmini-sweep | tr '\n' ' ')"
    echo "sweep cgroups: $(cd /sys/fs/cgroup/memory && ls -d libmini-sweep-* 2>/dev/null | tr '\n' ' ')"
    echo "scratch files: $(ls /var/tmp/libmini-sweep.swap /var/tmp/libmini-sweep.data 2>/dev/null | tr '\n' ' ')"
}

settings_diff() {
    diff <(echo "$1") <(echo "$2") | grep '^[<>]' | sed 's/^</before:/; s/^>/after:/' | tr '\n' ' '
}

repair_stale_journal() {
    local bin=$1 journal=$2
    [ -s "$journal" ] || return 0
    flock -n "$journal" true || return 1
    echo "  note: $journal was left non-empty by a killed experiment; mini-sweep --restore"
    "$bin/mini-sweep" --restore --journal "$journal" | sed 's/^/    /'
    return "${PIPESTATUS[0]}"
}
