// SPDX-License-Identifier: MIT
/*
 * demo-work: the workload partition of the `make run` demo. It writes its
 * memory in patterns a person recognizes on the heat map that demo-ctl
 * prints from the dirty log, in three scenes that repeat:
 *
 *   1 busy     a hot spot in the map's first row rewritten all the time,
 *              a band sweeping rows 1-7 at half a row a second, and 32
 *              pages a second written at random;
 *   2 quiet    4 random pages a second: fewer dirty pages than Shade has
 *              shadow pages, so its GET re-protects them through the
 *              reverse maps instead of walking every shadow page (the
 *              "path" demo-ctl shows);
 *   3 picture  the word SHADE in rows 1-7, and in row 0 two cells of each
 *              shade of the map's scale.
 *
 * The command line: `scene=S`, the seconds the quiet and picture scenes
 * last, busy twice that (default 4); `seconds=N`, stop with status 0
 * after N seconds (default 0: never). With cpus=2 the jobs a scene is
 * made of are shared out between the two vCPUs.
 *
 * Positions are in map cells (demo-common.h), so that the pictures land
 * on the map whatever the memory size (at least MIN_MEM_MIB). A write
 * touches one word of a page: dirty logging counts pages. Only the right
 * half of row 0 and the rows below are written, above this image, its
 * stacks and the boot information (read before the first write). Prints
 * one line at its start and one per scene, at half seconds of TSC time,
 * when demo-ctl prints nothing. Every vCPU runs at CPL 0, paging off.
 */
#include "guest.h"
#include "demo-common.h"

#define MAX_CPUS	2
#define STACK_SIZE	8192
#define DEFAULT_SCENE_S 4
#define MIN_MEM_MIB	32 /* a cell of 16 pages or more, row 0 col 32 >= 2M */
#define START_DELAY_MS	1000 /* let demo-ctl print its title first */
#define HALF_SECOND_MS	500
#define FIRST_CPU	0

/*
 * Where the jobs write, in map cells (demo-common.h): row 0 holds this
 * image from 1 MiB and the boot information after it, so the jobs stay
 * in its right half, above 2 MiB for any size of at least MIN_MEM_MIB.
 */
#define PAINT_CELL   32 /* first cell of row 0 any job writes */
#define HOT_CELL     40 /* the hot spot: cells 40-43 of row 0 */
#define HOT_CELLS    4
#define BAND_CELL    DEMO_MAP_COLS /* the band sweeps rows 1-7 */
#define BAND_CELLS   8
#define BAND_SPEED   32 /* cells a second */
#define BUSY_RANDOM  32 /* random pages a second */
#define QUIET_RANDOM 4

/* One vCPU's progress in the current scene. */
struct cpu_state {
	u32 scene;	 /* index into scenes[], NSCENES before the first */
	u32 random_done; /* random pages written in this scene */
	u32 rng;	 /* xorshift32 state, never 0 */
	u32 stamp;	 /* the value written, different each pass */
};

typedef void (*job_fn)(struct cpu_state *cs, u32 ms_in_scene);

#define SCENE_JOBS 3

struct scene {
	const char *what;	 /* for the line announcing it */
	u32 length;		 /* in units of scene=S seconds */
	job_fn jobs[SCENE_JOBS]; /* job j runs on vCPU j % ncpus */
};

static struct {
	u32 khz;
	u32 npages;	  /* RAM pages: slot 0 */
	u32 cell_pages;	  /* pages in a map cell */
	u32 ncpus;	  /* vCPUs that run jobs */
	u32 scene_ms;	  /* the unit of the scenes' lengths */
	u32 seconds;	  /* 0: forever */
	u64 epoch_ms;	  /* TSC time of the first scene's start */
	volatile u32 end; /* set by vCPU 0 when the time is up */
} w;

static struct cpu_state cpu_states[MAX_CPUS];
static u8 stack1[STACK_SIZE] __aligned(16);
static struct vcpu_boot boot1;

/* ---- writing pages ------------------------------------------------------- */

static void touch(u32 page, u32 stamp)
{
	*(volatile u32 *)(page << DEMO_PAGE_SHIFT) = stamp;
}

static void touch_range(u32 first, u32 n, u32 stamp)
{
	u32 i;

	for (i = 0; i < n; i++)
		touch(first + i, stamp);
}

static u32 cell_first(u32 cell)
{
	return demo_cell_first(cell, w.npages);
}

/* The first n pages of map cell (row, col). */
static void touch_cell(u32 row, u32 col, u32 n, u32 stamp)
{
	touch_range(cell_first(row * DEMO_MAP_COLS + col), n, stamp);
}

