// SPDX-License-Identifier: MIT
/*
 * demo-ctl: the control partition of the `make run` demo. It logs the
 * dirty pages of partition "work" (demo-work.c) and, every second of TSC
 * time, takes them with HC_DIRTY_LOG_GET and prints a heat map of the
 * workload's memory: DEMO_MAP_ROWS rows of DEMO_MAP_COLS cells
 * (demo-common.h), each shaded by the share of its pages written in that
 * second, then one line of numbers:
 *
 *   28M |       .                              . .                .  . . |
 *       +- t=3s  dirty=732 (8.9%)  path=rmap  get=55k wp=52k cyc  ipis=0
 *
 * dirty is what the GET returned; path, get and wp come from HC_STATS
 * (which write-protect path the GET took: the rmap counter moved or the
 * walk counter did; the cycles of the whole GET and of its write-protect
 * step); ipis is how many TLB-shootdown IPIs Shade sent to the
 * workload's vCPUs in that second. Every line fits an 80-column terminal
 * with Shade's "[ctl] " in front.
 *
 * It ends when the workload has stopped, or after `seconds=N` from its
 * command line (default 0: no limit), with a summary and status 0. Each
 * GET is also checked against the contract: the count equals the bits
 * set in the bitmap, and HC_STATS's counters move by exactly that GET;
 * a mismatch is a FAIL line and counts in the exit status.
 */
#include "guest.h"
#include "demo-common.h"

#define TARGET	     "work"
#define MAX_PAGES    (3u * 1024 * DEMO_MIB_PAGES) /* mem= is at most 3G */
#define BITMAP_WORDS (MAX_PAGES / 32)
#define LINE_MAX     74 /* 80 columns less "[ctl] " */
#define WRAP_MAX     640
#define FIND_TRIES   100
#define RAMP	     " .:-=+*#%@"
#define RAMP_STEPS   8 /* shades strictly between none and all */

/*
 * The bitmap HC_DIRTY_LOG_GET fills, read as 32-bit words: bit i of 64-bit
 * word i / 64 is bit i % 32 of 32-bit word i / 32 (little-endian).
 */
static u32 bitmap[BITMAP_WORDS] __aligned(8);

static struct {
	u32 id;
	u32 khz;
	u32 npages;
	u32 mem_mib;
	u32 ncpus;
	u32 seconds; /* 0: until the workload stops */
	struct shade_stats first, prev, now;
	u64 reported; /* sum of the GETs' results */
	u32 gets;
} c;

/* ---- lines of at most LINE_MAX characters -------------------------------- */

struct line {
	char s[LINE_MAX + 1];
	u32 len;
};

static void line_add(struct line *l, const char *fmt, ...) __printf(2, 3);

static void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	l->len +=
		(u32)vgsnprintf(l->s + l->len, sizeof(l->s) - l->len, fmt, ap);
	va_end(ap);
}

/* Spaces up to column col. */
static void line_pad(struct line *l, u32 col)
{
	while (l->len < col && l->len < LINE_MAX)
		l->s[l->len++] = ' ';
	l->s[l->len] = '\0';
}

/* Right-align what the line holds in a field of width columns. */
static void line_pad_right(struct line *l, u32 width)
{
	u32 shift = width > l->len ? width - l->len : 0;

	if (!shift)
		return;
	memmove(l->s + shift, l->s, l->len + 1);
	memset(l->s, ' ', shift);
	l->len += shift;
}

/* v in at most 5 characters: 1234, 987k, 1.23M, 12.3M, 123M, 4567M. */
static void line_add_count(struct line *l, u64 v)
{
	u32 m;

	if (v < 10000) {
		line_add(l, "%u", (u32)v);
	} else if (v < 1000000) {
		line_add(l, "%uk", (u32)v / 1000);
	} else if (v < 10000000000ull) {
		m = (u32)demo_div(v, 10000); /* hundredths of a million */
		if (m < 1000)
			line_add(l, "%u.%02uM", m / 100, m % 100);
		else if (m < 10000)
			line_add(l, "%u.%uM", m / 100, m % 100 / 10);
		else
			line_add(l, "%uM", m / 100);
	} else {
		line_add(l, "%uG", (u32)demo_div(v, 1000000000));
	}
}

