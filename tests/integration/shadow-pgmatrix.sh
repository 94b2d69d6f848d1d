#!/usr/bin/env bash
# The paging-mode matrix, the differential test of the shadow MMU: the guest
# pgmatrix (tests/guests/pgmatrix.c) runs bare on Bochs, the reference CPU,
# and then as a Shade partition with 32 MiB; the "M " lines of the two runs
# (fault, error code, CR2, A and D bits of every probe in 32-bit, PAE and
# 4-level paging) must match exactly. Either run must reach "M done", the
# bare run must have printed the matrix, and under Shade the guest must
# stop with status 0. On a mismatch the diff (bare first) is shown and kept
# as $NAME.diff in the log directory.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf pgmatrix) || exit 1
LOGDIR=${SHADE_TEST_LOGDIR:-$WORK}
BARE_LOG=$LOGDIR/$NAME.bare.serial
DIFF=$LOGDIR/$NAME.diff
DIFF_SHOWN=150 # lines of the diff printed here

# m_lines LOG PREFIX: the matrix lines of LOG, PREFIX ("[pgm] ") removed.
m_lines() {
	tr -d '\r' <"$1" | sed -n "s/^$2\(M .*\)\$/\1/p"
}

# The bare run: the guest is the kernel GRUB boots. It powers Bochs off
# itself (guest_poweroff), so there is no "shade: done" line and tools/boot
# says 1; the serial log is what counts. --mem 32 as the partition gets.
SHADE_ELF=$elf "$ROOT/tools/mkiso" "$WORK/bare.iso" >/dev/null ||
	{
		echo "tools/mkiso with SHADE_ELF=$elf failed"
		exit 1
	}
"$ROOT/tools/boot" bochs "$WORK/bare.iso" --cpus 1 --mem 32 \
	--timeout 300 --log "$BARE_LOG" >/dev/null
echo "bare run: tools/boot exited with $? (1 expected: no Shade)"
m_lines "$BARE_LOG" '' >"$WORK/bare.m"
bare_n=$(wc -l <"$WORK/bare.m")
echo "bare run: $bare_n M lines"
[ "$bare_n" -gt 2 ] || fail "the bare run printed no matrix ($BARE_LOG)"
grep -q '^M done groups=[1-9]' "$WORK/bare.m" ||
	fail "the bare run did not reach 'M done' ($BARE_LOG)"
tr -d '\r' <"$BARE_LOG" | grep -qE '^RESULT pass=[1-9][0-9]* fail=0$' ||
	fail "the bare run's own checks failed ($BARE_LOG)"

# The same guest under Shade.
mkiso "$WORK/x.iso" --guest "$elf" "name=pgm mem=32M"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 0
expect_started pgm 1 '[0-9]+' 32 multiboot2 "$elf"
m_lines "$LOG" '\[pgm\] ' >"$WORK/shade.m"
echo "Shade run: $(wc -l <"$WORK/shade.m") M lines"
grep -q '^M done groups=[1-9]' "$WORK/shade.m" ||
	fail "the run under Shade did not reach 'M done'"
expect_guest_pass pgm
expect_stopped pgm 0
expect_final 'shade: done pass=1 fail=0'

if ! diff -u --label bare --label shade "$WORK/bare.m" "$WORK/shade.m" \
	>"$DIFF"; then
	fail "$(grep -c '^-M' "$DIFF") bare line(s) differ under Shade; the diff (bare first):"
	head -n "$DIFF_SHOWN" "$DIFF"
	[ "$(wc -l <"$DIFF")" -le "$DIFF_SHOWN" ] ||
		echo "... (the whole diff is in $DIFF)"
else
	rm -f "$DIFF"
fi
finish
