// SPDX-License-Identifier: MIT
/*
 * A polled 16550 UART driver, the one output device Shade relies on.
 *
 * Context: any CPU; the caller (drivers/console.c) holds console_lock.
 * No interrupts are used: output is polled, input is not read.
 */
#include "serial.h"
#include "asm.h"

/* Register offsets from the base port (16550 data sheet). */
#define UART_THR 0 /* transmit holding (write), DLAB=0 */
#define UART_DLL 0 /* divisor latch low, DLAB=1 */
#define UART_IER 1 /* interrupt enable, DLAB=0 */
#define UART_DLM 1 /* divisor latch high, DLAB=1 */
#define UART_FCR 2 /* FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_SCR 7 /* scratch */

#define LCR_8N1	    0x03
#define LCR_DLAB    0x80
#define FCR_ENABLE  0x07 /* enable and clear both FIFOs */
#define MCR_DTR_RTS 0x03
#define LSR_THRE    0x20 /* transmitter holding register empty */
#define LSR_TEMT    0x40 /* transmitter empty: the last byte is on the wire */

/* 115200 baud from the 1.8432 MHz clock: divisor 1. */
#define BAUD_DIVISOR 1

/* How often to poll LSR before giving up on a stuck UART: far longer than
 * one byte takes at 115200 baud on any machine. */
#define TX_SPIN_LIMIT 1000000

bool serial_init(u16 port)
{
	outb(port + UART_SCR, 0x5a);
	if (inb(port + UART_SCR) != 0x5a)
		return false;

	outb(port + UART_IER, 0);
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, BAUD_DIVISOR & 0xff);
	outb(port + UART_DLM, BAUD_DIVISOR >> 8);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, FCR_ENABLE);
	outb(port + UART_MCR, MCR_DTR_RTS);
	return true;
}

void serial_putc(u16 port, u8 c)
{
	for (u32 i = 0; i < TX_SPIN_LIMIT; i++) {
		if (inb(port + UART_LSR) & LSR_THRE)
			break;
		__builtin_ia32_pause();
	}
	outb(port + UART_THR, c);
}

void serial_flush(u16 port)
{
	for (u32 i = 0; i < TX_SPIN_LIMIT; i++) {
		if (inb(port + UART_LSR) & LSR_TEMT)
			return;
		__builtin_ia32_pause();
	}
}
