#!/usr/bin/env bash
# Partitions side by side on three CPUs: two sidebyside guests (left,
# right) print 200 numbered lines each as fast as they can while crash
# prints 20 and triple-faults. Every guest line must come out whole, with
# its partition's prefix, in order; the crash must not disturb the others
# (contract section 4).
. "$(dirname "$0")/lib.sh"

sbs=$(guest_elf sidebyside) || exit 1
crash=$(guest_elf crash) || exit 1
mkiso "$WORK/x.iso" --guest "$sbs" "name=left" --guest "$sbs" "name=right" \
	--guest "$crash" "name=crash"
boot bochs "$WORK/x.iso" --cpus 3
expect_status 1

tail_text='the quick brown fox jumps over the lazy dog'
# expect_lines NAME N: NAME's numbered lines are exactly lines 1..N in order.
expect_lines() {
	local name=$1 n=$2 want got
	want=$(seq 1 "$n" | sed "s/.*/[$name] line & of $name: $tail_text/")
	got=$(lines | grep -F "[$name] line ")
	[ "$got" = "$want" ] || fail "[$name] lines are not exactly 1..$n in order"
}
for name in left right; do
	expect_started "$name" 1 '[0-9]+' 16 multiboot2 "$sbs"
	expect_lines "$name" 200
	expect_stopped "$name" 0
done
# Any line that mentions a partition's text must be one whole line of it.
bad=$(lines | grep -E 'line [0-9]+ of (left|right)|crash line' |
	grep -cvE "^\[(left|right)\] line [0-9]+ of \1: $tail_text\$|^\[crash\] crash line [0-9]+ of 20\$")
[ "$bad" -eq 0 ] || fail "$bad guest line(s) broken or mixed"

expect_count 20 '[crash] crash line '
site=$(lines | grep -oE '^\[crash\] divide by zero at 0x[0-9a-f]+' |
	grep -oE '0x[0-9a-f]+$' | sed 's/^0x0*//')
[ -n "$site" ] || fail "crash did not print the divide's address"
expect_stopped_re crash 255 "triple fault on vCPU 0 at RIP 0x0*$site\$"
reject '[crash] FAIL'
expect_final 'shade: done pass=2 fail=1'
finish
