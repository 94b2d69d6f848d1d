// SPDX-License-Identifier: MIT
/*
 * PASS/FAIL lines, the failure count and the exit through port 0xf4.
 * The counters are atomic: secondary vCPUs report checks too.
 */
#include "check.h"
#include "console.h"
#include "platform.h"
#include "x86.h"

/* Bochs powers off when these bytes reach this port (docs: bochs.md). */
#define BOCHS_SHUTDOWN_PORT 0x8900
#define BOCHS_SHUTDOWN_WORD "Shutdown"

static u32 passes, failures;

static void count(bool ok)
{
	__atomic_fetch_add(ok ? &passes : &failures, 1, __ATOMIC_RELAXED);
}

bool check(bool cond, const char *what)
{
	count(cond);
	gprintf("%s %s\n", cond ? "PASS" : "FAIL", what);
	return cond;
}

bool check_eq(i64 got, i64 want, const char *what)
{
	bool ok = got == want;

	count(ok);
	if (ok)
		gprintf("PASS %s\n", what);
	else
		gprintf("FAIL %s: got %lld (0x%llx) expected %lld (0x%llx)\n",
			what, got, (u64)got, want, (u64)want);
	return ok;
}

bool checkf(bool cond, const char *fmt, ...)
{
	char what[GPRINTF_MAX - 8];
	va_list ap;

	va_start(ap, fmt);
	vgsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return check(cond, what);
}

void failf(const char *fmt, ...)
{
	char what[GPRINTF_MAX - 8];
	va_list ap;

	va_start(ap, fmt);
	vgsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	check(false, what);
}

u32 check_failures(void)
{
	return __atomic_load_n(&failures, __ATOMIC_RELAXED);
}

u32 report(void)
{
	u32 f = check_failures();

	gprintf("RESULT pass=%u fail=%u\n",
		__atomic_load_n(&passes, __ATOMIC_RELAXED), f);
	return f;
}

void guest_exit(u32 status)
{
	outl(GUEST_EXIT_PORT, status);
	halt_forever();
}

void guest_poweroff(u32 status)
{
	const char *c;

	if (is_shade())
		guest_exit(status);
	for (c = BOCHS_SHUTDOWN_WORD; *c; c++)
		outb(BOCHS_SHUTDOWN_PORT, (u8)*c);
	halt_forever();
}
