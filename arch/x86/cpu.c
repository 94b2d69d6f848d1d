// SPDX-License-Identifier: MIT
/*
 * Processor identification and the VT-x availability check.
 *
 * The full VMX bring-up (capability MSRs, VMXON) belongs to vmm/; this
 * file only answers "could VT-x work here at all", which decides whether
 * Shade can run partitions on this machine (SDM 3C 24.6 and 24.7).
 *
 * Context: boot CPU, during boot.
 */
#include "cpu.h"
#include "asm.h"
#include "x86.h"
#include "kstring.h"

#define CPUID_BRAND_FIRST 0x80000002
#define CPUID_BRAND_LAST  0x80000004
#define CPUID_EXT_MAX	  0x80000000

static char model[49];

const char *cpu_model_name(void)
{
	struct cpuid_regs r = cpuid(CPUID_EXT_MAX, 0);
	u32 *out = (u32 *)model;
	const char *p = model;

	if (r.eax < CPUID_BRAND_LAST) {
		r = cpuid(0, 0);
		out[0] = r.ebx;
		out[1] = r.edx;
		out[2] = r.ecx;
		model[12] = 0;
		return model;
	}
	for (u32 leaf = CPUID_BRAND_FIRST; leaf <= CPUID_BRAND_LAST; leaf++) {
		r = cpuid(leaf, 0);
		*out++ = r.eax;
		*out++ = r.ebx;
		*out++ = r.ecx;
		*out++ = r.edx;
	}
	model[48] = 0;
	while (*p == ' ')
		p++;
	return p;
}

bool cpu_has_usable_vmx(const char **why)
{
	u64 fc;

	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX)) {
		*why = "the CPU does not report VMX (CPUID.1:ECX bit 5 is "
		       "clear)";
		return false;
	}
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCK) &&
	    !(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
		*why = "the firmware locked IA32_FEATURE_CONTROL with VMX "
		       "disabled";
		return false;
	}
	*why = "";
	return true;
}