/* ---- the map ------------------------------------------------------------- */

static u32 dirty_in(u32 first, u32 end)
{
	u32 i, n = 0;

	for (i = first; i < end; i++)
		n += (bitmap[i / 32] >> (i % 32)) & 1;
	return n;
}

/* ' ' for none, '@' for all, the RAMP_STEPS shades for eighths between. */
static char shade(u32 dirty, u32 pages)
{
	if (dirty == 0)
		return RAMP[0];
	if (dirty >= pages)
		return RAMP[RAMP_STEPS + 1];
	return RAMP[1 + dirty * RAMP_STEPS / pages];
}

/* Digits of the largest row label (MiB), at least 2. */
static u32 label_width(void)
{
	u32 mib = demo_cell_first(DEMO_MAP_CELLS - DEMO_MAP_COLS, c.npages) /
		  DEMO_MIB_PAGES;
	u32 w = 2;

	for (mib /= 100; mib; mib /= 10)
		w++;
	return w;
}

/*
 * Print the map rows, each labelled with its first MiB; returns the dirty
 * pages counted in the bitmap.
 */
static u32 print_map(void)
{
	u32 row, col, cell, first, end, n, total = 0;
	struct line l;

	for (row = 0; row < DEMO_MAP_ROWS; row++) {
		cell = row * DEMO_MAP_COLS;
		first = demo_cell_first(cell, c.npages);
		l.len = 0;
		line_add(&l, "%u", first / DEMO_MIB_PAGES);
		line_pad_right(&l, label_width());
		line_add(&l, "M |");
		for (col = 0; col < DEMO_MAP_COLS; col++, cell++) {
			first = demo_cell_first(cell, c.npages);
			end = demo_cell_first(cell + 1, c.npages);
			n = dirty_in(first, end);
			total += n;
			line_add(&l, "%c", shade(n, end - first));
		}
		line_add(&l, "|");
		gprintf("%s\n", l.s);
	}
	return total;
}

/* The numbers, hanging from the map's left border like a caption. */
static void print_numbers(u32 t, u32 dirty)
{
	u32 permille = (u32)demo_div((u64)dirty * 1000, c.npages);
	bool rmap = c.now.dirty_get_rmap_calls != c.prev.dirty_get_rmap_calls;
	struct line l = {.len = 0};

	line_pad(&l, label_width() + 2);
	line_add(&l, "+- t=%us  dirty=%u (%u.%u%%)  path=%s  get=", t, dirty,
		 permille / 10, permille % 10, rmap ? "rmap" : "walk");
	line_add_count(&l, c.now.last_get_cycles);
	line_add(&l, " wp=");
	line_add_count(&l, c.now.last_get_write_protect_cycles);
	line_add(&l, " cyc  ipis=%u",
		 (u32)(c.now.tlb_shootdown_ipis - c.prev.tlb_shootdown_ipis));
	gprintf("%s\n", l.s);
}

/* ---- the dirty log ------------------------------------------------------- */

static bool read_stats(struct shade_stats *st)
{
	i32 rc = hc_stats(c.id, gpa_of(st));

	if (rc != 0)
		failf("HC_STATS(%u) returned %d", c.id, rc);
	return rc == 0;
}

