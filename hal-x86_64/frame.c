/*
 * frame.c - physical memory: one bit per 4 KiB frame, from the boot memory
 * map, and the hal.h functions that hand frames out (kernel pages, the
 * FrameAllocator capability's frames).
 *
 * Free frames are the RAM regions of the memory map above 1 MiB (low memory
 * holds the BIOS's tables and the loader's data) and below 4 GiB (the static
 * bitmap's reach; QEMU with -m 128M has nothing above), minus the kernel
 * image and the manifest module. Allocation is first fit from a moving hint,
 * so runs of contiguous frames (shared mappings, multi-page kernel
 * allocations, FrameAllocator requests) are found by the same scan. Every
 * frame handed out is zeroed through the direct map, and counted by use so
 * that shutdown can prove all of them came back (main.c).
 *
 * The FrameAllocator capability draws from its own pool, the top quarter of
 * the free frames, and nothing else does: a holder that takes every frame it
 * can (quotas permitting) cannot starve the kernel's heap or other
 * processes' pages. capos-sim has a separate pool too (of frames that name
 * no memory), so the capability behaves the same on both targets.
 */
#include "hal.h"
#include "x86.h"

#define FRAME_LOW_LIMIT (1ull << 20)
#define FRAME_PHYS_LIMIT (4ull << 30)
#define FRAME_COUNT (FRAME_PHYS_LIMIT / PAGE)
#define BOOT_DIRECT_LIMIT (1ull << 30) /* what the boot tables map, until paging_init */

/* The frame allocator. Owned by the HAL; changed only in kernel mode. */
static struct {
	uint64_t used[FRAME_COUNT / 64]; /* bit set: not free (in use, reserved or not RAM) */
	uint64_t limit;                  /* frames below this may be handed out */
	uint64_t top;                    /* end of usable RAM */
	uint64_t pool;                   /* the first frame of the FrameAllocator's pool */
	uint64_t hint, pool_hint;
	uint64_t in_use[FRAME_USES];
} frames;

static bool is_used(uint64_t f) { return frames.used[f / 64] >> (f % 64) & 1; }
static void set_used(uint64_t f, bool used)
{
	if (used)
		frames.used[f / 64] |= 1ull << (f % 64);
	else
		frames.used[f / 64] &= ~(1ull << (f % 64));
}

static void reserve(uint64_t start, uint64_t end)
{
	for (uint64_t f = start / PAGE; f < (end + PAGE - 1) / PAGE && f < FRAME_COUNT; f++)
		set_used(f, true);
}

void frame_init(const struct boot_info *bi, uint64_t kernel_start, uint64_t kernel_end)
{
	__builtin_memset(frames.used, 0xff, sizeof(frames.used));
	for (unsigned i = 0; i < bi->nram; i++) {
		uint64_t start = (bi->ram[i].base + PAGE - 1) & ~(PAGE - 1);
		uint64_t end = (bi->ram[i].base + bi->ram[i].len) & ~(PAGE - 1);
		if (start < FRAME_LOW_LIMIT)
			start = FRAME_LOW_LIMIT;
		if (end > FRAME_PHYS_LIMIT)
			end = FRAME_PHYS_LIMIT;
		for (uint64_t pa = start; pa < end; pa += PAGE)
			set_used(pa / PAGE, false);
		if (end > frames.top)
			frames.top = end;
	}
	reserve(kernel_start, kernel_end);
	if (bi->module_end)
		reserve(bi->module_start, bi->module_end);
	frames.limit = BOOT_DIRECT_LIMIT / PAGE;
	frames.hint = 0;

	/* The pool: from the top down, until it holds a quarter of the free
	 * frames. */
	uint64_t free = 0, in_pool = 0;
	for (uint64_t f = 0; f < frames.top / PAGE; f++)
		free += !is_used(f);
	frames.pool = frames.top / PAGE;
	while (frames.pool > 0 && in_pool < free / 4)
		in_pool += !is_used(--frames.pool);
	frames.pool_hint = frames.pool;
	x86_debug("frames: %llu free, %llu of them the FrameAllocator's pool", (unsigned long long)free,
	          (unsigned long long)in_pool);
}

