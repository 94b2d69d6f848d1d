#!/usr/bin/env bash
# The virtual local APIC of one vCPU (vmm/vlapic.c): the apic guest
# (tests/guests/apic.c) in a 1-vCPU partition checks, in xAPIC and then
# x2APIC mode, the state a BIOS leaves, every register's read-only,
# reserved and writable bits, the x2APIC #GP rules, ESR and the error
# interrupt, priorities (highest first, TPR, nesting), the timer in
# one-shot, periodic and TSC-deadline modes timed against the TSC, a HLT
# the timer ends, and IA32_APIC_BASE's transitions. Shade logs the INIT,
# SIPI and NMI IPIs it ignores once each.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf apic) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=apic cpus=1"
boot bochs "$WORK/x.iso" --cpus 1
expect_status 0
expect_started apic 1 '[0-9]+' 16 multiboot2 "$elf"
expect_guest_pass apic
p='[apic] PASS'
expect "$p CPUID 0x40000010: APIC bus 100 MHz"
expect "$p CPUID.1: APIC, x2APIC, TSC-deadline timer"
expect "$p IA32_APIC_BASE: 0xFEE00000, enabled, BSP"
expect "$p xAPIC at start: virtual wire (SVR 0x1FF, LINT0 ExtINT, LINT1 NMI, other LVTs masked), the rest 0"
expect "$p xAPIC: all ones written: exactly the writable bits stick"
expect "$p xAPIC: writes to read-only registers are ignored"
expect "$p xAPIC: byte and word reads, bytes 4-15 read 0, a byte write is ignored"
expect "$p xAPIC: reserved registers read 0 and latch illegal register address"
expect "$p xAPIC: locked ADD, XCHG and CMPXCHG on the running current count (divide by 1) read it once; the count goes on"
expect "$p xAPIC: software-disabled: LVTs masked, and the mask sticks"
for m in xAPIC x2APIC; do
	expect "$p $m: self-IPI vector 3: send and receive illegal vector, latched by the next ESR write"
	expect "$p $m: one error interrupt (LVT error)"
	expect "$p $m: five self-IPIs wait in IRR, then arrive highest first (0xc4 0x82 0x63 0x52 0x41)"
	expect "$p $m: TPR 0x70 lets 0x85 through and holds 0x75 and 0x65"
	expect "$p $m: nesting: 0x5a interrupts 0x48's handler, 0x4c waits for its EOI; EOI clears the highest ISR bit"
	expect "$p $m: one-shot: fired after 10 ms of TSC (-0%, +5%)"
	expect "$p $m: one-shot: fired once, current count 0, initial count kept"
	expect "$p $m: periodic: 20 periods of 2 ms, average within 2%"
	expect "$p $m: periodic: initial count 0 stops it"
	expect "$p $m: masked periodic timer: counts, no interrupt; unmasked: fires again"
	expect "$p $m: HLT ended by the timer interrupt, at its deadline"
	expect "$p $m: TSC deadline: fired at the deadline (+5% of 10 ms)"
	expect "$p $m: TSC deadline 0 disarms; the initial count is ignored"
	expect_re "^\[apic\] $m: periodic: 20 periods in [0-9]+ TSC ticks, expected [0-9]+\$"
done
expect "$p xAPIC mode: RDMSR of an x2APIC register: #GP"
expect "$p x2APIC: ID 0, version, LDR cluster 0 bit 0, SVR kept"
expect "$p x2APIC: RDMSR of write-only, missing and reserved registers: #GP"
expect "$p x2APIC: WRMSR of read-only registers: #GP"
expect "$p x2APIC: WRMSR with a reserved bit set: #GP, nothing changes"
expect "$p x2APIC: SELF IPI sets IRR, delivered once"
expect "$p x2APIC: IPI to ID 1 (no such vCPU) goes nowhere"
expect "$p IA32_APIC_BASE: x2APIC to xAPIC directly, EXTD without EN, another base, a reserved bit: #GP"
expect "$p after disabling: power-up state (SVR 0xFF, LVTs masked, TPR and IRR clear, ID kept)"
expect "$p after disabling: the pending interrupt is gone"
# Ignored IPIs: one line per kind, however many were sent.
expect_count 1 "partition 'apic': vCPU 0 sends INIT/SIPI IPIs"
expect_count 1 "partition 'apic': vCPU 0 sends NMI IPIs"
expect_stopped apic 0
expect_final 'shade: done pass=1 fail=0'
finish
