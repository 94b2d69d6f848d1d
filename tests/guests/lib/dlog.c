// SPDX-License-Identifier: MIT
/* Helpers of the dirty-logging guests (dlog.h). Any vCPU. */
#include "dlog.h"
#include "check.h"
#include "str.h"
#include "x86.h"

/* Bits set in x (no libgcc here, and -march=i686 has no POPCNT). */
static u32 popcount32(u32 x)
{
	x = x - ((x >> 1) & 0x55555555u);
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0fu;
	return (x * 0x01010101u) >> 24;
}

u32 dlog_popcount(const volatile u32 *bm, u32 nbits)
{
	u32 i, n = 0;

	for (i = 0; i < nbits / 32; i++)
		n += popcount32(bm[i]);
	for (i = nbits & ~31u; i < nbits; i++)
		n += dlog_bit(bm, i);
	return n;
}

/* The value of "key=" among the words of cmdline, or NULL. */
static const char *arg_value(const char *cmdline, const char *key)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	while (p && *p) {
		while (*p == ' ')
			p++;
		if (strnlen(p, klen) == klen && !memcmp(p, key, klen) &&
		    p[klen] == '=')
			return p + klen + 1;
		while (*p && *p != ' ')
			p++;
	}
	return NULL;
}

u32 dlog_arg(const char *cmdline, const char *key, u32 def)
{
	const char *p = arg_value(cmdline, key);
	u32 v;

	return p && parse_u32(&p, &v) ? v : def;
}

char *dlog_arg_str(const char *cmdline, const char *key, char *buf, u32 size)
{
	const char *p = arg_value(cmdline, key);
	u32 i = 0;

	for (; p && p[i] && p[i] != ' ' && i + 1 < size; i++)
		buf[i] = p[i];
	buf[i] = '\0';
	return buf;
}

u32 dlog_rand(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

bool dlog_stats(u32 id, struct shade_stats *st)
{
	i32 rc = hc_stats(id, gpa_of(st));

	if (rc)
		failf("HC_STATS(%u): %d", id, rc);
	return rc == 0;
}

bool dlog_wait_eq(const volatile u32 *p, u32 want, u32 rounds)
{
	while (rounds--) {
		if (__atomic_load_n(p, __ATOMIC_ACQUIRE) == want)
			return true;
		cpu_relax();
	}
	return false;
}
