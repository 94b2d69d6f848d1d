// SPDX-License-Identifier: MIT
/*
 * VM-exit dispatch and the handlers for CPUID, control registers, MSRs,
 * HLT, INVLPG, exceptions, triple faults, external interrupts and the VMX
 * instructions. I/O is in vmm/io.c, VMCALL in vmm/hypercall.c.
 *
 * vmexit_dispatch() reads the basic exit reason (SDM 3C 28.2.1) and calls
 * the handler from exit_handlers[]; an exit without a handler stops the
 * partition with the reason number. Handlers either complete the
 * instruction (advance RIP), inject an exception into the guest, or stop
 * the partition: a guest's mistake never reaches panic().
 *
 * Context: the vCPU's physical CPU, interrupts off, its VMCS current.
 */
#include "exit.h"
#include "vmx.h"
#include "vmcs.h"
#include "asm.h"
#include "x86.h"
#include "printk.h"

#define CPUID_HV_BASE	  0x40000000
#define CPUID_HV_LAST	  0x4fffffff
#define CPUID_HV_MAX_LEAF 0x40000000
/* "ShadeVMM" as EBX, ECX (little-endian) */
#define SIG_EBX		  0x64616853 /* "Shad" */
#define SIG_ECX		  0x4d4d5665 /* "eVMM" */

/* Leaf 1 ECX bits hidden from guests: Shade does not virtualize them
 * (yet). VMX is hidden by the contract; XSAVE/AVX because the guest
 * cannot set CR4.OSXSAVE; x2APIC, TSC-deadline and PCID until the virtual
 * platform and shadow MMU support them; MONITOR because MWAIT exits. */
#define CPUID_1_ECX_HIDDEN                                                    \
	(CPUID_1_ECX_VMX | BIT(3) /* MONITOR */ | BIT(6) /* SMX */ |          \
	 BIT(17) /* PCID */ | CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE | \
	 BIT(26) /* XSAVE */ | BIT(27) /* OSXSAVE */ | BIT(28) /* AVX */)
/* Leaf 7 EBX: SMEP (7), INVPCID (10), SMAP (20), AVX2 (5), AVX-512 */
#define CPUID_7_EBX_HIDDEN                                                   \
	(BIT(5) | BIT(7) | BIT(10) | BIT(16) | BIT(17) | BIT(20) | BIT(21) | \
	 BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31))

/* CR access exit qualification (SDM 3C table 28-3) */
#define CR_QUAL_NUMBER(q)   ((q)&0xf)
#define CR_QUAL_TYPE(q)	    (((q) >> 4) & 3)
#define CR_QUAL_REG(q)	    (((q) >> 8) & 0xf)
#define CR_QUAL_LMSW_SRC(q) (((q) >> 16) & 0xffff)
#define CR_TYPE_MOV_TO	    0
#define CR_TYPE_MOV_FROM    1
#define CR_TYPE_CLTS	    2
#define CR_TYPE_LMSW	    3

/* CR4 bits a guest may set (the rest are reserved or hidden features). */
#define CR4_GUEST_ALLOWED                                                    \
	(BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | X86_CR4_PAE | BIT(6) | \
	 X86_CR4_PGE | BIT(8) | X86_CR4_OSFXSR | BIT(10))
#define CR0_PAGING_BITS (X86_CR0_PG)

#define MSR_IA32_TSC	       0x10
#define MSR_IA32_PLATFORM_ID   0x17
#define MSR_IA32_BIOS_SIGN_ID  0x8b
#define MSR_IA32_MTRRCAP       0xfe
#define MSR_IA32_SYSENTER_CS   0x174
#define MSR_IA32_SYSENTER_ESP  0x175
#define MSR_IA32_SYSENTER_EIP  0x176
#define MSR_IA32_MISC_ENABLE   0x1a0
#define MSR_IA32_PAT	       0x277
#define MSR_IA32_MTRR_DEF_TYPE 0x2ff
#define MISC_ENABLE_DEFAULT    0x1 /* fast strings */

