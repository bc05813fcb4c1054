#!/usr/bin/env bash
# run-real.sh NAME|FILE.cmd [ARGS...] — run one real program of the benchmark suite.
#
# A real program is described by bench/workloads/real/NAME.cmd, lines of "key: value":
#
#   # comment
#   needs: sqlite3              programs that must be on PATH (space-separated); if one is
#                               missing this script prints "skipped: ..." and exits 77
#   live: none                  the program reports no live bytes: fragmentation is
#                               "n/a (external program)" (the only value for now)
#   env: NAME=VALUE             set in the program's environment (any number of lines)
#   stdin: PATH                 standard input (optional; default /dev/null)
#   scale: DEFAULT              the program takes a scale (a number > 0): the first of ARGS
#                               when given, else DEFAULT; @SCALE@ in values stands for it
#   argv: PROGRAM ARG...        the command, split on spaces (no quoting); required
#   arg: TEXT                   one more argument, appended after argv's words as it is
#                               (spaces kept; any number of lines, in order)
#
# @ROOT@ in a value stands for the repository root. ARGS (after the scale, for a program that
# takes one) are appended to the command. The script ends by exec'ing the program, so the
# process the runner started (with its LD_PRELOAD, rusage and /proc readings) is the program
# itself.
#
# Recording an allocation trace: with MINI_BENCH_TRACE_TO=FILE and MINI_BENCH_TRACE_PRELOAD=LIB
# in the environment (bench/run-bench sets them), the program alone runs with LD_PRELOAD=LIB
# and MINI_TRACE=FILE: this script's own shell, and what it runs before the exec, are neither
# preloaded nor traced.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 NAME|FILE.cmd [ARGS...]" >&2; exit 2; }
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
cmd=$1
shift
case $cmd in
*.cmd) ;;
*) cmd=$here/$cmd.cmd ;;
esac
[ -r "$cmd" ] || { echo "run-real.sh: cannot read '$cmd'" >&2; exit 2; }

argv="" stdin=/dev/null needs="" envs=() args=() scale=""
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    case $line in '' | '#'*) continue ;; esac
    key=${line%%:*}
    val=${line#*:}
    val=${val# }
    [ "$key" != "$line" ] || { echo "$cmd:$lineno: expected 'key: value'" >&2; exit 2; }
    val=${val//@ROOT@/$root}
    case $key in
    needs) needs="$needs $val" ;;
    live) [ "$val" = none ] || { echo "$cmd:$lineno: live: only 'none' is known" >&2; exit 2; } ;;
    env)
        [[ $val == [A-Za-z_]*=* ]] || { echo "$cmd:$lineno: env: want NAME=VALUE" >&2; exit 2; }
        envs+=("$val") ;;
    stdin) stdin=$val ;;
    scale)
        [[ $val =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "$cmd:$lineno: scale: want a number" >&2; exit 2; }
        scale=$val ;;
    argv) argv=$val ;;
    arg) args+=("$val") ;;
    *) echo "$cmd:$lineno: unknown key '$key'" >&2; exit 2 ;;
    esac
done <"$cmd"
[ -n "$argv" ] || { echo "$cmd: no 'argv:' line" >&2; exit 2; }
if [ -n "$scale" ] && [ $# -gt 0 ]; then
    [[ $1 =~ ^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]] && awk -v s="$1" 'BEGIN { exit !(s + 0 > 0) }' ||
        { echo "run-real.sh: $cmd: bad scale '$1' (want a number > 0)" >&2; exit 2; }
    scale=$1
    shift
fi
argv=${argv//@SCALE@/$scale}
for i in "${!args[@]}"; do args[i]=${args[i]//@SCALE@/$scale}; done
for i in "${!envs[@]}"; do envs[i]=${envs[i]//@SCALE@/$scale}; done
for p in $needs; do
    command -v "$p" >/dev/null 2>&1 || { echo "skipped: $p not installed" >&2; exit 77; }
done
[ -r "$stdin" ] || { echo "$cmd: cannot read stdin file '$stdin'" >&2; exit 2; }
for e in ${envs[@]+"${envs[@]}"}; do
    export "${e?}"
done
if [ -n "${MINI_BENCH_TRACE_TO:-}" ]; then
    [ -r "${MINI_BENCH_TRACE_PRELOAD:-}" ] ||
        { echo "run-real.sh: MINI_BENCH_TRACE_PRELOAD: cannot read '${MINI_BENCH_TRACE_PRELOAD:-}'" >&2; exit 2; }
    export LD_PRELOAD=$MINI_BENCH_TRACE_PRELOAD MINI_TRACE=$MINI_BENCH_TRACE_TO
    unset MINI_BENCH_TRACE_TO MINI_BENCH_TRACE_PRELOAD
fi
set -f # argv is split on spaces by design, and never globbed
# shellcheck disable=SC2086
exec $argv ${args[@]+"${args[@]}"} "$@" <"$stdin"
