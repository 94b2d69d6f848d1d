// SPDX-License-Identifier: MIT
/*
 * Unit tests for vmm/config.c: valid module lines with every key, the
 * defaults, the guest command line after "--", module-for= lines, the
 * exact message for each kind of bad word, and CPU assignment across
 * partitions (duplicate names, pins, free CPUs).
 *
 * Context: host, cmocka, under ASan and UBSan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "types.h"
#include "errno.h"
#include "config.h"

static struct partition_config cfg;
static struct config_error err;

/* Parse line, expecting success. */
static void parse_ok(const char *line)
{
	memset(&cfg, 0xa5, sizeof(cfg));
	memset(&err, 0x5a, sizeof(err));
	if (config_parse(line, &cfg, &err) != 0)
		fail_msg("'%s' refused: %s", line, err.msg);
}

/* Parse line, expecting -EINVAL and exactly this message. */
static void parse_bad(const char *line, const char *msg)
{
	memset(&err, 0x5a, sizeof(err));
	assert_int_equal(config_parse(line, &cfg, &err), -EINVAL);
	assert_string_equal(err.msg, msg);
}

static void expect_pins(const u32 *pins, u32 n)
{
	assert_int_equal(cfg.npcpus, n);
	for (u32 i = 0; i < n; i++)
		assert_int_equal(cfg.pcpus[i], pins[i]);
}

/* ---- valid lines ------------------------------------------------------- */

static void test_defaults(void **state)
{
	(void)state;
	parse_ok("name=alpha");
	assert_string_equal(cfg.name, "alpha");
	assert_int_equal(cfg.mem_bytes, 16 * MiB);
	assert_int_equal(cfg.ncpus, 1);
	assert_int_equal(cfg.npcpus, 0);
	assert_false(cfg.control);
	assert_int_equal(cfg.format, GUEST_FORMAT_AUTO);
	assert_string_equal(cfg.guest_cmdline, "");
}

static void test_all_keys(void **state)
{
	static const u32 pins[] = {1, 2};
	const char *line = "name=alpha mem=32M cpus=2 pcpus=1-2 control "
			   "format=multiboot2 -- console=ttyS0  debug ";

	(void)state;
	parse_ok(line);
	assert_string_equal(cfg.name, "alpha");
	assert_int_equal(cfg.mem_bytes, 32 * MiB);
	assert_int_equal(cfg.ncpus, 2);
	expect_pins(pins, 2);
	assert_true(cfg.control);
	assert_int_equal(cfg.format, GUEST_FORMAT_MULTIBOOT2);
	/* Verbatim, inside the caller's line. */
	assert_string_equal(cfg.guest_cmdline, "console=ttyS0  debug ");
	assert_ptr_equal(cfg.guest_cmdline, strstr(line, "console"));
}

static void test_name_anywhere(void **state)
{
	(void)state;
	parse_ok("mem=4M\tcpus=3  name=z_9-x");
	assert_string_equal(cfg.name, "z_9-x");
	assert_int_equal(cfg.mem_bytes, 4 * MiB);
	assert_int_equal(cfg.ncpus, 3);
	parse_ok("  name=abcdefghijklmno  ");
	assert_string_equal(cfg.name, "abcdefghijklmno");
	parse_ok("name=-");
	assert_string_equal(cfg.name, "-");
}

static void test_formats(void **state)
{
	(void)state;
	parse_ok("name=a format=auto");
	assert_int_equal(cfg.format, GUEST_FORMAT_AUTO);
	parse_ok("name=a format=multiboot2");
	assert_int_equal(cfg.format, GUEST_FORMAT_MULTIBOOT2);
	parse_ok("name=a format=multiboot1");
	assert_int_equal(cfg.format, GUEST_FORMAT_MULTIBOOT1);
	parse_ok("name=a format=linux");
	assert_int_equal(cfg.format, GUEST_FORMAT_LINUX);
}

static void test_mem_sizes(void **state)
{
	(void)state;
	parse_ok("name=a mem=2048K");
	assert_int_equal(cfg.mem_bytes, 2 * MiB);
	parse_ok("name=a mem=2M");
	assert_int_equal(cfg.mem_bytes, 2 * MiB);
	parse_ok("name=a mem=3G");
	assert_int_equal(cfg.mem_bytes, 3 * GiB);
	parse_ok("name=a mem=3072m");
	assert_int_equal(cfg.mem_bytes, 3 * GiB);
	parse_ok("name=a mem=0x400000");
	assert_int_equal(cfg.mem_bytes, 4 * MiB);
	parse_ok("name=a mem=2100k"); /* 525 pages */
	assert_int_equal(cfg.mem_bytes, 2100 * KiB);
}

