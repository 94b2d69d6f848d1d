/* SPDX-License-Identifier: MIT */
/*
 * Splitting command lines into words. Shade's own command line and every
 * partition's module line (contract section 2) are lists of words
 * separated by spaces or tabs: "key=value", or a bare "flag", optionally
 * followed by "--" and text that is passed on verbatim.
 */
#ifndef SHADE_CMDLINE_H
#define SHADE_CMDLINE_H

#include "types.h"

struct cmdline_word {
	const char *word; /* the whole word, not NUL-terminated */
	u32 len;
	const char *key; /* == word */
	u32 key_len;	 /* up to the first '=' (or the whole word) */
	const char *val; /* after the first '='; NULL for a bare flag */
	u32 val_len;
};

struct cmdline_iter {
	const char *pos;
	const char *rest; /* after "--": set once the iterator meets it */
};

void cmdline_iter_init(struct cmdline_iter *it, const char *line);

/*
 * Next word. Returns true and fills *w, or false at the end of the line or
 * at a "--" word; in the latter case it->rest points at the text after
 * "--" with leading blanks skipped (otherwise it->rest stays NULL).
 */
bool cmdline_next(struct cmdline_iter *it, struct cmdline_word *w);

/* True if the word's key is exactly `key`. */
bool cmdline_key_is(const struct cmdline_word *w, const char *key);

/*
 * Parse an unsigned decimal number, or hexadecimal with "0x", of exactly
 * len chars. Returns 0, -EINVAL (empty, bad digit) or -ERANGE (overflow).
 */
int parse_u64(const char *s, u32 len, u64 *out);

/*
 * Parse a size: a number with an optional suffix K, M or G (powers of
 * 1024, upper or lower case). Returns 0, -EINVAL or -ERANGE.
 */
int parse_size(const char *s, u32 len, u64 *out);

#endif
