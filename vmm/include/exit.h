/* SPDX-License-Identifier: MIT */
/*
 * VM-exit handling (vmm/exit.c, vmm/io.c, vmm/hypercall.c).
 */
#ifndef SHADE_EXIT_H
#define SHADE_EXIT_H

#include "vmm.h"
#include "emulate.h"

/* Handle the exit that just happened on v; called from vcpu_run() in
 * vmm/vcpu.c with interrupts off. */
void vmexit_dispatch(struct vcpu *v);

/* Handlers shared between files; each returns nothing and either advances
 * the guest's RIP, injects an exception, or stops the partition. */
void vmexit_io(struct vcpu *v);
void vmexit_vmcall(struct vcpu *v);

/* A VM exit that reports a failed VM entry (vmm/vmx_dump.c). */
void vmexit_entry_failure(struct vcpu *v, u32 basic);
extern bool vmx_selftest_bad_guest_state;

/* Helpers for handlers. */
void vmexit_skip_instruction(void);
void vmexit_inject_exception(u8 vector, bool has_error, u32 error);
/* General register n in encoding order (0 RAX ... 4 RSP ... 15 R15);
 * RSP lives in the VMCS. */
u64 vmexit_read_gpr(struct vcpu *v, u32 n);
void vmexit_write_gpr(struct vcpu *v, u32 n, u64 val);
/* CPL of the guest (its SS.DPL, SDM 3A 5.5). */
u32 vmexit_guest_cpl(void);

/* vmm/emu_guest.c: the vCPU's side of the instruction emulator. */
struct emu_regs;
struct emu_insn;
enum emu_mode vmexit_emu_mode(void);
void vmexit_emu_regs_load(struct vcpu *v, struct emu_regs *r);
/* Registers, RIP and RFLAGS back into the vCPU; ends STI blocking. */
void vmexit_emu_regs_store(struct vcpu *v, const struct emu_regs *r);
/* The bytes insn fetched, as "0f b6 03", into buf (3 * 15 + 1 bytes). */
#define EMU_BYTES_BUF 46
const char *vmexit_emu_bytes(const struct emu_insn *insn, char *buf, u32 size);

#define VECTOR_UD	  6
#define VECTOR_GP	  13
#define VECTOR_PAGE_FAULT 14

#endif
