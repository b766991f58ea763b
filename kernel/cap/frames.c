/*
 * frames.c - FrameAllocator: physical frames, accounted to their holder.
 *
 * Each allocation is recorded per process; free must name an allocation
 * exactly, and whatever is still held returns when the process exits.
 * Frames count against the memory quota together with mapped pages.
 */
#include "cap/kcaps.h"
#include "hal.h"
#include "invoke.h"
#include "kalloc.h"
#include "kernel.h"
#include "kobj.h"
#include "proc.h"

#define FRAMES_MAX_ONE 4096u /* frames in one allocation (16 MiB) */

struct frame_grant {
	struct list_node link;
	uint64_t base;
	uint32_t count;
};

static void build_allocation(struct capn_builder *b, uint64_t base, uint32_t count)
{
	capos_FrameAllocator_allocate_Results_b r = capos_FrameAllocator_allocate_Results_new_root(b);
	capos_FrameAllocator_allocate_Results_set_base(r, base);
	capos_FrameAllocator_allocate_Results_set_count(r, count);
}

static int frames_allocate(struct kinvoke *inv, uint32_t count)
{
	struct proc *p = inv->caller;
	if (count == 0 || count > FRAMES_MAX_ONE) {
		inv->exc_msg = "count must be 1..4096";
		return KERR(INVALID_ARGUMENT);
	}
	if ((uint64_t)p->ledger.pages + (uint64_t)p->ledger.frames + count > p->quota.memory_pages) {
		inv->exc_msg = "memory quota used up";
		return KERR(RESOURCE_EXHAUSTED);
	}
	struct frame_grant *g = kzalloc(sizeof(*g));
	if (!g)
		return KERR(RESOURCE_EXHAUSTED);
	int err = hal_frame_alloc(count, &g->base);
	if (err) {
		kfree(g, sizeof(*g));
		inv->exc_msg = "no free frames";
		return err;
	}
	g->count = count;
	list_push_back(&p->frames, &g->link);
	p->ledger.frames += count;
	build_allocation(inv->results, g->base, count);
	return 0;
}

static int frames_free(struct kinvoke *inv, uint64_t base, uint32_t count)
{
	struct proc *p = inv->caller;
	for (struct list_node *l = p->frames.next; l != &p->frames; l = l->next) {
		struct frame_grant *g = list_entry(l, struct frame_grant, link);
		if (g->base == base && g->count == count) {
			hal_frame_free(base, count);
			p->ledger.frames -= count;
			list_del(&g->link);
			kfree(g, sizeof(*g));
			return 0;
		}
	}
	inv->exc_msg = "not an allocation this process holds";
	return KERR(NOT_FOUND);
}

void frames_proc_ended(struct proc *p)
{
	while (!list_empty(&p->frames)) {
		struct frame_grant *g = list_entry(p->frames.next, struct frame_grant, link);
		hal_frame_free(g->base, g->count);
		p->ledger.frames -= g->count;
		list_del(&g->link);
		kfree(g, sizeof(*g));
	}
}

static int frames_invoke(struct kobj *o, struct kinvoke *inv)
{
	(void)o;
	switch (inv->method) {
	case CAPOS_FRAME_ALLOCATOR_METHOD_ALLOCATE: {
		uint32_t count = capos_FrameAllocator_allocate_Params_get_count(
			(capos_FrameAllocator_allocate_Params_r){ inv->params });
		if (capn_reader_error(inv->params_msg))
			return KERR(BAD_MESSAGE);
		return frames_allocate(inv, count);
	}
	case CAPOS_FRAME_ALLOCATOR_METHOD_FREE: {
		capos_FrameAllocator_free_Params_r prm = { inv->params };
		uint64_t base = capos_FrameAllocator_free_Params_get_base(prm);
		uint32_t count = capos_FrameAllocator_free_Params_get_count(prm);
		if (capn_reader_error(inv->params_msg))
			return KERR(BAD_MESSAGE);
		return frames_free(inv, base, count);
	}
	default:
		return KERR(NO_SUCH_METHOD);
	}
}

static const struct kobj_ops frames_ops = {
	.name = "FrameAllocator",
	.iface = CAPOS_FRAME_ALLOCATOR_INTERFACE_ID,
	.invoke = frames_invoke,
};

/* Stateless: allocations are recorded per process. */
static struct kobj frames_obj = { &frames_ops, 1 };

struct kobj *frame_allocator_object(void) { return &frames_obj; }
