#!/usr/bin/env bash
# Images Shade cannot load: 8 KiB of zeros (no header of any format) and
# an ELF cut off after its first 256 bytes (its multiboot2 header, in the
# first page of the file, is gone). Each is reported with the partition's
# name and not started; the good partition still runs (contract
# section 2).
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf sidebyside) || exit 1
head -c 8192 /dev/zero >"$WORK/zeros.bin"
head -c 256 "$elf" >"$WORK/truncated.elf"
mkiso "$WORK/x.iso" --guest "$WORK/zeros.bin" "name=zeros" \
	--guest "$WORK/truncated.elf" "name=trunc" \
	--guest "$elf" "name=ok -- lines=3"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 1
expect "error: partition 'zeros': image (module 0, 8192 bytes): no multiboot2 header in the first 32 KiB and no multiboot1 header in the first 8 KiB"
expect "error: partition 'trunc': image (module 1, 256 bytes): no multiboot2 header"
expect_not_started zeros
expect_not_started trunc
expect_ok_partition ok
expect_final 'shade: done pass=1 fail=2'
finish
