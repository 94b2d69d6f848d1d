/* SPDX-License-Identifier: MIT */
/*
 * The native dirty-log benchmark (bench/native/README.md): Shade's shadow
 * MMU and dirty log, built as a Linux program, timing whole
 * HC_DIRTY_LOG_GETs. What the harness's files offer each other.
 */
#ifndef BENCH_NATIVE_H
#define BENCH_NATIVE_H

#include <stdio.h>

#include "types.h"
#include "vmm.h"
#include "dirtylog.h"

/* Pages below this one hold the guest's own page tables (4-level guests)
 * and are never dirtied: the KVM peer leaves the same 1 MiB alone, so the
 * two sweep the same dirty counts. */
#define BENCH_FIRST_TEST_PAGE 256

/* host.c */
extern bool bench_verbose;
extern u32 bench_shade_errors; /* pr_err lines Shade printed */

/* bench.c: print the reason and exit(1); no result is written. */
__noreturn __printf(1, 2) void bench_die(const char *fmt, ...);

/* arena.c: host "physical" memory. Maps bytes of anonymous memory at a
 * fixed address below 4 GiB (hpa == hva, as in Shade) and builds
 * host_pmm over it with Shade's mm/pmm.c; any previous arena is unmapped
 * first. */
void arena_create(u64 bytes);
void arena_destroy(void);
/* Host bytes a guest of npages pages will take, shadow tables included. */
u64 arena_bytes_for(u64 npages);
/* The share of the arena's resident memory on 2 MiB pages (-1: unknown). */
double arena_huge_share(void);

/* vm.c: one guest under test, and the control partition whose memory
 * receives the bitmap. */
enum vm_mode {
	VM_NONPAGING, /* CR0.PG = 0: gva = gpa, up to 4 GiB */
	VM_4LEVEL,    /* 4-level paging, identity map with large pages */
};

struct bench_vm {
	struct partition p; /* the guest whose slot logs */
	struct vcpu vcpus[2];
	struct vcpu *v;	 /* vCPU 0: the sweep's faults */
	struct vcpu *v1; /* vCPU 1: the latency phase's faulting thread */
	struct partition caller; /* receives the bitmap (HC_DIRTY_LOG_GET's
				    caller, a control partition) */
	enum vm_mode mode;
	u32 guest_page_shift; /* 4-level: 21 or 30, the guest's large pages */
	u64 npages;
	u64 bitmap_bytes;
};

void vm_create(struct bench_vm *vm, u64 slot_bytes, enum vm_mode mode);
const char *vm_mode_name(const struct bench_vm *vm);
/* A shadow fault for every page of the slot (read: error code 0). */
void vm_touch_all(struct bench_vm *vm);
/* A write fault (P | W/R) on count pages, stride apart from first. */
void vm_write_pages(struct bench_vm *vm, u64 first, u64 count, u64 stride);
/* Is gfn's (one) shadow entry writable? A lock-free look, as a TLB miss
 * would have the processor walk the shadow tables. */
bool vm_page_writable(struct bench_vm *vm, gfn_t gfn);

/* probes.c: time stamps taken around the phases of a GET (through the
 * linker's --wrap of the functions dirtylog_get() calls) and the MMU-lock
 * hold times (through the spin_lock hook in host_hooks.h). */
struct get_probe {
	u64 harvest_start, harvest_end; /* TSC */
	u64 flush_start, flush_end;	/* 0 when no shootdown was owed */
	u64 copy_start, copy_end;
	u64 lock_holds;	   /* MMU-lock holds during the GET */
	u64 lock_hold_max; /* the longest, in TSC ticks */
	u64 lock_hold_p99; /* the 99th percentile (the longest when
			       there are fewer than 100 holds) */
	u64 lock_hold_med; /* the median hold */
};

extern struct get_probe bench_probe;
/* Watch mmu_lock until probe_stop(); max_holds bounds the holds kept.
 * Only the calling thread's holds count (another thread's faults take
 * the same lock in the latency phase). */
void probe_start(spinlock_t *mmu_lock, u64 max_holds);
void probe_stop(void);
/* The TSC's rate, measured against CLOCK_MONOTONIC, and the clocks' own
 * costs below. */
