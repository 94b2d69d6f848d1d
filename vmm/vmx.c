// SPDX-License-Identifier: MIT
/*
 * VMX bring-up (SDM 3C chapter 24, "VMX operation").
 *
 * 1. Feature checks on the boot CPU: CPUID.1:ECX.VMX, IA32_FEATURE_CONTROL
 *    (the BIOS locks it; if it is unlocked, Shade enables VMXON outside SMX
 *    and locks it), the VMX capability MSRs.
 * 2. The VM-execution, exit and entry controls Shade needs, each adjusted
 *    by the allowed settings the CPU reports; a control Shade needs that the
 *    CPU lacks makes VT-x unusable here, with the control named.
 * 3. On every online CPU (a cross-CPU call): CR0 and CR4 adjusted to the
 *    fixed bits VMX operation requires, CR4.VMXE, a VMXON region with the
 *    revision identifier, VMXON.
 *
 * Context: boot CPU during boot (vmx_init_all), and each CPU in the
 * cross-CPU call. vmread()/vmwrite() run on a CPU with a current VMCS.
 */
#include "vmx.h"
#include "vmx_caps.h"
#include "ipi.h"
#include "percpu.h"
#include "pmm.h"
#include "paging.h"
#include "asm.h"
#include "x86.h"
#include "errno.h"
#include "kstring.h"
#include "tsc.h"
#include "panic.h"
#include "printk.h"

struct vmx_caps vmx_caps;

/* What Shade asks for; see vmm/vmcs.c for why each is needed. */
#define WANT_PIN PIN_EXTERNAL_INTERRUPT_EXITING
#define WANT_CPU                                                            \
	(CPU_HLT_EXITING | CPU_INVLPG_EXITING | CPU_MWAIT_EXITING |         \
	 CPU_RDPMC_EXITING | CPU_CR3_LOAD_EXITING | CPU_CR3_STORE_EXITING | \
	 CPU_UNCOND_IO_EXITING | CPU_MONITOR_EXITING |                      \
	 CPU_ACTIVATE_SECONDARY | CPU_CR8_LOAD_EXITING |                    \
	 CPU_CR8_STORE_EXITING)
#define WANT_CPU2_OPTIONAL (CPU2_ENABLE_VPID | CPU2_ENABLE_RDTSCP)
/* Debug controls: the guest's DR7 and DEBUGCTL survive VM exits. */
#define WANT_EXIT                                               \
	(EXIT_SAVE_DEBUG_CONTROLS | EXIT_HOST_ADDR_SPACE_SIZE | \
	 EXIT_SAVE_IA32_EFER | EXIT_LOAD_IA32_EFER)
#define WANT_ENTRY (ENTRY_LOAD_DEBUG_CONTROLS | ENTRY_LOAD_IA32_EFER)

u64 vmread(u64 field)
{
	u64 v;

	if (vmread_checked(field, &v))
		panic("vmread of VMCS field %#lx failed", field);
	return v;
}

void vmwrite(u64 field, u64 value)
{
	if (vmwrite_checked(field, value))
		panic("vmwrite of %#lx to VMCS field %#lx failed (error %lu)",
		      value, field, vmread(VM_INSTRUCTION_ERROR));
}

/*
 * A control word: the low half of the capability MSR has the bits that
 * must be 1, the high half the bits that may be 1 (SDM 3C A.3.1). Returns
 * false if a wanted bit is not allowed.
 */
static bool adjust(u32 msr, u32 want, u32 *out)
{
	u64 cap = rdmsr(msr);
	u32 must = (u32)cap, may = (u32)(cap >> 32);

	*out = (want | must) & may;
	return (*out & want) == want;
}

