// SPDX-License-Identifier: MIT
/*
 * Creating the partitions at boot, from the GRUB module lines (contract
 * section 2). See vmm/partition.c for the life of a partition after this.
 *
 * Order of work, so that a bad configuration costs nothing and takes
 * nothing from the others: parse every line; read each guest image's
 * headers and plan its memory; assign physical CPUs to the partitions
 * still standing (pinned ones first); only then take host memory, build
 * the identity tables, copy the image, the modules and the boot
 * information into guest RAM, and pin the vCPUs.
 *
 * Context: boot CPU, after VMX is on everywhere, interrupts off.
 */
#include "vmm.h"
#include "config.h"
#include "loader.h"
#include "vplatform.h"
#include "percpu.h"
#include "ipi.h"
#include "heap.h"
#include "paging.h"
#include "kstring.h"
#include "format.h"
#include "errno.h"
#include "printk.h"

#define PORT_BITMAP_BYTES (65536 / 8)

/* What boot found on each module line. */
struct module_line {
	bool is_partition; /* else a module-for line */
	bool ok;	   /* a partition accepted so far */
	struct partition_config cfg;
	const char *for_name; /* module-for: the partition it belongs to */
	u32 for_len;
	const char *for_rest; /* module-for: the module's own string */

	/* A partition's image, read and planned before it gets anything. */
	struct guest_image img;
	struct loader_plan plan;
	u32 nmods;
	struct loader_module mods[LOADER_MAX_MODULES];
	u32 mod_index[LOADER_MAX_MODULES]; /* module line of each */
};

static struct module_line lines[BOOT_MAX_MODULES];
static u16 next_vpid = 1;

static u32 parse_lines(const struct boot_info *bi)
{
	struct config_error err;
	u32 bad = 0;

	for (u32 i = 0; i < bi->nmodules; i++) {
		struct module_line *l = &lines[i];
		const char *s = bi->modules[i].cmdline;

		if (config_is_module_for(s, &l->for_name, &l->for_len,
					 &l->for_rest))
			continue;
		l->is_partition = true;
		l->ok = config_parse(s, &l->cfg, &err) == 0;
		if (!l->ok) {
			pr_err("%s", err.msg);
			bad++;
		}
	}
	return bad;
}

/* Pinned partitions first, so that "first free CPUs" never takes a CPU a
 * later line asks for by number. */
static u32 assign_cpus(u32 n)
{
	const struct partition_config *accepted[BOOT_MAX_MODULES];
	struct config_error err;
	u64 online = cpus_online_mask(), taken = 0;
	u32 naccepted = 0, bad = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (u32 i = 0; i < n; i++) {
			struct module_line *l = &lines[i];

			if (!l->ok || (pass == 0) != (l->cfg.npcpus != 0))
				continue;
			if (config_assign_cpus(&l->cfg, accepted, naccepted,
					       online, &taken, &err)) {
				pr_err("%s", err.msg);
				l->ok = false;
				bad++;
				continue;
			}
			accepted[naccepted++] = &l->cfg;
		}
	}
	return bad;
}

static bool names_partition(u32 n, const char *name, u32 len)
{
	for (u32 i = 0; i < n; i++) {
		if (lines[i].is_partition && strlen(lines[i].cfg.name) == len &&
		    !memcmp(lines[i].cfg.name, name, len))
			return true;
	}
	return false;
}

/* A module-for line must name a partition of this boot. */
static u32 check_module_for(u32 n)
{
	u32 bad = 0;

	for (u32 i = 0; i < n; i++) {
		const struct module_line *l = &lines[i];

		if (l->is_partition ||
		    names_partition(n, l->for_name, l->for_len))
			continue;
		pr_err("module %u: 'module-for=%.*s': no partition of that "
		       "name",
		       i, (int)l->for_len, l->for_name);
		bad++;
	}
	return bad;
}

/* The modules handed to partition `name`, in module order. */
static u32 gather_modules(const struct boot_info *bi, const char *name,
			  struct loader_module *mods, u32 *first_index)
{
	u32 n = 0;

	for (u32 i = 0; i < bi->nmodules && n < LOADER_MAX_MODULES; i++) {
		const struct module_line *l = &lines[i];

		if (l->is_partition || strlen(name) != l->for_len ||
		    memcmp(name, l->for_name, l->for_len))
			continue;
		first_index[n] = i;
		mods[n].size = bi->modules[i].end - bi->modules[i].start;
		mods[n].cmdline = l->for_rest;
		n++;
	}
	return n;
}

static const void *module_bytes(const struct boot_info *bi, u32 i)
{
	return (const void *)hpa_to_hva(bi->modules[i].start);
}

/* Copy the image's segments, the modules and the boot information. */
static int load_guest(struct partition *p, const struct boot_info *bi,
		      u32 image, const struct guest_image *img,
		      const struct loader_module *mods, const u32 *mod_index,
		      u32 nmods, const struct loader_plan *plan)
{
	const u8 *bytes = module_bytes(bi, image);
	u8 *info;
	int ret = 0;

	for (u32 i = 0; i < img->nsegments && !ret; i++) {
		const struct guest_segment *s = &img->segments[i];

		ret = guest_write(p, s->gpa, bytes + s->file_offset,
				  s->file_size);
	}
	for (u32 i = 0; i < nmods && !ret; i++)
		ret = guest_write(p, mods[i].gpa,
				  module_bytes(bi, mod_index[i]), mods[i].size);
	info = kzalloc(plan->info_size);
	if (!info)
		return -ENOMEM;
	loader_build_info(img, mods, nmods, p->cfg.guest_cmdline,
			  p->cfg.mem_bytes, plan, info);
	if (!ret)
		ret = guest_write(p, plan->info_gpa, info, plan->info_size);
	kfree(info);
	return ret;
}

