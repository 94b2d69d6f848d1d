/* SPDX-License-Identifier: MIT */
/*
 * Shade's own symbol table, for readable backtraces (arch/x86/ksyms.c;
 * generated at build time by tools/gen-ksyms).
 */
#ifndef SHADE_KSYMS_H
#define SHADE_KSYMS_H

#include "types.h"

/* The name of the function containing addr and addr's offset into it,
 * or NULL when addr is outside Shade's text. */
const char *ksym_lookup(u64 addr, u64 *offset);

#endif
