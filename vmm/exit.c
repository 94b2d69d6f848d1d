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
#include "kstring.h"
#include "tsc.h"
#include "vplatform.h"

#define CPUID_HV_BASE	  0x40000000
#define CPUID_HV_LAST	  0x4fffffff
#define CPUID_HV_TIMING	  0x40000010 /* EAX = TSC kHz (the VMware/KVM leaf) */
#define CPUID_HV_MAX_LEAF CPUID_HV_TIMING
/* "ShadeVMM" as EBX, ECX (little-endian) */
#define SIG_EBX		  0x64616853 /* "Shad" */
#define SIG_ECX		  0x4d4d5665 /* "eVMM" */

/* Leaf 1 ECX bits hidden from guests: Shade does not virtualize them
 * (yet). VMX is hidden by the contract; XSAVE/AVX because the guest
 * cannot set CR4.OSXSAVE; PCID until the shadow MMU supports it; MONITOR
 * because MWAIT exits. x2APIC and the TSC-deadline timer are the virtual
 * local APIC's (vmm/vlapic.c), whatever the host has. */
#define CPUID_1_ECX_HIDDEN                                                  \
	(CPUID_1_ECX_VMX | BIT(3) /* MONITOR */ | BIT(6) /* SMX */ |        \
	 BIT(17) /* PCID */ | BIT(26) /* XSAVE */ | BIT(27) /* OSXSAVE */ | \
	 BIT(28) /* AVX */)
#define CPUID_1_ECX_SHOWN (CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE)
#define CPUID_1_EDX_APIC  BIT(9)
#define CPUID_6_EAX_ARAT  BIT(2) /* the APIC timer runs in every C-state */
#define CPUID_TOPOLOGY	  0xb	 /* x2APIC topology (SDM 2A CPUID) */
/* V2 extended topology: leaf 0xB's format; Linux reads it first. */
#define CPUID_TOPOLOGY_V2 0x1f
#define TOPO_LEVEL_SMT	  1
#define TOPO_LEVEL_CORE	  2
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
#define X86_CR0_NW	 BIT(29)
#define X86_CR0_CD	 BIT(30)
/* CR0 bits whose change means new shadow tables (the role records WP). */
#define CR0_MMU_BITS	 (X86_CR0_PG | X86_CR0_WP)
/* CR4 bits whose change means new shadow tables; changing one of these
 * (or PGE) in PAE mode also reloads the PDPTEs (SDM 3A 4.4.1). */
#define CR4_MMU_BITS	 (X86_CR4_PSE | X86_CR4_PAE)
#define CR4_PDPTE_RELOAD (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE)
#define CS_AR_L		 BIT(13) /* 64-bit code segment */

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
/* SYSCALL and SWAPGS MSRs: Shade itself uses none of them and a CPU runs
 * one vCPU for good, so the guest's values live in the real MSRs. */
#define MSR_STAR	       0xc0000081
#define MSR_LSTAR	       0xc0000082
#define MSR_CSTAR	       0xc0000083
#define MSR_SFMASK	       0xc0000084
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

/*
 * Leaves 0xB and 0x1F: the partition's vCPUs as the cores of one
 * package, one thread each; EDX is the vCPU's x2APIC ID, its index
 * (vmm/vlapic.c). The host's 0x1F would give the host's topology and
 * APIC IDs, and an OS that finds 0x1F prefers it to 0xB.
 */
static struct cpuid_regs cpuid_topology(struct vcpu *v, u32 sub)
{
	u32 ncpus = v->part->cfg.ncpus, shift = 0;
	struct cpuid_regs c = {0, 0, sub & 0xff, v->index};

	while ((1U << shift) < ncpus)
		shift++;
	if (sub == 0)
		c = (struct cpuid_regs){0, 1, (TOPO_LEVEL_SMT << 8) | sub,
					v->index};
	else if (sub == 1)
		c = (struct cpuid_regs){shift, ncpus,
					(TOPO_LEVEL_CORE << 8) | sub, v->index};
	return c;
}

