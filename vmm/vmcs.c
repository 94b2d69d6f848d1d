// SPDX-License-Identifier: MIT
/*
 * A vCPU's VMCS: controls, host state, initial guest state.
 *
 * The controls (vmm/vmx.c derives them) make the guest exit on everything
 * Shade must see: external interrupts (Shade's own IPIs), HLT, INVLPG,
 * CR3 loads and stores (the guest's CR3 is virtual: the CPU runs on shadow
 * tables), all I/O, all MSRs (no MSR bitmap), MONITOR/MWAIT and RDPMC;
 * CPUID, VMCALL, the VMX instructions and triple faults always exit. CR0
 * and CR4 are owned by Shade entirely (guest/host masks all ones): the
 * guest reads its own values from the read shadows and every write exits.
 *
 * Without unrestricted guest, VMX runs the guest with CR0.PE and CR0.PG
 * set (SDM 3C 26.3.1.1). The processor always runs the guest on shadow
 * tables (vmm/mmu.c): PAE format unless the guest is in IA-32e mode, with
 * CR0.WP set whatever the guest's WP (write protection is how Shade
 * tracks guest page tables), and EFER.NXE set where the processor has NX.
 * vmcs_set_paging_state() derives these real values from the guest's.
 *
 * Context: the vCPU's physical CPU, interrupts off.
 */
#include "vmcs.h"
#include "vmx.h"
#include "vmx_caps.h"
#include "percpu.h"
#include "pmm.h"
#include "paging.h"
#include "asm.h"
#include "x86.h"
#include "errno.h"
#include "kstring.h"
#include "exit.h"

extern const char vmx_exit_stub[]; /* vmm/vmx_entry.S */

#define RFLAGS_RESERVED_1 BIT(1)
#define DR7_INIT	  0x400
#define FLAT_LIMIT	  0xffffffffULL
#define TR_LIMIT	  0x67
/* TSD, DE, MCE, PCE, OSFXSR, OSXMMEXCPT (SDM 3A 2.5) */
#define CR4_GUEST_PASSTHROUGH \
	(BIT(2) | BIT(3) | BIT(6) | BIT(8) | X86_CR4_OSFXSR | BIT(10))
#define PAT_POWER_ON 0x0007040600070406ULL /* SDM 3A 13.12.4 */

u64 vmcs_real_cr0(u64 guest_cr0)
{
	return (guest_cr0 | vmx_caps.cr0_fixed0 | X86_CR0_PE | X86_CR0_PG |
		X86_CR0_WP) &
	       vmx_caps.cr0_fixed1;
}

static bool host_has_nx(void)
{
	return cpuid(0x80000001, 0).edx & CPUID_80000001_EDX_NX;
}

void vmcs_set_paging_state(struct vcpu *v)
{
	bool lma = v->efer & EFER_LMA;
	/* VM entry wants EFER.LME = LMA = "IA-32e mode guest" when CR0.PG
	 * is set, which it always is for real (SDM 3C 26.3.1.1). */
	u64 efer = (v->efer & EFER_SCE) | (lma ? EFER_LME | EFER_LMA : 0) |
		   (host_has_nx() ? EFER_NXE : 0);

	vmwrite(GUEST_CR0, vmcs_real_cr0(v->cr0));
	vmwrite(CR0_READ_SHADOW, v->cr0);
	vmwrite(GUEST_CR4, vmcs_real_cr4(v->cr4));
	vmwrite(CR4_READ_SHADOW, v->cr4);
	vmwrite(GUEST_IA32_EFER, efer);
	vmwrite(VM_ENTRY_CONTROLS,
		vmx_caps.entry | (lma ? ENTRY_IA32E_MODE_GUEST : 0));
}

u64 vmcs_real_cr4(u64 guest_cr4)
{
	/* PAE for the shadow tables, VMXE as VMX requires; of the guest's
	 * own bits, those that do not concern paging take effect (SSE
	 * enabling, TSD, DE, MCE, PCE). The guest's paging bits (PSE, PAE,
	 * PGE) shape the shadow tables instead. */
	return (vmx_caps.cr4_fixed0 | X86_CR4_PAE | X86_CR4_VMXE |
		(guest_cr4 & CR4_GUEST_PASSTHROUGH)) &
	       vmx_caps.cr4_fixed1;
}

