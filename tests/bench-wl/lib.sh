# lib.sh — shared by the bench-wl test scripts (sourced).
#
# alloc_preload NAME — the LD_PRELOAD value for allocator NAME (glibc: empty); exits 77 (skip)
# when the library is not installed. tiny_args NAME — the arguments that make workload NAME
# run in a fraction of a second.

JEMALLOC=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2

alloc_preload() {
    case $1 in
    glibc) echo "" ;;
    jemalloc)
        [ -r "$JEMALLOC" ] || { echo "skipped: $JEMALLOC not installed (libjemalloc2)"; exit 77; }
        echo "$JEMALLOC" ;;
    *) echo "unknown allocator '$1'" >&2; exit 2 ;;
    esac
}

tiny_args() {
    case $1 in
    small-churn | server-sim | size-sweep) echo "--scale 0.01" ;;
    prodcons) echo "--scale 0.02" ;;
    false-sharing) echo "--scale 0.005" ;;
    frag) echo "--scale 0.02 --hold-ms 20" ;;
    realloc-growth) echo "--scale 0.02" ;;
    phase) echo "--scale 0.02 --idle-ms 50 --trim-idle-ms 20" ;;
    *) echo "tiny_args: unknown workload '$1'" >&2; exit 2 ;;
    esac
}

WORKLOADS="small-churn prodcons server-sim false-sharing frag size-sweep realloc-growth phase"
