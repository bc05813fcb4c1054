#!/usr/bin/env python3
"""gen_alloc_trace.py SEED OPS THREADS [MAXLIVE_MB] — a deterministic allocation trace in
kmodel's input-2 format (analysis/kmodel/replay.h) on stdout: mostly small blocks, some
medium and large (mmap'd) ones, calloc, memalign, realloc growth, frees of random live blocks,
explicit writes and reads of parts of blocks, a malloc_trim now and then; with THREADS > 1 the
calls come in bursts from each thread and blocks are sometimes freed by another thread."""
import random
import sys

seed, ops, threads = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
maxlive = (int(sys.argv[4]) if len(sys.argv) > 4 else 64) << 20
rnd = random.Random(seed)
live = {}  # id -> size
order = []
nid = 1
livebytes = 0
tid = 1
out = []


def size():
    r = rnd.random()
    if r < 0.70:
        return rnd.randint(1, 1024)
    if r < 0.93:
        return rnd.randint(1025, 65536)
    return rnd.randint(131072, 4 << 20)


for i in range(ops):
    if threads > 1 and rnd.random() < 0.05:
        tid = rnd.randint(1, threads)
    pre = "@%d " % tid if threads > 1 else ""
    r = rnd.random()
    if (r < 0.45 or not live) and livebytes < maxlive:
        s = size()
        k = rnd.random()
        if k < 0.1:
            n = rnd.randint(1, 16)
            out.append("%sc %d %d %d" % (pre, nid, n, max(1, s // n)))
            s = n * max(1, s // n)
        elif k < 0.15:
            out.append("%sa %d %d %d" % (pre, nid, 1 << rnd.randint(4, 13), s))
        else:
            out.append("%sm %d %d" % (pre, nid, s))
        live[nid] = s
        order.append(nid)
        livebytes += s
        nid += 1
    elif r < 0.55 and live:
        j = rnd.randrange(len(order))
        b = order[j]
        s = live[b] + rnd.randint(1, live[b] + 64)
        out.append("%sr %d %d %d" % (pre, b, nid, s))
        livebytes += s - live[b]
        del live[b]
        live[nid] = s
        order[j] = nid
        nid += 1
    elif r < 0.62 and live:
        b = order[rnd.randrange(len(order))]
        off = rnd.randrange(live[b])
        ln = rnd.randint(1, live[b] - off)
        out.append("%s%s %d %d %d" % (pre, rnd.choice("wR"), b, off, ln))
    elif r < 0.625:
        out.append("%st %d" % (pre, rnd.choice([0, 0, 65536])))
    elif live:
        j = rnd.randrange(len(order))
        b = order[j]
        order[j] = order[-1]
        order.pop()
        livebytes -= live.pop(b)
        out.append("%sf %d" % (pre, b))
sys.stdout.write("# gen_alloc_trace.py %d %d %d\n" % (seed, ops, threads))
sys.stdout.write("\n".join(out) + "\n")
