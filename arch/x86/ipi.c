// SPDX-License-Identifier: MIT
/*
 * Cross-CPU calls over fixed-vector IPIs.
 *
 * The protocol, for one request:
 *   1. the sender fills a struct ipi_request with pending = number of
 *      targets and stores a pointer to it in each target's mailbox
 *      (percpu.ipi_req), then sends each target VECTOR_IPI_CALL;
 *   2. each target takes the pointer out of its mailbox with an atomic
 *      exchange, runs fn(arg), then decrements pending (release order, so
 *      everything fn did is visible to the sender before the decrement);
 *   3. the sender spins until pending is 0 (acquire order).
 *
 * Locking: ipi_lock serializes senders, so a mailbox holds at most one
 * request. A CPU waiting for ipi_lock, or for acknowledgements, keeps
 * draining its own mailbox with ipi_handle(): two CPUs sending to each
 * other at once, interrupts off, therefore cannot deadlock.
 *
 * Context: any CPU; the handler runs in interrupt context, interrupts off.
 */
#include "ipi.h"
#include "percpu.h"
#include "lapic.h"
#include "trap.h"
#include "tsc.h"
#include "asm.h"
#include "errno.h"
#include "printk.h"

#define IPI_TIMEOUT_US 1000000

/* ipi_lock: held by the one CPU that is sending a request; protects every
 * CPU's mailbox against a second sender. A test-and-set lock rather than a
 * spinlock_t because waiters must poll their own mailbox while they wait. */
static u32 ipi_lock;

cpumask_t cpus_online_mask(void)
{
	cpumask_t m = 0;

	for (u32 i = 0; i < MAX_CPUS; i++) {
		if (__atomic_load_n(&percpu[i].online, __ATOMIC_ACQUIRE))
			m |= BIT(i);
	}
	return m;
}

void ipi_handle(void)
{
	struct percpu *me = this_cpu();
	struct ipi_request *req =
		__atomic_exchange_n(&me->ipi_req, NULL, __ATOMIC_ACQUIRE);

	if (!req)
		return;
	req->fn(req->arg);
	me->ipis_handled++;
	__atomic_fetch_sub(&req->pending, 1, __ATOMIC_RELEASE);
}

static void ipi_lock_acquire(void)
{
	while (__atomic_exchange_n(&ipi_lock, 1, __ATOMIC_ACQUIRE)) {
		ipi_handle();
		stop_if_requested();
		cpu_relax();
	}
}

static void ipi_lock_release(void)
{
	__atomic_store_n(&ipi_lock, 0, __ATOMIC_RELEASE);
}

/* Take the request back from the mailbox of each target that never
 * picked it up; returns those targets. */
static cpumask_t ipi_reclaim(struct ipi_request *req, cpumask_t targets)
{
	cpumask_t reclaimed = 0;

	for_each_cpu(cpu, targets) {
		struct ipi_request *expect = req;

		if (__atomic_compare_exchange_n(&percpu[cpu].ipi_req, &expect,
						NULL, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			reclaimed |= BIT(cpu);
	}
	return reclaimed;
}

/*
 * Wait for every target's acknowledgement, answering our own mailbox
 * meanwhile. After the timeout, targets that never took the request are
 * struck off; those that took it are running fn and are waited for to the
 * end, because they will still write to req, which lives on our stack.
 */
static int ipi_wait(struct ipi_request *req, cpumask_t targets,
		    cpumask_t *missing)
{
	u64 deadline = tsc_deadline_us(IPI_TIMEOUT_US);
	cpumask_t reclaimed = 0;
	bool timed_out = false;

	while (__atomic_load_n(&req->pending, __ATOMIC_ACQUIRE)) {
		ipi_handle();
		stop_if_requested();
		if (!timed_out && tsc_passed(deadline)) {
			timed_out = true;
			reclaimed = ipi_reclaim(req, targets);
			__atomic_fetch_sub(&req->pending,
					   __builtin_popcountll(reclaimed),
					   __ATOMIC_RELAXED);
		}
		cpu_relax();
	}
	if (missing)
		*missing = reclaimed;
	return reclaimed ? -ETIMEDOUT : 0;
}

int ipi_call(cpumask_t targets, void (*fn)(void *), void *arg,
	     cpumask_t *missing)
{
	struct ipi_request req = {.fn = fn, .arg = arg};
	int ret;

	targets &= ~BIT(this_cpu_id());
	targets &= cpus_online_mask();
	if (!targets)
		return 0;

	ipi_lock_acquire();
	req.pending = __builtin_popcountll(targets);
	for_each_cpu(cpu, targets)
		__atomic_store_n(&percpu[cpu].ipi_req, &req, __ATOMIC_RELEASE);
	for_each_cpu(cpu, targets)
		lapic_send_ipi(percpu[cpu].apic_id, VECTOR_IPI_CALL);
	ret = ipi_wait(&req, targets, missing);
	ipi_lock_release();
	return ret;
}
