// SPDX-License-Identifier: MIT
/*
 * Device memory: guest accesses to guest-physical addresses outside RAM
 * (docs/platform.md).
 *
 * Shade never maps such an address in the shadow tables, so every access
 * faults, and mmu_page_fault() (vmm/mmu_fault.c) hands it here. The
 * instruction at RIP is decoded and run by the emulator (vmm/emulate.c),
 * whose one memory operand is then served by the device behind the page:
 *
 *	0xFEE00000	the vCPU's local APIC, while it is in xAPIC mode
 *			(vmm/vlapic.c)
 *	anything else	unassigned: reads give all ones, writes vanish, and
 *			the first access to each page is logged (the first
 *			MMIO_LOG_PAGES pages of a partition)
 *
 * An instruction the emulator does not know, an access that crosses from
 * device memory into RAM, or code fetched from device memory stops the
 * partition with RIP and the instruction's bytes.
 *
 * Context: the vCPU's physical CPU, its VMCS current, interrupts off, no
 * lock held (the MMU lock is taken only to translate addresses).
 */
#include "vplatform.h"
#include "exit.h"
#include "emulate.h"
#include "vmx.h"
#include "x86.h"
#include "printk.h"
#include "kstring.h"

#define MMIO_LOG_PAGES 16 /* sizeof(partition.mmio_seen) / 8 */

struct mmio_ctx {
	struct vcpu *v;
	bool stopped; /* the partition was stopped */
	/* The value the instruction read, for mmio_cmpxchg(). */
	bool have_read;
	u8 read_val[16];
};

static void log_unassigned(struct vcpu *v, u64 gpa, bool write)
{
	struct partition *p = v->part;
	u64 page = gpa & PAGE_MASK;
	bool first = true, last = false;

	spin_lock(&p->ports_lock);
	for (u32 i = 0; i < p->nmmio_seen && first; i++)
		first = p->mmio_seen[i] != page;
	if (first && p->nmmio_seen < MMIO_LOG_PAGES) {
		p->mmio_seen[p->nmmio_seen++] = page;
		last = p->nmmio_seen == MMIO_LOG_PAGES;
	} else {
		first = false;
	}
	spin_unlock(&p->ports_lock);
	if (first)
		pr_info("partition '%s': vCPU %u %s unassigned guest-physical "
			"%#lx (no device: reads all ones, writes dropped)%s",
			p->cfg.name, v->index, write ? "writes" : "reads", gpa,
			last ? "; further pages are not logged" : "");
}

/* One access of len (1-16) bytes at guest-physical gpa, all of it in one
 * page outside RAM. */
static void device_access(struct vcpu *v, u64 gpa, u8 *buf, u32 len, bool write)
{
	if (vlapic_mmio_claims(v, gpa)) {
		u32 off = gpa & ~PAGE_MASK;

		for (u32 done = 0; done < len; done += 8) {
			u32 n = MIN(8u, len - done);
			u64 val = 0;

			if (write) {
				memcpy(&val, buf + done, n);
				vlapic_mmio_write(v, off + done, n, val);
			} else {
				val = vlapic_mmio_read(v, off + done, n);
				memcpy(buf + done, &val, n);
			}
		}
		return;
	}
	log_unassigned(v, gpa, write);
	if (!write)
		memset(buf, 0xff, len);
}

static void stop(struct mmio_ctx *c, const char *what, u64 linear)
{
	partition_stop(c->v->part, STATUS_UNHANDLED,
		       "vCPU %u: the instruction at RIP %#lx %s (address "
		       "%#lx)",
		       c->v->index, vmread(GUEST_RIP), what, linear);
	c->stopped = true;
}

/* Translate the page of linear; EMU_FAULT after injecting the guest's #PF
 * or stopping the partition. */
static int translate(struct mmio_ctx *c, u64 linear, bool write, u64 *gpa)
{
	int ret = mmu_translate_any(c->v, linear, write, gpa);

	if (ret == MMU_XLATE_FAULT)
		return EMU_FAULT;
	if (ret) {
		stop(c, "makes a device access whose page walk fails", linear);
		return EMU_FAULT;
	}
	return EMU_OK;
}

static int mmio_fetch(void *opaque, u64 linear, void *buf, u32 len)
{
	struct mmio_ctx *c = opaque;
	u8 *b = buf;

	while (len) {
		u32 n = MIN(len, (u32)(PAGE_SIZE - (linear & ~PAGE_MASK)));
		u64 gpa;

		if (translate(c, linear, false, &gpa))
			return EMU_FAULT;
		if (guest_read(c->v->part, gpa, b, n)) {
			stop(c, "is fetched from outside RAM", linear);
			return EMU_FAULT;
		}
		linear += n;
		b += n;
		len -= n;
	}
	return EMU_OK;
}

