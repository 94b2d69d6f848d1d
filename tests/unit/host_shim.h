/* SPDX-License-Identifier: MIT */
/*
 * Hooks into tests/unit/host_shim.c for tests that provoke a panic on
 * purpose. Host-only; nothing in Shade includes this.
 */
#ifndef SHADE_HOST_SHIM_H
#define SHADE_HOST_SHIM_H

#include <setjmp.h>

/*
 * When set, panic_at() formats its message ("file:line: text") and calls
 * this instead of failing the test. The hook must not return: it leaves
 * with longjmp() to the test that expected the panic. Any lock the
 * panicking code held stays taken, as it would inside Shade.
 */
extern void (*host_panic_hook)(const char *msg);

/* A ready-made hook: saves the message in host_panic_msg and jumps back to
 * host_panic_jmp. expect_panic() below uses it. */
extern jmp_buf host_panic_jmp;
extern char host_panic_msg[1024];
void host_catch_panic(const char *msg);

/* Runs stmt, which must panic with a message containing what. Needs
 * <setjmp.h>, <string.h> and <cmocka.h>. */
#define expect_panic(stmt, what)                                              \
	do {                                                                  \
		host_panic_hook = host_catch_panic;                           \
		if (setjmp(host_panic_jmp) == 0) {                            \
			stmt;                                                 \
			host_panic_hook = NULL;                               \
			fail_msg("no panic from %s", #stmt);                  \
		}                                                             \
		host_panic_hook = NULL;                                       \
		if (!strstr(host_panic_msg, what))                            \
			fail_msg("panic \"%s\" lacks \"%s\"", host_panic_msg, \
				 what);                                       \
	} while (0)

#endif
