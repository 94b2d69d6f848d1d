// SPDX-License-Identifier: MIT
/*
 * Small helpers for the legacy PC devices (pcdev.h), used by the guest
 * tests of Shade's platform; each is the textbook sequence from the
 * device's data sheet. vCPU 0, CPL 0.
 */
#include "pcdev.h"
#include "x86.h"

#define ICW1_INIT_IC4	0x11 /* edge, cascade, ICW4 follows */
#define ICW3_MASTER	0x04 /* a slave on IR2 */
#define ICW3_SLAVE	0x02 /* the slave's identity */
#define ICW4_8086	0x01
#define ICW4_AEOI	0x02
#define PIT_CH_SHIFT	6
#define PIT_MODE_SHIFT	1
#define PIT_LATCH	0x00
#define RTC_NMI_ENABLED 0x00 /* bit 7 of the index clear */

void pic_init(u8 master_base, u8 slave_base, bool master_aeoi)
{
	outb(PIC_MASTER_CMD, ICW1_INIT_IC4);
	outb(PIC_SLAVE_CMD, ICW1_INIT_IC4);
	outb(PIC_MASTER_DATA, master_base);
	outb(PIC_SLAVE_DATA, slave_base);
	outb(PIC_MASTER_DATA, ICW3_MASTER);
	outb(PIC_SLAVE_DATA, ICW3_SLAVE);
	outb(PIC_MASTER_DATA, ICW4_8086 | (master_aeoi ? ICW4_AEOI : 0));
	outb(PIC_SLAVE_DATA, ICW4_8086);
}

void pic_mask(u8 master, u8 slave)
{
	outb(PIC_MASTER_DATA, master);
	outb(PIC_SLAVE_DATA, slave);
}

static u8 pic_reg(bool slave, u8 ocw3)
{
	u16 cmd = slave ? PIC_SLAVE_CMD : PIC_MASTER_CMD;
	u8 v;

	outb(cmd, ocw3);
	v = inb(cmd);
	outb(cmd, PIC_READ_IRR);
	return v;
}

u8 pic_irr(bool slave)
{
	return pic_reg(slave, PIC_READ_IRR);
}

u8 pic_isr(bool slave)
{
	return pic_reg(slave, PIC_READ_ISR);
}

void pit_program(u32 ch, u32 mode, u16 count)
{
	outb(PIT_CMD,
	     ch << PIT_CH_SHIFT | PIT_LSB_MSB | mode << PIT_MODE_SHIFT);
	outb(PIT_CH0 + ch, count & 0xff);
	outb(PIT_CH0 + ch, count >> 8);
}

u16 pit_read(u32 ch)
{
	u8 lo = inb(PIT_CH0 + ch);

	return (u16)(lo | inb(PIT_CH0 + ch) << 8);
}

u16 pit_latched(u32 ch)
{
	outb(PIT_CMD, ch << PIT_CH_SHIFT | PIT_LATCH);
	return pit_read(ch);
}

u8 pit_status(u32 ch)
{
	outb(PIT_CMD, PIT_READ_BACK | PIT_RB_NO_COUNT | PIT_RB_CH(ch));
	return inb(PIT_CH0 + ch);
}

void pit_gate2(bool on)
{
	u8 b = inb(PORT_B) & ~(PORT_B_SPEAKER | PORT_B_GATE2);

	outb(PORT_B, b | (on ? PORT_B_GATE2 : 0));
}

u8 cmos_read(u8 reg)
{
	outb(CMOS_INDEX, reg | RTC_NMI_ENABLED);
	return inb(CMOS_DATA);
}

void cmos_write(u8 reg, u8 val)
{
	outb(CMOS_INDEX, reg | RTC_NMI_ENABLED);
	outb(CMOS_DATA, val);
}

bool is_bcd(u8 v)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 9;
}

u32 from_bcd(u8 v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

u32 pm_timer(void)
{
	return inl(PM_TMR);
}
