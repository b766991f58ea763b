/*
 * fake_hal.c - the test hardware layer (see fake_hal.h for what it models
 * and why).
 *
 * Everything is in one state struct, `fh`, owned by this file. Nothing here
 * is thread-safe: the kernel runs on one CPU and so does a test.
 *
 * Data structures, chosen for obviousness over speed (a test or a fuzzer
 * iteration has a handful of each):
 *   - kernel pages: an array of (pointer, page count);
 *   - address spaces: a singly linked list of live spaces;
 *   - regions: per space, a singly linked list sorted by user address, each
 *     with a byte buffer and a per-page state byte (mapped bit + HAL_PROT_*);
 *   - contexts: a singly linked list of live contexts.
 * Every pointer the kernel hands back (an address space, a context, kernel
 * pages) is looked up in these lists first, so a stale or forged one is
 * reported as a misuse instead of being dereferenced.
 */
#include "fake_hal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel.h" /* KERR: the negated capOS ErrorCodes hal.h returns */

#define PAGE ((uint64_t)HAL_PAGE_SIZE)
#define PROT_ALL (HAL_PROT_READ | HAL_PROT_WRITE | HAL_PROT_EXEC)
#define PAGE_MAPPED 0x80u /* in a page's state byte, beside its HAL_PROT_* bits */

struct kpage {
	void *ptr;
	size_t pages;
};

/* One hal_as_map: a run of pages at a fake user address. It keeps its whole
 * address range (and its buffer, so the kernel pointer of a shared region
 * stays valid) until its last page is unmapped. */
struct region {
	uint64_t start;        /* fake user address, page-aligned */
	uint64_t npages;
	uint64_t mapped;       /* pages still mapped */
	bool shared;           /* hal_as_map_shared: the kernel has a pointer to it */
	uint8_t *bytes;        /* npages * PAGE bytes */
	uint8_t *state;        /* npages state bytes: PAGE_MAPPED | HAL_PROT_* */
	struct region *next;   /* sorted by start */
};

struct hal_as {
	struct region *regions;
	uint64_t pages;        /* mapped pages: what hal_as_destroy reports */
	struct hal_as *next;   /* the list of live spaces */
};

struct buf {
	char *data;            /* NUL-terminated when non-NULL */
	size_t len, cap;
};

jmp_buf fake_hal_panic_jmp;

static struct {
	/* memory */
	struct kpage *kpages;
	size_t nkpages, kpages_cap;
	size_t kernel_pages;
	size_t frames;         /* physical frames handed out (fake addresses) */
	uint64_t next_frame;   /* bump allocator for frame addresses */
	struct hal_as *spaces;
	struct hal_ctx *ctxs;
	bool reserved;         /* the fake user range has been reserved in the host */
	/* time */
	uint64_t now;
	uint64_t timer;
	unsigned idle_calls;
	void (*idle_hook)(uint64_t deadline);
	/* console */
	struct buf out, dbg, in;
	bool in_end;
	/* panics */
	bool panic_armed, panicked;
	void (*unexpected_panic)(const char *console);
	/* failure injection */
	long fail_at;
	unsigned long alloc_calls;
	/* misuse */
	unsigned misuse;
	char misuse_msg[256];
	bool abort_on_misuse;
} fh = { .timer = UINT64_MAX, .fail_at = -1 };

/* ------------------------------------------------------------ helpers */

static void misuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void misuse(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fh.misuse_msg, sizeof(fh.misuse_msg), fmt, ap);
	va_end(ap);
	fh.misuse++;
	if (fh.abort_on_misuse) {
		fprintf(stderr, "fake HAL: kernel misused the HAL: %s\n", fh.misuse_msg);
		abort();
	}
}

/* Should this allocation fail (fake_hal_fail_alloc_at)? Counts it. */
static bool alloc_fails(void)
{
	unsigned long n = fh.alloc_calls++;
	return fh.fail_at >= 0 && n == (unsigned long)fh.fail_at;
}

static void buf_append(struct buf *b, const void *s, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *n = realloc(b->data, cap);
		if (!n) {
			fprintf(stderr, "fake HAL: out of host memory\n");
			abort();
		}
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){ 0 };
}

static bool as_live(const struct hal_as *as)
{
	for (const struct hal_as *a = fh.spaces; a; a = a->next)
		if (a == as)
			return true;
	return false;
}

