// SPDX-License-Identifier: MIT
/*
 * The benchmark's guest: a partition and two vCPUs built by hand the way
 * vmm/partition_create.c would (zeroed, named, slot 0 = all of its RAM,
 * mmu_init(), mmu_vcpu_init(), then the paging state and
 * mmu_reset_context()), and a second partition standing for the control
 * partition that calls HC_DIRTY_LOG_GET and receives the bitmap.
 *
 * Guest RAM. A slot's hfns[] gives the host frame behind each guest
 * frame. The first BENCH_FIRST_TEST_PAGE guest frames (the guest's page
 * tables live there) get frames of their own; every other guest frame is
 * backed by one of a small pool of host frames, shared. Nothing reads or
 * writes guest data pages here (there is no guest code running: the
 * harness makes the page faults itself), and the MMU keys everything by
 * guest frame, so sharing changes no work Shade does; it lets a 64 GiB
 * slot fit in a few hundred MiB. The control partition's RAM is real
 * (Shade's memslot_alloc()), because the copy-out writes it.
 *
 * Paging modes. With paging off the guest-physical address is the
 * virtual one and every fault is a shadow fault; that covers slots up to
 * 4 GiB. Larger slots need a 4-level guest: its own tables identity-map
 * the slot with 1 GiB pages where the processor has them (else 2 MiB),
 * accessed and dirty flags preset, so the guest tables take a few frames
 * and the shadow below the large pages is direct 4 KiB pages, as with
 * paging off.
 *
 * Context: the harness's main thread (vm_page_writable(): any thread).
 */
#include <stdio.h>
#include <string.h>

#include "vmm.h"
#include "x86.h"
#include "pmm.h"
#include "paging.h"
#include "bench.h"

#define DATA_POOL_FRAMES 512
#define GUEST_PML4_GFN	 16 /* then the PDPT, then the PDs */
#define LARGE_LEAF	 (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS)
#define TABLE_LINK	 (PTE_P | PTE_RW | PTE_A)

static hpa_t frames(u64 n)
{
	hpa_t pa;

	if (pmm_alloc(&host_pmm, n, 1, 0, &pa))
		bench_die("the arena is out of frames (%lu wanted)", n);
	memset((void *)hpa_to_hva(pa), 0, n * PAGE_SIZE);
	return pa;
}

static void partition_init(struct partition *p, const char *name, u64 bytes)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->cfg.name, sizeof(p->cfg.name), "%s", name);
	p->cfg.mem_bytes = bytes;
	p->cfg.ncpus = 1;
	p->nslots = 1;
	p->running = true;
	spin_init(&p->lock, "partition");
	spin_init(&p->console_lock, "console");
	spin_init(&p->ports_lock, "ports");
	spin_init(&p->slots[0].log.lock, "dirty log");
}

/* Slot 0 of the guest: own frames below the test pages, the pool above. */
static void guest_slot_init(struct memslot *s, u64 npages)
{
	u64 low = MIN(npages, (u64)BENCH_FIRST_TEST_PAGE);
	hfn_t low_hfn, pool_hfn;

	s->hfns = (hfn_t *)hpa_to_hva(
		frames(DIV_ROUND_UP(npages * sizeof(hfn_t), PAGE_SIZE)));
	s->base_gfn = 0;
	s->npages = npages;
	low_hfn = frames(low) >> PAGE_SHIFT;
	pool_hfn = frames(DATA_POOL_FRAMES) >> PAGE_SHIFT;
	for (u64 g = 0; g < npages; g++)
		s->hfns[g] =
			g < low ? low_hfn + g : pool_hfn + g % DATA_POOL_FRAMES;
}

static u64 *guest_page(struct bench_vm *vm, gfn_t gfn)
{
	return gpa_to_hva(&vm->p, gfn << PAGE_SHIFT);
}

/* The guest's own tables: an identity map of the slot with large pages. */
static void build_guest_tables(struct bench_vm *vm)
{
	u64 bytes = vm->npages << PAGE_SHIFT;
	u64 page = 1ULL << vm->guest_page_shift;
	u64 *pml4 = guest_page(vm, GUEST_PML4_GFN);
	u64 *pdpt = guest_page(vm, GUEST_PML4_GFN + 1);
	gfn_t pd_gfn = GUEST_PML4_GFN + 2;

	if (bytes > 512 * GiB)
		bench_die("4-level guests here map at most 512 GiB");
	pml4[0] = ((GUEST_PML4_GFN + 1) << PAGE_SHIFT) | TABLE_LINK;
	for (u64 gib = 0; gib < DIV_ROUND_UP(bytes, GiB); gib++) {
		u64 *pd;

		if (page == GiB) {
			pdpt[gib] = (gib * GiB) | LARGE_LEAF;
			continue;
		}
		if (pd_gfn + gib >= BENCH_FIRST_TEST_PAGE)
			bench_die("the guest's page directories do not fit "
				  "below page %u",
				  BENCH_FIRST_TEST_PAGE);
		pdpt[gib] = ((pd_gfn + gib) << PAGE_SHIFT) | TABLE_LINK;
		pd = guest_page(vm, pd_gfn + gib);
		for (u64 i = 0; i < 512 && gib * GiB + i * page < bytes; i++)
			pd[i] = (gib * GiB + i * page) | LARGE_LEAF;
	}
}

