// SPDX-License-Identifier: MIT
/*
 * Virtual interrupts: from a device's request to the guest's IDT
 * (docs/platform.md, "Interrupts").
 *
 * Sources set a bit and kick: the local APIC's IRR (its timer, IPIs from
 * the partition's other vCPUs, self-IPIs: vmm/vlapic.c) or an IRQ line
 * of the 8259 pair (the PIT's IRQ0, the RTC's IRQ8: vmm/vpic.c,
 * vmm/vpit.c, vmm/vrtc.c), whose output reaches vCPU 0 through LINT0. A
 * source on another CPU then calls vcpu_kick(), which sends the vCPU's
 * physical CPU an IPI: it makes the vCPU leave the guest (an
 * external-interrupt exit), whether it runs or waits in the HLT activity
 * state. The timers run on the vCPU's own CPU and need no kick.
 *
 * Before every VM entry, vcpu_run() (vmm/vcpu.c) calls
 * vintr_prepare_entry(), which
 *   1. runs the timers that are due (the APIC timer; on vCPU 0 the PIT
 *      and the RTC);
 *   2. picks the interrupt to deliver: the local APIC's highest vector
 *      above its processor priority, else the 8259's (if LINT0 takes
 *      ExtINT); if the guest can take it now (RFLAGS.IF=1, no STI or
 *      MOV SS blocking, no event already being injected) it writes
 *      VM_ENTRY_INTR_INFO and the processor delivers it through the
 *      guest's IDT as it enters; otherwise it turns on interrupt-window
 *      exiting, so the guest exits as soon as it can take one;
 *   3. programs the VMX-preemption timer for the next timer deadline, so
 *      a timer fires on time while the guest runs or halts.
 *
 * HLT with interrupts enabled (vintr_halt) leaves the vCPU in the HLT
 * activity state inside VMX non-root operation: every VM entry resumes
 * it halted until one injects an interrupt, which ends the halt. The
 * preemption timer and a kick only bring the halted vCPU out to look
 * (a VM exit), so that a timer that came due or an IRR bit another CPU
 * set is injected. A halted vCPU that nothing can wake any more asks
 * whether the whole partition is done (vintr_stop_if_all_halted()).
 * HLT with interrupts disabled halts for good (vmm/exit.c).
 *
 * Context: the vCPU's own physical CPU, interrupts off, its VMCS current;
 * vcpu_kick() from any CPU.
 */
#include "vplatform.h"
#include "vacpi.h"
#include "exit.h"
#include "vmx.h"
#include "vmx_caps.h"
#include "x86.h"
#include "tsc.h"
#include "asm.h"

/* The shortest preemption-timer wait (about 5 us): a timer due sooner
 * waits this long, so that the guest always runs a little between two
 * timer exits, whatever period it programs. */
#define MIN_WAIT_US 5

int vplatform_init(struct partition *p)
{
	spin_init(&p->vdev_lock, "vdev");
	vlegacy_init(p);
	for (u32 i = 0; i < p->cfg.ncpus; i++)
		vlapic_init(&p->vcpus[i]);
	return vacpi_build(p);
}

static void set_window_exiting(struct vcpu *v, bool on)
{
	if (v->window_exiting == on)
		return;
	v->window_exiting = on;
	vmwrite(CPU_BASED_VM_EXEC_CONTROL,
		vmx_caps.cpu | (on ? CPU_INTR_WINDOW_EXITING : 0));
}

/* The earlier of two deadlines, 0 meaning none. */
static u64 earlier(u64 a, u64 b)
{
	if (!a)
		return b;
	return b && b < a ? b : a;
}

/* Run the timers due at now; returns the next deadline (0: none). */
static u64 run_timers(struct vcpu *v, u64 now)
{
	struct partition *p = v->part;
	u64 next;

	vlapic_timer_check(v, now);
	next = vlapic_timer_deadline(v);
	if (v->index == 0) {
		spin_lock(&p->vdev_lock);
		vpit_check(p, now);
		next = earlier(next, vpit_deadline(p));
		spin_unlock(&p->vdev_lock);
	}
	return next;
}

/* Does the 8259 pair have an interrupt for v (vCPU 0, LINT0 ExtINT)? */
static bool pic_pending(struct vcpu *v)
{
	struct partition *p = v->part;
	bool pending;

	if (v->index != 0 || !vlapic_accepts_extint(v))
		return false;
	spin_lock(&p->vdev_lock);
	pending = vpic_pending(p) >= 0;
	spin_unlock(&p->vdev_lock);
	return pending;
}

static bool can_inject_now(void)
{
	return !(vmread(VM_ENTRY_INTR_INFO) & INTR_INFO_VALID) &&
	       (vmread(GUEST_RFLAGS) & X86_RFLAGS_IF) &&
	       !(vmread(GUEST_INTERRUPTIBILITY_INFO) & 3);
}