static void test_cpus(void **state)
{
	(void)state;
	parse_ok("name=a cpus=1");
	assert_int_equal(cfg.ncpus, 1);
	parse_ok("name=a cpus=64");
	assert_int_equal(cfg.ncpus, 64);
	assert_int_equal(cfg.npcpus, 0);
}

static void test_pcpus_lists(void **state)
{
	static const u32 p12[] = {1, 2}, p023[] = {0, 2, 3}, p31[] = {3, 1};
	static const u32 p5[] = {5}, p_mixed[] = {7, 0, 1, 2, 63};
	u32 all[64];

	(void)state;
	parse_ok("name=a cpus=2 pcpus=1,2");
	expect_pins(p12, 2);
	parse_ok("name=a pcpus=1-2 cpus=2");
	expect_pins(p12, 2);
	parse_ok("name=a cpus=3 pcpus=0,2-3");
	expect_pins(p023, 3);
	parse_ok("name=a cpus=2 pcpus=3,1"); /* vCPU order, not sorted */
	expect_pins(p31, 2);
	parse_ok("name=a pcpus=5");
	expect_pins(p5, 1);
	parse_ok("name=a cpus=5 pcpus=7,0-2,63");
	expect_pins(p_mixed, 5);
	parse_ok("name=a pcpus=4-4");
	assert_int_equal(cfg.pcpus[0], 4);
	for (u32 i = 0; i < 64; i++)
		all[i] = i;
	parse_ok("name=a cpus=64 pcpus=0-63");
	expect_pins(all, 64);
}

/* Without cpus=, the pin list gives the vCPU count. */
static void test_pcpus_sets_count(void **state)
{
	static const u32 pins[] = {2, 3, 5};

	(void)state;
	parse_ok("name=a pcpus=2-3,5");
	assert_int_equal(cfg.ncpus, 3);
	expect_pins(pins, 3);
}

static void test_guest_cmdline(void **state)
{
	(void)state;
	parse_ok("name=a --");
	assert_string_equal(cfg.guest_cmdline, "");
	parse_ok("name=a --\t  root=/dev/x -- name=b mem=1");
	assert_string_equal(cfg.guest_cmdline, "root=/dev/x -- name=b mem=1");
	/* Words after "--" are the guest's, never checked here. */
	parse_ok("name=a -- bogus=1 mem=4T");
	assert_int_equal(cfg.mem_bytes, 16 * MiB);
	/* "--x" is an ordinary (unknown) word, not the separator. */
	parse_bad("name=a --x", "partition 'a': '--x': unknown key; the keys "
				"are name, mem, cpus, pcpus, control, format");
}

/* ---- bad words --------------------------------------------------------- */

static void test_unknown_key(void **state)
{
	(void)state;
	parse_bad("name=alpha foo=1",
		  "partition 'alpha': 'foo=1': unknown key; the keys are "
		  "name, mem, cpus, pcpus, control, format");
	/* The name is known even when it comes after the bad word. */
	parse_bad("verbose name=alpha",
		  "partition 'alpha': 'verbose': unknown key; the keys are "
		  "name, mem, cpus, pcpus, control, format");
	parse_bad("foo=1 mem=4M -- x",
		  "module line 'foo=1 mem=4M': 'foo=1': unknown key; the keys "
		  "are name, mem, cpus, pcpus, control, format");
	parse_bad("name=a Name=b",
		  "partition 'a': 'Name=b': unknown key; the keys are name, "
		  "mem, cpus, pcpus, control, format");
	parse_bad("name=a =5",
		  "partition 'a': '=5': unknown key; the keys are name, mem, "
		  "cpus, pcpus, control, format");
}

static void test_module_for_not_first(void **state)
{
	(void)state;
	parse_bad("name=a module-for=b",
		  "partition 'a': 'module-for=b': module-for= must be the "
		  "first word of a module line");
}

static void test_repeated_keys(void **state)
{
	(void)state;
	parse_bad("name=a mem=4M mem=8M",
		  "partition 'a': 'mem=8M': mem is given twice");
	parse_bad("name=a cpus=1 cpus=1",
		  "partition 'a': 'cpus=1': cpus is given twice");
	parse_bad("name=a pcpus=1 pcpus=1",
		  "partition 'a': 'pcpus=1': pcpus is given twice");
	parse_bad("name=a format=auto format=auto",
		  "partition 'a': 'format=auto': format is given twice");
	parse_bad("name=a control control",
		  "partition 'a': 'control': control is given twice");
	/* The first name names the partition. */
	parse_bad("name=a name=b", "partition 'a': 'name=b': name is given "
				   "twice");
}

