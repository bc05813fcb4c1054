# normalised.gp — one metric per workload and allocator, as a ratio to glibc (1.0 = glibc).
# Variables: fmt, out, data (whitespace table: workload, then one column per allocator, header
# row with the names), ncols (allocator columns), colors (space-separated indexes into C),
# metric (the y label), ttl (title).
load dir."/common.gp"
set title ttl
set ylabel metric." / glibc"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -30 left
set yrange [0:*]
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb "#333333" dt 2
plot for [i=2:ncols+1] data using i:xtic(1) title columnheader(i) lc rgb C[int(word(colors, i-1))]
