/* SPDX-License-Identifier: MIT */
/*
 * What the three files of the virtual local APIC share (vmm/vlapic.c:
 * registers, MSRs, acceptance; vmm/vlapic_timer.c: the timer;
 * vmm/vlapic_ipi.c: interprocessor interrupts): the register layout and
 * fields (SDM 3A chapter 10) and the functions each offers the others.
 * Context: as vlapic.h says.
 */
#ifndef SHADE_VLAPIC_INTERNAL_H
#define SHADE_VLAPIC_INTERNAL_H

#include "vmm.h"
#include "x86.h"

/* Register offsets in the xAPIC page (SDM 3A table 10-1); the x2APIC MSR
 * of each is X2APIC_MSR_BASE + offset / 16 (table 10-6). */
#define APIC_ID		0x20
#define APIC_VERSION	0x30
#define APIC_TPR	0x80
#define APIC_APR	0x90 /* xAPIC only */
#define APIC_PPR	0xa0
#define APIC_EOI	0xb0
#define APIC_RRD	0xc0 /* xAPIC only, reads 0 */
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0 /* xAPIC only */
#define APIC_SVR	0xf0
#define APIC_ISR	0x100 /* 8 registers each */
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_LVT_CMCI	0x2f0
#define APIC_ICR_LOW	0x300
#define APIC_ICR_HIGH	0x310 /* xAPIC only */
#define APIC_LVT_TIMER	0x320 /* then thermal, perf, LINT0, LINT1, error */
#define APIC_LVT_ERROR	0x370
#define APIC_TIMER_ICR	0x380
#define APIC_TIMER_CCR	0x390
#define APIC_TIMER_DCR	0x3e0
#define APIC_SELF_IPI	0x3f0 /* x2APIC only */
#define APIC_REG_STRIDE 16

#define X2APIC_MSR_BASE 0x800
#define X2APIC_MSR_LAST 0x8ff

/* Version register: version 0x14 (an integrated APIC), the highest LVT
 * entry's index in bits 23:16 (7 entries, CMCI included), no directed EOI
 * (bit 24 clear). */
#define VLAPIC_VERSION_VALUE (0x14 | (LVT_COUNT - 1) << 16)

/* struct vlapic's lvt[] order. */
enum {
	LVT_TIMER,
	LVT_THERMAL,
	LVT_PERF,
	LVT_LINT0,
	LVT_LINT1,
	LVT_ERROR,
	LVT_CMCI,
	LVT_COUNT,
};

/* LVT entry fields (SDM 3A figure 10-8). */
#define LVT_VECTOR	   0xffu
#define LVT_DM_SHIFT	   8
#define LVT_DM		   (7u << LVT_DM_SHIFT)
#define LVT_PIN_POLARITY   (1u << 13)
#define LVT_TRIGGER_LEVEL  (1u << 15)
#define LVT_MASKED	   (1u << 16)
#define LVT_TIMER_MODE	   (3u << 17)
#define TIMER_ONESHOT	   (0u << 17)
#define TIMER_PERIODIC	   (1u << 17)
#define TIMER_TSC_DEADLINE (2u << 17) /* 3 << 17 is reserved: no timer */

/* Delivery modes, in LVT entries and the ICR (SDM 3A 10.6.1). */
#define DM_FIXED  0
#define DM_LOWEST 1
#define DM_SMI	  2
#define DM_NMI	  4
#define DM_INIT	  5
#define DM_SIPI	  6
#define DM_EXTINT 7

/* ICR (SDM 3A figure 10-12). The delivery status (bit 12) always reads
 * idle: a message is delivered by the write itself. */
#define ICR_VECTOR	  0xffu
#define ICR_DM		  (7u << LVT_DM_SHIFT)
#define ICR_DEST_LOGICAL  (1u << 11)
#define ICR_LEVEL_ASSERT  (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND	  (3u << 18)
#define ICR_SH_NONE	  (0u << 18)
#define ICR_SH_SELF	  (1u << 18)
#define ICR_SH_ALL	  (2u << 18)
#define ICR_SH_OTHERS	  (3u << 18)
#define ICR_LOW_WRITABLE                                             \
	(ICR_VECTOR | ICR_DM | ICR_DEST_LOGICAL | ICR_LEVEL_ASSERT | \
	 ICR_TRIGGER_LEVEL | ICR_SHORTHAND)
