// SPDX-License-Identifier: MIT
/*
 * The latency phase: what a vCPU feels of a GET (issue 7, item 4).
 *
 * A second thread plays vCPU 1 of the guest. It writes, over and over, a
 * window of LAT_PAGES pages of the slot; a write to a page whose shadow
 * entry is read-only (vm_page_writable(): the lock-free look a TLB miss
 * has the processor take) is a write fault, which it takes through
 * Shade's real handler, mmu_page_fault(vCPU 1, gva, P | W/R), and times.
 * Meanwhile the main thread, vCPU 0's stand-in and the control partition
 * at once, dirties d pages and takes a GET, again and again, under each
 * policy. Every GET reports the window's pages (the thread wrote them)
 * and write-protects them again, so the thread faults during the GET, on
 * each page as soon as its entry loses R/W, and waits for the MMU lock
 * whenever the GET holds it: that wait is the cost of the GET's holds to
 * a vCPU. Faults that start while a GET runs are kept apart from the
 * others.
 *
 * After the phase, every page whose entry is writable must be marked in
 * the bitmap (check_no_lost_write()): the GETs' batches dropped the MMU
 * lock while the other thread faulted, and that must lose no write.
 *
 * What is not modelled: the TLB. On hardware the window's pages stay
 * writable in the vCPU's TLB until the GET's shootdown, so fewer faults
 * fall inside the GET; here each falls as early as it can, the worst
 * case for the wait. The thread runs on whatever CPU Linux gives it, and
 * on a shared machine either thread may be descheduled: the tails include
 * that.
 *
 * Context: the harness's main thread and the one it starts here.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "x86.h"
#include "paging.h"
#include "bench.h"

#define LAT_PAGES     256
#define LAT_MAX_DIRTY (1ULL << 20) /* the GET thread's dirty pages, at most */
#define LAT_CAP	      (1u << 20)   /* faults kept per row */

struct fault_thread {
	struct bench_vm *vm;
	gfn_t first; /* the window: LAT_PAGES pages from here */
	u32 stop;
	u32 get_running; /* set by the main thread around each GET */
	u64 *during;	 /* latencies (TSC) of faults that began in a GET */
	u64 nduring;
	u64 *idle; /* the others' */
	u64 nidle;
};

