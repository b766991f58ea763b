/*
 * kcaps.c - which object stands behind each kernel capability. Adding a
 * kernel capability means one line here and one file in kernel/cap/.
 */
#include "cap/kcaps.h"

#include "cap/console.h"
#include "cap/endpoint.h"
#include "kernel.h"
#include "kobj.h"

static struct kobj *lookup(unsigned kernel_cap)
{
	switch (kernel_cap) {
	case CAPOS_KERNEL_CAP_CONSOLE: return console_object();
	case CAPOS_KERNEL_CAP_TIMER: return timer_object();
	case CAPOS_KERNEL_CAP_NULL: return null_object();
	case CAPOS_KERNEL_CAP_PROCESS_SPAWNER: return process_spawner_object();
	case CAPOS_KERNEL_CAP_VIRTUAL_MEMORY: return virtual_memory_object();
	case CAPOS_KERNEL_CAP_FRAME_ALLOCATOR: return frame_allocator_object();
	case CAPOS_KERNEL_CAP_ENDPOINT_FACTORY: return endpoint_factory_object();
	default: return NULL;
	}
}

struct kobj *kcaps_get(unsigned kernel_cap)
{
	struct kobj *o = lookup(kernel_cap);
	return o ? kobj_ref(o) : NULL;
}

int kcaps_all_released(void)
{
	for (unsigned k = 0; k <= CAPOS_KERNEL_CAP_ENDPOINT_FACTORY; k++) {
		struct kobj *o = lookup(k);
		if (o && o->refs != 1)
			return 0;
	}
	return 1;
}
