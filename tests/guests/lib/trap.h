/* SPDX-License-Identifier: MIT */
/*
 * Exceptions inside a test guest: a flat 32-bit GDT with ring-0 and ring-3
 * segments and a TSS, and an IDT whose entries all lead to one C
 * dispatcher that records the vector, error code and EIP. A test either
 * installs a handler for a vector, or runs a function under
 * expect_fault(), which resumes after the first exception like longjmp.
 * Used by vCPU 0 only; secondaries keep the descriptor tables Shade gave
 * them.
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include "types.h"

/* Selectors of the GDT trap_init() loads. */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE (0x18 | 3)
#define SEL_UDATA (0x20 | 3)
#define SEL_TSS	  0x28

/* Architectural exception vectors used by the tests (SDM vol. 3A, 6.3). */
#define VEC_DE 0
#define VEC_BP 3
#define VEC_UD 6
#define VEC_DF 8
#define VEC_NP 11
#define VEC_GP 13
#define VEC_PF 14

/* Software interrupt, DPL 3: how ring-3 code returns to the test. */
#define VEC_USER_RETURN 0x80

/* What trap_stubs.S pushes, lowest address first. */
struct trap_frame {
	u32 es, ds;
	u32 edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
	u32 vector, error;
	u32 eip, cs, eflags;
	u32 user_esp, user_ss; /* only when coming from ring 3 */
};

/* The last exception taken, whoever handled it. */
struct trap_record {
	u32 vector;
	u32 error;
	u32 eip;
	u32 cs;
	u32 count; /* exceptions taken so far */
};

extern volatile struct trap_record last_trap;

/* Load the GDT, TSS and IDT; every vector 0-31 and 0x80 has a stub. */
void trap_init(void);

/*
 * Call h for this vector (0-31, or 0x80) from now on; h may change the
 * frame (e.g. advance eip) and the stub resumes with it. NULL removes it.
 */
typedef void (*trap_handler_t)(struct trap_frame *f);
void idt_install(u32 vector, trap_handler_t h);

/*
 * Run fn at CPL 0. Returns -1 if it returns normally, or the vector of
 * the first exception it raises, in which case execution resumes here
 * and the rest of fn is abandoned (last_trap says where it stopped).
 */
int expect_fault(void (*fn)(void));

/*
 * Run fn at CPL 3 on a stack of its own (flat segments, IOPL 0): -1 if it
 * returns, else the vector of the first exception it raises.
 */
int expect_fault_user(void (*fn)(void));

/* Load an IDT register directly, e.g. an empty IDT to provoke a triple fault. */
void idt_load(const void *base, u16 limit);

#endif
