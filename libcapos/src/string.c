/*
 * string.c - the string functions libcapos needs in a freestanding program
 * (the memory functions are common/mem.c). Built with
 * -fno-tree-loop-distribute-patterns, so the loops below are not turned
 * into calls to themselves.
 */
#include "internal.h"

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}
