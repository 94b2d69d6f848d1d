// SPDX-License-Identifier: MIT
/*
 * Platform checks shared by the test guests (platform.h). Runs on vCPU 0
 * at CPL 0.
 */
#include "platform.h"
#include "check.h"
#include "console.h"
#include "str.h"
#include "x86.h"

#define CPUID_HV_BASE 0x40000000
#define PAGE_SHIFT    12

/* The buffers hypercalls fill start as this, to see what was written. */
#define POISON 0xa5

bool is_shade(void)
{
	struct cpuid_regs r = cpuid(CPUID_HV_BASE, 0);
	char sig[9];

	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	sig[8] = '\0';
	return strcmp(sig, "ShadeVMM") == 0;
}

void entry_state_check(void)
{
	u32 cr0 = read_cr0(), fl = read_eflags();

	checkf((cr0 & X86_CR0_PE) && !(cr0 & X86_CR0_PG),
	       "protected mode with paging off (CR0 0x%x)", cr0);
	checkf(!(fl & (X86_EFLAGS_IF | X86_EFLAGS_VM)),
	       "interrupts off, not virtual-8086 (EFLAGS 0x%x)", fl);
}

static void cpuid_check(void)
{
	struct cpuid_regs r = cpuid(CPUID_HV_BASE, 0);
	struct cpuid_regs l1 = cpuid(1, 0);

	check(is_shade(), "CPUID 0x40000000 signature is ShadeVMM");
	checkf(r.eax >= CPUID_HV_BASE && r.eax < CPUID_HV_BASE + 0x100,
	       "CPUID 0x40000000 EAX 0x%x is the highest hypervisor leaf",
	       r.eax);
	check_eq(r.edx, 0, "CPUID 0x40000000 EDX");
	check(l1.ecx & CPUID_1_ECX_HYPERVISOR, "CPUID 1 hypervisor bit set");
	check(!(l1.ecx & CPUID_1_ECX_VMX), "CPUID 1 VMX bit clear");
}

bool self_info(struct partition_info *pi)
{
	i32 rc;

	memset(pi, POISON, sizeof(*pi));
	rc = hc_partition_info(PARTITION_SELF, gpa_of(pi));
	return check_eq(rc, 0, "HC_PARTITION_INFO(0) succeeds");
}

static bool partition_info_check(const struct platform_expect *ex,
				 struct partition_info *pi)
{
	if (!self_info(pi))
		return false;
	checkf(pi->id > 0, "own partition id %u is positive", pi->id);
	check_eq(pi->ncpus, ex->ncpus, "partition info: ncpus");
	check_eq((i64)pi->mem_bytes, (i64)ex->mem_bytes,
		 "partition info: mem_bytes");
	checkf(pi->nslots >= 1, "partition info: %u memory slot(s)",
	       pi->nslots);
	check_eq(pi->flags, PARTITION_FLAG_RUNNING,
		 "partition info: flags running, not control");
	if (!check(strnlen(pi->name, sizeof(pi->name)) < sizeof(pi->name),
		   "partition info: name is NUL-terminated"))
		return true;
	checkf(strcmp(pi->name, ex->name) == 0,
	       "partition info: name '%s' (expected '%s')", pi->name, ex->name);
	return true;
}

static void memslot_check(const struct platform_expect *ex)
{
	struct memslot_info ms;

	memset(&ms, POISON, sizeof(ms));
	if (!check_eq(hc_memslot_info(PARTITION_SELF, 0, gpa_of(&ms)), 0,
		      "HC_MEMSLOT_INFO(0, 0) succeeds"))
		return;
	check_eq((i64)ms.base_gfn, 0, "memory slot 0 base_gfn");
	check_eq((i64)ms.npages, (i64)(ex->mem_bytes >> PAGE_SHIFT),
		 "memory slot 0 npages = mem / 4096");
	gprintf("memory slot 0: flags 0x%x reserved 0x%x\n", ms.flags,
		ms.reserved);
}

void platform_check(const struct platform_expect *ex)
{
	struct partition_info pi;

	cpuid_check();
	if (!is_shade()) {
		check(false, "running under Shade: hypercall checks skipped");
		return;
	}
	check_eq(hc_version(), SHADE_ABI_VERSION, "HC_VERSION is 1.0");
	if (partition_info_check(ex, &pi))
		check_eq(hc_partition_find(gpa_of(ex->name)), pi.id,
			 "HC_PARTITION_FIND(own name) gives own id");
	memslot_check(ex);
}
