#!/usr/bin/env bash
# ACPI in two partitions (tests/guests/acpi.c, docs/platform.md): "acpi"
# with 2 vCPUs and "uni" with 1 vCPU and the smallest RAM (2M) each find
# their RSDP by scanning 0xe0000-0xfffff and in the multiboot2 ACPI tags,
# check every checksum, walk the RSDT and the XSDT, find in the MADT
# exactly their own vCPUs (each vCPU checks its CPUID and local APIC ID
# against it), compare the FADT with the platform's ports, measure the PM
# timer against the TSC and power off through ACPI S5: \_S5's SLP_TYP
# with SLP_EN to PM1a_CNT, which stops the partition with status 0. A
# guest with a failed check exits through port 0xf4 instead, with a
# non-zero status.
. "$(dirname "$0")/lib.sh"

elf=$(guest_elf acpi) || exit 1
mkiso "$WORK/x.iso" --guest "$elf" "name=acpi cpus=2" \
	--guest "$elf" "name=uni mem=2M"
boot bochs "$WORK/x.iso" --cpus 3
expect_status 0
expect_started acpi 2 '[0-9]+,[0-9]+' 16 multiboot2 "$elf"
expect_started uni 1 '[0-9]+' 2 multiboot2 "$elf"
for p in acpi uni; do
	expect_guest_pass $p
	expect "[$p] PASS RSDP: 1 found scanning 0xe0000-0xfffff on 16-byte boundaries (expected 1), at 0xf0000"
	expect "[$p] PASS RSDP: extended checksum of all 36 bytes"
	expect "[$p] PASS multiboot2: ACPI new RSDP tag holds the 36 bytes at 0xf0000 (36 bytes)"
	expect "[$p] PASS multiboot2: ACPI old RSDP tag holds the 20 bytes at 0xf0000 (20 bytes)"
	expect_re "^\[$p\] PASS RSDT and XSDT list the same 2 tables in order\$"
	expect "[$p] PASS root tables: one FADT, one MADT, nothing else (0 others)"
	for t in RSDT XSDT FACP APIC DSDT; do
		expect_re "^\[$p\] PASS $t at 0x[0-9a-f]+: checksum\$"
		expect_re "^\[$p\] PASS $t at 0x[0-9a-f]+: in reserved memory\$"
	done
	expect "[$p] PASS MADT: local APIC entry i has UID i and APIC ID i, the vCPU index (0 not)"
	expect "[$p] PASS MADT: no I/O APIC, no source override, nothing else (0, 0, 0, 0)"
	expect "[$p] PASS MADT: one local APIC NMI entry: all processors, LINT1, edge, active high"
	expect "[$p] PASS FADT: PM_TMR_BLK"
	expect "[$p] PASS FADT RESET_REG: I/O port 0xcf9, 8 bits (space 1, width 8, address 0xcf9)"
	expect "[$p] PASS DSDT: its AML is Name (_S5, Package () {5, 5, 0, 0})"
	expect "[$p] PASS DSDT: \\_S5 SLP_TYPa"
	expect_re "^\[$p\] PASS PM timer counts at 3.579545 MHz: [0-9]+ ticks over [0-9]+ TSC cycles"
	expect "[$p] S5: writing 0x3400 to PM1a_CNT (port 0x604)"
	expect_stopped_re $p 0 'ACPI power-off \(S5\)$'
	reject "partition '$p' stopped with status 0 (the guest wrote"
	reject "[$p] FAIL S5: the partition still runs after SLP_EN"
done
expect "[acpi] PASS MADT: 2 enabled local APICs for the partition's 2 vCPUs"
expect "[acpi] PASS MADT: APIC IDs and processor UIDs are 0..1 (ID bits 0x3, UID bits 0x3)"
expect "[uni] PASS MADT: 1 enabled local APICs for the partition's 1 vCPUs"
expect "[uni] PASS MADT: APIC IDs and processor UIDs are 0..0 (ID bits 0x1, UID bits 0x1)"
for i in 0 1; do
	expect "[acpi] PASS vCPU $i: CPUID initial APIC ID $i, local APIC ID $i: its MADT entry"
done
expect "[acpi] PASS vCPU 1: IA32_APIC_BASE 0xfee00800: xAPIC at the MADT's address, BSP only on vCPU 0"
expect "[uni] PASS vCPU 0: IA32_APIC_BASE 0xfee00900: xAPIC at the MADT's address, BSP only on vCPU 0"
reject "[uni] PASS vCPU 1"
expect_final 'shade: done pass=2 fail=0'
finish
