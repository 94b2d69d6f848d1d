#!/usr/bin/env bash
# Hypercall abuse: the hcabuse guest tries every invalid argument and
# checks each error code and the order of the checks (contract section 5).
# A second partition runs beside it so that an id without the control
# flag also names a partition that exists.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf hcabuse) || exit 1
peer=$(guest_elf sidebyside) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=hcabuse" \
	--guest "$peer" "name=peer -- lines=3"
boot bochs "$WORK/x.iso" --cpus 2
expect_status 0
expect_started hcabuse 1 '[0-9]+' 16 multiboot2 "$elf"
expect_guest_pass hcabuse
expect '[hcabuse] PASS hypercall number 0xa: -ENOSYS'
expect '[hcabuse] PASS HC_PARTITION_INFO to 0xfffffff0 (gpa + len wraps to low RAM): -EFAULT'
expect '[hcabuse] PASS HC_PARTITION_FIND('"'nosuch'"'): -ENOENT'
expect '[hcabuse] PASS HC_MEMSLOT_INFO slot 1: -ENOENT'
expect '[hcabuse] PASS HC_DIRTY_LOG_GET on a slot not logging: -EINVAL'
expect '[hcabuse] PASS HC_VERSION at CPL 3: -EPERM'
expect '[hcabuse] PASS unknown number at CPL 3: -EPERM (CPL is checked first)'
expect '[hcabuse] PASS HC_STATS succeeds'
expect '[hcabuse] PASS unknown number: EAX -38, other registers preserved'
expect_re '^\[hcabuse\] PASS id 0x[1-8] without control: '
expect '[hcabuse] PASS id 0x3e8 without control: '
expect_ok_partition peer
expect_stopped hcabuse 0
expect_final 'shade: done pass=2 fail=0'
finish
