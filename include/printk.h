/* SPDX-License-Identifier: MIT */
/*
 * printk: Shade's log. Every call prints whole lines, prefixed with the CPU
 * number and, below "info", the level:
 *
 *	shade[2]: warning: MADT checksum is bad
 *
 * Lines from different CPUs never interleave (drivers/console.c holds the
 * console lock for a whole line). Messages below the level set with the
 * "loglevel=" option are dropped.
 */
#ifndef SHADE_PRINTK_H
#define SHADE_PRINTK_H

#include "types.h"

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO = 1,
	LOG_WARN = 2,
	LOG_ERR = 3,
};

__printf(2, 3) void printk(enum log_level level, const char *fmt, ...);
void vprintk(enum log_level level, const char *fmt, va_list ap);

#define pr_debug(...) printk(LOG_DEBUG, __VA_ARGS__)
#define pr_info(...)  printk(LOG_INFO, __VA_ARGS__)
#define pr_warn(...)  printk(LOG_WARN, __VA_ARGS__)
#define pr_err(...)   printk(LOG_ERR, __VA_ARGS__)

#endif