static void test_missing_values(void **state)
{
	(void)state;
	parse_bad("name=a mem", "partition 'a': 'mem': mem= needs a value");
	parse_bad("name=a mem=", "partition 'a': 'mem=': mem= needs a value");
	parse_bad("name=a cpus", "partition 'a': 'cpus': cpus= needs a value");
	parse_bad("name=a pcpus=",
		  "partition 'a': 'pcpus=': pcpus= needs a value");
	parse_bad("name=a format",
		  "partition 'a': 'format': format= needs a value");
	parse_bad("name= mem=4M",
		  "module line 'name= mem=4M': 'name=': name= needs a value");
	parse_bad("name", "module line 'name': 'name': name= needs a value");
}

static void test_name_required(void **state)
{
	(void)state;
	parse_bad("cpus=2", "module line 'cpus=2': 'name=' is required");
	parse_bad("", "module line '': 'name=' is required");
	parse_bad(NULL, "module line '': 'name=' is required");
	parse_bad("-- name=a", "module line '': 'name=' is required");
	/* A long line is quoted in part. */
	parse_bad("mem=4M cpus=1 format=auto control mem=8M and more",
		  "module line 'mem=4M cpus=1 format=auto control "
		  "mem=8M...': 'mem=8M': mem is given twice");
}

static void test_bad_names(void **state)
{
	(void)state;
	parse_bad("name=abcdefghijklmnop",
		  "module line 'name=abcdefghijklmnop': 'name=abcdefghijklmnop'"
		  ": a name has 1-15 characters, not 16");
	parse_bad("cpus=1 name=Alpha",
		  "module line 'cpus=1 name=Alpha': 'name=Alpha': 'A' is not "
		  "allowed in a name (a-z, 0-9, '_', '-')");
	parse_bad("name=a.b", "module line 'name=a.b': 'name=a.b': '.' is "
			      "not allowed in a name (a-z, 0-9, '_', '-')");
	parse_bad("name=a=b", "module line 'name=a=b': 'name=a=b': '=' is "
			      "not allowed in a name (a-z, 0-9, '_', '-')");
}

static void test_bad_mem(void **state)
{
	(void)state;
	parse_bad("name=alpha mem=4T", "partition 'alpha': 'mem=4T': not a "
				       "size (a number, then K, M or G)");
	parse_bad("name=a mem=abc", "partition 'a': 'mem=abc': not a size "
				    "(a number, then K, M or G)");
	parse_bad("name=a mem=M", "partition 'a': 'mem=M': not a size (a "
				  "number, then K, M or G)");
	parse_bad("name=a mem=-4M", "partition 'a': 'mem=-4M': not a size "
				    "(a number, then K, M or G)");
	parse_bad("name=alpha mem=4G",
		  "partition 'alpha': 'mem=4G': at most 3G");
	parse_bad("name=a mem=3073M", "partition 'a': 'mem=3073M': at most 3G");
	parse_bad("name=a mem=3221225473",
		  "partition 'a': 'mem=3221225473': at most 3G");
	parse_bad("name=a mem=99999999999999999999",
		  "partition 'a': 'mem=99999999999999999999': at most 3G");
	parse_bad("name=a mem=18446744073709551615K",
		  "partition 'a': 'mem=18446744073709551615K': at most 3G");
	parse_bad("name=a mem=1M", "partition 'a': 'mem=1M': at least 2M");
	parse_bad("name=a mem=0", "partition 'a': 'mem=0': at least 2M");
	parse_bad("name=a mem=2049K",
		  "partition 'a': 'mem=2049K': not a multiple of 4K");
	parse_bad("name=a mem=2097153",
		  "partition 'a': 'mem=2097153': not a multiple of 4K");
}

static void test_bad_cpus(void **state)
{
	(void)state;
	parse_bad("name=a cpus=0", "partition 'a': 'cpus=0': must be 1-64");
	parse_bad("name=a cpus=65", "partition 'a': 'cpus=65': must be 1-64");
	parse_bad("name=a cpus=99999999999999999999",
		  "partition 'a': 'cpus=99999999999999999999': must be 1-64");
	parse_bad("name=a cpus=two", "partition 'a': 'cpus=two': not a number");
	parse_bad("name=a cpus=-1", "partition 'a': 'cpus=-1': not a number");
	parse_bad("name=a cpus=2M", "partition 'a': 'cpus=2M': not a number");
}

