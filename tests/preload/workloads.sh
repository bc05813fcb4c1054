# workloads.sh — the real programs of tests/preload, shared by real.sh and preload/measure-real.sh
# (sourced after lib.sh).
#
#   workload NAME    sets `prep` (shell code making the inputs in $OUT, run before the measured
#                    command, never measured) and `cmd` (the command, an array; it may use $OUT,
#                    and runs from the repository root). Returns 1 for an unknown NAME, 77 when
#                    the program is not installed.
# Outputs must not depend on the allocator: hash seeds are fixed (PYTHONHASHSEED,
# PERL_HASH_SEED), git dates are fixed, gcc runs from one directory for every allocator.

WORKLOADS="python3 perl sqlite3 gcc git sort stl threads"

workload() {
    prep=:
    cmd=()
    case $1 in
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
    command -v sqlite3 >/dev/null || return 77
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
    return 1
    ;;
esac
}
