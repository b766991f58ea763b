/*
 * strings.c - error names and formatting.
 */
#include "fmt.h"
#include "internal.h"

const char *capos_strerror(int err)
{
	const char *n = capos_ErrorCode_name((unsigned)(err < 0 ? -err : err));
	return n ? n : "unknown error";
}

size_t capos_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
	return fmt_vstr(buf, cap, fmt, ap);
}

size_t capos_snprintf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = fmt_vstr(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}
