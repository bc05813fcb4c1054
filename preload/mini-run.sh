#!/bin/sh
# mini-run [--stats[=text|json]] [--trace FILE] [--debug] [--] PROGRAM ARGS...
#
# Run PROGRAM with libmini as its malloc (LD_PRELOAD=libmini-preload.so), in the spirit of
# jemalloc.sh. The shim is looked up next to this script (../lib/libmini-preload.so, also for an
# installed copy), or at $MINI_PRELOAD when set.
#   --stats, --stats=text   print libmini's statistics at exit (MINI_SHOW_STATS=1)
#   --stats=json            the same as one JSON object (MINI_SHOW_STATS=2)
#   --trace FILE            record every allocation call and OS call into FILE (MINI_TRACE);
#                           read it with mini-trace (dump, stats, replay)
#   --debug                 use the checked build (build/debug/lib/libmini-preload.so)
# Other MINI_* variables (MINI_MMAP_THRESHOLD=256k ...) pass through the environment.
# Exit status: PROGRAM's; 2 for a bad command line; 127 when PROGRAM cannot be run.
set -e

usage() {
    echo "usage: mini-run [--stats[=text|json]] [--trace FILE] [--debug] [--] PROGRAM ARGS..." >&2
    exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
debug=0
while [ $# -gt 0 ]; do
    case $1 in
    --stats | --stats=text) MINI_SHOW_STATS=1; export MINI_SHOW_STATS ;;
    --stats=json) MINI_SHOW_STATS=2; export MINI_SHOW_STATS ;;
    --stats=*) echo "mini-run: --stats: want text or json, not '${1#--stats=}'" >&2; usage ;;
    --trace)
        [ $# -ge 2 ] && [ -n "$2" ] || { echo "mini-run: --trace needs a FILE" >&2; usage; }
        MINI_TRACE=$2; export MINI_TRACE; shift ;;
    --trace=*)
        [ -n "${1#--trace=}" ] || { echo "mini-run: --trace needs a FILE" >&2; usage; }
        MINI_TRACE=${1#--trace=}; export MINI_TRACE ;;
    --debug) debug=1 ;;
    -h | --help)
        sed -n '2,13s/^# \{0,1\}//p' "$0"
        exit 0 ;;
    --) shift; break ;;
    -*) echo "mini-run: unknown option '$1'" >&2; usage ;;
    *) break ;;
    esac
    shift
done
[ $# -gt 0 ] || { echo "mini-run: no PROGRAM" >&2; usage; }

if [ -n "${MINI_PRELOAD:-}" ]; then
    lib=$MINI_PRELOAD
elif [ $debug = 1 ]; then
    lib=$here/../debug/lib/libmini-preload.so
else
    lib=$here/../lib/libmini-preload.so
fi
[ -r "$lib" ] || { echo "mini-run: cannot find the shim: $lib (run make)" >&2; exit 2; }
lib=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")
# A relative trace path stays relative to where mini-run was started (the program may chdir).
case ${MINI_TRACE:-} in
"" | /*) ;;
*) MINI_TRACE=$(pwd)/$MINI_TRACE; export MINI_TRACE ;;
esac
command -v "$1" >/dev/null 2>&1 || { echo "mini-run: $1: command not found" >&2; exit 127; }

LD_PRELOAD=$lib${LD_PRELOAD:+:$LD_PRELOAD}
export LD_PRELOAD
exec "$@"