static void test_bad_pcpus_items(void **state)
{
	(void)state;
	parse_bad("name=a pcpus=1,,2",
		  "partition 'a': 'pcpus=1,,2': empty item in the list");
	parse_bad("name=a pcpus=1,",
		  "partition 'a': 'pcpus=1,': empty item in the list");
	parse_bad("name=a pcpus=,1",
		  "partition 'a': 'pcpus=,1': empty item in the list");
	parse_bad("name=a pcpus=x", "partition 'a': 'pcpus=x': 'x' is not a "
				    "CPU number");
	parse_bad("name=a pcpus=1-", "partition 'a': 'pcpus=1-': '' is not "
				     "a CPU number");
	parse_bad("name=a pcpus=-1", "partition 'a': 'pcpus=-1': '' is not "
				     "a CPU number");
	parse_bad("name=a pcpus=1-2-3", "partition 'a': 'pcpus=1-2-3': "
					"'2-3' is not a CPU number");
	parse_bad("name=a pcpus=0,64", "partition 'a': 'pcpus=0,64': '64' "
				       "is not a CPU number 0-63");
	parse_bad("name=a pcpus=1-99999999999999999999",
		  "partition 'a': 'pcpus=1-99999999999999999999': "
		  "'99999999999999999999' is not a CPU number 0-63");
}

static void test_bad_pcpus_ranges(void **state)
{
	(void)state;
	parse_bad("name=a pcpus=3-1",
		  "partition 'a': 'pcpus=3-1': range 3-1 is reversed");
	parse_bad("name=a pcpus=1,1",
		  "partition 'a': 'pcpus=1,1': CPU 1 is listed twice");
	parse_bad("name=a pcpus=0-2,1",
		  "partition 'a': 'pcpus=0-2,1': CPU 1 is listed twice");
	parse_bad("name=a pcpus=2,1-3",
		  "partition 'a': 'pcpus=2,1-3': CPU 2 is listed twice");
	parse_bad("name=a pcpus=0-63,0",
		  "partition 'a': 'pcpus=0-63,0': CPU 0 is listed twice");
}

static void test_pcpus_count(void **state)
{
	(void)state;
	parse_bad("name=a cpus=3 pcpus=1-2",
		  "partition 'a': 'pcpus=1-2': lists 2 CPUs, but cpus=3");
	parse_bad("name=a pcpus=1 cpus=2",
		  "partition 'a': 'pcpus=1': lists 1 CPU, but cpus=2");
}

static void test_bad_format(void **state)
{
	(void)state;
	parse_bad("name=a format=elf", "partition 'a': 'format=elf': not one "
				       "of auto, multiboot2, multiboot1, "
				       "linux");
	parse_bad("name=a format=Linux", "partition 'a': 'format=Linux': not "
					 "one of auto, multiboot2, "
					 "multiboot1, linux");
}

static void test_bad_control(void **state)
{
	(void)state;
	parse_bad("name=a control=1", "partition 'a': 'control=1': control "
				      "is a flag and takes no value");
	parse_bad("name=a control=", "partition 'a': 'control=': control is "
				     "a flag and takes no value");
}

/* The first bad word is reported, in line order. */
static void test_first_error_wins(void **state)
{
	(void)state;
	parse_bad("name=a cpus=0 mem=1M",
		  "partition 'a': 'cpus=0': must be 1-64");
	parse_bad("mem=1M cpus=0 name=a", "partition 'a': 'mem=1M': at least "
					  "2M");
}

/* A word longer than the quote limit is cut, so the message fits. */
static void test_long_word_quoted(void **state)
{
	(void)state;
	parse_bad(
		"name=a xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"partition 'a': 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
		": unknown key; the keys are name, mem, cpus, pcpus, "
		"control, format");
}

/* ---- module-for= ------------------------------------------------------- */

static void expect_module_for(const char *line, const char *name,
			      const char *rest)
{
	const char *n = NULL, *r = NULL;
	u32 len = 99;

	assert_true(config_is_module_for(line, &n, &len, &r));
	assert_int_equal(len, strlen(name));
	assert_memory_equal(n, name, len);
	assert_string_equal(r, rest);
}