/* What HC_STATS must say after one more GET that returned dirty. */
static void check_stats(i32 dirty)
{
	const struct shade_stats *a = &c.prev, *b = &c.now;

	if (b->dirty_get_calls != a->dirty_get_calls + 1 ||
	    b->dirty_get_rmap_calls + b->dirty_get_walk_calls !=
		    a->dirty_get_rmap_calls + a->dirty_get_walk_calls + 1)
		failf("GET %u: HC_STATS counted %u GETs, %u rmap + walk (+1 "
		      "each expected)",
		      c.gets, (u32)(b->dirty_get_calls - a->dirty_get_calls),
		      (u32)(b->dirty_get_rmap_calls + b->dirty_get_walk_calls -
			    a->dirty_get_rmap_calls - a->dirty_get_walk_calls));
	if (b->dirty_pages_reported - a->dirty_pages_reported != (u64)dirty)
		failf("GET %u: HC_STATS counted %u pages reported, the GET %d",
		      c.gets,
		      (u32)(b->dirty_pages_reported - a->dirty_pages_reported),
		      dirty);
}

/* One GET, its map and its numbers. */
static void frame(u32 t)
{
	i32 dirty = hc_dirty_log_get(c.id, 0, gpa_of(bitmap), sizeof(bitmap));
	u32 counted;

	c.gets++;
	if (dirty < 0) {
		failf("HC_DIRTY_LOG_GET(%u, 0) returned %d", c.id, dirty);
		return;
	}
	c.reported += (u32)dirty;
	if (!read_stats(&c.now))
		return;
	counted = print_map();
	print_numbers(t, (u32)dirty);
	if (counted != (u32)dirty)
		failf("GET %u returned %d but set %u bits", c.gets, dirty,
		      counted);
	check_stats(dirty);
	c.prev = c.now;
}

/* ---- set-up and the main loop -------------------------------------------- */

static bool find_target(void)
{
	static const char name[] = TARGET;
	struct partition_info pi;
	struct memslot_info ms;
	i32 rc = -ENOENT;
	u32 i;

	/* All partitions exist before any runs; a few tries anyway. */
	for (i = 0; i < FIND_TRIES && rc == -ENOENT; i++)
		rc = hc_partition_find(gpa_of(name));
	if (rc <= 0) {
		failf("HC_PARTITION_FIND(\"%s\") returned %d", name, rc);
		return false;
	}
	c.id = (u32)rc;
	if ((rc = hc_partition_info(c.id, gpa_of(&pi))) != 0 ||
	    (rc = hc_memslot_info(c.id, 0, gpa_of(&ms))) != 0) {
		failf("partition '%s': info or slot 0: %d", name, rc);
		return false;
	}
	if (ms.npages > MAX_PAGES || ms.npages < DEMO_MAP_CELLS) {
		failf("slot 0 of '%s' has %u pages, want %u to %u", name,
		      (u32)ms.npages, DEMO_MAP_CELLS, MAX_PAGES);
		return false;
	}
	c.npages = (u32)ms.npages;
	c.mem_mib = (u32)(pi.mem_bytes >> 20);
	c.ncpus = pi.ncpus;
	return true;
}

static bool target_running(void)
{
	struct partition_info pi;

	return hc_partition_info(c.id, gpa_of(&pi)) == 0 &&
	       (pi.flags & PARTITION_FLAG_RUNNING);
}

/*
 * Print text, formatted, in lines of at most LINE_MAX characters, broken
 * at blanks: the title and the summary, whose numbers vary in length.
 */
static void print_wrapped(const char *fmt, ...) __printf(1, 2);

static void print_wrapped(const char *fmt, ...)
{
	char text[WRAP_MAX], line[LINE_MAX + 1];
	const char *p = text, *end, *brk;
	va_list ap;

	va_start(ap, fmt);
	vgsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	while (*p) {
		end = p + strnlen(p, LINE_MAX);
		brk = end;
		if (*end)
			while (brk > p && *brk != ' ')
				brk--;
		if (brk == p)
			brk = end; /* a word longer than a line */
		memcpy(line, p, (size_t)(brk - p));
		line[brk - p] = '\0';
		gprintf("%s\n", line);
		p = brk;
		while (*p == ' ')
			p++;
	}
}

