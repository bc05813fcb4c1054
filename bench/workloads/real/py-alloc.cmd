# CPython dict/list/string churn; PYTHONMALLOC=malloc sends every object to the allocator under
# test (CPython's own small-object arenas would otherwise take everything up to 512 bytes).
# Debian's python3 by its path: a python3 found on PATH may be a wrapper script (pyenv's shim
# runs bash and some 40 helper processes before the interpreter, all of them measured).
needs: /usr/bin/python3
live: none
env: PYTHONMALLOC=malloc
scale: 1.0
argv: /usr/bin/python3 @ROOT@/bench/workloads/real/py-alloc.py @SCALE@
