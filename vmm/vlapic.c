// SPDX-License-Identifier: MIT
/*
 * The virtual local APIC: one per vCPU (SDM 3A chapter 10, "Advanced
 * Programmable Interrupt Controller"; chapter 11 in newer editions).
 *
 * What lives where. The state is struct vlapic (vlapic.h), in each
 * struct vcpu; the code is in three files sharing vmm/vlapic_internal.h:
 *
 *	vmm/vlapic.c		registers, IA32_APIC_BASE, interrupt
 *				acceptance (IRR, ISR, PPR, EOI): this file
 *	vmm/vlapic_timer.c	the timer, in one-shot, periodic and
 *				TSC-deadline modes
 *	vmm/vlapic_ipi.c	the ICR: destinations, delivery modes
 *
 * The guest reaches the registers two ways, and both end in reg_read()
 * and reg_write() below, which know one register file:
 *
 *	xAPIC	the 4 KiB page at 0xFEE00000: Shade never maps it, so each
 *		access faults, vmm/mmio.c decodes the instruction and calls
 *		vlapic_mmio_read()/vlapic_mmio_write() with the offset
 *	x2APIC	MSR 0x800 + offset / 16, through the RDMSR/WRMSR exits of
 *		vmm/exit.c (vlapic_msr_read()/vlapic_msr_write()); the ICR is
 *		one 64-bit MSR there, and breaking a rule raises #GP
 *
 * Only the default base is supported: a write of IA32_APIC_BASE with
 * another base raises #GP (no guest we know relocates the page). The
 * xAPIC ID register is read-only (the SDM lets a model choose): the ID is
 * always the vCPU's index, as the MADT (vmm/vacpi_tables.c) and CPUID
 * say.
 *
 * How an IPI travels. vCPU 1 writes its ICR (the low dword in xAPIC
 * mode, MSR 0x830 in x2APIC mode) and exits; vlapic_send_ipi() finds the
 * destination vCPUs among its own partition's (never another's: a
 * partition cannot interrupt another), and vlapic_set_irr() sets the
 * vector's bit in each target's IRR with an atomic OR and kicks the
 * target's physical CPU (vcpu_kick()). That CPU leaves the guest (an
 * external-interrupt exit) or its halt; before its next VM entry
 * vintr_prepare_entry() (vmm/vintr.c) asks vlapic_pending_vector() for
 * the highest vector in IRR whose priority class is above the processor
 * priority (PPR), injects it and calls vlapic_accept(), which moves it
 * from IRR to ISR; the guest's handler ends with a write to EOI, which
 * clears the highest ISR bit and so lets lower classes through again.
 * The timer takes the same road: vlapic_timer_check() sets the IRR bit
 * of its LVT vector when a deadline passed, and vintr.c programs the
 * VMX-preemption timer for the next one.
 *
 * What a BIOS leaves (vlapic_init()): the APIC enabled in xAPIC mode,
 * software-enabled (SVR = 0x1FF, spurious vector 0xFF), LINT0 = ExtINT
 * unmasked (0x700: virtual-wire mode, how the 8259 reaches vCPU 0), LINT1
 * = NMI (0x400), the other LVT entries masked. Disabling the APIC in
 * IA32_APIC_BASE resets it to the power-up state of SDM 3A 10.4.7.1
 * instead (software-disabled, every LVT entry masked).
 *
 * Not supported: INIT, SIPI, NMI and SMI messages (logged once per
 * sending vCPU and dropped: secondary vCPUs start with HC_VCPU_START,
 * contract section 5), lowest-priority arbitration (the lowest-numbered
 * target gets the interrupt), level-triggered interrupts (TMR stays 0),
 * directed EOI. A periodic timer fires at most every 100 us
 * (vmm/vlapic_timer.c).
 *
 * Context: as vlapic.h says, v's own physical CPU with interrupts off,
 * except vlapic_set_irr() (any CPU) and the read-only helpers vintr.c
 * calls for other vCPUs (vlapic_pending_vector(), vlapic_timer_deadline()).
 * Other CPUs read a target's routing fields (ID, LDR, DFR, enables)
 * without a lock, as a message on the APIC bus meets whatever the target
 * holds at that moment; IRR and the pending errors are changed atomically.
 */
