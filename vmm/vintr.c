// SPDX-License-Identifier: MIT
/*
 * Virtual interrupts: from a device's request to the guest's IDT
 * (docs/platform.md, "Interrupts").
 *
 * Sources set a bit and kick: the local APIC's IRR (its timer, IPIs from
 * the partition's other vCPUs, self-IPIs: vmm/vlapic.c) or an IRQ line
 * of the 8259 pair (the PIT's IRQ0: vmm/vpic.c, vmm/vpit.c), whose output
 * reaches vCPU 0 through LINT0. vcpu_kick() sends the vCPU's physical CPU
 * an IPI, which makes it leave the guest (an external-interrupt exit) or
 * wake from the HLT activity state.
 *
 * Before every VM entry, vcpu_run() (vmm/vcpu.c) calls
 * vintr_prepare_entry(), which
 *   1. runs the timers that are due (the APIC timer; on vCPU 0 the PIT);
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
 * activity state inside VMX non-root operation: the next VM entry
 * resumes it halted, and an injected interrupt, the preemption timer or
 * a kick ends the halt. HLT with interrupts disabled halts for good.
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
	if (from_pic) {
		spin_lock(&v->part->vdev_lock);
		vector = vpic_ack(v->part);
		spin_unlock(&v->part->vdev_lock);
	} else {
		vlapic_accept(v, (u8)vector);
	}
	vmwrite(VM_ENTRY_INTR_INFO,
		INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (u8)vector);
	/* Delivering the interrupt ends a halt. */
	if (v->halted) {
		v->halted = false;
		vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	}
	/* More may be waiting: exit once the guest can take the next. */
	set_window_exiting(v, vlapic_pending_vector(v) >= 0 || pic_pending(v));
}

/* The VMX-preemption timer: at the next deadline, or after the 1 ms
 * backstop (vmm/vmx.c) if that comes first. */
static void program_preemption_timer(u64 deadline, u64 now)
{
	u64 ticks = vmx_caps.preempt_ticks, min_ticks;

	if (!ticks)
		return; /* no timer: timers run at the next exit */
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
	v->halted = true;
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