/* as_live, reporting a misuse by `who` when it is not. */
static bool check_as(const struct hal_as *as, const char *who)
{
	if (as_live(as))
		return true;
	misuse("%s: address space %p does not exist", who, (const void *)as);
	return false;
}

static bool ctx_live(const struct hal_ctx *ctx)
{
	for (const struct hal_ctx *c = fh.ctxs; c; c = c->next)
		if (c == ctx)
			return true;
	return false;
}

static uint64_t region_end(const struct region *r) { return r->start + r->npages * PAGE; }

static struct region *find_region(const struct hal_as *as, uint64_t uva)
{
	for (struct region *r = as->regions; r; r = r->next)
		if (uva >= r->start && uva < region_end(r))
			return r;
	return NULL;
}

/* Is every page of [addr, addr+len) mapped, with at least the `need`
 * protection bits? An empty range is (there is nothing to check). */
static bool range_ok(const struct hal_as *as, uint64_t addr, uint64_t len, uint32_t need)
{
	if (len == 0)
		return true;
	if (len - 1 > UINT64_MAX - addr)
		return false; /* wraps around the top of the address space */
	uint64_t last_page = (addr + len - 1) & ~(PAGE - 1);
	for (uint64_t page = addr & ~(PAGE - 1);; page += PAGE) {
		const struct region *r = find_region(as, page);
		if (!r)
			return false;
		uint8_t st = r->state[(page - r->start) / PAGE];
		if (!(st & PAGE_MAPPED) || (st & need) != need)
			return false;
		if (page == last_page)
			return true;
	}
}

/* Copy between a checked user range and host memory (exactly one of `to`
 * and `from` is a user side: to_user says which way). */
static void copy_user(const struct hal_as *as, uint64_t uva, void *host, size_t len, bool to_user)
{
	uint8_t *h = host;
	while (len) {
		struct region *r = find_region(as, uva);
		uint64_t off = uva - r->start;
		size_t n = (size_t)(region_end(r) - uva) < len ? (size_t)(region_end(r) - uva) : len;
		if (to_user)
			memcpy(r->bytes + off, h, n);
		else
			memcpy(h, r->bytes + off, n);
		uva += n;
		h += n;
		len -= n;
	}
}

/* Reserve the fake user range (and the gate) PROT_NONE in the host, so that
 * a kernel dereferencing a user address faults instead of hitting some host
 * mapping that happens to be there. Best effort: if something already lives
 * there, the addresses are still fake, just not guaranteed to fault. */
static void reserve_user_range(void)
{
	if (fh.reserved)
		return;
	fh.reserved = true;
	void *want = (void *)(uintptr_t)FAKE_HAL_GATE;
	size_t size = (size_t)(FAKE_HAL_USER_BASE + FAKE_HAL_USER_SPAN - FAKE_HAL_GATE);
	void *p = mmap(want, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
	               -1, 0);
	if (p != MAP_FAILED && p != want)
		munmap(p, size); /* an old kernel took it as a hint: do not keep it elsewhere */
}

static void free_region(struct region *r)
{
	free(r->bytes);
	free(r->state);
	free(r);
}

/* ------------------------------------------------------------ kernel memory */

void *hal_page_alloc(size_t pages)
{
	if (pages == 0) {
		misuse("hal_page_alloc(0)");
		return NULL;
	}
	if (alloc_fails() || pages > SIZE_MAX / PAGE)
		return NULL;
	if (fh.nkpages == fh.kpages_cap) {
		size_t cap = fh.kpages_cap ? fh.kpages_cap * 2 : 64;
		struct kpage *n = realloc(fh.kpages, cap * sizeof(*n));
		if (!n)
			return NULL;
		fh.kpages = n;
		fh.kpages_cap = cap;
	}
	void *p = aligned_alloc(PAGE, pages * PAGE);
	if (!p)
		return NULL;
	memset(p, 0, pages * PAGE);
	fh.kpages[fh.nkpages++] = (struct kpage){ p, pages };
	fh.kernel_pages += pages;
	return p;
}

