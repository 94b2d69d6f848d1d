// SPDX-License-Identifier: MIT
/*
 * Shade's own command line (the option list is in include/options.h).
 * A bad word is recorded with a message that quotes it and is otherwise
 * ignored, so a typo costs a warning on the console, never a boot.
 *
 * Context: boot CPU, early in boot, before the console level is known
 * (the caller prints the messages once it has applied loglevel=).
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "format.h"
#include "cmdline.h"
#include "options.h"

/* cpus= range; the upper bound is the most CPUs the ACPI code records. */
#define OPTIONS_MIN_CPUS 1
#define OPTIONS_MAX_CPUS 64
#define CPUS_RANGE	 "1-64" /* for messages; matches the two above */

/* Longest part of a word quoted in a message; longer ones end in "...". */
#define QUOTE_MAX 40

struct name_value {
	const char *name;
	int value;
};

static const struct name_value loglevel_names[] = {
	{"debug", LOG_DEBUG},
	{"info", LOG_INFO},
	{"warn", LOG_WARN},
	{"error", LOG_ERR},
};

static const struct name_value apic_names[] = {
	{"auto", APIC_MODE_AUTO},
	{"xapic", APIC_MODE_XAPIC},
	{"x2apic", APIC_MODE_X2APIC},
};

static const struct name_value selftest_names[] = {
	{"fault-write-text", SELFTEST_FAULT_WRITE_TEXT},
	{"fault-exec-data", SELFTEST_FAULT_EXEC_DATA},
	{"fault-ud", SELFTEST_FAULT_UD},
	{"bad-guest-state", SELFTEST_BAD_GUEST_STATE},
};

/* Quote at most QUOTE_MAX chars of a word, so a message always fits. */
#define QUOTE_FMT "'%.*s%s'"
#define QUOTE_ARGS(text, len) \
	(int)MIN((len), QUOTE_MAX), (text), (len) > QUOTE_MAX ? "..." : ""

/* Next free message slot, or NULL when msg[] is full; counts the word
 * either way, so the caller can say how many it could not show. */
static char *next_msg(struct options_errors *errs)
{
	u32 i = errs->n++;

	return i < OPTIONS_MAX_ERRORS ? errs->msg[i] : NULL;
}

/* "key: 'text' why" */
static void bad_value(struct options_errors *errs, const char *key,
		      const char *text, u32 len, const char *why)
{
	char *msg = next_msg(errs);

	if (msg)
		ksnprintf(msg, sizeof(errs->msg[0]), "%s: " QUOTE_FMT " %s",
			  key, QUOTE_ARGS(text, len), why);
}

static void unknown_option(struct options_errors *errs,
			   const struct cmdline_word *w)
{
	char *msg = next_msg(errs);

	if (msg)
		ksnprintf(msg, sizeof(errs->msg[0]),
			  "unknown option " QUOTE_FMT,
			  QUOTE_ARGS(w->word, w->len));
}

/* "a, b, c": the accepted names, for an error message. */
static void list_names(char *buf, size_t size, const char *prefix,
		       const struct name_value *tbl, size_t n)
{
	size_t used = (size_t)ksnprintf(buf, size, "%s", prefix);

	for (size_t i = 0; i < n && used < size; i++)
		used += (size_t)ksnprintf(buf + used, size - used, "%s%s",
					  i ? ", " : "", tbl[i].name);
}

/*
 * Look up the word's value in tbl. Returns true and sets *value, or
 * records "key: 'val' is not one of a, b, c" (or that the value is
 * missing, quoting the whole word) and returns false.
 */
static bool lookup_name(const struct cmdline_word *w, const char *key,
			const struct name_value *tbl, size_t n, int *value,
			struct options_errors *errs)
{
	char why[80];

	for (size_t i = 0; w->val && i < n; i++) {
		if (strlen(tbl[i].name) == w->val_len &&
		    memcmp(tbl[i].name, w->val, w->val_len) == 0) {
			*value = tbl[i].value;
			return true;
		}
	}
	if (!w->val) {
		list_names(why, sizeof(why), "needs a value: ", tbl, n);
		bad_value(errs, key, w->word, w->len, why);
	} else {
		list_names(why, sizeof(why), "is not one of ", tbl, n);
		bad_value(errs, key, w->val, w->val_len, why);
	}
	return false;
}

static void opt_loglevel(const struct cmdline_word *w, struct shade_options *o,
			 struct options_errors *errs)
{
	int v;

	if (lookup_name(w, "loglevel", loglevel_names,
			ARRAY_SIZE(loglevel_names), &v, errs))
		o->loglevel = (enum log_level)v;
}

static void opt_apic(const struct cmdline_word *w, struct shade_options *o,
		     struct options_errors *errs)
{
	int v;

