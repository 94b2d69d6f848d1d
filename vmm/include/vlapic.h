/* SPDX-License-Identifier: MIT */
/*
 * The virtual local APIC of each vCPU (vmm/vlapic.c), in xAPIC mode (the
 * page at guest-physical 0xFEE00000, reached through vmm/mmio.c) and in
 * x2APIC mode (MSRs 0x800-0x8ff). CPUID advertises x2APIC and the
 * TSC-deadline timer. What the guest sees is described register by
 * register in docs/platform.md.
 *
 * Interrupts reach a vCPU by setting a bit in its IRR (vlapic_set_irr(),
 * from any CPU) and kicking its physical CPU; before every VM entry
 * vmm/vintr.c asks vlapic_pending_vector() for the highest vector the
 * priority rules let through and injects it, calling vlapic_accept().
 *
 * Context: unless a function says otherwise, it runs on v's own physical
 * CPU with interrupts off (in a VM-exit handler or just before VM entry),
 * so v's APIC state needs no lock. Only the IRR is shared with other
 * CPUs; it is changed with atomic operations.
 */
#ifndef SHADE_VLAPIC_H
#define SHADE_VLAPIC_H

#include "types.h"

struct vcpu;

#define VLAPIC_DEFAULT_BASE 0xfee00000ULL
/* The APIC timer's input clock before the divide configuration: fixed,
 * derived from the TSC (vmm/vtime.c), and reported in CPUID 0x40000010
 * EBX (kHz) for guests that would rather not calibrate it. */
#define VLAPIC_BUS_HZ	    100000000ULL

/* The state of one virtual local APIC (vlapic.c owns the layout). */
struct vlapic {
	u32 irr[8]; /* shared: atomic bit operations only */
	u32 isr[8], tmr[8];
	u64 apic_base; /* IA32_APIC_BASE as the guest sees it */
	u32 id, tpr, ldr, dfr, svr, esr, esr_pending;
	u32 icr_lo, icr_hi;
	u32 lvt[7]; /* timer, thermal, perf, LINT0, LINT1, error, CMCI */
	u32 timer_icr, timer_dcr;
	u64 timer_start;    /* TSC when the current count started */
	u64 timer_period;   /* TSC ticks from timer_icr down to 0 */
	u64 timer_deadline; /* TSC of the next expiry, 0 = not armed */
	u64 tsc_deadline;   /* IA32_TSC_DEADLINE */
	u64 init_logged;    /* INIT/SIPI IPIs seen (logged once) */
};

/* Reset state (SDM 3A 10.12.5.1 for x2APIC, 10.4.7.1 for xAPIC), as a
 * BIOS leaves it: enabled in xAPIC mode at the default base, ID = vCPU
 * index, LINT0 = ExtINT (the 8259 reaches vCPU 0 through it), LINT1 =
 * NMI, the other LVT entries masked. Partition creation, boot CPU. */
void vlapic_init(struct vcpu *v);

/* Does guest-physical gpa fall in v's xAPIC page (enabled, xAPIC mode)? */
bool vlapic_mmio_claims(struct vcpu *v, u64 gpa);
/* An access of size 1, 2, 4 or 8 bytes at offset (0-0xfff) of the xAPIC
 * page (vmm/mmio.c already decoded the instruction). Accesses that are
 * not 32-bit aligned dwords read as the SDM says for the register (or 0)
 * and are otherwise ignored. Never fails: a bad access sets ESR bits or
 * is dropped, as on the processor. */
u64 vlapic_mmio_read(struct vcpu *v, u32 offset, u32 size);
void vlapic_mmio_write(struct vcpu *v, u32 offset, u32 size, u64 val);

/* MSRs: IA32_APIC_BASE (0x1b), IA32_TSC_DEADLINE (0x6e0), x2APIC
 * registers (0x800-0x8ff). Returns false to make RDMSR/WRMSR raise #GP
 * (an x2APIC MSR outside x2APIC mode, a reserved bit, a read-only
 * register, an invalid transition of IA32_APIC_BASE, ...). */
bool vlapic_handles_msr(u32 msr);
bool vlapic_msr_read(struct vcpu *v, u32 msr, u64 *val);
bool vlapic_msr_write(struct vcpu *v, u32 msr, u64 val);

/* The highest vector in IRR that may be delivered now (its priority
 * class above PPR's, the APIC software-enabled), or -1. */
int vlapic_pending_vector(struct vcpu *v);
/* vector was injected: move it from IRR to ISR and update PPR. */
void vlapic_accept(struct vcpu *v, u8 vector);

/* Any CPU: set vector in v's IRR (an IPI from another vCPU of the same
 * partition, or a device) and kick v's physical CPU with vcpu_kick(). A
 * vector below 16 is illegal and sets the target's receive-illegal-vector
 * ESR bit instead. */
void vlapic_set_irr(struct vcpu *v, u8 vector);

/* TSC value of the next timer expiry (one-shot, periodic or
 * TSC-deadline), 0 if the timer is not armed. Also read from other CPUs
 * (vintr_can_wake(), for a halted vCPU): vlapic_timer_check() sets the
 * IRR bit before it disarms a one-shot timer, so that a reader always
 * sees one of the two. */
u64 vlapic_timer_deadline(struct vcpu *v);
/* If the timer expired at or before now (a TSC value), raise its LVT
 * vector (unless masked) and re-arm a periodic timer. */
void vlapic_timer_check(struct vcpu *v, u64 now);

/* CR8, the task priority in 64-bit mode, is TPR bits 7:4 (SDM 3A
 * 10.8.6.1); a write clears TPR bits 3:0. For MOV to/from CR8 exits (a
 * value above 15 is the caller's #GP). */
u64 vlapic_read_cr8(struct vcpu *v);
void vlapic_write_cr8(struct vcpu *v, u64 val);

/* May the 8259's INTR line interrupt v: its APIC is disabled in
 * IA32_APIC_BASE, or LINT0 is unmasked with ExtINT delivery mode. */
bool vlapic_accepts_extint(struct vcpu *v);

#endif
