# SPDX-License-Identifier: MIT
#
# bench/bochs/plot.gp: one panel per guest size (rows) and helper count
# (columns): the GET's guest TSC cycles against the number of dirty
# pages, one line per policy (the mean of the repetitions), from the CSV
# make bench writes (bench/bochs/run-bench).
#
# gnuplot -e "csv='bochs.csv'; out='bochs.png'; sizes='64 256 1024';
#             helpers='0 2 3'" plot.gp

ns = words(sizes)
nh = words(helpers)
set terminal pngcairo size 520 * nh, 400 * ns font "sans,9"
set output out

# Columns of bochs.csv: 1 mem_mib, 2 helpers, 3 policy, 4 dirty_pages,
# 7 get_cycles.
is(s, h, p) = strcol(1) eq s && strcol(2) eq h && strcol(3) eq p
kc(c) = column(c) / 1000.0

set multiplot layout ns, nh title \
	"Shade's HC\\_DIRTY\\_LOG\\_GET under Bochs (make bench): " . \
	"thousands of guest TSC cycles, mean of the repetitions"
do for [i = 1:ns] {
	do for [j = 1:nh] {
		s = word(sizes, i)
		h = word(helpers, j)
		set datafile separator ","
		set table $R
		plot csv skip 1 using 4:(kc(7)) with table if (is(s, h, "rmap"))
		set table $W
		plot csv skip 1 using 4:(kc(7)) with table if (is(s, h, "walk"))
		set table $D
		plot csv skip 1 using 4:(kc(7)) with table if (is(s, h, "words"))
		set table $S
		plot csv skip 1 using 4:(kc(7)) with table if (is(s, h, "seed"))
		set table $A
		plot csv skip 1 using 4:(kc(7)) with table if (is(s, h, "auto"))
		unset table
		set datafile separator whitespace

		set title sprintf("%s MiB guest, %s helper vCPU(s)", s, h)
		set logscale xy
		set format x "%.0s%c"
		set xlabel "dirty pages"
		set ylabel "GET, thousands of cycles"
		set key top left
		set grid
		plot $R using 1:2 smooth unique with linespoints lw 2 pt 7 ps 0.5 \
			lc rgb "dark-magenta" title "rmap (1)", \
		     $W using 1:2 smooth unique with linespoints lw 2 pt 7 ps 0.5 \
			lc rgb "forest-green" title "walk (2)", \
		     $D using 1:2 smooth unique with linespoints lw 2 pt 7 ps 0.5 \
			lc rgb "dark-orange" title "words (4)", \
		     $S using 1:2 smooth unique with lines dt 3 lw 2 lc rgb "grey40" \
			title "seed (3)", \
		     $A using 1:2 smooth unique with lines dt 2 lw 3 lc rgb "royalblue" \
			title "auto (0)"
	}
}
unset multiplot
