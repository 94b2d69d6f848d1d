#!/usr/bin/env bash
# Four CPUs in Bochs: the APs start through the real-mode trampoline, each
# reports itself online with its APIC ID, and a cross-CPU call reaches all
# three APs and comes back (the transport for TLB shootdowns).
. "$(dirname "$0")/lib.sh"

mkiso "$WORK/x.iso"
boot bochs "$WORK/x.iso" --cpus 4
expect_status 0
for cpu in 1 2 3; do
	expect_re "^shade\[$cpu\]: cpu $cpu online \(APIC ID $cpu\)"
done
expect 'smp: 4 CPUs online (local APIC in x2APIC mode)'
expect_re 'vmx: VMX on in 4 CPUs'
expect_re 'ipi: round trip to 3 CPUs ok \([0-9]+ cycles per call, 16 calls\)'
reject 'warning:'
reject 'error:'
expect_final 'shade: done pass=0 fail=0'
finish