static void *fault_main(void *arg)
{
	struct fault_thread *t = arg;

	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		for (u32 k = 0; k < LAT_PAGES; k++) {
			gfn_t g = t->first + k;
			bool in_get;
			u64 t0, dt;

			if (vm_page_writable(t->vm, g)) {
				__builtin_ia32_pause();
				continue;
			}
			in_get = __atomic_load_n(&t->get_running,
						 __ATOMIC_ACQUIRE);
			t0 = rdtsc();
			mmu_page_fault(t->vm->v1, g << PAGE_SHIFT,
				       X86_PF_P | X86_PF_WR);
			dt = rdtsc() - t0;
			if (in_get) {
				u64 i = __atomic_fetch_add(&t->nduring, 1,
							   __ATOMIC_RELAXED);

				if (i < LAT_CAP)
					t->during[i] = dt;
			} else if (t->nidle < LAT_CAP) {
				t->idle[t->nidle++] = dt;
			}
		}
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* gets GETs under policy after dirtying d pages each; fills row. */
static void lat_row(struct bench_vm *vm, struct fault_thread *t, u32 policy,
		    u64 d, u64 stride, u32 gets, struct lat_row *row)
{
	struct partition *p = &vm->p;
	double get_ns[64];
	u64 n;

	gets = MIN(gets, (u32)ARRAY_SIZE(get_ns));
	if (dirtylog_set_policy(p, policy))
		bench_die("policy %u refused", policy);
	*row = (struct lat_row){.policy = policy, .dirty = d, .gets = gets};
	__atomic_store_n(&t->nduring, 0, __ATOMIC_RELAXED);
	for (u32 i = 0; i < gets; i++) {
		u64 t0;
		s64 got;

		vm_write_pages(vm, BENCH_FIRST_TEST_PAGE, d, stride);
		probe_start(&p->mmu.lock,
			    dirty_bitmap_words(vm->npages) + d + LAT_PAGES +
				    p->mmu.pages_in_use * 2 * 512 /
					    DIRTYLOG_WALK_BATCH +
				    MMU_HASH_BUCKETS + 16);
		__atomic_store_n(&t->get_running, 1, __ATOMIC_RELEASE);
		t0 = now_ns();
		got = dirtylog_get(&vm->caller, p, 0, 0, vm->bitmap_bytes);
		get_ns[i] = (double)(now_ns() - t0);
		__atomic_store_n(&t->get_running, 0, __ATOMIC_RELEASE);
		probe_stop();
		if (got < (s64)d)
			bench_die("latency phase: GET reported %ld of %lu "
				  "pages",
				  got, d);
		row->hold_max_ns = MAX(row->hold_max_ns,
				       tsc_to_ns(bench_probe.lock_hold_max));
		/* Let the thread fault its window back in. */
		for (u32 w = 0; w < 200; w++)
			__builtin_ia32_pause();
	}
	qsort(get_ns, gets, sizeof(get_ns[0]), cmp_double);
	row->get_med_ns = get_ns[gets / 2];
	n = MIN(__atomic_load_n(&t->nduring, __ATOMIC_ACQUIRE), (u64)LAT_CAP);
	row->faults = n;
	if (!n)
		return;
	qsort(t->during, n, sizeof(u64), cmp_u64);
	row->med_ns = tsc_to_ns(t->during[n / 2]);
	row->p99_ns = tsc_to_ns(t->during[(n - 1) - (n - 1) / 100]);
	row->max_ns = tsc_to_ns(t->during[n - 1]);
}

/*
 * The dirty log's invariant, after GETs raced with another vCPU's faults:
 * a page whose entry is writable has its bit set (the fault marked it
 * before making the entry writable, and no GET since took the bit
 * without protecting the entry). A writable page without its bit would
 * take writes that no GET ever reports.
 */
static void check_no_lost_write(struct bench_vm *vm)
{
	const struct dirty_bitmap *bm = &vm->p.slots[0].log.bm;

	for (gfn_t g = 0; g < vm->npages; g++)
		if (vm_page_writable(vm, g) &&
		    !(dirty_bitmap_peek(bm, g / 64) & BIT(g % 64)))
			bench_die("latency phase: gfn %#lx is writable and "
				  "not marked: a write to it would be lost",
				  g);
}

void latency_phase(struct bench_vm *vm, struct bench_slot *s, u32 gets)
{
	static const u32 policies[] = {
		DIRTYLOG_POLICY_RMAP,  DIRTYLOG_POLICY_WALK,
		DIRTYLOG_POLICY_WORDS, DIRTYLOG_POLICY_SEED,
		DIRTYLOG_POLICY_AUTO,
	};
	u64 counts[LAT_DIRTY_COUNTS] = {
		1,
		MIN(32 * s->shadow_pages, s->avail),
		MIN(s->avail, LAT_MAX_DIRTY),
	};
	struct fault_thread t = {
		.vm = vm,
		/* Mid-slot, clear of the pages the main thread's small
		 * counts dirty (the first test page onwards, strided). */
		.first = BENCH_FIRST_TEST_PAGE + s->avail / 2 + 1,
	};
	pthread_t th;
	u64 t0 = now_ns();

	t.during = malloc(LAT_CAP * sizeof(u64));
	t.idle = malloc(LAT_CAP * sizeof(u64));
	if (!t.during || !t.idle)
		bench_die("out of memory for the latency phase");
	if (pthread_create(&th, NULL, fault_main, &t))
		bench_die("pthread_create failed");
	s->nlat = 0;
	for (u32 c = 0; c < LAT_DIRTY_COUNTS; c++) {
		if (c && counts[c] == counts[c - 1])
			continue;
		for (u32 k = 0; k < ARRAY_SIZE(policies); k++)
			lat_row(vm, &t, policies[k], counts[c],
				s->avail / counts[c], gets, &s->lat[s->nlat++]);
	}
	__atomic_store_n(&t.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	check_no_lost_write(vm);
	s->idle_fault_ns = 0;
	if (t.nidle) {
		qsort(t.idle, t.nidle, sizeof(u64), cmp_u64);
		s->idle_fault_ns = tsc_to_ns(t.idle[t.nidle / 2]);
	}
	free(t.during);
	free(t.idle);
	/* Leave the log as the sweep did: empty, every page read-only. */
	dirtylog_get(&vm->caller, &vm->p, 0, 0, vm->bitmap_bytes);
	fprintf(stderr, "  latency phase: %u rows, %.1f s\n", s->nlat,
		(double)(now_ns() - t0) / 1e9);
}
