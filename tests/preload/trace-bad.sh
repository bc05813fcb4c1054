#!/usr/bin/env bash
# trace-bad.sh — mini-trace on truncated, corrupt and wrong input: one line on stderr,
# "mini-trace: FILE: byte OFFSET: what", and exit status 2, never a crash. Then 300 random
# mutations of a small trace (one to four bytes each): each run exits 0 or 2, and a 2 comes with
# exactly that one line. Bad command lines exit 2 with the usage.
set -u
source tests/preload/lib.sh

env LD_PRELOAD="$SHIM" MINI_TRACE="$TMP/good.trc" "$PT/churn" 300 2 >/dev/null
good=$TMP/good.trc
"$MINI_TRACE_BIN" stats "$good" >/dev/null 2>&1 && ok "the reference trace is valid" ||
    bad "the reference trace is not valid: $("$MINI_TRACE_BIN" stats "$good" 2>&1 >/dev/null)"
size=$(stat -c %s "$good")

# expect_bad NAME FILE BYTE [CMD]: status 2, one line naming FILE and byte BYTE.
expect_bad() {
    local name=$1 f=$2 byte=$3 cmd=${4:-stats}
    "$MINI_TRACE_BIN" $cmd "$f" >/dev/null 2>"$TMP/err"
    local rc=$? n
    n=$(wc -l <"$TMP/err")
    if [ $rc -eq 2 ] && [ "$n" -eq 1 ] && grep -q "^mini-trace: $f: byte $byte: " "$TMP/err"; then
        ok "$name: $(cat "$TMP/err" | sed "s|$TMP/||")"
    else
        bad "$name: status $rc, $n lines: $(head -c 300 "$TMP/err")"
    fi
}
mk() { cp "$good" "$TMP/$1"; echo "$TMP/$1"; }
# The offset of the first chunk with at least 8 records (record pokes must hit real records).
C=$("$PY" -c 'import struct, sys
d = open(sys.argv[1], "rb").read()
n = struct.unpack_from("<Q", d, 56)[0]
print(next(4096 + i * 65536 for i in range(n) if struct.unpack_from("<I", d, 4096 + i * 65536 + 12)[0] >= 8))' "$good")
poke() { # poke FILE OFFSET HEXBYTES
    printf "$(echo "$3" | sed 's/\(..\)/\\x\1/g')" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

: >"$TMP/empty"
expect_bad "empty file" "$TMP/empty" 0
head -c 100 "$good" >"$TMP/short"
expect_bad "truncated header" "$TMP/short" 100
for cut in 4096 5000 $((size - 64)) $((size - 1)); do
    head -c $cut "$good" >"$TMP/cut$cut"
    expect_bad "truncated at byte $cut" "$TMP/cut$cut" $cut
done
f=$(mk magic); poke "$f" 0 58
expect_bad "bad magic" "$f" 0
f=$(mk version); poke "$f" 8 07
expect_bad "unknown version" "$f" 8
f=$(mk recsize); poke "$f" 16 30
expect_bad "record size" "$f" 16
f=$(mk flags); poke "$f" 64 f0
expect_bad "header flags" "$f" 64
f=$(mk chunkmagic); poke "$f" 4096 00
expect_bad "chunk magic" "$f" 4096
f=$(mk count); poke "$f" $((4096 + 12)) ffff
expect_bad "count beyond capacity" "$f" $((4096 + 12))
f=$(mk op); poke "$f" $((C + 64 + 5 * 64 + 20)) 63
expect_bad "unknown op" "$f" $((C + 64 + 5 * 64 + 20))
f=$(mk seq); poke "$f" $((C + 64 + 7 * 64 + 24)) 99
expect_bad "record number" "$f" $((C + 64 + 7 * 64 + 24))
f=$(mk tid); poke "$f" $((C + 64 + 3 * 64 + 16)) 01020304
expect_bad "thread id" "$f" $((C + 64 + 3 * 64 + 16))
f=$(mk ts); poke "$f" $((C + 64 + 2 * 64)) 0000000000000000
expect_bad "time stamp" "$f" $((C + 64 + 2 * 64))
f=$(mk dump); poke "$f" 4096 00
expect_bad "dump of a corrupt trace" "$f" 4096 dump
expect_bad "replay of a corrupt trace" "$f" 4096 replay
head -c 20000 /dev/urandom >"$TMP/random"
expect_bad "random bytes" "$TMP/random" 0
expect_bad "no such file" "$TMP/nonexistent" 0
expect_bad "a directory" "$TMP" 0

# Mutations: never a crash; a refusal is one well-formed line.
"$PY" - "$good" "$TMP/mut" <<'PYEOF' >"$TMP/fuzz.log" 2>&1
import os, random, re, subprocess, sys
good, base = sys.argv[1], sys.argv[2]
data = open(good, "rb").read()
rng = random.Random(20240613)
mt = os.path.join(os.getcwd(), "build/bin/mini-trace")
bad = 0
counts = {0: 0, 2: 0}
for i in range(300):
    d = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        # Mostly where the meaning is (header, chunk headers, records), sometimes anywhere.
        if rng.random() < 0.3:
            off = rng.randrange(0, 256)
        elif rng.random() < 0.4:
            off = 4096 + rng.randrange(0, 64) + 65536 * rng.randrange(0, max(1, (len(d) - 4096) // 65536))
        else:
            off = rng.randrange(0, len(d))
        d[off] = rng.randrange(256)
    if rng.random() < 0.2:
        d = d[: rng.randrange(0, len(d))]
    path = f"{base}{i}.trc"
    open(path, "wb").write(d)
    cmd = ["stats", "dump", "replay"][i % 3]
    r = subprocess.run([mt, cmd, path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    err = r.stderr.decode(errors="replace")
    lines = err.splitlines()
    good_refusal = r.returncode == 2 and len(lines) == 1 and re.match(
        r"^mini-trace: " + re.escape(path) + r": byte \d+: .+", lines[0])
    if r.returncode == 0 or good_refusal:
        counts[r.returncode] += 1
    else:
        bad += 1
        print(f"mutation {i} ({cmd}): status {r.returncode}, stderr {err[:200]!r}")
    os.unlink(path)
print(f"mutations: {counts[0]} accepted, {counts[2]} refused, {bad} wrong")
sys.exit(1 if bad else 0)
PYEOF
if [ $? -eq 0 ]; then
    ok "300 mutated traces: $(tail -n 1 "$TMP/fuzz.log")"
else
    bad "mutated traces:"
    tail -n 10 "$TMP/fuzz.log" | sed 's/^/     | /'
fi

usage_case() { # usage_case NAME ARGS...
    local name=$1
    shift
    "$MINI_TRACE_BIN" "$@" >/dev/null 2>"$TMP/err"
    local rc=$?
    [ $rc -eq 2 ] && grep -q '^mini-trace: ' "$TMP/err" && ok "usage: $name ($(head -n 1 "$TMP/err"))" ||
        bad "usage: $name: status $rc"
}
usage_case "no command"
usage_case "unknown command" frobnicate x
usage_case "stats without a file" stats
usage_case "unknown option" stats --bogus "$good"
usage_case "two files" dump "$good" "$good"
usage_case "bad --max-threads" replay --max-threads 0 "$good"
usage_case "--window without marks" stats --window "$good"
finish
