// SPDX-License-Identifier: MIT
/*
 * A small printf for the test guests. It formats into a buffer first and
 * then writes the whole text under a spinlock, so that two vCPUs of one
 * partition printing at once still produce whole lines (Shade assembles a
 * partition's console lines from the bytes in the order they arrive).
 * 64-bit division is done with divl by hand: there is no 32-bit libgcc.
 */
#include "console.h"
#include "x86.h"

struct out {
	char *buf;
	u32 size; /* including the final NUL */
	u32 len;  /* characters produced, even past size */
};

struct spec {
	bool zero_pad;
	u32 width;
	u32 longs; /* number of 'l' modifiers */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/* *n /= 10, returning the remainder; a 64-by-32 divide in two steps. */
static u32 divmod10(u64 *n)
{
	u32 hi = (u32)(*n >> 32), lo = (u32)*n, qlo, rem;
	u32 qhi = hi / 10;

	rem = hi % 10;
	/* rem < 10, so the quotient of (rem:lo) / 10 fits in 32 bits. */
	asm("divl %4" : "=a"(qlo), "=d"(rem) : "a"(lo), "d"(rem), "r"(10u));
	*n = ((u64)qhi << 32) | qlo;
	return rem;
}

static void put_digits(struct out *o, const char *digits, u32 n,
		       const struct spec *sp, bool negative)
{
	u32 len = n + (negative ? 1 : 0);

	if (negative && sp->zero_pad)
		put(o, '-');
	for (; len < sp->width; len++)
		put(o, sp->zero_pad ? '0' : ' ');
	if (negative && !sp->zero_pad)
		put(o, '-');
	while (n > 0)
		put(o, digits[--n]);
}

static void put_unsigned(struct out *o, u64 v, u32 base, const struct spec *sp,
			 bool negative)
{
	static const char hex[] = "0123456789abcdef";
	char digits[24]; /* least significant first */
	u32 n = 0;

	do {
		if (base == 16) {
			digits[n++] = hex[v & 0xf];
			v >>= 4;
		} else {
			digits[n++] = hex[divmod10(&v)];
		}
	} while (v != 0);
	put_digits(o, digits, n, sp, negative);
}

static void put_string(struct out *o, const char *s, const struct spec *sp)
{
	u32 len = 0;

	if (!s)
		s = "(null)";
	while (s[len])
		len++;
	for (; len < sp->width; len++)
		put(o, ' ');
	while (*s)
		put(o, *s++);
}

/* Read flags, width and length modifiers; returns the conversion char. */
static const char *parse_spec(const char *f, struct spec *sp)
{
	sp->zero_pad = false;
	sp->width = 0;
	sp->longs = 0;
	if (*f == '0') {
		sp->zero_pad = true;
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (u32)(*f++ - '0');
	while (*f == 'l') {
		sp->longs++;
		f++;
	}
	return f;
}

static u64 arg_unsigned(va_list *ap, const struct spec *sp)
{
	if (sp->longs >= 2)
		return va_arg(*ap, u64);
	return va_arg(*ap, u32);
}

static i64 arg_signed(va_list *ap, const struct spec *sp)
{
	if (sp->longs >= 2)
		return va_arg(*ap, i64);
	return va_arg(*ap, i32);
}

static void convert(struct out *o, char c, struct spec *sp, va_list *ap)
{
	i64 s;

	switch (c) {
	case 'd':
		s = arg_signed(ap, sp);
		put_unsigned(o, s < 0 ? -(u64)s : (u64)s, 10, sp, s < 0);
		break;
	case 'u':
		put_unsigned(o, arg_unsigned(ap, sp), 10, sp, false);
		break;
	case 'x':
		put_unsigned(o, arg_unsigned(ap, sp), 16, sp, false);
		break;
	case 'p':
		put(o, '0');
		put(o, 'x');
		sp->zero_pad = true;
		sp->width = 8;
		put_unsigned(o, (u32)va_arg(*ap, void *), 16, sp, false);
		break;
	case 's':
		put_string(o, va_arg(*ap, const char *), sp);
		break;
	case 'c':
		put(o, (char)va_arg(*ap, int));
		break;
	default: /* "%%" and anything unknown print as they are */
		put(o, c);
		break;
	}
}

int vgsnprintf(char *buf, u32 size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};
	struct spec sp;
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp);
		if (!*fmt)
			break;
		convert(&o, *fmt++, &sp, &args);
	}
	va_end(args);
	if (size > 0)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)(o.len < size ? o.len : size - 1);
}

int gsnprintf(char *buf, u32 size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vgsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* Keeps one gprintf() call's text together across vCPUs. */
static u32 console_lock;

int vgprintf(const char *fmt, va_list ap)
{
	char buf[GPRINTF_MAX];
	int n = vgsnprintf(buf, sizeof(buf), fmt, ap);

	while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE))
		cpu_relax();
	serial_write(buf, (u32)n);
	__atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
	return n;
}

int gprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vgprintf(fmt, ap);
	va_end(ap);
	return n;
}
