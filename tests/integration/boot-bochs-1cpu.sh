#!/usr/bin/env bash
# One CPU in Bochs with VT-x: the banner, the memory summary, VMX on,
# no partitions, and the contract's final line with exit status 0.
. "$(dirname "$0")/lib.sh"

mkiso "$WORK/x.iso"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 0
expect_re '^shade\[0\]: Shade [0-9.]+ \(hypercall ABI 1\.0\), loaded by multiboot2: GRUB'
expect_re '^shade\[0\]: memory: (50[0-9]|51[01]) MiB usable, [0-9]+ MiB free'
expect_re '^shade\[0\]: paging: 4 GiB identity-mapped; text read-only, data and heap not executable'
expect_re '^shade\[0\]: tsc: [0-9]+\.[0-9]{3} MHz'
expect 'smp: 1 CPU online'
expect_re 'vmx: VMX on in 1 CPU \(VMCS revision 0x[0-9a-f]+, VPID yes\)'
reject 'warning:'
reject 'error:'
expect_final 'shade: done pass=0 fail=0'
finish
