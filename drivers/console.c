// SPDX-License-Identifier: MIT
/*
 * The console and printk.
 *
 * Every line goes out whole under console_lock, to COM1 and, when present,
 * to the emulator's debug port 0xe9, so that lines from different CPUs
 * (and, later, different partitions) never interleave.
 *
 * console_lock is not a spinlock_t: it must cope with the CPU that holds it
 * taking an exception in the middle of a line (the exception report then
 * prints anyway, the nested line inside the broken one), and with a CPU
 * that died holding it (after console_enter_panic() the wait is bounded).
 *
 * Context: any CPU, interrupts on or off; printk may be called from
 * interrupt and exception handlers.
 */
#include "console.h"
#include "serial.h"
#include "format.h"
#include "spinlock.h"
#include "asm.h"

#define E9_PORT	   0xe9
#define LINE_MAX   256
#define PANIC_SPIN 50000000ULL /* iterations before stealing the lock */
#define NO_OWNER   SPIN_NO_OWNER

static bool have_uart;
static bool have_e9;
static enum log_level console_level = LOG_INFO;
static bool panicking;

/* console_lock: the CPU number of the holder, NO_OWNER when free.
 * Protects the UART transmitter and port 0xe9 (one line at a time). */
static u32 console_owner = NO_OWNER;

void console_init(void)
{
	have_uart = serial_init(COM1_PORT);
	/* Bochs's port_e9_hack (and QEMU's debugcon) read back 0xe9; a
	 * machine without the port reads 0xff. */
	have_e9 = inb(E9_PORT) == E9_PORT;
}

void console_set_level(enum log_level level)
{
	console_level = level;
}

void console_enter_panic(void)
{
	__atomic_store_n(&panicking, true, __ATOMIC_SEQ_CST);
}

/* Returns true if this call took the lock (false: this CPU already held
 * it, or stole it in a panic; it must then not release it). */
static bool console_lock(void)
{
	u32 me = this_cpu_id();
	u32 expected;

	if (__atomic_load_n(&console_owner, __ATOMIC_RELAXED) == me)
		return false;
	for (u64 spins = 0;; spins++) {
		expected = NO_OWNER;
		if (__atomic_compare_exchange_n(&console_owner, &expected, me,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
		if (__atomic_load_n(&panicking, __ATOMIC_RELAXED) &&
		    spins > PANIC_SPIN)
			return false;
		cpu_relax();
	}
}

void console_flush(void)
{
	if (have_uart)
		serial_flush(COM1_PORT);
}

static void console_unlock(bool taken)
{
	if (taken)
		__atomic_store_n(&console_owner, NO_OWNER, __ATOMIC_RELEASE);
}

static void console_putc(char c)
{
	if (have_uart)
		serial_putc(COM1_PORT, (u8)c);
	if (have_e9)
		outb(E9_PORT, (u8)c);
}

void console_write_line(const char *s, size_t len)
{
	bool irq = irq_save();
	bool taken = console_lock();

	for (size_t i = 0; i < len; i++)
		console_putc(s[i]);
	console_putc('\r');
	console_putc('\n');
	console_unlock(taken);
	irq_restore(irq);
}

static const char *const level_tag[] = {
	[LOG_DEBUG] = "debug: ",
	[LOG_INFO] = "",
	[LOG_WARN] = "warning: ",
	[LOG_ERR] = "error: ",
};

/*
 * Format into one buffer, then print it line by line, each line with the
 * "shade[CPU]: " prefix. Lines longer than the buffer are cut, with "..."
 * marking the cut.
 */
void vprintk(enum log_level level, const char *fmt, va_list ap)
{
	char buf[LINE_MAX];
	int pre, n;

	if (level < console_level || level > LOG_ERR)
		return;
	pre = ksnprintf(buf, sizeof(buf), "shade[%u]: %s", this_cpu_id(),
			level_tag[level]);
	n = kvsnprintf(buf + pre, sizeof(buf) - pre, fmt, ap);
	if (n >= (int)(sizeof(buf) - pre)) {
		n = sizeof(buf) - pre - 1;
		buf[sizeof(buf) - 4] = buf[sizeof(buf) - 3] =
			buf[sizeof(buf) - 2] = '.';
	}

	const char *line = buf + pre, *end = buf + pre + n;

	while (line <= end) {
		const char *nl = line;

		while (nl < end && *nl != '\n')
			nl++;
		if (line == buf + pre) {
			console_write_line(buf, nl - buf);
		} else {
			char cont[LINE_MAX];
			int m = ksnprintf(cont, sizeof(cont), "%.*s%.*s", pre,
					  buf, (int)(nl - line), line);
			console_write_line(cont, MIN(m, LINE_MAX - 1));
		}
		if (nl == end || nl + 1 == end)
			break; /* a trailing '\n' adds no empty line */
		line = nl + 1;
	}
}

void printk(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}
