# reclaim.gp — how RSS goes back to the OS after the workload frees its memory: RSS against
# the time since the FREED phase began (the median run of each allocator), and the readings
# (before the free, at once, 1 s, 5 s, after trim) as bars.
# Variables: fmt, out, files (per-allocator curve data: t_s rss_mib), titles, colors, bars
# (table: reading, then one column per allocator, header row), ttl.
load dir."/common.gp"
set multiplot layout 1,2 title ttl
n = words(files)
set xlabel "time since FREED (s)"
set ylabel "VmRSS (MiB)"
set yrange [0:*]
# Keys below each panel: the curves and bars fill the whole area.
set key outside below center horizontal
set bmargin 6
plot for [i=1:n] word(files, i) using 1:2 with lines lw 2 lc rgb C[int(word(colors, i))] \
        title word(titles, i)
set xlabel ""
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
unset arrow
set ylabel "VmRSS (MiB)"
plot for [i=2:n+1] bars using i:xtic(1) title columnheader(i) lc rgb C[int(word(colors, i-1))]
unset multiplot
