// SPDX-License-Identifier: MIT
/*
 * sidebyside: prints numbered lines as fast as it can, then exits 0. Run
 * as several partitions at once (tests/integration/guest-sidebyside.sh),
 * it shows that Shade keeps each guest line whole and prefixed with its
 * partition's name, in order, however the partitions' bytes interleave
 * (contract section 4). Also the well-behaved partition of the bad
 * configuration tests.
 *
 * Its command line may say "lines=N" (default 200). Each line is
 * "line I of NAME: " and a fixed tail, NAME from HC_PARTITION_INFO.
 */
#include "guest.h"

#define DEFAULT_LINES 200
#define TAIL	      "the quick brown fox jumps over the lazy dog"

static u32 parse_lines(const char *cmdline)
{
	static const char key[] = "lines=";
	const char *p = cmdline;
	u32 n;

	if (memcmp(p, key, sizeof(key) - 1) != 0)
		return DEFAULT_LINES;
	p += sizeof(key) - 1;
	if (!parse_u32(&p, &n) || *p != '\0') {
		failf("command line '%s': want lines=N", cmdline);
		return DEFAULT_LINES;
	}
	return n;
}

u32 guest_main(u32 magic, u32 info)
{
	static struct partition_info pi;
	const char *name = "(unknown)";
	u32 i, n = parse_lines(bootinfo_cmdline(magic, info));

	if (is_shade() && hc_partition_info(PARTITION_SELF, gpa_of(&pi)) == 0 &&
	    strnlen(pi.name, sizeof(pi.name)) < sizeof(pi.name))
		name = pi.name;
	for (i = 1; i <= n; i++)
		gprintf("line %u of %s: %s\n", i, name, TAIL);
	return check_failures();
}
