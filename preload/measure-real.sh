#!/usr/bin/env bash
# measure-real.sh [-n RUNS] [NAME...] — time and peak RSS of each real program of tests/preload
# (workloads.sh, and redis-server under redis-benchmark) with glibc's malloc, jemalloc and libmini,
# and the ratios libmini/glibc and libmini/jemalloc. Run from the repository root after `make`.
#
# Each program runs once per allocator (-n RUNS: that many times, the median is kept), measured by
# /usr/bin/time -f '%e %M': wall seconds and the peak RSS of the largest process (KiB). For redis,
# the time is the wall time of the fixed redis-benchmark run and the RSS the server's. The outputs
# of the three runs are compared (a difference is reported: the numbers would be meaningless).
# The machine is shared and noisy: read ratios within ~10 % as equal.
set -u
cd "$(dirname "$0")/.."
source tests/preload/lib.sh
source tests/preload/workloads.sh

runs=1
if [ "${1:-}" = -n ]; then
    runs=${2:?-n wants a number}
    shift 2
fi
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($WORKLOADS redis)
[ -r "$JEMALLOC" ] || { echo "measure-real.sh: $JEMALLOC missing (tests/deps.sh test)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "measure-real.sh: /usr/bin/time missing (tests/deps.sh test)" >&2; exit 2; }

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

declare -A T M
for name in "${names[@]}"; do
    for a in glibc jemalloc libmini; do
        case $a in glibc) pre= ;; jemalloc) pre=$JEMALLOC ;; libmini) pre=$SHIM ;; esac
        ts=() ms=()
        for r in $(seq 1 "$runs"); do
            if [ "$name" = redis ]; then
                bash tests/preload/redis.sh ${pre:-/dev/null} >"$TMP/redis.log" 2>&1
                # redis.sh prints: "redis-benchmark wall Xs" and "redis-server under Y: Zs, peak RSS K KiB"
                ts+=("$(sed -n 's/^  redis-benchmark wall \([0-9.]*\)s.*/\1/p' "$TMP/redis.log")")
                ms+=("$(sed -n 's/.*peak RSS \([0-9]*\) KiB$/\1/p' "$TMP/redis.log")")
                grep -q 'mini-test: [0-9]* passed, 0 failed' "$TMP/redis.log" ||
                    echo "measure-real.sh: redis under $a did not pass its checks" >&2
                continue
            fi
            workload "$name" || { echo "measure-real.sh: $name: not available" >&2; continue 2; }
            export OUT=$TMP/$a.$r
            mkdir -p "$OUT"
            eval "$prep"
            if [ -n "$pre" ]; then
                run_timed "$TMP/$a.$r" env LD_PRELOAD="$pre" "${cmd[@]}"
            else
                run_timed "$TMP/$a.$r" env -u LD_PRELOAD "${cmd[@]}"
            fi
            read -r s kb < <(tail -n 1 "$TMP/$a.$r.time")
            ts+=("$s")
            ms+=("$kb")
            if [ "$a" != glibc ] && ! cmp -s "$TMP/glibc.1.out" "$TMP/$a.$r.out"; then
                echo "measure-real.sh: $name: output under $a differs from glibc's" >&2
            fi
        done
        T[$name.$a]=$(printf '%s\n' "${ts[@]}" | median)
        M[$name.$a]=$(printf '%s\n' "${ms[@]}" | median)
    done
done

printf '%-9s %9s %9s %9s %10s %10s %10s   %s\n' program glibc_s jemalloc_s libmini_s \
    glibc_KiB jem_KiB mini_KiB "time mini/glibc mini/jem   RSS mini/glibc mini/jem"
for name in "${names[@]}"; do
    [ -n "${T[$name.glibc]:-}" ] || continue
    printf '%-9s %9s %9s %9s %10s %10s %10s   %15s %8s %15s %8s\n' "$name" \
        "${T[$name.glibc]}" "${T[$name.jemalloc]}" "${T[$name.libmini]}" \
        "${M[$name.glibc]}" "${M[$name.jemalloc]}" "${M[$name.libmini]}" \
        "$(ratio "${T[$name.libmini]}" "${T[$name.glibc]}")" "$(ratio "${T[$name.libmini]}" "${T[$name.jemalloc]}")" \
        "$(ratio "${M[$name.libmini]}" "${M[$name.glibc]}")" "$(ratio "${M[$name.libmini]}" "${M[$name.jemalloc]}")"
done
