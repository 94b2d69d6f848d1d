// SPDX-License-Identifier: MIT
/*
 * The 8259A programmable interrupt controller pair of a PC/AT: a master
 * for IRQ 0-7 and a slave for IRQ 8-15, whose INT output drives the
 * master's IR2. The master's INT reaches vCPU 0 through LINT0 (ExtINT).
 * Section names below are those of the Intel 8259A data sheet; the ELCR
 * is the PIIX's (82371 data sheet, "ELCR1/ELCR2").
 *
 *  - "Initialization Command Words": ICW1 on the command port (0x20,
 *    0xa0) starts the sequence, then the data port (0x21, 0xa1) takes
 *    ICW2 (the vector base), ICW3 unless SNGL (the cascade wiring,
 *    accepted and ignored: the slave is always on IR2) and ICW4 if IC4
 *    (AEOI, SFNM; 8086 mode is assumed).
 *  - "Operation Command Words": OCW1 on the data port is the mask; OCW2
 *    the non-specific, specific and rotating EOIs and "set priority";
 *    OCW3 selects IRR or ISR for reads of the command port, the poll
 *    command and special mask mode.
 *  - "Priority Resolver": IRQ `highest` has the highest priority, the
 *    others follow in circular order. An ISR bit holds back requests of
 *    its own and lower priority, except a masked one in special mask
 *    mode, and the master's IR2 under SFNM (so that a higher slave IRQ
 *    can nest).
 *  - "Edge and Level Triggered Modes": an input is edge-triggered unless
 *    its ELCR bit (ports 0x4d0, 0x4d1) is set; IRQ 0, 1, 2, 8 and 13 are
 *    always edge-triggered, as on the PIIX.
 *  - "Interrupt Sequence": INTA (vpic_ack()) moves the request from IRR
 *    to ISR (not in AEOI mode); if no request is left by then, the chip
 *    answers with IR7, the spurious interrupt, and sets no ISR bit.
 *
 * The power-up state is what a BIOS leaves: both chips initialized,
 * vectors 0x08 and 0x70, every IRQ masked except the cascade (IRQ2).
 *
 * Context: the port handlers on any vCPU's CPU in its VM-exit handler,
 * taking p->vdev_lock; vpic_pending() and vpic_ack() on vCPU 0 before VM
 * entry, with it held (vmm/vintr.c).
 */
#include "vmm.h"

#define PIC_MASTER	 0
#define PIC_SLAVE	 1
#define PIC_CASCADE_IRQ	 2
#define PIC_SPURIOUS_IRQ 7
#define PIC_NONE	 8 /* the priority of "no request" */

#define MASTER_CMD  0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD   0xa0
#define SLAVE_DATA  0xa1
#define ELCR_MASTER 0x4d0
#define ELCR_SLAVE  0x4d1

/* ICW1: the command port with bit 4 set */
#define ICW1_INIT      BIT(4)
#define ICW1_SNGL      BIT(1)
#define ICW1_IC4       BIT(0)
/* ICW2 */
#define ICW2_BASE_MASK 0xf8
/* ICW4 */
#define ICW4_SFNM      BIT(4)
#define ICW4_AEOI      BIT(1)
/* OCW3: the command port with bits 4:3 = 01 */
#define OCW3_SEL       BIT(3)
#define OCW3_ESMM      BIT(6)
#define OCW3_SMM       BIT(5)
#define OCW3_POLL      BIT(2)
#define OCW3_RR	       BIT(1)
#define OCW3_RIS       BIT(0)
/* OCW2: the command port with bits 4:3 = 00; R, SL, EOI in bits 7:5 */
#define OCW2_CMD(v)    ((v) >> 5)
#define OCW2_IRQ(v)    ((v)&7)
enum ocw2_cmd {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_EOI = 1,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};
/* Poll command reply: bit 7 set when a request was found */
#define POLL_INT BIT(7)

/* ELCR bits that may be set (PIIX: IRQ 0, 1, 2, 8, 13 are edge only) */
#define ELCR_MASTER_MASK 0xf8
#define ELCR_SLAVE_MASK	 0xde

#define BIOS_MASTER_BASE 0x08
#define BIOS_SLAVE_BASE	 0x70
#define BIOS_MASTER_IMR	 0xfb /* all but the cascade */
#define BIOS_SLAVE_IMR	 0xff

/* The IRQ at a priority level: level 0 is `highest`. */
static u32 irq_at(const struct vpic_chip *c, u32 level)
{
	return (c->highest + level) & 7;
}

/* The priority level of the highest-priority bit of mask, or PIC_NONE. */
static u32 level_of(const struct vpic_chip *c, u8 mask)
{
	for (u32 level = 0; level < 8; level++) {
		if (mask & BIT(irq_at(c, level)))
			return level;
	}
	return PIC_NONE;
}

/*
 * The IRQ this chip raises INT for, or -1: its highest unmasked request,
 * if that is above every in-service level that counts ("Priority
 * Resolver").
 */
