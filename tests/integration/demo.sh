#!/usr/bin/env bash
# The demo of `make run` (tests/guests/demo-work.c and demo-ctl.c): the
# Makefile writes the same ISO (`make demo-iso`), shortened: the
# workload's scenes last 4, 2 and 2 s and it stops after 8, so that whole
# frames of the heat map fall inside each scene. Checks: both partitions
# start, end with status 0 and print nothing wider than 80 columns; ctl
# prints its title, one frame a second (8 map rows, then the numbers),
# whole and in order, and its summary; and the frame inside each scene
# (the second after the workload announces it) shows that scene:
#   busy     the hot spot and a sweep of the band, path=rmap (about 730
#            dirty pages: fewer than 128 per shadow page in use, auto's
#            rule, docs/dirtylog.md);
#   quiet    a few dirty pages, path=rmap;
#   picture  the word SHADE and the map's scale exactly, path=walk.
. "$(dirname "$0")/lib.sh"

RUN_S=8
SCENE_S=2
NPAGES=8192 # mem=32M in the Makefile: 16 pages a cell

# The picture scene's rows 1-7 (demo-work.c) and row 0's cells 32-61.
PICTURE=(
	'     @@@@@@    @@      @@    @@@@@@    @@@@@@@@    @@@@@@@@@@   '
	'   @@      @@  @@      @@  @@      @@  @@      @@  @@           '
	'   @@          @@      @@  @@      @@  @@      @@  @@           '
	'     @@@@@@    @@@@@@@@@@  @@@@@@@@@@  @@      @@  @@@@@@@@     '
	'           @@  @@      @@  @@      @@  @@      @@  @@           '
	'   @@      @@  @@      @@  @@      @@  @@      @@  @@           '
	'     @@@@@@    @@      @@  @@      @@  @@@@@@@@    @@@@@@@@@@   '
)
SCALE='            ..::--==++**##%%@@'

out=$(make -s -C "$ROOT" --no-print-directory demo-iso \
	DEMO_ISO="$WORK/demo.iso" DEMO_SECONDS=$RUN_S DEMO_SCENE=$SCENE_S) ||
	{
		echo "make demo-iso failed: $out"
		exit 1
	}
boot_opts=$(printf '%s\n' "$out" | tail -n 1) # e.g. "--cpus 2"
# shellcheck disable=SC2086 # the options are separate words
boot bochs "$WORK/demo.iso" $boot_opts
expect_status 0

expect_started work 1 '[0-9]+' 32 multiboot2
expect_started ctl 1 '[0-9]+' 16 multiboot2
expect "[work] writing my 32 MiB in scenes of $((2 * SCENE_S)), $SCENE_S and $SCENE_S s, for $RUN_S s"
for s in 1 2 3; do
	expect_count 1 "[work] scene $s/3: "
done
expect "[work] done after $RUN_S s"
expect "[ctl] Dirty-page heat map of partition 'work' (32 MiB, 1 vCPU)"
expect_re "^\[ctl\] 'work' has stopped: the end after [0-9]+ s\. [0-9]+ GETs"
expect_stopped work 0
expect_stopped ctl 0
reject '[work] FAIL'
reject '[ctl] FAIL'
reject 'warning:'
expect_final 'shade: done pass=2 fail=0'

wide=$(lines | grep -E '^\[(ctl|work)\] ' | awk 'length > 80' | head -n 3)
[ -z "$wide" ] || fail "lines wider than 80 columns: $wide"