static u32 xorshift32(u32 *s)
{
	u32 x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* ---- the jobs the scenes are made of ------------------------------------- */

static void job_hot(struct cpu_state *cs, u32 ms)
{
	(void)ms;
	touch_range(cell_first(HOT_CELL),
		    cell_first(HOT_CELL + HOT_CELLS) - cell_first(HOT_CELL),
		    cs->stamp);
}

/* BAND_CELLS cells' worth of pages moving BAND_SPEED cells a second. */
static void job_band(struct cpu_state *cs, u32 ms)
{
	u32 first = cell_first(BAND_CELL), span = w.npages - first;
	u32 width = BAND_CELLS * w.cell_pages,
	    speed = BAND_SPEED * w.cell_pages;
	u32 pos = ms / 1000 * speed + ms % 1000 * speed / 1000, i;

	for (i = 0; i < width; i++)
		touch(first + (pos + i) % span, cs->stamp);
}

/* rate random pages a second, spread over the scene. */
static void random_pages(struct cpu_state *cs, u32 ms, u32 rate)
{
	u32 first = cell_first(PAINT_CELL);
	u32 due = (u32)demo_div((u64)ms * rate, 1000);

	for (; cs->random_done < due; cs->random_done++)
		touch(first + xorshift32(&cs->rng) % (w.npages - first),
		      cs->stamp);
}

static void job_busy_random(struct cpu_state *cs, u32 ms)
{
	random_pages(cs, ms, BUSY_RANDOM);
}

static void job_quiet_random(struct cpu_state *cs, u32 ms)
{
	random_pages(cs, ms, QUIET_RANDOM);
}

/*
 * "SHADE" in a 5x7 font, one bit per pixel (bit 4 leftmost). A pixel is
 * two map cells wide, a letter 10 cells, with 2 between letters: 58 cells
 * from column PICTURE_COL, in map rows 1-7.
 */
#define FONT_W	    5
#define FONT_H	    7
#define PIXEL_CELLS 2
#define LETTER_STEP 12
#define PICTURE_COL 3
#define PICTURE_ROW 1

static const u8 font_shade[][FONT_H] = {
	{0x0e, 0x11, 0x10, 0x0e, 0x01, 0x11, 0x0e}, /* S */
	{0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}, /* H */
	{0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}, /* A */
	{0x1e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1e}, /* D */
	{0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f}, /* E */
};

/* Every page of the pixels whose letter index has this parity. */
static void picture_letters(struct cpu_state *cs, u32 parity)
{
	u32 l, y, x, c, col;

	for (l = parity; l < ARRAY_SIZE(font_shade); l += 2)
		for (y = 0; y < FONT_H; y++)
			for (x = 0; x < FONT_W; x++) {
				if (!(font_shade[l][y] & (0x10 >> x)))
					continue;
				col = PICTURE_COL + l * LETTER_STEP +
				      x * PIXEL_CELLS;
				for (c = 0; c < PIXEL_CELLS; c++)
					touch_cell(PICTURE_ROW + y, col + c,
						   w.cell_pages, cs->stamp);
			}
}

static void job_picture_even(struct cpu_state *cs, u32 ms)
{
	(void)ms;
	picture_letters(cs, 0);
}

static void job_picture_odd(struct cpu_state *cs, u32 ms)
{
	(void)ms;
	picture_letters(cs, 1);
}

/*
 * The map's scale in row 0: levels 1-9 of " .:-=+*#%@", two cells each
 * from column SCALE_COL. Level l < 9 writes the middle of its eighth,
 * (2l - 1)/16 of a cell's pages; level 9 all of them.
 */
#define SCALE_COL    44
#define SCALE_LEVELS 9

static void job_scale(struct cpu_state *cs, u32 ms)
{
	u32 l, c, col, n;

	(void)ms;
	for (l = 1; l <= SCALE_LEVELS; l++)
		for (c = 0; c < 2; c++) {
			col = SCALE_COL + 2 * (l - 1) + c;
			n = w.cell_pages;
			if (l < SCALE_LEVELS)
				n = (2 * l - 1) * n / 16;
			touch_cell(0, col, n, cs->stamp);
		}
}

static const struct scene scenes[] = {
	{.what = "busy: a hot spot in row 0, a sweeping band, random pages",
	 .length = 2,
	 .jobs = {job_band, job_hot, job_busy_random}},
	{.what = "quiet: 4 random pages a second: Shade takes the rmap path",
	 .length = 1,
	 .jobs = {job_quiet_random}},
	{.what = "picture: a word in rows 1-7, the map's scale in row 0",
	 .length = 1,
	 .jobs = {job_picture_even, job_picture_odd, job_scale}},
};

#define NSCENES ARRAY_SIZE(scenes)

/* ---- the scene loop, on every vCPU --------------------------------------- */

static void announce(u32 scene)
{
	gprintf("scene %u/%u: %s\n", scene + 1, (u32)NSCENES,
		scenes[scene].what);
}

/* Milliseconds since the first scene started. */
static u32 scene_clock(void)
{
	return (u32)(demo_now_ms(w.khz) - w.epoch_ms);
}

/* The scene at ms on the scene clock; *ms_in becomes the time inside it. */
static u32 scene_at(u32 ms, u32 *ms_in)
{
	u32 i, cycle = 0;

	for (i = 0; i < NSCENES; i++)
		cycle += scenes[i].length * w.scene_ms;
	ms %= cycle;
	for (i = 0; ms >= scenes[i].length * w.scene_ms; i++)
		ms -= scenes[i].length * w.scene_ms;
	*ms_in = ms;
	return i;
}

static void run_scenes(u32 cpu)
{
	struct cpu_state *cs = &cpu_states[cpu];
	u32 ms, ms_in, scene, j;

	while (!w.end) {
		ms = scene_clock();
		if (cpu == FIRST_CPU && w.seconds && ms >= w.seconds * 1000u) {
			w.end = 1;
			break;
		}
		scene = scene_at(ms, &ms_in);
		if (scene != cs->scene) {
			cs->scene = scene;
			cs->random_done = 0;
			if (cpu == FIRST_CPU)
				announce(scene);
		}
		cs->stamp++;
		for (j = cpu; j < SCENE_JOBS; j += w.ncpus)
			if (scenes[scene].jobs[j])
				scenes[scene].jobs[j](cs, ms_in);
	}
}

/*
 * Interrupts on, on every vCPU. Shade delivers no interrupt to a guest
 * (each one exits to Shade), so IF changes nothing, except under Bochs
 * 2.7: there a vCPU running with IF=0 does not take the VM exit that
 * Shade's TLB-shootdown IPI should cause, so a vCPU spinning without
 * exits held up each HC_DIRTY_LOG_GET until its next exit, for seconds.
 */
static void interrupts_on(void)
{
	asm volatile("sti");
}

static void secondary(u32 index, struct vcpu_boot *boot)
{
	(void)boot;
	interrupts_on();
	run_scenes(index);
}

/* ---- set-up -------------------------------------------------------------- */

static bool setup(u32 magic, u32 info)
{
	const char *cmdline = bootinfo_cmdline(magic, info);
	struct partition_info pi;
	bool bad = false;
	u32 i;

	w.seconds = demo_arg(cmdline, "seconds", 0, &bad);
	w.scene_ms = demo_arg(cmdline, "scene", DEFAULT_SCENE_S, &bad) * 1000;
	if (bad || w.scene_ms == 0) {
		failf("command line '%s': want seconds=N scene=S", cmdline);
		return false;
	}
	w.khz = demo_tsc_khz();
	if (!w.khz) {
		failf("no TSC frequency in CPUID 0x%x: not Shade?",
		      CPUID_HV_TIMING);
		return false;
	}
	if (hc_partition_info(PARTITION_SELF, gpa_of(&pi)) != 0 ||
	    pi.mem_bytes < MIN_MEM_MIB * 1024 * 1024 ||
	    (u32)_image_end > 2 * DEMO_MIB_PAGES << DEMO_PAGE_SHIFT) {
		failf("want at least %u MiB and an image below 2 MiB",
		      MIN_MEM_MIB);
		return false;
	}
	w.npages = (u32)(pi.mem_bytes >> DEMO_PAGE_SHIFT);
	w.cell_pages = w.npages / DEMO_MAP_CELLS;
	w.ncpus = pi.ncpus < MAX_CPUS ? pi.ncpus : MAX_CPUS;
	for (i = 0; i < MAX_CPUS; i++)
		cpu_states[i] =
			(struct cpu_state){NSCENES, 0, 0x9e3779b9u + i, 0};
	return true;
}

/* The first half second of TSC time at least START_DELAY_MS from now. */
static u64 first_epoch(void)
{
	u64 t = demo_now_ms(w.khz) + START_DELAY_MS;
	u64 e = demo_div(t, 1000) * 1000 + HALF_SECOND_MS;

	return e >= t ? e : e + 1000;
}

u32 guest_main(u32 magic, u32 info)
{
	char how_long[24] = "round and round";

	interrupts_on();
	if (!setup(magic, info))
		return check_failures();
	w.epoch_ms = first_epoch();
	demo_wait_until_ms(w.khz, w.epoch_ms);
	if (w.seconds)
		gsnprintf(how_long, sizeof(how_long), "for %u s", w.seconds);
	gprintf("writing my %u MiB in scenes of %u, %u and %u s, %s\n",
		w.npages / DEMO_MIB_PAGES, scenes[0].length * w.scene_ms / 1000,
		scenes[1].length * w.scene_ms / 1000,
		scenes[2].length * w.scene_ms / 1000, how_long);
	if (w.ncpus > 1 &&
	    vcpu_start(1, &boot1, stack1, sizeof(stack1), secondary) != 0) {
		failf("HC_VCPU_START(1) failed");
		w.ncpus = 1;
	}
	run_scenes(FIRST_CPU);
	gprintf("done after %u s\n", w.seconds);
	return check_failures();
}
