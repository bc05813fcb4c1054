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
#   argv: PROGRAM ARG...        the command, split on spaces (no quoting); required
#
# @ROOT@ in a value stands for the repository root. ARGS are appended to argv (py-alloc takes
# a scale). The script ends by exec'ing the program, so the process the runner started (with
# its LD_PRELOAD, rusage and /proc readings) is the program itself.
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

argv="" stdin=/dev/null needs="" envs=()
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
    argv) argv=$val ;;
    *) echo "$cmd:$lineno: unknown key '$key'" >&2; exit 2 ;;
    esac
done <"$cmd"
[ -n "$argv" ] || { echo "$cmd: no 'argv:' line" >&2; exit 2; }
for p in $needs; do
    command -v "$p" >/dev/null 2>&1 || { echo "skipped: $p not installed" >&2; exit 77; }
done
[ -r "$stdin" ] || { echo "$cmd: cannot read stdin file '$stdin'" >&2; exit 2; }
for e in ${envs[@]+"${envs[@]}"}; do
    export "${e?}"
done
set -f # argv is split on spaces by design, and never globbed
# shellcheck disable=SC2086
exec $argv "$@" <"$stdin"
