/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for a partition (vmm/vacpi.c), built into guest RAM at
 * creation: the RSDP at VACPI_RSDP_GPA (in the BIOS area, where guests
 * search for it), and RSDT, XSDT, MADT (exactly the partition's vCPUs, a
 * local APIC entry each, the LINT1 NMI entry), FADT (PM timer and PM1
 * blocks of include/vlegacy.h, no SMI command port: ACPI mode is always
 * on), a minimal DSDT (\_S5 package) and FACS, every checksum valid. The
 * area [VACPI_AREA_GPA, VACPI_AREA_END) lies in the guest's reserved BIOS
 * range [0x9fc00, 0x100000) of the memory map.
 *
 * The bytes themselves come from vmm/vacpi_tables.c, which is pure (no
 * partition, no guest memory) so that the host unit tests can read them
 * back with Shade's own ACPI parser, and so that the boot information
 * (vmm/bootinfo_build.c) can carry the same RSDP in its multiboot2 ACPI
 * tags.
 */
#ifndef SHADE_VACPI_H
#define SHADE_VACPI_H

#include "types.h"

struct partition;

#define VACPI_AREA_GPA	  0xe0000ULL
#define VACPI_AREA_END	  0x100000ULL
#define VACPI_RSDP_GPA	  0xf0000ULL
#define VACPI_RSDP_V1_LEN 20
#define VACPI_RSDP_LEN	  36

/* Where the tables sit (vacpi_tables.c explains the order). */
#define VACPI_RSDT_GPA	   0xe0000ULL
#define VACPI_XSDT_GPA	   0xe0040ULL
#define VACPI_FACS_GPA	   0xe0080ULL /* 64-byte aligned, as ACPI 5.2.10 wants */
#define VACPI_FADT_GPA	   0xe0100ULL
#define VACPI_DSDT_GPA	   0xe0240ULL
#define VACPI_MADT_GPA	   0xe0280ULL
/* The tables occupy [VACPI_AREA_GPA, + VACPI_TABLES_BYTES) at most. */
#define VACPI_TABLES_BYTES 0x500
#define VACPI_MAX_CPUS	   64 /* = CONFIG_MAX_CPUS; APIC IDs 0-63 */

/* Write the tables into p's RAM (which must reach 1 MiB). 0 or -errno
 * (-ENOSPC, logged, if RAM does not cover the area; -EINVAL for a vCPU
 * count the MADT cannot describe). Partition creation, boot CPU. */
int vacpi_build(struct partition *p);

/*
 * Pure: the tables for a partition of ncpus vCPUs (1 to VACPI_MAX_CPUS),
 * as the bytes [VACPI_AREA_GPA, + VACPI_TABLES_BYTES) of guest RAM, into
 * buf (VACPI_TABLES_BYTES bytes, cleared first). Returns 0 or -EINVAL.
 */
int vacpi_tables_build(u32 ncpus, u8 *buf);

/* Pure: the RSDP that sits at VACPI_RSDP_GPA (it depends on nothing but
 * the fixed layout above); both checksums set. */
void vacpi_rsdp_build(u8 rsdp[VACPI_RSDP_LEN]);

#endif
