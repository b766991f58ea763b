/*
 * sizes - the kernel's fixed per-process records, as compiled on this host,
 * for the memory figure of `make bench-ipc` (bench/README.md). Prints
 * "K <name> <bytes>" lines: each record, and the bytes it really takes
 * (kalloc rounds small objects up to a power of two and bigger ones up to
 * whole pages; the host HAL's records come from malloc).
 */
#include <cpuid.h>
#include <stdio.h>

#include "ctx.h"
#include "kalloc.h"
#include "proc.h"

static unsigned long kalloc_bytes(unsigned long size)
{
	if (size > KALLOC_MAX_SMALL)
		return (size + 4095) / 4096 * 4096;
	unsigned long s = 16;
	while (s < size)
		s <<= 1;
	return s;
}

int main(void)
{
	unsigned a = 0, b = 0, c = 0, d = 0, fpu = 512 + 64;
	if (__get_cpuid_count(0xd, 0, &a, &b, &c, &d) && c > fpu)
		fpu = c;
	fpu = (fpu + 63) & ~63u;
	unsigned long table = sizeof(struct cap_hold) * PROC_DEFAULT_CAP_SLOTS;
	printf("K struct_proc %zu %lu\n", sizeof(struct proc), kalloc_bytes(sizeof(struct proc)));
	printf("K cap_table %lu %lu\n", table, kalloc_bytes(table));
	printf("K hal_ctx %zu %zu\n", sizeof(struct hal_ctx), sizeof(struct hal_ctx));
	printf("K fpu_area %u %u\n", fpu, fpu);
	printf("K stack %u %u\n", PROC_STACK_BYTES, PROC_STACK_BYTES);
	printf("K heap %u %u\n", PROC_HEAP_BYTES, PROC_HEAP_BYTES);
	return 0;
}
