#!/usr/bin/env bash
# real.sh NAME [ALLOCATOR] — run a real program once with glibc's malloc and once under the shim
# (or under ALLOCATOR: a .so path, for measure-real.sh), and compare: same exit status, same
# standard output, same standard error once libmini's statistics lines are removed; and the
# shim must have served the program's allocations (MINI_SHOW_STATS=json counts, added up over
# every process the program started). Time and peak RSS of both runs go to the log.
#
#   NAME: python3 perl sqlite3 gcc git sort stl threads
#
# Inputs are made in a temporary directory, outside the measured runs. Outputs must not depend
# on the allocator: hash seeds are fixed (PYTHONHASHSEED, PERL_HASH_SEED), git dates are fixed.
set -u
source tests/preload/lib.sh

name=${1:?usage: real.sh NAME}
alloc=${2:-$SHIM}

prep=:
case $name in
python3)
    script='import json, re, collections, hashlib
d = {str(i): [i, str(i) * 3] for i in range(200000)}
s = json.dumps(d)
d2 = json.loads(s)
words = re.findall(r"\d+", s[:2000000])
c = collections.Counter(w[-2:] for w in words)
big = 1
for i in range(1, 3000):
    big *= i
l = sorted(str(x)[::-1] for x in range(300000))
print(len(s), len(d2), len(words), c.most_common(3))
print(hashlib.sha256(hex(big).encode()).hexdigest(), l[:3], l[-3:])'
    cmd=(env PYTHONHASHSEED=0 "$PY" -c "$script")
    ;;
perl)
    script='my %h; $h{"k$_"} = "v" x ($_ % 50) for 1 .. 200000;
my $t = 0; $t += length($h{$_}) for sort keys %h;
my @a = sort map { scalar reverse $_ } 1 .. 200000;
my $str = ""; $str .= chr(65 + $_ % 26) for 1 .. 1000000;
my $n = () = $str =~ /ABC/g;
my @w = split /C/, $str; my %c; $c{length $_}++ for @w;
print "$t @a[0..4] $n ", scalar(@w), " ", join(",", map { "$_=$c{$_}" } sort { $a <=> $b } keys %c), "\n";'
    cmd=(env PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 perl -e "$script")
    ;;
sqlite3)
    command -v sqlite3 >/dev/null || { skip "sqlite3 (not installed: tests/deps.sh test)"; finish; exit; }
    script="create table t(id integer primary key, a text, b integer);
with recursive c(x) as (select 1 union all select x + 1 from c where x < 150000)
  insert into t select x, printf('%08x-%s', (x * 2654435761) % 4294967296, substr('abcdefghij', 1 + x % 10)), x % 997 from c;
create index ta on t(a);
create index tb on t(b);
select count(*), sum(b), min(a), max(a) from t;
select b % 10, count(*), sum(length(a)) from t group by b % 10 order by 1;
select a from t order by a limit 3;
select group_concat(id) from (select id from t where b = 500 order by id limit 20);
delete from t where b % 3 = 0;
vacuum;
select count(*), total(b) from t;"
    cmd=(sqlite3 :memory: "$script")
    ;;
gcc)
    # The same working directory for both runs (it goes into the debug info); outputs apart.
    script='set -e
gcc -O2 -g -D_GNU_SOURCE -I. -Ilibmini/include -c libmini/src/arena.c -o "$OUT/arena.o"
gcc -O2 -g -D_GNU_SOURCE -I. -Ilibmini/include -c preload/trace_read.c -o "$OUT/trace_read.o"
gcc -O2 -D_GNU_SOURCE -I. -Ilibmini/include -o "$OUT/churn" tests/preload/churn.c -lpthread
md5sum <"$OUT/arena.o"
md5sum <"$OUT/trace_read.o"
"$OUT/churn" 20000 1'
    cmd=(bash -c "$script")
    ;;
