// SPDX-License-Identifier: MIT
/*
 * What happens after an interrupt or exception stub (arch/x86/isr.S):
 * Shade's own IPIs go to their handlers; an exception inside Shade is a
 * bug, so it is reported in full (vector, error code, RIP, CR2, every
 * register, a backtrace) and every CPU stops. panic() ends the same way.
 *
 * Exceptions taken by guests never come here: they cause VM exits.
 *
 * Context: interrupt or exception context on any CPU, interrupts off.
 */
#include "trap.h"
#include "percpu.h"
#include "lapic.h"
#include "ipi.h"
#include "asm.h"
#include "x86.h"
#include "console.h"
#include "printk.h"
#include "panic.h"
#include "asm-offsets.h"
#include "ksyms.h"

_Static_assert(offsetof(struct trap_frame, vector) == TRAP_FRAME_VECTOR,
	       "isr.S pushes 15 registers before the vector");

#define NR_EXCEPTIONS	  32
#define VECTOR_PAGE_FAULT 14
#define BACKTRACE_DEPTH	  16
/* How long stop_all_cpus() waits for the others, in PAUSE iterations. */
#define STOP_WAIT_SPINS	  10000000ULL

static const char *const exception_names[NR_EXCEPTIONS] = {
	"#DE divide error",
	"#DB debug",
	"NMI",
	"#BP breakpoint",
	"#OF overflow",
	"#BR bound range",
	"#UD invalid opcode",
	"#NM device not available",
	"#DF double fault",
	"coprocessor segment overrun",
	"#TS invalid TSS",
	"#NP segment not present",
	"#SS stack fault",
	"#GP general protection",
	"#PF page fault",
	"reserved (15)",
	"#MF x87 error",
	"#AC alignment check",
	"#MC machine check",
	"#XM SIMD exception",
	"#VE virtualization exception",
	"#CP control protection",
	"reserved (22)",
	"reserved (23)",
	"reserved (24)",
	"reserved (25)",
	"reserved (26)",
	"reserved (27)",
	"#HV hypervisor injection",
	"#VC VMM communication",
	"#SX security exception",
	"reserved (31)",
};

static u32 cpus_stopped;
static bool stopping;

/* True if [addr, addr + 16) lies inside this CPU's normal stack or one of
 * its IST stacks: a frame pointer anywhere else ends the backtrace. */
static bool on_this_stack(u64 addr)
{
	struct percpu *c = this_cpu();

	if (addr >= c->stack_bottom && addr + 16 <= c->stack_top)
		return true;
	for (int i = 0; i < IST_COUNT; i++) {
		u64 lo = c->tables.ist_bottom[i];

		if (addr >= lo && addr + 16 <= lo + IST_STACK_SIZE)
			return true;
	}
	return false;
}

static void backtrace_line(int depth, u64 addr)
{
	u64 off = 0;
	const char *fn = ksym_lookup(addr, &off);

	pr_err("  #%d 0x%016lx %s+%#lx", depth, addr, fn ? fn : "?", off);
}

/* Frame #0 is where the CPU was (the faulting RIP, if any), then one frame
 * per saved RBP: Shade is built with frame pointers, so [rbp] holds the
 * caller's RBP and [rbp + 8] the return address. */
static void backtrace(u64 rip, u64 rbp)
{
	int depth = 0;

	pr_err("backtrace (addr2line -e build/shade.elf ADDRESS for lines):");
	if (rip)
		backtrace_line(depth++, rip);
	for (; depth < BACKTRACE_DEPTH; depth++) {
		if (!rbp || (rbp & 7) || !on_this_stack(rbp))
			break;
		const u64 *frame = (const u64 *)rbp;

		backtrace_line(depth, frame[1]);
		rbp = frame[0];
	}
}