static void expect_not_module_for(const char *line)
{
	const char *n = NULL, *r = NULL;
	u32 len = 99;

	assert_false(config_is_module_for(line, &n, &len, &r));
}

static void test_module_for(void **state)
{
	(void)state;
	expect_module_for("module-for=alpha initrd  args ", "alpha",
			  "initrd  args ");
	expect_module_for("module-for=alpha", "alpha", "");
	expect_module_for("  module-for=b\t -- x", "b", "-- x");
	expect_module_for("module-for=", "", "");
	expect_not_module_for("name=alpha");
	expect_not_module_for("name=a module-for=b");
	expect_not_module_for("module-forx=a");
	expect_not_module_for("module-for");
	expect_not_module_for("module-fo=a");
	expect_not_module_for("");
	expect_not_module_for(NULL);
}

/* ---- CPU assignment ---------------------------------------------------- */

#define ONLINE_0_3 0xfULL

static struct partition_config parts[4];
static const struct partition_config *accepted[4];
static u32 naccepted;
static u64 taken;

static void reset_parts(void)
{
	memset(parts, 0, sizeof(parts));
	naccepted = 0;
	taken = 0;
}

/* Parse a line into the next slot and assign its CPUs. */
static int assign(const char *line, u64 online)
{
	struct partition_config *c = &parts[naccepted];
	int rc;

	if (config_parse(line, c, &err))
		fail_msg("'%s' refused: %s", line, err.msg);
	memset(&err, 0x5a, sizeof(err));
	rc = config_assign_cpus(c, accepted, naccepted, online, &taken, &err);
	if (rc == 0)
		accepted[naccepted++] = c;
	return rc;
}

static void assign_ok(const char *line, u64 online)
{
	if (assign(line, online))
		fail_msg("'%s' not assigned: %s", line, err.msg);
}

static void assign_bad(const char *line, u64 online, const char *msg)
{
	u64 before = taken;

	assert_int_equal(assign(line, online), -EINVAL);
	assert_string_equal(err.msg, msg);
	assert_int_equal(taken, before);
}

static void test_assign_first_free(void **state)
{
	static const u32 p01[] = {0, 1}, p2[] = {2};

	(void)state;
	reset_parts();
	assign_ok("name=a cpus=2", ONLINE_0_3);
	assert_int_equal(parts[0].npcpus, 2);
	assert_memory_equal(parts[0].pcpus, p01, sizeof(p01));
	assign_ok("name=b", ONLINE_0_3);
	assert_int_equal(parts[1].npcpus, 1);
	assert_memory_equal(parts[1].pcpus, p2, sizeof(p2));
	assert_int_equal(taken, 0x7);
}

static void test_assign_skips_offline_and_taken(void **state)
{
	static const u32 want[] = {1, 4, 6};

	(void)state;
	reset_parts();
	taken = BIT(0); /* the caller may keep CPUs for itself */
	assign_ok("name=a cpus=3", BIT(0) | BIT(1) | BIT(4) | BIT(6));
	assert_int_equal(parts[0].npcpus, 3);
	assert_memory_equal(parts[0].pcpus, want, sizeof(want));
	assert_int_equal(taken, BIT(0) | BIT(1) | BIT(4) | BIT(6));
}

static void test_assign_pins_then_free(void **state)
{
	static const u32 p2[] = {2}, p01[] = {0, 1}, p3[] = {3};

	(void)state;
	reset_parts();
	assign_ok("name=a pcpus=2", ONLINE_0_3);
	assert_memory_equal(parts[0].pcpus, p2, sizeof(p2));
	assign_ok("name=b cpus=2", ONLINE_0_3);
	assert_memory_equal(parts[1].pcpus, p01, sizeof(p01));
	assign_ok("name=c", ONLINE_0_3);
	assert_memory_equal(parts[2].pcpus, p3, sizeof(p3));
	assert_int_equal(taken, ONLINE_0_3);
}

static void test_assign_too_many_vcpus(void **state)
{
	(void)state;
	reset_parts();
	assign_ok("name=alpha cpus=2", ONLINE_0_3);
	assign_bad("name=beta cpus=3", ONLINE_0_3,
		   "partition 'beta': 'cpus=3': only 2 physical CPUs are free");
	assign_ok("name=gamma", ONLINE_0_3);
	assign_bad("name=delta cpus=2", ONLINE_0_3,
		   "partition 'delta': 'cpus=2': only 1 physical CPU is free");
	assign_ok("name=eps", ONLINE_0_3);
	assign_bad("name=zeta", ONLINE_0_3,
		   "partition 'zeta': 'cpus=1': only 0 physical CPUs are free");
	reset_parts();
	assign_bad("name=big cpus=5", ONLINE_0_3,
		   "partition 'big': 'cpus=5': only 4 physical CPUs are free");
}