static int derive_controls(const char **why)
{
	bool true_ctls = rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_TRUE_CTLS;
	struct vmx_caps *c = &vmx_caps;

	/*
	 * The VMX-preemption timer drives the virtual timers (vmm/vintr.c
	 * programs it for the next deadline, also while a vCPU waits in the
	 * HLT activity state), and it is a backstop for the shootdown and
	 * stop IPIs: Bochs 2.7 does not exit on an external interrupt while
	 * the guest runs with RFLAGS.IF=0, so a vCPU spinning with
	 * interrupts off would never answer. With the timer it exits at
	 * least every millisecond, and the pending IPI is taken then.
	 */
	if (!adjust(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS
			      : MSR_IA32_VMX_PINBASED_CTLS,
		    WANT_PIN | PIN_PREEMPTION_TIMER, &c->pin))
		return *why = "no external-interrupt exiting or no "
			      "VMX-preemption timer",
		       -ENODEV;
	c->preempt_rate = rdmsr(MSR_IA32_VMX_MISC) & 0x1f;
	c->preempt_ticks = (u32)MAX(tsc_khz() >> c->preempt_rate, 1);
	if (!adjust(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
			      : MSR_IA32_VMX_PROCBASED_CTLS,
		    WANT_CPU, &c->cpu))
		return *why = "a processor-based control Shade needs is "
			      "missing (HLT, INVLPG, CR3, CR8 or I/O exiting, "
			      "or secondary controls)",
		       -ENODEV;
	/* Interrupt-window exiting is switched on per vCPU while a virtual
	 * interrupt waits (vmm/vintr.c): it must be allowed, not set. */
	if (!((rdmsr(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS
			       : MSR_IA32_VMX_PROCBASED_CTLS) >>
	       32) &
	      CPU_INTR_WINDOW_EXITING))
		return *why = "no interrupt-window exiting", -ENODEV;
	/* A vCPU waiting for an interrupt halts in VMX non-root operation. */
	if (!(rdmsr(MSR_IA32_VMX_MISC) & VMX_MISC_ACTIVITY_HLT))
		return *why = "no HLT activity state", -ENODEV;
	adjust(MSR_IA32_VMX_PROCBASED_CTLS2, WANT_CPU2_OPTIONAL, &c->cpu2);
	c->cpu2 &= ~(CPU2_ENABLE_EPT | CPU2_UNRESTRICTED_GUEST);
	c->has_vpid = c->cpu2 & CPU2_ENABLE_VPID;
	/* VPIDs are only worth having with INVVPID's single-context flush
	 * (SDM 3C A.10), which the shadow MMU's shootdowns use. */
	if (c->has_vpid && (~rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) &
			    (VPID_CAP_INVVPID | VPID_CAP_INVVPID_SINGLE))) {
		c->has_vpid = false;
		c->cpu2 &= ~CPU2_ENABLE_VPID;
	}
	if (!adjust(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS
			      : MSR_IA32_VMX_EXIT_CTLS,
		    WANT_EXIT, &c->exit))
		return *why = "no 64-bit host or EFER save/load on VM exit",
		       -ENODEV;
	if (!adjust(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS
			      : MSR_IA32_VMX_ENTRY_CTLS,
		    WANT_ENTRY, &c->entry))
		return *why = "no EFER load on VM entry", -ENODEV;
	return 0;
}

static int check_feature_control(const char **why)
{
	u64 fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (!(fc & FEATURE_CONTROL_LOCK)) {
		wrmsr(MSR_IA32_FEATURE_CONTROL,
		      fc | FEATURE_CONTROL_LOCK |
			      FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
		return 0;
	}
	if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX))
		return *why = "the firmware locked IA32_FEATURE_CONTROL with "
			      "VMX disabled",
		       -ENODEV;
	return 0;
}

/* Runs on every CPU: fixed CR bits, VMXE, VMXON. Errors are fatal: a CPU
 * that cannot enter VMX operation after the boot CPU could is broken. */
static void vmx_cpu_on(void *unused)
{
	struct vmx_caps *c = &vmx_caps;
	hpa_t region;

	const char *why;

	(void)unused;
	if (check_feature_control(&why))
		panic("vmx: CPU %u: %s", this_cpu_id(), why);
	if (pmm_alloc_frame(&host_pmm, &region))
		panic("vmx: no memory for CPU %u's VMXON region",
		      this_cpu_id());
	memset((void *)hpa_to_hva(region), 0, PAGE_SIZE);
	*(u32 *)hpa_to_hva(region) = c->revision;

	write_cr0((read_cr0() | c->cr0_fixed0) & c->cr0_fixed1);
	write_cr4((read_cr4() | c->cr4_fixed0 | X86_CR4_VMXE) & c->cr4_fixed1);
	if (vmxon(region))
		panic("vmx: VMXON failed on CPU %u", this_cpu_id());
}

int vmx_init_all(const char **why)
{
	struct vmx_caps *c = &vmx_caps;
	cpumask_t missing;
	int ret;

	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX))
		return *why = "the CPU does not report VMX (CPUID.1:ECX bit 5 "
			      "is clear)",
		       -ENODEV;
	ret = check_feature_control(why);
	if (ret)
		return ret;
	c->revision = rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_REVISION_MASK;
	c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	ret = derive_controls(why);
	if (ret)
		return ret;

	vmx_cpu_on(NULL);
	if (ipi_call(cpus_online_mask(), vmx_cpu_on, NULL, &missing))
		panic("vmx: CPUs %#lx did not answer the VMXON call", missing);
	pr_info("vmx: VMX on in %u CPU%s (VMCS revision %#x, VPID %s)",
		nr_cpus_online, nr_cpus_online == 1 ? "" : "s", c->revision,
		c->has_vpid ? "yes" : "no");
	return 0;
}
