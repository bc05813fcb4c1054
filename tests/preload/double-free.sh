#!/usr/bin/env bash
# double-free.sh — bad frees in a real program (python3 through ctypes) under the shim: a double
# free, a double free of a large block, and a pointer from another allocator (a Python object:
# pymalloc's arenas come from mmap, not from malloc) each print libmini's message and abort.
set -u
source tests/preload/lib.sh

case_() { # case_ NAME EXPECTED-MESSAGE PYTHON-CODE
    local name=$1 want=$2 code=$3
    # (Grouped: the shell's own "Aborted" notice goes to /dev/null.)
    { env LD_PRELOAD="$SHIM" "$PY" -c "import ctypes
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
$code
print('not reached')" >"$TMP/out" 2>"$TMP/err"; } 2>/dev/null
    local rc=$?
    if [ $rc -eq 134 ] && grep -q "$want" "$TMP/err" && ! grep -q 'not reached' "$TMP/out"; then
        ok "$name: aborted (status $rc) with \"$(grep -o 'libmini: [^0]*0x' "$TMP/err" | head -n 1)...\""
    else
        bad "$name: status $rc, stderr: $(head -c 300 "$TMP/err")"
    fi
}

case_ "double free in python3" "libmini: free(): double free 0x" \
    "p = libc.malloc(64); libc.free(p); libc.free(p)"
case_ "double free of a 1 MiB block" "libmini: free(): invalid pointer 0x" \
    "p = libc.malloc(1 << 20); libc.free(p); libc.free(p)"
case_ "free of a pymalloc object" "libmini: free(): invalid pointer 0x" \
    "o = object(); libc.free(id(o))"
case_ "free of a pointer into a block" "libmini: free(): invalid pointer 0x" \
    "p = libc.malloc(100); libc.free(p + 48)"
finish