void trap_dump(const struct trap_frame *f, u64 rbp)
{
	if (f) {
		pr_err("RIP 0x%016llx  CS %#llx  RFLAGS %#llx  RSP 0x%016llx  "
		       "SS %#llx",
		       (unsigned long long)f->rip, (unsigned long long)f->cs,
		       (unsigned long long)f->rflags,
		       (unsigned long long)f->rsp, (unsigned long long)f->ss);
		pr_err("RAX 0x%016llx RBX 0x%016llx RCX 0x%016llx RDX "
		       "0x%016llx",
		       (unsigned long long)f->rax, (unsigned long long)f->rbx,
		       (unsigned long long)f->rcx, (unsigned long long)f->rdx);
		pr_err("RSI 0x%016llx RDI 0x%016llx RBP 0x%016llx R8  "
		       "0x%016llx",
		       (unsigned long long)f->rsi, (unsigned long long)f->rdi,
		       (unsigned long long)f->rbp, (unsigned long long)f->r8);
		pr_err("R9  0x%016llx R10 0x%016llx R11 0x%016llx R12 "
		       "0x%016llx",
		       (unsigned long long)f->r9, (unsigned long long)f->r10,
		       (unsigned long long)f->r11, (unsigned long long)f->r12);
		pr_err("R13 0x%016llx R14 0x%016llx R15 0x%016llx",
		       (unsigned long long)f->r13, (unsigned long long)f->r14,
		       (unsigned long long)f->r15);
	}
	pr_err("CR0 %#llx  CR2 0x%016llx  CR3 0x%016llx  CR4 %#llx",
	       (unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
	       (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
	backtrace(f ? f->rip : 0, rbp);
}

/* The page-fault error code, spelled out (SDM 3A 4.7). */
static void explain_page_fault(u64 err)
{
	pr_err("page fault at CR2 0x%016llx: %s, %s, %s%s%s",
	       (unsigned long long)read_cr2(),
	       (err & BIT(0)) ? "protection violation" : "page not present",
	       (err & BIT(1)) ? "write" : "read",
	       (err & BIT(2)) ? "user mode" : "supervisor mode",
	       (err & BIT(3)) ? ", reserved bit set" : "",
	       (err & BIT(4)) ? ", instruction fetch" : "");
}

static __noreturn void exception_report(struct trap_frame *f)
{
	console_enter_panic();
	pr_err("EXCEPTION vector %llu (%s), error code %#llx, on CPU %u",
	       (unsigned long long)f->vector, exception_names[f->vector],
	       (unsigned long long)f->error_code, this_cpu_id());
	if (f->vector == VECTOR_PAGE_FAULT)
		explain_page_fault(f->error_code);
	trap_dump(f, f->rbp);
	stop_all_cpus();
}

/* Another CPU panicked: stop here, interrupts off, for good. */
static __noreturn void stop_this_cpu(void)
{
	__atomic_fetch_add(&cpus_stopped, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		irq_disable();
		halt();
	}
}

void stop_if_requested(void)
{
	if (__atomic_load_n(&stopping, __ATOMIC_RELAXED))
		stop_this_cpu();
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < NR_EXCEPTIONS)
		exception_report(f);

	switch (f->vector) {
	case VECTOR_IPI_CALL:
		lapic_eoi();
		ipi_handle();
		return;
	case VECTOR_IPI_STOP:
		stop_this_cpu();
	case VECTOR_SPURIOUS:
		return; /* no EOI for spurious interrupts (SDM 3A 12.9) */
	default:
		pr_warn("unexpected interrupt, vector %llu",
			(unsigned long long)f->vector);
		lapic_eoi();
	}
}

void stop_all_cpus(void)
{
	u32 others = nr_cpus_online - 1;

	irq_disable();
	console_enter_panic();
	/* Only the first CPU to get here stops the rest; a second one
	 * panicking meanwhile just stops itself. */
	if (__atomic_exchange_n(&stopping, true, __ATOMIC_SEQ_CST))
		stop_this_cpu();
	if (others && lapic_is_ready())
		lapic_send_ipi_all_but_self(VECTOR_IPI_STOP);
	for (u64 i = 0; i < STOP_WAIT_SPINS; i++) {
		if (__atomic_load_n(&cpus_stopped, __ATOMIC_SEQ_CST) >= others)
			break;
		cpu_relax();
	}
	if (cpus_stopped < others)
		pr_err("%u of %u other CPUs did not stop (interrupts off?)",
		       others - cpus_stopped, others);
	console_write_line("shade: panic: all CPUs stopped", 30);
	console_flush();
	for (;;) {
		irq_disable();
		halt();
	}
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	irq_disable();
	console_enter_panic();
	va_start(ap, fmt);
	pr_err("PANIC at %s:%d on CPU %u:", file, line, this_cpu_id());
	vprintk(LOG_ERR, fmt, ap);
	va_end(ap);
	trap_dump(NULL, read_rbp());
	stop_all_cpus();
}
