// SPDX-License-Identifier: MIT
/*
 * Time stamps inside one HC_DIRTY_LOG_GET, taken without touching Shade's
 * sources:
 *
 *  - the phases: dirtylog_get() (dirtylog/dirtylog.c) calls
 *    dirty_bitmap_harvest(), mmu_flush_wp() and guest_write() from another
 *    object file, so the link's --wrap=SYMBOL sends those calls here
 *    first; each wrapper reads the TSC around the real function. The
 *    write-protect step is what lies between the harvest's end and the
 *    shootdown (or the copy-out when no shootdown is owed).
 *
 *  - the MMU-lock holds: host_hooks.h calls bench_lock_taken() right
 *    after spin_lock() and bench_lock_dropping() right before
 *    spin_unlock() on the watched lock, which probe_start() sets to the
 *    benchmarked partition's MMU lock for the duration of one GET. Each
 *    hold's length is kept, so that besides the longest one the harness
 *    has a robust "longest": the 99th percentile once there are 100
 *    holds or more (the longest below that). On a shared virtual machine
 *    the host interrupts or deschedules the harness for tens of
 *    microseconds now and then, inside whichever hold is running; in
 *    Shade the lock is held with interrupts off. Among thousands of
 *    equal holds those few show up only in the top percent.
 *
 * Context: the harness's main thread; the lock hook runs in any thread.
 */
#include <stdlib.h>
#include <time.h>

#include "asm.h"
#include "bench.h"

struct get_probe bench_probe;
spinlock_t *bench_watched_lock;
/* Set in the thread that called probe_start(): the latency phase's
 * faulting thread takes the watched lock too, and its holds are not the
 * GET's. */
static __thread bool probing;
static __thread u64 lock_taken_at;
static double ns_per_tick;
double wall_overhead_ns, cpu_overhead_ns;

static int cmp_u64(const void *a, const void *b);

/* Every hold of one GET, for its quantiles; allocated before the GET.
 * Only the probing thread writes them. */
static u64 *holds;
static u64 holds_cap;

u64 now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (u64)t.tv_sec * 1000000000ULL + (u64)t.tv_nsec;
}

u64 cpu_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (u64)t.tv_sec * 1000000000ULL + (u64)t.tv_nsec;
}

/* The median time between two back-to-back reads of a clock: what a
 * timed interval gains from its own time stamps. */
static double clock_overhead(u64 (*clock)(void))
{
	u64 d[101];

	for (u32 i = 0; i < ARRAY_SIZE(d); i++) {
		u64 a = clock();

		d[i] = clock() - a;
	}
	qsort(d, ARRAY_SIZE(d), sizeof(d[0]), cmp_u64);
	return (double)d[ARRAY_SIZE(d) / 2];
}

void clocks_calibrate(void)
{
	u64 n0 = now_ns(), t0 = rdtsc(), n1, t1;

	do
		n1 = now_ns();
	while (n1 - n0 < 100000000ULL); /* 100 ms */
	t1 = rdtsc();
	ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
	wall_overhead_ns = clock_overhead(now_ns);
	cpu_overhead_ns = clock_overhead(cpu_now_ns);
}

double tsc_to_ns(u64 ticks)
{
	return (double)ticks * ns_per_tick;
}

void probe_start(spinlock_t *mmu_lock, u64 max_holds)
{
	if (max_holds > holds_cap) {
		free(holds);
		holds = malloc(max_holds * sizeof(*holds));
		if (!holds)
			bench_die("out of memory for %lu lock holds",
				  max_holds);
		holds_cap = max_holds;
	}
	bench_probe = (struct get_probe){0};
	probing = true;
	__atomic_store_n(&bench_watched_lock, mmu_lock, __ATOMIC_RELEASE);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return (x > y) - (x < y);
}

void probe_stop(void)
{
	u64 n = MIN(bench_probe.lock_holds, holds_cap);

	__atomic_store_n(&bench_watched_lock, NULL, __ATOMIC_RELEASE);
	probing = false;
	if (!n)
		return;
	qsort(holds, n, sizeof(*holds), cmp_u64);
	bench_probe.lock_hold_p99 = holds[(n - 1) - (n - 1) / 100];
	bench_probe.lock_hold_med = holds[n / 2];
}

void bench_lock_taken(void)
{
	lock_taken_at = rdtsc();
}

void bench_lock_dropping(void)
{
	u64 held = rdtsc() - lock_taken_at;

	if (!probing || !lock_taken_at)
		return;
	lock_taken_at = 0;

	if (bench_probe.lock_holds < holds_cap)
		holds[bench_probe.lock_holds] = held;
	bench_probe.lock_holds++;
	if (held > bench_probe.lock_hold_max)
		bench_probe.lock_hold_max = held;
}

/* The wrapped functions, declared here as the linker sees them. */
s64 __real_dirty_bitmap_harvest(struct dirty_bitmap *b, u64 *out, u64 out_words,
				dirty_bitmap_each_fn each, void *ctx);
s64 __wrap_dirty_bitmap_harvest(struct dirty_bitmap *b, u64 *out, u64 out_words,
				dirty_bitmap_each_fn each, void *ctx);
void __real_mmu_flush_wp(struct partition *p);
void __wrap_mmu_flush_wp(struct partition *p);
int __real_guest_write(struct partition *p, gpa_t gpa, const void *src,
		       u64 len);
int __wrap_guest_write(struct partition *p, gpa_t gpa, const void *src,
		       u64 len);

s64 __wrap_dirty_bitmap_harvest(struct dirty_bitmap *b, u64 *out, u64 out_words,
				dirty_bitmap_each_fn each, void *ctx)
{
	s64 ret;

	bench_probe.harvest_start = rdtsc();
	ret = __real_dirty_bitmap_harvest(b, out, out_words, each, ctx);
	bench_probe.harvest_end = rdtsc();
	return ret;
}

void __wrap_mmu_flush_wp(struct partition *p)
{
	bench_probe.flush_start = rdtsc();
	__real_mmu_flush_wp(p);
	bench_probe.flush_end = rdtsc();
}

int __wrap_guest_write(struct partition *p, gpa_t gpa, const void *src, u64 len)
{
	int ret;

	bench_probe.copy_start = rdtsc();
	ret = __real_guest_write(p, gpa, src, len);
	bench_probe.copy_end = rdtsc();
	return ret;
}
