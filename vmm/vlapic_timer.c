// SPDX-License-Identifier: MIT
/*
 * The local APIC timer of a virtual local APIC (SDM 3A 10.5.4): one-shot,
 * periodic and TSC-deadline modes.
 *
 * There is no counter to decrement. A count from timer_icr down to 0 is a
 * span of the TSC: it started at timer_start and reaches 0 at
 * timer_deadline; the current count is computed from the TSC when read
 * (vtime_ticks() at the bus clock over the divider, vmm/vtime.c). In
 * TSC-deadline mode the deadline is the guest's IA32_TSC_DEADLINE itself.
 * vmm/vintr.c asks for the deadline before each VM entry (and programs the
 * VMX-preemption timer for it) and calls vlapic_timer_check(), which
 * raises the LVT vector and re-arms a periodic timer one period after the
 * previous deadline, so that periods do not drift with exit latency.
 *
 * Context: v's own physical CPU, interrupts off; vlapic_timer_deadline()
 * also from other CPUs (vintr_can_wake()), reading only.
 */
#include "vlapic_internal.h"
#include "vplatform.h"
#include "asm.h"

/* The fastest periodic timer Shade runs (10 kHz): a shorter period would
 * spend the CPU on timer exits. The current count still follows the
 * programmed count. */
#define VLAPIC_MIN_PERIOD_US 100
#define US_PER_SEC	     1000000ULL
/* A periodic timer more than this many periods behind (its vCPU did not
 * run) skips the missed ticks instead of firing them back to back. */
#define TIMER_MAX_BEHIND     4

u32 vlapic_timer_mode(const struct vlapic *l)
{
	return l->lvt[LVT_TIMER] & LVT_TIMER_MODE;
}

static bool timer_counts(const struct vlapic *l)
{
	u32 mode = vlapic_timer_mode(l);

	return mode == TIMER_ONESHOT || mode == TIMER_PERIODIC;
}

/* The counter's clock: the bus clock over the divide configuration
 * (SDM 3A figure 10-10: 000b is 2, ..., 110b is 128, 111b is 1). */
static u64 timer_hz(const struct vlapic *l)
{
	u32 code = ((l->timer_dcr >> 1) & 4) | (l->timer_dcr & 3);

	return VLAPIC_BUS_HZ >> ((code + 1) & 7);
}

/* The count from timer_icr down to 0 starts now (or stops, if it is 0). */
static void timer_start_count(struct vlapic *l, u64 now)
{
	l->timer_deadline = 0;
	if (!l->timer_icr || !timer_counts(l))
		return;
	l->timer_period = vtime_tsc(l->timer_icr, timer_hz(l));
	l->timer_start = now;
	l->timer_deadline = now + l->timer_period;
}

u32 vlapic_timer_current(const struct vlapic *l, u64 now)
{
	u64 ticks;

	if (!l->timer_deadline || !timer_counts(l))
		return 0;
	if (vlapic_timer_mode(l) == TIMER_ONESHOT && now >= l->timer_deadline)
		return 0;
	ticks = vtime_ticks(now - l->timer_start, timer_hz(l));
	if (vlapic_timer_mode(l) == TIMER_PERIODIC)
		ticks %= l->timer_icr;
	else if (ticks >= l->timer_icr)
		return 0;
	return l->timer_icr - (u32)ticks;
}

/* The timer reached zero at timer_deadline: interrupt, then re-arm a
 * periodic timer one period after the previous deadline (no drift),
 * unless it is far behind. */
