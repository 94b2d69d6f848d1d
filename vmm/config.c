// SPDX-License-Identifier: MIT
/*
 * Partition configuration: one GRUB module line per partition (contract
 * section 2) turned into a struct partition_config, then checked against
 * the partitions accepted before it and given its physical CPUs.
 *
 * A bad line is refused with one sentence that names the partition (once
 * its name= is known, wherever it stands on the line) and quotes the
 * offending word, so a typo in one module costs that partition only.
 *
 * Context: boot CPU, while partitions are created (and host unit tests).
 * Pure functions over the caller's strings: no allocation, no locks.
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "format.h"
#include "cmdline.h"
#include "config.h"

/* Longest part of a word or line quoted in a message; longer ones end in
 * "...", so that a message always fits in struct config_error. */
#define QUOTE_MAX 40
#define QUOTE_FMT "'%.*s%s'"
#define QUOTE_ARGS(text, len) \
	(int)MIN((len), QUOTE_MAX), (text), (len) > QUOTE_MAX ? "..." : ""

#define MODULE_FOR_KEY "module-for"
#define KEYS_LIST      "name, mem, cpus, pcpus, control, format"

/* Keys seen so far on one line, to refuse a repeated one. */
#define KEY_NAME    BIT(0)
#define KEY_MEM	    BIT(1)
#define KEY_CPUS    BIT(2)
#define KEY_PCPUS   BIT(3)
#define KEY_CONTROL BIT(4)
#define KEY_FORMAT  BIT(5)