void hal_page_free(void *p, size_t pages)
{
	if (!p)
		return;
	for (size_t i = 0; i < fh.nkpages; i++) {
		if (fh.kpages[i].ptr != p)
			continue;
		if (fh.kpages[i].pages != pages)
			misuse("hal_page_free(%p, %zu): it was allocated as %zu pages", p, pages, fh.kpages[i].pages);
		fh.kernel_pages -= fh.kpages[i].pages;
		fh.kpages[i] = fh.kpages[--fh.nkpages];
		free(p);
		return;
	}
	misuse("hal_page_free(%p, %zu): not allocated (double free?)", p, pages);
}

/* ------------------------------------------------------------ address spaces */

int hal_as_create(struct hal_as **out)
{
	reserve_user_range();
	struct hal_as *as = alloc_fails() ? NULL : calloc(1, sizeof(*as));
	*out = as;
	if (!as)
		return KERR(RESOURCE_EXHAUSTED);
	as->next = fh.spaces;
	fh.spaces = as;
	return 0;
}

size_t hal_as_destroy(struct hal_as *as)
{
	if (!as)
		return 0;
	if (!check_as(as, "hal_as_destroy"))
		return 0;
	for (const struct hal_ctx *c = fh.ctxs; c; c = c->next)
		if (c->as == as)
			misuse("hal_as_destroy: context %p still runs in address space %p", (const void *)c,
			       (const void *)as);
	size_t pages = (size_t)as->pages;
	while (as->regions) {
		struct region *r = as->regions;
		as->regions = r->next;
		free_region(r);
	}
	for (struct hal_as **pp = &fh.spaces; *pp; pp = &(*pp)->next) {
		if (*pp == as) {
			*pp = as->next;
			break;
		}
	}
	free(as);
	return pages;
}

/* First fit: the lowest address from FAKE_HAL_USER_BASE where `size` bytes
 * fit with an unmapped guard page on either side of any other region; 0 if
 * the fake range is full. */
static uint64_t find_free(const struct hal_as *as, uint64_t size)
{
	uint64_t cand = FAKE_HAL_USER_BASE;
	for (const struct region *r = as->regions; r; r = r->next) {
		if (cand + size + PAGE <= r->start)
			break;
		if (region_end(r) + PAGE > cand)
			cand = region_end(r) + PAGE;
	}
	return cand + size <= FAKE_HAL_USER_BASE + FAKE_HAL_USER_SPAN ? cand : 0;
}

static int map(struct hal_as *as, uint64_t size, uint32_t prot, bool shared, uint64_t *uva, void **kva,
               const char *who)
{
	if (!check_as(as, who))
		return KERR(INVALID_ARGUMENT);
	if (size == 0 || size % PAGE) {
		misuse("%s: size %#llx is not a positive multiple of the page size", who, (unsigned long long)size);
		return KERR(INVALID_ARGUMENT);
	}
	if (prot & ~PROT_ALL) {
		misuse("%s: unknown protection bits %#x", who, prot);
		return KERR(INVALID_ARGUMENT);
	}
	if (alloc_fails() || size > FAKE_HAL_USER_SPAN)
		return KERR(RESOURCE_EXHAUSTED);
	uint64_t start = find_free(as, size);
	if (!start)
		return KERR(RESOURCE_EXHAUSTED);

	struct region *r = calloc(1, sizeof(*r));
	uint64_t npages = size / PAGE;
	if (r) {
		r->state = malloc(npages);
		/* Shared memory is page-aligned, as the kernel would get it from
		 * real hardware; private memory is never seen by the kernel, and
		 * calloc gives large zeroed buffers cheaply (a 4 MiB heap). */
		if (shared) {
			r->bytes = aligned_alloc(PAGE, size);
			if (r->bytes)
				memset(r->bytes, 0, size);
		} else {
			r->bytes = calloc(1, size);
		}
	}
	if (!r || !r->state || !r->bytes) {
		if (r)
			free_region(r);
		return KERR(RESOURCE_EXHAUSTED);
	}
	r->start = start;
	r->npages = r->mapped = npages;
	r->shared = shared;
	memset(r->state, (int)(PAGE_MAPPED | prot), npages);

	struct region **pp = &as->regions;
	while (*pp && (*pp)->start < start)
		pp = &(*pp)->next;
	r->next = *pp;
	*pp = r;
	as->pages += npages;
	*uva = start;
	if (kva)
		*kva = r->bytes;
	return 0;
}

int hal_as_map(struct hal_as *as, uint64_t size, uint32_t prot, uint64_t *uva)
{
	return map(as, size, prot, false, uva, NULL, "hal_as_map");
}

