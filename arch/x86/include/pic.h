/* SPDX-License-Identifier: MIT */
/*
 * The legacy 8259 interrupt controllers (arch/x86/pic.c).
 */
#ifndef SHADE_PIC_H
#define SHADE_PIC_H

/* Move the PICs' vectors away from the exceptions and mask every line:
 * Shade takes interrupts only from local APICs. Boot CPU, once. */
void pic_disable(void);

#endif
