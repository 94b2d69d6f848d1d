/* SPDX-License-Identifier: MIT */
/*
 * Reading the firmware's ACPI tables (arch/x86/acpi.c): the RSDP, the
 * RSDT/XSDT, the MADT (which CPUs exist) and the FADT with the \_S5 sleep
 * type from the DSDT (how to power off). Every table's length and checksum
 * is checked before a byte of it is used; every pointer goes through a
 * phys_map_fn that refuses ranges outside mapped memory.
 *
 * Context: boot CPU, during boot.
 */
#ifndef SHADE_ACPI_H
#define SHADE_ACPI_H

#include "types.h"
#include "bootinfo.h"

#define ACPI_MAX_CPUS 64

struct acpi_cpu {
	u32 apic_id;
	u32 uid; /* ACPI processor UID */
};

struct acpi_info {
	u64 rsdp_pa; /* where the RSDP was found (0 if from a boot tag) */
	u8 revision; /* RSDP revision: 0 = ACPI 1.0 (RSDT), 2+ = XSDT */
	char oem_id[7];

	bool have_madt;
	hpa_t lapic_pa; /* local APIC base from the MADT */
	u32 ncpus;	/* enabled processors, boot CPU first if known */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	u32 ncpus_ignored; /* enabled ones beyond ACPI_MAX_CPUS */

	bool have_fadt;
	u32 pm1a_cnt,
		pm1b_cnt; /* I/O ports of the PM1 control blocks; 0 = none */
	u32 pm_tmr;	  /* ACPI PM timer port, 0 = none */
	bool have_s5;
	u8 slp_typa, slp_typb; /* \_S5 values for PM1x_CNT.SLP_TYP */
};

/* ACPI problems are warnings, never fatal: Shade then runs on the boot CPU. */
#define ACPI_MAX_WARNINGS 8
struct acpi_warnings {
	u32 n;
	char msg[ACPI_MAX_WARNINGS][128];
};

/*
 * Look for the RSDP the legacy way: the first KiB of the EBDA (segment at
 * physical 0x40e), then 0xe0000-0xfffff, on 16-byte boundaries, checksum
 * checked. Returns 0 and *pa, or -ENOENT.
 */
int acpi_find_rsdp(phys_map_fn map, void *ctx, u64 *pa);

/*
 * Parse everything from an RSDP (rsdp points at a copy of at least
 * rsdp_len bytes, e.g. from the multiboot2 tag, or mapped memory). Fills
 * *out as far as the tables allow and adds a warning for each problem
 * (bad checksum, truncated table, missing MADT). Returns 0 if a MADT with
 * at least one CPU was read, -ENOENT otherwise.
 */
int acpi_parse(const void *rsdp, u32 rsdp_len, phys_map_fn map, void *ctx,
	       struct acpi_info *out, struct acpi_warnings *warn);

#endif
