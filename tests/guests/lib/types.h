/* SPDX-License-Identifier: MIT */
/*
 * Basic types for Shade's test guests: 32-bit protected-mode programs,
 * freestanding (no libc), built with gcc -m32. Only the compiler's own
 * freestanding headers are used.
 */
#ifndef GUEST_TYPES_H
#define GUEST_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t i8;
typedef int16_t i16;
typedef int32_t i32;
typedef int64_t i64;

/* Guest-physical address: with paging off it is also the pointer value. */
typedef u32 gpa_t;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define __noreturn     __attribute__((noreturn))
#define __aligned(n)   __attribute__((aligned(n)))
#define __printf(f, a) __attribute__((format(printf, f, a)))

/* The end of the loaded image (guest.ld): modules and boot info go above. */
extern char _image_start[], _image_end[];

#endif
