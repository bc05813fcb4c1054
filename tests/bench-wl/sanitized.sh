#!/usr/bin/env bash
# sanitized.sh DIR WORKLOAD — run DIR/bin/wl-WORKLOAD (an asan or tsan build) at a tiny scale:
# the workload's own code must be free of memory errors, undefined behaviour and data races
# (any report makes the sanitizer exit non-zero).
set -uo pipefail
here=$(dirname "$0")
. "$here/lib.sh"
args=$(tiny_args "$2") || exit 2
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}
# shellcheck disable=SC2086
"$1/bin/wl-$2" $args >/dev/null
