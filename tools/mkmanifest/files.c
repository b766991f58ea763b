/*
 * files.c - reading whole host files, with a size limit, for mkmanifest.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "mkmanifest.h"

void report(const char *file, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mkmanifest: %s: ", file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int read_file(const char *path, size_t limit, struct bytes *out)
{
	out->data = NULL;
	out->len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return errno;
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : errno ? errno : EINVAL;
		fclose(f);
		return e;
	}
	if ((uint64_t)st.st_size > limit) {
		out->len = (size_t)st.st_size; /* so the caller can say how big */
		fclose(f);
		return EFBIG;
	}
	out->data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!out->data) {
		fclose(f);
		return ENOMEM;
	}
	out->len = fread(out->data, 1, (size_t)st.st_size, f);
	int e = ferror(f) ? EIO : 0;
	fclose(f);
	if (!e && out->len != (size_t)st.st_size)
		e = EIO; /* the file changed under us */
	if (e)
		free_bytes(out);
	return e;
}

void free_bytes(struct bytes *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}
