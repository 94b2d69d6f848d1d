// SPDX-License-Identifier: MIT
/*
 * Interprocessor interrupts of the virtual local APIC (SDM 3A 10.6): from
 * a vCPU's ICR write to the IRR bits of the vCPUs it names.
 *
 * Destinations are searched among the sender's partition's vCPUs only,
 * so a partition can never interrupt another. A message names them by
 * shorthand (self, all, all but self), or by a destination in the
 * sender's format (SDM 3A 10.6.2): physical (the APIC ID, the vCPU's
 * index) or logical (xAPIC: LDR bits 31:24, flat or cluster model per the
 * target's DFR; x2APIC: cluster in bits 31:16, member bitmap below), with
 * 0xFF (xAPIC) or 0xFFFFFFFF (x2APIC) as the broadcast. Lowest priority
 * goes to the lowest-numbered target: there is no arbitration.
 *
 * Fixed and lowest-priority messages are delivered (vlapic_set_irr()); a
 * vector below 16 sets the sender's send-illegal-vector error and each
 * target's receive-illegal-vector error. INIT, SIPI, NMI and SMI are not
 * part of Shade's platform (contract section 5: secondary vCPUs start
 * with HC_VCPU_START): they are dropped, logged once per sending vCPU.
 *
 * Context: the sender's physical CPU, interrupts off. The targets'
 * routing fields are read without a lock (vmm/vlapic.c says why).
 */
#include "vlapic_internal.h"
#include "printk.h"

/* init_logged bits: which unsupported messages a vCPU already logged. */
#define LOGGED_INIT_SIPI BIT(0)
#define LOGGED_NMI	 BIT(1)
#define LOGGED_SMI	 BIT(2)
#define LOGGED_RESERVED	 BIT(3)

/* Does t take a message for dest in the destination mode given, in the
 * sender's format (x2APIC: 32 bits, else 8; SDM 3A 10.6.2)? */
static bool dest_matches(struct vlapic *t, u32 dest, bool logical, bool x2)
{
	u32 ldr, model;

	if (dest == (x2 ? X2APIC_BROADCAST : XAPIC_BROADCAST))
		return true;
	if (!logical)
		return t->id == dest;
	if (x2) {
		ldr = vlapic_x2apic_ldr(t->id);
		return (ldr >> X2APIC_CLUSTER_SHIFT) ==
			       (dest >> X2APIC_CLUSTER_SHIFT) &&
		       (ldr & dest & X2APIC_CLUSTER_MEMBERS);
	}
	ldr = __atomic_load_n(&t->ldr, __ATOMIC_RELAXED) >> XAPIC_DEST_SHIFT;
	model = __atomic_load_n(&t->dfr, __ATOMIC_RELAXED) >> DFR_MODEL_SHIFT;
	if (model == DFR_MODEL_FLAT)
		return ldr & dest;
	if (model == DFR_MODEL_CLUSTER)
		return (ldr >> XAPIC_CLUSTER_SHIFT) ==
			       (dest >> XAPIC_CLUSTER_SHIFT) &&
		       (ldr & dest & XAPIC_CLUSTER_MEMBERS);
	return false;
}

static bool is_target(struct vcpu *v, struct vcpu *t, u32 icr, u32 dest)
{
	switch (icr & ICR_SHORTHAND) {
	case ICR_SH_SELF:
		return t == v;
	case ICR_SH_ALL:
		return true;
	case ICR_SH_OTHERS:
		return t != v;
	}
	return dest_matches(&t->lapic, dest, icr & ICR_DEST_LOGICAL,
			    vlapic_is_x2apic(&v->lapic));
}

/* Fixed and lowest-priority messages are delivered; the others are
 * dropped, and logged the first time each sender sends one. */
static bool is_deliverable(struct vcpu *v, u32 mode)
{
	struct vlapic *l = &v->lapic;
	u64 bit;
	const char *what;

	switch (mode) {
	case DM_FIXED:
	case DM_LOWEST:
		return true;
	case DM_INIT:
	case DM_SIPI:
		bit = LOGGED_INIT_SIPI;
		what = "INIT/SIPI IPIs (secondary vCPUs start with "
		       "HC_VCPU_START)";
		break;
	case DM_NMI:
		bit = LOGGED_NMI;
		what = "NMI IPIs";
		break;
	case DM_SMI:
		bit = LOGGED_SMI;
		what = "SMI IPIs";
		break;
	default:
		bit = LOGGED_RESERVED;
		what = "IPIs with a reserved delivery mode";
		break;
	}
	if (!(l->init_logged & bit)) {
		l->init_logged |= bit;
		pr_warn("partition '%s': vCPU %u sends %s: ignored",
			v->part->cfg.name, v->index, what);
	}
	return false;
}

void vlapic_send_ipi(struct vcpu *v, u32 icr, u32 dest)
{
	struct partition *p = v->part;
	u32 mode = (icr & ICR_DM) >> LVT_DM_SHIFT;
	u8 vector = icr & ICR_VECTOR;

	if (!is_deliverable(v, mode))
		return;
	if (vector < FIRST_LEGAL_VECTOR)
		vlapic_raise_error(v, ESR_SEND_ILLEGAL_VECTOR);
	for (u32 i = 0; i < p->cfg.ncpus; i++) {
		struct vcpu *t = &p->vcpus[i];

		if (!is_target(v, t, icr, dest))
			continue;
		vlapic_set_irr(t, vector);
		/* Lowest priority: the lowest-numbered target only. */
		if (mode == DM_LOWEST)
			break;
	}
}