#include "vlapic_internal.h"
#include "vplatform.h"
#include "asm.h"
#include "kstring.h"

/* Bits software may write in each LVT entry; the delivery status (bit
 * 12) and remote IRR (bit 14) read 0 here, everything else is reserved. */
static const u32 lvt_writable[LVT_COUNT] = {
	[LVT_TIMER] = LVT_VECTOR | LVT_MASKED | LVT_TIMER_MODE,
	[LVT_THERMAL] = LVT_VECTOR | LVT_DM | LVT_MASKED,
	[LVT_PERF] = LVT_VECTOR | LVT_DM | LVT_MASKED,
	[LVT_LINT0] = LVT_VECTOR | LVT_DM | LVT_PIN_POLARITY |
		      LVT_TRIGGER_LEVEL | LVT_MASKED,
	[LVT_LINT1] = LVT_VECTOR | LVT_DM | LVT_PIN_POLARITY |
		      LVT_TRIGGER_LEVEL | LVT_MASKED,
	[LVT_ERROR] = LVT_VECTOR | LVT_MASKED,
	[LVT_CMCI] = LVT_VECTOR | LVT_DM | LVT_MASKED,
};

/* The highest vector set in an 8-word register (ISR, IRR), or -1. */
static int highest_bit(const u32 *reg)
{
	for (int i = 7; i >= 0; i--) {
		u32 w = __atomic_load_n(&reg[i], __ATOMIC_RELAXED);

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

/* PPR (SDM 3A 10.8.3.1): TPR, or the class of the highest vector in
 * service if that is higher. */
static u32 ppr(const struct vlapic *l)
{
	int isrv = highest_bit(l->isr);
	u32 tpr = __atomic_load_n(&l->tpr, __ATOMIC_RELAXED);

	if (isrv < 0 || PRIO_CLASS(tpr) >= PRIO_CLASS((u32)isrv))
		return tpr;
	return PRIO_CLASS((u32)isrv) << PRIO_CLASS_SHIFT;
}

/* APR (SDM 3A figure 10-15, the P6 family's arbitration priority). */
static u32 apr(const struct vlapic *l)
{
	int isrv = highest_bit(l->isr), irrv = highest_bit(l->irr);
	u32 tclass = PRIO_CLASS(l->tpr);
	u32 iclass = isrv < 0 ? 0 : PRIO_CLASS((u32)isrv);
	u32 rclass = irrv < 0 ? 0 : PRIO_CLASS((u32)irrv);

	if (tclass >= rclass && tclass > iclass)
		return l->tpr;
	return MAX(tclass, MAX(iclass, rclass)) << PRIO_CLASS_SHIFT;
}

/* An internal error (any CPU): latch it for the next ESR write and raise
 * the error interrupt unless LVT Error is masked. */
void vlapic_raise_error(struct vcpu *v, u32 bits)
{
	struct vlapic *l = &v->lapic;
	u32 lvt = __atomic_load_n(&l->lvt[LVT_ERROR], __ATOMIC_RELAXED);

	__atomic_fetch_or(&l->esr_pending, bits, __ATOMIC_SEQ_CST);
	/* An illegal error vector only latches its own error, once. */
	if (!(lvt & LVT_MASKED) && (lvt & LVT_VECTOR) >= FIRST_LEGAL_VECTOR)
		vlapic_set_irr(v, lvt & LVT_VECTOR);
}

void vlapic_set_irr(struct vcpu *v, u8 vector)
{
	struct vlapic *l = &v->lapic;
	enum vcpu_state s;

	/* A disabled APIC accepts no fixed interrupt (SDM 3A 10.4.7.2). */
	if (!vlapic_is_enabled(l))
		return;
	if (vector < FIRST_LEGAL_VECTOR) {
		vlapic_raise_error(v, ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	__atomic_fetch_or(&l->irr[vector / 32], 1u << (vector % 32),
			  __ATOMIC_SEQ_CST);
	/* A vCPU not started yet (or stopped) has no CPU to kick: the bit
	 * waits in IRR, and its first entry looks at it. The state is read
	 * after the bit is set, so a start racing with us sees the bit. */
	s = __atomic_load_n(&v->state, __ATOMIC_SEQ_CST);
	if (s != VCPU_NOT_STARTED && s != VCPU_STOPPED)
		vcpu_kick(v);
}

int vlapic_pending_vector(struct vcpu *v)
{
	struct vlapic *l = &v->lapic;
	int irrv;

	if (!vlapic_is_enabled(l))
		return -1;
	irrv = highest_bit(l->irr);
	if (irrv < 0 || PRIO_CLASS((u32)irrv) <= PRIO_CLASS(ppr(l)))
		return -1;
	return irrv;
}

void vlapic_accept(struct vcpu *v, u8 vector)
{
	struct vlapic *l = &v->lapic;
	u32 bit = 1u << (vector % 32);

	__atomic_fetch_and(&l->irr[vector / 32], ~bit, __ATOMIC_SEQ_CST);
	l->isr[vector / 32] |= bit;
	l->tmr[vector / 32] &= ~bit; /* every interrupt here is edge */
}

/* EOI (SDM 3A 10.8.5): the highest vector in service is done. */
static void eoi(struct vlapic *l)
{
	int isrv = highest_bit(l->isr);

	if (isrv >= 0)
		l->isr[isrv / 32] &= ~(1u << (isrv % 32));
}

/* ---- registers ------------------------------------------------------ */

/* The index in lvt[] of the LVT register at offset reg, or -1. */
static int lvt_index(u32 reg)
{
	if (reg == APIC_LVT_CMCI)
		return LVT_CMCI;
	if (reg >= APIC_LVT_TIMER && reg <= APIC_LVT_ERROR)
		return (reg - APIC_LVT_TIMER) / APIC_REG_STRIDE;
	return -1;
}

/* The power-up state (SDM 3A 10.4.7.1), also what disabling leaves: the
 * ID stays, everything else is cleared, every LVT entry masked, the APIC
 * software-disabled. IA32_APIC_BASE is the caller's. */
static void reset_registers(struct vlapic *l)
{
	for (u32 i = 0; i < 8; i++) {
		__atomic_store_n(&l->irr[i], 0, __ATOMIC_SEQ_CST);
		l->isr[i] = 0;
		l->tmr[i] = 0;
	}
	l->tpr = 0;
	l->ldr = 0;
	l->dfr = DFR_MODEL_FLAT << DFR_MODEL_SHIFT;
	l->svr = SVR_VECTOR;
	l->esr = 0;
	__atomic_store_n(&l->esr_pending, 0, __ATOMIC_SEQ_CST);
	l->icr_lo = 0;
	l->icr_hi = 0;
	for (u32 i = 0; i < LVT_COUNT; i++)
		l->lvt[i] = LVT_MASKED;
	l->timer_icr = 0;
	l->timer_dcr = 0;
	l->timer_start = 0;
	l->timer_period = 0;
	l->timer_deadline = 0;
	l->tsc_deadline = 0;
}

void vlapic_init(struct vcpu *v)
{
	struct vlapic *l = &v->lapic;

	memset(l, 0, sizeof(*l));
	l->id = v->index;
	l->apic_base = VLAPIC_DEFAULT_BASE | APIC_BASE_ENABLE |
		       (v->index == 0 ? APIC_BASE_BSP : 0);
	reset_registers(l);
	/* Virtual-wire mode, as a BIOS leaves it (MP spec 3.6.2.2). */
	l->svr = SVR_ENABLE | SVR_VECTOR;
	l->lvt[LVT_LINT0] = DM_EXTINT << LVT_DM_SHIFT;
	l->lvt[LVT_LINT1] = DM_NMI << LVT_DM_SHIFT;
}

/* Read the 32-bit register at offset reg in the current mode; false if
 * that mode has no such readable register. */
static bool reg_read(struct vcpu *v, u32 reg, u32 *val)
{
	struct vlapic *l = &v->lapic;
	bool x2 = vlapic_is_x2apic(l);
	int lvt = lvt_index(reg);
	u32 i = (reg / APIC_REG_STRIDE) & 7;

	if (lvt >= 0) {
		*val = l->lvt[lvt];
		return true;
	}
	if (reg >= APIC_ISR && reg < APIC_ESR) {
		if (reg < APIC_TMR)
			*val = l->isr[i];
		else if (reg < APIC_IRR)
			*val = l->tmr[i];
		else
			*val = __atomic_load_n(&l->irr[i], __ATOMIC_RELAXED);
		return true;
	}
	switch (reg) {
	case APIC_ID:
		*val = x2 ? l->id : l->id << XAPIC_DEST_SHIFT;
		return true;
	case APIC_VERSION:
		*val = VLAPIC_VERSION_VALUE;
		return true;
	case APIC_TPR:
		*val = l->tpr;
		return true;
	case APIC_PPR:
		*val = ppr(l);
		return true;
	case APIC_LDR:
		*val = l->ldr;
		return true;
	case APIC_SVR:
		*val = l->svr;
		return true;
	case APIC_ESR:
		*val = l->esr;
		return true;
	case APIC_ICR_LOW:
		*val = l->icr_lo;
		return true;
	case APIC_TIMER_ICR:
		*val = l->timer_icr;
		return true;
	case APIC_TIMER_CCR:
		*val = vlapic_timer_current(l, rdtsc());
		return true;
	case APIC_TIMER_DCR:
		*val = l->timer_dcr;
		return true;
	}
	if (x2)
		return false;
	switch (reg) {
	case APIC_APR:
		*val = apr(l);
		return true;
	case APIC_EOI:
	case APIC_RRD:
		*val = 0;
		return true;
	case APIC_DFR:
		*val = l->dfr | DFR_RESERVED_ONES;
		return true;
	case APIC_ICR_HIGH:
		*val = l->icr_hi;
		return true;
	}
	return false;
}

/* Can the current mode write register reg, and which bits (the rest are
 * reserved: ignored in xAPIC mode, #GP when set in x2APIC mode)? The
 * 64-bit x2APIC ICR is vlapic_msr_write()'s. */
static bool reg_write_mask(struct vcpu *v, u32 reg, u32 *mask)
{
	bool x2 = vlapic_is_x2apic(&v->lapic);
	int lvt = lvt_index(reg);

	if (lvt >= 0) {
		*mask = lvt_writable[lvt];
		return true;
	}
	switch (reg) {
	case APIC_TPR:
		*mask = TPR_WRITABLE;
		return true;
	case APIC_EOI:
	case APIC_ESR:
		/* Any value in xAPIC mode; only 0 in x2APIC mode. */
		*mask = x2 ? 0 : ~0u;
		return true;
	case APIC_SVR:
		*mask = SVR_WRITABLE;
		return true;
	case APIC_ICR_LOW:
		*mask = ICR_LOW_WRITABLE;
		return !x2;
	case APIC_TIMER_ICR:
		*mask = ~0u;
		return true;
	case APIC_TIMER_DCR:
		*mask = DCR_WRITABLE;
		return true;
	case APIC_SELF_IPI:
		*mask = ICR_VECTOR;
		return x2;
	case APIC_LDR:
		*mask = LDR_XAPIC_WRITABLE;
		return !x2;
	case APIC_DFR:
		*mask = DFR_MODEL_FLAT << DFR_MODEL_SHIFT;
		return !x2;
	case APIC_ICR_HIGH:
		*mask = XAPIC_BROADCAST << XAPIC_DEST_SHIFT;
		return !x2;
	}
	return false;
}

static void svr_write(struct vcpu *v, u32 val)
{
	struct vlapic *l = &v->lapic;

	vlapic_timer_check(v, rdtsc());
	__atomic_store_n(&l->svr, val, __ATOMIC_RELAXED);
	/* Software-disabled: every LVT entry masked (SDM 3A 10.4.7.2). */
	if (!(val & SVR_ENABLE))
		for (u32 i = 0; i < LVT_COUNT; i++)
			l->lvt[i] |= LVT_MASKED;
}

/* Write register reg (val already checked against reg_write_mask()). */
static void reg_write(struct vcpu *v, u32 reg, u32 val)
{
	struct vlapic *l = &v->lapic;
	int lvt = lvt_index(reg);

	if (lvt >= 0) {
		/* The mask stays set while software-disabled. */
		if (!(l->svr & SVR_ENABLE))
			val |= LVT_MASKED;
		if (lvt == LVT_TIMER)
			vlapic_timer_write_lvt(v, val);
		else
			__atomic_store_n(&l->lvt[lvt], val, __ATOMIC_RELAXED);
		return;
	}
	switch (reg) {
	case APIC_TPR:
		__atomic_store_n(&l->tpr, val, __ATOMIC_RELAXED);
		break;
	case APIC_EOI:
		eoi(l);
		break;
	case APIC_ESR:
		/* Load the errors seen since the last write (SDM 3A 10.5.3). */
		l->esr = __atomic_exchange_n(&l->esr_pending, 0,
					     __ATOMIC_SEQ_CST);
		break;
	case APIC_SVR:
		svr_write(v, val);
		break;
	case APIC_ICR_LOW:
		l->icr_lo = val;
		vlapic_send_ipi(v, val, l->icr_hi >> XAPIC_DEST_SHIFT);
		break;
	case APIC_TIMER_ICR:
		vlapic_timer_set_initial(v, val);
		break;
	case APIC_TIMER_DCR:
		vlapic_timer_set_divide(v, val);
		break;
	case APIC_SELF_IPI:
		vlapic_send_ipi(v, ICR_SH_SELF | val, 0);
		break;
	case APIC_LDR:
		__atomic_store_n(&l->ldr, val, __ATOMIC_RELAXED);
		break;
	case APIC_DFR:
		__atomic_store_n(&l->dfr, val, __ATOMIC_RELAXED);
		break;
	case APIC_ICR_HIGH:
		l->icr_hi = val;
		break;
	}
}

/* ---- xAPIC: the memory-mapped page ---------------------------------- */

bool vlapic_mmio_claims(struct vcpu *v, u64 gpa)
{
	struct vlapic *l = &v->lapic;

	return vlapic_is_hw_enabled(l) && !vlapic_is_x2apic(l) &&
	       (gpa & PAGE_MASK) == (l->apic_base & APIC_BASE_ADDR_MASK);
}

/* A read inside a register's 16-byte slot gives the bytes of the 32-bit
 * register at that place (zeros in the slot's last 12 bytes); a read of
 * an unimplemented register latches the illegal-register error. */
u64 vlapic_mmio_read(struct vcpu *v, u32 offset, u32 size)
{
	u32 reg = offset & ~(APIC_REG_STRIDE - 1), byte = offset & 3;
	u32 val = 0;

	if (!reg_read(v, reg, &val)) {
		vlapic_raise_error(v, ESR_ILLEGAL_REGISTER);
		return 0;
	}
	if (offset & (APIC_REG_STRIDE - 4))
		return 0;
	val >>= 8 * byte;
	return size >= 4 ? val : val & ((1u << (8 * size)) - 1);
}

/* Only aligned 32-bit writes reach a register (SDM 3A 10.4.1); others
 * are dropped. Reserved bits are ignored. */
void vlapic_mmio_write(struct vcpu *v, u32 offset, u32 size, u64 val)
{
	u32 reg = offset & ~(APIC_REG_STRIDE - 1), mask, unused;

	if (size != 4 || (offset & (APIC_REG_STRIDE - 1)))
		return;
	if (reg_write_mask(v, reg, &mask))
		reg_write(v, reg, (u32)val & mask);
	else if (!reg_read(v, reg, &unused))
		vlapic_raise_error(v, ESR_ILLEGAL_REGISTER);
}

/* ---- MSRs: IA32_APIC_BASE, IA32_TSC_DEADLINE, x2APIC ---------------- */

bool vlapic_handles_msr(u32 msr)
{
	return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
	       (msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_LAST);
}

enum apic_state { APIC_DISABLED, APIC_INVALID, APIC_XAPIC, APIC_X2APIC };

static enum apic_state apic_state(u64 base)
{
	if (!(base & APIC_BASE_ENABLE))
		return base & APIC_BASE_X2APIC ? APIC_INVALID : APIC_DISABLED;
	return base & APIC_BASE_X2APIC ? APIC_X2APIC : APIC_XAPIC;
}

/* The transitions of SDM 3A figure 10-27: xAPIC to x2APIC, any to
 * disabled, disabled to xAPIC. */
static bool is_valid_transition(enum apic_state from, enum apic_state to)
{
	if (from == to)
		return true;
	switch (to) {
	case APIC_DISABLED:
		return true;
	case APIC_XAPIC:
		return from == APIC_DISABLED;
	case APIC_X2APIC:
		return from == APIC_XAPIC;
	default:
		return false;
	}
}

/* IA32_APIC_BASE (SDM 3A 10.4.4, 10.12.5). The BSP flag is read-only
 * here; only the default base is accepted. */
static bool set_apic_base(struct vcpu *v, u64 val)
{
	struct vlapic *l = &v->lapic;
	u64 modes = APIC_BASE_ENABLE | APIC_BASE_X2APIC;
	enum apic_state from = apic_state(l->apic_base), to = apic_state(val);

	if ((val & ~(modes | APIC_BASE_BSP)) != VLAPIC_DEFAULT_BASE ||
	    !is_valid_transition(from, to))
		return false;
	if (to == APIC_DISABLED && from != APIC_DISABLED)
		reset_registers(l);
	if (to == APIC_X2APIC && from == APIC_XAPIC)
		l->ldr = vlapic_x2apic_ldr(l->id);
	__atomic_store_n(&l->apic_base, (l->apic_base & ~modes) | (val & modes),
			 __ATOMIC_SEQ_CST);
	return true;
}

bool vlapic_msr_read(struct vcpu *v, u32 msr, u64 *val)
{
	struct vlapic *l = &v->lapic;
	u32 reg = (msr - X2APIC_MSR_BASE) * APIC_REG_STRIDE, val32;

	if (msr == MSR_IA32_APIC_BASE) {
		*val = l->apic_base;
		return true;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		*val = vlapic_timer_read_tsc_deadline(l);
		return true;
	}
	if (!vlapic_is_hw_enabled(l) || !vlapic_is_x2apic(l))
		return false;
	if (reg == APIC_ICR_LOW) {
		*val = (u64)l->icr_hi << 32 | l->icr_lo;
		return true;
	}
	/* EOI and SELF IPI are write-only: reg_read() refuses them. */
	if (!reg_read(v, reg, &val32))
		return false;
	*val = val32;
	return true;
}

bool vlapic_msr_write(struct vcpu *v, u32 msr, u64 val)
{
	struct vlapic *l = &v->lapic;
	u32 reg = (msr - X2APIC_MSR_BASE) * APIC_REG_STRIDE, mask;

	if (msr == MSR_IA32_APIC_BASE)
		return set_apic_base(v, val);
	if (msr == MSR_IA32_TSC_DEADLINE) {
		vlapic_timer_set_tsc_deadline(v, val);
		return true;
	}
	if (!vlapic_is_hw_enabled(l) || !vlapic_is_x2apic(l))
		return false;
	if (reg == APIC_ICR_LOW) {
		/* One 64-bit register: the destination in bits 63:32. */
		if ((u32)val & ~ICR_LOW_WRITABLE)
			return false;
		l->icr_lo = (u32)val;
		l->icr_hi = val >> 32;
		vlapic_send_ipi(v, l->icr_lo, l->icr_hi);
		return true;
	}
	if ((val >> 32) || !reg_write_mask(v, reg, &mask) || ((u32)val & ~mask))
		return false;
	reg_write(v, reg, (u32)val);
	return true;
}

u64 vlapic_read_cr8(struct vcpu *v)
{
	return PRIO_CLASS(v->lapic.tpr);
}

void vlapic_write_cr8(struct vcpu *v, u64 val)
{
	__atomic_store_n(&v->lapic.tpr,
			 (u32)(val & PRIO_CLASS_MASK) << PRIO_CLASS_SHIFT,
			 __ATOMIC_RELAXED);
}

bool vlapic_accepts_extint(struct vcpu *v)
{
	struct vlapic *l = &v->lapic;
	u32 lint0 = l->lvt[LVT_LINT0];

	if (!vlapic_is_hw_enabled(l))
		return true;
	return !(lint0 & LVT_MASKED) &&
	       (lint0 & LVT_DM) >> LVT_DM_SHIFT == DM_EXTINT;
}
