#!/usr/bin/env bash
# alloc_trace.sh KMODEL KMODEL_ALLOC_REAL — input 2: an allocation trace replayed through
# libmini over the model (kmodel --alloc-trace) against the same trace replayed through libmini
# over the real kernel (kmodel-alloc-real, no root needed):
#   - libmini makes the same decisions in both (its brk/mmap/munmap/mremap/madvise counts and
#     its peak mapped bytes are equal), single- and multi-threaded;
#   - the model's minor faults and anonymous RSS match the real ones (the real run also pays
#     for its thread stacks: a few pages);
#   - on a small machine the same trace ends in an OOM kill, under overcommit 2 in failed
#     allocations, with swap in swapping;
#   - the default mincore mode (--alloc-sync N) is within 2 %, the userfaultfd mode exact but
#     for the real run's own thread stacks.
set -u
km=${1:?usage: $0 KMODEL KMODEL_ALLOC_REAL}
real=${2:?usage: $0 KMODEL KMODEL_ALLOC_REAL}
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
# libmini's purge delay and ratio depend on the clock and on timing: with the delay at 0 (purge
# at free) its OS calls depend on the trace alone, so both replays make the same ones.
export MINI_PURGE_DELAY=0 MINI_PURGE_RATIO=0
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; }

# compare NAME TRACE [KMODEL OPTIONS...]: real vs model, libmini counters exact, faults close.
compare() {
    local name=$1 trace=$2
    shift 2
    if ! "$real" "$trace" >"$tmp/real.json" 2>"$tmp/real.err"; then
        bad "$name: kmodel-alloc-real failed: $(cat "$tmp/real.err")"
        return
    fi
    if ! "$km" --json --set ram=256M "$@" --alloc-trace "$trace" >"$tmp/model.json" 2>"$tmp/model.err"; then
        bad "$name: kmodel failed: $(cat "$tmp/model.err")"
        return
    fi
    python3 - "$tmp/real.json" "$tmp/model.json" "$name" <<'PY' && ok "$name: $(cat "$tmp/msg")" || bad "$name: $(cat "$tmp/msg")"
import json, sys
r = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
m, p = d["alloc_trace"], d["processes"][0]
keys = ["libmini_n_brk", "libmini_n_mmap", "libmini_n_munmap", "libmini_n_mremap",
        "libmini_n_mprotect", "libmini_n_madvise", "libmini_peak_mapped", "libmini_mapped",
        "calls", "threads", "failed"]
diff = [k for k in keys if r[k] != m[k]]
# The real run's extra faults: its replaying threads' stacks and the like (a few pages each).
slack = 16 + 8 * r["threads"]
fr, fm = r["minflt"], p["minflt"]
rr, rm = r["rss_anon_kB_delta"], p["RssAnon_kB"]
msg = "minflt real %d model %d, RssAnon real %d kB model %d kB, libmini calls %d/%d/%d/%d" % (
    fr, fm, rr, rm, m["libmini_n_brk"], m["libmini_n_mmap"], m["libmini_n_munmap"],
    m["libmini_n_madvise"])
good = not diff and abs(fr - fm) <= slack + fr * float(sys.argv[3].endswith("mincore")) * 0.02 \
    and abs(rr - rm) <= 4 * slack
if diff:
    msg += "; libmini differs: " + ", ".join("%s %s vs %s" % (k, r[k], m[k]) for k in diff)
open(sys.argv[1].replace("real.json", "msg"), "w").write(msg)
sys.exit(0 if good else 1)
PY
}

python3 "$here/gen_alloc_trace.py" 1 4000 1 >"$tmp/t1.trace"
compare "one thread, userfaultfd" "$tmp/t1.trace" --alloc-sync uffd
python3 "$here/gen_alloc_trace.py" 7 3000 4 16 >"$tmp/t4.trace"
compare "four threads, userfaultfd" "$tmp/t4.trace" --alloc-sync uffd
compare "one thread, mincore" "$tmp/t1.trace"
compare "four threads, mincore" "$tmp/t4.trace" --alloc-sync 64

# A program that keeps 160 MiB live, on machines that cannot hold it.
python3 -c 'for i in range(1, 161): print("m %d 1048576" % i)' >"$tmp/big.trace"
"$km" --json --set ram=96M --alloc-trace "$tmp/big.trace" >"$tmp/oom.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
a, p = d["alloc_trace"], d["processes"][0]
assert d["vmstat"]["oom_kill"] == 1 and p["state"] == "oom-killed" and a["killed_line"] > 0, (a, p["state"])
' "$tmp/oom.json" && ok "96 MiB machine: OOM kill (at line $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["alloc_trace"]["killed_line"])' "$tmp/oom.json"))" || bad "96 MiB machine: $(head -c 300 "$tmp/oom.json")"
"$km" --json --set ram=96M --set vm.overcommit_memory=2 --alloc-trace "$tmp/big.trace" >"$tmp/oc2.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
a = d["alloc_trace"]
assert d["vmstat"]["oom_kill"] == 0 and a["failed"] > 0 and a["killed_line"] == 0, a
' "$tmp/oc2.json" && ok "96 MiB machine, overcommit 2: allocations fail, no OOM kill" || bad "overcommit 2: $(head -c 300 "$tmp/oc2.json")"
"$km" --json --set ram=96M --set swap=512M --alloc-trace "$tmp/big.trace" >"$tmp/swap.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
a, v = d["alloc_trace"], d["vmstat"]
assert v["oom_kill"] == 0 and v["pswpout"] > 0 and a["failed"] == 0, (a, v["pswpout"])
' "$tmp/swap.json" && ok "96 MiB machine with 512 MiB swap: swaps, completes" || bad "swap: $(head -c 300 "$tmp/swap.json")"

echo "mini-test: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
