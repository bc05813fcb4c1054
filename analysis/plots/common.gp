# common.gp — terminal and style shared by every libmini plot; loaded by the other scripts.
# Variables set by the caller (mini-report): fmt ("png" or "svg"), out (output file).
if (fmt eq "svg") {
    set terminal svg size 960,540 dynamic enhanced font "sans,11" background "#ffffff"
} else {
    set terminal pngcairo size 960,540 enhanced font "sans,10" background "#ffffff"
}
set output out
set datafile missing "n/a"
set grid ytics lc rgb "#dddddd"
set key outside right top
set border 3
set tics nomirror
# One colour per allocator: glibc jemalloc libmini mimalloc tcmalloc libmini-dyn (mini-report
# maps each allocator to its index: alloc_color in analysis/report/summary.c).
array C[6] = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#aa3377", "#66ccee"]
