/* SPDX-License-Identifier: MIT */
/*
 * The few string and memory functions the guests need. gcc may also emit
 * calls to memset/memcpy/memmove/memcmp on its own, even freestanding, so
 * these keep their standard names.
 */
#ifndef GUEST_STR_H
#define GUEST_STR_H

#include "types.h"

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* Length of s, but at most max (no NUL within max bytes: returns max). */
size_t strnlen(const char *s, size_t max);

/*
 * Parse a number at *s, decimal or hex with 0x, advancing *s past it;
 * false if there is none (no overflow check: the callers' are small).
 */
bool parse_u32(const char **s, u32 *out);

#endif