int hal_as_map_shared(struct hal_as *as, uint64_t size, uint32_t prot, uint64_t *uva, void **kva)
{
	return map(as, size, prot, true, uva, kva, "hal_as_map_shared");
}

/* Whole, mapped pages (the common check of protect and unmap). As the host
 * HAL: -invalidArgument for a range that is not whole pages, -badAddress
 * for one that is not entirely mapped. */
static int check_pages(struct hal_as *as, uint64_t uva, uint64_t size)
{
	if (size == 0 || uva % PAGE || size % PAGE || size - 1 > UINT64_MAX - uva)
		return KERR(INVALID_ARGUMENT);
	if (!range_ok(as, uva, size, 0))
		return KERR(BAD_ADDRESS);
	return 0;
}

int hal_as_protect(struct hal_as *as, uint64_t uva, uint64_t size, uint32_t prot)
{
	if (!check_as(as, "hal_as_protect"))
		return KERR(INVALID_ARGUMENT);
	if (prot & ~PROT_ALL) {
		misuse("hal_as_protect: unknown protection bits %#x", prot);
		return KERR(INVALID_ARGUMENT);
	}
	int err = check_pages(as, uva, size);
	if (err)
		return err;
	for (uint64_t page = uva; page - uva < size; page += PAGE) {
		struct region *r = find_region(as, page);
		r->state[(page - r->start) / PAGE] = (uint8_t)(PAGE_MAPPED | prot);
	}
	return 0;
}

int hal_as_unmap(struct hal_as *as, uint64_t uva, uint64_t size)
{
	if (!check_as(as, "hal_as_unmap"))
		return KERR(INVALID_ARGUMENT);
	int err = check_pages(as, uva, size);
	if (err)
		return err;
	for (uint64_t page = uva; page - uva < size; page += PAGE) {
		struct region *r = find_region(as, page);
		r->state[(page - r->start) / PAGE] = 0;
		r->mapped--;
		as->pages--;
		if (r->mapped == 0) {
			struct region **pp = &as->regions;
			while (*pp != r)
				pp = &(*pp)->next;
			*pp = r->next;
			free_region(r);
		}
	}
	return 0;
}

int hal_copy_from_user(struct hal_as *as, void *dst, uint64_t src, size_t len)
{
	if (!check_as(as, "hal_copy_from_user"))
		return KERR(BAD_ADDRESS);
	if (!range_ok(as, src, len, HAL_PROT_READ))
		return KERR(BAD_ADDRESS);
	copy_user(as, src, dst, len, false);
	return 0;
}

int hal_copy_to_user(struct hal_as *as, uint64_t dst, const void *src, size_t len)
{
	if (!check_as(as, "hal_copy_to_user"))
		return KERR(BAD_ADDRESS);
	if (!range_ok(as, dst, len, HAL_PROT_WRITE))
		return KERR(BAD_ADDRESS);
	copy_user(as, dst, (void *)(uintptr_t)src, len, true);
	return 0;
}

int hal_as_write(struct hal_as *as, uint64_t dst, const void *src, size_t len)
{
	if (!check_as(as, "hal_as_write"))
		return KERR(BAD_ADDRESS);
	if (!range_ok(as, dst, len, 0))
		return KERR(BAD_ADDRESS);
	copy_user(as, dst, (void *)(uintptr_t)src, len, true);
	return 0;
}

/* ------------------------------------------------------------ user contexts */

int hal_ctx_create(struct hal_as *as, uint64_t entry, uint64_t stack_top, uint64_t arg,
                   uint64_t thread_pointer, struct hal_ctx **out)
{
	if (!check_as(as, "hal_ctx_create"))
		return KERR(INVALID_ARGUMENT);
	if (stack_top % 16) {
		misuse("hal_ctx_create: stack_top %#llx is not 16-byte aligned", (unsigned long long)stack_top);
		return KERR(INVALID_ARGUMENT);
	}
	struct hal_ctx *ctx = alloc_fails() ? NULL : calloc(1, sizeof(*ctx));
	if (!ctx)
		return KERR(RESOURCE_EXHAUSTED);
	ctx->as = as;
	ctx->entry = entry;
	ctx->stack_top = stack_top;
	ctx->arg = arg;
	ctx->thread_pointer = thread_pointer;
	ctx->next = fh.ctxs;
	fh.ctxs = ctx;
	*out = ctx;
	return 0;
}