static void timer_expired(struct vcpu *v, u64 now)
{
	struct vlapic *l = &v->lapic;
	u32 lvt = l->lvt[LVT_TIMER];
	u64 period, next;

	if (!(lvt & LVT_MASKED))
		vlapic_set_irr(v, lvt & LVT_VECTOR);
	if (vlapic_timer_mode(l) != TIMER_PERIODIC) {
		/* After the IRR bit: vintr_can_wake() on another CPU reads
		 * the deadline first, so it sees one or the other. */
		__atomic_store_n(&l->timer_deadline, 0, __ATOMIC_RELEASE);
		l->tsc_deadline = 0; /* SDM 3A 10.5.4.1: it disarms itself */
		return;
	}
	period = MAX(l->timer_period,
		     vtime_tsc(VLAPIC_MIN_PERIOD_US, US_PER_SEC));
	period = MAX(period, 1);
	next = l->timer_deadline + period;
	if (now >= next + TIMER_MAX_BEHIND * period) {
		l->timer_start = now;
		l->timer_deadline = now + period;
	} else {
		l->timer_start = l->timer_deadline;
		l->timer_deadline = next;
	}
}

void vlapic_timer_check(struct vcpu *v, u64 now)
{
	struct vlapic *l = &v->lapic;

	if (l->timer_deadline && now >= l->timer_deadline)
		timer_expired(v, now);
}

/* A masked timer still counts, but needs no exit at its deadline:
 * vlapic_timer_check() at the next entry brings it up to date, and
 * every write that could unmask it calls that first. */
u64 vlapic_timer_deadline(struct vcpu *v)
{
	struct vlapic *l = &v->lapic;

	if (!vlapic_is_hw_enabled(l) || (l->lvt[LVT_TIMER] & LVT_MASKED))
		return 0;
	return __atomic_load_n(&l->timer_deadline, __ATOMIC_ACQUIRE);
}

void vlapic_timer_set_initial(struct vcpu *v, u32 count)
{
	struct vlapic *l = &v->lapic;

	/* Ignored in TSC-deadline mode (SDM 3A 10.5.4.1). */
	if (vlapic_timer_mode(l) == TIMER_TSC_DEADLINE)
		return;
	l->timer_icr = count;
	timer_start_count(l, rdtsc());
}

/* A new divider while counting: the count goes on from where it is,
 * at the new rate. */
void vlapic_timer_set_divide(struct vcpu *v, u32 dcr)
{
	struct vlapic *l = &v->lapic;
	u64 now = rdtsc();
	u32 left;

	vlapic_timer_check(v, now);
	left = vlapic_timer_current(l, now);
	l->timer_dcr = dcr;
	if (!left)
		return;
	l->timer_period = vtime_tsc(l->timer_icr, timer_hz(l));
	l->timer_deadline = now + vtime_tsc(left, timer_hz(l));
	l->timer_start = l->timer_deadline - l->timer_period;
}

void vlapic_timer_set_tsc_deadline(struct vcpu *v, u64 deadline)
{
	struct vlapic *l = &v->lapic;

	/* Writes are ignored in the other modes; 0 disarms. */
	if (vlapic_timer_mode(l) != TIMER_TSC_DEADLINE)
		return;
	l->tsc_deadline = deadline;
	l->timer_deadline = deadline;
}

/* IA32_TSC_DEADLINE reads 0 outside TSC-deadline mode (SDM 3A 10.5.4.1). */
u64 vlapic_timer_read_tsc_deadline(const struct vlapic *l)
{
	return vlapic_timer_mode(l) == TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
}

/*
 * A new LVT timer entry. Expiries before the write belong to the old
 * entry (masked or not). Between one-shot and periodic the count goes on
 * (the mode decides what happens at zero; a stopped timer does not
 * start); a change to or from TSC-deadline mode disarms the timer
 * (SDM 3A 10.5.4.1), and the reserved mode 3 stops it.
 */
void vlapic_timer_write_lvt(struct vcpu *v, u32 val)
{
	struct vlapic *l = &v->lapic;
	u32 from = vlapic_timer_mode(l), to = val & LVT_TIMER_MODE;

	vlapic_timer_check(v, rdtsc());
	l->lvt[LVT_TIMER] = val;
	if (from == to)
		return;
	if (from == TIMER_TSC_DEADLINE || to == TIMER_TSC_DEADLINE) {
		l->timer_icr = 0;
		l->tsc_deadline = 0;
		l->timer_deadline = 0;
	} else if (!timer_counts(l)) {
		l->timer_deadline = 0;
	}
}
