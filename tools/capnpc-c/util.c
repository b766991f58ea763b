/*
 * util.c - errors, allocation, text buffers and the spelling of C names and
 * literals for capnpc-c.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "capnpc.h"

void die(const char *fmt, ...)
{
	va_list ap;
	fputs("capnpc-c: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die("out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

static char *vxasprintf(const char *fmt, va_list ap)
{
	char *s;
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vxasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void bputs(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (b->len + n + 1 > cap)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vxasprintf(fmt, ap);
	va_end(ap);
	bputs(b, s);
	free(s);
}

char *upper_snake(const char *name)
{
	size_t n = strlen(name);
	char *out = xmalloc(2 * n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (i > 0 && isupper(c) && o[-1] != '_') {
			unsigned char p = (unsigned char)name[i - 1];
			unsigned char nx = (unsigned char)name[i + 1];
			if (islower(p) || isdigit(p) || (isupper(p) && islower(nx)))
				*o++ = '_';
		}
		*o++ = isalnum(c) ? (char)toupper(c) : '_';
	}
	*o = 0;
	return out;
}

char *c_string(const char *s, size_t len)
{
	struct buf b = { 0 };
	bputs(&b, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];
		/* '?' is escaped too, so that no trigraph can form. */
		if (c == '"' || c == '\\' || c == '?')
			snprintf(tmp, sizeof tmp, "\\%c", c);
		else if (c == '\n')
			snprintf(tmp, sizeof tmp, "\\n");
		else if (c == '\t')
			snprintf(tmp, sizeof tmp, "\\t");
		else if (c >= 0x20 && c < 0x7f)
			snprintf(tmp, sizeof tmp, "%c", c);
		else
			snprintf(tmp, sizeof tmp, "\\%03o", c); /* 3 digits: never runs on */
		bputs(&b, tmp);
	}
	bputs(&b, "\"");
	return b.p;
}

void emit_doc(struct buf *b, const char *doc, const char *indent)
{
	size_t total = doc ? strlen(doc) : 0;
	while (total && (doc[total - 1] == '\n' || doc[total - 1] == ' '))
		total--;
	if (!total)
		return;
	bprintf(b, "%s/*", indent);
	for (size_t i = 0; i <= total;) {
		size_t e = i;
		while (e < total && doc[e] != '\n')
			e++;
		if (i > 0)
			bprintf(b, "\n%s *", indent);
		if (e > i)
			bputs(b, " ");
		for (size_t k = i; k < e; k++) {
			char c[3] = { doc[k], 0, 0 };
			/* Never close the comment early: write "* /" for a star-slash. */
			if (doc[k] == '*' && k + 1 < e && doc[k + 1] == '/')
				c[1] = ' ';
			bputs(b, c);
		}
		i = e + 1;
	}
	bputs(b, " */\n");
}

char *c_uint(uint64_t v, unsigned bits)
{
	if (v == 0)
		return xstrdup("0");
	if (bits > 32)
		return xasprintf("0x%llxull", (unsigned long long)v);
	return xasprintf("0x%llxu", (unsigned long long)v);
}

unsigned type_bits(enum tkind k)
{
	switch (k) {
	case T_BOOL: return 1;
	case T_INT8: case T_UINT8: return 8;
	case T_INT16: case T_UINT16: case T_ENUM: return 16;
	case T_INT32: case T_UINT32: case T_FLOAT32: return 32;
	case T_INT64: case T_UINT64: case T_FLOAT64: return 64;
	default: return 0;
	}
}

bool type_is_pointer(enum tkind k)
{
	return k == T_TEXT || k == T_DATA || k == T_LIST || k == T_STRUCT || k == T_INTERFACE ||
	       k == T_ANYPTR;
}
