/* SPDX-License-Identifier: MIT */
/*
 * Boot-time self tests (boot/selftest.c).
 */
#ifndef SHADE_SELFTEST_H
#define SHADE_SELFTEST_H

#include "options.h"

/* A cross-CPU call to every other CPU; panics if one does not answer. */
void selftest_ipi(void);

/* The deliberate fault the command line asked for; never returns unless
 * which is SELFTEST_NONE. */
void selftest_run(enum selftest which);

#endif
