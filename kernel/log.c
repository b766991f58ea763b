/*
 * log.c - kernel messages: klog (console), kdebug (debug channel), kpanic.
 */
#include <stdarg.h>

#include "hal.h"
#include "kernel.h"
#include "fmt.h"

#define LOG_LINE_MAX 256u

static void emit(void (*out)(const char *, size_t), const char *prefix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n = fmt_str(line, sizeof(line), "%s", prefix);
	n += fmt_vstr(line + n, sizeof(line) - n - 1, fmt, ap);
	line[n++] = '\n';
	out(line, n);
}

void klog(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(hal_console_write, "[kernel] ", fmt, ap);
	va_end(ap);
}

void kdebug(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(hal_debug_write, "", fmt, ap);
	va_end(ap);
}

_Noreturn void kpanic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit(hal_console_write, "[kernel] PANIC: ", fmt, ap);
	va_end(ap);
	hal_panic();
}
