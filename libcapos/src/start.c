/*
 * start.c - from the kernel's entry to main and back out through exit.
 */
#include "internal.h"

const struct capos_capset *capos__capset;

int main(int argc, char **argv);
_Noreturn void capos_start(const struct capos_capset *cs);

_Noreturn void capos_start(const struct capos_capset *cs)
{
	/* Without a valid bootstrap page there is no way to report anything
	 * (not even to exit): trap, and the kernel faults us. */
	if (!cs || cs->magic != CAPOS_CAPSET_MAGIC || cs->version != CAPOS_CAPSET_VERSION)
		__builtin_trap();
	capos__capset = cs;
	capos__ring_init(cs->ring);
	capos__heap_init(cs->heap_base, cs->heap_size);

	/* argv as C promises it: modifiable strings (the CapSet page is not). */
	const char *const *src = (const char *const *)cs->argv;
	char **argv = capos_calloc((size_t)cs->argc + 1, sizeof(char *));
	for (uint32_t i = 0; argv && i < cs->argc; i++) {
		size_t n = strlen(src[i]);
		argv[i] = capos_malloc(n + 1);
		if (argv[i])
			memcpy(argv[i], src[i], n + 1);
	}
	sys_exit(main(argv ? (int)cs->argc : 0, argv));
}

const struct capos_capset *capos_capset(void) { return capos__capset; }