static void exit_cpuid(struct vcpu *v)
{
	struct guest_regs *r = regs_of(v);
	u32 leaf = (u32)r->rax, sub = (u32)r->rcx;
	struct cpuid_regs c = {0, 0, 0, 0};

	if (leaf == CPUID_HV_BASE) {
		c = (struct cpuid_regs){CPUID_HV_MAX_LEAF, SIG_EBX, SIG_ECX, 0};
	} else if (leaf == CPUID_HV_TIMING) {
		/* Guests measure time with RDTSC, which does not exit; the
		 * APIC timer's input clock is fixed (vlapic.h). */
		c.eax = (u32)tsc_khz();
		c.ebx = VLAPIC_BUS_HZ / 1000;
	} else if (leaf < CPUID_HV_BASE || leaf > CPUID_HV_LAST) {
		c = cpuid(leaf, sub);
		if (leaf == 1) {
			c.ecx = (c.ecx & ~CPUID_1_ECX_HIDDEN) |
				CPUID_1_ECX_HYPERVISOR | CPUID_1_ECX_SHOWN;
			/* APIC: present while IA32_APIC_BASE.EN is set. */
			c.edx &= ~CPUID_1_EDX_APIC;
			if (v->lapic.apic_base & APIC_BASE_ENABLE)
				c.edx |= CPUID_1_EDX_APIC;
			/* APIC ID and logical count: the vCPU's own. */
			c.ebx = (c.ebx & 0x0000ffff) | (v->index << 24) |
				(v->part->cfg.ncpus << 16);
		} else if (leaf == 6) {
			/* Power management: only "the APIC timer always
			 * runs". The host's other bits (thermal sensor,
			 * HWP, APERF/MPERF) advertise MSRs Shade does not
			 * give guests, which would #GP. */
			c = (struct cpuid_regs){CPUID_6_EAX_ARAT, 0, 0, 0};
		} else if (leaf == CPUID_TOPOLOGY ||
			   leaf == CPUID_TOPOLOGY_V2) {
			c = cpuid_topology(v, sub);
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

u64 vmexit_read_gpr(struct vcpu *v, u32 n)
{
	return n == 4 ? vmread(GUEST_RSP) : *gpr(v, n);
}

void vmexit_write_gpr(struct vcpu *v, u32 n, u64 val)
{
	if (n == 4)
		vmwrite(GUEST_RSP, val);
	else
		*gpr(v, n) = val;
}

/* Is the guest in PAE paging mode with cr0/cr4 (not IA-32e)? */
static bool pae_paging(const struct vcpu *v, u64 cr0, u64 cr4)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) &&
	       !(v->efer & EFER_LMA);
}

/* Entering PAE paging (or changing its bits) loads the PDPTEs from CR3;
 * an invalid one makes the instruction raise #GP (SDM 3A 4.4.1). */
static bool load_pdptes(struct vcpu *v, u64 cr3)
{
	u64 pdptes[4];

	if (!mmu_read_pdptes(v, cr3, pdptes))
		return false;
	memcpy(v->mmu.pdptes, pdptes, sizeof(pdptes));
	return true;
}

static void inject_gp(void)
{
	vmexit_inject_exception(VECTOR_GP, true, 0);
}

/*
 * A new guest CR0 (SDM 3A 2.5, 9.8.5 for IA-32e mode). Real mode is not
 * supported: a guest that leaves protected mode is stopped.
 */
static void set_cr0(struct vcpu *v, u64 val)
{
	u64 old = v->cr0, old_efer = v->efer, lma = v->efer & EFER_LMA;
	bool pg_on = !(old & X86_CR0_PG) && (val & X86_CR0_PG);
	bool pg_off = (old & X86_CR0_PG) && !(val & X86_CR0_PG);
	bool reload;

	if ((val >> 32) || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD))) {
		inject_gp();
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
	if (pg_on && (v->efer & EFER_LME)) {
		/* Activating IA-32e mode needs PAE. */
		if (!(v->cr4 & X86_CR4_PAE)) {
			inject_gp();
			return;
		}
		lma = EFER_LMA;
	}
	if (pg_off && lma) {
		/* Only from compatibility mode (SDM 3A 9.8.5.4). */
		if (vmread(GUEST_CS_AR_BYTES) & CS_AR_L) {
			inject_gp();
			return;
		}
		lma = 0;
	}
	v->efer = (v->efer & ~EFER_LMA) | lma;
	reload = pae_paging(v, val, v->cr4) &&
		 (pg_on || ((old ^ val) & (X86_CR0_CD | X86_CR0_NW)));
	if (reload && !load_pdptes(v, v->cr3)) {
		v->efer = old_efer;
		inject_gp();
		return;
	}
	v->cr0 = val | X86_CR0_ET;
	vmcs_set_paging_state(v);
	/* New PDPTEs mean new roots, as a new mode does. */
	if ((reload || ((old ^ v->cr0) & CR0_MMU_BITS)) && mmu_reset_context(v))
		return;
	vmexit_skip_instruction();
}

