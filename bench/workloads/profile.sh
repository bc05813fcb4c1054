#!/usr/bin/env bash
# profile.sh [-s SCALE] [ALLOC...] — run every workload (and the real programs) once per
# allocator and print wall time, user+sys time and peak RSS (VmHWM, via GNU time's %M) as a
# Markdown table: a quick way to size the benchmark profile. ALLOC is glibc, jemalloc,
# mimalloc or tcmalloc (default: glibc jemalloc); a missing library is reported as skipped.
# The phase workload includes its idles (5 s + 1 s by default).
set -uo pipefail
cd "$(dirname "$0")/../.."
scale=1.0
while getopts "s:" o; do
    case $o in
    s) scale=$OPTARG ;;
    *) echo "usage: $0 [-s SCALE] [ALLOC...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- glibc jemalloc
command -v /usr/bin/time >/dev/null || { echo "profile.sh: /usr/bin/time missing (apt-get install time)" >&2; exit 2; }
lib() {
    case $1 in
    glibc) echo "" ;;
    jemalloc) echo /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ;;
    mimalloc) echo /usr/lib/x86_64-linux-gnu/libmimalloc.so.2 ;;
    tcmalloc) echo /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 ;;
    libmini) echo "$PWD/build/lib/libmini-preload.so" ;;
    *) echo "profile.sh: unknown allocator '$1'" >&2; exit 2 ;;
    esac
}
for a in "$@"; do lib "$a" >/dev/null || exit 2; done
progs="small-churn prodcons server-sim false-sharing frag size-sweep realloc-growth phase real:sqlite real:py-alloc"
hdr="| workload |"
for a in "$@"; do hdr="$hdr $a wall s | $a user+sys s | $a peak RSS MiB |"; done
echo "$hdr"
echo "|---|$(for _ in "$@"; do printf -- '---:|---:|---:|'; done)"
for p in $progs; do
    row="| $p |"
    for a in "$@"; do
        l=$(lib "$a") || exit 2
        if [ -n "$l" ] && [ ! -r "$l" ]; then row="$row skipped | | |"; continue; fi
        if [[ $p == real:* ]]; then
            cmd=(bench/workloads/real/run-real.sh "${p#real:}")
        else
            cmd=("build/bin/wl-$p" --scale "$scale")
        fi
        t=$(mktemp)
        if LD_PRELOAD=$l /usr/bin/time -o "$t" -f '%e %U %S %M' "${cmd[@]}" >/dev/null 2>&1; then
            read -r e u s m <"$t"
            row="$row $e | $(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}') | $(awk -v m="$m" 'BEGIN{printf "%.0f", m/1024}') |"
        else
            row="$row failed | | |"
        fi
        rm -f "$t"
    done
    echo "$row"
done