static void test_assign_overlapping_pins(void **state)
{
	(void)state;
	reset_parts();
	assign_ok("name=alpha pcpus=1", ONLINE_0_3);
	assign_bad("name=beta pcpus=1", ONLINE_0_3,
		   "partition 'beta': 'pcpus=1': CPU 1 is already used by "
		   "partition 'alpha'");
	reset_parts();
	assign_ok("name=alpha pcpus=1-2", ONLINE_0_3);
	assign_bad("name=beta pcpus=0,2-3", ONLINE_0_3,
		   "partition 'beta': 'pcpus=0,2-3': CPU 2 is already used by "
		   "partition 'alpha'");
	assign_bad("name=beta pcpus=3,1", ONLINE_0_3,
		   "partition 'beta': 'pcpus=3,1': CPU 1 is already used by "
		   "partition 'alpha'");
	/* A pinned partition after one that took free CPUs. */
	assign_ok("name=gamma", ONLINE_0_3);
	assign_bad("name=delta pcpus=0", ONLINE_0_3,
		   "partition 'delta': 'pcpus=0': CPU 0 is already used by "
		   "partition 'gamma'");
}

static void test_assign_pin_not_free(void **state)
{
	(void)state;
	reset_parts();
	taken = BIT(0);
	assign_bad("name=a pcpus=0", ONLINE_0_3,
		   "partition 'a': 'pcpus=0': CPU 0 is not free");
	assign_bad("name=a cpus=4 pcpus=0-2,5", 0x2fULL,
		   "partition 'a': 'pcpus=0-2,5': CPU 0 is not free");
}

static void test_assign_pin_offline(void **state)
{
	(void)state;
	reset_parts();
	assign_bad("name=a pcpus=5", ONLINE_0_3,
		   "partition 'a': 'pcpus=5': CPU 5 is not online (online: "
		   "0-3)");
	assign_bad("name=a pcpus=1-2", BIT(0) | BIT(1) | BIT(3) | BIT(63),
		   "partition 'a': 'pcpus=1-2': CPU 2 is not online (online: "
		   "0-1,3,63)");
}

static void test_assign_duplicate_name(void **state)
{
	(void)state;
	reset_parts();
	assign_ok("name=alpha", ONLINE_0_3);
	assign_bad("name=alpha", ONLINE_0_3,
		   "partition 'alpha': 'name=alpha': another partition "
		   "already has this name");
	assign_ok("name=alpha2", ONLINE_0_3);
}

static void test_assign_all_64(void **state)
{
	(void)state;
	reset_parts();
	assign_ok("name=a cpus=64", ~0ULL);
	assert_int_equal(parts[0].npcpus, 64);
	assert_int_equal(parts[0].pcpus[63], 63);
	assert_int_equal(taken, ~0ULL);
	assign_bad("name=b pcpus=63", ~0ULL,
		   "partition 'b': 'pcpus=63': CPU 63 is already used by "
		   "partition 'a'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_name_anywhere),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_mem_sizes),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_pcpus_lists),
		cmocka_unit_test(test_pcpus_sets_count),
		cmocka_unit_test(test_guest_cmdline),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_module_for_not_first),
		cmocka_unit_test(test_repeated_keys),
		cmocka_unit_test(test_missing_values),
		cmocka_unit_test(test_name_required),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_mem),
		cmocka_unit_test(test_bad_cpus),
		cmocka_unit_test(test_bad_pcpus_items),
		cmocka_unit_test(test_bad_pcpus_ranges),
		cmocka_unit_test(test_pcpus_count),
		cmocka_unit_test(test_bad_format),
		cmocka_unit_test(test_bad_control),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_long_word_quoted),
		cmocka_unit_test(test_module_for),
		cmocka_unit_test(test_assign_first_free),
		cmocka_unit_test(test_assign_skips_offline_and_taken),
		cmocka_unit_test(test_assign_pins_then_free),
		cmocka_unit_test(test_assign_too_many_vcpus),
		cmocka_unit_test(test_assign_overlapping_pins),
		cmocka_unit_test(test_assign_pin_not_free),
		cmocka_unit_test(test_assign_pin_offline),
		cmocka_unit_test(test_assign_duplicate_name),
		cmocka_unit_test(test_assign_all_64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