static void set_cr4(struct vcpu *v, u64 val)
{
	u64 old = v->cr4;
	bool reload;

	if ((val & ~CR4_GUEST_ALLOWED) ||
	    ((v->efer & EFER_LMA) && !(val & X86_CR4_PAE))) {
		inject_gp();
		return;
	}
	reload = pae_paging(v, v->cr0, val) && ((old ^ val) & CR4_PDPTE_RELOAD);
	if (reload && !load_pdptes(v, v->cr3)) {
		inject_gp();
		return;
	}
	v->cr4 = val;
	vmcs_set_paging_state(v);
	if ((reload || ((old ^ val) & CR4_MMU_BITS)) && mmu_reset_context(v))
		return;
	/* Toggling PGE flushes every TLB entry, global ones too. */
	if ((old ^ val) & X86_CR4_PGE)
		v->mmu.flush_req = 1;
	vmexit_skip_instruction();
}

static void set_cr3(struct vcpu *v, u64 val)
{
	if (v->efer & EFER_LMA) {
		/* Bits above MAXPHYADDR are reserved (no PCIDs: bit 63 too). */
		if (val >> v->part->mmu.maxphyaddr) {
			inject_gp();
			return;
		}
	} else {
		val = (u32)val;
	}
	if (pae_paging(v, v->cr0, v->cr4) && !load_pdptes(v, val)) {
		inject_gp();
		return;
	}
	v->cr3 = val;
	if ((v->cr0 & X86_CR0_PG) && mmu_load_cr3(v))
		return;
	vmexit_skip_instruction();
}

static void mov_to_cr(struct vcpu *v, u32 cr, u64 val)
{
	switch (cr) {
	case 0:
		set_cr0(v, val);
		return;
	case 3:
		set_cr3(v, val);
		return;
	case 4:
		set_cr4(v, val);
		return;
	case 8:
		/* CR8 is the local APIC's TPR (64-bit mode only): the
		 * virtual one, never the processor's. */
		if (val > 15) {
			inject_gp();
			return;
		}
		vlapic_write_cr8(v, val);
		vmexit_skip_instruction();
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
		mov_to_cr(v, cr, vmexit_read_gpr(v, CR_QUAL_REG(q)));
		return;
	case CR_TYPE_MOV_FROM:
		/* Only CR3 (and CR8 in 64-bit mode) reads exit. */
		vmexit_write_gpr(v, CR_QUAL_REG(q),
				 cr == 3 ? v->cr3 : vlapic_read_cr8(v));
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
	case MSR_IA32_FS_BASE:
		*val = vmread(GUEST_FS_BASE);
		return true;
	case MSR_IA32_GS_BASE:
		*val = vmread(GUEST_GS_BASE);
		return true;
	case MSR_IA32_KERNEL_GS_BASE:
	case MSR_STAR:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_SFMASK:
		*val = rdmsr(msr);
		return true;
	}
	return false;
}

/* A canonical address, for the MSRs that hold one (SDM 3A 3.3.7.1). */
static bool canonical(u64 a)
{
	return (u64)((s64)(a << 16) >> 16) == a;
}

/* EFER (SDM 3A 2.2.1): LMA is read-only, LME cannot change while paging
 * is on, NXE exists where the processor has NX. */
static bool set_efer(struct vcpu *v, u64 val)
{
	u64 allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	u64 old = v->efer;

	if (!(cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_NX))
		allowed &= ~EFER_NXE;
	if ((val & ~allowed) ||
	    ((v->cr0 & X86_CR0_PG) && ((val ^ old) & EFER_LME)))
		return false;
	v->efer = (val & ~EFER_LMA) | (old & EFER_LMA);
	vmcs_set_paging_state(v);
	if ((old ^ v->efer) & EFER_NXE && (v->cr0 & X86_CR0_PG))
		mmu_reset_context(v);
	return true;
}