static int chip_request(const struct vpic_chip *c, bool master)
{
	u32 level = level_of(c, c->irr & ~c->imr);
	u8 in_service = c->isr;

	if (level == PIC_NONE)
		return -1;
	if (c->special_mask)
		in_service &= ~c->imr;
	if (master && c->sfnm)
		in_service &= ~BIT(PIC_CASCADE_IRQ);
	return level < level_of(c, in_service) ? (int)irq_at(c, level) : -1;
}

/* An input line changes level: IRR follows a level-triggered input and
 * latches the rising edge of an edge-triggered one. */
static void set_line(struct vpic_chip *c, u32 irq, bool level)
{
	u8 bit = BIT(irq);

	if (c->elcr & bit)
		c->irr = level ? c->irr | bit : c->irr & ~bit;
	else if (level && !(c->lines & bit))
		c->irr |= bit;
	c->lines = level ? c->lines | bit : c->lines & ~bit;
}

/* The slave's INT is the master's IR2: call after any change. */
static void cascade_update(struct vlegacy *l)
{
	set_line(&l->pic[PIC_MASTER], PIC_CASCADE_IRQ,
		 chip_request(&l->pic[PIC_SLAVE], false) >= 0);
}

void vpic_set_irq_locked(struct partition *p, u32 irq, bool level)
{
	struct vlegacy *l = &p->legacy;

	spin_assert_held(&p->vdev_lock);
	if (irq >= 16)
		return;
	set_line(&l->pic[irq / 8], irq % 8, level);
	cascade_update(l);
}

void vpic_set_irq(struct partition *p, u32 irq, bool level)
{
	bool pending;

	spin_lock(&p->vdev_lock);
	vpic_set_irq_locked(p, irq, level);
	pending = vpic_pending(p) >= 0;
	spin_unlock(&p->vdev_lock);
	if (pending)
		vlegacy_kick(p);
}

int vpic_pending(struct partition *p)
{
	struct vlegacy *l = &p->legacy;
	int irq, irq2;

	spin_assert_held(&p->vdev_lock);
	irq = chip_request(&l->pic[PIC_MASTER], true);
	if (irq < 0)
		return -1;
	if (irq != PIC_CASCADE_IRQ)
		return l->pic[PIC_MASTER].vector_base + irq;
	irq2 = chip_request(&l->pic[PIC_SLAVE], false);
	return l->pic[PIC_SLAVE].vector_base +
	       (irq2 >= 0 ? irq2 : PIC_SPURIOUS_IRQ);
}

/* One chip's part of INTA for irq: into service (unless AEOI, where the
 * EOI happens now, rotating if asked), and an edge request is used up. */
static void chip_ack(struct vpic_chip *c, u32 irq)
{
	if (!c->auto_eoi)
		c->isr |= BIT(irq);
	else if (c->rotate_aeoi)
		c->highest = (irq + 1) & 7;
	if (!(c->elcr & BIT(irq)))
		c->irr &= ~BIT(irq);
}

u8 vpic_ack(struct partition *p)
{
	struct vlegacy *l = &p->legacy;
	struct vpic_chip *m = &l->pic[PIC_MASTER], *s = &l->pic[PIC_SLAVE];
	int irq, irq2;
	u8 vector;

	spin_assert_held(&p->vdev_lock);
	irq = chip_request(m, true);
	if (irq < 0)
		return m->vector_base + PIC_SPURIOUS_IRQ;
	chip_ack(m, irq);
	if (irq != PIC_CASCADE_IRQ) {
		vector = m->vector_base + irq;
	} else {
		irq2 = chip_request(s, false);
		if (irq2 >= 0)
			chip_ack(s, irq2);
		else
			irq2 = PIC_SPURIOUS_IRQ;
		vector = s->vector_base + irq2;
		/* The slave's INT drops during INTA: a request it still has
		 * makes a new edge on IR2. */
		m->lines &= ~BIT(PIC_CASCADE_IRQ);
	}
	cascade_update(l);
	return vector;
}

/* OCW3 poll: the read acts as INTA and returns the IRQ (bit 7 set), or 0. */
static u8 chip_poll(struct vlegacy *l, u32 chip)
{
	struct vpic_chip *c = &l->pic[chip];
	int irq = chip_request(c, chip == PIC_MASTER);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_ack(c, irq);
	cascade_update(l);
	return POLL_INT | irq;
}

/* ICW1: reset to the defaults the data sheet lists; an edge input needs
 * a new rising edge to request again. */
static void chip_icw1(struct vpic_chip *c, u8 val)
{
	c->irr &= c->elcr;
	c->imr = 0;
	c->isr = 0;
	c->highest = 0;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->auto_eoi = false;
	c->sfnm = false;
	c->rotate_aeoi = false;
	c->icw4 = val & ICW1_IC4;
	c->single = val & ICW1_SNGL;
	c->init_step = 2;
}

/* The data port: the next ICW during initialization, else OCW1. */
static void chip_data_write(struct vpic_chip *c, u8 val)
{
	switch (c->init_step) {
	case 0:
		c->imr = val;
		break;
	case 2:
		c->vector_base = val & ICW2_BASE_MASK;
		c->init_step = !c->single ? 3 : c->icw4 ? 4 : 0;
		break;
	case 3:
		c->init_step = c->icw4 ? 4 : 0;
		break;
	default:
		c->auto_eoi = val & ICW4_AEOI;
		c->sfnm = val & ICW4_SFNM;
		c->init_step = 0;
		break;
	}
}

