#!/usr/bin/env bash
# Junk at the virtual platform next to a well-behaved partition
# (tests/guests/junk.c, docs/platform.md): the junk guest hammers every
# xAPIC register at every width, every x2APIC MSR and IA32_APIC_BASE
# (each #GP checked against the SDM), the legacy device ports (never a
# reset or S5) and unassigned device memory with eleven instruction forms
# Shade emulates, then checks that the platform still works: self-IPIs,
# TPR, the APIC timer's three modes, the PIT through the 8259. Beside it
# sidebyside ("neighbour") prints its lines. Both must stop with status 0,
# Shade must stay up, its MMU audit quiet, and unassigned device pages
# must be logged once each, at most 16 per partition.
. "$(dirname "$0")/lib.sh"

junk=$(guest_elf junk) || exit 1
sbs=$(guest_elf sidebyside) || exit 1
mkiso "$WORK/x.iso" --vmm-args "mmu_audit=on" \
	--guest "$junk" "name=junk -- rounds=120 seed=7" \
	--guest "$sbs" "name=neighbour -- lines=300"
boot bochs "$WORK/x.iso" --cpus 2
expect_status 0
expect_started junk 1 '[0-9]+' 16 multiboot2 "$junk"
expect_started neighbour 1 '[0-9]+' 16 multiboot2 "$sbs"
expect "[junk] junk: rounds=120 seed=0x7"
expect_guest_pass junk
expect "[junk] PASS xAPIC page: every register slot and width, and random accesses by 11 instruction forms; the version register is unchanged"
expect_re '^\[junk\] PASS x2APIC MSRs: [0-9]+ accesses, #GP as the SDM says'
expect_re '^\[junk\] PASS IA32_APIC_BASE: [0-9]+ writes, #GP exactly for reserved bits and invalid mode transitions$'
expect "[junk] PASS x2APIC mode: the xAPIC page is unassigned, reads all ones"
expect_re '^\[junk\] PASS legacy ports: [0-9]+ random accesses; PCI config data 0xcfc reads all ones \(0 wrong\)$'
expect_re '^\[junk\] PASS unassigned device memory: [0-9]+ accesses by 11 instruction forms, reads all ones, writes vanish$'
expect "[junk] PASS APIC disabled and re-enabled in IA32_APIC_BASE: power-up state (SVR 0xff, nothing pending or in service)"
expect "[junk] PASS no interrupt arrives after the reset"
expect "[junk] PASS xAPIC ICR: 120 self-IPIs with random vectors, each once"
expect "[junk] PASS x2APIC SELF IPI: 120 self-IPIs with random vectors, each once"
expect_re '^\[junk\] PASS [0-9]+ pending vectors \(one sent twice\) delivered once each, highest first'
expect "[junk] PASS TPR 0x80: vector 0x95 arrives, 0x85 waits"
expect "[junk] PASS APIC timer one-shot: one interrupt"
expect_re '^\[junk\] PASS APIC timer periodic: [0-9]+ interrupts$'
expect "[junk] PASS TSC-deadline timer: one interrupt"
expect_re '^\[junk\] PASS PIT IRQ0 through the 8259 and LINT0 \(ExtINT\): [0-9]+ interrupts$'
expect_stopped junk 0
expect_re '^\[neighbour\] line 300 of neighbour: '
expect_stopped neighbour 0
# Messages Shade drops are logged once each.
expect_count 1 "partition 'junk': vCPU 0 sends INIT/SIPI IPIs"
expect_count 1 "partition 'junk': vCPU 0 sends NMI IPIs"
# Unassigned device memory: one line per page, for the first 16 pages.
expect_count 16 "partition 'junk': vCPU 0 reads unassigned guest-physical"
for a in 0xfee00000 0xfec00000 0xfed00000 0xe0000000 0x1000000 0xfee01000 \
	0xfffff000 0x1001000 0xd0000000 0xd0006000; do
	expect_count 1 "reads unassigned guest-physical $a (no device: reads all ones, writes dropped)"
done
expect_count 1 "reads unassigned guest-physical 0xd0007000 (no device: reads all ones, writes dropped); further pages are not logged"
reject "unassigned guest-physical 0xd0008000"
reject "writes unassigned guest-physical"
reject "partition 'neighbour': vCPU"
reject "error: mmu audit:"
expect_final 'shade: done pass=2 fail=0'
finish
