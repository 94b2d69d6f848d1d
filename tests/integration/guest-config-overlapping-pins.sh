#!/usr/bin/env bash
# Two partitions pinned to the same physical CPU: the first in module
# order gets it, the second is reported with its pcpus= word and not
# started (contract section 2).
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf sidebyside) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=pina pcpus=1 -- lines=3" \
	--guest "$elf" "name=pinb pcpus=1 -- lines=3"
boot bochs "$WORK/x.iso" --cpus 2
expect_status 1
expect_config_error pinb 'pcpus=1'
expect_not_started pinb
expect_started pina 1 1 16 multiboot2 "$elf"
expect_ok_partition pina
expect_final 'shade: done pass=1 fail=1'
finish
