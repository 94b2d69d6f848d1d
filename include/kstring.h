/* SPDX-License-Identifier: MIT */
/*
 * The few string and memory functions Shade needs (lib/string.c). The
 * prototypes match the C library's, so host-built unit tests link the
 * C library's versions instead.
 */
#ifndef SHADE_KSTRING_H
#define SHADE_KSTRING_H

#include "types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