static void set_paging(struct bench_vm *vm)
{
	for (u32 i = 0; i < ARRAY_SIZE(vm->vcpus); i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
		v->cr4 = 0;
		v->efer = 0;
		if (vm->mode == VM_4LEVEL) {
			if (i == 0) {
				vm->guest_page_shift = vm->p.mmu.has_1g_pages
							       ? HUGE_SHIFT
							       : LARGE_SHIFT;
				build_guest_tables(vm);
			}
			v->cr0 |= X86_CR0_PG | X86_CR0_WP;
			v->cr4 = X86_CR4_PAE;
			v->efer = EFER_LME | EFER_LMA;
			v->cr3 = GUEST_PML4_GFN << PAGE_SHIFT;
		}
		if (mmu_reset_context(v))
			bench_die("mmu_reset_context failed");
	}
}

/* The control partition: RAM for the bitmap, through Shade's allocator. */
static void caller_init(struct bench_vm *vm)
{
	u64 bytes = MAX(ALIGN_UP(vm->bitmap_bytes, PAGE_SIZE), 2 * MiB);

	partition_init(&vm->caller, "control", bytes);
	if (memslot_alloc(&vm->caller.slots[0], bytes))
		bench_die("memslot_alloc for the control partition failed");
	if (mmu_init(&vm->caller))
		bench_die("mmu_init for the control partition failed");
}

void vm_create(struct bench_vm *vm, u64 slot_bytes, enum vm_mode mode)
{
	memset(vm, 0, sizeof(*vm));
	vm->mode = mode;
	vm->npages = slot_bytes >> PAGE_SHIFT;
	vm->bitmap_bytes = dirty_bitmap_bytes(vm->npages);
	if (mode == VM_NONPAGING && slot_bytes > 4 * GiB)
		bench_die("a guest with paging off reaches only 4 GiB");

	partition_init(&vm->p, "bench", slot_bytes);
	guest_slot_init(&vm->p.slots[0], vm->npages);
	vm->p.cfg.ncpus = ARRAY_SIZE(vm->vcpus);
	vm->p.vcpus = vm->vcpus;
	vm->v = &vm->vcpus[0];
	vm->v1 = &vm->vcpus[1];
	if (mmu_init(&vm->p))
		bench_die("mmu_init failed");
	for (u32 i = 0; i < ARRAY_SIZE(vm->vcpus); i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->part = &vm->p;
		v->index = i;
		v->pcpu = i;
		v->state = VCPU_RUNNABLE;
		if (mmu_vcpu_init(v))
			bench_die("mmu_vcpu_init failed");
	}
	set_paging(vm);
	caller_init(vm);
}

const char *vm_mode_name(const struct bench_vm *vm)
{
	if (vm->mode == VM_NONPAGING)
		return "paging-off";
	return vm->guest_page_shift == HUGE_SHIFT ? "4-level/1G" : "4-level/2M";
}

void vm_touch_all(struct bench_vm *vm)
{
	for (gfn_t g = 0; g < vm->npages; g++)
		mmu_page_fault(vm->v, g << PAGE_SHIFT, 0);
}

void vm_write_pages(struct bench_vm *vm, u64 first, u64 count, u64 stride)
{
	for (u64 k = 0; k < count; k++)
		mmu_page_fault(vm->v, (first + k * stride) << PAGE_SHIFT,
			       X86_PF_P | X86_PF_WR);
}

bool vm_page_writable(struct bench_vm *vm, gfn_t gfn)
{
	unsigned long h =
		__atomic_load_n(&vm->p.mmu.rmaps[gfn].val, __ATOMIC_ACQUIRE);

	/* One mapping per page here: the head is the spte's address. */
	if (!h || (h & RMAP_HEAD_MANY))
		return false;
	return __atomic_load_n((u64 *)h, __ATOMIC_ACQUIRE) & PTE_RW;
}
