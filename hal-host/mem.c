/*
 * mem.c - memory in the simulator: the kernel's pages and the processes'
 * address spaces.
 *
 * All user memory is carved from one arena reserved at start-up (PROT_NONE,
 * no backing), so user code is recognisable by its address and a chunk
 * returned to the arena gives its memory back to Linux. Each chunk handed
 * out is followed by an unmapped guard page. A process's "address space" is
 * the list of regions it was given; every kernel copy to or from user memory
 * is checked against that list first, so a process can only make the kernel
 * touch its own memory. Processes are not isolated from one another in the
 * simulator (one Linux address space); the QEMU target proves isolation.
 *
 * Memory the kernel shares with a process (rings, CapSet pages) has on the
 * host the protection the process was given, in a window (the kernel has
 * its own view); in a chunk of its own it stays writable, because there the
 * kernel writes it through the process's addresses.
 *
 * Host system calls dominate the cost of creating a process, so each
 * address space gets one window (AS_WINDOW bytes of a memfd, mapped twice
 * when first needed): the process's view at its place in the arena, and
 * the kernel's view elsewhere, always read-write. The kernel reaches user
 * memory in the window only through its own view, as a real kernel uses its
 * direct map, so what the process may do with a page never gets in the
 * kernel's way. Mappings are carved from the window with no system call;
 * mappings that do not fit get a chunk of their own (private memory, with
 * a guard page after it), handled the simple way: the kernel uses the
 * process's addresses and opens read-only pages briefly to write them.
 *
 * Changing a page's protection costs far more than it seems on these
 * virtual machines (an mprotect of touched pages ~18 us, nearly all of it
 * a TLB shootdown), so the process's view is brought up to date lazily:
 * hal_as_map and hal_as_protect only note what each page should be, and
 * host_as_sync, called before the process runs, issues an mprotect for
 * each run of pages whose host protection differs (the window remembers
 * what it last set, page by page).
 *
 * Fresh memory is costly too (a first-touch page fault ~13 us), so the
 * window of an exited process goes to a small pool instead of back to
 * Linux, with its pages and protections as they were, and the next
 * address space reuses it: pages the last process touched are still
 * resident and are zeroed through the kernel's view (mincore says which),
 * pages it never touched are still zero. hal_as_map's promise of zeroed
 * memory holds either way. (Not on a host with swap on, where mincore
 * cannot be trusted for this: swap_active.) A process that starts the same
 * binary as the window's last owner finds every page already where and how
 * it wants it: its creation makes no mprotect and takes no page fault.
 *
 * Pages of a window no region covers are inaccessible to the process
 * (never carved: PROT_NONE from the start; unmapped: PROT_NONE and given
 * back to Linux), except in a recycled window, where pages the last owner
 * had and this one has not carved yet keep their protection and data until
 * it does. In a simulator that isolates nothing anyway (docs/host-hal.md)
 * that is no new authority.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <valgrind/memcheck.h>

#include "hal.h"
#include "host.h"

#define PAGE HAL_PAGE_SIZE
#define ARENA_MAX (64ull << 30)
#define ARENA_MIN (1ull << 30)
#define AS_WINDOW (8ull << 20) /* bench/bench-ipc.sh knows it, to tell the views apart */
#define POPULATE_MAX (128u << 10)
#define WINDOW_PAGES (AS_WINDOW / PAGE)
#define POOL_MAX 16u
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

struct free_range {
	uint64_t start, size;
	struct free_range *next;
};

/* The user arena. Owned by the host HAL (kernel mode only). */
static struct {
	uint64_t base, size;
	struct free_range *free; /* sorted by start, coalesced */
} arena;

/* A chunk of the arena given to one address space; returned to the arena
 * when none of its pages is mapped any more. */
struct chunk {
	uint64_t start, size;
	uint64_t mapped_pages;
	bool window;          /* the address space's window: freed only with it */
	bool released;        /* (while destroying) already given back */
	/* A window only: */
	uint8_t *kview;          /* the kernel's read-write view of the same pages */
	uint64_t used_max;       /* bytes ever carved: every page after is untouched */
	unsigned char *hprot;    /* the host protection of each page of the process's view */
	unsigned char *resident; /* recycled: mincore's map, page by page */
};

