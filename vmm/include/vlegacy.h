/* SPDX-License-Identifier: MIT */
/*
 * The legacy PC devices of a partition (docs/platform.md):
 *
 *	vmm/vpic.c	the 8259 pair: ports 0x20-0x21, 0xa0-0xa1, ELCR
 *			0x4d0-0x4d1; its INTR line goes to vCPU 0's LINT0
 *	vmm/vpit.c	the 8254: ports 0x40-0x43 (channels 0 and 2) and
 *			0x61 (channel 2 gate and output, for calibration);
 *			channel 0 raises IRQ0
 *	vmm/vrtc.c	the CMOS RTC: ports 0x70-0x71 (date and time read
 *			from the host's, registers A-D, NVRAM bytes);
 *			periodic, alarm and update interrupts on IRQ8
 *	vmm/vmisc.c	the ACPI PM timer (port VPM_TMR_PORT, 24 bits at
 *			3.579545 MHz), the PM1a event and control blocks
 *			(S5 stops the partition), the keyboard controller
 *			(0x60, 0x64: status reads, no keyboard; 0xFE on
 *			0x64 resets), 0xCF9 reset, port 0x92
 *	vmm/vlegacy.c	what they need from the host: the clock, the
 *			host's date at boot, kicking vCPU 0 (host unit
 *			tests replace this file)
 *
 * Every clock is derived from the TSC (vmm/vtime.c), so the PIT, the PM
 * timer, the APIC timer and the TSC agree with each other exactly.
 *
 * Port handlers: in() returns the value read (size 1, 2 or 4 bytes; bits
 * above size are ignored by the caller); out() returns false when the
 * access stopped the partition (a reset or a power-off), true otherwise.
 * A wider access covers consecutive ports, as on the ISA bus.
 *
 * Locking: all of a partition's legacy devices share p->vdev_lock (a
 * spinlock, irq-off context); the port handlers and vpic_set_irq() take
 * it themselves, the functions marked "p->vdev_lock held" assert it. The
 * timers are checked by vCPU 0 before each of its VM entries
 * (vmm/vintr.c), since the 8259's output goes to vCPU 0. Nobody calls
 * vcpu_kick() or partition_stop() with the lock held: both wait for
 * other CPUs, which may be spinning on it.
 */
#ifndef SHADE_VLEGACY_H
#define SHADE_VLEGACY_H

#include "types.h"
#include "vplatform.h"

struct vcpu;
struct partition;

#define VPM_BASE_PORT  0x600 /* PM1a_EVT_BLK (4 bytes) */
#define VPM_CNT_PORT   0x604 /* PM1a_CNT_BLK (2 bytes) */
#define VPM_TMR_PORT   0x608 /* PM_TMR_BLK (4 bytes) */
#define VPM_TIMER_HZ   3579545ULL
#define VPIT_HZ	       1193182ULL
#define VPM_SCI_IRQ    9 /* FADT SCI_INT (never raised) */
#define VPM_S5_SLP_TYP 5 /* the SLP_TYP value \_S5 gives (docs) */
/* The PM timer's value when the partition is created: 1 s before its
 * 24-bit wrap, so that guests meet the wrap early (the idea of Linux's
 * INITIAL_JIFFIES). */
#define VPM_TMR_START  (0x1000000 - VPM_TIMER_HZ)
#define VRTC_CENTURY   0x32 /* the IBM PC's century byte (FADT CENTURY) */

/* Status of a partition the guest reset (0xCF9, 0x64, 0x92): Shade has
 * no reset, so the partition stops (contract section 4). */
#define STATUS_RESET 251

