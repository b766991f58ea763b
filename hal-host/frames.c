/*
 * frames.c - physical frames in the simulator.
 *
 * There is no physical memory to hand out inside a Linux process, so the
 * FrameAllocator's frames are addresses in a fake physical range above
 * 4 GiB, allocated and returned exactly like real ones but naming no memory
 * a process can reach. What the simulator proves with them is the
 * accounting: every frame is returned when its holder exits.
 */
#include <stdint.h>

#include "hal.h"
#include "host.h"

#define FRAME_BASE (4ull << 30)
#define FRAME_COUNT 65536u /* 256 MiB of fake physical memory */

/* One bit per frame, set while allocated. Owned by the host HAL. */
static uint64_t frame_bitmap[FRAME_COUNT / 64];
static uint32_t frames_in_use;

static bool frame_used(uint32_t i) { return frame_bitmap[i / 64] >> (i % 64) & 1; }

static void frame_set(uint32_t i, bool used)
{
	if (used)
		frame_bitmap[i / 64] |= 1ull << (i % 64);
	else
		frame_bitmap[i / 64] &= ~(1ull << (i % 64));
}

int hal_frame_alloc(uint32_t count, uint64_t *base)
{
	if (count == 0 || count > FRAME_COUNT)
		return -(int)CAPOS_ERROR_CODE_INVALID_ARGUMENT;
	uint32_t run = 0;
	for (uint32_t i = 0; i < FRAME_COUNT; i++) {
		run = frame_used(i) ? 0 : run + 1;
		if (run == count) {
			uint32_t first = i + 1 - count;
			for (uint32_t j = first; j <= i; j++)
				frame_set(j, true);
			frames_in_use += count;
			*base = FRAME_BASE + (uint64_t)first * HAL_PAGE_SIZE;
			return 0;
		}
	}
	return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
}

void hal_frame_free(uint64_t base, uint32_t count)
{
	uint64_t first = (base - FRAME_BASE) / HAL_PAGE_SIZE;
	for (uint64_t j = first; j < first + count && j < FRAME_COUNT; j++) {
		if (frame_used((uint32_t)j)) {
			frame_set((uint32_t)j, false);
			frames_in_use--;
		}
	}
}
