// SPDX-License-Identifier: MIT
/*
 * What the pure-logic modules need from the rest of Shade, provided on the
 * host so they can be unit-tested under ASan and UBSan: printk goes to
 * stderr (when SHADE_TEST_VERBOSE is set) and panic() fails the running
 * cmocka test, unless a test that expects the panic set host_panic_hook.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "types.h"
#include "printk.h"
#include "panic.h"
#include "spinlock.h"
#include "host_shim.h"

void (*host_panic_hook)(const char *msg);

u32 this_cpu_id(void)
{
	return 0;
}

void vprintk(enum log_level level, const char *fmt, va_list ap)
{
	if (!getenv("SHADE_TEST_VERBOSE"))
		return;
	fprintf(stderr, "printk(%d): ", (int)level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (host_panic_hook) {
		char where[600];

		snprintf(where, sizeof(where), "%s:%d: %s", file, line, msg);
		host_panic_hook(where);
	}
	fail_msg("panic at %s:%d: %s", file, line, msg);
	abort(); /* fail_msg does not return; this keeps __noreturn honest */
}

jmp_buf host_panic_jmp;
char host_panic_msg[1024];

void host_catch_panic(const char *msg)
{
	snprintf(host_panic_msg, sizeof(host_panic_msg), "%s", msg);
	longjmp(host_panic_jmp, 1);
}
