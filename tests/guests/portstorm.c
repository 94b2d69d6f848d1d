// SPDX-License-Identifier: MIT
/*
 * portstorm: I/O ports written and read with all three widths, except
 * accesses touching the ports a partition really has (COM1 0x3f8-0x3ff,
 * 0xe9, the exit port 0xf4 of contract section 4, and the virtual PC's
 * devices of docs/platform.md). Every other port is
 * unassigned: reads return all ones, writes are ignored, and Shade logs
 * each port's first access once. Shade must stay up through all of it;
 * the guest exits with the number of wrong reads
 * (tests/integration/guest-portstorm.sh).
 *
 * By default every port 0x0000-0xffff; the command line may name ranges
 * instead, "ranges=0x0-0x3ff,0xff00-0xffff". No access reaches past the
 * end of its range, so exactly the ports of the ranges are touched.
 *
 * Never run this bare on a real machine or an emulator: it writes to the
 * PIC, the PIT, the reset and PCI configuration ports.
 */
#include "guest.h"

#define PORT_LAST     0xffffu
#define MAX_RANGES    16
#define PROGRESS_STEP 0x1000u /* one console line per 4096 ports */
#define MAX_REPORTED  10      /* FAIL lines for wrong reads; the rest counted */

struct port_range {
	u32 first, last;
};

/* The ports a partition has: the contract's console and exit ports and
 * the virtual PC's devices (docs/platform.md). Keep in step with
 * tests/integration/guest-portstorm.sh. */
static const struct port_range devices[] = {
	{0x20, 0x21},	/* 8259 master */
	{0x40, 0x43},	/* 8254 */
	{0x60, 0x61},	/* keyboard controller data, port B */
	{0x64, 0x64},	/* keyboard controller */
	{0x70, 0x71},	/* CMOS RTC */
	{0x92, 0x92},	/* system control port A */
	{0xa0, 0xa1},	/* 8259 slave */
	{0xe9, 0xe9},	/* console */
	{0xf4, 0xf4},	/* exit */
	{0x3f8, 0x3ff}, /* COM1 */
	{0x4d0, 0x4d1}, /* ELCR */
	{0x600, 0x60b}, /* ACPI PM1a and PM timer */
	{0xcf9, 0xcf9}, /* reset control */
};

static u32 wrong_reads;

/* Does the access [port, port + width) touch a port the partition has? */
static bool touches_device(u32 port, u32 width)
{
	u32 last = port + width - 1;

	for (u32 i = 0; i < ARRAY_SIZE(devices); i++)
		if (port <= devices[i].last && devices[i].first <= last)
			return true;
	return false;
}

static void wrong_read(u32 port, u32 width, u32 got)
{
	wrong_reads++;
	if (wrong_reads <= MAX_REPORTED)
		failf("port 0x%04x, %u-byte read gave 0x%x instead of all ones",
		      port, width, got);
}

/* Write then read one port at one width; writes use a varying pattern. */
static void storm(u32 port, u32 width)
{
	u32 got, want;

	switch (width) {
	case 1:
		outb((u16)port, (u8)port);
		got = inb((u16)port);
		want = 0xff;
		break;
	case 2:
		outw((u16)port, (u16)~port);
		got = inw((u16)port);
		want = 0xffff;
		break;
	default:
		outl((u16)port, port * 0x9e3779b9u);
		got = inl((u16)port);
		want = 0xffffffffu;
		break;
	}
	if (got != want)
		wrong_read(port, width, got);
}

static void storm_port(u32 port, u32 range_last)
{
	static const u32 widths[] = {1, 2, 4};
	u32 i;

	for (i = 0; i < ARRAY_SIZE(widths); i++) {
		if (port + widths[i] - 1 > range_last)
			continue;
		if (!touches_device(port, widths[i]))
			storm(port, widths[i]);
	}
}

static void storm_range(const struct port_range *r)
{
	u32 port;

	for (port = r->first; port <= r->last; port++) {
		storm_port(port, r->last);
		if ((port + 1) % PROGRESS_STEP == 0 || port == r->last)
			gprintf("ports up to 0x%04x done\n", port);
	}
}

/* One "FIRST-LAST" at *p, advancing *p past it. */
static bool parse_range(const char **p, struct port_range *r)
{
	if (!parse_u32(p, &r->first) || **p != '-')
		return false;
	(*p)++;
	return parse_u32(p, &r->last) && r->first <= r->last &&
	       r->last <= PORT_LAST;
}

/*
 * The command line: empty (*n = 0) or "ranges=A-B,C-D,..." with at most
 * MAX_RANGES ranges. False, after a FAIL line, for anything else.
 */
static bool parse_ranges(const char *s, struct port_range *r, u32 *n)
{
	static const char key[] = "ranges=";
	const char *p;

	*n = 0;
	if (*s == '\0')
		return true;
	if (memcmp(s, key, sizeof(key) - 1) != 0)
		goto bad;
	p = s + sizeof(key) - 1;
	while (*n < MAX_RANGES && parse_range(&p, &r[*n])) {
		(*n)++;
		if (*p == '\0')
			return true;
		if (*p++ != ',')
			break;
	}
bad:
	failf("command line '%s': want ranges=FIRST-LAST,...", s);
	return false;
}

u32 guest_main(u32 magic, u32 info)
{
	static struct port_range ranges[MAX_RANGES];
	const char *cmdline = bootinfo_cmdline(magic, info);
	u32 i, n;

	if (!parse_ranges(cmdline, ranges, &n))
		return report();
	if (n == 0) {
		ranges[0].first = 0;
		ranges[0].last = PORT_LAST;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		gprintf("ports 0x%04x-0x%04x: writing and reading\n",
			ranges[i].first, ranges[i].last);
		storm_range(&ranges[i]);
	}
	check_eq(wrong_reads, 0,
		 "every read of an unassigned port gave all ones");
	return report();
}