/* Windows of exited processes, mapped read-write, ready for reuse. Owned by
 * the host HAL. Off (enabled false) when the host swaps: see swap_active. */
static struct {
	struct chunk *w[POOL_MAX];
	unsigned n;
	bool enabled;
} pool;

struct region {
	uint64_t start, size;
	uint32_t prot;
	bool shared;
	struct chunk *chunk;
};

struct hal_as {
	struct region *regions; /* sorted by start, non-overlapping */
	size_t nregions, cap;
	uint64_t pages;         /* mapped pages, for the kernel's ledger check */
	struct chunk *window;   /* NULL until the first mapping */
	uint64_t window_used;   /* bytes carved from the window so far */
	bool stale_prot;        /* a window page's host protection is not yet what its region says */
	size_t last_found;      /* find's last answer: the kernel checks the same buffers over and over */
};

static size_t kernel_pages; /* pages given to the kernel and not yet returned */

/* ------------------------------------------------------------ kernel pages */

void *hal_page_alloc(size_t pages)
{
	void *p = aligned_alloc(PAGE, pages * PAGE);
	if (!p)
		return NULL;
	memset(p, 0, pages * PAGE);
	kernel_pages += pages;
	return p;
}

void hal_page_free(void *p, size_t pages)
{
	if (!p)
		return;
	kernel_pages -= pages;
	free(p);
}

/* ------------------------------------------------------------ the arena */

/*
 * Does the host have swap on? mincore reports a swapped-out page as not
 * resident, so a recycled window could hand a new process old data that was
 * swapped out; with swap on, windows are not recycled. Read once, before
 * confinement (a swap device added later is not noticed).
 */
static bool swap_active(void)
{
	FILE *f = fopen("/proc/swaps", "r");
	if (!f)
		return true; /* cannot tell: assume it is */
	int lines = 0;
	for (int c; (c = getc(f)) != EOF;)
		lines += c == '\n';
	fclose(f);
	return lines > 1; /* a header line, then one per device */
}

int host_mem_init(char *err, size_t errlen)
{
	pool.enabled = !swap_active();
	for (uint64_t size = ARENA_MAX; size >= ARENA_MIN; size /= 2) {
		void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		arena.base = (uint64_t)p;
		arena.size = size;
		arena.free = malloc(sizeof(*arena.free));
		if (!arena.free)
			break;
		*arena.free = (struct free_range){ arena.base, size, NULL };
		return 0;
	}
	snprintf(err, errlen, "cannot reserve address space for user memory: %s", strerror(errno));
	return -1;
}

bool host_in_user_arena(uint64_t ip) { return ip >= arena.base && ip - arena.base < arena.size; }

static uint64_t arena_alloc(uint64_t size)
{
	uint64_t need = size + PAGE; /* and a guard page after it */
	for (struct free_range **pp = &arena.free; *pp; pp = &(*pp)->next) {
		struct free_range *r = *pp;
		if (r->size < need)
			continue;
		uint64_t start = r->start;
		r->start += need;
		r->size -= need;
		if (r->size == 0) {
			*pp = r->next;
			free(r);
		}
		return start;
	}
	return 0;
}

static void arena_free(uint64_t start, uint64_t size)
{
	size += PAGE;
	struct free_range **pp = &arena.free;
	while (*pp && (*pp)->start < start)
		pp = &(*pp)->next;
	struct free_range *next = *pp;
	/* Merge with the range before (pp points at its next field) or after. */
	struct free_range *prev = pp == &arena.free ? NULL
	                                            : (struct free_range *)((char *)pp - offsetof(struct free_range, next));
	if (prev && prev->start + prev->size == start) {
		prev->size += size;
		if (next && prev->start + prev->size == next->start) {
			prev->size += next->size;
			prev->next = next->next;
			free(next);
		}
		return;
	}
	if (next && start + size == next->start) {
		next->start = start;
		next->size += size;
		return;
	}
	struct free_range *r = malloc(sizeof(*r));
	if (!r)
		return; /* the range is lost to the arena, not to correctness */
	*r = (struct free_range){ start, size, next };
	*pp = r;
}