static void setup_controls(struct vcpu *v)
{
	vmwrite(PIN_BASED_VM_EXEC_CONTROL, vmx_caps.pin);
	/* HLT, INVLPG, CR3 and I/O exit for the shadow MMU and the devices;
	 * CR8 too, since it is the local APIC's TPR and the guest's is the
	 * virtual one (vmm/vlapic.c). Interrupt-window exiting is switched
	 * on and off per vCPU by vmm/vintr.c. */
	vmwrite(CPU_BASED_VM_EXEC_CONTROL, vmx_caps.cpu);
	vmwrite(SECONDARY_VM_EXEC_CONTROL, vmx_caps.cpu2);
	vmwrite(VM_EXIT_CONTROLS, vmx_caps.exit);
	vmwrite(VM_ENTRY_CONTROLS, vmx_caps.entry);
	/* #PF only: the shadow MMU's faults, and device memory, which is
	 * never mapped (vmm/mmio.c). */
	vmwrite(EXCEPTION_BITMAP, BIT(VECTOR_PAGE_FAULT));
	vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmwrite(CR3_TARGET_COUNT, 0);
	vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VM_ENTRY_INTR_INFO, 0);
	vmwrite(CR0_GUEST_HOST_MASK, ~0ULL);
	vmwrite(CR4_GUEST_HOST_MASK, ~0ULL);
	if (vmx_caps.has_vpid)
		vmwrite(VIRTUAL_PROCESSOR_ID, v->vpid);
	vmwrite(VMCS_LINK_POINTER, ~0ULL);
}

/* Where a VM exit lands: this CPU's Shade state. HOST_RSP is written by
 * vmx_run() before each entry. */
static void setup_host(void)
{
	struct percpu *c = this_cpu();
	struct {
		u16 limit;
		u64 base;
	} __packed gdtr, idtr;

	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
	vmwrite(HOST_CR0, read_cr0());
	vmwrite(HOST_CR3, read_cr3());
	vmwrite(HOST_CR4, read_cr4());
	vmwrite(HOST_CS_SELECTOR, GDT_KERNEL_CS);
	vmwrite(HOST_SS_SELECTOR, GDT_KERNEL_DS);
	vmwrite(HOST_DS_SELECTOR, GDT_KERNEL_DS);
	vmwrite(HOST_ES_SELECTOR, GDT_KERNEL_DS);
	vmwrite(HOST_FS_SELECTOR, 0);
	vmwrite(HOST_GS_SELECTOR, 0);
	vmwrite(HOST_TR_SELECTOR, GDT_TSS);
	vmwrite(HOST_FS_BASE, 0);
	vmwrite(HOST_GS_BASE, (u64)c);
	vmwrite(HOST_TR_BASE, (u64)&c->tables.tss);
	vmwrite(HOST_GDTR_BASE, gdtr.base);
	vmwrite(HOST_IDTR_BASE, idtr.base);
	vmwrite(HOST_IA32_SYSENTER_CS, 0);
	vmwrite(HOST_IA32_SYSENTER_ESP, 0);
	vmwrite(HOST_IA32_SYSENTER_EIP, 0);
	vmwrite(HOST_IA32_EFER, rdmsr(MSR_IA32_EFER));
	vmwrite(HOST_RIP, (u64)vmx_exit_stub);
}

/* Which selector of the entry state a segment register gets. */
enum seg_sel { SEL_CS, SEL_DS, SEL_TR, SEL_NULL };

struct seg_init {
	u32 selector_field, base_field, limit_field, ar_field;
	enum seg_sel sel;
	u32 ar;
	u32 limit;
};

/* Flat 32-bit segments with base 0, the selectors of the entry state: for
 * multiboot only consistent (the guest loads its own GDT), for Linux
 * __BOOT_CS and __BOOT_DS of the GDT the loader put in guest memory. */