void hal_ctx_destroy(struct hal_ctx *ctx)
{
	if (!ctx)
		return;
	for (struct hal_ctx **pp = &fh.ctxs; *pp; pp = &(*pp)->next) {
		if (*pp == ctx) {
			*pp = ctx->next;
			free(ctx);
			return;
		}
	}
	misuse("hal_ctx_destroy: context %p does not exist", (void *)ctx);
}

void hal_ctx_set_result(struct hal_ctx *ctx, int64_t value)
{
	if (!ctx_live(ctx)) {
		misuse("hal_ctx_set_result: context %p does not exist", (void *)ctx);
		return;
	}
	ctx->result = value;
	ctx->results_set++;
}

uint64_t hal_gate_address(struct hal_as *as)
{
	check_as(as, "hal_gate_address");
	return FAKE_HAL_GATE;
}

/* ------------------------------------------------------------ time */

uint64_t hal_now_ns(void) { return fh.now; }

void hal_timer_arm(uint64_t deadline) { fh.timer = deadline; }

void hal_idle(uint64_t deadline)
{
	fh.idle_calls++;
	if (fh.idle_hook) {
		fh.idle_hook(deadline);
		return;
	}
	if (deadline != UINT64_MAX) {
		if (deadline > fh.now)
			fh.now = deadline;
	} else if (fh.in.len == 0) {
		fh.in_end = true; /* nobody will ever type: see fake_hal_set_idle_hook */
	}
}

/* ------------------------------------------------------------ console */

void hal_console_write(const char *s, size_t len) { buf_append(&fh.out, s, len); }

void hal_debug_write(const char *s, size_t len) { buf_append(&fh.dbg, s, len); }

size_t hal_console_read(char *buf, size_t len)
{
	size_t n = fh.in.len < len ? fh.in.len : len;
	if (n == 0)
		return 0;
	memcpy(buf, fh.in.data, n);
	memmove(fh.in.data, fh.in.data + n, fh.in.len - n);
	fh.in.len -= n;
	fh.in.data[fh.in.len] = '\0';
	return n;
}

bool hal_console_eof(void) { return fh.in_end && fh.in.len == 0; }

/* ------------------------------------------------------------ stopping */

_Noreturn void hal_panic(void)
{
	fh.panicked = true;
	if (fh.panic_armed) {
		fh.panic_armed = false;
		longjmp(fake_hal_panic_jmp, 1);
	}
	if (fh.unexpected_panic)
		fh.unexpected_panic(fake_hal_console_output());
	fprintf(stderr, "fake HAL: unexpected kernel panic; console so far:\n%s", fake_hal_console_output());
	abort();
}

/* ------------------------------------------------------------ test side */

void fake_hal_reset(void)
{
	fh.now = 0;
	fh.timer = UINT64_MAX;
	fh.idle_calls = 0;
	fh.idle_hook = NULL;
	buf_free(&fh.out);
	buf_free(&fh.dbg);
	buf_free(&fh.in);
	fh.in_end = false;
	fh.panic_armed = false;
	fh.panicked = false;
	fh.fail_at = -1;
	fh.frames = 0;
	fh.next_frame = 0;
	fh.alloc_calls = 0;
	fh.misuse = 0;
	fh.misuse_msg[0] = '\0';
}

size_t fake_hal_live_kernel_pages(void) { return fh.kernel_pages; }
size_t fake_hal_live_frames(void) { return fh.frames; }

/* Physical frames: fake addresses from a bump allocator, only counted (the
 * kernel never touches them). */
int hal_frame_alloc(uint32_t count, uint64_t *base)
{
	if (count == 0)
		return -(int)CAPOS_ERROR_CODE_INVALID_ARGUMENT;
	if (alloc_fails())
		return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
	*base = 0x100000000ull + fh.next_frame * HAL_PAGE_SIZE;
	fh.next_frame += count;
	fh.frames += count;
	return 0;
}

void hal_frame_free(uint64_t base, uint32_t count)
{
	(void)base;
	if (count > fh.frames) {
		misuse("hal_frame_free: %u frames freed but only %zu held", count, fh.frames);
		return;
	}
	fh.frames -= count;
}

size_t fake_hal_live_address_spaces(void)
{
	size_t n = 0;
	for (const struct hal_as *a = fh.spaces; a; a = a->next)
		n++;
	return n;
}

