/* SPDX-License-Identifier: MIT */
/*
 * Shade's own command line (the words after shade.elf on GRUB's multiboot2
 * line, or tools/mkiso --vmm-args):
 *
 *	loglevel=debug|info|warn|error	what printk shows (default info)
 *	apic=auto|xapic|x2apic		local APIC mode (default auto: x2APIC
 *					where the CPU has it)
 *	cpus=N				bring up at most N CPUs (1-64)
 *	selftest=NAME			run a deliberate failure after boot:
 *					"fault-write-text" (write to read-only
 *					text), "fault-exec-data" (execute a
 *					non-executable page), "fault-ud"
 *					(undefined opcode on an AP, or the boot
 *					CPU when alone), "bad-guest-state"
 *					(the first partition's first VM entry
 *					fails on an invalid TR)
 *	shadow_mem=SIZE			bound on each partition's shadow page
 *					tables, 64K-1G (default: 1/32 of its
 *					RAM, at least 4M)
 *	mmu_audit=on|off|N		check every shadow page table, reverse
 *					map and count every N shadow faults
 *					(on = 64; default off): a debugging aid
 *
 * A word Shade does not know, or a bad value, is reported with the word
 * itself and otherwise ignored: a typo must never stop a machine from
 * booting.
 */
#ifndef SHADE_OPTIONS_H
#define SHADE_OPTIONS_H

#include "types.h"
#include "printk.h"

enum apic_mode {
	APIC_MODE_AUTO,
	APIC_MODE_XAPIC,
	APIC_MODE_X2APIC,
};

enum selftest {
	SELFTEST_NONE,
	SELFTEST_FAULT_WRITE_TEXT,
	SELFTEST_FAULT_EXEC_DATA,
	SELFTEST_FAULT_UD,
	SELFTEST_BAD_GUEST_STATE,
};

struct shade_options {
	enum log_level loglevel;
	enum apic_mode apic;
	u32 max_cpus; /* 0 = no limit */
	enum selftest selftest;
	u64 shadow_mem; /* bytes; 0 = the default */
	u32 mmu_audit;	/* 0 = off */
};

#define OPTIONS_MAX_ERRORS 8

struct options_errors {
	u32 n; /* how many words were bad (may exceed what msg holds) */
	char msg[OPTIONS_MAX_ERRORS][96]; /* "unknown option 'foo=1'" */
};

/* Parse line into *o (defaults first). Returns the number of bad words. */
u32 options_parse(const char *line, struct shade_options *o,
		  struct options_errors *errs);

#endif
