/* SPDX-License-Identifier: MIT */
/*
 * Partition configuration from GRUB module command lines (contract
 * section 2), vmm/config.c:
 *
 *	name=alpha mem=16M cpus=2 pcpus=1-2 control format=auto -- guest args
 *	module-for=alpha initrd-args        (a boot module for partition alpha)
 *
 * Parsing is pure: it reads strings and fills structures, so the host unit
 * tests (tests/unit/test_config.c) cover every error message.
 */
#ifndef SHADE_CONFIG_H
#define SHADE_CONFIG_H

#include "types.h"

#define PARTITION_NAME_MAX 15
#define CONFIG_MAX_CPUS	   64 /* = MAX_CPUS */
#define CONFIG_MEM_DEFAULT (16ULL << 20)
#define CONFIG_MEM_MIN	   (2ULL << 20) /* low 1 MiB + room for an image */
#define CONFIG_MEM_MAX	   (3ULL << 30)

enum guest_format {
	GUEST_FORMAT_AUTO,
	GUEST_FORMAT_MULTIBOOT2,
	GUEST_FORMAT_MULTIBOOT1,
	GUEST_FORMAT_LINUX,
};

struct partition_config {
	char name[PARTITION_NAME_MAX + 1];
	u64 mem_bytes; /* multiple of 4 KiB */
	u32 ncpus;
	u32 npcpus;		    /* 0 = "pcpus=" not given */
	u32 pcpus[CONFIG_MAX_CPUS]; /* physical CPU of each vCPU, in order */
	bool control;
	enum guest_format format;
	const char *guest_cmdline; /* after "--" (blanks skipped), or "" */
};

/* One sentence; the caller prints it with the module number. */
struct config_error {
	char msg[192];
};

/*
 * Is this module line a "module-for=NAME ..." line? If so, returns true,
 * sets *name and *name_len to NAME and *rest to the rest of the line (blanks
 * skipped), which becomes the module's string for the guest.
 */
bool config_is_module_for(const char *line, const char **name, u32 *name_len,
			  const char **rest);

/*
 * Parse one partition's line. Returns 0, or -EINVAL with err->msg naming
 * the partition (if its name was read) and quoting the offending word:
 *	"partition 'alpha': 'mem=4T': at most 3G"
 *	"module line 'cpus=2': 'name=' is required"
 * Checks: unknown key; missing or repeated keys; name of 1-15 chars of
 * [a-z0-9_-]; mem= a size (K/M/G) from 2M to 3G, a multiple of 4K;
 * cpus= 1-64; pcpus= a list of numbers and ranges ("1,3-4") with no
 * repeats, whose length equals cpus= (given before or after it);
 * format= one of auto, multiboot2, multiboot1, linux; "control" takes no
 * value.
 */
int config_parse(const char *line, struct partition_config *cfg,
		 struct config_error *err);

/*
 * Check one more partition against those accepted before it, and pick its
 * physical CPUs: a name used before is an error; pinned CPUs must be
 * online (bit set in `online`) and not in *taken; without pcpus= the
 * first free online CPUs in ascending order are taken. On success the
 * CPUs are added to *taken and cfg->pcpus/npcpus filled in. Returns 0 or
 * -EINVAL with a message ("partition 'beta': 'pcpus=1': CPU 1 is already
 * used by partition 'alpha'", "partition 'beta': 'cpus=3': only 2
 * physical CPUs are free"). The caller runs it over the partitions with
 * pcpus= first, then the others, in module order.
 */
int config_assign_cpus(struct partition_config *cfg,
		       const struct partition_config *const *accepted,
		       u32 naccepted, u64 online, u64 *taken,
		       struct config_error *err);

#endif
