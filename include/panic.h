/* SPDX-License-Identifier: MIT */
/*
 * panic(): a broken invariant inside Shade. Prints the message with file and
 * line, the registers and a backtrace, stops every CPU, and never returns.
 * Guest mistakes never reach this: they become injected faults or stopped
 * partitions.
 */
#ifndef SHADE_PANIC_H
#define SHADE_PANIC_H

#include "types.h"

__noreturn __printf(3, 4) void panic_at(const char *file, int line,
					const char *fmt, ...);

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

#define BUG_ON(cond)                                                       \
	do {                                                               \
		if (unlikely(cond))                                        \
			panic_at(__FILE__, __LINE__, "BUG_ON(%s)", #cond); \
	} while (0)

#endif
