/* SPDX-License-Identifier: MIT */
/*
 * Interrupts and exceptions: the IDT (arch/x86/idt.c), the frame that the
 * stubs in arch/x86/isr.S build, and the dispatcher (arch/x86/trap.c).
 */
#ifndef SHADE_TRAP_H
#define SHADE_TRAP_H

#include "types.h"

/* Vectors Shade uses for its own interrupts (above the 32 exceptions). */
#define VECTOR_IPI_CALL 0xf0 /* run an ipi_request (arch/x86/ipi.c) */
#define VECTOR_IPI_STOP 0xf1 /* stop this CPU: another one panicked */
#define VECTOR_SPURIOUS 0xff /* local APIC spurious interrupts */

/* Built by isr_common in arch/x86/isr.S, lowest address first. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error_code;
	u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Build the IDT (once) and load it on this CPU. */
void idt_init(void);
void idt_load(void);

/* Called from isr_common (arch/x86/isr.S) for every vector. */
void trap_dispatch(struct trap_frame *f);

/* Print the registers of f, or of the caller when f is NULL, and a
 * backtrace starting at rbp. Used by the exception report and panic(). */
void trap_dump(const struct trap_frame *f, u64 rbp);

/* For loops that spin with interrupts off: if another CPU panicked, stop
 * here (the stop IPI cannot get through while interrupts are off). */
void stop_if_requested(void);

/* Stop every other CPU, print the final panic line, halt forever. */
__noreturn void stop_all_cpus(void);

#endif