static struct guest_regs *regs_of(struct vcpu *v)
{
	return &v->regs;
}

void vmexit_skip_instruction(void)
{
	u64 rip = vmread(GUEST_RIP) + vmread(VM_EXIT_INSTRUCTION_LEN);

	/* Outside 64-bit code EIP wraps at 4 GiB (CS.L is bit 13). */
	if (!(vmread(GUEST_CS_AR_BYTES) & BIT(13)))
		rip = (u32)rip;
	vmwrite(GUEST_RIP, rip);
	/* Completing an instruction ends STI/MOV-SS blocking (SDM 3C
	 * 25.4.2). */
	vmwrite(GUEST_INTERRUPTIBILITY_INFO,
		vmread(GUEST_INTERRUPTIBILITY_INFO) & ~3ULL);
}

void vmexit_inject_exception(u8 vector, bool has_error, u32 error)
{
	u32 info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION | vector;

	if (has_error) {
		info |= INTR_INFO_DELIVER_CODE;
		vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, error);
	}
	vmwrite(VM_ENTRY_INTR_INFO, info);
}

u32 vmexit_guest_cpl(void)
{
	return (vmread(GUEST_SS_AR_BYTES) >> AR_DPL_SHIFT) & 3;
}

static void exit_cpuid(struct vcpu *v)
{
	struct guest_regs *r = regs_of(v);
	u32 leaf = (u32)r->rax, sub = (u32)r->rcx;
	struct cpuid_regs c = {0, 0, 0, 0};

	if (leaf == CPUID_HV_BASE) {
		c = (struct cpuid_regs){CPUID_HV_MAX_LEAF, SIG_EBX, SIG_ECX, 0};
	} else if (leaf < CPUID_HV_BASE || leaf > CPUID_HV_LAST) {
		c = cpuid(leaf, sub);
		if (leaf == 1) {
			c.ecx = (c.ecx & ~CPUID_1_ECX_HIDDEN) |
				CPUID_1_ECX_HYPERVISOR;
			/* APIC ID and logical count: the vCPU's own. */
			c.ebx = (c.ebx & 0x0000ffff) | (v->index << 24) |
				(v->part->cfg.ncpus << 16);
		} else if (leaf == 7 && sub == 0) {
			c.ebx &= ~CPUID_7_EBX_HIDDEN;
			c.ecx = 0;
			c.edx = 0;
		}
	}
	r->rax = c.eax;
	r->rbx = c.ebx;
	r->rcx = c.ecx;
	r->rdx = c.edx;
	vmexit_skip_instruction();
}

static u64 *gpr(struct vcpu *v, u32 n)
{
	struct guest_regs *r = regs_of(v);
	u64 *table[16] = {&r->rax, &r->rcx, &r->rdx, &r->rbx, NULL,    &r->rbp,
			  &r->rsi, &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11,
			  &r->r12, &r->r13, &r->r14, &r->r15};

	return table[n & 15];
}

static u64 read_gpr(struct vcpu *v, u32 n)
{
	return n == 4 ? vmread(GUEST_RSP) : *gpr(v, n);
}

static void write_gpr(struct vcpu *v, u32 n, u64 val)
{
	if (n == 4)
		vmwrite(GUEST_RSP, val);
	else
		*gpr(v, n) = val;
}

/* A new guest CR0. Paging and real mode are beyond this stage. */
static void set_cr0(struct vcpu *v, u64 val)
{
	val = (u32)val;
	if (val & CR0_PAGING_BITS) {
		partition_stop(v->part, STATUS_UNHANDLED,
			       "vCPU %u: the guest turned on paging (CR0.PG) "
			       "at RIP %#lx: guest paging is not supported yet "
			       "(it needs the shadow MMU)",
			       v->index, vmread(GUEST_RIP));
		return;
	}
	if (!(val & X86_CR0_PE)) {
		partition_stop(
			v->part, STATUS_UNHANDLED,
			"vCPU %u: the guest left protected mode (CR0.PE=0) at "
			"RIP %#lx: real mode is not supported",
			v->index, vmread(GUEST_RIP));
		return;
	}
	v->cr0 = val | X86_CR0_ET;
	vmwrite(CR0_READ_SHADOW, v->cr0);
	vmwrite(GUEST_CR0, vmcs_real_cr0(v->cr0));
	vmexit_skip_instruction();
}

