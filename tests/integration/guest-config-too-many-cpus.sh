#!/usr/bin/env bash
# More vCPUs than free physical CPUs on a one-CPU machine: both such
# partitions are reported with the cpus= word and not started, and the
# one-vCPU partition after them still gets the CPU (contract section 2).
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf sidebyside) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=big cpus=2" \
	--guest "$elf" "name=huge cpus=64" \
	--guest "$elf" "name=ok -- lines=3"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 1
expect_config_error big 'cpus=2'
expect_config_error huge 'cpus=64'
expect_not_started big
expect_not_started huge
expect_ok_partition ok
expect_final 'shade: done pass=1 fail=2'
finish
