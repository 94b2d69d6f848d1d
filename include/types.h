/* SPDX-License-Identifier: MIT */
/*
 * Basic types shared by every part of Shade, and by the host-built unit
 * tests (which is why this header uses only the compiler's freestanding
 * headers).
 */
#ifndef SHADE_TYPES_H
#define SHADE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/*
 * Typed addresses. Shade identity-maps host physical memory, so an hpa_t and
 * an hva_t of the same RAM hold the same number, but they are different
 * things and conversions go through named helpers.
 */
typedef u64 hpa_t; /* host physical address */
typedef u64 hfn_t; /* host frame number: hpa >> PAGE_SHIFT */
typedef u64 hva_t; /* host virtual address */
typedef u64 gpa_t; /* guest physical address */
typedef u64 gfn_t; /* guest frame number */
typedef u64 gva_t; /* guest virtual address */

#define PAGE_SHIFT  12
#define PAGE_SIZE   (1ULL << PAGE_SHIFT)
#define PAGE_MASK   (~(PAGE_SIZE - 1))
#define LARGE_SHIFT 21
#define LARGE_SIZE  (1ULL << LARGE_SHIFT) /* 2 MiB */
#define HUGE_SHIFT  30
#define HUGE_SIZE   (1ULL << HUGE_SHIFT) /* 1 GiB */

#define KiB ((u64)1 << 10)
#define MiB ((u64)1 << 20)
#define GiB ((u64)1 << 30)

#define BIT(n)		   (1ULL << (n))
#define ARRAY_SIZE(a)	   (sizeof(a) / sizeof((a)[0]))
#define ALIGN_DOWN(x, a)   ((x) & ~((u64)(a)-1))
#define ALIGN_UP(x, a)	   ALIGN_DOWN((x) + (u64)(a)-1, (a))
#define IS_ALIGNED(x, a)   (((x) & ((u64)(a)-1)) == 0)
#define DIV_ROUND_UP(x, d) (((x) + (d)-1) / (d))
#define MIN(a, b)	   ((a) < (b) ? (a) : (b))
#define MAX(a, b)	   ((a) > (b) ? (a) : (b))

#define __packed       __attribute__((packed))
#define __aligned(x)   __attribute__((aligned(x)))
#define __noinline     __attribute__((noinline))
#define __noreturn     __attribute__((noreturn))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __unused       __attribute__((unused))
#define likely(x)      __builtin_expect(!!(x), 1)
#define unlikely(x)    __builtin_expect(!!(x), 0)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

#endif
