/* SPDX-License-Identifier: MIT */
/*
 * The instruction emulator (vmm/emulate.c): decodes and executes one guest
 * instruction whose memory access Shade had to intercept, for the shadow
 * MMU (a guest writing one of its own page tables, which Shade keeps
 * write-protected) and later for device registers (MMIO).
 *
 * It knows the instructions compilers and kernels use on page-table
 * entries and device registers, with one memory operand each:
 *
 *	MOV	88 89 8A 8B C6/0 C7/0 A0-A3 (moffs)
 *	MOVZX	0F B6 0F B7      MOVSX 0F BE 0F BF (64-bit: MOVSXD 63)
 *	XCHG	86 87 (always locked)
 *	CMPXCHG	0F B0 0F B1      CMPXCHG8B 0F C7/1 (CMPXCHG16B with REX.W)
 *	ALU	ADD OR ADC SBB AND SUB XOR CMP: 00-3B r/m forms, 80 81 83
 *	TEST	84 85 F6/0 F7/0
 *	INC DEC	FE/0 FE/1 FF/0 FF/1      NOT NEG F6/2 F6/3 F7/2 F7/3
 *	BT BTS BTR BTC	0F A3 0F AB 0F B3 0F BB, 0F BA/4-7
 *	STOS	AA AB (no REP prefix)
 *
 * with the prefixes 66 (operand size), 67 (address size), F0 (LOCK),
 * 2E 36 3E 26 64 65 (segments) and REX in 64-bit mode. Anything else,
 * any REP prefix included, is EMU_UNHANDLED, and the caller falls back
 * (unshadow and retry) or stops the partition, printing the bytes.
 *
 * Results are exact: registers and RFLAGS (CF PF AF ZF SF OF, the others
 * untouched) as the processor leaves them; RIP advanced by the length,
 * wrapping to 16 or 32 bits outside 64-bit mode; 32-bit destination
 * registers zero-extended in 64-bit mode, 8- and 16-bit ones merged.
 * Arithmetic flags come from running the same operation on the host
 * processor (it is the same architecture), not from a model of them.
 *
 * Memory is reached only through struct emu_ops, by linear address: the
 * emulator computes the effective address (ModRM, SIB, displacement,
 * RIP-relative, address-size wrap, segment base) itself. Segment limits
 * and privilege are not checked: the processor checked them before the
 * access faulted, and the caller compares the address with CR2.
 *
 * Pure: no Shade state, so tests/unit/test_emulate.c runs it on the host
 * against the host processor executing the same bytes.
 */
#ifndef SHADE_EMULATE_H
#define SHADE_EMULATE_H

#include "types.h"

#define EMU_MAX_INSN_LEN 15

/* Code size, from CS.L and CS.D (SDM 3A 5.2.1). */
enum emu_mode {
	EMU_MODE_16, /* CS.D = 0: 16-bit operands and addresses */
	EMU_MODE_32, /* CS.D = 1 */
	EMU_MODE_64, /* CS.L = 1 (IA-32e mode) */
};

/* Segment registers in encoding order (sreg field of ModRM). */
enum emu_seg { EMU_ES, EMU_CS, EMU_SS, EMU_DS, EMU_FS, EMU_GS };

/* The RFLAGS bits the emulator reads or changes (SDM 1 3.4.3). */
#define X86_RFLAGS_CF BIT(0)
#define X86_RFLAGS_PF BIT(2)
#define X86_RFLAGS_AF BIT(4)
#define X86_RFLAGS_ZF BIT(6)
#define X86_RFLAGS_SF BIT(7)
#define X86_RFLAGS_DF BIT(10)
#define X86_RFLAGS_OF BIT(11)
#define X86_RFLAGS_ARITH                                                 \
	(X86_RFLAGS_CF | X86_RFLAGS_PF | X86_RFLAGS_AF | X86_RFLAGS_ZF | \
	 X86_RFLAGS_SF | X86_RFLAGS_OF)

/* Registers in encoding order: rax rcx rdx rbx rsp rbp rsi rdi r8-r15. */
enum emu_gpr {
	EMU_RAX,
	EMU_RCX,
	EMU_RDX,
	EMU_RBX,
	EMU_RSP,
	EMU_RBP,
	EMU_RSI,
	EMU_RDI,
	EMU_R8,
	EMU_R15 = 15,
};

