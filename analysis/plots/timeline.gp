# timeline.gp — RSS over time of one workload under each allocator (the median run of each),
# with the live bytes the workload reported, and fragmentation (RssAnon / live) over time.
# Variables: fmt, out, files (timeline CSVs), titles (allocator names), colors, ttl,
# live (1: draw the live bytes of livefile), frag (1: add the fragmentation panel).
load dir."/common.gp"
set datafile separator ","
n = words(files)
set xlabel "time since exec (s)"
set ylabel "VmRSS (MiB)"
set yrange [0:*]
if (frag) {
    set multiplot layout 2,1 title ttl
    # Fixed margins so that both panels share one time axis on the page.
    set lmargin at screen 0.09
    set rmargin at screen 0.80
} else {
    set title ttl
}
if (live) {
    plot for [i=1:n] word(files, i) using ($1/1000):($2/1024) with lines lw 2 \
            lc rgb C[int(word(colors, i))] title word(titles, i), \
         livefile using ($1/1000):($5/1048576) with lines lw 1 dt 2 lc rgb "#000000" \
            title "live bytes"
} else {
    plot for [i=1:n] word(files, i) using ($1/1000):($2/1024) with lines lw 2 \
            lc rgb C[int(word(colors, i))] title word(titles, i)
}
if (frag) {
    # The same time axis as the RSS panel (fragmentation exists only while live bytes do).
    set xrange [GPVAL_X_MIN:GPVAL_X_MAX]
    set ylabel "RssAnon / live bytes"
    unset key
    plot for [i=1:n] word(files, i) using ($1/1000):8 with lines lw 2 \
            lc rgb C[int(word(colors, i))] title word(titles, i)
    unset multiplot
}