	if (lookup_name(w, "apic", apic_names, ARRAY_SIZE(apic_names), &v,
			errs))
		o->apic = (enum apic_mode)v;
}

static void opt_selftest(const struct cmdline_word *w, struct shade_options *o,
			 struct options_errors *errs)
{
	int v;

	if (lookup_name(w, "selftest", selftest_names,
			ARRAY_SIZE(selftest_names), &v, errs))
		o->selftest = (enum selftest)v;
}

static void opt_cpus(const struct cmdline_word *w, struct shade_options *o,
		     struct options_errors *errs)
{
	u64 n;
	int rc;

	if (!w->val) {
		bad_value(errs, "cpus", w->word, w->len,
			  "needs a value: a number " CPUS_RANGE);
		return;
	}
	rc = parse_u64(w->val, w->val_len, &n);
	if (rc == -EINVAL) {
		bad_value(errs, "cpus", w->val, w->val_len, "is not a number");
		return;
	}
	/* -ERANGE is a number too large for u64: just as out of range. */
	if (rc || n < OPTIONS_MIN_CPUS || n > OPTIONS_MAX_CPUS) {
		bad_value(errs, "cpus", w->val, w->val_len,
			  "is out of range " CPUS_RANGE);
		return;
	}
	o->max_cpus = (u32)n;
}

/* shadow_mem=SIZE: 64K to 1G, a multiple of the 8 KiB a shadow page
 * costs (vmm/include/mmu.h). */
#define SHADOW_MEM_MIN	 (64ULL << 10)
#define SHADOW_MEM_MAX	 (1ULL << 30)
#define SHADOW_MEM_RANGE "64K-1G"

static void opt_shadow_mem(const struct cmdline_word *w,
			   struct shade_options *o, struct options_errors *errs)
{
	u64 n;

	if (!w->val) {
		bad_value(errs, "shadow_mem", w->word, w->len,
			  "needs a value: a size " SHADOW_MEM_RANGE);
		return;
	}
	if (parse_size(w->val, w->val_len, &n)) {
		bad_value(errs, "shadow_mem", w->val, w->val_len,
			  "is not a size (a number with K, M or G)");
		return;
	}
	if (n < SHADOW_MEM_MIN || n > SHADOW_MEM_MAX) {
		bad_value(errs, "shadow_mem", w->val, w->val_len,
			  "is out of range " SHADOW_MEM_RANGE);
		return;
	}
	o->shadow_mem = n;
}

/* mmu_audit=on|off|N: check the shadow MMU every N faults (on = 64). */
#define MMU_AUDIT_ON  64
#define MMU_AUDIT_MAX 1000000

static void opt_mmu_audit(const struct cmdline_word *w, struct shade_options *o,
			  struct options_errors *errs)
{
	u64 n;

	if (w->val && w->val_len == 2 && !memcmp(w->val, "on", 2)) {
		o->mmu_audit = MMU_AUDIT_ON;
		return;
	}
	if (w->val && w->val_len == 3 && !memcmp(w->val, "off", 3)) {
		o->mmu_audit = 0;
		return;
	}
	if (!w->val || parse_u64(w->val, w->val_len, &n) || n > MMU_AUDIT_MAX) {
		bad_value(errs, "mmu_audit", w->val ? w->val : w->word,
			  w->val ? w->val_len : w->len,
			  "is not on, off or a number 0-1000000");
		return;
	}
	o->mmu_audit = (u32)n;
}

static const struct {
	const char *key;
	void (*parse)(const struct cmdline_word *w, struct shade_options *o,
		      struct options_errors *errs);
} options[] = {
	{"loglevel", opt_loglevel},
	{"apic", opt_apic},
	{"cpus", opt_cpus},
	{"selftest", opt_selftest},
	{"shadow_mem", opt_shadow_mem},
	{"mmu_audit", opt_mmu_audit},
};

static void parse_word(const struct cmdline_word *w, struct shade_options *o,
		       struct options_errors *errs)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		if (cmdline_key_is(w, options[i].key)) {
			options[i].parse(w, o, errs);
			return;
		}
	}
	unknown_option(errs, w);
}

u32 options_parse(const char *line, struct shade_options *o,
		  struct options_errors *errs)
{
	struct cmdline_iter it;
	struct cmdline_word w;

	o->loglevel = LOG_INFO;
	o->apic = APIC_MODE_AUTO;
	o->max_cpus = 0;
	o->selftest = SELFTEST_NONE;
	o->shadow_mem = 0;
	o->mmu_audit = 0;
	memset(errs, 0, sizeof(*errs));

	/* Words after "--" are not Shade's; cmdline_next stops there. */
	cmdline_iter_init(&it, line);
	while (cmdline_next(&it, &w))
		parse_word(&w, o, errs);
	return errs->n;
}
