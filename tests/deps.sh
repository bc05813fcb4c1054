#!/usr/bin/env bash
# deps.sh GROUP... — make sure the Debian packages a target needs are installed.
#
# The one place that lists libmini's Debian dependencies. `make test` runs `deps.sh build test`,
# `make bench` runs `deps.sh build bench`. Idempotent: packages already installed are not
# touched, and when nothing is missing it does not call apt at all. As root it installs what
# is missing with apt-get; otherwise it prints the exact command to run and exits 1.
set -euo pipefail

declare -A GROUP
GROUP[build]="gcc g++ make pkg-config libc6-dev libpfm4-dev"
GROUP[test]="clang libclang-rt-14-dev valgrind strace python3 perl sqlite3 git coreutils gnuplot-nox
             time redis-server redis-tools libjemalloc2 procps libbenchmark-dev"
GROUP[bench]="libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 gnuplot-nox libbenchmark-dev
              libpfm4 libpfm4-dev linux-perf sqlite3 python3 procps util-linux strace"
GROUP[lint]="clang-format cppcheck clang-tidy"

usage() {
    echo "usage: $0 {$(echo "${!GROUP[@]}" | tr ' ' '|')}..." >&2
    exit 2
}

[ $# -gt 0 ] || usage
want=()
for g in "$@"; do
    [ -n "${GROUP[$g]+x}" ] || { echo "deps.sh: unknown group '$g'" >&2; usage; }
    # shellcheck disable=SC2206
    want+=(${GROUP[$g]})
done

missing=()
for p in $(printf '%s\n' "${want[@]}" | sort -u); do
    st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [ "${st:0:2}" = "ii" ] || missing+=("$p")
done

[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing Debian packages: ${missing[*]}" >&2
    echo "deps.sh: run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists; an old list may name versions that are gone.
if ! $cmd >/tmp/libmini-deps.log 2>&1; then
    apt-get update -qq >>/tmp/libmini-deps.log 2>&1 || true
    if ! $cmd >>/tmp/libmini-deps.log 2>&1; then
        echo "deps.sh: '$cmd' failed; see /tmp/libmini-deps.log:" >&2
        tail -n 5 /tmp/libmini-deps.log >&2
        exit 1
    fi
fi
# redis-server's package starts a system service; the tests start their own instance.
if printf '%s\n' "${missing[@]}" | grep -qx redis-server; then
    (systemctl disable --now redis-server || service redis-server stop) >/dev/null 2>&1 || true
fi
exit 0
