/* SPDX-License-Identifier: MIT */
/*
 * The glue of the virtual platform (docs/platform.md): time, interrupt
 * delivery and device memory.
 *
 *	vmm/vtime.c	conversions between the TSC and the clocks of the
 *			virtual devices
 *	vmm/vintr.c	before each VM entry: run the due timers, inject
 *			the highest-priority interrupt or ask for an
 *			interrupt-window exit, program the VMX-preemption
 *			timer for the next deadline; HLT with interrupts on
 *	vmm/mmio.c	accesses to guest-physical addresses outside RAM:
 *			the faulting instruction is emulated against the
 *			local APIC page, or reads all ones and drops writes
 *
 * A VM exit to the delivery of an interrupt, for a student: a device
 * (the APIC timer, the PIT through the 8259, another vCPU's ICR write)
 * sets an IRR bit and, from another CPU, kicks the vCPU's CPU
 * (vcpu_kick); the vCPU leaves the guest (an external-interrupt exit,
 * also from the HLT state); before it enters again, vcpu_run()
 * (vmm/vcpu.c) calls vintr_prepare_entry(), which
 * writes VM_ENTRY_INTR_INFO; the processor delivers the vector through
 * the guest's IDT as it enters.
 */
#ifndef SHADE_VPLATFORM_H
#define SHADE_VPLATFORM_H

#include "types.h"

struct vcpu;
struct partition;

/* vmm/vtime.c: ticks of a clock running at hz, from a TSC delta, and
 * back; no overflow for any 64-bit input: a result too large for 64 bits,
 * or a zero divisor (hz, or a TSC frequency of 0), gives ~0. */
u64 vtime_ticks(u64 tsc_delta, u64 hz);
u64 vtime_tsc(u64 ticks, u64 hz);

/* vmm/vintr.c */
/* Set up p's devices and tables (partition creation, boot CPU): 0 or
 * -errno. */
int vplatform_init(struct partition *p);
/* Last step before VM entry (interrupts off, v's VMCS current). */
void vintr_prepare_entry(struct vcpu *v);
/* Make v's physical CPU look at v's interrupts again: an IPI unless it
 * is the calling CPU. Any CPU. */
void vcpu_kick(struct vcpu *v);
/* HLT with RFLAGS.IF=1 (vmm/exit.c): halt until an interrupt. */
void vintr_halt(struct vcpu *v);
/* Could an interrupt still wake v: a timer armed, or an interrupt
 * pending that v's priority lets through. Any CPU. */
bool vintr_can_wake(struct vcpu *v);
/* v halted (for good, or in the HLT state with nothing of its own that
 * could wake it): stop its partition with STATUS_ALL_HALTED if no vCPU
 * of it runs or can be woken any more. v's CPU, no lock held. */
void vintr_stop_if_all_halted(struct vcpu *v);

/* vmm/mmio.c: the #PF exit for gva hit guest-physical gpa outside RAM
 * (paging off: gva == gpa). Emulates the instruction, or stops the
 * partition naming it. The MMU lock is not held. */
void mmio_fault(struct vcpu *v, u64 gva, u64 gpa, u32 error_code);

#endif
