// SPDX-License-Identifier: MIT
/*
 * What Shade's shadow MMU and dirty log need from the rest of the
 * hypervisor, provided in a Linux process for the native benchmark
 * (bench/native/README.md lists what is real and what is shimmed).
 *
 * Each shim is either a faithful stand-in for something the benchmark does
 * not exercise differently on real hardware (one CPU, so this_cpu_id() is
 * 0; printk goes to stderr; the fake VMCS is an array), or a tripwire: a
 * path that must never run in the benchmark (injecting a guest fault,
 * stopping the partition, sending an IPI, a panic) ends the program with
 * the reason, so that no number is ever printed from a run that went
 * wrong.
 *
 * Context: the harness's one thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm.h"
#include "vmx.h"
#include "exit.h"
#include "ipi.h"
#include "heap.h"
#include "pmm.h"
#include "printk.h"
#include "panic.h"
#include "bench.h"

/* Shade's one frame allocator (mm/mm.c in Shade); bench/native/arena.c
 * builds it over the harness's arena with Shade's own mm/pmm.c. */
struct pmm host_pmm;

/* The benchmark runs on one CPU, which is the boot CPU. */
u32 this_cpu_id(void)
{
	return 0;
}

/* ------------------------------------------------------------------ */
/* Log and panic */

void vprintk(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const names[] = {"debug: ", "",
					    "warning: ", "error: "};

	if (level == LOG_DEBUG && !bench_verbose)
		return;
	if (level == LOG_INFO && !bench_verbose)
		return;
	fprintf(stderr, "shade[0]: %s", names[level & 3]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (level == LOG_ERR)
		bench_shade_errors++;
}

void printk(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-native: Shade panicked at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* ------------------------------------------------------------------ */
/* The heap: rmap descriptors (and nothing else the benchmark reaches) */

void *kmalloc(size_t size)
{
	return malloc(size);
}

void *kzalloc(size_t size)
{
	return calloc(1, size);
}

void kfree(void *ptr)
{
	free(ptr);
}

/* ------------------------------------------------------------------ */
/* The VMCS: a plain array, as if the vCPU's VMCS were current. The MMU
 * writes GUEST_CR3 at root loads and reads IDT_VECTORING_INFO at every
 * fault; the rest (RIP, segment bases and rights) only on paths the
 * benchmark never takes, which read zeros. */

#define FAKE_VMCS_FIELDS 0x8000
static u64 fake_vmcs[FAKE_VMCS_FIELDS];

u64 vmread(u64 field)
{
	if (field >= FAKE_VMCS_FIELDS)
		panic("vmread of unknown field %#lx", field);
	return fake_vmcs[field];
}

void vmwrite(u64 field, u64 value)
{
	if (field >= FAKE_VMCS_FIELDS)
		panic("vmwrite of unknown field %#lx", field);
	fake_vmcs[field] = value;
}

/* The guest's CPL: SS.DPL, as vmm/exit.c reads it (0 here: the fake
 * VMCS holds zeros). Only mmu_translate() asks, for string I/O. */
u32 vmexit_guest_cpl(void)
{
	return (vmread(GUEST_SS_AR_BYTES) >> AR_DPL_SHIFT) & 3;
}

/* ------------------------------------------------------------------ */
/* Tripwires: none of these may happen in the benchmark */

/* Guest registers: only an emulated page-table write reads them, and the
 * benchmark guest never writes its page tables. */
u64 vmexit_read_gpr(struct vcpu *v, u32 n)
{
	(void)v;
	bench_die("Shade read guest register %u: emulating a write", n);
}

void vmexit_write_gpr(struct vcpu *v, u32 n, u64 val)
{
	(void)v;
	(void)val;
	bench_die("Shade wrote guest register %u: emulating a write", n);
}

void vmexit_inject_exception(u8 vector, bool has_error, u32 error)
{
	(void)has_error;
	bench_die("Shade injected exception %u (error code %#x) into the "
		  "benchmark guest: a page fault was the guest's, not a "
		  "shadow fault",
		  vector, error);
}

void partition_stop(struct partition *p, u32 status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bench_die("Shade stopped partition '%s' (status %u): %s", p->cfg.name,
		  status, msg);
}

/*
 * flush_remote_tlbs() sends IPIs only to other CPUs whose vCPU is in guest
 * mode; the benchmark's vCPUs never enter a guest, so a round sets
 * flush_req and counts itself (stats) and sends nothing, as on real
 * hardware with no other vCPU in guest mode.
 */
int ipi_call(cpumask_t targets, void (*fn)(void *), void *arg,
	     cpumask_t *missing)
{
	(void)fn;
	(void)arg;
	(void)missing;
	bench_die("Shade sent an IPI to CPUs %#lx: no vCPU is in guest mode "
		  "in the benchmark",
		  targets);
}
