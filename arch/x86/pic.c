// SPDX-License-Identifier: MIT
/*
 * Silencing the legacy 8259 PIC pair.
 *
 * The BIOS leaves the PICs delivering IRQ 0-7 on vectors 8-15, which are
 * exception vectors in protected mode: a timer tick would look like a
 * double fault. Shade uses only local-APIC IPIs, so it reprograms the
 * PICs with the standard initialization sequence (8259A data sheet, ICW1
 * to ICW4) to vectors 0x20-0x2f, out of the exceptions' way, and masks
 * every line. A spurious IRQ 7 or 15 that still slips through lands on a
 * harmless vector.
 *
 * Context: boot CPU, interrupts off, before any CPU enables them.
 */
#include "pic.h"
#include "asm.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1

#define ICW1_INIT_ICW4 0x11 /* initialize, ICW4 follows, cascaded, edge */
#define ICW4_8086      0x01
#define PIC1_VECTOR    0x20
#define PIC2_VECTOR    0x28
#define PIC1_CASCADE   0x04 /* a slave on IRQ 2 */
#define PIC2_IDENTITY  0x02 /* the slave's cascade identity */
#define MASK_ALL       0xff

void pic_disable(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, PIC1_VECTOR);
	outb(PIC2_DATA, PIC2_VECTOR);
	outb(PIC1_DATA, PIC1_CASCADE);
	outb(PIC2_DATA, PIC2_IDENTITY);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	outb(PIC1_DATA, MASK_ALL);
	outb(PIC2_DATA, MASK_ALL);
}
