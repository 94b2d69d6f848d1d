// SPDX-License-Identifier: MIT
/*
 * printf-style formatting into a buffer: the engine behind printk and every
 * message Shade builds (see include/format.h for what it accepts).
 *
 * It follows C's snprintf closely enough that the host unit test compares
 * it against the C library for thousands of formats. No floating point, so
 * it builds with -mno-sse and runs anywhere: early boot, VMX root with
 * interrupts off, an NMI handler. It takes no lock and keeps no state.
 */
#include "types.h"
#include "format.h"

/* Where the output goes: the first size - 1 bytes land in buf; len counts
 * every byte the whole output has, so a truncated call still returns the
 * full length. */
struct fmt_out {
	char *buf;
	size_t size;
	size_t len;
};

enum fmt_flag {
	FL_LEFT = BIT(0),  /* '-': pad on the right */
	FL_ZERO = BIT(1),  /* '0': pad numbers with zeros */
	FL_PLUS = BIT(2),  /* '+': sign on positive numbers */
	FL_SPACE = BIT(3), /* ' ': space where '+' would go */
	FL_ALT = BIT(4),   /* '#': 0x for hex, a leading 0 for octal */
};

enum fmt_length { LEN_INT, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T };

/* One parsed conversion: %[flags][width][.precision][length]conv */
struct fmt_spec {
	u32 flags;
	size_t width;
	bool has_prec;
	size_t prec;
	enum fmt_length length;
	char conv;
};

/* Field widths and precisions beyond this are clamped: the output length
 * must stay representable as the int the caller gets back. */
#define FMT_MAX_FIELD ((size_t)INT32_MAX)

/* 64 bits in octal need 22 digits. */
#define FMT_DIGITS_MAX 24

static void out_char(struct fmt_out *out, char c)
{
	if (out->size && out->len < out->size - 1)
		out->buf[out->len] = c;
	out->len++;
}

/* Counts all n bytes but touches only what fits, so a huge width costs
 * no more than the buffer's size. */
static void out_repeat(struct fmt_out *out, char c, size_t n)
{
	size_t i;

	for (i = 0; i < n && out->size && out->len < out->size - 1; i++)
		out->buf[out->len++] = c;
	out->len += n - i;
}

static void out_chars(struct fmt_out *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && out->size && out->len < out->size - 1; i++)
		out->buf[out->len++] = s[i];
	out->len += n - i;
}

static void out_finish(struct fmt_out *out)
{
	if (!out->size)
		return;
	out->buf[MIN(out->len, out->size - 1)] = '\0';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *parse_flags(const char *fmt, struct fmt_spec *spec)
{
	for (;; fmt++) {
		switch (*fmt) {
		case '-':
			spec->flags |= FL_LEFT;
			break;
		case '0':
			spec->flags |= FL_ZERO;
			break;
		case '+':
			spec->flags |= FL_PLUS;
			break;
		case ' ':
			spec->flags |= FL_SPACE;
			break;
		case '#':
			spec->flags |= FL_ALT;
			break;
		default:
			return fmt;
		}
	}
}

/* A decimal field, clamped to FMT_MAX_FIELD. */
static const char *parse_decimal(const char *fmt, size_t *val)
{
	u64 v = 0;

	for (; is_digit(*fmt); fmt++) {
		v = v * 10 + (u64)(*fmt - '0');
		if (v > FMT_MAX_FIELD)
			v = FMT_MAX_FIELD;
	}
	*val = (size_t)v;
	return fmt;
}

/* '*' takes the width from an int argument; a negative one means '-'. */
static const char *parse_width(const char *fmt, struct fmt_spec *spec,
			       va_list *ap)
{
	int w;

	if (*fmt != '*')
		return parse_decimal(fmt, &spec->width);
	w = va_arg(*ap, int);
	if (w < 0) {
		spec->flags |= FL_LEFT;
		spec->width = MIN((size_t)(-(s64)w), FMT_MAX_FIELD);
	} else {
		spec->width = (size_t)w;
	}
	return fmt + 1;
}

/* '.' alone means precision 0; a negative '*' precision means none. */
static const char *parse_precision(const char *fmt, struct fmt_spec *spec,
				   va_list *ap)
{
	int p;

	if (*fmt != '.')
		return fmt;
	fmt++;
	spec->has_prec = true;
	if (*fmt != '*')
		return parse_decimal(fmt, &spec->prec);
	p = va_arg(*ap, int);
	spec->has_prec = p >= 0;
	spec->prec = p >= 0 ? (size_t)p : 0;
	return fmt + 1;
}

static const char *parse_length(const char *fmt, struct fmt_spec *spec)
{
	switch (*fmt) {
	case 'h':
		if (fmt[1] == 'h') {
			spec->length = LEN_HH;
			return fmt + 2;
		}
		spec->length = LEN_H;
		return fmt + 1;
	case 'l':
		if (fmt[1] == 'l') {
			spec->length = LEN_LL;
			return fmt + 2;
		}
		spec->length = LEN_L;
		return fmt + 1;
	case 'z':
		spec->length = LEN_Z;
		return fmt + 1;
	case 't':
		spec->length = LEN_T;
		return fmt + 1;
	default:
		return fmt;
	}
}

/* Arguments narrower than int arrive promoted to int (C 6.5.2.2), so hh
 * and h fetch an int and cut it back to the size the caller meant. */
static s64 fetch_signed(const struct fmt_spec *spec, va_list *ap)
{
	switch (spec->length) {
	case LEN_HH:
		return (s8)va_arg(*ap, int);
	case LEN_H:
		return (s16)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
		return (s64)va_arg(*ap, size_t);
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, int);
	}
}

