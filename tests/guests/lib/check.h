/* SPDX-License-Identifier: MIT */
/*
 * Test results for the guests: one "PASS what" or "FAIL what: ..." line per
 * check on the console, a failure count, and the exit through port 0xf4
 * whose value becomes the partition's status (contract section 4). The
 * integration scripts read these lines; a guest's status is its number of
 * failed checks, so 0 means all passed.
 */
#ifndef GUEST_CHECK_H
#define GUEST_CHECK_H

#include "types.h"

#define GUEST_EXIT_PORT 0xf4

/* Returns cond; prints "PASS what" or "FAIL what". */
bool check(bool cond, const char *what);

/*
 * Returns got == want; prints "PASS what" or "FAIL what: got G expected W",
 * each value in signed decimal and hex, so that both -14 (an error) and
 * 0x00010000 (a version) read naturally.
 */
bool check_eq(i64 got, i64 want, const char *what);

/* Like check(), with a printf-style description. */
bool checkf(bool cond, const char *fmt, ...) __printf(2, 3);

/* Count a failure with a printf-style "FAIL ..." line. */
void failf(const char *fmt, ...) __printf(1, 2);

u32 check_failures(void);

/* Print "RESULT pass=P fail=F" and return F, the guest's exit status. */
u32 report(void);

/*
 * Stop the partition with this status: a write to port 0xf4. Under QEMU's
 * isa-debug-exit the emulator exits; elsewhere the vCPU halts for good.
 */
__noreturn void guest_exit(u32 status);

/*
 * The end of a guest that also runs bare: under Shade, guest_exit(status).
 * Without Shade (is_shade() false) power the machine off instead, through
 * Bochs's shutdown port 0x8900 ("Shutdown"), since nothing there listens
 * on port 0xf4: the run then ends without waiting for a timeout, and the
 * status is only in the RESULT line printed before. Elsewhere (QEMU
 * without isa-debug-exit) the vCPU halts for good.
 */
__noreturn void guest_poweroff(u32 status);

#endif
