# CPython dict/list/string churn; PYTHONMALLOC=malloc sends every object to the allocator under
# test (CPython's own small-object arenas would otherwise take everything up to 512 bytes).
needs: python3
live: none
env: PYTHONMALLOC=malloc
argv: python3 @ROOT@/bench/workloads/real/py-alloc.py
