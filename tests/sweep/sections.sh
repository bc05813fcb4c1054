#!/usr/bin/env bash
# sections.sh BIN — bench/sweep/sections.py writes the report's sweep and seed-question
# sections from the run's files, with numbers computed from them:
#   empty      no data: both sections say what is missing ("Not in this run"), exit 0
#   refused    a refused sweep: its reason is shown
#   computed   a sweep whose real values are 1.1 x the model's (made from a dry run) and seed
#              probe lines with known numbers: the tables show -9 % differences, the outcome
#              agreement, and the probe's bytes per block
#   bad usage  exit 2 with one line
# Any user; a few seconds.
set -u
bin=${1:?usage: $0 BIN}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
gen=$root/bench/sweep/sections.py
# shellcheck source=tests/sweep/lib.sh
. "$here/lib.sh"
tmp=$(mktemp -d /tmp/libmini-sweep-sections.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/empty"
python3 "$gen" --results "$tmp/empty" >/dev/null 2>&1
check "empty: exit 0" "sections.py failed" test $? = 0
check "empty: sweep says not in this run" "$(head -5 "$tmp/empty/sections/sweep.md")" \
    grep -q "Not in this run" "$tmp/empty/sections/sweep.md"
check "empty: seed questions say the probes did not run" "missing" \
    grep -q "probes did not run" "$tmp/empty/sections/seed-questions.md"
check "empty: all seven questions are there" "$(grep -c '^### ' "$tmp/empty/sections/seed-questions.md")" \
    test "$(grep -c '^### [1-7]\. ' "$tmp/empty/sections/seed-questions.md")" = 7

mkdir -p "$tmp/refused/sweep"
printf '{"profile": "reduced", "state": "refused", "reason": "needs root (test)"}\n' \
    >"$tmp/refused/sweep/session.json"
python3 "$gen" --results "$tmp/refused" >/dev/null 2>&1
check "refused: the reason is shown" "$(cat "$tmp/refused/sections/sweep.md")" \
    grep -q "skipped: needs root (test)" "$tmp/refused/sections/sweep.md"

# A computed case: a dry run's predictions, with real values 1.1 x the model's.
"$bin/mini-sweep" --dry-run --profile reduced --out "$tmp/c/sweep" >/dev/null 2>&1
python3 - "$tmp/c/sweep/runs.csv" <<'PY'
import csv, sys
path = sys.argv[1]
rows = list(csv.DictReader(open(path)))
for r in rows:
    r["outcome"] = r["model_outcome"]
    r["status"] = "exit 0"
    r["notes"] = "-"
    for k in list(r):
        if k.startswith("model_") and k != "model_outcome":
            q = k[len("model_"):]
            try:
                r["real_" + q] = f"{float(r[k]) * 1.1:.6g}"
            except ValueError:
                pass
w = csv.DictWriter(open(path, "w", newline=""), fieldnames=list(rows[0].keys()))
w.writeheader()
w.writerows(rows)
PY
printf '  ok   sweep/interrupt: sigint: every setting is back\n  FAIL sweep/interrupt: sigkill: journal empty\nmini-test: 1 passed, 1 failed, 0 skipped\n' \
    >"$tmp/c/sweep/interrupt.txt"
mkdir -p "$tmp/c/seed"
cat >"$tmp/c/seed/probes.jsonl" <<'J'
{"probe":"header","allocator":"glibc","usable":[24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,40],"distance_16":32,"word_minus16":"0x0","word_minus8":"0x21","readable":true,"size":16,"count":1000000,"rssanon_growth_kb":31250,"rss_per_requested":2.000,"bytes_per_block":32.00}
{"probe":"malloc1","allocator":"glibc","main":{"vmsize_kb":3892,"vmrss_kb":1120,"rssanon_kb":92,"anon_vm_kb":1616,"anon_rss_kb":44,"anon_maps":4,"brk_delta":0},"after_malloc1":{"vmsize_kb":4024,"vmrss_kb":1464,"rssanon_kb":120,"anon_vm_kb":1748,"anon_rss_kb":60,"anon_maps":5,"brk_delta":135168},"after_second_malloc1":{"vmsize_kb":4024,"vmrss_kb":1464,"rssanon_kb":120,"anon_vm_kb":1748,"anon_rss_kb":60,"anon_maps":5,"brk_delta":135168},"after_write":{"vmsize_kb":4024,"vmrss_kb":1464,"rssanon_kb":120,"anon_vm_kb":1748,"anon_rss_kb":60,"anon_maps":5,"brk_delta":135168},"usable":24,"distance":32,"in_brk_heap":true}
J
python3 "$gen" --results "$tmp/c" >/dev/null 2>&1
check "computed: exit 0" "sections.py failed" test $? = 0
sw=$tmp/c/sections/sweep.md
sq=$tmp/c/sections/seed-questions.md
check "computed: every workload has an outcome table" "$(grep -c '^\*\*' "$sw")" \
    bash -c "grep -q '^\*\*anon-over\*\*' '$sw' && grep -q '^\*\*overask-ram\*\*' '$sw'"
check "computed: outcome agreement counted" "$(grep 'predicted the outcome' "$sw")" \
    grep -q "The model predicted the outcome of 108 of 108 runs exactly" "$sw"
check "computed: E4 differences are model/real - 1 = -9 %" "$(grep '^| minflt' "$sw" | head -1)" \
    grep -q '^| minflt | .*(-9 %) | .*(-9 %) | .*(-9 %) |$' "$sw"
check "computed: jemalloc's different prediction is marked" "no m* mark" grep -q "m\* jemalloc: ok" "$sw"
check "computed: the interruption test's result" "$(grep -A3 '^### Interruption' "$sw")" \
    bash -c "grep -q '1 passed, 1 failed, 0 skipped' '$sw' && grep -q '^| sigkill: journal empty | FAIL |' '$sw'"
check "computed: Q4 bytes per block from the probe" "$(grep -A2 '^\*\*Answer (measured):\*\* glibc: 32' "$sq" | head -1)" \
    grep -q "glibc: 32 bytes of RSS per 16-byte block (2.00x the request)" "$sq"
check "computed: Q1 from the probe" "no 132 KiB" \
    grep -q "glibc reserved 132 KiB of address space for one byte" "$sq"
check "computed: Q6 table from the sweep" "no swappiness table" \
    grep -q "^\*\*file-anon\*\* in a memory cgroup" "$sq"

python3 "$gen" --nonsense >/dev/null 2>"$tmp/err"
rc=$?
check "bad usage: exit 2, one line" "rc $rc: $(cat "$tmp/err")" \
    bash -c "[ $rc = 2 ] && [ \$(wc -l <'$tmp/err') = 1 ]"
done_tests