static void inject(struct vcpu *v)
{
	int vector = vlapic_pending_vector(v);
	bool from_pic = vector < 0 && pic_pending(v);

	if (vector < 0 && !from_pic) {
		set_window_exiting(v, false);
		return;
	}
	if (!can_inject_now()) {
		set_window_exiting(v, true);
		return;
	}
	/* Delivering the interrupt ends a halt. halted is cleared before
	 * the request leaves IRR or the 8259, so that another vCPU's
	 * vintr_stop_if_all_halted() sees one or the other. */
	if (v->halted) {
		__atomic_store_n(&v->halted, false, __ATOMIC_SEQ_CST);
		vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	}
	if (from_pic) {
		spin_lock(&v->part->vdev_lock);
		vector = vpic_ack(v->part);
		spin_unlock(&v->part->vdev_lock);
	} else {
		vlapic_accept(v, (u8)vector);
	}
	vmwrite(VM_ENTRY_INTR_INFO,
		INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (u8)vector);
	/* More may be waiting: exit once the guest can take the next. */
	set_window_exiting(v, vlapic_pending_vector(v) >= 0 || pic_pending(v));
}

/* The VMX-preemption timer: at the next deadline, or after the 1 ms
 * backstop (vmm/vmx.c) if that comes first. */
static void program_preemption_timer(u64 deadline, u64 now)
{
	u64 ticks = vmx_caps.preempt_ticks, min_ticks;

	if (deadline) {
		min_ticks = (tsc_khz() * MIN_WAIT_US / 1000) >>
			    vmx_caps.preempt_rate;
		ticks = MIN(ticks,
			    MAX(deadline > now ? (deadline - now) >>
							 vmx_caps.preempt_rate
					       : 0,
				min_ticks));
	}
	vmwrite(VMX_PREEMPTION_TIMER_VALUE, MAX(ticks, 1));
}

void vintr_prepare_entry(struct vcpu *v)
{
	u64 now = rdtsc();
	u64 deadline = run_timers(v, now);

	inject(v);
	program_preemption_timer(deadline, now);
	/* Still halted, and nothing of its own left that could wake it (a
	 * timer that fired with a vector the priority holds back, say):
	 * perhaps the partition is done. Checked here, not only at HLT,
	 * because a vCPU waiting in the HLT state never executes HLT
	 * again. */
	if (v->halted && !vintr_can_wake(v))
		vintr_stop_if_all_halted(v);
}

void vcpu_kick(struct vcpu *v)
{
	vcpu_wake(v);
}

void vintr_halt(struct vcpu *v)
{
	/* An interrupt that waited for the window (STI; HLT) is delivered
	 * at the next entry instead: the halt ends at once. */
	if (vlapic_pending_vector(v) >= 0 || pic_pending(v))
		return;
	/* Published before vintr_stop_if_all_halted() reads the others. */
	__atomic_store_n(&v->halted, true, __ATOMIC_SEQ_CST);
	vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_HLT);
}

bool vintr_can_wake(struct vcpu *v)
{
	struct partition *p = v->part;
	bool pit = false;

	if (vlapic_timer_deadline(v) || vlapic_pending_vector(v) >= 0)
		return true;
	if (v->index == 0 && vlapic_accepts_extint(v)) {
		/* vpit_deadline() is 0 unless an unmasked IRQ0 or an RTC
		 * interrupt is due. */
		spin_lock(&p->vdev_lock);
		pit = vpit_deadline(p) || vpic_pending(p) >= 0;
		spin_unlock(&p->vdev_lock);
	}
	return pit;
}

/* Can u still run: started, and not halted or able to be woken? */
static bool may_run(struct vcpu *u)
{
	bool wake;

	if (__atomic_load_n(&u->state, __ATOMIC_SEQ_CST) != VCPU_RUNNABLE)
		return false;
	/* First whether it can wake, then whether it halted: the order
	 * inject() and the one-shot timer write in (see below). */
	wake = vintr_can_wake(u);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return wake || !__atomic_load_n(&u->halted, __ATOMIC_SEQ_CST);
}

/*
 * No lock is held, none is needed (docs/locking.md). The caller
 * published its own halt (state VCPU_HALTED_IRQ_OFF, or halted) before
 * the fence below, and reads the others' after it; so of two vCPUs that
 * halt at the same moment, at least one sees that the other halted, and
 * the last to halt stops the partition. A wake-up on
 * its way is never missed: inject() clears halted before it takes the
 * vector out of IRR or the 8259, a one-shot timer sets IRR before it
 * disarms, and may_run() reads in the opposite order. A vCPU that sends
 * an IPI and then halts set the IRR bit before its own halt.
 */
void vintr_stop_if_all_halted(struct vcpu *v)
{
	struct partition *p = v->part;
	bool some_irq_on = false;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (u32 i = 0; i < p->cfg.ncpus; i++) {
		struct vcpu *u = &p->vcpus[i];

		if (may_run(u))
			return;
		some_irq_on |= __atomic_load_n(&u->state, __ATOMIC_SEQ_CST) ==
			       VCPU_RUNNABLE;
	}
	partition_stop(p, STATUS_ALL_HALTED, "%s",
		       some_irq_on
			       ? "all vCPUs halted; those with interrupts "
				 "enabled have no timer armed and no "
				 "interrupt they can take"
			       : "all vCPUs halted with interrupts disabled");
}
