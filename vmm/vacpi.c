// SPDX-License-Identifier: MIT
/*
 * A partition's ACPI tables, written into its RAM once, at creation
 * (vplatform_init() calls vacpi_build() after the guest image is loaded).
 * The bytes come from vmm/vacpi_tables.c; this file only puts them in
 * place: the tables at VACPI_AREA_GPA, the RSDP at VACPI_RSDP_GPA, both
 * inside the range [0x9fc00, 0x100000) that the guest's memory map calls
 * reserved (contract section 2) and into which the loader puts nothing.
 *
 * The memory map keeps calling the area "reserved" (type 2), not "ACPI
 * reclaimable" (type 3): the contract fixes the map at three entries, and
 * the BIOS area is reserved on PCs too, where OSes find the RSDP all the
 * same. A guest that wants the memory back after reading the tables may
 * take it; it is its own RAM.
 *
 * Every partition's RAM covers the area: config.c refuses mem= below 2M
 * and loader_plan() refuses RAM that does not reach above 1 MiB, so the
 * -ENOSPC case below is a check of those rules, not a supported setup.
 *
 * Context: boot CPU, partition creation (interrupts off, no locks).
 */
#include "vmm.h"
#include "vacpi.h"
#include "errno.h"
#include "printk.h"

int vacpi_build(struct partition *p)
{
	/* Boot CPU only, one partition at a time: one buffer will do. */
	static u8 tables[VACPI_TABLES_BYTES];
	u8 rsdp[VACPI_RSDP_LEN];
	int ret;

	if (!gpa_range_ok(p, VACPI_AREA_GPA, VACPI_AREA_END - VACPI_AREA_GPA)) {
		pr_err("partition '%s': ACPI tables: RAM (%lu KiB) does not "
		       "reach 0x%llx",
		       p->cfg.name, p->cfg.mem_bytes / KiB, VACPI_AREA_END);
		return -ENOSPC;
	}
	ret = vacpi_tables_build(p->cfg.ncpus, tables);
	if (ret) {
		pr_err("partition '%s': ACPI tables: %u vCPUs, the MADT "
		       "describes at most %d",
		       p->cfg.name, p->cfg.ncpus, VACPI_MAX_CPUS);
		return ret;
	}
	vacpi_rsdp_build(rsdp);
	ret = guest_write(p, VACPI_AREA_GPA, tables, sizeof(tables));
	if (!ret)
		ret = guest_write(p, VACPI_RSDP_GPA, rsdp, sizeof(rsdp));
	return ret;
}