static void print_title(void)
{
	print_wrapped(
		"Dirty-page heat map of partition '%s' (%u MiB, %u vCPU%s), "
		"made once a second from HC_DIRTY_LOG_GET. A row is %u MiB, "
		"a cell %u KiB (%u pages), shaded by how many of its pages "
		"were written in that second, from none to all: '%s'. "
		"Under each map, path: how Shade write-protected them again "
		"(rmap: through "
		"reverse maps, walk: every shadow page); get, wp: cycles of "
		"the GET and of that step; ipis: TLB-shootdown IPIs in that "
		"second.",
		TARGET, c.mem_mib, c.ncpus, c.ncpus == 1 ? "" : "s",
		c.npages / DEMO_MAP_ROWS / DEMO_MIB_PAGES,
		c.npages / DEMO_MAP_CELLS * 4, c.npages / DEMO_MAP_CELLS, RAMP);
}

static void print_summary(bool stopped, u32 t)
{
	const struct shade_stats *a = &c.first, *b = &c.now;

	print_wrapped(
		"%s after %u s. %u GETs reported %u dirty pages, %u by rmap "
		"and %u by walk; %u shootdown rounds sent %u IPIs; '%s' took "
		"%u shadow faults and %u VM exits.",
		stopped ? "'" TARGET "' has stopped: the end" : "The end", t,
		c.gets, (u32)c.reported,
		(u32)(b->dirty_get_rmap_calls - a->dirty_get_rmap_calls),
		(u32)(b->dirty_get_walk_calls - a->dirty_get_walk_calls),
		(u32)(b->tlb_shootdown_rounds - a->tlb_shootdown_rounds),
		(u32)(b->tlb_shootdown_ipis - a->tlb_shootdown_ipis), TARGET,
		(u32)(b->shadow_faults - a->shadow_faults),
		(u32)(b->vm_exits - a->vm_exits));
}

static bool setup(u32 magic, u32 info)
{
	const char *cmdline = bootinfo_cmdline(magic, info);
	bool bad = false;

	c.seconds = demo_arg(cmdline, "seconds", 0, &bad);
	if (bad) {
		failf("command line '%s': want seconds=N", cmdline);
		return false;
	}
	c.khz = demo_tsc_khz();
	if (!c.khz) {
		failf("no TSC frequency in CPUID 0x%x: not Shade?",
		      CPUID_HV_TIMING);
		return false;
	}
	return find_target();
}

u32 guest_main(u32 magic, u32 info)
{
	u64 start_ms, next_ms;
	u32 t = 0;
	bool stopped = false;
	i32 rc;

	if (!setup(magic, info))
		return check_failures();
	print_title();
	/* Log from a whole second on, so that every frame is one second. */
	start_ms = (demo_div(demo_now_ms(c.khz), 1000) + 1) * 1000;
	demo_wait_until_ms(c.khz, start_ms);
	rc = hc_dirty_log_enable(c.id, 0);
	if (rc != 0 || !read_stats(&c.first)) {
		failf("HC_DIRTY_LOG_ENABLE(%u, 0) returned %d", c.id, rc);
		return check_failures();
	}
	c.prev = c.now = c.first;
	for (next_ms = start_ms + 1000; !stopped; next_ms += 1000) {
		demo_wait_until_ms(c.khz, next_ms);
		t = (u32)demo_div(next_ms - start_ms, 1000);
		/* Stopped before the GET: then this frame has the
		 * workload's last writes. */
		stopped = !target_running();
		frame(t);
		if (c.seconds && t >= c.seconds)
			break;
	}
	if (!stopped && (rc = hc_dirty_log_disable(c.id, 0)) != 0)
		failf("HC_DIRTY_LOG_DISABLE(%u, 0) returned %d", c.id, rc);
	print_summary(stopped, t);
	return check_failures();
}
