// SPDX-License-Identifier: MIT
/*
 * A guest writing one of its own page tables (docs/shadow-mmu.md).
 *
 * Shade keeps every guest page table write-protected, so such a write
 * faults; mmu_page_fault() (vmm/mmu_fault.c) hands it here. The faulting
 * instruction runs through the emulator (vmm/emulate.c), whose memory
 * accesses go through the guest's own translation; the shadow entries the
 * write changes are dropped (mmu_pte_written). A table written over and
 * over without a fault walking through its shadow (write flooding: the
 * guest freed it and reuses the frame as data), or an instruction the
 * emulator does not know, makes Shade unshadow the frame and let the
 * instruction run again natively, unless the frame is on the walk that
 * translates the write itself: then only emulation can make progress.
 *
 * Context: the vCPU's physical CPU, its VMCS current, the MMU lock held.
 */
#include "mmu_internal.h"
#include "gpt.h"
#include "emulate.h"
#include "exit.h"
#include "vmcs.h"
#include "vmx.h"
#include "kstring.h"
#include "printk.h"

/* Emulated writes to a page table, with no fault walking through it in
 * between, after which Shade stops shadowing it (KVM uses 3 as well). */
#define WRITE_FLOOD_LIMIT 3

struct emu_ctx {
	struct vcpu *v;
	struct gpt_ctx gctx;
	bool user;   /* the access is a user-mode one (CPL 3) */
	bool failed; /* the partition was stopped */
};

/* Translate one page's worth of an access; EMU_FAULT after injecting the
 * guest's #PF or stopping the partition. */
static int translate(struct emu_ctx *e, u64 linear, bool write, bool fetch,
		     gpa_t *gpa)
{
	struct gpt_access acc = {
		.write = write, .user = e->user, .fetch = fetch};
	struct gpt_walk w;
	int ret;

	if (e->v->mmu.gmode != MMU_GMODE_4LEVEL)
		linear = (u32)linear;
	ret = gpt_walk(&e->gctx, linear, &acc, &w);
	if (ret == GPT_FAULT) {
		mmu_inject_pf(e->v, linear, w.error_code);
		return EMU_FAULT;
	}
	if (ret || !gpa_to_hva(e->v->part, w.gpa)) {
		partition_stop(e->v->part, STATUS_UNHANDLED,
			       "vCPU %u: emulated access to %#lx (guest-"
			       "physical %#lx) at RIP %#lx is outside RAM",
			       e->v->index, linear, w.gpa, vmread(GUEST_RIP));
		e->failed = true;
		return EMU_FAULT;
	}
	*gpa = w.gpa;
	return EMU_OK;
}

/*
 * An access of at most 16 bytes touches one page or two. Both are
 * translated before anything is written, so that a write whose second
 * page faults leaves memory as it was, as on the processor.
 */
static int emu_access(struct emu_ctx *e, u64 linear, void *buf, u32 len,
		      bool write, bool fetch)
{
	struct partition *p = e->v->part;
	u32 first = MIN(len, (u32)(PAGE_SIZE - (linear & ~PAGE_MASK)));
	u32 part_len[2] = {first, len - first};
	gpa_t gpa[2];
	u8 *b = buf;

	for (u32 k = 0; k < 2 && part_len[k]; k++)
		if (translate(e, linear + (k ? first : 0), write, fetch,
			      &gpa[k]))
			return EMU_FAULT;
	for (u32 k = 0; k < 2 && part_len[k]; k++) {
		u8 *h = gpa_to_hva(p, gpa[k]);

		if (!write) {
			memcpy(b, h, part_len[k]);
		} else {
			guest_mark_written(p, gpa[k], part_len[k]);
			memcpy(h, b, part_len[k]);
			if (mmu_gfn_tracked(p, gpa[k] >> PAGE_SHIFT))
				mmu_pte_written(p, gpa[k], part_len[k],
						&e->v->mmu.rmap_cache);
		}
		b += part_len[k];
	}
	return EMU_OK;
}

static int emu_fetch(void *opaque, u64 linear, void *buf, u32 len)
{
	return emu_access(opaque, linear, buf, len, false, true);
}

static int emu_read(void *opaque, u64 linear, void *buf, u32 len)
{
	return emu_access(opaque, linear, buf, len, false, false);
}

static int emu_write(void *opaque, u64 linear, const void *buf, u32 len)
{
	return emu_access(opaque, linear, (void *)buf, len, true, false);
}