static void set_cr4(struct vcpu *v, u64 val)
{
	if (val & ~CR4_GUEST_ALLOWED) {
		vmexit_inject_exception(VECTOR_GP, true, 0);
		return;
	}
	v->cr4 = val;
	vmwrite(CR4_READ_SHADOW, val);
	vmwrite(GUEST_CR4, vmcs_real_cr4(val));
	vmexit_skip_instruction();
}

static void mov_to_cr(struct vcpu *v, u32 cr, u64 val)
{
	switch (cr) {
	case 0:
		set_cr0(v, val);
		return;
	case 3:
		/* Paging is off in the guest's view: CR3 is just kept. */
		v->cr3 = (u32)val;
		vmexit_skip_instruction();
		return;
	case 4:
		set_cr4(v, val);
		return;
	default:
		vmexit_inject_exception(VECTOR_UD, false, 0);
	}
}

static void exit_cr_access(struct vcpu *v)
{
	u64 q = vmread(EXIT_QUALIFICATION);
	u32 cr = CR_QUAL_NUMBER(q);

	switch (CR_QUAL_TYPE(q)) {
	case CR_TYPE_MOV_TO:
		mov_to_cr(v, cr, read_gpr(v, CR_QUAL_REG(q)));
		return;
	case CR_TYPE_MOV_FROM:
		/* Only CR3 (and CR8 in 64-bit mode) reads exit. */
		write_gpr(v, CR_QUAL_REG(q), cr == 3 ? v->cr3 : 0);
		vmexit_skip_instruction();
		return;
	case CR_TYPE_CLTS:
		set_cr0(v, v->cr0 & ~BIT(3));
		return;
	case CR_TYPE_LMSW:
		/* LMSW loads PE, MP, EM, TS and cannot clear PE. */
		set_cr0(v, (v->cr0 & ~0xeULL) | (CR_QUAL_LMSW_SRC(q) & 0xf) |
				   (v->cr0 & X86_CR0_PE));
		return;
	}
}

/* The MSRs a guest may use; anything else gets #GP (SDM 3A 6.15). */
static bool msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_IA32_TSC:
		*val = rdtsc();
		return true;
	case MSR_IA32_EFER:
		*val = v->efer;
		return true;
	case MSR_IA32_FEATURE_CONTROL:
		*val = FEATURE_CONTROL_LOCK; /* locked, VMX off */
		return true;
	case MSR_IA32_MISC_ENABLE:
		*val = MISC_ENABLE_DEFAULT;
		return true;
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_IA32_MTRRCAP:
	case MSR_IA32_MTRR_DEF_TYPE:
		*val = 0;
		return true;
	case MSR_IA32_PAT:
		*val = v->pat;
		return true;
	case MSR_IA32_SYSENTER_CS:
		*val = vmread(GUEST_SYSENTER_CS);
		return true;
	case MSR_IA32_SYSENTER_ESP:
		*val = vmread(GUEST_SYSENTER_ESP);
		return true;
	case MSR_IA32_SYSENTER_EIP:
		*val = vmread(GUEST_SYSENTER_EIP);
		return true;
	}
	return false;
}

