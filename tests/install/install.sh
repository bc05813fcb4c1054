#!/usr/bin/env bash
# make install into a DESTDIR, build a program against it with pkg-config, run it, then make
# uninstall and check that nothing of ours is left.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); echo "  ok   install: $1"; else fail=$((fail + 1)); echo "  FAIL install: $1"; fi; }

make -s -C "$root" install DESTDIR="$tmp/dest" PREFIX=/opt/mini >"$tmp/install.log" 2>&1
check "make install succeeds" '[ $? -eq 0 ]'
lib=$tmp/dest/opt/mini/lib
check "static and shared libraries" '[ -f $lib/libmini.a ] && [ -f $lib/libmini.so.0.1.0 ] && [ -L $lib/libmini.so.0 ] && [ -L $lib/libmini.so ]'
check "soname is libmini.so.0" 'readelf -d $lib/libmini.so.0.1.0 | grep -q "SONAME.*libmini.so.0"'
syms=$(nm -D --defined-only "$lib/libmini.so.0.1.0" 2>/dev/null | awk '{print $3}')
check "exports mini_malloc" 'printf "%s\n" $syms | grep -qx mini_malloc'
check "exports only mini_ symbols" '! printf "%s\n" $syms | grep -v "^mini_" | grep -q .'
check "header and pkg-config file" '[ -f $tmp/dest/opt/mini/include/mini.h ] && [ -f $lib/pkgconfig/libmini.pc ]'

cat >"$tmp/app.c" <<'C'
#include <mini.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    char *p = mini_malloc(100);
    strcpy(p, "installed");
    mini_stats_t st;
    mini_stats_get(&st, sizeof(st));
    printf("%s %d\n", p, st.n_malloc >= 1);
    mini_free(p);
    return 0;
}
C
export PKG_CONFIG_SYSROOT_DIR=$tmp/dest PKG_CONFIG_PATH=$lib/pkgconfig
flags=$(pkg-config --cflags --libs libmini 2>"$tmp/pc.err")
check "pkg-config knows libmini" '[ -n "$flags" ]'
cc -o "$tmp/app" "$tmp/app.c" $flags -lpthread >"$tmp/cc.log" 2>&1
check "a program builds against the installed library" '[ -x $tmp/app ]'
out=$(LD_LIBRARY_PATH=$lib "$tmp/app" 2>&1)
check "and runs with it" '[ "$out" = "installed 1" ]'
check "it uses the installed libmini.so.0" 'LD_LIBRARY_PATH=$lib ldd $tmp/app | grep -q "$lib/libmini.so.0"'

make -s -C "$root" uninstall DESTDIR="$tmp/dest" PREFIX=/opt/mini >>"$tmp/install.log" 2>&1
left=$(find "$tmp/dest" -type f -o -type l | grep -E "mini" || true)
check "make uninstall removes every file" '[ -z "$left" ]'
[ -n "$left" ] && echo "    left: $left"
echo "mini-test: $pass passed, $fail failed, 0 skipped"
[ $fail -eq 0 ]