struct config_parser {
	const char *line;
	struct partition_config *cfg;
	struct config_error *err;
	u64 seen;		   /* KEY_* bits */
	struct cmdline_word pcpus; /* the pcpus= word, for the count check */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Length of the line up to a "--" word (its key=value part), blanks at
 * the end dropped: what a message quotes when it has no name yet. */
static u32 words_len(const char *line)
{
	u32 len = 0;

	while (line[len]) {
		bool word_start = len == 0 || is_blank(line[len - 1]);

		if (word_start && line[len] == '-' && line[len + 1] == '-' &&
		    (!line[len + 2] || is_blank(line[len + 2])))
			break;
		len++;
	}
	while (len && is_blank(line[len - 1]))
		len--;
	return len;
}

/*
 * "partition 'NAME': <reason>" once the name is known, else
 * "module line 'LINE': <reason>". Returns -EINVAL.
 */
__printf(2, 3) static int parse_error(struct config_parser *p, const char *fmt,
				      ...)
{
	struct config_error *err = p->err;
	const char *line = p->line ? p->line : "";
	va_list ap;
	int n;

	if (p->cfg->name[0])
		n = ksnprintf(err->msg, sizeof(err->msg),
			      "partition '%s': ", p->cfg->name);
	else
		n = ksnprintf(err->msg, sizeof(err->msg),
			      "module line " QUOTE_FMT ": ",
			      QUOTE_ARGS(line, words_len(line)));
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(err->msg))
		kvsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "<prefix>'<word>': <reason>" */
#define word_error(p, w, fmt, ...)                                            \
	parse_error((p), QUOTE_FMT ": " fmt, QUOTE_ARGS((w)->word, (w)->len), \
		    ##__VA_ARGS__)

/* A character allowed in a partition name: [a-z0-9_-]. */
static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-';
}

/* name=: 1-15 allowed characters (an empty value is refused earlier). */
static int check_name(struct config_parser *p, const struct cmdline_word *w)
{
	if (w->val_len > PARTITION_NAME_MAX)
		return word_error(p, w, "a name has 1-%d characters, not %u",
				  PARTITION_NAME_MAX, w->val_len);
	for (u32 i = 0; i < w->val_len; i++) {
		if (!is_name_char(w->val[i]))
			return word_error(p, w,
					  "'%c' is not allowed in a name "
					  "(a-z, 0-9, '_', '-')",
					  w->val[i]);
	}
	return 0;
}

/*
 * First pass: the partition's name, so that messages about words before
 * name= can already say whose line it is. Only a valid name counts; the
 * second pass reports a bad or repeated one.
 */
static void find_name(struct config_parser *p)
{
	struct config_error scratch;
	struct config_parser quiet = *p;
	struct cmdline_iter it;
	struct cmdline_word w;

	quiet.err = &scratch;
	cmdline_iter_init(&it, p->line);
	while (cmdline_next(&it, &w)) {
		if (!cmdline_key_is(&w, "name") || !w.val || !w.val_len)
			continue;
		if (check_name(&quiet, &w) == 0) {
			memcpy(p->cfg->name, w.val, w.val_len);
			p->cfg->name[w.val_len] = '\0';
		}
		return;
	}
}

static int key_name(struct config_parser *p, const struct cmdline_word *w)
{
	int rc = check_name(p, w);

	if (rc)
		return rc;
	memcpy(p->cfg->name, w->val, w->val_len);
	p->cfg->name[w->val_len] = '\0';
	return 0;
}

/* mem=: a size from 2M to 3G, a multiple of 4K. */
static int key_mem(struct config_parser *p, const struct cmdline_word *w)
{
	u64 bytes;
	int rc = parse_size(w->val, w->val_len, &bytes);

	if (rc == -EINVAL)
		return word_error(p, w,
				  "not a size (a number, then K, M or G)");
	if (rc || bytes > CONFIG_MEM_MAX)
		return word_error(p, w, "at most 3G");
	if (bytes < CONFIG_MEM_MIN)
		return word_error(p, w, "at least 2M");
	if (!IS_ALIGNED(bytes, PAGE_SIZE))
		return word_error(p, w, "not a multiple of 4K");
	p->cfg->mem_bytes = bytes;
	return 0;
}

/* cpus=: 1-64 vCPUs. */
static int key_cpus(struct config_parser *p, const struct cmdline_word *w)
{
	u64 n;
	int rc = parse_u64(w->val, w->val_len, &n);

	if (rc == -EINVAL)
		return word_error(p, w, "not a number");
	if (rc || n < 1 || n > CONFIG_MAX_CPUS)
		return word_error(p, w, "must be 1-%d", CONFIG_MAX_CPUS);
	p->cfg->ncpus = (u32)n;
	return 0;
}

/* One CPU number of a pcpus= list: below CONFIG_MAX_CPUS. */
static int pcpu_number(struct config_parser *p, const struct cmdline_word *w,
		       const char *s, u32 len, u32 *cpu)
{
	u64 v;
	int rc = parse_u64(s, len, &v);

	if (rc == -EINVAL)
		return word_error(p, w, QUOTE_FMT " is not a CPU number",
				  QUOTE_ARGS(s, len));
	if (rc || v >= CONFIG_MAX_CPUS)
		return word_error(p, w, QUOTE_FMT " is not a CPU number 0-%d",
				  QUOTE_ARGS(s, len), CONFIG_MAX_CPUS - 1);
	*cpu = (u32)v;
	return 0;
}

/* Append CPUs first..last to the list, refusing repeats. */
static int pcpu_append(struct config_parser *p, const struct cmdline_word *w,
		       u32 first, u32 last, u64 *listed)
{
	struct partition_config *cfg = p->cfg;

	for (u32 cpu = first; cpu <= last; cpu++) {
		if (*listed & BIT(cpu))
			return word_error(p, w, "CPU %u is listed twice", cpu);
		*listed |= BIT(cpu);
		/* 64 distinct numbers below 64 fit in pcpus[64]. */
		cfg->pcpus[cfg->npcpus++] = cpu;
	}
	return 0;
}

/* One item of a pcpus= list: "N" or "N-M" with N <= M. */
static int pcpu_item(struct config_parser *p, const struct cmdline_word *w,
		     const char *s, u32 len, u64 *listed)
{
	u32 dash = 0, first, last;

	if (len == 0)
		return word_error(p, w, "empty item in the list");
	while (dash < len && s[dash] != '-')
		dash++;
	if (pcpu_number(p, w, s, dash, &first))
		return -EINVAL;
	last = first;
	if (dash < len &&
	    pcpu_number(p, w, s + dash + 1, len - dash - 1, &last))
		return -EINVAL;
	if (last < first)
		return word_error(p, w, "range %u-%u is reversed", first, last);
	return pcpu_append(p, w, first, last, listed);
}

/*
 * pcpus=: comma-separated items, in vCPU order, e.g. "1,2", "1-2",
 * "0,2-3". The count is checked against cpus= once the line is read.
 */
static int key_pcpus(struct config_parser *p, const struct cmdline_word *w)
{
	u64 listed = 0;
	u32 start = 0;

	for (u32 i = 0; i <= w->val_len; i++) {
		if (i < w->val_len && w->val[i] != ',')
			continue;
		if (pcpu_item(p, w, w->val + start, i - start, &listed))
			return -EINVAL;
		start = i + 1;
	}
	p->pcpus = *w;
	return 0;
}

static const struct {
	const char *name;
	enum guest_format format;
} format_names[] = {
	{"auto", GUEST_FORMAT_AUTO},
	{"multiboot2", GUEST_FORMAT_MULTIBOOT2},
	{"multiboot1", GUEST_FORMAT_MULTIBOOT1},
	{"linux", GUEST_FORMAT_LINUX},
};

/* format=: auto, multiboot2, multiboot1 or linux. */
static int key_format(struct config_parser *p, const struct cmdline_word *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
		if (strlen(format_names[i].name) == w->val_len &&
		    memcmp(format_names[i].name, w->val, w->val_len) == 0) {
			p->cfg->format = format_names[i].format;
			return 0;
		}
	}
	return word_error(p, w,
			  "not one of auto, multiboot2, multiboot1, linux");
}

