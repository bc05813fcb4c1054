#!/usr/bin/env bash
# known_answers.sh KMODEL — the known-answer scenarios (analysis/kmodel/scenarios/known/*.scen):
# each states its expected outcome with `expect=` and `expect` lines; kmodel exits 1 when one
# does not hold. Run with the debug build, so the invariant checkers run after every operation.
set -u
km=${1:?usage: $0 KMODEL}
dir=analysis/kmodel/scenarios/known
pass=0 fail=0
for f in "$dir"/*.scen; do
    if out=$("$km" --quiet "$f" 2>&1); then
        pass=$((pass + 1))
        echo "  ok   $(basename "$f")"
    else
        fail=$((fail + 1))
        echo "  FAIL $(basename "$f")"
        echo "$out" | sed 's/^/    /' | head -20
    fi
done
echo "mini-test: $pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
