/* SPDX-License-Identifier: MIT */
/*
 * Exceptions inside a test guest: a flat 32-bit GDT with ring-0 and ring-3
 * segments and a TSS, and an IDT whose entries all lead to one C
 * dispatcher that records the vector, error code and EIP. A test either
 * installs a handler for a vector, or runs a function under
 * expect_fault(), which resumes after the first exception like longjmp.
 * Used by vCPU 0 only; secondaries keep the descriptor tables Shade gave
 * them. In IA-32e mode (trap_enter_ia32e()) the same calls keep working
 * from compatibility mode, with 64-bit gates and a 64-bit TSS.
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include "types.h"

/* Selectors of the GDT trap_init() loads. */
#define SEL_KCODE   0x08
#define SEL_KDATA   0x10
#define SEL_UCODE   (0x18 | 3)
#define SEL_UDATA   (0x20 | 3)
#define SEL_TSS	    0x28
/* IA-32e mode: 64-bit code segments; SEL_KCODE and SEL_UCODE then serve
 * as compatibility-mode code. SEL_TSS64 takes two GDT slots. */
#define SEL_KCODE64 0x30
#define SEL_UCODE64 (0x38 | 3)
#define SEL_TSS64   0x40

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
	u64 cr2;   /* #PF: CR2 (all 64 bits in IA-32e mode); else 0 */
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

/*
 * IA-32e mode. Call trap_enter_ia32e() at CPL 0 right after EFER.LMA
 * became 1 (CR0.PG set with EFER.LME=1, running in compatibility mode):
 * it loads an IDT of 64-bit interrupt gates and a 64-bit TSS whose RSP0
 * is the ring-0 trap stack. The 64-bit stubs hand trap_dispatch() the same
 * struct trap_frame, with the low halves of RIP, RFLAGS and RSP, and run
 * it in compatibility mode, so idt_install(), expect_fault() and
 * expect_fault_user() work as before: their functions run in
 * compatibility mode, and may far-call 64-bit code through SEL_KCODE64 or
 * SEL_UCODE64. A handler's changes to eip, eflags, user_esp and the
 * general registers replace the low halves only. Call trap_leave_ia32e()
 * right after EFER.LMA became 0 again (CR0.PG cleared): it goes back to
 * the 32-bit IDT and TSS. Both may be called again for a later visit.
 */
void trap_enter_ia32e(void);
void trap_leave_ia32e(void);

/* Load an IDT register directly, e.g. an empty IDT to provoke a triple fault. */
void idt_load(const void *base, u16 limit);

#endif