#define XAPIC_DEST_SHIFT 24 /* ICR_HIGH bits 31:24, LDR bits 31:24 */
#define XAPIC_BROADCAST	 0xffu
#define X2APIC_BROADCAST 0xffffffffu

/* SVR: spurious vector, APIC software enable, focus checking (kept,
 * without effect: there is no arbitration). */
#define SVR_VECTOR   0xffu
#define SVR_ENABLE   (1u << 8)
#define SVR_WRITABLE (SVR_VECTOR | SVR_ENABLE | (1u << 9))

/* ESR bits Shade reports (SDM 3A figure 10-9). */
#define ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define ESR_ILLEGAL_REGISTER	(1u << 7)

#define LDR_XAPIC_WRITABLE     0xff000000u
/* Logical destinations: xAPIC cluster model, 4-bit cluster and 4
 * members in the 8-bit LDR/destination; x2APIC, 16-bit cluster and 16
 * members (SDM 3A 10.6.2.2, 10.12.10.2). */
#define XAPIC_CLUSTER_SHIFT    4
#define XAPIC_CLUSTER_MEMBERS  0xfu
#define X2APIC_CLUSTER_SHIFT   16
#define X2APIC_CLUSTER_MEMBERS 0xffffu
#define DFR_MODEL_SHIFT	       28
#define DFR_MODEL_FLAT	       0xfu
#define DFR_MODEL_CLUSTER      0x0u
#define DFR_RESERVED_ONES      0x0fffffffu /* bits 27:0 read as ones */
#define TPR_WRITABLE	       0xffu
#define DCR_WRITABLE	       0xbu /* bits 0, 1 and 3 */
/* A vector's (or TPR's, PPR's) priority class: bits 7:4. */
#define PRIO_CLASS_SHIFT       4
#define PRIO_CLASS_MASK	       0xfu
#define PRIO_CLASS(x)	       (((x) >> PRIO_CLASS_SHIFT) & PRIO_CLASS_MASK)

/* The vectors 0-15 are reserved for exceptions: illegal in a message. */
#define FIRST_LEGAL_VECTOR 16

static inline bool vlapic_is_hw_enabled(const struct vlapic *l)
{
	return __atomic_load_n(&l->apic_base, __ATOMIC_RELAXED) &
	       APIC_BASE_ENABLE;
}

static inline bool vlapic_is_x2apic(const struct vlapic *l)
{
	return __atomic_load_n(&l->apic_base, __ATOMIC_RELAXED) &
	       APIC_BASE_X2APIC;
}

/* Enabled in IA32_APIC_BASE and in SVR: able to accept interrupts. */
static inline bool vlapic_is_enabled(const struct vlapic *l)
{
	return vlapic_is_hw_enabled(l) &&
	       (__atomic_load_n(&l->svr, __ATOMIC_RELAXED) & SVR_ENABLE);
}

/* The x2APIC logical ID, derived from the ID (SDM 3A 10.12.10.2): ID
 * bits 19:4 name the cluster, bits 3:0 the member. */
#define X2APIC_ID_MEMBER_BITS 4
#define X2APIC_ID_MEMBER_MASK 0xfu

static inline u32 vlapic_x2apic_ldr(u32 id)
{
	return (id >> X2APIC_ID_MEMBER_BITS) << X2APIC_CLUSTER_SHIFT |
	       1u << (id & X2APIC_ID_MEMBER_MASK);
}

/* vmm/vlapic.c: latch an internal error in v's ESR (any CPU) and raise
 * the error interrupt unless LVT Error is masked. */
void vlapic_raise_error(struct vcpu *v, u32 bits);

/* vmm/vlapic_timer.c: the timer's side of register and MSR accesses. */
u32 vlapic_timer_mode(const struct vlapic *l);
u32 vlapic_timer_current(const struct vlapic *l, u64 now);
void vlapic_timer_set_initial(struct vcpu *v, u32 count);
void vlapic_timer_set_divide(struct vcpu *v, u32 dcr);
void vlapic_timer_set_tsc_deadline(struct vcpu *v, u64 deadline);
u64 vlapic_timer_read_tsc_deadline(const struct vlapic *l);
void vlapic_timer_write_lvt(struct vcpu *v, u32 val);

/* vmm/vlapic_ipi.c: v wrote its ICR (or the x2APIC SELF IPI register):
 * deliver the message to the vCPUs of its partition it names. dest is
 * in the sender's format (xAPIC: 8 bits, x2APIC: 32). */
void vlapic_send_ipi(struct vcpu *v, u32 icr, u32 dest);

#endif