static bool cmpxchg_host(void *h, const void *old, const void *new, void *cur,
			 u32 len)
{
	switch (len) {
	case 1: {
		u8 o = *(const u8 *)old;
		bool ok = __atomic_compare_exchange_n(
			(u8 *)h, &o, *(const u8 *)new, false, __ATOMIC_SEQ_CST,
			__ATOMIC_SEQ_CST);
		*(u8 *)cur = o;
		return ok;
	}
	case 2: {
		u16 o = *(const u16 *)old;
		bool ok = __atomic_compare_exchange_n(
			(u16 *)h, &o, *(const u16 *)new, false,
			__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*(u16 *)cur = o;
		return ok;
	}
	case 4: {
		u32 o = *(const u32 *)old;
		bool ok = __atomic_compare_exchange_n(
			(u32 *)h, &o, *(const u32 *)new, false,
			__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*(u32 *)cur = o;
		return ok;
	}
	default: {
		u64 o = *(const u64 *)old;
		bool ok = __atomic_compare_exchange_n(
			(u64 *)h, &o, *(const u64 *)new, false,
			__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		*(u64 *)cur = o;
		return ok;
	}
	}
}

/*
 * One atomic compare-and-exchange in guest memory. An operand that
 * crosses a page, or 16 bytes wide, is done as read, compare, write: the
 * MMU lock keeps other emulated writers out, though not the guest's own
 * direct stores (a split locked access is not atomic on every processor
 * either).
 */
static int emu_cmpxchg(void *opaque, u64 linear, const void *old,
		       const void *new, void *cur, u32 len)
{
	struct emu_ctx *e = opaque;
	struct partition *p = e->v->part;
	gpa_t gpa;

	if (len <= 8 && ((linear & ~PAGE_MASK) + len) <= PAGE_SIZE) {
		if (translate(e, linear, true, false, &gpa))
			return EMU_FAULT;
		guest_mark_written(p, gpa, len);
		if (!cmpxchg_host(gpa_to_hva(p, gpa), old, new, cur, len))
			return EMU_OK;
		if (mmu_gfn_tracked(p, gpa >> PAGE_SHIFT))
			mmu_pte_written(p, gpa, len, &e->v->mmu.rmap_cache);
		return EMU_OK;
	}
	if (emu_read(e, linear, cur, len))
		return EMU_FAULT;
	if (memcmp(cur, old, len))
		return EMU_OK;
	return emu_write(e, linear, new, len);
}

static const struct emu_ops emu_ops = {
	.fetch = emu_fetch,
	.read = emu_read,
	.write = emu_write,
	.cmpxchg = emu_cmpxchg,
};

static void stop_unemulated(struct vcpu *v, const struct emu_insn *insn,
			    gpa_t gpa)
{
	char bytes[EMU_BYTES_BUF];

	partition_stop(v->part, STATUS_UNHANDLED,
		       "vCPU %u: the instruction at RIP %#lx (bytes %s) "
		       "writes the page table at guest-physical %#lx through "
		       "a mapping that the same table provides, and Shade "
		       "cannot emulate it",
		       v->index, vmread(GUEST_RIP),
		       vmexit_emu_bytes(insn, bytes, sizeof(bytes)), gpa);
}

/* Is gfn one of the guest tables the walk went through (not counting the
 * PAE PDPT, which the processor reads only at CR3 load)? */
bool mmu_on_walk_path(struct vcpu *v, const struct gpt_walk *w, gfn_t gfn)
{
	for (u32 l = w->stop_level; l <= w->top_level; l++) {
		if (v->mmu.gmode == MMU_GMODE_PAE && l == GPT_LEVEL_PDPT)
			continue;
		if (w->pte_gpa[l - 1] >> PAGE_SHIFT == gfn)
			return true;
	}
	return false;
}

/* Count an emulated write against every shadow page of gfn; true if one
 * of them has seen too many without being used. */
static bool write_flooded(struct partition *p, gfn_t gfn)
{
	struct mmu_page *sp;
	bool flooded = false;

	for_each_gfn_page(p, gfn, sp)
	{
		if (++sp->write_flood >= WRITE_FLOOD_LIMIT)
			flooded = true;
	}
	return flooded;
}

/*
 * The guest writes gfn, one of its page tables (its walk w allowed the
 * write). Caller holds the MMU lock.
 */
void mmu_page_table_write(struct vcpu *v, gva_t gva, const struct gpt_walk *w,
			  gfn_t gfn, bool user)
{
	struct partition *p = v->part;
	struct emu_ctx e = {.v = v, .user = user};
	struct emu_ops ops = emu_ops;
	struct emu_insn insn;
	struct emu_regs regs;
	enum emu_mode mode = vmexit_emu_mode();
	bool on_path = mmu_on_walk_path(v, w, gfn);
	enum emu_result r;

	if (write_flooded(p, gfn) && !on_path) {
		/* Written like data, not used like a table: stop
		 * shadowing it, and let the write go through directly. */
		mmu_zap_gfn(p, gfn, &v->mmu.rmap_cache);
		p->stats.shadow_unshadowed++;
		return;
	}
	mmu_gpt_ctx(v, &e.gctx);
	ops.opaque = &e;
	vmexit_emu_regs_load(v, &regs);
	r = emu_decode(mode, &regs, &ops, &insn);
	/* The instruction at RIP must be the one that faulted: one writing
	 * the faulting address. Otherwise the write was the processor's own
	 * (a descriptor's accessed bit, say), or another vCPU changed the
	 * code since: nothing to emulate. */
	if (r == EMU_DONE &&
	    (!insn.mem_write || gva - insn.linear >= insn.mem_size))
		r = EMU_UNHANDLED;
	if (r == EMU_DONE)
		r = emu_execute(mode, &regs, &ops, &insn);
	switch (r) {
	case EMU_DONE:
		vmexit_emu_regs_store(v, &regs);
		p->stats.shadow_emulated_writes++;
		return;
	case EMU_FAULTED:
		return; /* the guest's #PF is injected, or p stopped */
	case EMU_UNHANDLED:
		if (on_path) {
			stop_unemulated(v, &insn, gfn << PAGE_SHIFT);
			return;
		}
		mmu_zap_gfn(p, gfn, &v->mmu.rmap_cache);
		p->stats.shadow_unshadowed++;
		return;
	}
}
