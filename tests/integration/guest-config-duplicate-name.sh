#!/usr/bin/env bash
# Two partitions named alike on two CPUs: the first in module order runs,
# the second is reported with the name and not started (contract
# section 2).
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf sidebyside) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=dup -- lines=3" \
	--guest "$elf" "name=dup -- lines=3"
boot bochs "$WORK/x.iso" --cpus 2
expect_status 1
expect_config_error dup 'name=dup'
expect_ok_partition dup
expect_count 1 '[dup] line 3 of dup: '
expect_final 'shade: done pass=1 fail=1'
finish
