// SPDX-License-Identifier: MIT
/*
 * Command-line words and the numbers inside them: Shade's own options
 * (boot/options.c) and every partition's module line go through here.
 *
 * Context: any CPU, any time; pure functions over the caller's strings,
 * no allocation, no locks. Also built on the host for the unit tests.
 */
#include "types.h"
#include "errno.h"
#include "kstring.h"
#include "cmdline.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

void cmdline_iter_init(struct cmdline_iter *it, const char *line)
{
	/* A loader that gave no command line is the same as an empty one. */
	it->pos = line ? line : "";
	it->rest = NULL;
}

/* Split a word of len chars at its first '=' into key and value. */
static void split_word(const char *s, u32 len, struct cmdline_word *w)
{
	u32 i = 0;

	while (i < len && s[i] != '=')
		i++;
	w->word = s;
	w->len = len;
	w->key = s;
	w->key_len = i;
	w->val = i < len ? s + i + 1 : NULL;
	w->val_len = i < len ? len - i - 1 : 0;
}

bool cmdline_next(struct cmdline_iter *it, struct cmdline_word *w)
{
	const char *start = skip_blanks(it->pos);
	const char *end = start;

	while (*end && !is_blank(*end))
		end++;
	if (end == start) {
		it->pos = end;
		return false;
	}
	if (end - start == 2 && start[0] == '-' && start[1] == '-') {
		/* Everything after "--" belongs to someone else; park the
		 * iterator on the terminating NUL so later calls stop too. */
		it->rest = skip_blanks(end);
		it->pos = it->rest + strlen(it->rest);
		return false;
	}
	split_word(start, (u32)(end - start), w);
	it->pos = end;
	return true;
}

bool cmdline_key_is(const struct cmdline_word *w, const char *key)
{
	size_t n = strlen(key);

	return n == w->key_len && memcmp(w->key, key, n) == 0;
}

/* Value of a digit in the given base, or -1 if c is not one. */
static int digit_value(char c, u32 base)
{
	int v = -1;

	if (c >= '0' && c <= '9')
		v = c - '0';
	else if (c >= 'a' && c <= 'f')
		v = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		v = c - 'A' + 10;
	return v >= 0 && (u32)v < base ? v : -1;
}

/*
 * A malformed number is reported as such even when it also overflows
 * ("99999999999999999999x" is -EINVAL): the user typed a non-number,
 * and that is the more useful thing to say.
 */
int parse_u64(const char *s, u32 len, u64 *out)
{
	u32 base = 10;
	bool overflow = false;
	u64 v = 0;

	/* "0x" alone is not a number: the prefix needs digits after it. */
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return -EINVAL;
	for (u32 i = 0; i < len; i++) {
		int d = digit_value(s[i], base);

		if (d < 0)
			return -EINVAL;
		if (v > (UINT64_MAX - (u64)d) / base)
			overflow = true;
		v = v * base + (u64)d;
	}
	if (overflow)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Shift for a size suffix, or 0 if c is not one. */
static u32 suffix_shift(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return 10;
	case 'm':
	case 'M':
		return 20;
	case 'g':
	case 'G':
		return 30;
	default:
		return 0;
	}
}

int parse_size(const char *s, u32 len, u64 *out)
{
	u32 shift = len ? suffix_shift(s[len - 1]) : 0;
	u64 v;
	int rc;

	rc = parse_u64(s, shift ? len - 1 : len, &v);
	if (rc)
		return rc;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}