uint64_t frame_ram_top(void) { return frames.top; }

void frame_direct_map_ready(void) { frames.limit = frames.top / PAGE; }

/* The first run of `count` free frames in [from, to), into *first. */
static bool find_run(uint64_t from, uint64_t to, uint32_t count, uint64_t *first)
{
	uint64_t run = 0;
	for (uint64_t f = from; f < to; f++) {
		if (f % 64 == 0 && frames.used[f / 64] == ~0ull) {
			run = 0;
			f += 63; /* a full word: skip it */
			continue;
		}
		if (is_used(f)) {
			run = 0;
			continue;
		}
		if (++run == count) {
			*first = f + 1 - count;
			return true;
		}
	}
	return false;
}

/* Where `use` may take frames from: [*lo, *hi), with its search hint. */
static uint64_t *range_of(enum frame_use use, uint64_t *lo, uint64_t *hi)
{
	if (use == FRAME_CAP) {
		*lo = frames.pool;
		*hi = frames.limit;
		return &frames.pool_hint;
	}
	*lo = 0;
	*hi = frames.pool < frames.limit ? frames.pool : frames.limit;
	return &frames.hint;
}

bool frame_alloc(uint32_t count, enum frame_use use, uint64_t *pa)
{
	uint64_t first, lo, hi;
	uint64_t *hint = range_of(use, &lo, &hi);
	if (count == 0 || hi <= lo || count > hi - lo)
		return false;
	if (*hint < lo || *hint >= hi)
		*hint = lo;
	if (!find_run(*hint, hi, count, &first) && !find_run(lo, hi, count, &first))
		return false;
	for (uint64_t f = first; f < first + count; f++)
		set_used(f, true);
	*hint = first + count;
	frames.in_use[use] += count;
	*pa = first * PAGE;
	__builtin_memset(phys_to_virt(*pa), 0, (size_t)count * PAGE);
	return true;
}

void frame_free(uint64_t pa, uint32_t count, enum frame_use use)
{
	uint64_t first = pa / PAGE, lo, hi;
	uint64_t *hint = range_of(use, &lo, &hi);
	if (pa % PAGE || first < lo || first + count > hi || frames.in_use[use] < count)
		x86_fatal("frame_free(0x%llx, %u): not frames this allocator handed out", (unsigned long long)pa,
		          count);
	for (uint64_t f = first; f < first + count; f++) {
		if (!is_used(f))
			x86_fatal("frame_free: frame 0x%llx freed twice", (unsigned long long)(f * PAGE));
		set_used(f, false);
	}
	frames.in_use[use] -= count;
	if (first < *hint)
		*hint = first;
}

uint64_t frame_in_use(enum frame_use use) { return frames.in_use[use]; }

/* ------------------------------------------------------------ hal.h */

void *hal_page_alloc(size_t pages)
{
	uint64_t pa;
	if (pages == 0 || pages > UINT32_MAX || !frame_alloc((uint32_t)pages, FRAME_KERNEL, &pa))
		return NULL;
	return phys_to_virt(pa);
}

void hal_page_free(void *p, size_t pages)
{
	if (p)
		frame_free(virt_to_phys(p), (uint32_t)pages, FRAME_KERNEL);
}

int hal_frame_alloc(uint32_t count, uint64_t *base)
{
	if (count == 0 || count > FRAME_COUNT)
		return HAL_ERR(INVALID_ARGUMENT);
	return frame_alloc(count, FRAME_CAP, base) ? 0 : HAL_ERR(RESOURCE_EXHAUSTED);
}

void hal_frame_free(uint64_t base, uint32_t count)
{
	if (count)
		frame_free(base, count, FRAME_CAP);
}
