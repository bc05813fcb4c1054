# lib.sh — helpers of the shell tests under tests/bench/ (sourced, not run).
#
#   t_ok NAME | t_fail NAME MESSAGE... | t_skip NAME REASON     one result line each
#   t_check NAME COND-COMMAND... -- MESSAGE                      ok if the command succeeds
#   t_done                                                       "mini-test: P passed, ..." and exit
#   csv_cell FILE ROW COLUMN                                     a cell of a CSV (ROW counts from 1)
#   contains HAY NEEDLE, is_num S, num_le A B                     predicates for t_check
#   one_line_error NAME NEEDLE CMD...                            CMD exits 2 with one stderr line
#                                                                containing NEEDLE
# Lines follow tests/harness.h ("  ok   suite: name", "  FAIL ...", "    file:line: ...").

T_SUITE=${MINI_TEST_SUITE:-$(basename "$0" .sh)}
t_pass=0 t_failed=0 t_skipped=0

t_ok() {
    echo "  ok   $T_SUITE: $1"
    t_pass=$((t_pass + 1))
}

t_fail() {
    local name=$1
    shift
    echo "  FAIL $T_SUITE: $name"
    for m in "$@"; do echo "    ${BASH_SOURCE[2]:-$0}:${BASH_LINENO[1]:-0}: $m"; done
    t_failed=$((t_failed + 1))
}

t_skip() {
    echo "  skip $T_SUITE: $1 ($2)"
    t_skipped=$((t_skipped + 1))
}

t_check() {
    local name=$1
    shift
    local cmd=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        cmd+=("$1")
        shift
    done
    shift
    if "${cmd[@]}"; then t_ok "$name"; else t_fail "$name" "$*"; fi
}

t_done() {
    echo "mini-test: $t_pass passed, $t_failed failed, $t_skipped skipped"
    [ "$t_failed" -eq 0 ]
    exit $?
}

csv_cell() {
    awk -F, -v c="$3" -v r="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
        NR == r + 1 && k { print $k }' "$1"
}

# Numeric comparisons through awk (floats).
num_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0 && a != "" && a != "n/a") }'; }
contains() { [[ $1 == *"$2"* ]]; }
is_num() { [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }

one_line_error() {
    local name=$1 needle=$2
    shift 2
    local err rc lines
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    lines=$(printf '%s\n' "$err" | grep -c .)
    if [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && [[ $err == *"$needle"* ]]; then
        t_ok "$name"
    else
        t_fail "$name" "expected exit 2 and one line naming '$needle'; got exit $rc, $lines lines: $err"
    fi
}