/* One 8259A; vmm/vpic.c. */
struct vpic_chip {
	u8 irr;		/* interrupt request register */
	u8 isr;		/* in-service register */
	u8 imr;		/* interrupt mask register (OCW1) */
	u8 elcr;	/* level-triggered inputs (ELCR) */
	u8 lines;	/* input levels: an edge input latches 0 -> 1 */
	u8 vector_base; /* ICW2, bits 7:3 */
	u8 highest;	/* the IRQ of highest priority (rotation moves it) */
	u8 init_step;	/* 0: operational; else the ICW expected (2-4) */
	bool icw4;	/* ICW1 IC4: an ICW4 follows */
	bool single;	/* ICW1 SNGL: no ICW3 */
	bool auto_eoi;	/* ICW4 AEOI */
	bool sfnm;	/* ICW4 special fully nested mode */
	bool rotate_aeoi;
	bool special_mask; /* OCW3 SMM */
	bool read_isr;	   /* OCW3 RIS: the command port reads ISR */
	bool poll;	   /* OCW3 P: the next read is a poll */
};

/* Where a counter of the 8254 stands; vmm/vpit.c. */
enum vpit_state {
	VPIT_IDLE,     /* mode set, no count written yet */
	VPIT_WAITING,  /* count written, waiting for the gate (or trigger) */
	VPIT_COUNTING, /* counting since `start` */
	VPIT_PAUSED,   /* modes 0 and 4 with the gate low: `paused` ticks */
};

struct vpit_channel {
	u8 mode;   /* 0-5 (6 and 7 are read as 2 and 3) */
	u8 access; /* read/write: 1 low byte, 2 high byte, 3 low then high */
	bool bcd;
	u8 state;	 /* enum vpit_state */
	u32 reload;	 /* the count in use: 1-65536, or 1-10000 in BCD */
	u32 next_reload; /* a count not loaded yet (modes 1, 2, 3, 5); 0 = none */
	u64 reload_tsc; /* modes 2, 3: TSC at which next_reload takes over */
	u64 start;	/* COUNTING: TSC when the counter was loaded */
	u64 paused;	/* PAUSED: ticks counted before the gate fell */
	u16 held;	/* what reads give when not counting */
	bool write_hi_next, read_hi_next; /* the low/high byte flip-flops */
	u8 write_lo;			  /* the low byte of a count */
	u8 latch_bytes; /* bytes of a latched count still to read */
	u16 latched;
	bool status_latched;
	u8 status;
	u64 irq_tsc; /* channel 0: TSC of the next IRQ0 edge, 0 = none */
};

struct vpit {
	struct vpit_channel ch[3];
	u8 port61; /* port 0x61 bits 0-3: gate 2, speaker, NMI enables */
};

/* The MC146818 RTC and its CMOS RAM; vmm/vrtc.c. The clock is kept as
 * seconds, the registers are computed from them when read. */
struct vrtc {
	u8 index;	  /* port 0x70, NMI mask bit dropped */
	u8 cmos[128];	  /* registers A, B, the alarms and NVRAM */
	u8 flags;	  /* register C: IRQF, PF, AF, UF */
	bool line;	  /* IRQ8 as last driven */
	s64 base_secs;	  /* seconds since 1970-01-01 00:00 at base_tsc */
	u64 base_tsc;	  /* TSC when the clock read base_secs exactly */
	s64 seen_secs;	  /* the clock when UF and AF were last updated */
	u64 origin;	  /* TSC of the divider chain's start (periodic) */
	u64 seen_periods; /* periodic events counted into PF so far */
};

/* The ACPI PM1a blocks and PM timer; vmm/vmisc.c. */
struct vpm {
	u64 origin;	 /* TSC when the timer read VPM_TMR_START */
	u64 sts_cleared; /* timer ticks when TMR_STS was last cleared */
	u16 sts, en, cnt;
};

/* The 8042 keyboard controller, without a keyboard; vmm/vmisc.c. */
struct vkbc {
	u8 ctr;	       /* controller command byte */
	u8 out;	       /* output buffer */
	bool out_full; /* status OBF */
	bool last_cmd; /* status bit 3: the last write went to 0x64 */
	u8 pending;    /* a command whose data byte comes through 0x60 */
};

struct vlegacy {
	struct vpic_chip pic[2]; /* master [0], slave [1] */
	struct vpit pit;
	struct vrtc rtc;
	struct vpm pm;
	struct vkbc kbc;
	u8 port92;
	u8 cf9; /* reset control: SYS_RST and FULL_RST as written */
};

