/* SPDX-License-Identifier: MIT */
/*
 * Memory management start-up (mm/mm.c): the frame allocator, Shade's page
 * tables and the heap, in that order.
 */
#ifndef SHADE_MM_H
#define SHADE_MM_H

#include "bootinfo.h"

/* Boot CPU, once. Panics, printing the numbers, if boot runs out of memory. */
void mm_init(const struct boot_info *bi);

/* Print the memory summary line. */
void mm_print_summary(void);

#endif
