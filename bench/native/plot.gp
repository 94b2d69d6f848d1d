# SPDX-License-Identifier: MIT
#
# bench/native/plot.gp: one panel per slot size, the median GET time
# against the number of dirty pages for each policy (min-max bars on the
# forced ones), the floor, and KVM's median when the peer ran.
#
# gnuplot -e "csv='native.csv'; kvm='kvm.csv' or ''; out='native.png';
#             slots='64 1024 ...'" plot.gp

n = words(slots)
cols = n > 1 ? 2 : 1
rows = (n + cols - 1) / cols
set terminal pngcairo size 760 * cols, 420 * rows font "sans,9"
set output out

# Each series is first filtered into a datablock of its own rows:
# dirty pages, then median, min, max, floor in microseconds. Columns of
# native.csv: 2 slot_mib, 5 policy, 6 dirty_pages, 10-12 get_ns median,
# min, max, 18 floor_ns_median (bench/native/report.c writes the header).
# Columns of the peer's kvm.csv: 2 slot_mib, 3 dirty_pages, 5 median us.
us(c) = column(c) / 1000.0
is(s, p) = strcol(2) eq s && strcol(5) eq p

series = '$R using 1:2:3:4 with yerrorlines lw 2 lc rgb "dark-magenta" ' . \
	'title "rmap (policy 1)", ' . \
	'$W using 1:2:3:4 with yerrorlines lw 2 lc rgb "forest-green" ' . \
	'title "walk (policy 2)", ' . \
	'$D using 1:2:3:4 with yerrorlines lw 2 lc rgb "dark-orange" ' . \
	'title "words (policy 4)", ' . \
	'$S using 1:2 with lines dt 3 lw 2 lc rgb "brown" ' . \
	'title "seed (policy 3)", ' . \
	'$A using 1:2 with lines dt 2 lw 3 lc rgb "royalblue" ' . \
	'title "auto (policy 0)", ' . \
	'$R using 1:5 with lines dt 3 lw 2 lc rgb "grey40" ' . \
	'title "floor: bitmap + each dirty spte once"'
set multiplot layout rows, cols title \
	"Shade's HC\\_DIRTY\\_LOG\\_GET, native (bench/native): medians, " . \
	"min-max bars"
do for [i = 1:n] {
	s = word(slots, i)
	set datafile separator ","
	set table $R
	plot csv skip 1 using 6:(us(10)):(us(11)):(us(12)):(us(18)) \
		with table if (is(s, "rmap"))
	set table $W
	plot csv skip 1 using 6:(us(10)):(us(11)):(us(12)) \
		with table if (is(s, "walk"))
	set table $D
	plot csv skip 1 using 6:(us(10)):(us(11)):(us(12)) \
		with table if (is(s, "words"))
	set table $S
	plot csv skip 1 using 6:(us(10)) with table if (is(s, "seed"))
	set table $A
	plot csv skip 1 using 6:(us(10)) with table if (is(s, "auto"))
	# Without the peer, $K is made from native.csv and stays empty.
	set table $K
	plot (kvm ne "" ? kvm : csv) skip 1 using 3:5 with table \
		if (kvm ne "" && strcol(2) eq s)
	unset table
	set datafile separator whitespace

	set title sprintf("slot %s MiB", s)
	set logscale xy
	set format x "%.0s%c"
	set xlabel "dirty pages"
	set ylabel "GET, microseconds"
	set key bottom right
	set grid
	if (|$K| > 0) {
		plot @series, \
		     $K using 1:2 with linespoints lw 2 lc rgb "black" \
			title "KVM (peer)"
	} else {
		plot @series
	}
}
unset multiplot
