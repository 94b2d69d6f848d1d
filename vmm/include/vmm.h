/* SPDX-License-Identifier: MIT */
/*
 * Partitions and vCPUs: the objects of Shade's VT-x layer.
 *
 * A partition is one guest: its configuration (contract section 2), its
 * memory slots (guest-physical pages and the host frames behind them), its
 * vCPUs, each pinned to one physical CPU, its console line buffer and its
 * statistics. A physical CPU runs at most one vCPU, for good: there is no
 * scheduler, which is what static partitioning means.
 *
 * Partitions are created at boot and never freed: a stopped partition's
 * memory stays available to control partitions (contract section 5).
 */
#ifndef SHADE_VMM_H
#define SHADE_VMM_H

#include "types.h"
#include "spinlock.h"
#include "config.h"
#include "loader.h"
#include "bootinfo.h"
#include "mmu.h"
#include "dirtylog.h"
#include "vlapic.h"
#include "vlegacy.h"

#define MAX_PARTITIONS	    BOOT_MAX_MODULES
#define PARTITION_MAX_SLOTS 1
#define PCONSOLE_LINE_MAX   160

/* Statuses Shade gives a partition it stops itself (contract section 4:
 * non-zero, with a one-line reason on the console). */
#define STATUS_TRIPLE_FAULT 255
#define STATUS_ALL_HALTED   254
#define STATUS_UNHANDLED    253
#define STATUS_ENTRY_FAILED 252

/* Guest general registers the VM-exit stub saves (vmm/vmx_entry.S); RSP
 * and RIP live in the VMCS. CR2 is not part of the VMCS either, so the
 * stub switches it too. Offsets are fixed by asm-offsets.h. */
struct guest_regs {
	u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 cr2;
};

struct memslot {
	gfn_t base_gfn;
	u64 npages;
	hfn_t *hfns; /* host frame behind each guest page */
	u32 flags;
	struct slot_dirty_log log; /* dirtylog/dirtylog.c */
};

enum vcpu_state {
	VCPU_NOT_STARTED,    /* a secondary vCPU before HC_VCPU_START */
	VCPU_RUNNABLE,	     /* started, its physical CPU will enter it */
	VCPU_HALTED_IRQ_OFF, /* HLT with interrupts disabled: for good */
	VCPU_STOPPED,	     /* its partition stopped */
};

struct partition;

struct vcpu {
	struct partition *part;
	u32 index;	       /* vCPU number inside the partition */
	u32 pcpu;	       /* the physical CPU it is pinned to */
	enum vcpu_state state; /* written under part->lock */
	struct guest_regs regs;
	hpa_t vmcs;
	bool set_up;   /* VMCS written on its physical CPU */
	bool launched; /* VMLAUNCH done; VMRESUME from now on */
	/* Entry state: the loader's for vCPU 0 (loader_entry_state()),
	 * HC_VCPU_START's for the others (loader_entry_flat()). */
	struct loader_entry start;
	u16 vpid;

	/* The guest's view of the control registers it thinks it has; the
	 * real ones in the VMCS differ (paging forced on, VMXE set). */
	u64 cr0, cr3, cr4, efer;
	u64 pat; /* IA32_PAT as the guest set it */

	u64 exits;

	struct vcpu_mmu mmu; /* shadow roots, TLB flush requests */

	struct vlapic lapic; /* vmm/vlapic.c */
	/* HLT with interrupts on, waiting in the HLT activity state for an
	 * interrupt (vmm/vintr.c); written by its own CPU, read by the
	 * other vCPUs' HLT exits. */
	bool halted;
	bool window_exiting; /* interrupt-window exiting is on */
};

/* The registers of the partition's 16550 a guest can read back. */
struct vuart {
	u8 lcr, mcr, scr, ier;
};

/* The first eleven are HC_STATS's struct shade_stats (contract section
 * 5), in its order; the rest are Shade's own, for the console. */
struct partition_stats {
	u64 vm_exits;
	u64 shadow_pages_in_use;
	u64 shadow_faults; /* page faults the shadow MMU fixed */
	u64 dirty_get_calls;
	u64 dirty_get_rmap_calls;
	u64 dirty_get_walk_calls;
	u64 dirty_pages_reported;
	u64 last_get_cycles;
	u64 last_get_write_protect_cycles;
	u64 tlb_shootdown_rounds;
	u64 tlb_shootdown_ipis;

