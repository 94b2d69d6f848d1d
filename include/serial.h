/* SPDX-License-Identifier: MIT */
/*
 * 16550 UART driver (drivers/serial.c). The caller serializes: only
 * drivers/console.c calls these, under console_lock.
 */
#ifndef SHADE_SERIAL_H
#define SHADE_SERIAL_H

#include "types.h"

#define COM1_PORT 0x3f8

/* Program 115200 baud, 8N1, FIFOs on, interrupts off. Returns false if no
 * UART answers at `port` (scratch register test). */
bool serial_init(u16 port);

/* Send one byte, waiting (bounded) for the transmitter to be ready. */
void serial_putc(u16 port, u8 c);

/* Wait (bounded) until the last byte has left the UART. Emulators drop
 * bytes still in the transmitter when the machine powers off. */
void serial_flush(u16 port);

#endif