struct emu_regs {
	u64 gpr[16];
	u64 rip;
	u64 rflags;
	u64 seg_base[6]; /* by enum emu_seg; FS/GS bases in 64-bit mode */
};

/*
 * Return values of the callbacks below: EMU_OK, or EMU_FAULT when the
 * access cannot be made and the callback has already arranged what the
 * guest sees (for example a #PF it will inject): emulation stops then,
 * nothing more is written and the registers are not changed.
 */
#define EMU_OK	  0
#define EMU_FAULT 1

/*
 * How the emulator reaches guest memory. len is 1, 2, 4, 8 or 16; the
 * access may cross a page boundary (the callback splits it). fetch reads
 * instruction bytes (len 1-15). cmpxchg is one atomic compare-and-exchange
 * of len bytes: it writes new only if memory holds old, and in both cases
 * stores what memory held into *cur; it returns EMU_OK (whether or not it
 * wrote) or EMU_FAULT. Every locked instruction, and every read-modify-
 * write, goes through cmpxchg (a retry loop inside the emulator), so that
 * a concurrent writer on another vCPU is never lost.
 */
struct emu_ops {
	int (*fetch)(void *opaque, u64 linear, void *buf, u32 len);
	int (*read)(void *opaque, u64 linear, void *buf, u32 len);
	int (*write)(void *opaque, u64 linear, const void *buf, u32 len);
	int (*cmpxchg)(void *opaque, u64 linear, const void *old,
		       const void *new, void *cur, u32 len);
	void *opaque;
};

/* A decoded instruction, filled by emu_decode() (also on failure, as far
 * as decoding got, so that the caller can print the bytes). */
struct emu_insn {
	u8 bytes[EMU_MAX_INSN_LEN];
	u32 len;	  /* bytes of the instruction (0 unless EMU_DONE) */
	u32 nbytes;	  /* bytes fetched, for messages */
	const char *name; /* "mov", "cmpxchg", ... or NULL */
	u64 linear;	  /* the memory operand's linear address */
	u32 mem_size;	  /* its size in bytes */
	bool mem_write;	  /* the instruction writes memory */
	bool mem_read;	  /* the instruction reads memory */
	/* Private to emulate.c from here on. */
	u8 kind;      /* how emu_execute() runs it */
	u8 op;	      /* the operation it runs on the host for flags */
	u16 flags;    /* the opcode's properties (F_* in emulate.c) */
	u8 op_size;   /* operand size in bytes: 1, 2, 4 or 8 */
	u8 addr_size; /* address size in bytes: 2, 4 or 8 */
	u8 reg;	      /* the register operand, REX.R included */
	bool rex;     /* a REX prefix: SPL-DIL instead of AH-BH */
	bool lock;
	u64 imm; /* the immediate, sign-extended */
};

/* emu_decode() and emu_execute() results */
enum emu_result {
	EMU_DONE = 0,	   /* executed: registers, RIP and memory updated */
	EMU_UNHANDLED = 2, /* not an instruction this emulator knows */
	EMU_FAULTED = 3,   /* a callback returned EMU_FAULT */
};

/*
 * Fetch at regs->seg_base[CS] + regs->rip (CS base 0 in 64-bit mode) and
 * decode one instruction
 * into *insn, computing the memory operand's linear address from regs.
 * Changes nothing. Returns EMU_DONE when the instruction is one the
 * emulator executes, EMU_UNHANDLED otherwise (a register-only form
 * included), EMU_FAULTED when fetching failed.
 */
enum emu_result emu_decode(enum emu_mode mode, const struct emu_regs *regs,
			   const struct emu_ops *ops, struct emu_insn *insn);

/*
 * Execute an instruction emu_decode() accepted: its memory access through
 * ops, then its register and flag results into *regs, and RIP past it.
 * On EMU_FAULTED *regs is unchanged (a write that faulted wrote nothing).
 */
enum emu_result emu_execute(enum emu_mode mode, struct emu_regs *regs,
			    const struct emu_ops *ops, struct emu_insn *insn);

#endif