static bool msr_write(struct vcpu *v, u32 msr, u64 val)
{
	switch (msr) {
	case MSR_IA32_EFER:
		/* Only NXE and SCE mean something without paging; LME waits
		 * for the shadow MMU. */
		if (val & ~(EFER_SCE | EFER_NXE | EFER_LME))
			return false;
		v->efer = val;
		return true;
	case MSR_IA32_BIOS_SIGN_ID:
	case MSR_IA32_MTRR_DEF_TYPE:
		return true;
	case MSR_IA32_PAT:
		/* Kept, not applied: memory types stay the host's. */
		v->pat = val;
		return true;
	case MSR_IA32_SYSENTER_CS:
		vmwrite(GUEST_SYSENTER_CS, val);
		return true;
	case MSR_IA32_SYSENTER_ESP:
		vmwrite(GUEST_SYSENTER_ESP, val);
		return true;
	case MSR_IA32_SYSENTER_EIP:
		vmwrite(GUEST_SYSENTER_EIP, val);
		return true;
	}
	return false;
}

static void exit_msr(struct vcpu *v, bool write)
{
	struct guest_regs *r = regs_of(v);
	u32 msr = (u32)r->rcx;
	u64 val = ((r->rdx & 0xffffffff) << 32) | (r->rax & 0xffffffff);
	bool ok;

	if (vmexit_guest_cpl() != 0) {
		vmexit_inject_exception(VECTOR_GP, true, 0);
		return;
	}
	ok = write ? msr_write(v, msr, val) : msr_read(v, msr, &val);
	if (!ok) {
		vmexit_inject_exception(VECTOR_GP, true, 0);
		return;
	}
	if (!write) {
		r->rax = val & 0xffffffff;
		r->rdx = val >> 32;
	}
	vmexit_skip_instruction();
}

static void exit_rdmsr(struct vcpu *v)
{
	exit_msr(v, false);
}

static void exit_wrmsr(struct vcpu *v)
{
	exit_msr(v, true);
}

/* HLT: the vCPU stops running until something wakes it; a partition
 * whose vCPUs have all halted stops. */
static void exit_hlt(struct vcpu *v)
{
	struct partition *p = v->part;
	bool all_halted = true, irq_on = false;

	vmexit_skip_instruction();
	spin_lock(&p->lock);
	v->state = (vmread(GUEST_RFLAGS) & X86_RFLAGS_IF) ? VCPU_HALTED_IRQ_ON
							  : VCPU_HALTED_IRQ_OFF;
	for (u32 i = 0; i < p->cfg.ncpus; i++) {
		enum vcpu_state s = p->vcpus[i].state;

		if (s == VCPU_RUNNABLE)
			all_halted = false;
		if (s == VCPU_HALTED_IRQ_ON)
			irq_on = true;
	}
	spin_unlock(&p->lock);
	/* Nothing can wake a halted vCPU yet (no virtual interrupts before
	 * the virtual platform exists), so a partition whose vCPUs have all
	 * halted is done either way; the message says which it was. */
	if (all_halted)
		partition_stop(
			p, STATUS_ALL_HALTED, "%s",
			irq_on ? "all vCPUs halted; some with interrupts "
				 "enabled, but no virtual interrupt source "
				 "exists yet"
			       : "all vCPUs halted with interrupts disabled");
}

static void exit_invlpg(struct vcpu *v)
{
	/* Paging is off in the guest's view: nothing is cached to drop. */
	(void)v;
	vmexit_skip_instruction();
}

static void exit_triple_fault(struct vcpu *v)
{
	partition_stop(v->part, STATUS_TRIPLE_FAULT,
		       "triple fault on vCPU %u at RIP %#lx", v->index,
		       vmread(GUEST_RIP));
}

static void exit_external_interrupt(struct vcpu *v)
{
	/* The interrupt is still pending in the local APIC; vcpu_run()
	 * opens interrupts right after this returns. */
	(void)v;
}

/* VMX instructions, GETSEC, and instructions of features Shade hides:
 * #UD, as on a processor without them. */
static void exit_undefined(struct vcpu *v)
{
	(void)v;
	vmexit_inject_exception(VECTOR_UD, false, 0);
}

static void exit_nop_instruction(struct vcpu *v)
{
	(void)v;
	vmexit_skip_instruction();
}