# The frames, one line each, fields separated by ';': t, scene (0 before
# the first), the how-manieth frame since the scene's announcement (1:
# the frame the change falls in), dirty, per mille, path, and the 8 rows
# of cells joined by commas; or "BAD why: line".
numbers_re='^\[ctl\]     \+- t=[0-9]+s  dirty=[0-9]+ \([0-9]+\.[0-9]%\)  '
numbers_re+='path=(rmap|walk)  get=[0-9.]+[kMG]? wp=[0-9.]+[kMG]? cyc  '
numbers_re+='ipis=[0-9]+$'
lines | NUMBERS_RE=$numbers_re awk -v ramp=' .:-=+*#%@' '
BEGIN { scene = 0; numbers_re = ENVIRON["NUMBERS_RE"] }
function bad(why) { print "BAD " why ": " $0; nrows = 0 }
/^\[work\] scene [0-9]\/3: / {
	if (nrows) bad("inside a frame")
	scene = substr($3, 1, 1); nth = 0; next
}
/^\[ctl\] +[0-9]+M \|/ {
	cells = substr($0, index($0, "|") + 1)
	if (length(cells) != 65 || substr(cells, 65) != "|") { bad("row"); next }
	cells = substr(cells, 1, 64)
	for (i = 1; i <= 64; i++)
		if (!index(ramp, substr(cells, i, 1))) { bad("shade"); next }
	if (nrows == 0) { map = cells; fscene = scene; fnth = nth + 1 }
	else map = map "," cells
	nrows++; next
}
/^\[ctl\] +\+- t=/ {
	if (nrows != 8) { bad(nrows " rows"); next }
	if ($0 !~ numbers_re) { bad("numbers"); next }
	split($0, f, /[ =()%]+/)
	t = f[4]; sub(/s$/, "", t); pm = f[7]; sub(/\./, "", pm)
	printf "%s;%s;%s;%s;%s;%s;%s\n", t, fscene, fnth, f[6], pm, f[9], map
	nrows = 0; nth++
}' >"$WORK/frames"

if grep -q '^BAD ' "$WORK/frames"; then
	grep '^BAD ' "$WORK/frames" | head -n 5
	fail "malformed frames (above)"
fi
nframes=$(grep -vc '^BAD ' "$WORK/frames")
echo "$nframes frames"
[ "$nframes" -ge "$RUN_S" ] || fail "$nframes frames, expected $RUN_S or more"

# check_scene SCENE T DIRTY PATH ROW...: the frame inside a scene.
check_scene() {
	local scene=$1 t=$2 dirty=$3 path=$4 band y
	shift 4
	band=$(printf '%s' "${@:2}" | tr -cd '@' | wc -c)
	case $scene in
	1)
		echo "busy:    t=$t dirty=$dirty path=$path, $band full cells below row 0"
		[ "${1:40:4}" = '@@@@' ] || fail "busy: no hot spot in row 0: '$1'"
		[ "$band" -ge 36 ] ||
			fail "busy: $band full cells in rows 1-7, want a band of 36+"
		[ "$path" = rmap ] || fail "busy: path=$path, expected rmap"
		;;
	2)
		echo "quiet:   t=$t dirty=$dirty path=$path"
		{ [ "$dirty" -ge 1 ] && [ "$dirty" -le 12 ]; } ||
			fail "quiet: $dirty dirty pages, expected 1 to 12"
		[ "$path" = rmap ] || fail "quiet: path=$path, expected rmap"
		;;
	3)
		echo "picture: t=$t dirty=$dirty path=$path"
		for y in 0 1 2 3 4 5 6; do
			[ "${*:y+2:1}" = "${PICTURE[y]}" ] ||
				fail "picture: row $((y + 1)) is '${*:y+2:1}'"
		done
		[ "${1:32:30}" = "$SCALE" ] ||
			fail "picture: the scale in row 0 is '${1:32:30}'"
		# The word (2752 pages), the scale (160), the workload's own
		# stack and data.
		{ [ "$dirty" -ge 2912 ] && [ "$dirty" -le 2920 ]; } ||
			fail "picture: $dirty dirty pages, expected 2912 to 2920"
		[ "$path" = walk ] || fail "picture: path=$path, expected walk"
		;;
	esac
}

t_want=1
while IFS=';' read -r t scene nth dirty permille path map; do
	[ "$t" = "$t_want" ] || fail "frame $t_want is labelled t=$t"
	t_want=$((t + 1))
	[ "$dirty" -le "$NPAGES" ] || fail "t=$t: $dirty dirty pages of $NPAGES"
	[ "$permille" -eq $((dirty * 1000 / NPAGES)) ] ||
		fail "t=$t: $dirty pages are not $permille per mille"
	if [ "$nth" = 2 ]; then
		IFS=, read -r -a rows <<<"$map"
		check_scene "$scene" "$t" "$dirty" "$path" "${rows[@]}"
	fi
done < <(grep -v '^BAD ' "$WORK/frames")
for s in 1 2 3; do
	grep -q "^[0-9]*;$s;2;" "$WORK/frames" ||
		fail "no whole frame inside scene $s"
done
finish