static int setup_vcpus(struct partition *p, const struct guest_image *img,
		       const struct loader_plan *plan)
{
	p->vcpus = kzalloc(p->cfg.ncpus * sizeof(struct vcpu));
	if (!p->vcpus)
		return -ENOMEM;
	for (u32 i = 0; i < p->cfg.ncpus; i++) {
		struct vcpu *v = &p->vcpus[i];

		v->part = p;
		v->index = i;
		v->pcpu = p->cfg.pcpus[i];
		v->vpid = next_vpid++;
		v->state = VCPU_NOT_STARTED;
		if (mmu_vcpu_init(v))
			return -ENOMEM;
		percpu[v->pcpu].vcpu = v;
	}
	loader_entry_state(img, plan, &p->vcpus[0].start);
	return 0;
}

static const char *const format_names[] = {
	[GUEST_FORMAT_MULTIBOOT2] = "multiboot2",
	[GUEST_FORMAT_MULTIBOOT1] = "multiboot1",
	[GUEST_FORMAT_LINUX] = "linux",
};

static void describe(const struct partition *p, const struct guest_image *img)
{
	char cpus[128];
	u32 n = 0;

	cpus[0] = 0;
	for (u32 i = 0; i < p->cfg.ncpus && n < sizeof(cpus) - 8; i++)
		n += ksnprintf(cpus + n, sizeof(cpus) - n, "%s%u", i ? "," : "",
			       p->cfg.pcpus[i]);
	pr_info("partition '%s': %u vCPU%s on CPU%s %s, %lu MiB, %s image, "
		"entry %#lx",
		p->cfg.name, p->cfg.ncpus, p->cfg.ncpus == 1 ? "" : "s",
		p->cfg.ncpus == 1 ? "" : "s", cpus, p->cfg.mem_bytes / MiB,
		format_names[img->format], img->entry);
}

/* Read line i's image and plan its memory; false (reported) if bad. */
static bool check_image(const struct boot_info *bi, u32 i)
{
	struct module_line *l = &lines[i];
	const struct boot_module *m = &bi->modules[i];
	struct loader_error err;

	l->nmods = gather_modules(bi, l->cfg.name, l->mods, l->mod_index);
	if (loader_parse(module_bytes(bi, i), m->end - m->start, l->cfg.format,
			 l->cfg.mem_bytes, &l->img, &err) ||
	    loader_plan(&l->img, l->mods, l->nmods, l->cfg.guest_cmdline,
			l->cfg.mem_bytes, &l->plan, &err)) {
		pr_err("partition '%s': image (module %u, %lu bytes): %s",
		       l->cfg.name, i, m->end - m->start, err.msg);
		return false;
	}
	return true;
}

static u32 check_images(const struct boot_info *bi)
{
	u32 bad = 0;

	for (u32 i = 0; i < bi->nmodules; i++) {
		if (lines[i].ok && !check_image(bi, i)) {
			lines[i].ok = false;
			bad++;
		}
	}
	return bad;
}

/* Build partition p from line i, whose image is already planned. On
 * failure nothing stays allocated but identity-table pages, and the
 * reason is printed. */
static int create_one(const struct boot_info *bi, u32 i, struct partition *p)
{
	struct module_line *l = &lines[i];
	const char *name = p->cfg.name;

	if (memslot_alloc(&p->slots[0], p->cfg.mem_bytes)) {
		pr_err("partition '%s': not enough free host memory for "
		       "mem=%luM",
		       name, p->cfg.mem_bytes / MiB);
		return -ENOMEM;
	}
	p->nslots = 1;
	p->ports_seen = kzalloc(PORT_BITMAP_BYTES);
	if (!p->ports_seen || mmu_init(p) ||
	    load_guest(p, bi, i, &l->img, l->mods, l->mod_index, l->nmods,
		       &l->plan) ||
	    setup_vcpus(p, &l->img, &l->plan) || vplatform_init(p)) {
		pr_err("partition '%s': could not be set up (out of host "
		       "memory, or see above)",
		       name);
		/* Its CPUs run nothing: no vCPU of it stays pinned. */
		for (u32 c = 0; p->vcpus && c < p->cfg.ncpus; c++)
			if (percpu[p->vcpus[c].pcpu].vcpu == &p->vcpus[c])
				percpu[p->vcpus[c].pcpu].vcpu = NULL;
		memslot_free(&p->slots[0]);
		kfree(p->ports_seen);
		return -ENOMEM;
	}
	describe(p, &l->img);
	return 0;
}

u32 partitions_create(const struct boot_info *bi)
{
	u32 n = bi->nmodules, bad;

	bad = parse_lines(bi);
	bad += check_module_for(n);
	bad += check_images(bi);
	bad += assign_cpus(n);
	for (u32 i = 0; i < n; i++) {
		struct partition *p = &partitions[nr_partitions];

		if (!lines[i].ok)
			continue;
		memset(p, 0, sizeof(*p));
		p->id = nr_partitions + 1;
		p->cfg = lines[i].cfg;
		spin_init(&p->lock, "partition");
		spin_init(&p->console_lock, "pconsole");
		spin_init(&p->ports_lock, "ports");
		spin_init(&p->slots[0].log.lock, "dirty log");
		if (create_one(bi, i, p)) {
			bad++;
			continue;
		}
		p->running = true;
		nr_partitions++;
	}
	return bad;
}
