#!/usr/bin/env bash
# Plain QEMU (TCG) has no VT-x: Shade still boots all four CPUs through the
# xAPIC, says clearly that VT-x is missing, prints the final line with
# nothing failed and powers off (contract section 1, issue 2).
. "$(dirname "$0")/lib.sh"

if [ -r /dev/kvm ] && grep -qw vmx /proc/cpuinfo; then
	echo "this host has VT-x: tools/boot qemu would use KVM; nothing to check"
	exit 1
fi
mkiso "$WORK/x.iso"
boot qemu "$WORK/x.iso" --cpus 4
expect_status 0
expect 'loaded by multiboot2: GRUB'
expect 'smp: 4 CPUs online (local APIC in xAPIC mode)'
expect 'ipi: round trip to 3 CPUs ok'
expect 'error: VT-x not available: the CPU does not report VMX (CPUID.1:ECX bit 5 is clear). Shade cannot run partitions on this machine.'
reject 'vmx: VMX on'
expect_final 'shade: done pass=0 fail=0'
finish
