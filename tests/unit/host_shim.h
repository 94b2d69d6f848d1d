/* SPDX-License-Identifier: MIT */
/*
 * Hooks into tests/unit/host_shim.c for tests that provoke a panic on
 * purpose. Host-only; nothing in Shade includes this.
 */
#ifndef SHADE_HOST_SHIM_H
#define SHADE_HOST_SHIM_H

/*
 * When set, panic_at() formats its message ("file:line: text") and calls
 * this instead of failing the test. The hook must not return: it leaves
 * with longjmp() to the test that expected the panic. Any lock the
 * panicking code held stays taken, as it would inside Shade.
 */
extern void (*host_panic_hook)(const char *msg);

#endif