/* Set up every legacy device of p as a BIOS leaves them (partition
 * creation, boot CPU). */
void vlegacy_init(struct partition *p);

/* The ports each file serves. */
u32 vpic_in(struct vcpu *v, u16 port, u32 size);
bool vpic_out(struct vcpu *v, u16 port, u32 size, u32 val);
u32 vpit_in(struct vcpu *v, u16 port, u32 size);
bool vpit_out(struct vcpu *v, u16 port, u32 size, u32 val);
u32 vrtc_in(struct vcpu *v, u16 port, u32 size);
bool vrtc_out(struct vcpu *v, u16 port, u32 size, u32 val);
u32 vmisc_in(struct vcpu *v, u16 port, u32 size);
bool vmisc_out(struct vcpu *v, u16 port, u32 size, u32 val);

/* Drive IRQ line irq (0-15) of p's 8259 pair to level; edge-triggered
 * inputs latch a rising edge. Takes p->vdev_lock and kicks vCPU 0 if
 * INTR rises; any CPU. */
void vpic_set_irq(struct partition *p, u32 irq, bool level);
/* The same with p->vdev_lock held, no kick (the devices' own timers,
 * which run on vCPU 0). */
void vpic_set_irq_locked(struct partition *p, u32 irq, bool level);
/* The vector the 8259 pair would present on INTA now, or -1 if INTR is
 * not asserted. Does not acknowledge. p->vdev_lock held. */
int vpic_pending(struct partition *p);
/* INTA: acknowledge the highest-priority request, return its vector (the
 * spurious IRQ7/IRQ15 vector if it vanished). p->vdev_lock held. */
u8 vpic_ack(struct partition *p);

/* The legacy timers' next event: the TSC of the next IRQ0 edge channel 0
 * will give (while IRQ0 is unmasked) or of the RTC's next interrupt,
 * whichever comes first; 0 if none is due. p->vdev_lock held. */
u64 vpit_deadline(struct partition *p);
/* Raise IRQ0 for the channel-0 period that ended at or before now (at
 * most one edge: missed ticks are dropped, as a PIT behind a busy CPU
 * would lose them), then bring the RTC up to date (vrtc_check).
 * p->vdev_lock held. */
void vpit_check(struct partition *p, u64 now);

/* vmm/vrtc.c, through vpit_check() and vpit_deadline(): set the RTC's
 * flags for the events up to now, and IRQ8; the TSC of its next
 * interrupt (0: none can come). p->vdev_lock held. */
void vrtc_check(struct partition *p, u64 now);
u64 vrtc_deadline(struct partition *p);
/* Seconds since 1970-01-01 00:00 of a date and time (month 1-12, mday
 * 1-31). */
s64 vrtc_date_to_secs(u32 year, u32 month, u32 mday, u32 hour, u32 min,
		      u32 sec);

/* Power-up state of each device; now is the TSC. Boot CPU. */
void vpic_init(struct partition *p);
void vpit_init(struct partition *p, u64 now);
void vrtc_init(struct partition *p, u64 now, s64 host_secs);
void vmisc_init(struct partition *p, u64 now);

/* vmm/vlegacy.c: the devices' clock (the TSC); the host's date and time
 * read at boot, as seconds since 1970-01-01 00:00 (the same for every
 * partition); make vCPU 0 look at its interrupts and timers again after
 * another CPU changed them (not with p->vdev_lock held). */
u64 vlegacy_now(void);
s64 vlegacy_host_time(void);
void vlegacy_kick(struct partition *p);

/* The smallest TSC delta over which a clock of hz counts `ticks` ticks
 * (vtime_tsc() rounds down; this rounds so that vtime_ticks() agrees). */
static inline u64 vlegacy_tsc_of(u64 ticks, u64 hz)
{
	u64 d = vtime_tsc(ticks, hz);

	return vtime_ticks(d, hz) < ticks ? d + 1 : d;
}

#endif
