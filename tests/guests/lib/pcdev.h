/* SPDX-License-Identifier: MIT */
/*
 * The legacy PC devices from inside a test guest (pcdev.c): the 8259
 * pair, the 8254 PIT with port 0x61, the CMOS RTC, the ACPI PM timer.
 * Port numbers and register bits as in the data sheets Shade's models
 * cite (vmm/vpic.c, vpit.c, vrtc.c, vmisc.c). vCPU 0, CPL 0.
 */
#ifndef GUEST_PCDEV_H
#define GUEST_PCDEV_H

#include "types.h"

/* 8259A */
#define PIC_MASTER_CMD	 0x20
#define PIC_MASTER_DATA	 0x21
#define PIC_SLAVE_CMD	 0xa0
#define PIC_SLAVE_DATA	 0xa1
#define PIC_ELCR_MASTER	 0x4d0
#define PIC_ELCR_SLAVE	 0x4d1
#define PIC_EOI		 0x20 /* OCW2: non-specific EOI */
#define PIC_SPECIFIC_EOI 0x60 /* OCW2: | IRQ */
#define PIC_SET_PRIORITY 0xc0 /* OCW2: | the IRQ to be lowest */
#define PIC_READ_IRR	 0x0a /* OCW3 */
#define PIC_READ_ISR	 0x0b
#define PIC_POLL	 0x0c
#define PIC_SMM_ON	 0x68
#define PIC_SMM_OFF	 0x48

/* 8254 and port B */
#define PIT_CH0		0x40
#define PIT_CH1		0x41
#define PIT_CH2		0x42
#define PIT_CMD		0x43
#define PIT_HZ		1193182u
#define PORT_B		0x61
#define PORT_B_GATE2	0x01
#define PORT_B_SPEAKER	0x02
#define PORT_B_REFRESH	0x10
#define PORT_B_OUT2	0x20
#define PIT_LSB_MSB	0x30 /* control word RW field */
#define PIT_BCD		0x01
#define PIT_READ_BACK	0xc0
#define PIT_RB_NO_COUNT 0x20
#define PIT_RB_NO_STAT	0x10
#define PIT_RB_CH(i)	(2u << (i))
#define PIT_ST_OUT	0x80
#define PIT_ST_NULL	0x40

/* MC146818 */
#define CMOS_INDEX   0x70
#define CMOS_DATA    0x71
#define RTC_SEC	     0x00
#define RTC_SEC_AL   0x01
#define RTC_MIN	     0x02
#define RTC_MIN_AL   0x03
#define RTC_HOUR     0x04
#define RTC_HOUR_AL  0x05
#define RTC_WDAY     0x06
#define RTC_MDAY     0x07
#define RTC_MONTH    0x08
#define RTC_YEAR     0x09
#define RTC_A	     0x0a
#define RTC_B	     0x0b
#define RTC_C	     0x0c
#define RTC_D	     0x0d
#define RTC_CENTURY  0x32
#define RTC_A_UIP    0x80
#define RTC_B_SET    0x80
#define RTC_B_PIE    0x40
#define RTC_B_AIE    0x20
#define RTC_B_UIE    0x10
#define RTC_B_BINARY 0x04
#define RTC_B_24H    0x02
#define RTC_C_IRQF   0x80
#define RTC_C_PF     0x40
#define RTC_C_AF     0x20
#define RTC_C_UF     0x10
#define RTC_D_VRT    0x80

/* ACPI PM blocks (Shade's FADT) */
#define PM1_STS	       0x600
#define PM1_EN	       0x602
#define PM1_CNT	       0x604
#define PM_TMR	       0x608
#define PM_TIMER_HZ    3579545u
#define PM1_TMR_STS    0x0001
#define PM1_SCI_EN     0x0001
#define PM1_SLP_EN     0x2000
#define PM1_SLP_TYP(t) ((u16)((t) << 10))
#define PM_S5_SLP_TYP  5 /* Shade's \_S5 */

/* 8042, reset ports */
#define KBC_DATA   0x60
#define KBC_STATUS 0x64
#define KBC_ST_OBF 0x01
#define KBC_ST_IBF 0x02
#define KBC_ST_SYS 0x04
#define KBC_ST_CMD 0x08
#define PORT_92	   0x92
#define RST_CNT	   0xcf9

/* ICW1-ICW4 for the usual cascade (vectors at the two bases, AEOI on the
 * master if asked), then every IRQ masked. */
void pic_init(u8 master_base, u8 slave_base, bool master_aeoi);
void pic_mask(u8 master, u8 slave);
/* IRR or ISR through OCW3; the command port reads IRR again afterwards. */
u8 pic_irr(bool slave);
u8 pic_isr(bool slave);

/* Control word (binary, LSB then MSB) and count for a channel. */
void pit_program(u32 ch, u32 mode, u16 count);
/* A counter latch command and its two bytes (LSB then MSB mode). */
u16 pit_latched(u32 ch);
/* Two plain reads, LSB then MSB. */
u16 pit_read(u32 ch);
/* The status byte through the read-back command. */
u8 pit_status(u32 ch);
/* Port 0x61 gate of channel 2 (speaker off). */
void pit_gate2(bool on);

u8 cmos_read(u8 reg);
void cmos_write(u8 reg, u8 val);
bool is_bcd(u8 v);
u32 from_bcd(u8 v);

u32 pm_timer(void);

#endif
