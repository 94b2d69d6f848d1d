/* SPDX-License-Identifier: MIT */
/*
 * Setting up a vCPU's VMCS (vmm/vmcs.c).
 */
#ifndef SHADE_VMCS_H
#define SHADE_VMCS_H

#include "vmm.h"

/*
 * Allocate, clear and load the vCPU's VMCS on this CPU, then write the
 * controls, the host state and the guest state of entry state e
 * (include/loader.h): 32-bit protected mode, paging off (as the guest
 * sees it), flat segments with e's selectors and GDTR, at e->eip with
 * EAX, EBX and ESI from e. Returns 0 or -ENOMEM. Runs on the vCPU's own
 * physical CPU, interrupts off.
 */
int vmcs_setup(struct vcpu *v, const struct loader_entry *e);

/* The real CR0/CR4 the CPU runs the guest with, for the guest's view. */
u64 vmcs_real_cr0(u64 guest_cr0);
u64 vmcs_real_cr4(u64 guest_cr4);

/* Write the real CR0, CR4, EFER and the IA-32e entry control from the
 * guest's v->cr0, v->cr4, v->efer (and the read shadows). */
void vmcs_set_paging_state(struct vcpu *v);

#endif
