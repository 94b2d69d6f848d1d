/* SPDX-License-Identifier: MIT */
/*
 * Included before anything else in every file of the native benchmark
 * (gcc -include), Shade's sources included: two of Shade's inline
 * wrappers are replaced for a Linux process, and everything else in
 * their headers stays Shade's own. Each real header is included here
 * first under renamed functions, so its include guard is set and later
 * #include lines find nothing more to do.
 *
 *  - asm.h: irq_enable() and irq_disable() execute STI and CLI, which
 *    fault outside ring 0. The harness takes no interrupts (its second
 *    thread, in the latency phase, is another vCPU, not an interrupt),
 *    so "interrupts on while waiting for a lock" has nothing to do: they
 *    become compiler barriers.
 *
 *  - spinlock.h: spin_lock() and spin_unlock() call Shade's ticket lock
 *    as they are, plus a hook on one watched lock (the benchmarked
 *    partition's MMU lock), so that the harness can time every hold
 *    (probes.c; only the holds of the thread that watches count). With
 *    no lock watched the hook is one compare. cpu_relax() yields the CPU
 *    every 256 spins (below).
 *
 * Proposed for Shade instead of the second wrapper: an MMU_LOCK_HOOK in
 * mmu_lock()/mmu_unlock() that Shade defines empty (README.md).
 */
#ifndef BENCH_HOST_HOOKS_H
#define BENCH_HOST_HOOKS_H

#define irq_enable  shade_hw_irq_enable
#define irq_disable shade_hw_irq_disable
#include "../../arch/x86/include/asm.h"
#undef irq_enable
#undef irq_disable

static inline void irq_enable(void)
{
	__asm__ volatile("" : : : "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("" : : : "memory");
}

#define spin_lock   shade_spin_lock
#define spin_unlock shade_spin_unlock
#define cpu_relax   shade_cpu_relax
#include "../../include/spinlock.h"
#undef spin_lock
#undef spin_unlock
#undef cpu_relax

/*
 * A waiter gives its CPU up now and then. In Shade a lock holder runs
 * with interrupts off and is never descheduled; here, in the latency
 * phase, two threads share a machine that may have no CPU to spare, and
 * a waiter spinning on the CPU its holder needs would stretch the hold
 * to a scheduler tick.
 */
int sched_yield(void);
static inline void cpu_relax(void)
{
	static __thread u32 spins;

	__builtin_ia32_pause();
	if (++spins % 256 == 0)
		sched_yield();
}

/* The lock whose holds are timed, or NULL (probes.c). */
extern spinlock_t *bench_watched_lock;
void bench_lock_taken(void);
void bench_lock_dropping(void);

static inline bool bench_is_watched(spinlock_t *l)
{
	return l == __atomic_load_n(&bench_watched_lock, __ATOMIC_RELAXED);
}

static inline void spin_lock(spinlock_t *l)
{
	shade_spin_lock(l);
	if (__builtin_expect(bench_is_watched(l), 0))
		bench_lock_taken();
}

static inline void spin_unlock(spinlock_t *l)
{
	if (__builtin_expect(bench_is_watched(l), 0))
		bench_lock_dropping();
	shade_spin_unlock(l);
}

#endif
