// SPDX-License-Identifier: MIT
/*
 * COM1 output for the test guests. Shade's UART (contract section 4)
 * always reports the transmitter empty, but a real 16550 or Bochs's model
 * does not, so we poll LSR anyway; Bochs also resets LCR to 5-bit words,
 * hence the explicit 8N1 (docs: bochs.md). Runs on any vCPU, CPL 0.
 */
#include "console.h"
#include "x86.h"

#define COM1	 0x3f8
#define UART_IER (COM1 + 1)
#define UART_LCR (COM1 + 3)
#define UART_LSR (COM1 + 5)

#define UART_LCR_8N1  0x03
#define UART_LSR_THRE (1u << 5) /* transmitter holding register empty */

/*
 * Bounded so that a missing UART (LSR reads all ones, which has THRE set
 * anyway) or a stuck one cannot hang the guest.
 */
#define THRE_POLL_LIMIT 100000

void serial_init(void)
{
	outb(UART_IER, 0);
	outb(UART_LCR, UART_LCR_8N1);
}

static void serial_putc(char c)
{
	u32 n;

	for (n = 0; n < THRE_POLL_LIMIT; n++) {
		if (inb(UART_LSR) & UART_LSR_THRE)
			break;
		cpu_relax();
	}
	outb(COM1, (u8)c);
}

void serial_write(const char *s, u32 len)
{
	u32 i;

	for (i = 0; i < len; i++) {
		/* Shade drops the '\r'; a terminal on a real UART needs it. */
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}