size_t fake_hal_as_regions(struct hal_as *as)
{
	size_t n = 0;
	if (as_live(as))
		for (const struct region *r = as->regions; r; r = r->next)
			n++;
	return n;
}

size_t fake_hal_as_pages(struct hal_as *as) { return as_live(as) ? (size_t)as->pages : 0; }

size_t fake_hal_live_regions(void)
{
	size_t n = 0;
	for (struct hal_as *a = fh.spaces; a; a = a->next)
		n += fake_hal_as_regions(a);
	return n;
}

size_t fake_hal_live_user_pages(void)
{
	size_t n = 0;
	for (const struct hal_as *a = fh.spaces; a; a = a->next)
		n += (size_t)a->pages;
	return n;
}

size_t fake_hal_live_contexts(void)
{
	size_t n = 0;
	for (const struct hal_ctx *c = fh.ctxs; c; c = c->next)
		n++;
	return n;
}

int fake_hal_page_prot(struct hal_as *as, uint64_t uva)
{
	if (!as_live(as))
		return -1;
	const struct region *r = find_region(as, uva);
	if (!r)
		return -1;
	uint8_t st = r->state[(uva - r->start) / PAGE];
	return (st & PAGE_MAPPED) ? (int)(st & PROT_ALL) : -1;
}

int fake_hal_read(struct hal_as *as, uint64_t uva, void *dst, size_t len)
{
	if (!as_live(as) || !range_ok(as, uva, len, 0))
		return -1;
	copy_user(as, uva, dst, len, false);
	return 0;
}

int fake_hal_write(struct hal_as *as, uint64_t uva, const void *src, size_t len)
{
	if (!as_live(as) || !range_ok(as, uva, len, 0))
		return -1;
	copy_user(as, uva, (void *)(uintptr_t)src, len, true);
	return 0;
}

void *fake_hal_user_ptr(struct hal_as *as, uint64_t uva, size_t len)
{
	if (!as_live(as))
		return NULL;
	struct region *r = find_region(as, uva);
	if (!r || len > region_end(r) - uva)
		return NULL;
	return r->bytes + (uva - r->start);
}

bool fake_hal_region_of(struct hal_as *as, uint64_t uva, uint64_t *start, uint64_t *size, bool *shared)
{
	if (!as_live(as))
		return false;
	const struct region *r = find_region(as, uva);
	if (!r)
		return false;
	if (start)
		*start = r->start;
	if (size)
		*size = r->npages * PAGE;
	if (shared)
		*shared = r->shared;
	return true;
}

void fake_hal_set_now(uint64_t ns) { fh.now = ns; }
void fake_hal_advance(uint64_t ns) { fh.now += ns; }
uint64_t fake_hal_timer_deadline(void) { return fh.timer; }
unsigned fake_hal_idle_calls(void) { return fh.idle_calls; }
void fake_hal_set_idle_hook(void (*hook)(uint64_t deadline)) { fh.idle_hook = hook; }

const char *fake_hal_console_output(void) { return fh.out.data ? fh.out.data : ""; }
size_t fake_hal_console_output_len(void) { return fh.out.len; }
void fake_hal_console_clear(void) { buf_free(&fh.out); }
const char *fake_hal_debug_output(void) { return fh.dbg.data ? fh.dbg.data : ""; }
void fake_hal_console_feed(const void *data, size_t len) { buf_append(&fh.in, data, len); }
void fake_hal_console_end(void) { fh.in_end = true; }

void fake_hal_expect_panic(void)
{
	fh.panic_armed = true;
	fh.panicked = false;
}

void fake_hal_expect_no_panic(void) { fh.panic_armed = false; }
bool fake_hal_panicked(void) { return fh.panicked; }
void fake_hal_set_unexpected_panic_handler(void (*handler)(const char *console)) { fh.unexpected_panic = handler; }

void fake_hal_fail_alloc_at(long n)
{
	fh.fail_at = n;
	fh.alloc_calls = 0;
}

unsigned long fake_hal_alloc_calls(void) { return fh.alloc_calls; }

unsigned fake_hal_misuse_count(void) { return fh.misuse; }
const char *fake_hal_last_misuse(void) { return fh.misuse_msg; }
void fake_hal_set_abort_on_misuse(bool on) { fh.abort_on_misuse = on; }
