/*
 * kalloc.h - memory for the kernel's own objects.
 *
 * Small objects come from per-size-class slabs (whole pages from the HAL);
 * anything over KALLOC_MAX_SMALL bytes is whole pages. Frees are sized, as
 * in seL4 and Genode: the caller knows what it allocated. Every allocation
 * is counted, so kernel_shutdown can prove that nothing leaked.
 */
#ifndef KERNEL_KALLOC_H
#define KERNEL_KALLOC_H

#include <stddef.h>

#define KALLOC_MAX_SMALL 2048u

/* Zeroed memory, or NULL when the HAL has no more pages. */
void *kzalloc(size_t size);
void kfree(void *p, size_t size);

/* Allocations not yet freed (a number, and their bytes). */
size_t kalloc_live_count(void);
size_t kalloc_live_bytes(void);

/* Return every cached slab page to the HAL (at shutdown). */
void kalloc_trim(void);

#endif /* KERNEL_KALLOC_H */
