/* SPDX-License-Identifier: MIT */
/*
 * The console: COM1 (a 16550 at 115200 8N1), mirrored to port 0xe9 when
 * the emulator provides that debug port (Bochs's port_e9_hack). Everything
 * Shade and its partitions print goes through console_write_line(), which
 * holds console_lock for the whole line so that lines never interleave.
 */
#ifndef SHADE_CONSOLE_H
#define SHADE_CONSOLE_H

#include "types.h"
#include "printk.h"

/* Program the UART and detect port 0xe9. Boot CPU, first thing in boot. */
void console_init(void);

/* Write one line (a '\n' is added). Takes console_lock. */
void console_write_line(const char *s, size_t len);

/* Drop messages below this level (the "loglevel=" option). */
void console_set_level(enum log_level level);

/* Wait until everything written has left the UART (before power-off). */
void console_flush(void);

/*
 * Panic path: from now on the console lock is taken with a bounded wait,
 * so that a CPU that died while holding it cannot silence the report.
 */
void console_enter_panic(void);

#endif
