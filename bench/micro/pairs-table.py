#!/usr/bin/env python3
"""pairs-table.py ALLOC=FILE.json... — tables of mini-micro results, one column per allocator.

FILE.json is the output of `build/bin/mini-micro --benchmark_format=json --benchmark_out=FILE`
run under one allocator (LD_PRELOAD). Prints Markdown:

  1. ns per malloc+free pair per size: alone (pair/SIZE) and with two threads at once
     (pair/SIZE/threads:2, the time one pair costs one thread = real_time * threads), in wall
     time and in CPU time (less disturbed by other load on the machine);
  2. every other benchmark: ns per item (1e9 / items_per_second; for a threaded benchmark the
     items of all threads together) and ns per iteration (real_time).

With --benchmark_repetitions, the median of the repetitions is shown.

A bad file or argument is one line on stderr and exit 2.
"""
import json
import re
import sys


def load(arg):
    if "=" not in arg:
        sys.exit(f"pairs-table.py: bad argument '{arg}' (want ALLOC=FILE.json)")
    name, path = arg.split("=", 1)
    try:
        with open(path) as f:
            doc = json.load(f)
        runs = {}
        # With --benchmark_repetitions, keep the median aggregate under the plain name.
        for b in doc["benchmarks"]:
            if b.get("run_type", "iteration") == "iteration" and b["run_name"] not in runs:
                runs[b["run_name"]] = b
        for b in doc["benchmarks"]:
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median":
                runs[b["run_name"]] = b
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"pairs-table.py: {path}: {e}", file=sys.stderr)
        sys.exit(2)
    return name, runs, doc.get("context", {})


def fmt(x):
    return "—" if x is None else f"{x:.1f}"


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        sys.exit(2)
    allocs = [load(a) for a in sys.argv[1:]]
    pair = re.compile(r"^pair/(\d+)/real_time(?:/threads:(\d+))?$")
    sizes = sorted({int(m.group(1)) for _, runs, _ in allocs for n in runs if (m := pair.match(n))})

    ctx = allocs[0][2]
    print(f"libbenchmark build: {ctx.get('library_build_type', '?')}; "
          f"CPUs: {ctx.get('num_cpus', '?')}; date: {ctx.get('date', '?')}\n")
    # Wall time: what a thread waits for a pair. CPU time: what it spends on it, which a busy
    # machine disturbs less (a descheduled thread accrues wall time, not CPU time); for a
    # threaded run Google Benchmark sums the threads' CPU time, so cpu_time is per thread.
    for title, key, per_thread in (("wall", "real_time", True), ("CPU", "cpu_time", False)):
        print(f"ns per malloc+free pair, {title} time (1 thread | each of 2 threads at once)\n")
        print("| size | " + " | ".join(f"{a} 1T | {a} 2T" for a, _, _ in allocs) + " |")
        print("|---:|" + "---:|---:|" * len(allocs))
        for s in sizes:
            cells = []
            for _, runs, _ in allocs:
                one = runs.get(f"pair/{s}/real_time")
                two = runs.get(f"pair/{s}/real_time/threads:2")
                cells.append(fmt(one[key] if one else None))
                mult = two.get("threads", 2) if two and per_thread else 1
                cells.append(fmt(two[key] * mult if two else None))
            print(f"| {s} | " + " | ".join(cells) + " |")
        print()

    others = []
    for _, runs, _ in allocs:
        for n in runs:
            if not pair.match(n) and n not in others:
                others.append(n)
    if others:
        print("other benchmarks: ns per item (ns per iteration), wall time\n")
        print("| benchmark | " + " | ".join(a for a, _, _ in allocs) + " |")
        print("|---|" + "---:|" * len(allocs))
        for n in others:
            cells = []
            for _, runs, _ in allocs:
                b = runs.get(n)
                if b is None or "real_time" not in b:
                    cells.append("—")
                    continue
                ips = b.get("items_per_second")
                per_item = 1e9 / ips if ips else None
                extra = f" moved {b['moved']:.2f}" if "moved" in b else ""
                cells.append(f"{fmt(per_item)} ({fmt(b['real_time'])}){extra}")
            print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