static int mmio_access(struct mmio_ctx *c, u64 linear, void *buf, u32 len,
		       bool write)
{
	u32 first = MIN(len, (u32)(PAGE_SIZE - (linear & ~PAGE_MASK)));
	u32 part_len[2] = {first, len - first};
	u64 gpa[2];
	u8 *b = buf;

	/* Translate both pages first: a fault on the second leaves the
	 * first untouched, as on the processor. */
	for (u32 k = 0; k < 2 && part_len[k]; k++) {
		if (translate(c, linear + (k ? first : 0), write, &gpa[k]))
			return EMU_FAULT;
		if (gpa_to_hva(c->v->part, gpa[k])) {
			stop(c, "accesses device memory and RAM at once",
			     linear);
			return EMU_FAULT;
		}
	}
	for (u32 k = 0; k < 2 && part_len[k]; k++) {
		device_access(c->v, gpa[k], b, part_len[k], write);
		b += part_len[k];
	}
	return EMU_OK;
}

static int mmio_read(void *opaque, u64 linear, void *buf, u32 len)
{
	struct mmio_ctx *c = opaque;

	if (mmio_access(c, linear, buf, len, false))
		return EMU_FAULT;
	memcpy(c->read_val, buf, MIN(len, (u32)sizeof(c->read_val)));
	c->have_read = true;
	return EMU_OK;
}

static int mmio_write(void *opaque, u64 linear, const void *buf, u32 len)
{
	return mmio_access(opaque, linear, (void *)buf, len, true);
}

/*
 * A locked read-modify-write of device memory: one read and at most one
 * write, as the processor makes them. The emulator's read-modify-write
 * loop (rmw() in vmm/emulate.c) reads, computes, then asks this to store
 * if memory still holds what it read, and reads again if not: right for
 * RAM that another CPU writes, wrong for a device, where each read is an
 * access of its own and may give a new value every time (the APIC
 * timer's current count does), so the loop need never end. The value the
 * instruction already read is what the device held; only an instruction
 * that has not read yet (CMPXCHG, CMPXCHG8B) reads now.
 */
static int mmio_cmpxchg(void *opaque, u64 linear, const void *old,
			const void *new, void *cur, u32 len)
{
	struct mmio_ctx *c = opaque;

	if (!c->have_read && mmio_read(c, linear, cur, len))
		return EMU_FAULT;
	memcpy(cur, c->read_val, len);
	if (memcmp(cur, old, len))
		return EMU_OK;
	return mmio_write(c, linear, new, len);
}

void mmio_fault(struct vcpu *v, u64 gva, u64 gpa, u32 error_code)
{
	struct mmio_ctx c = {.v = v};
	struct emu_ops ops = {
		.fetch = mmio_fetch,
		.read = mmio_read,
		.write = mmio_write,
		.cmpxchg = mmio_cmpxchg,
		.opaque = &c,
	};
	enum emu_mode mode = vmexit_emu_mode();
	char bytes[EMU_BYTES_BUF];
	struct emu_insn insn;
	struct emu_regs regs;
	enum emu_result r;

	if (error_code & X86_PF_ID) {
		stop(&c, "jumps to device memory (code outside RAM)", gpa);
		return;
	}
	if (vmread(IDT_VECTORING_INFO) & INTR_INFO_VALID) {
		/* The processor itself touched device memory delivering an
		 * event (an IDT, GDT or stack there): no instruction to
		 * emulate. */
		stop(&c, "delivers an event through device memory", gpa);
		return;
	}
	vmexit_emu_regs_load(v, &regs);
	r = emu_decode(mode, &regs, &ops, &insn);
	if (r == EMU_FAULTED)
		return;
	/* The instruction at RIP must be the one that faulted; otherwise
	 * the access was one the processor made for it (a descriptor, a
	 * stack push), which Shade does not emulate. */
	if (r == EMU_DONE && (!(insn.mem_read || insn.mem_write) ||
			      gva - insn.linear >= insn.mem_size))
		r = EMU_UNHANDLED;
	if (r == EMU_DONE)
		r = emu_execute(mode, &regs, &ops, &insn);
	switch (r) {
	case EMU_DONE:
		vmexit_emu_regs_store(v, &regs);
		return;
	case EMU_FAULTED:
		return; /* the guest's #PF is injected, or v's partition
			 * stopped */
	case EMU_UNHANDLED:
		partition_stop(v->part, STATUS_UNHANDLED,
			       "vCPU %u: the instruction at RIP %#lx (bytes "
			       "%s) accesses device memory at guest-physical "
			       "%#lx, and Shade cannot emulate it",
			       v->index, vmread(GUEST_RIP),
			       vmexit_emu_bytes(&insn, bytes, sizeof(bytes)),
			       gpa);
		return;
	}
}
