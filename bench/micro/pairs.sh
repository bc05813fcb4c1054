#!/usr/bin/env bash
# pairs.sh [-o DIR] [-t MIN_TIME] [-r REPS] [ALLOC...] — ns per malloc+free pair per size, one
# thread and two threads, for each allocator (glibc jemalloc mimalloc tcmalloc libmini; default
# glibc jemalloc mimalloc tcmalloc), as a Markdown table (bench/micro/pairs-table.py).
# Runs build/bin/mini-micro --benchmark_filter='^pair/' under each LD_PRELOAD and keeps the
# JSON in DIR (default build/micro). With -r REPS > 1 the table shows the median repetition.
# An allocator whose library is missing is reported as skipped.
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=build/micro mt=0.5 reps=1
while getopts "o:t:r:" o; do
    case $o in
    o) dir=$OPTARG ;;
    t) mt=$OPTARG ;;
    r) reps=$OPTARG ;;
    *) echo "usage: $0 [-o DIR] [-t MIN_TIME] [-r REPS] [ALLOC...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- glibc jemalloc mimalloc tcmalloc
[ -x build/bin/mini-micro ] || { echo "pairs.sh: build/bin/mini-micro missing (make)" >&2; exit 2; }
mkdir -p "$dir"
args=()
for a in "$@"; do
    case $a in
    glibc) l="" ;;
    jemalloc) l=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ;;
    mimalloc) l=/usr/lib/x86_64-linux-gnu/libmimalloc.so.2 ;;
    tcmalloc) l=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 ;;
    libmini) l=$PWD/build/lib/libmini-preload.so ;;
    *) echo "pairs.sh: unknown allocator '$a'" >&2; exit 2 ;;
    esac
    if [ -n "$l" ] && [ ! -r "$l" ]; then
        echo "$a: skipped: $l not installed" >&2
        continue
    fi
    extra=()
    [ "$reps" -gt 1 ] && extra=(--benchmark_repetitions="$reps")
    echo "+ LD_PRELOAD=$l build/bin/mini-micro --benchmark_filter='^pair/' --benchmark_min_time=$mt ${extra[*]} --benchmark_format=json --benchmark_out=$dir/pairs-$a.json" >&2
    LD_PRELOAD=$l build/bin/mini-micro --benchmark_filter='^pair/' --benchmark_min_time="$mt" \
        "${extra[@]}" --benchmark_format=json --benchmark_out="$dir/pairs-$a.json" >/dev/null 2>&1 ||
        { echo "pairs.sh: mini-micro failed under $a" >&2; exit 1; }
    args+=("$a=$dir/pairs-$a.json")
done
[ ${#args[@]} -gt 0 ] || exit 0
python3 bench/micro/pairs-table.py "${args[@]}"
