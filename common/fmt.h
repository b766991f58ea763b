/*
 * fmt.h - a small freestanding printf-style formatter, shared by the kernel
 * (console log lines, fault reasons, manifest errors), libcapos and host
 * tools, so that messages read the same everywhere.
 *
 * Supported: %s %.*s %c %d %i %u %x %X %p %%, the length modifiers l, ll, z,
 * a field width and the 0 flag (e.g. %016lx), and %- for left alignment.
 * Output is always NUL-terminated and truncated to fit.
 */
#ifndef COMMON_FMT_H
#define COMMON_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Format into buf[0..cap); returns the length written (excluding the NUL). */
size_t fmt_str(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t fmt_vstr(char *buf, size_t cap, const char *fmt, va_list ap);

#endif /* COMMON_FMT_H */