static void chip_ocw2(struct vpic_chip *c, u8 val)
{
	u32 cmd = OCW2_CMD(val), irq = OCW2_IRQ(val), level;

	switch (cmd) {
	case OCW2_ROTATE_AEOI_CLEAR:
	case OCW2_ROTATE_AEOI_SET:
		c->rotate_aeoi = cmd == OCW2_ROTATE_AEOI_SET;
		break;
	case OCW2_EOI:
	case OCW2_ROTATE_EOI:
		level = level_of(c, c->isr);
		if (level == PIC_NONE)
			break;
		irq = irq_at(c, level);
		c->isr &= ~BIT(irq);
		if (cmd == OCW2_ROTATE_EOI)
			c->highest = (irq + 1) & 7;
		break;
	case OCW2_SPECIFIC_EOI:
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= ~BIT(irq);
		if (cmd == OCW2_ROTATE_SPECIFIC_EOI)
			c->highest = (irq + 1) & 7;
		break;
	case OCW2_SET_PRIORITY:
		c->highest = (irq + 1) & 7;
		break;
	default: /* no operation */
		break;
	}
}

static void chip_ocw3(struct vpic_chip *c, u8 val)
{
	if (val & OCW3_ESMM)
		c->special_mask = val & OCW3_SMM;
	if (val & OCW3_RR)
		c->read_isr = val & OCW3_RIS;
	c->poll = val & OCW3_POLL;
}

static void chip_cmd_write(struct vpic_chip *c, u8 val)
{
	if (val & ICW1_INIT)
		chip_icw1(c, val);
	else if (val & OCW3_SEL)
		chip_ocw3(c, val);
	else
		chip_ocw2(c, val);
}

/* A new ELCR value; a level-triggered input's IRR is its line. */
static void chip_elcr_write(struct vpic_chip *c, u8 val, u8 writable)
{
	c->elcr = val & writable;
	c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
}

static u8 pic_read(struct vlegacy *l, u16 port)
{
	u32 chip = port >= SLAVE_CMD && port <= SLAVE_DATA;
	struct vpic_chip *c = &l->pic[chip];

	switch (port) {
	case MASTER_CMD:
	case MASTER_DATA:
	case SLAVE_CMD:
	case SLAVE_DATA:
		if (c->poll)
			return chip_poll(l, chip);
		if (port & 1)
			return c->imr;
		return c->read_isr ? c->isr : c->irr;
	case ELCR_MASTER:
		return l->pic[PIC_MASTER].elcr;
	case ELCR_SLAVE:
		return l->pic[PIC_SLAVE].elcr;
	default:
		return 0xff;
	}
}

static void pic_write(struct vlegacy *l, u16 port, u8 val)
{
	switch (port) {
	case MASTER_CMD:
	case SLAVE_CMD:
		chip_cmd_write(&l->pic[port == SLAVE_CMD], val);
		break;
	case MASTER_DATA:
	case SLAVE_DATA:
		chip_data_write(&l->pic[port == SLAVE_DATA], val);
		break;
	case ELCR_MASTER:
		chip_elcr_write(&l->pic[PIC_MASTER], val, ELCR_MASTER_MASK);
		break;
	case ELCR_SLAVE:
		chip_elcr_write(&l->pic[PIC_SLAVE], val, ELCR_SLAVE_MASK);
		break;
	}
	cascade_update(l);
}

u32 vpic_in(struct vcpu *v, u16 port, u32 size)
{
	struct partition *p = v->part;
	u32 val = 0;

	spin_lock(&p->vdev_lock);
	for (u32 i = 0; i < size; i++)
		val |= (u32)pic_read(&p->legacy, port + i) << (8 * i);
	spin_unlock(&p->vdev_lock);
	return val;
}

bool vpic_out(struct vcpu *v, u16 port, u32 size, u32 val)
{
	struct partition *p = v->part;
	bool pending;

	spin_lock(&p->vdev_lock);
	for (u32 i = 0; i < size; i++)
		pic_write(&p->legacy, port + i, val >> (8 * i));
	pending = vpic_pending(p) >= 0;
	spin_unlock(&p->vdev_lock);
	/* An unmask or EOI on another vCPU may let an interrupt through. */
	if (pending && v->index != 0)
		vlegacy_kick(p);
	return true;
}

void vpic_init(struct partition *p)
{
	struct vpic_chip *m = &p->legacy.pic[PIC_MASTER];
	struct vpic_chip *s = &p->legacy.pic[PIC_SLAVE];

	*m = (struct vpic_chip){.vector_base = BIOS_MASTER_BASE,
				.imr = BIOS_MASTER_IMR,
				.icw4 = true};
	*s = (struct vpic_chip){.vector_base = BIOS_SLAVE_BASE,
				.imr = BIOS_SLAVE_IMR,
				.icw4 = true};
}