static u64 fetch_unsigned(const struct fmt_spec *spec, va_list *ap)
{
	switch (spec->length) {
	case LEN_HH:
		return (u8)va_arg(*ap, unsigned int);
	case LEN_H:
		return (u16)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_T:
		return (u64)va_arg(*ap, ptrdiff_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Writes the digits of v, most significant first; returns how many. */
static size_t to_digits(u64 v, u32 base, bool upper, char *digits)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[FMT_DIGITS_MAX];
	size_t n = 0, i;

	do {
		rev[n++] = set[v % base];
		v /= base;
	} while (v);
	for (i = 0; i < n; i++)
		digits[i] = rev[n - 1 - i];
	return n;
}

/*
 * The layout C gives an integer: [spaces][prefix][zeros][digits][spaces].
 * prefix is a sign or 0x; zeros come from the precision, or from the '0'
 * flag when there is no precision and no '-'.
 */
static void emit_number(struct fmt_out *out, const struct fmt_spec *spec,
			const char *prefix, const char *digits, size_t ndigits)
{
	size_t nprefix = 0, zeros = 0, pad = 0, total;

	while (prefix[nprefix])
		nprefix++;
	if (spec->has_prec && spec->prec > ndigits)
		zeros = spec->prec - ndigits;
	total = nprefix + zeros + ndigits;
	if (spec->width > total)
		pad = spec->width - total;

	if (!(spec->flags & FL_LEFT) &&
	    (!(spec->flags & FL_ZERO) || spec->has_prec))
		out_repeat(out, ' ', pad);
	out_chars(out, prefix, nprefix);
	if (!(spec->flags & FL_LEFT) && (spec->flags & FL_ZERO) &&
	    !spec->has_prec)
		out_repeat(out, '0', pad);
	out_repeat(out, '0', zeros);
	out_chars(out, digits, ndigits);
	if (spec->flags & FL_LEFT)
		out_repeat(out, ' ', pad);
}

/* %d %i %u %x %X %o, and %p through a spec of its own. */
static void format_integer(struct fmt_out *out, const struct fmt_spec *spec,
			   u64 mag, const char *prefix)
{
	/* digits[0] is kept free for the 0 that '#' may put before octal. */
	char digits[FMT_DIGITS_MAX + 1];
	u32 base = 10;
	size_t n = 0;
	bool octal_zero;

	if (spec->conv == 'o')
		base = 8;
	else if (spec->conv == 'x' || spec->conv == 'X' || spec->conv == 'p')
		base = 16;
	/* C: zero with precision 0 prints no digits at all. */
	if (mag || !spec->has_prec || spec->prec)
		n = to_digits(mag, base, spec->conv == 'X', digits + 1);

	/* '#' with %o makes the first digit a 0, unless the digits or the
	 * precision's zeros already start with one. */
	octal_zero = (spec->flags & FL_ALT) && base == 8 &&
		     (n == 0 || digits[1] != '0') &&
		     (!spec->has_prec || spec->prec <= n);
	if (octal_zero) {
		digits[0] = '0';
		emit_number(out, spec, prefix, digits, n + 1);
	} else {
		emit_number(out, spec, prefix, digits + 1, n);
	}
}

static void format_signed(struct fmt_out *out, struct fmt_spec *spec,
			  va_list *ap)
{
	s64 v = fetch_signed(spec, ap);
	/* Negate in unsigned arithmetic: -INT64_MIN does not fit an s64. */
	u64 mag = v < 0 ? 0 - (u64)v : (u64)v;
	const char *prefix = "";

	if (v < 0)
		prefix = "-";
	else if (spec->flags & FL_PLUS)
		prefix = "+";
	else if (spec->flags & FL_SPACE)
		prefix = " ";
	format_integer(out, spec, mag, prefix);
}

static void format_unsigned(struct fmt_out *out, struct fmt_spec *spec,
			    va_list *ap)
{
	u64 v = fetch_unsigned(spec, ap);
	const char *prefix = "";

	if ((spec->flags & FL_ALT) && v && spec->conv == 'x')
		prefix = "0x";
	else if ((spec->flags & FL_ALT) && v && spec->conv == 'X')
		prefix = "0X";
	format_integer(out, spec, v, prefix);
}

/* %p: always 0x and 16 digits, so addresses line up in logs. */
static void format_pointer(struct fmt_out *out, struct fmt_spec *spec,
			   va_list *ap)
{
	u64 v = (u64)(uintptr_t)va_arg(*ap, void *);

	spec->flags &= ~(u32)FL_ALT;
	spec->has_prec = true;
	spec->prec = 16;
	format_integer(out, spec, v, "0x");
}

/* %s and %c: text padded to the width; the precision caps %s. */
static void emit_text(struct fmt_out *out, const struct fmt_spec *spec,
		      const char *s, size_t n)
{
	size_t pad = spec->width > n ? spec->width - n : 0;

	if (!(spec->flags & FL_LEFT))
		out_repeat(out, ' ', pad);
	out_chars(out, s, n);
	if (spec->flags & FL_LEFT)
		out_repeat(out, ' ', pad);
}

static void format_string(struct fmt_out *out, const struct fmt_spec *spec,
			  va_list *ap)
{
	const char *s = va_arg(*ap, const char *);
	size_t max = spec->has_prec ? spec->prec : (size_t)-1;
	size_t n = 0;

	if (!s)
		s = "(null)";
	/* Stop at the precision: the string need not be NUL-terminated. */
	while (n < max && s[n])
		n++;
	emit_text(out, spec, s, n);
}

static void format_char(struct fmt_out *out, const struct fmt_spec *spec,
			va_list *ap)
{
	char c = (char)(unsigned char)va_arg(*ap, int);

	emit_text(out, spec, &c, 1);
}

/* Returns false for a conversion this file does not know. */
static bool format_conv(struct fmt_out *out, struct fmt_spec *spec, va_list *ap)
{
	switch (spec->conv) {
	case 'd':
	case 'i':
		format_signed(out, spec, ap);
		return true;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		format_unsigned(out, spec, ap);
		return true;
	case 'p':
		format_pointer(out, spec, ap);
		return true;
	case 's':
		format_string(out, spec, ap);
		return true;
	case 'c':
		format_char(out, spec, ap);
		return true;
	case '%':
		out_char(out, '%');
		return true;
	default:
		return false;
	}
}

/*
 * fmt points at a '%'. Formats one conversion and returns where the rest
 * of the format starts. A conversion that is cut off by the end of the
 * format, or that is unknown, is copied to the output as written.
 */
static const char *format_one(struct fmt_out *out, const char *fmt, va_list *ap)
{
	struct fmt_spec spec = {.length = LEN_INT};
	const char *start = fmt;

	fmt = parse_flags(fmt + 1, &spec);
	fmt = parse_width(fmt, &spec, ap);
	fmt = parse_precision(fmt, &spec, ap);
	fmt = parse_length(fmt, &spec);
	if (!*fmt) {
		out_chars(out, start, (size_t)(fmt - start));
		return fmt;
	}
	spec.conv = *fmt++;
	if (!format_conv(out, &spec, ap))
		out_chars(out, start, (size_t)(fmt - start));
	return fmt;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_out out = {.buf = buf, .size = size, .len = 0};
	va_list args;

	/*
	 * The helpers take a va_list * so that each va_arg advances the one
	 * list. ap itself may be an array parameter (it is on x86-64), and
	 * &ap would then not be a va_list *; a copy is a real va_list.
	 */
	va_copy(args, ap);
	while (*fmt) {
		if (*fmt == '%')
			fmt = format_one(&out, fmt, &args);
		else
			out_char(&out, *fmt++);
	}
	va_end(args);
	out_finish(&out);
	return (int)MIN(out.len, FMT_MAX_FIELD);
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