/* Give pages back to Linux but keep them reserved in the arena. */
static void release(uint64_t start, uint64_t size)
{
	mmap((void *)start, size, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

static int host_prot(uint32_t prot, bool shared)
{
	if (shared)
		return PROT_READ | PROT_WRITE;
	return ((prot & HAL_PROT_READ) ? PROT_READ : 0) | ((prot & HAL_PROT_WRITE) ? PROT_WRITE : 0) |
	       ((prot & HAL_PROT_EXEC) ? PROT_EXEC : 0);
}

/* ------------------------------------------------------------ regions */

/* Index of the region containing addr, or of the first region after it. */
static size_t find(struct hal_as *as, uint64_t addr)
{
	/* Regions never overlap, so a remembered index whose region contains
	 * addr is the answer, however the array changed since. */
	size_t last = as->last_found;
	if (last < as->nregions && addr - as->regions[last].start < as->regions[last].size)
		return last;
	size_t lo = 0, hi = as->nregions;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct region *r = &as->regions[mid];
		if (addr < r->start)
			hi = mid;
		else if (addr - r->start >= r->size)
			lo = mid + 1;
		else
			return as->last_found = mid;
	}
	return lo;
}

static int insert_region(struct hal_as *as, size_t at, struct region r)
{
	if (as->nregions == as->cap) {
		size_t cap = as->cap ? as->cap * 2 : 16;
		struct region *n = realloc(as->regions, cap * sizeof(*n));
		if (!n)
			return -1;
		as->regions = n;
		as->cap = cap;
	}
	memmove(&as->regions[at + 1], &as->regions[at], (as->nregions - at) * sizeof(r));
	as->regions[at] = r;
	as->nregions++;
	return 0;
}

static void remove_region(struct hal_as *as, size_t at)
{
	memmove(&as->regions[at], &as->regions[at + 1], (as->nregions - at - 1) * sizeof(struct region));
	as->nregions--;
}

/* Make `addr` a region boundary (if it is inside a region). */
static int split_at(struct hal_as *as, uint64_t addr)
{
	size_t i = find(as, addr);
	if (i == as->nregions)
		return 0;
	struct region *r = &as->regions[i];
	if (addr <= r->start || addr - r->start >= r->size)
		return 0;
	struct region tail = *r;
	tail.start = addr;
	tail.size = r->start + r->size - addr;
	r->size = addr - r->start;
	return insert_region(as, i + 1, tail);
}

/* Split at both ends of [addr, addr+size) and check it is entirely mapped;
 * *first is the index of its first region. */
static int cover(struct hal_as *as, uint64_t addr, uint64_t size, size_t *first)
{
	if (size == 0 || addr % PAGE || size % PAGE || addr + size < addr)
		return -(int)CAPOS_ERROR_CODE_INVALID_ARGUMENT;
	if (!host_range_ok(as, addr, size, 0))
		return -(int)CAPOS_ERROR_CODE_BAD_ADDRESS;
	if (split_at(as, addr) || split_at(as, addr + size))
		return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
	*first = find(as, addr);
	return 0;
}

bool host_range_ok(struct hal_as *as, uint64_t addr, uint64_t len, uint32_t prot)
{
	if (!as || addr + len < addr)
		return false;
	if (len == 0)
		return true;
	size_t i = find(as, addr);
	uint64_t end = addr + len, at = addr;
	for (; i < as->nregions && at < end; i++) {
		const struct region *r = &as->regions[i];
		if (r->start > at || (r->prot & prot) != prot)
			return false;
		at = r->start + r->size;
	}
	return at >= end;
}

/* ------------------------------------------------------------ windows */

static bool in_window(const struct hal_as *as, uint64_t uva)
{
	return as->window && uva - as->window->start < AS_WINDOW;
}

/* Where the kernel reaches user address `uva` of `as`. */
static void *kernel_addr(const struct hal_as *as, uint64_t uva)
{
	return in_window(as, uva) ? as->window->kview + (uva - as->window->start) : (void *)uva;
}

/* Valgrind sees user memory only by the process's addresses, so it cannot
 * see a write through the kernel's view: memcheck's shadow would keep
 * calling those bytes undefined (stale stack of the last owner), and code
 * the last owner ran there would stay translated. Say so. (Client requests:
 * a few instructions outside valgrind.) */
static void user_bytes_written(uint64_t uva, size_t len)
{
	VALGRIND_MAKE_MEM_DEFINED((void *)uva, len);
}

static void user_code_written(uint64_t uva, size_t len)
{
	user_bytes_written(uva, len);
	VALGRIND_DISCARD_TRANSLATIONS((void *)uva, len);
}

static void window_free(struct chunk *w)
{
	release(w->start, w->size);
	if (w->kview)
		munmap(w->kview, AS_WINDOW);
	arena_free(w->start, w->size);
	free(w->hprot);
	free(w->resident);
	free(w);
}

/* A new window: a memfd mapped as the process's view (in the arena, no
 * access until carved) and the kernel's (anywhere else, read-write). Pages
 * never carved stay inaccessible to every owner, so they are never touched
 * and need no zeroing (used_max). */
static struct chunk *window_new(void)
{
	struct chunk *w = calloc(1, sizeof(*w));
	unsigned char *hprot = malloc(WINDOW_PAGES);
	uint64_t start = w && hprot ? arena_alloc(AS_WINDOW) : 0;
	if (!start) {
		free(w);
		free(hprot);
		return NULL;
	}
	*w = (struct chunk){ .start = start, .size = AS_WINDOW, .window = true, .hprot = hprot };
	memset(hprot, PROT_NONE, WINDOW_PAGES);
	int fd = memfd_create("capos-window", MFD_CLOEXEC);
	bool ok = fd >= 0 && ftruncate(fd, AS_WINDOW) == 0 &&
	          mmap((void *)start, AS_WINDOW, PROT_NONE, MAP_FIXED | MAP_SHARED, fd, 0) != MAP_FAILED;
	if (ok) {
		void *k = mmap(NULL, AS_WINDOW, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ok = k != MAP_FAILED;
		w->kview = ok ? k : NULL;
	}
	if (fd >= 0)
		close(fd);
	if (!ok) {
		window_free(w);
		return NULL;
	}
	return w;
}

/* A window from the pool: learn which of its pages hold old data (only
 * pages some owner carved can). */
static struct chunk *window_recycle(void)
{
	struct chunk *w = pool.w[--pool.n];
	if (!w->resident && !(w->resident = malloc(WINDOW_PAGES))) {
		/* Without the map it could not be zeroed: not reused. */
		window_free(w);
		return window_new();
	}
	memset(w->resident, 0, WINDOW_PAGES);
	if (w->used_max && mincore(w->kview, w->used_max, w->resident) != 0)
		memset(w->resident, 1, WINDOW_PAGES); /* unknown: zero it all */
	w->mapped_pages = 0;
	w->released = false;
	return w;
}

/* Does any page of [start, +size) in window w have a host protection other than hp? */
static bool window_prot_differs(const struct chunk *w, uint64_t start, uint64_t size, int hp)
{
	for (uint64_t pg = (start - w->start) / PAGE, n = size / PAGE; n--; pg++)
		if (w->hprot[pg] != hp)
			return true;
	return false;
}

/* Give [start, +size) of window w host protection hp, one mprotect per run
 * of pages that differ. */
static int window_apply(struct chunk *w, uint64_t start, uint64_t size, int hp)
{
	uint64_t pg = (start - w->start) / PAGE, end = pg + size / PAGE;
	while (pg < end) {
		if (w->hprot[pg] == hp) {
			pg++;
			continue;
		}
		uint64_t run = pg;
		while (run < end && w->hprot[run] != hp)
			run++;
		if (mprotect((void *)(w->start + pg * PAGE), (run - pg) * PAGE, hp) != 0)
			return -1;
		memset(&w->hprot[pg], hp, run - pg);
		pg = run;
	}
	return 0;
}

int host_as_sync(struct hal_as *as)
{
	if (!as || !as->stale_prot)
		return 0;
	struct chunk *w = as->window;
	for (size_t i = 0; i < as->nregions; i++) {
		const struct region *r = &as->regions[i];
		if (r->chunk == w && window_apply(w, r->start, r->size, host_prot(r->prot, false)))
			return -1;
	}
	as->stale_prot = false;
	return 0;
}

/* ------------------------------------------------------------ hal.h */

int hal_as_create(struct hal_as **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
}

size_t hal_as_destroy(struct hal_as *as)
{
	if (!as)
		return 0;
	size_t pages = (size_t)as->pages;
	/* Every chunk goes back in one call, once all its regions are counted
	 * off (the window even if no region is left in it). */
	for (size_t i = 0; i < as->nregions; i++) {
		struct chunk *c = as->regions[i].chunk;
		c->mapped_pages -= as->regions[i].size / PAGE;
		if (!c->released && c != as->window) {
			release(c->start, c->size);
			c->released = true;
		}
	}
	for (size_t i = 0; i < as->nregions; i++) {
		struct chunk *c = as->regions[i].chunk;
		if (c->mapped_pages == 0 && c != as->window) {
			arena_free(c->start, c->size);
			free(c);
		}
	}
	/* The window to the pool, as it is; or back to Linux. */
	if (as->window && pool.enabled && pool.n < POOL_MAX)
		pool.w[pool.n++] = as->window;
	else if (as->window)
		window_free(as->window);
	free(as->regions);
	free(as);
	return pages;
}

/* Carve [*uva, +size) from the window, if it has room. Returns 1 when
 * carved, 0 when it does not fit, or an error. */
static int carve(struct hal_as *as, uint64_t size, uint32_t prot, bool shared, uint64_t *uva)
{
	if (size > AS_WINDOW / 2)
		return 0; /* big mappings get their own chunk */
	if (!as->window) {
		as->window = pool.n ? window_recycle() : window_new();
		as->window_used = 0;
		if (!as->window)
			return 0;
	}
	struct chunk *w = as->window;
	if (AS_WINDOW - as->window_used < size)
		return 0;
	uint64_t start = w->start + as->window_used;
	uint8_t *kaddr = w->kview + as->window_used;
	/* Old data where the last owner wrote: zero those pages only. */
	bool fresh = true;
	if (w->resident) {
		for (uint64_t pg = as->window_used / PAGE, n = size / PAGE; n--; pg++) {
			if (w->resident[pg] & 1) {
				memset(w->kview + pg * PAGE, 0, PAGE);
				fresh = false;
			}
		}
	}
	int hp = host_prot(prot, false);
	if (fresh) {
		/* No page of the range is in memory, so no page table entry
		 * either, and changing the protection now costs no TLB flush. */
		if (window_apply(w, start, size, hp) != 0)
			return -(int)CAPOS_ERROR_CODE_INTERNAL;
		/* Small fresh mappings (the image, TLS, the ring, the CapSet page)
		 * are all touched at once: fault them in, in both views, with one
		 * call each rather than a host page fault per page. An
		 * optimisation only: an older Linux simply faults later. */
		if (size <= POPULATE_MAX) {
			madvise(kaddr, size, MADV_POPULATE_WRITE);
			if (hp != PROT_NONE)
				madvise((void *)start, size, (hp & PROT_WRITE) ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
		}
	}
	user_code_written(start, size);
	struct region r = { start, size, prot, shared, w };
	if (insert_region(as, find(as, start), r))
		return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
	if (window_prot_differs(w, start, size, hp))
		as->stale_prot = true;
	as->window_used += size;
	if (w->used_max < as->window_used)
		w->used_max = as->window_used;
	w->mapped_pages += size / PAGE;
	as->pages += size / PAGE;
	*uva = start;
	return 1;
}

static int map(struct hal_as *as, uint64_t size, uint32_t prot, bool shared, uint64_t *uva)
{
	if (size == 0 || size % PAGE)
		return -(int)CAPOS_ERROR_CODE_INVALID_ARGUMENT;
	int carved = carve(as, size, prot, shared, uva);
	if (carved)
		return carved < 0 ? carved : 0;
	struct chunk *c = malloc(sizeof(*c));
	uint64_t start = c ? arena_alloc(size) : 0;
	if (!start) {
		free(c);
		return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
	}
	void *p = mmap((void *)start, size, host_prot(prot, shared), MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct region r = { start, size, prot, shared, c };
	if (p == MAP_FAILED || insert_region(as, find(as, start), r)) {
		if (p != MAP_FAILED)
			release(start, size);
		arena_free(start, size);
		free(c);
		return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
	}
	*c = (struct chunk){ .start = start, .size = size, .mapped_pages = size / PAGE };
	as->pages += size / PAGE;
	*uva = start;
	return 0;
}

int hal_as_map(struct hal_as *as, uint64_t size, uint32_t prot, uint64_t *uva)
{
	return map(as, size, prot, false, uva);
}

int hal_as_map_shared(struct hal_as *as, uint64_t size, uint32_t prot, uint64_t *uva, void **kva)
{
	int err = map(as, size, prot, true, uva);
	if (!err)
		*kva = kernel_addr(as, *uva);
	return err;
}

int hal_as_protect(struct hal_as *as, uint64_t uva, uint64_t size, uint32_t prot)
{
	size_t i;
	int err = cover(as, uva, size, &i);
	if (err)
		return err;
	for (; i < as->nregions && as->regions[i].start < uva + size; i++) {
		struct region *r = &as->regions[i];
		r->prot = prot;
		if (r->chunk == as->window) {
			/* Applied before the process runs again (host_as_sync). */
			if (window_prot_differs(r->chunk, r->start, r->size, host_prot(prot, false)))
				as->stale_prot = true;
		} else if (!r->shared && mprotect((void *)r->start, r->size, host_prot(prot, false)) != 0) {
			return -(int)CAPOS_ERROR_CODE_INTERNAL;
		}
	}
	return 0;
}

int hal_as_unmap(struct hal_as *as, uint64_t uva, uint64_t size)
{
	size_t i;
	int err = cover(as, uva, size, &i);
	if (err)
		return err;
	while (i < as->nregions && as->regions[i].start < uva + size) {
		struct region r = as->regions[i];
		if (r.chunk == as->window) {
			/* Inaccessible at once, and its pages back to Linux (a hole
			 * in the memfd reads as zeros). */
			if (window_apply(r.chunk, r.start, r.size, PROT_NONE) != 0)
				return -(int)CAPOS_ERROR_CODE_INTERNAL;
			madvise(kernel_addr(as, r.start), r.size, MADV_REMOVE);
		} else {
			release(r.start, r.size);
		}
		as->pages -= r.size / PAGE;
		remove_region(as, i);
		r.chunk->mapped_pages -= r.size / PAGE;
		if (r.chunk->mapped_pages == 0 && r.chunk != as->window) {
			arena_free(r.chunk->start, r.chunk->size);
			free(r.chunk);
		}
	}
	return 0;
}

int hal_copy_from_user(struct hal_as *as, void *dst, uint64_t src, size_t len)
{
	if (!host_range_ok(as, src, len, HAL_PROT_READ))
		return -(int)CAPOS_ERROR_CODE_BAD_ADDRESS;
	memcpy(dst, kernel_addr(as, src), len);
	return 0;
}

int hal_copy_to_user(struct hal_as *as, uint64_t dst, const void *src, size_t len)
{
	if (!host_range_ok(as, dst, len, HAL_PROT_WRITE))
		return -(int)CAPOS_ERROR_CODE_BAD_ADDRESS;
	memcpy(kernel_addr(as, dst), src, len);
	user_bytes_written(dst, len);
	return 0;
}

int hal_as_write(struct hal_as *as, uint64_t dst, const void *src, size_t len)
{
	if (!host_range_ok(as, dst, len, 0))
		return -(int)CAPOS_ERROR_CODE_BAD_ADDRESS;
	if (in_window(as, dst) || host_range_ok(as, dst, len, HAL_PROT_WRITE)) {
		memcpy(kernel_addr(as, dst), src, len);
		user_code_written(dst, len);
		return 0;
	}
	/* Into pages of a chunk of its own the process may not write: open
	 * them briefly. */
	uint64_t start = dst & ~(uint64_t)(PAGE - 1);
	uint64_t end = (dst + len + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	if (mprotect((void *)start, end - start, PROT_READ | PROT_WRITE) != 0)
		return -(int)CAPOS_ERROR_CODE_INTERNAL;
	memcpy((void *)dst, src, len);
	for (size_t i = find(as, start); i < as->nregions && as->regions[i].start < end; i++) {
		const struct region *r = &as->regions[i];
		uint64_t a = r->start > start ? r->start : start;
		uint64_t b = r->start + r->size < end ? r->start + r->size : end;
		mprotect((void *)a, b - a, host_prot(r->prot, r->shared));
	}
	return 0;
}
