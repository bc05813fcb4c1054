#!/usr/bin/env bash
# kmodel_alloc_fuzz.sh KMODEL [N] — a deterministic random-mutation fuzzer of input 2 (the
# allocation-trace reader and replay through libmini over the model), run on the ASan+UBSan
# build: N mutants (default 150) of a valid trace (bytes flipped, lines dropped, duplicated,
# swapped or cut, numbers replaced by extremes, NUL bytes, very long lines) on a small machine
# (so that OOM kills, failed allocations and swap happen too). Each run must end with status 0
# (replayed; a killed process is a result) or 2 with one line "file:line: message", never a
# crash or a sanitizer report. Bounded: at most 60 s, then it stops and reports what it ran.
set -u
km=${1:?usage: $0 KMODEL [N]}
n=${2:-150}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
python3 "$here/../kmodel/gen_alloc_trace.py" 11 300 3 48 >"$tmp/seed.trace"
python3 - "$tmp" "$n" <<'PY'
import random, sys
d, n = sys.argv[1], int(sys.argv[2])
seed = open(d + "/seed.trace", "rb").read().split(b"\n")
rnd = random.Random(1234)
extremes = [b"0", b"1", b"0x0", b"18446744073709551615", b"18446744073709551616", b"0xffffffffffffffff",
            b"4096", b"1099511627776", b"9223372036854775807", b"-1", b"", b"0x", b"1e9"]
sizes = [b"0", b"1", b"4096", b"65536", b"1048576", b"134217728", b"1099511627776",
         b"18446744073709551615", b"9223372036854775807"]
def safe(lines):
    """Mutations that keep the trace valid: other sizes and alignments, trims, a cut."""
    for _ in range(rnd.randint(1, 8)):
        k = rnd.randrange(len(lines))
        w = lines[k].split(b" ")
        op = w[1] if w[0].startswith(b"@") else w[0]
        if op == b"m":
            w[-1] = rnd.choice(sizes)
        elif op == b"a":
            w[-2] = b"%d" % (1 << rnd.randrange(64))
        elif op == b"c":
            w[-1] = rnd.choice(sizes)
        else:
            lines.insert(k, b"t %s" % rnd.choice(sizes))
            continue
        lines[k] = b" ".join(w)
    if rnd.random() < 0.3:
        lines = lines[:rnd.randrange(len(lines))]
    return lines
for i in range(n):
    lines = list(seed)
    if i % 2 == 0:
        open("%s/m%04d.trace" % (d, i), "wb").write(b"\n".join(safe(lines[1:])))
        continue
    for _ in range(rnd.randint(1, 6)):
        k = rnd.randrange(len(lines))
        r = rnd.random()
        if r < 0.2:
            del lines[k]
        elif r < 0.35:
            lines.insert(k, lines[rnd.randrange(len(lines))])
        elif r < 0.5:
            j = rnd.randrange(len(lines))
            lines[k], lines[j] = lines[j], lines[k]
        elif r < 0.7:
            w = lines[k].split(b" ")
            w[rnd.randrange(len(w))] = rnd.choice(extremes)
            lines[k] = b" ".join(w)
        elif r < 0.8:
            b = bytearray(lines[k] or b"x")
            b[rnd.randrange(len(b))] = rnd.randrange(256)
            lines[k] = bytes(b)
        elif r < 0.85:
            lines[k] = b"m 999999 " + b"9" * rnd.choice([5, 30, 5000])
        elif r < 0.9:
            lines = lines[:k]
        else:
            lines[k] = rnd.choice([b"t 0", b"f 0", b"@7 m 424242 100", b"r 0 424243 5000",
                                   b"c 424244 4294967296 4294967296", b"a 424245 4096 8192",
                                   b"a 424246 1152921504606846976 10", b"\0", b"@ m 1 2"])
    data = b"\n".join(lines)
    if rnd.random() < 0.3:
        data = data[:rnd.randrange(len(data) + 1)]
    open("%s/m%04d.trace" % (d, i), "wb").write(data)
PY
pass=0 fail=0 n0=0 n2=0 start=$(date +%s)
for f in "$tmp"/m*.trace; do
    if [ $(($(date +%s) - start)) -gt 60 ]; then
        echo "  time budget reached after $((pass + fail)) inputs"
        break
    fi
    ASAN_OPTIONS=detect_leaks=0 timeout 60 "$km" --quiet --set ram=64M --set swap=32M \
        --alloc-trace "$f" >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] && n0=$((n0 + 1))
    [ $rc -eq 2 ] && n2=$((n2 + 1))
    lines=$(wc -l <"$tmp/err")
    if { [ $rc -eq 0 ] || { [ $rc -eq 2 ] && [ "$lines" -eq 1 ] && grep -q "^$f:[0-9]*: " "$tmp/err"; }; } &&
        ! grep -q "Sanitizer\|runtime error" "$tmp/err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "  FAIL $(basename "$f"): status $rc: $(head -c 400 "$tmp/err")"
        cp "$f" "/tmp/kmodel_alloc_fuzz_$(basename "$f")" 2>/dev/null
    fi
done
echo "  $pass inputs handled ($n0 replayed, $n2 refused as bad input), $fail failed (failing inputs kept in /tmp/kmodel_alloc_fuzz_*)"
echo "mini-test: $([ $fail -eq 0 ] && echo 1 || echo 0) passed, $([ $fail -eq 0 ] && echo 0 || echo 1) failed, 0 skipped"
[ "$fail" -eq 0 ]
