// SPDX-License-Identifier: MIT
/*
 * Partitions: from GRUB module lines to running guests, and back to the
 * final line.
 *
 * At boot (partitions_create): every module line is parsed (vmm/config.c);
 * "module-for=" modules are set aside for their partition; the partitions
 * pinned with pcpus= get their CPUs first, then the others in module order;
 * each accepted partition gets its RAM (vmm/guest_mem.c), its shadow MMU
 * state (vmm/mmu.c), its image and modules loaded and its boot
 * information built (vmm/loader.c), and one vCPU per physical CPU. A
 * configuration that is wrong in any way is reported with the partition's
 * name and the offending word, and counts as failed; the others still run.
 *
 * At the end (partition_stop): the first stop of a partition wins and
 * records its status; its other vCPUs are kicked out of guest mode with
 * an IPI; when the last partition has stopped, Shade prints
 * "shade: done pass=P fail=F" and powers off (contract section 4).
 *
 * Context: partitions_create on the boot CPU; partition_stop on any CPU,
 * from a VM-exit handler. part->lock protects stopping and status;
 * done_lock the pass/fail counts.
 */
#include "vmm.h"
#include "config.h"
#include "loader.h"
#include "percpu.h"
#include "ipi.h"
#include "heap.h"
#include "pmm.h"
#include "paging.h"
#include "power.h"
#include "console.h"
#include "format.h"
#include "kstring.h"
#include "errno.h"
#include "printk.h"

struct partition partitions[MAX_PARTITIONS];
u32 nr_partitions;

/* done_lock: protects the counts below (the last stop prints them). */
static spinlock_t done_lock = SPINLOCK_INIT("done");
static u32 nr_running, nr_pass, nr_fail;

struct partition *partition_by_id(u32 id)
{
	return id >= 1 && id <= nr_partitions ? &partitions[id - 1] : NULL;
}

struct partition *partition_find(const char *name, u32 len)
{
	for (u32 i = 0; i < nr_partitions; i++) {
		if (strlen(partitions[i].cfg.name) == len &&
		    !memcmp(partitions[i].cfg.name, name, len))
			return &partitions[i];
	}
	return NULL;
}

/* The final line, then power off: called once, by the last stop. */
static __noreturn void shade_done(u32 pass, u32 fail)
{
	char line[64];
	int n = ksnprintf(line, sizeof(line), "shade: done pass=%u fail=%u",
			  pass, fail);

	console_write_line(line, n);
	power_off();
}

static void count_stop(u32 status)
{
	bool last;

	spin_lock(&done_lock);
	if (status == 0)
		nr_pass++;
	else
		nr_fail++;
	last = --nr_running == 0;
	spin_unlock(&done_lock);
	if (last)
		shade_done(nr_pass, nr_fail);
}

/* Mark p stopping; returns false if someone else already did. */
static bool begin_stop(struct partition *p, u32 status)
{
	spin_lock(&p->lock);
	if (p->stopping) {
		spin_unlock(&p->lock);
		return false;
	}
	__atomic_store_n(&p->stopping, true, __ATOMIC_RELEASE);
	p->status = status;
	for (u32 i = 0; i < p->cfg.ncpus; i++)
		p->vcpus[i].state = VCPU_STOPPED;
	spin_unlock(&p->lock);
	return true;
}

/* Kick every other vCPU of p out of guest mode; they see p->stopping. */
static void finish_stop(struct partition *p)
{
	for (u32 i = 0; i < p->cfg.ncpus; i++)
		vcpu_wake(&p->vcpus[i]);
	io_flush_port_log(p);
	pconsole_flush(p);
	__atomic_store_n(&p->running, false, __ATOMIC_RELEASE);
	count_stop(p->status);
}

void partition_stop(struct partition *p, u32 status, const char *fmt, ...)
{
	char reason[192];
	va_list ap;

	if (!begin_stop(p, status))
		return;
	va_start(ap, fmt);
	kvsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	pconsole_flush(p);
	io_flush_port_log(p);
	pr_info("partition '%s' stopped with status %u: %s", p->cfg.name,
		status, reason);
	finish_stop(p);
}

void partition_exit(struct partition *p, u32 status)
{
	if (!begin_stop(p, status))
		return;
	pconsole_flush(p);
	io_flush_port_log(p);
	pr_info("partition '%s' stopped with status %u (the guest wrote %u to "
		"port 0xf4)",
		p->cfg.name, status, status);
	finish_stop(p);
}

void partitions_start_all(u32 bad_configs)
{
	spin_lock(&done_lock);
	nr_running = nr_partitions;
	nr_fail = bad_configs;
	spin_unlock(&done_lock);
	if (!nr_partitions)
		shade_done(0, bad_configs);
	for (u32 i = 0; i < nr_partitions; i++) {
		struct vcpu *v0 = &partitions[i].vcpus[0];

		__atomic_store_n(&v0->state, VCPU_RUNNABLE, __ATOMIC_RELEASE);
		vcpu_wake(v0);
	}
}