	u64 guest_page_faults;	    /* #PF handed to the guest */
	u64 shadow_emulated_writes; /* guest page-table writes emulated */
	u64 shadow_unshadowed;	    /* tables Shade stopped shadowing */
};

struct partition {
	u32 id; /* 1-based, in module order */
	struct partition_config cfg;
	bool running; /* false once stopped; read without the lock */

	struct memslot slots[PARTITION_MAX_SLOTS];
	u32 nslots;
	struct vcpu *vcpus; /* cfg.ncpus of them */

	struct mmu mmu;	  /* the shadow MMU (vmm/mmu.c) */
	u32 dirty_policy; /* enum dirtylog_policy, HC_DIRTY_LOG_POLICY */

	spinlock_t lock; /* protects vcpu states, stopping and status */
	bool stopping;
	u32 status;

	spinlock_t console_lock; /* protects line and line_len */
	char line[PCONSOLE_LINE_MAX];
	u32 line_len;

	struct vuart uart; /* written by the vCPUs' I/O exits, unlocked */
	u8 *ports_seen;	   /* bitmap: unassigned ports already logged */
	/* Consecutive first accesses are logged as one range; ports_lock
	 * protects the range not yet printed (vmm/io.c). */
	spinlock_t ports_lock;
	bool ports_open;
	u16 ports_lo, ports_hi;
	struct partition_stats stats;

	/* The legacy devices (include/vlegacy.h), under vdev_lock. */
	spinlock_t vdev_lock;
	struct vlegacy legacy;
	/* Unassigned device pages already logged (vmm/mmio.c), under
	 * ports_lock. */
	u64 mmio_seen[16];
	u32 nmmio_seen;
};

extern struct partition partitions[MAX_PARTITIONS];
extern u32 nr_partitions;

/* vmm/partition.c */
/* Create every partition the modules describe and start their boot vCPUs;
 * returns how many configurations were refused. Boot CPU. */
u32 partitions_create(const struct boot_info *bi);
/* Stop a partition with a status and a reason (printed); idempotent. Any
 * CPU; do not hold part->lock. */
__printf(3, 4) void partition_stop(struct partition *p, u32 status,
				   const char *fmt, ...);
/* The guest wrote status to port 0xf4. */
void partition_exit(struct partition *p, u32 status);
struct partition *partition_find(const char *name, u32 len);
struct partition *partition_by_id(u32 id);
/* The count of partitions still running hits zero: final line, power off. */
void partitions_start_all(u32 bad_configs);

/* vmm/vcpu.c */
/* Every CPU's loop once boot is done: run this CPU's vCPU when it is
 * runnable, halt otherwise. Never returns. */
__noreturn void vcpu_cpu_loop(void);
/* Interrupt the physical CPU of v (a vCPU of another CPU) and wait until
 * it has taken the interrupt; state changes made before are then seen. */
void vcpu_wake(struct vcpu *v);

/* vmm/io.c: print the pending range of first port accesses. */
void io_flush_port_log(struct partition *p);

/* vmm/pconsole.c */
void pconsole_putc(struct partition *p, char c);
void pconsole_flush(struct partition *p);

/* vmm/guest_mem.c */
int memslot_alloc(struct memslot *s, u64 bytes);
void memslot_free(struct memslot *s);
/* Host pointer to guest-physical gpa, or NULL if outside RAM. */
void *gpa_to_hva(struct partition *p, gpa_t gpa);
/* Copy to/from guest-physical memory; -EFAULT unless [gpa, gpa+len) lies
 * wholly in the partition's RAM. guest_write is the one path by which
 * Shade writes guest memory (dirty logging hooks in here). */
int guest_read(struct partition *p, gpa_t gpa, void *dst, u64 len);
int guest_write(struct partition *p, gpa_t gpa, const void *src, u64 len);
/* Shade wrote [gpa, gpa + len) of guest RAM on the guest's behalf by
 * another path (an emulated instruction, an accessed/dirty flag): the
 * one helper that logs such writes for dirty logging. guest_write()
 * calls it too. */
void guest_mark_written(struct partition *p, gpa_t gpa, u64 len);
bool gpa_range_ok(struct partition *p, gpa_t gpa, u64 len);

#endif
