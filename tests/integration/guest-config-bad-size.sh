#!/usr/bin/env bash
# Bad mem= sizes: an unknown suffix, more than 3G, less than the 2M a
# partition needs, and a size that is not a whole number of 4 KiB pages.
# Each is reported with the partition's name and the word, none starts,
# and the good partition still runs (contract section 2).
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf sidebyside) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=suffix mem=12Q" \
	--guest "$elf" "name=toobig mem=4G" \
	--guest "$elf" "name=toosmall mem=1M" \
	--guest "$elf" "name=unaligned mem=4097K" \
	--guest "$elf" "name=ok mem=8M -- lines=3"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 1
expect_config_error suffix 'mem=12Q'
expect_config_error toobig 'mem=4G'
expect_config_error toosmall 'mem=1M'
expect_config_error unaligned 'mem=4097K'
for name in suffix toobig toosmall unaligned; do
	expect_not_started "$name"
done
expect_started ok 1 '[0-9]+' 8 multiboot2 "$elf"
expect_ok_partition ok
expect_final 'shade: done pass=1 fail=4'
finish
