// SPDX-License-Identifier: MIT
/*
 * The vCPU loop: how a physical CPU runs its one vCPU.
 *
 * Every CPU ends boot in vcpu_cpu_loop(). When its vCPU is runnable it
 * calls vcpu_run(), which enters the guest with vmx_run()
 * (vmm/vmx_entry.S) and handles each VM exit with vmexit_dispatch()
 * (vmm/exit.c), until the partition stops or the vCPU halts. Otherwise
 * the CPU halts with interrupts on, and an IPI (vcpu_wake()) wakes it.
 *
 * Interrupts are off while Shade runs the loop and during VM entry. An
 * external interrupt (one of Shade's IPIs) causes a VM exit and stays
 * pending in the local APIC; the loop then opens interrupts for one
 * instruction so that the IDT handler runs (arch/x86/trap.c). Virtual
 * interrupts for the guest are injected on the way in
 * (vintr_prepare_entry(), vmm/vintr.c).
 *
 * Context: each CPU, on its own vCPU. Partition state changes take
 * part->lock.
 */
#include "vmm.h"
#include "vmcs.h"
#include "vmx.h"
#include "vmx_caps.h"
#include "exit.h"
#include "vplatform.h"
#include "percpu.h"
#include "ipi.h"
#include "asm.h"
#include "printk.h"
#include "panic.h"
#include "errno.h"

int vmx_run(struct guest_regs *regs, bool launched); /* vmm/vmx_entry.S */

/* The VM-instruction error numbers VM entry can report (SDM 3C 31.4). */
static const char *entry_error(u64 err)
{
	switch (err) {
	case 7:
		return "invalid control field(s)";
	case 8:
		return "invalid host-state field(s)";
	case 4:
		return "VMLAUNCH with a non-clear VMCS";
	case 5:
		return "VMRESUME with a non-launched VMCS";
	default:
		return "see SDM 3C 31.4";
	}
}

static void entry_failed(struct vcpu *v, int ret)
{
	u64 err = ret == VMX_FAIL_VALID ? vmread(VM_INSTRUCTION_ERROR) : 0;

	partition_stop(
		v->part, STATUS_ENTRY_FAILED,
		"vCPU %u: VM entry failed: %s (VM-instruction error %lu: %s)",
		v->index,
		ret == VMX_FAIL_VALID ? "VMfailValid" : "VMfailInvalid", err,
		entry_error(err));
}

static bool should_leave(struct vcpu *v)
{
	return __atomic_load_n(&v->part->stopping, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) != VCPU_RUNNABLE;
}

/* Drop every translation of this vCPU's VPID (without VPIDs, VM entry
 * and exit flush the TLB themselves). */
static void flush_guest_tlb(struct vcpu *v)
{
	if (vmx_caps.has_vpid && invvpid(INVVPID_SINGLE_CONTEXT, v->vpid))
		panic("invvpid failed for VPID %u", v->vpid);
}

/*
 * The last step before VM entry, interrupts off. in_guest is set before
 * flush_req is read, and a shootdown (vmm/mmu.c) sets flush_req before it
 * reads in_guest: so either this CPU sees the request and flushes now, or
 * the requester sees in_guest and sends an IPI, which forces a VM exit
 * right after entry. False when the roots must be reloaded first.
 */
static bool prepare_entry(struct vcpu *v)
{
	__atomic_store_n(&v->mmu.in_guest, 1, __ATOMIC_SEQ_CST);
	if (mmu_needs_reload(v)) {
		__atomic_store_n(&v->mmu.in_guest, 0, __ATOMIC_SEQ_CST);
		return false;
	}
	if (__atomic_exchange_n(&v->mmu.flush_req, 0, __ATOMIC_SEQ_CST))
		flush_guest_tlb(v);
	return true;
}

/* Run v until its partition stops or it halts. */
static void vcpu_run(struct vcpu *v)
{
	for (;;) {
		int ret;

		irq_disable();
		if (should_leave(v))
			return;
		/* Timers, the interrupt to inject, the preemption timer; a
		 * halted vCPU that nothing can wake may stop the partition
		 * there (vmm/vintr.c). */
		vintr_prepare_entry(v);
		if (should_leave(v))
			return;
		if (!prepare_entry(v)) {
			mmu_reload(v);
			continue;
		}
		ret = vmx_run(&v->regs, v->launched);
		__atomic_store_n(&v->mmu.in_guest, 0, __ATOMIC_SEQ_CST);
		if (ret) {
			entry_failed(v, ret);
			return;
		}
		v->launched = true;
		v->exits++;
		__atomic_fetch_add(&v->part->stats.vm_exits, 1,
				   __ATOMIC_RELAXED);
		vmexit_dispatch(v);
		/* Let a pending IPI (the reason for an external-interrupt
		 * exit, or a stop request) reach its handler. */
		irq_enable();
		__asm__ volatile("nop");
	}
}

/* First entry: a fresh VMCS for the boot vCPU (multiboot entry state set
 * by vmm/partition.c) or for a secondary one (HC_VCPU_START). */
static void vcpu_first_run(struct vcpu *v)
{
	v->set_up = true;
	if (vmcs_setup(v, &v->start)) {
		partition_stop(v->part, STATUS_ENTRY_FAILED,
			       "vCPU %u: no memory for its VMCS", v->index);
		return;
	}
	if (vmx_selftest_bad_guest_state && v->part->id == 1 && !v->index) {
		pr_info("selftest: making TR of partition '%s' not present",
			v->part->cfg.name);
		vmwrite(GUEST_TR_AR_BYTES, vmread(GUEST_TR_AR_BYTES) & ~AR_P);
	}
	vcpu_run(v);
}

void vcpu_cpu_loop(void)
{
	struct percpu *c = this_cpu();

	for (;;) {
		struct vcpu *v = c->vcpu;

		irq_disable();
		if (v &&
		    __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) ==
			    VCPU_RUNNABLE &&
		    !__atomic_load_n(&v->part->stopping, __ATOMIC_ACQUIRE)) {
			if (!v->set_up)
				vcpu_first_run(v);
			else
				vcpu_run(v);
			continue;
		}
		/* STI's one-instruction shadow: a wake-up IPI that arrived
		 * since the check above still ends this HLT. */
		safe_halt();
	}
}

static void wake_noop(void *arg)
{
	(void)arg;
}

/*
 * Returns once v's CPU has taken the IPI, so it is out of guest mode and
 * past any VM-exit handler it was in; its next look at its state or at
 * the partition's stopping flag sees what the caller set before. A CPU
 * can be slow to answer (a long exit handler runs with interrupts off),
 * never absent: the IPI layer's timeout only means "try again".
 */
void vcpu_wake(struct vcpu *v)
{
	if (v->pcpu == this_cpu_id())
		return;
	while (ipi_call(BIT(v->pcpu), wake_noop, NULL, NULL) == -ETIMEDOUT)
		pr_warn("vCPU %u of partition '%s' is slow to answer an IPI; "
			"retrying",
			v->index, v->part->cfg.name);
}
