/*
 * kalloc.c - size-class slabs over HAL pages (see kalloc.h).
 *
 * Each class keeps a free list threaded through its free objects. A page,
 * once given to a class, stays with it until kalloc_trim, which runs only
 * when nothing is allocated (shutdown). Freed objects are poisoned first, as
 * xv6's kfree does, so a use after free shows up as garbage rather than as
 * plausible data.
 */
#include "kalloc.h"

#include <stdint.h>

#include "hal.h"
#include "kernel.h"

#define KALLOC_CLASSES 8u /* 16, 32, ..., 2048 bytes */
#define KALLOC_POISON 0x6b

struct free_obj {
	struct free_obj *next;
};

/* A page handed to a size class; pages are linked so trim can find them. */
struct slab_page {
	struct slab_page *next;
};

/* Owned by the kernel; changed only by kzalloc/kfree/kalloc_trim (the kernel
 * runs on one CPU, to completion, so there is no locking). */
static struct {
	struct free_obj *free[KALLOC_CLASSES];
	struct slab_page *pages[KALLOC_CLASSES];
	size_t live_count;
	size_t live_bytes;
} kalloc_state;

static unsigned size_class(size_t size)
{
	unsigned c = 0;
	size_t s = 16;
	while (s < size) {
		s <<= 1;
		c++;
	}
	return c;
}

static size_t class_size(unsigned c) { return (size_t)16 << c; }

/* Carve a fresh page into objects of class c. The first object of the page
 * holds the page link, so a page yields one object fewer. */
static int refill(unsigned c)
{
	uint8_t *page = hal_page_alloc(1);
	if (!page)
		return -1;
	size_t sz = class_size(c);
	size_t first = sz >= sizeof(struct slab_page) ? sz : sizeof(struct slab_page);
	struct slab_page *sp = (struct slab_page *)page;
	sp->next = kalloc_state.pages[c];
	kalloc_state.pages[c] = sp;
	for (size_t off = first; off + sz <= HAL_PAGE_SIZE; off += sz) {
		struct free_obj *o = (struct free_obj *)(page + off);
		o->next = kalloc_state.free[c];
		kalloc_state.free[c] = o;
	}
	return 0;
}

void *kzalloc(size_t size)
{
	if (size == 0)
		size = 1;
	void *p;
	if (size > KALLOC_MAX_SMALL) {
		p = hal_page_alloc((size + HAL_PAGE_SIZE - 1) / HAL_PAGE_SIZE);
		if (!p)
			return NULL;
	} else {
		unsigned c = size_class(size);
		if (!kalloc_state.free[c] && refill(c))
			return NULL;
		struct free_obj *o = kalloc_state.free[c];
		kalloc_state.free[c] = o->next;
		p = o;
		__builtin_memset(p, 0, class_size(c));
	}
	kalloc_state.live_count++;
	kalloc_state.live_bytes += size;
	return p;
}

void kfree(void *p, size_t size)
{
	if (!p)
		return;
	if (size == 0)
		size = 1;
	KASSERT(kalloc_state.live_count > 0);
	kalloc_state.live_count--;
	kalloc_state.live_bytes -= size;
	if (size > KALLOC_MAX_SMALL) {
		hal_page_free(p, (size + HAL_PAGE_SIZE - 1) / HAL_PAGE_SIZE);
		return;
	}
	unsigned c = size_class(size);
	__builtin_memset(p, KALLOC_POISON, class_size(c));
	struct free_obj *o = p;
	o->next = kalloc_state.free[c];
	kalloc_state.free[c] = o;
}

size_t kalloc_live_count(void) { return kalloc_state.live_count; }
size_t kalloc_live_bytes(void) { return kalloc_state.live_bytes; }

void kalloc_trim(void)
{
	/* Only safe when nothing is live: objects would be freed under users. */
	if (kalloc_state.live_count != 0)
		return;
	for (unsigned c = 0; c < KALLOC_CLASSES; c++) {
		struct slab_page *sp = kalloc_state.pages[c];
		while (sp) {
			struct slab_page *next = sp->next;
			hal_page_free(sp, 1);
			sp = next;
		}
		kalloc_state.pages[c] = NULL;
		kalloc_state.free[c] = NULL;
	}
}