/* control: a flag, no value. */
static int key_control(struct config_parser *p, const struct cmdline_word *w)
{
	if (w->val)
		return word_error(p, w, "control is a flag and takes no value");
	p->cfg->control = true;
	return 0;
}

static const struct config_key_kind {
	const char *key;
	u64 bit;
	int (*parse)(struct config_parser *p, const struct cmdline_word *w);
} config_keys[] = {
	{"name", KEY_NAME, key_name},
	{"mem", KEY_MEM, key_mem},
	{"cpus", KEY_CPUS, key_cpus},
	{"pcpus", KEY_PCPUS, key_pcpus},
	{"format", KEY_FORMAT, key_format},
	{"control", KEY_CONTROL, key_control},
};

static int parse_word(struct config_parser *p, const struct cmdline_word *w)
{
	const struct config_key_kind *k = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(config_keys) && !k; i++)
		if (cmdline_key_is(w, config_keys[i].key))
			k = &config_keys[i];
	if (!k && cmdline_key_is(w, MODULE_FOR_KEY))
		return word_error(p, w,
				  "module-for= must be the first word of a "
				  "module line");
	if (!k)
		return word_error(p, w, "unknown key; the keys are " KEYS_LIST);
	if (p->seen & k->bit)
		return word_error(p, w, "%s is given twice", k->key);
	p->seen |= k->bit;
	if (k->bit != KEY_CONTROL && (!w->val || !w->val_len))
		return word_error(p, w, "%s= needs a value", k->key);
	return k->parse(p, w);
}

/* Checks that need the whole line: name= present, pcpus= count. */
static int check_line(struct config_parser *p)
{
	struct partition_config *cfg = p->cfg;

	if (!(p->seen & KEY_NAME))
		return parse_error(p, "'name=' is required");
	if (!(p->seen & KEY_PCPUS))
		return 0;
	/* Without cpus=, the pin list says how many vCPUs there are. */
	if (!(p->seen & KEY_CPUS))
		cfg->ncpus = cfg->npcpus;
	if (cfg->npcpus != cfg->ncpus)
		return word_error(p, &p->pcpus, "lists %u CPU%s, but cpus=%u",
				  cfg->npcpus, cfg->npcpus == 1 ? "" : "s",
				  cfg->ncpus);
	return 0;
}

int config_parse(const char *line, struct partition_config *cfg,
		 struct config_error *err)
{
	struct config_parser p = {.line = line, .cfg = cfg, .err = err};
	struct cmdline_iter it;
	struct cmdline_word w;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_bytes = CONFIG_MEM_DEFAULT;
	cfg->ncpus = 1;
	cfg->format = GUEST_FORMAT_AUTO;
	cfg->guest_cmdline = "";
	err->msg[0] = '\0';

	find_name(&p);
	cmdline_iter_init(&it, line);
	while (cmdline_next(&it, &w))
		if (parse_word(&p, &w))
			return -EINVAL;
	if (it.rest)
		cfg->guest_cmdline = it.rest;
	return check_line(&p);
}

bool config_is_module_for(const char *line, const char **name, u32 *name_len,
			  const char **rest)
{
	static const char key[] = MODULE_FOR_KEY "=";
	const char *s = line ? line : "";
	u32 n = 0;

	while (is_blank(*s))
		s++;
	if (strncmp(s, key, sizeof(key) - 1) != 0)
		return false;
	s += sizeof(key) - 1;
	while (s[n] && !is_blank(s[n]))
		n++;
	*name = s;
	*name_len = n;
	s += n;
	while (is_blank(*s))
		s++;
	*rest = s;
	return true;
}

/* ---- CPU assignment ---------------------------------------------------- */

/* "1,3-5": a CPU set as a list for messages, ascending, runs as ranges. */
static void format_cpu_set(char *buf, size_t size, u64 set)
{
	size_t used = 0;

	buf[0] = '\0';
	for (u32 cpu = 0; cpu < CONFIG_MAX_CPUS && used < size; cpu++) {
		u32 last = cpu;

		if (!(set & BIT(cpu)))
			continue;
		while (last + 1 < CONFIG_MAX_CPUS && (set & BIT(last + 1)))
			last++;
		if (last == cpu)
			used += (size_t)ksnprintf(buf + used, size - used,
						  "%s%u", used ? "," : "", cpu);
		else
			used += (size_t)ksnprintf(buf + used, size - used,
						  "%s%u-%u", used ? "," : "",
						  cpu, last);
		cpu = last;
	}
}

