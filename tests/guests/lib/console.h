/* SPDX-License-Identifier: MIT */
/*
 * Guest console output on COM1 (port 0x3f8), which Shade forwards line by
 * line as "[NAME] text" (contract section 4). The same code drives a real
 * 16550, so a guest also prints when booted bare on Bochs or QEMU.
 */
#ifndef GUEST_CONSOLE_H
#define GUEST_CONSOLE_H

#include "types.h"

/* Set 8N1 and no UART interrupts; the entry code calls it before main. */
void serial_init(void);

/* Write bytes as they are ("\n" becomes "\r\n"); callers hold no lock. */
void serial_write(const char *s, u32 len);

/*
 * printf for guests: %d %u %x %s %c %p, with an optional '0' flag, a width
 * and the length modifiers l (32 bits here) and ll (64 bits). Each call
 * writes its text under a lock, so lines from several vCPUs never mix as
 * long as each line is printed by one call. Returns the length written
 * (at most GPRINTF_MAX).
 */
#define GPRINTF_MAX 256
int gprintf(const char *fmt, ...) __printf(1, 2);
int vgprintf(const char *fmt, va_list ap);

/* Format into buf (size bytes, always NUL-terminated); returns the length. */
int gsnprintf(char *buf, u32 size, const char *fmt, ...) __printf(3, 4);
int vgsnprintf(char *buf, u32 size, const char *fmt, va_list ap);

#endif
