// SPDX-License-Identifier: MIT
/*
 * When a VM entry fails on the guest state (SDM 3C 27.8): a VM exit with
 * bit 31 of the exit reason set. Shade prints the qualification, the
 * likely check (the common ones from SDM 3C 27.3.1, tested here against
 * the VMCS), and the whole guest-state area, then stops the partition.
 * Shade itself goes on.
 *
 * Context: the vCPU's physical CPU, its VMCS current.
 */
#include "exit.h"
#include "vmx.h"
#include "vmx_caps.h"
#include "x86.h"
#include "printk.h"

/* Set by boot_main() for selftest=bad-guest-state. */
bool vmx_selftest_bad_guest_state;

struct seg_fields {
	const char *name;
	u32 sel, base, limit, ar;
};

static const struct seg_fields segs[] = {
	{"CS", GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT,
	 GUEST_CS_AR_BYTES},
	{"SS", GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT,
	 GUEST_SS_AR_BYTES},
	{"DS", GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT,
	 GUEST_DS_AR_BYTES},
	{"ES", GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT,
	 GUEST_ES_AR_BYTES},
	{"FS", GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT,
	 GUEST_FS_AR_BYTES},
	{"GS", GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT,
	 GUEST_GS_AR_BYTES},
	{"TR", GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT,
	 GUEST_TR_AR_BYTES},
	{"LDTR", GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT,
	 GUEST_LDTR_AR_BYTES},
};

static void dump_guest_state(void)
{
	pr_err("  CR0 0x%lx CR3 0x%lx CR4 0x%lx EFER 0x%lx DR7 0x%lx",
	       vmread(GUEST_CR0), vmread(GUEST_CR3), vmread(GUEST_CR4),
	       vmread(GUEST_IA32_EFER), vmread(GUEST_DR7));
	pr_err("  RIP 0x%lx RSP 0x%lx RFLAGS 0x%lx", vmread(GUEST_RIP),
	       vmread(GUEST_RSP), vmread(GUEST_RFLAGS));
	for (u32 i = 0; i < ARRAY_SIZE(segs); i++)
		pr_err("  %-4s sel 0x%04lx base 0x%08lx limit 0x%08lx ar "
		       "0x%05lx",
		       segs[i].name, vmread(segs[i].sel), vmread(segs[i].base),
		       vmread(segs[i].limit), vmread(segs[i].ar));
	pr_err("  GDTR 0x%lx/0x%lx IDTR 0x%lx/0x%lx", vmread(GUEST_GDTR_BASE),
	       vmread(GUEST_GDTR_LIMIT), vmread(GUEST_IDTR_BASE),
	       vmread(GUEST_IDTR_LIMIT));
	pr_err("  interruptibility 0x%lx activity 0x%lx pending debug 0x%lx "
	       "link "
	       "0x%lx",
	       vmread(GUEST_INTERRUPTIBILITY_INFO),
	       vmread(GUEST_ACTIVITY_STATE),
	       vmread(GUEST_PENDING_DBG_EXCEPTIONS), vmread(VMCS_LINK_POINTER));
}

static bool fixed_ok(u64 val, u64 fixed0, u64 fixed1)
{
	return (val & fixed0) == fixed0 && (val & ~fixed1) == 0;
}

/* The first of the common guest-state checks that the VMCS breaks. */
static const char *likely_check(void)
{
	u64 tr_ar = vmread(GUEST_TR_AR_BYTES);
	u64 cs_ar = vmread(GUEST_CS_AR_BYTES);

	if (!fixed_ok(vmread(GUEST_CR0), vmx_caps.cr0_fixed0,
		      vmx_caps.cr0_fixed1))
		return "GUEST_CR0 violates IA32_VMX_CR0_FIXED0/FIXED1 (SDM 3C "
		       "27.3.1.1)";
	if (!fixed_ok(vmread(GUEST_CR4), vmx_caps.cr4_fixed0,
		      vmx_caps.cr4_fixed1))
		return "GUEST_CR4 violates IA32_VMX_CR4_FIXED0/FIXED1 (SDM 3C "
		       "27.3.1.1)";
	if (!(vmread(GUEST_RFLAGS) & BIT(1)))
		return "RFLAGS bit 1 must be set (SDM 3C 27.3.1.4)";
	if ((cs_ar & AR_UNUSABLE) || !(cs_ar & AR_P) || !(cs_ar & AR_S))
		return "CS must be a usable, present code segment (SDM 3C "
		       "27.3.1.2)";
	if ((tr_ar & AR_UNUSABLE) || !(tr_ar & AR_P) ||
	    (tr_ar & 0xf) != AR_TYPE_TSS32_BUSY)
		return "TR must be a usable, present, busy 32-bit TSS (SDM 3C "
		       "27.3.1.2)";
	if (vmread(VMCS_LINK_POINTER) != ~0ULL)
		return "the VMCS link pointer must be all ones (SDM 3C "
		       "27.3.1.5)";
	return "none of the common checks matched; see SDM 3C 27.3.1";
}

void vmexit_entry_failure(struct vcpu *v, u32 basic)
{
	u64 q = vmread(EXIT_QUALIFICATION);

	pr_err("partition '%s': vCPU %u: VM entry failed: exit reason %u (%s), "
	       "qualification 0x%lx",
	       v->part->cfg.name, v->index, basic,
	       basic == EXIT_REASON_INVALID_GUEST_STATE ? "invalid guest state"
	       : basic == EXIT_REASON_MSR_LOADING	? "MSR loading"
							: "machine check",
	       q);
	pr_err("  likely check: %s", likely_check());
	dump_guest_state();
	partition_stop(v->part, STATUS_ENTRY_FAILED,
		       "vCPU %u: VM entry failed (invalid guest state)",
		       v->index);
}