#define AR_CODE32 (AR_TYPE_CODE_RX_ACCESSED | AR_S | AR_P | AR_DB | AR_G)
#define AR_DATA32 (AR_TYPE_DATA_RW_ACCESSED | AR_S | AR_P | AR_DB | AR_G)
#define AR_TSS	  (AR_TYPE_TSS32_BUSY | AR_P)

static const struct seg_init guest_segs[] = {
	{GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES,
	 SEL_CS, AR_CODE32, FLAT_LIMIT},
	{GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES,
	 SEL_DS, AR_DATA32, FLAT_LIMIT},
	{GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES,
	 SEL_DS, AR_DATA32, FLAT_LIMIT},
	{GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES,
	 SEL_DS, AR_DATA32, FLAT_LIMIT},
	{GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES,
	 SEL_DS, AR_DATA32, FLAT_LIMIT},
	{GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES,
	 SEL_DS, AR_DATA32, FLAT_LIMIT},
	{GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES,
	 SEL_TR, AR_TSS, TR_LIMIT},
	{GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT,
	 GUEST_LDTR_AR_BYTES, SEL_NULL, AR_UNUSABLE, 0},
};

static u16 seg_selector(enum seg_sel sel, const struct loader_entry *e)
{
	switch (sel) {
	case SEL_CS:
		return e->cs;
	case SEL_DS:
		return e->ds;
	case SEL_TR:
		return e->tr;
	default:
		return 0;
	}
}

static void setup_guest(struct vcpu *v, const struct loader_entry *e)
{
	for (u32 i = 0; i < ARRAY_SIZE(guest_segs); i++) {
		const struct seg_init *s = &guest_segs[i];

		vmwrite(s->selector_field, seg_selector(s->sel, e));
		vmwrite(s->base_field, 0);
		vmwrite(s->limit_field, s->limit);
		vmwrite(s->ar_field, s->ar);
	}
	vmwrite(GUEST_GDTR_BASE, e->gdt_base);
	vmwrite(GUEST_GDTR_LIMIT, e->gdt_limit);
	vmwrite(GUEST_IDTR_BASE, 0);
	vmwrite(GUEST_IDTR_LIMIT, 0xffff);

	v->cr0 = X86_CR0_PE | X86_CR0_ET;
	v->cr3 = 0;
	v->cr4 = 0;
	v->efer = 0;
	v->pat = PAT_POWER_ON;
	vmcs_set_paging_state(v);
	vmwrite(GUEST_DR7, DR7_INIT);
	vmwrite(GUEST_IA32_DEBUGCTL, 0);
	vmwrite(GUEST_SYSENTER_CS, 0);
	vmwrite(GUEST_SYSENTER_ESP, 0);
	vmwrite(GUEST_SYSENTER_EIP, 0);
	vmwrite(GUEST_RSP, 0);
	vmwrite(GUEST_RIP, e->eip);
	vmwrite(GUEST_RFLAGS, RFLAGS_RESERVED_1);
	vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmwrite(GUEST_ACTIVITY_STATE, 0);
	vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

int vmcs_setup(struct vcpu *v, const struct loader_entry *e)
{
	hpa_t vmcs;

	if (!v->vmcs) {
		if (pmm_alloc_frame(&host_pmm, &vmcs))
			return -ENOMEM;
		memset((void *)hpa_to_hva(vmcs), 0, PAGE_SIZE);
		*(u32 *)hpa_to_hva(vmcs) = vmx_caps.revision;
		v->vmcs = vmcs;
	}
	if (vmclear(v->vmcs) || vmptrld(v->vmcs))
		return -EIO;
	v->launched = false;
	setup_controls(v);
	setup_host();
	setup_guest(v, e);
	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rax = e->eax;
	v->regs.rbx = e->ebx;
	v->regs.rsi = e->esi;
	/* Paging off: the shadow MMU's direct roots. */
	return mmu_reset_context(v);
}
