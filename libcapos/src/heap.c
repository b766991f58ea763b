/*
 * heap.c - capos_malloc and friends over the heap region the kernel maps for
 * every process (CapSet heap_base/heap_size).
 *
 * Boundary-tag blocks with segregated free lists: every block starts with a
 * header giving its size (a multiple of 16, bit 0 set while in use) and the
 * size of the block before it, so freeing merges with free neighbours in
 * O(1). Free blocks are kept in one list per power-of-two size class;
 * allocation takes the first fitting block from the smallest class that can
 * hold the request and splits off what it does not need. The heap ends with
 * a zero-sized in-use sentinel. Metadata checks stay on (musl's mallocng
 * does the same): a corrupted header traps instead of spreading damage.
 */
#include "internal.h"

#define ALIGN 16u
#define HDR 16u                 /* sizeof(struct block) */
#define MIN_BLOCK 32u           /* header plus the two free-list links */
#define NCLASSES 40u
#define IN_USE 1u

struct block {
	size_t size;      /* bytes of this block, header included; bit 0: in use */
	size_t prev_size; /* bytes of the block before (0 for the first) */
	/* while free: */
	struct block *next, *prev;
};

/* The heap. Owned by the program's one thread. */
static struct {
	uint8_t *base, *end;
	struct block *free[NCLASSES];
} heap;

static size_t bsize(const struct block *b) { return b->size & ~(size_t)IN_USE; }
static struct block *after(struct block *b) { return (struct block *)((uint8_t *)b + bsize(b)); }
static struct block *before(struct block *b) { return (struct block *)((uint8_t *)b - b->prev_size); }

static unsigned size_class(size_t size)
{
	unsigned c = 0;
	while (c + 1 < NCLASSES && ((size_t)MIN_BLOCK << (c + 1)) <= size)
		c++;
	return c;
}

static void check(const struct block *b)
{
	if ((uint8_t *)b < heap.base || (uint8_t *)b >= heap.end || (bsize(b) & (ALIGN - 1)))
		__builtin_trap(); /* heap corruption or a bad pointer */
}

static void list_insert(struct block *b)
{
	unsigned c = size_class(bsize(b));
	b->prev = NULL;
	b->next = heap.free[c];
	if (b->next)
		b->next->prev = b;
	heap.free[c] = b;
}

static void list_remove(struct block *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		heap.free[size_class(bsize(b))] = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

void capos__heap_init(uint64_t base, uint64_t size)
{
	heap.base = (uint8_t *)base;
	heap.end = heap.base + (size & ~(uint64_t)(ALIGN - 1));
	if (size < 2 * MIN_BLOCK)
		return;
	struct block *first = (struct block *)heap.base;
	first->size = (size_t)(heap.end - heap.base) - HDR;
	first->prev_size = 0;
	struct block *sentinel = after(first);
	sentinel->size = IN_USE;
	sentinel->prev_size = bsize(first);
	list_insert(first);
}

/* Cut b down to `size`, returning the rest to the free lists. */
static void split(struct block *b, size_t size)
{
	size_t rest = bsize(b) - size;
	if (rest < MIN_BLOCK)
		return;
	b->size = size | (b->size & IN_USE);
	struct block *r = after(b);
	r->size = rest;
	r->prev_size = size;
	after(r)->prev_size = rest;
	list_insert(r);
}

void *capos_malloc(size_t n)
{
	if (n > (size_t)(heap.end - heap.base))
		return NULL;
	size_t need = (n + HDR + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	for (unsigned c = size_class(need); c < NCLASSES; c++) {
		for (struct block *b = heap.free[c]; b; b = b->next) {
			check(b);
			if (bsize(b) < need)
				continue;
			list_remove(b);
			b->size |= IN_USE;
			split(b, need);
			return (uint8_t *)b + HDR;
		}
	}
	return NULL;
}

void capos_free(void *p)
{
	if (!p)
		return;
	struct block *b = (struct block *)((uint8_t *)p - HDR);
	check(b);
	if (!(b->size & IN_USE))
		__builtin_trap(); /* double free */
	b->size &= ~(size_t)IN_USE;
	struct block *n = after(b);
	if (!(n->size & IN_USE)) {
		list_remove(n);
		b->size += bsize(n);
	}
	if (b->prev_size && !(before(b)->size & IN_USE)) {
		struct block *pb = before(b);
		list_remove(pb);
		pb->size += bsize(b);
		b = pb;
	}
	after(b)->prev_size = bsize(b);
	list_insert(b);
}

void *capos_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = capos_malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *capos_realloc(void *p, size_t n)
{
	if (!p)
		return capos_malloc(n);
	if (n == 0) {
		capos_free(p);
		return NULL;
	}
	struct block *b = (struct block *)((uint8_t *)p - HDR);
	check(b);
	size_t have = bsize(b) - HDR;
	if (n <= have)
		return p;
	void *q = capos_malloc(n);
	if (q) {
		memcpy(q, p, have);
		capos_free(p);
	}
	return q;
}