void clocks_calibrate(void);
/* What reading now_ns() or cpu_now_ns() twice measures with nothing in
 * between (subtracted from each timed GET). */
extern double wall_overhead_ns, cpu_overhead_ns;
double tsc_to_ns(u64 ticks);
u64 now_ns(void);
u64 cpu_now_ns(void); /* this thread's CPU time */

/* bench.c measures, report.c summarizes. One GET: */
struct get_sample {
	double get_ns;	    /* the whole dirtylog_get(), CLOCK_MONOTONIC */
	double cpu_ns;	    /* the same, CLOCK_THREAD_CPUTIME_ID */
	double harvest_ns;  /* dirty_bitmap_harvest() */
	double wp_ns;	    /* write protection (between harvest and flush) */
	double flush_ns;    /* mmu_flush_wp(): the shootdown round */
	double copy_ns;	    /* guest_write(): the copy-out */
	double floor_ns;    /* bitmap read + each dirty spte touched once */
	double hold_ns;	    /* the longest MMU-lock hold (99th pct.) */
	double hold_max_ns; /* the longest, outliers included */
	double hold_med_ns; /* the median hold */
	u64 holds;	    /* MMU-lock holds */
	u64 shootdowns;	    /* TLB shootdown rounds */
	bool rmap_path;	    /* the GET took the rmap path */
};

#define BENCH_POLICIES	 DIRTYLOG_POLICY_COUNT /* auto rmap walk seed words */
#define BENCH_MAX_REPS	 31
#define BENCH_MAX_POINTS 40

/* One dirty count of one slot, every policy and repetition. */
struct bench_point {
	u64 dirty;
	u32 reps;
	struct get_sample s[BENCH_POLICIES][BENCH_MAX_REPS];
};

/* The latency phase: a second thread, vCPU 1, write-faults pages while
 * the first takes GETs (latency.c). One row per policy and dirty count. */
#define LAT_DIRTY_COUNTS 3
struct lat_row {
	u32 policy;
	u64 dirty;  /* pages the GET thread dirties before each GET */
	u32 gets;   /* GETs taken */
	u64 faults; /* faults that started while a GET ran */
	double med_ns, p99_ns, max_ns; /* their latency */
	double get_med_ns;	       /* the GETs' median time meanwhile */
	double hold_max_ns;	       /* the GETs' longest MMU-lock hold */
};

/* One slot size. */
struct bench_slot {
	u64 slot_mib;
	const char *mode;
	u64 npages, avail;
	u64 shadow_pages;	   /* in use during the sweep */
	double touch_ns_per_fault; /* read faults building the shadow */
	double write_fault_ns;	   /* the write faults that dirty pages */
	double walk_floor_ns;	   /* every level-1 spte read once */
	double huge_share;	   /* of the arena, on 2 MiB pages */
	u32 audit_errors;	   /* ~0u: not audited */
	u32 npoints;
	struct bench_point pt[BENCH_MAX_POINTS];
	double idle_fault_ns; /* vCPU 1's write fault, no GET running
				 (median) */
	u32 nlat;
	struct lat_row lat[BENCH_POLICIES * LAT_DIRTY_COUNTS];
};

/* latency.c: the latency phase on the slot under test (after the sweep;
 * gets GETs per row). */
void latency_phase(struct bench_vm *vm, struct bench_slot *s, u32 gets);

/* report.c */
const char *policy_name(u32 policy);
void report_csv_header(FILE *f);
void report_csv_slot(FILE *f, const struct bench_slot *s);
void report_table(const struct bench_slot *s);
/* The KVM peer's CSV (NULL: not run, with why). */
void report_peer(const struct bench_slot *slots, u32 nslots,
		 const char *peer_csv, const char *why_not, FILE *cmp_csv);
void report_model(const struct bench_slot *slots, u32 nslots);
void report_phases(const struct bench_slot *slots, u32 nslots);
void report_holds(const struct bench_slot *slots, u32 nslots);
void report_latency(FILE *csv, const struct bench_slot *slots, u32 nslots);

#endif