static bool msr_write(struct vcpu *v, u32 msr, u64 val)
{
	switch (msr) {
	case MSR_IA32_EFER:
		return set_efer(v, val);
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
	case MSR_IA32_FS_BASE:
	case MSR_IA32_GS_BASE:
	case MSR_IA32_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
		if (!canonical(val))
			return false;
		if (msr == MSR_IA32_FS_BASE)
			vmwrite(GUEST_FS_BASE, val);
		else if (msr == MSR_IA32_GS_BASE)
			vmwrite(GUEST_GS_BASE, val);
		else
			wrmsr(msr, val);
		return true;
	case MSR_STAR:
	case MSR_SFMASK:
		wrmsr(msr, msr == MSR_SFMASK ? (u32)val : val);
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
	if (vlapic_handles_msr(msr))
		ok = write ? vlapic_msr_write(v, msr, val)
			   : vlapic_msr_read(v, msr, &val);
	else
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

/*
 * HLT. With interrupts on, the vCPU waits in the HLT activity state for
 * an interrupt (vmm/vintr.c, which also stops the partition once no vCPU
 * can be woken any more); with them off it halts for good, and if no
 * other vCPU runs or can be woken, nothing ever will: the partition
 * stops.
 */
static void exit_hlt(struct vcpu *v)
{
	struct partition *p = v->part;

	vmexit_skip_instruction();
	if (vmread(GUEST_RFLAGS) & X86_RFLAGS_IF) {
		vintr_halt(v);
		return;
	}
	spin_lock(&p->lock);
	v->state = VCPU_HALTED_IRQ_OFF;
	spin_unlock(&p->lock);
	vintr_stop_if_all_halted(v);
}

/* The guest can take an interrupt now: vintr_prepare_entry() injects it. */
static void exit_interrupt_window(struct vcpu *v)
{
	(void)v;
}

static void exit_invlpg(struct vcpu *v)
{
	mmu_invlpg(v, vmread(EXIT_QUALIFICATION));
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
 * An intercepted exception: only #PF is (vmm/vmcs.c), for the shadow MMU.
 * The exit qualification is the faulting address (what CR2 would hold).
 */
static void exit_exception(struct vcpu *v)
{
	u32 info = (u32)vmread(VM_EXIT_INTR_INFO);

	if ((info & 0xff) == VECTOR_PAGE_FAULT) {
		mmu_page_fault(v, vmread(EXIT_QUALIFICATION),
			       (u32)vmread(VM_EXIT_INTR_ERROR_CODE));
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
	[EXIT_REASON_INTERRUPT_WINDOW] = exit_interrupt_window,
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
	/* The backstop timer (vmm/vmx.c): nothing to do; the loop takes any
	 * pending IPI and enters again. */
	[EXIT_REASON_PREEMPTION_TIMER] = exit_external_interrupt,
};

#define INTR_TYPE(info)		(((info) >> 8) & 7)
#define INTR_TYPE_SOFT_INTR	4 /* INT n */
#define INTR_TYPE_PRIV_SOFT_EXC 5 /* INT1 */
#define INTR_TYPE_SOFT_EXC	6 /* INT3, INTO */
#define VECTOR_DF		8

/* #DE, #TS, #NP, #SS, #GP: the contributory exceptions (SDM 3A table
 * 6-4). */
static bool contributory(u32 vector)
{
	return vector == 0 || (vector >= 10 && vector <= 13);
}

/*
 * The exit interrupted the delivery of an event (the IDT-vectoring
 * information is valid, SDM 3C 28.2.4): a #PF on the guest's stack or IDT
 * while it took an exception or an INT n. If the handler fixed the cause
 * (a shadow fault), the event is delivered again. If the handler injected
 * a new exception (a guest fault), the two combine as the processor
 * would combine them (SDM 3A 6.15, "double fault"): #DF, or a triple
 * fault when the first was already #DF.
 */
static void redeliver_event(struct vcpu *v)
{
	u32 idt = (u32)vmread(IDT_VECTORING_INFO);
	u32 now = (u32)vmread(VM_ENTRY_INTR_INFO);
	u32 first, second;

	if (!(idt & INTR_INFO_VALID) || !v->part->running)
		return;
	if (!(now & INTR_INFO_VALID)) {
		u32 type = INTR_TYPE(idt);

		vmwrite(VM_ENTRY_INTR_INFO, idt & ~BIT(12));
		if (idt & INTR_INFO_DELIVER_CODE)
			vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE,
				vmread(IDT_VECTORING_ERROR_CODE));
		if (type == INTR_TYPE_SOFT_INTR ||
		    type == INTR_TYPE_PRIV_SOFT_EXC ||
		    type == INTR_TYPE_SOFT_EXC)
			vmwrite(VM_ENTRY_INSTRUCTION_LEN,
				vmread(VM_EXIT_INSTRUCTION_LEN));
		return;
	}
	if (INTR_TYPE(idt) != INTR_TYPE(INTR_TYPE_HW_EXCEPTION))
		return; /* benign: the new exception wins */
	first = idt & 0xff;
	second = now & 0xff;
	if (first == VECTOR_DF) {
		partition_stop(v->part, STATUS_TRIPLE_FAULT,
			       "triple fault on vCPU %u at RIP %#lx (exception "
			       "%u while delivering a double fault)",
			       v->index, vmread(GUEST_RIP), second);
		return;
	}
	if ((first == VECTOR_PAGE_FAULT &&
	     (second == VECTOR_PAGE_FAULT || contributory(second))) ||
	    (contributory(first) && contributory(second)))
		vmexit_inject_exception(VECTOR_DF, true, 0);
}

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
		redeliver_event(v);
		return;
	}
	partition_stop(v->part, STATUS_UNHANDLED,
		       "vCPU %u: VM exit reason %u (qualification %#lx) at RIP "
		       "%#lx is not handled",
		       v->index, basic, vmread(EXIT_QUALIFICATION),
		       vmread(GUEST_RIP));
}
