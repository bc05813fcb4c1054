#!/usr/bin/env python3
"""py-alloc.py — deterministic dict/list/string churn in CPython, for the benchmark suite.

Run as `python3 bench/workloads/real/py-alloc.py [SCALE]` (see py-alloc.cmd, which also sets
PYTHONMALLOC=malloc so that every object comes from the allocator under test instead of
CPython's own small-object arenas). SCALE (default 1.0) scales the work: 6 * SCALE rounds of
60000 records (at least one round; below SCALE 1/6 the one round has 360000 * SCALE records,
at least 500, so that a small SCALE gives a short allocation trace). Each
round builds a dict of records (strings, tuples, small lists), grows strings by joins and
slices, deletes a scattered part of the dict, rebuilds lists from what is left and sorts them;
a long-lived cache keeps part of every round, so the heap has long and short lifetimes mixed.
No randomness but a fixed linear congruential generator: every run does the same work. The one
output line is a checksum, the same for every allocator.
"""
import sys


def lcg(state):
    return (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF


def one_round(r, count, cache):
    state = r + 1
    table = {}
    for i in range(count):
        state = lcg(state)
        n = 8 + (state >> 33) % 120
        key = "k%d-%d" % (r, i)
        table[key] = (i, "x" * n, [i, n, key[-3:]], {"n": n})
    # Grow some strings by joining pieces, cut others by slicing.
    for i in range(0, count, 3):
        key = "k%d-%d" % (r, i)
        rec = table[key]
        table[key] = (rec[0], "".join([rec[1], rec[2][2] * 10, str(rec[0])]), rec[2], rec[3])
    for i in range(1, count, 3):
        key = "k%d-%d" % (r, i)
        rec = table[key]
        table[key] = (rec[0], rec[1][: 1 + rec[0] % 7], rec[2], rec[3])
    # Delete a scattered 40 %.
    for i in range(count):
        if (i * 2654435761) % 5 < 2:
            del table[f"k{r}-{i}"]
    # Lists rebuilt from what is left, sorted two ways.
    by_len = sorted(table.values(), key=lambda rec: (len(rec[1]), rec[0]))
    words = sorted(rec[1][:12] + str(rec[0]) for rec in by_len)
    # The cache keeps every 16th record of this round, and drops the oldest round's share.
    cache.append([rec for rec in by_len[::16]])
    if len(cache) > 6:
        cache.pop(0)
    return len(table) + len(words) + sum(len(rec[1]) for rec in by_len[::97])


def main():
    scale = 1.0
    if len(sys.argv) > 2:
        sys.exit("usage: py-alloc.py [SCALE]")
    if len(sys.argv) == 2:
        try:
            scale = float(sys.argv[1])
        except ValueError:
            sys.exit("py-alloc.py: bad SCALE '%s' (want a number > 0)" % sys.argv[1])
        if not scale > 0:
            sys.exit("py-alloc.py: bad SCALE '%s' (want a number > 0)" % sys.argv[1])
    rounds = max(1, round(6 * scale))
    count = max(500, min(60000, round(360000 * scale)))
    cache = []
    total = 0
    for r in range(rounds):
        total += one_round(r, count, cache)
    print(
        "py-alloc rounds=%d records=%d checksum=%d cached=%d"
        % (rounds, count, total, sum(map(len, cache)))
    )


if __name__ == "__main__":
    main()
