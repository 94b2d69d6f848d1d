#!/usr/bin/env bash
# IPIs between the vCPUs of one partition (vmm/vlapic.c): the apic-smp
# guest (tests/guests/apic-smp.c) with cpus=4 on four CPUs. An IPI to a
# vCPU not started yet waits in its IRR; fixed IPIs with physical,
# logical flat and cluster destinations, the shorthands, broadcasts and
# lowest priority reach exactly the vCPUs they name, once each, in xAPIC
# and x2APIC mode; an IPI wakes a halted vCPU at once (not at Shade's
# 1 ms backstop); an illegal vector sets both ends' ESR; INIT and SIPI
# are ignored (logged once).
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf apic-smp) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=apic-smp cpus=4 pcpus=0-3"
boot bochs "$WORK/x.iso" --cpus 4
expect_status 0
expect_started apic-smp 4 '0,1,2,3' 16 multiboot2 "$elf"
expect_guest_pass apic-smp
p='[apic-smp] PASS'
expect "$p IPI sent before vCPU 3 started: exactly once, to vCPU 3"
for i in 1 2 3; do
	expect "$p vCPU $i: xAPIC ID $i"
	expect "$p vCPU $i: CPUID 0xB and 0x1F: x2APIC ID $i $i"
done
expect "$p xAPIC: fixed to vCPU 2: deliveries 0 0 1 0"
expect "$p xAPIC: all excluding self: deliveries 0 1 1 1"
expect "$p xAPIC: all including self: deliveries 1 1 1 1"
expect "$p xAPIC: physical broadcast 0xFF: deliveries 1 1 1 1"
expect "$p xAPIC: logical flat 0x0A: deliveries 0 1 0 1"
expect "$p xAPIC: lowest priority, logical 0x0E: deliveries 0 1 0 0"
expect "$p xAPIC: logical cluster 1, members 1 and 2: deliveries 0 1 1 0"
expect "$p xAPIC: logical cluster 2 (nobody): deliveries 0 0 0 0"
expect "$p xAPIC: vector 5 to vCPU 1: its ESR receive illegal vector (0x40)"
expect "$p xAPIC: INIT and SIPI to vCPU 1 ignored (it runs, LDR kept)"
expect "$p x2APIC: fixed to vCPU 3: deliveries 0 0 0 1"
expect "$p x2APIC: broadcast 0xFFFFFFFF: deliveries 1 1 1 1"
expect "$p x2APIC: physical 0xFF is vCPU 255 (nobody): deliveries 0 0 0 0"
expect "$p x2APIC: logical cluster 0, members 2 and 3: deliveries 0 0 1 1"
for m in xAPIC x2APIC; do
	expect "$p $m: vCPU 3 stays halted without an interrupt"
	expect "$p $m: an IPI wakes halted vCPU 3, taken once, it runs again"
	expect "$p $m: the IPI wakes it at once (within 0.4 ms)"
done
expect_count 1 "partition 'apic-smp': vCPU 0 sends INIT/SIPI IPIs"
expect_stopped apic-smp 0
expect_final 'shade: done pass=1 fail=0'
finish
