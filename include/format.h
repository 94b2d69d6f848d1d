/* SPDX-License-Identifier: MIT */
/*
 * printf-style formatting into a buffer (lib/format.c), used by printk.
 *
 * Conversions: %d %i %u %x %X %o %c %s %p %% with the length modifiers
 * hh h l ll z t, flags '-' '0' '+' ' ' '#', a field width and a precision
 * (both may be '*'). %p prints 0x and 16 hex digits. No floating point.
 * A NULL %s prints "(null)". An unknown conversion is printed as is.
 */
#ifndef SHADE_FORMAT_H
#define SHADE_FORMAT_H

#include "types.h"

/*
 * Like C's vsnprintf: writes at most size bytes including the NUL (nothing
 * if size is 0) and returns the length the whole output would have had.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
__printf(3, 4) int ksnprintf(char *buf, size_t size, const char *fmt, ...);

#endif