/* "1,3-4": a pin list as the user most likely wrote it (vCPU order,
 * ascending runs as ranges). */
static void format_pin_list(char *buf, size_t size,
			    const struct partition_config *cfg)
{
	size_t used = 0;

	buf[0] = '\0';
	for (u32 i = 0; i < cfg->npcpus && used < size; i++) {
		u32 j = i;

		while (j + 1 < cfg->npcpus &&
		       cfg->pcpus[j + 1] == cfg->pcpus[j] + 1)
			j++;
		if (j == i)
			used += (size_t)ksnprintf(buf + used, size - used,
						  "%s%u", i ? "," : "",
						  cfg->pcpus[i]);
		else
			used += (size_t)ksnprintf(buf + used, size - used,
						  "%s%u-%u", i ? "," : "",
						  cfg->pcpus[i], cfg->pcpus[j]);
		i = j;
	}
}

/* "partition 'NAME': <reason>". Returns -EINVAL. */
__printf(3, 4) static int assign_error(const struct partition_config *cfg,
				       struct config_error *err,
				       const char *fmt, ...)
{
	int n = ksnprintf(err->msg, sizeof(err->msg),
			  "partition '%s': ", cfg->name);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(err->msg))
		kvsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The accepted partition pinned to cpu, or NULL. */
static const struct partition_config *
cpu_owner(u32 cpu, const struct partition_config *const *accepted, u32 n)
{
	for (u32 i = 0; i < n; i++)
		for (u32 v = 0; v < accepted[i]->npcpus; v++)
			if (accepted[i]->pcpus[v] == cpu)
				return accepted[i];
	return NULL;
}

/* pcpus= given: every pinned CPU online and free. */
static int check_pins(const struct partition_config *cfg,
		      const struct partition_config *const *accepted,
		      u32 naccepted, u64 online, u64 taken,
		      struct config_error *err)
{
	const struct partition_config *owner;
	char pins[96], set[96];

	format_pin_list(pins, sizeof(pins), cfg);
	format_cpu_set(set, sizeof(set), online);
	for (u32 v = 0; v < cfg->npcpus; v++) {
		u32 cpu = cfg->pcpus[v];

		if (!(online & BIT(cpu)))
			return assign_error(cfg, err,
					    "'pcpus=%s': CPU %u is not online "
					    "(online: %s)",
					    pins, cpu, set);
		if (!(taken & BIT(cpu)))
			continue;
		owner = cpu_owner(cpu, accepted, naccepted);
		if (owner)
			return assign_error(cfg, err,
					    "'pcpus=%s': CPU %u is already "
					    "used by partition '%s'",
					    pins, cpu, owner->name);
		return assign_error(cfg, err, "'pcpus=%s': CPU %u is not free",
				    pins, cpu);
	}
	return 0;
}

/* No pcpus=: the first ncpus free online CPUs, ascending. */
static int pick_free(struct partition_config *cfg, u64 online, u64 taken,
		     struct config_error *err)
{
	u64 free = online & ~taken;
	u32 nfree = (u32)__builtin_popcountll(free);

	if (cfg->ncpus > nfree)
		return assign_error(cfg, err,
				    "'cpus=%u': only %u physical CPU%s %s free",
				    cfg->ncpus, nfree, nfree == 1 ? "" : "s",
				    nfree == 1 ? "is" : "are");
	cfg->npcpus = 0;
	for (u32 cpu = 0; cfg->npcpus < cfg->ncpus; cpu++)
		if (free & BIT(cpu))
			cfg->pcpus[cfg->npcpus++] = cpu;
	return 0;
}

int config_assign_cpus(struct partition_config *cfg,
		       const struct partition_config *const *accepted,
		       u32 naccepted, u64 online, u64 *taken,
		       struct config_error *err)
{
	int rc;

	err->msg[0] = '\0';
	for (u32 i = 0; i < naccepted; i++)
		if (strcmp(accepted[i]->name, cfg->name) == 0)
			return assign_error(cfg, err,
					    "'name=%s': another partition "
					    "already has this name",
					    cfg->name);
	if (cfg->npcpus)
		rc = check_pins(cfg, accepted, naccepted, online, *taken, err);
	else
		rc = pick_free(cfg, online, *taken, err);
	if (rc)
		return rc;
	for (u32 v = 0; v < cfg->npcpus; v++)
		*taken |= BIT(cfg->pcpus[v]);
	return 0;
}
