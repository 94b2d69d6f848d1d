#!/usr/bin/env bash
# A VM entry that fails on the guest state (selftest=bad-guest-state makes
# the first partition's TR not present) prints a readable dump: the exit
# reason and qualification, the likely check with its SDM section, and the
# guest-state area. Only that partition stops; its neighbour runs to the
# end and Shade powers off normally.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf sidebyside) || exit 1
mkiso "$WORK/x.iso" --vmm-args "selftest=bad-guest-state" \
	--guest "$elf" "name=broken -- lines=3" \
	--guest "$elf" "name=ok -- lines=3"
boot bochs "$WORK/x.iso" --cpus 2
expect_status 1
expect "selftest: making TR of partition 'broken' not present"
expect "error: partition 'broken': vCPU 0: VM entry failed: exit reason 33 (invalid guest state), qualification 0"
expect "error:   likely check: TR must be a usable, present, busy 32-bit TSS (SDM 3C 27.3.1.2)"
# (the real EFER: NXE, bit 11, is set wherever the processor has NX)
expect_re 'error:   CR0 0x[0-9a-f]+ CR3 0x[0-9a-f]+ CR4 0x[0-9a-f]+ EFER 0x(0|800) DR7 0x400'
expect_re 'error:   RIP 0x[0-9a-f]+ RSP 0x[0-9a-f]+ RFLAGS 0x2'
expect_re 'error:   CS   sel 0x0008 base 0x00000000 limit 0xffffffff ar 0x0c09b'
expect_re 'error:   TR   sel 0x0018 base 0x00000000 limit 0x00000067 ar 0x0000b'
expect_re 'error:   LDTR sel 0x0000 base 0x00000000 limit 0x00000000 ar 0x10000'
expect "partition 'broken' stopped with status 252: vCPU 0: VM entry failed (invalid guest state)"
reject '[broken] '
expect_ok_partition ok
expect_final 'shade: done pass=1 fail=1'
finish