git)
    prep='mkdir -p "$OUT/repo" && awk -v d="$OUT/repo" "BEGIN { for (i = 1; i <= 300; i++) { f = d \"/f\" i \".txt\"; for (j = 0; j < i * 20; j++) print (i * 7919 + j * 104729) % 1000003 > f; close(f) } }"'
    script='set -e
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z
export HOME="$OUT" GIT_CONFIG_NOSYSTEM=1
cd "$OUT/repo"
git init -q -b main .
git add -A
git commit -q -m one
for i in 3 50 77 150 299; do echo change >>f$i.txt; done
git commit -q -a -m two
git checkout -q -b side
git rm -q f1*.txt
git commit -q -m three
git checkout -q main
git merge -q --no-edit side
git log --stat --format="%H %s" | md5sum
git rev-parse HEAD
git diff --stat HEAD~2 | tail -n 1
git gc -q
git fsck --no-progress
git count-objects -v | grep -E "^(count|in-pack|packs)"'
    cmd=(bash -c "$script")
    ;;
sort)
    prep='awk "BEGIN { x = 12345; for (i = 0; i < 400000; i++) { x = (x * 1103515245 + 12345) % 2147483648; printf \"%08d,%d,line-%d\n\", x % 100000000, x % 1000, i } }" >"$OUT/in.txt"'
    script='set -e
sort -S 16M --parallel=2 "$OUT/in.txt" | md5sum
sort -t, -k2,2n -k1,1 "$OUT/in.txt" | md5sum
sort -u -t, -k2,2 "$OUT/in.txt" | wc -l'
    cmd=(bash -c "$script")
    ;;
stl)
    cmd=("$PT/stl" 200000)
    ;;
threads)
    cmd=("$PT/threads" 40000)
    ;;
*)
    echo "real.sh: unknown program '$name'" >&2
    exit 2
    ;;
esac

run() { # run TAG PRELOAD
    local tag=$1 pre=$2
    export OUT=$TMP/$tag
    mkdir -p "$OUT"
    eval "$prep"
    if [ -n "$pre" ]; then
        run_timed "$TMP/$tag" env LD_PRELOAD="$pre" MINI_SHOW_STATS=json "${cmd[@]}"
    else
        run_timed "$TMP/$tag" env -u LD_PRELOAD "${cmd[@]}"
    fi
}

run glibc ""
run mini "$alloc"
read -r g_s g_kb < <(tail -n 1 "$TMP/glibc.time")
read -r m_s m_kb < <(tail -n 1 "$TMP/mini.time")
echo "  $name: glibc ${g_s}s ${g_kb} KiB, under $(basename "$alloc") ${m_s}s ${m_kb} KiB (peak RSS)"

rc_g=$(cat "$TMP/glibc.rc") rc_m=$(cat "$TMP/mini.rc")
if [ "$rc_g" = "$rc_m" ] && [ "$rc_g" = 0 ]; then
    ok "$name: exit status 0 both ways"
else
    bad "$name: exit status $rc_g with glibc, $rc_m under the shim"
    tail -n 5 "$TMP/mini.err" | sed 's/^/     | /'
fi
if cmp -s "$TMP/glibc.out" "$TMP/mini.out"; then
    ok "$name: same output ($(wc -l <"$TMP/mini.out") lines)"
else
    bad "$name: output differs"
    diff "$TMP/glibc.out" "$TMP/mini.out" | head -n 10 | sed 's/^/     | /'
fi
strip_stats "$TMP/mini.err" >"$TMP/mini.err2"
if cmp -s "$TMP/glibc.err" "$TMP/mini.err2"; then
    ok "$name: same standard error"
else
    bad "$name: standard error differs"
    diff "$TMP/glibc.err" "$TMP/mini.err2" | head -n 10 | sed 's/^/     | /'
fi
if [ "$alloc" = "$SHIM" ]; then
    nm=$(stats_json_sum n_malloc "$TMP/mini.err")
    np=$(grep -c '^{"libmini":' "$TMP/mini.err")
    if [ "$nm" -gt 100 ]; then
        ok "$name: libmini served $nm allocations in $np processes"
    else
        bad "$name: libmini served $nm allocations ($np processes reported)"
    fi
fi
finish
