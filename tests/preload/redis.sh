#!/usr/bin/env bash
# redis.sh [ALLOCATOR] — redis-server under the shim (or ALLOCATOR: a .so path; /dev/null for
# glibc's malloc), driven by
# redis-benchmark on 127.0.0.1: a free port, no persistence (--save "" --appendonly no), a
# temporary directory, bounded in time, the server killed on every exit path. Checks that it
# works (benchmark completes, data reads back, clean shutdown), not how fast it is; the time
# and peak RSS of the server go to the log.
set -u
source tests/preload/lib.sh
alloc=${1:-$SHIM}

for p in redis-server redis-benchmark redis-cli; do
    command -v $p >/dev/null || { skip "redis ($p not installed: tests/deps.sh test)"; finish; exit; }
done

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$TMP/redis
mkdir -p "$dir"
srv_pid=""
# The server runs under /usr/bin/time (srv_pid), which does not pass signals on: stop the
# server itself, by the pid it writes, then time.
kill_server() {
    local p
    for p in "$(cat "$dir/redis.pid" 2>/dev/null)" "$srv_pid"; do
        [ -n "$p" ] && kill -0 "$p" 2>/dev/null || continue
        kill -TERM "$p" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$p" 2>/dev/null
    done
}
cleanup_hooks+=(kill_server)

stats=MINI_SHOW_STATS=json
[ "$alloc" = "$SHIM" ] || stats=MINI_SHOW_STATS=0
# Debian's redis-server is linked with libjemalloc.so.2, whose malloc comes before glibc's in
# the lookup order: for glibc's malloc, preload libc itself.
pre=$alloc
[ "$alloc" = /dev/null ] && pre=$(ldd "$(command -v redis-server)" | awk '$1 == "libc.so.6" { print $3 }')
/usr/bin/time -o "$dir/time" -f '%e %M' env LD_PRELOAD="$pre" $stats \
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    --daemonize no --logfile "$dir/redis.log" --pidfile "$dir/redis.pid" --protected-mode yes \
    >"$dir/out" 2>"$dir/err" </dev/null &
srv_pid=$!
# /usr/bin/time is the child; the server is its child. Wait for the port.
up=0
for _ in $(seq 1 100); do
    if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then up=1; break; fi
    kill -0 "$srv_pid" 2>/dev/null || break
    sleep 0.1
done
if [ $up = 1 ]; then
    ok "redis-server answers on 127.0.0.1:$port"
else
    bad "redis-server did not start"
    sed 's/^/     | /' "$dir/err" "$dir/redis.log" 2>/dev/null | tail -n 10
    finish
    exit
fi

b0=$(date +%s.%N)
if timeout 60 redis-benchmark -h 127.0.0.1 -p "$port" -q -n 3000 -c 4 -d 100 \
    -t set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,lrange_100 >"$TMP/bench" 2>&1; then
    echo "  redis-benchmark wall $(awk -v a="$b0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')s"
    nlines=$(grep -c 'requests per second' "$TMP/bench")
    if [ "$nlines" -ge 11 ]; then
        ok "redis-benchmark: $nlines tests completed"
    else
        bad "redis-benchmark: $nlines of 11 tests completed"
    fi
    sed 's/^/     | /' "$TMP/bench" | tr '\r' '\n' | grep 'requests per second' | head -n 11
else
    bad "redis-benchmark failed or timed out"
    tail -n 5 "$TMP/bench" | sed 's/^/     | /'
fi

cli() { timeout 10 redis-cli -h 127.0.0.1 -p "$port" "$@"; }
cli set libmini:key "$(printf 'v%.0s' $(seq 1 5000))" >/dev/null
cli rpush libmini:list a b c d e >/dev/null
got=$(cli get libmini:key | wc -c)
lst=$(cli lrange libmini:list 0 -1 | tr '\n' ' ')
if [ "$got" -eq 5001 ] && [ "$lst" = "a b c d e " ]; then
    ok "data written and read back"
else
    bad "read back: $got bytes, list '$lst'"
fi
mem=$(cli info memory | tr -d '\r' | sed -n 's/^used_memory:\(.*\)/\1/p')
echo "  redis used_memory (as redis counts it): ${mem:-?} bytes"

cli shutdown nosave >/dev/null 2>&1
for _ in $(seq 1 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$srv_pid" 2>/dev/null; then
    bad "redis-server did not shut down"
else
    wait "$srv_pid"
    rc=$?
    srv_pid=""
    [ $rc -eq 0 ] && ok "redis-server shut down cleanly" || bad "redis-server exit status $rc"
fi
read -r secs kb < <(tail -n 1 "$dir/time")
echo "  redis-server under $(basename "$alloc"): ${secs}s, peak RSS ${kb} KiB"
if [ "$alloc" = "$SHIM" ]; then
    nm=$(stats_json_sum n_malloc "$dir/err")
    [ "$nm" -gt 1000 ] && ok "libmini served $nm allocations of redis-server" ||
        bad "libmini served $nm allocations of redis-server"
fi
finish
