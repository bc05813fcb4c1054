#!/usr/bin/env bash
# perf_trace.sh KMODEL — input 3, the perf page-touch trace: record a tiny real program with
# `perf record -e minor-faults -c 1 -d`, replay `perf script -F pid,addr --show-mmap-events`
# through the model, and check that the model takes exactly the faults the kernel took
# (E1-type), that read-then-write pairs were recognised, and that RSS is plausible.
set -u
km=${1:?usage: $0 KMODEL}
command -v perf >/dev/null || { echo "perf not installed"; exit 77; }
command -v cc >/dev/null || { echo "no C compiler"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/touch.c" <<'C'
#include <sys/mman.h>
int main(void)
{
    /* 256 pages read then written (2 faults each), 128 more written (1 fault each). */
    volatile char *p = mmap(0, 384 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise((void *)p, 384 * 4096, MADV_NOHUGEPAGE);
    char s = 0;
    for (int i = 0; i < 256; i++)
        s += p[i * 4096];
    for (int i = 0; i < 384; i++)
        p[i * 4096] = 1;
    return s;
}
C
cc -O1 -o "$tmp/touch" "$tmp/touch.c" || { echo "cannot compile"; exit 77; }
if ! perf record -q -e minor-faults -c 1 -d -o "$tmp/t.data" "$tmp/touch" >/dev/null 2>"$tmp/err"; then
    echo "perf record failed (perf_event_paranoid?): $(head -1 "$tmp/err")"
    exit 77
fi
perf script -i "$tmp/t.data" -F pid,addr --show-mmap-events >"$tmp/t.txt" 2>/dev/null
samples=$(grep -vc PERF_RECORD "$tmp/t.txt")
"$km" --perf-trace "$tmp/t.txt" --json --report procs >"$tmp/out.json" || { echo "kmodel failed"; exit 1; }
python3 - "$tmp/out.json" "$samples" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
samples = int(sys.argv[2])
p = d["processes"][0]
ok = fail = 0
def check(cond, what):
    global ok, fail
    print(("  ok   " if cond else "  FAIL ") + what)
    ok, fail = (ok + 1, fail) if cond else (ok, fail + 1)
check(p["perf_minor_faults"] == samples,
      f"model faults {p['perf_minor_faults']} == perf samples {samples}")
check(samples >= 640, f"the program's 640 faults are in the trace ({samples} samples)")
reads = int(d["events"].split("(")[1].split(" taken")[0])
check(reads >= 256, f"{reads} samples recognised as reads (the 256 read-then-write pages)")
check(p["RssAnon_kB"] >= 384 * 4, f"RssAnon {p['RssAnon_kB']} kB covers the 384 written pages")
print(f"mini-test: {ok} passed, {fail} failed, 0 skipped")
sys.exit(1 if fail else 0)
PY