static void exit_rdpmc(struct vcpu *v)
{
	(void)v;
	vmexit_inject_exception(VECTOR_GP, true, 0);
}

/*
 * An intercepted exception: only #PF is (vmm/vmcs.c). The guest thinks
 * paging is off, so the fault is on Shade's identity tables: the guest
 * touched guest-physical memory beyond its RAM. There is nothing there
 * yet (the virtual platform's devices come later): stop the partition
 * with the address, rather than hand the guest a fault it cannot expect.
 */
static void exit_exception(struct vcpu *v)
{
	u32 info = (u32)vmread(VM_EXIT_INTR_INFO);

	if ((info & 0xff) == VECTOR_PAGE_FAULT) {
		partition_stop(v->part, STATUS_UNHANDLED,
			       "vCPU %u: access to guest-physical %#lx, "
			       "outside the partition's RAM, at RIP %#lx",
			       v->index, vmread(EXIT_QUALIFICATION),
			       vmread(GUEST_RIP));
		return;
	}
	partition_stop(
		v->part, STATUS_UNHANDLED,
		"vCPU %u: unexpected exception exit (info %#x) at RIP %#lx",
		v->index, info, vmread(GUEST_RIP));
}

typedef void (*exit_handler_t)(struct vcpu *v);

static const exit_handler_t exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_REASON_EXCEPTION_NMI] = exit_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = exit_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = exit_triple_fault,
	[EXIT_REASON_CPUID] = exit_cpuid,
	[EXIT_REASON_GETSEC] = exit_undefined,
	[EXIT_REASON_HLT] = exit_hlt,
	[EXIT_REASON_INVD] = exit_nop_instruction,
	[EXIT_REASON_INVLPG] = exit_invlpg,
	[EXIT_REASON_RDPMC] = exit_rdpmc,
	[EXIT_REASON_VMCALL] = vmexit_vmcall,
	[EXIT_REASON_VMCLEAR] = exit_undefined,
	[EXIT_REASON_VMLAUNCH] = exit_undefined,
	[EXIT_REASON_VMPTRLD] = exit_undefined,
	[EXIT_REASON_VMPTRST] = exit_undefined,
	[EXIT_REASON_VMREAD] = exit_undefined,
	[EXIT_REASON_VMRESUME] = exit_undefined,
	[EXIT_REASON_VMWRITE] = exit_undefined,
	[EXIT_REASON_VMXOFF] = exit_undefined,
	[EXIT_REASON_VMXON] = exit_undefined,
	[EXIT_REASON_CR_ACCESS] = exit_cr_access,
	[EXIT_REASON_IO_INSTRUCTION] = vmexit_io,
	[EXIT_REASON_MSR_READ] = exit_rdmsr,
	[EXIT_REASON_MSR_WRITE] = exit_wrmsr,
	[EXIT_REASON_MWAIT] = exit_undefined,
	[EXIT_REASON_MONITOR] = exit_undefined,
	[EXIT_REASON_INVEPT] = exit_undefined,
	[EXIT_REASON_INVVPID] = exit_undefined,
	[EXIT_REASON_WBINVD] = exit_nop_instruction,
	[EXIT_REASON_XSETBV] = exit_undefined,
	[EXIT_REASON_VMFUNC] = exit_undefined,
};

void vmexit_dispatch(struct vcpu *v)
{
	u32 reason = (u32)vmread(VM_EXIT_REASON);
	u32 basic = reason & EXIT_REASON_BASIC_MASK;

	if (reason & EXIT_REASON_ENTRY_FAIL) {
		vmexit_entry_failure(v, basic);
		return;
	}
	if (basic < EXIT_REASON_MAX && exit_handlers[basic]) {
		exit_handlers[basic](v);
		return;
	}
	partition_stop(v->part, STATUS_UNHANDLED,
		       "vCPU %u: VM exit reason %u (qualification %#lx) at RIP "
		       "%#lx is not handled",
		       v->index, basic, vmread(EXIT_QUALIFICATION),
		       vmread(GUEST_RIP));
}
