#!/usr/bin/env bash
# A partition line with an unknown key, and one with an unknown flag: each
# is reported with the partition's name and the offending word and not
# started, counts as failed, and the good partition still runs (contract
# section 2).
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf sidebyside) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=badkey color=red" \
	--guest "$elf" "name=badflag fast" \
	--guest "$elf" "name=ok -- lines=3"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 1
expect_config_error badkey 'color=red'
expect_config_error badflag 'fast'
expect_not_started badkey
expect_not_started badflag
expect_ok_partition ok
expect_final 'shade: done pass=1 fail=2'
finish
