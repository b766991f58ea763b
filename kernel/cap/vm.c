/*
 * vm.c - VirtualMemory: anonymous memory in the caller's own address space.
 *
 * The capability acts on whoever calls it. It can only unmap or re-protect
 * memory it mapped itself (recorded per process in vm_regions), never the
 * image, the stack, the ring or the CapSet page; and never lets a page be
 * writable and executable at once. Pages count against the process's
 * memory quota and return with it when it exits.
 */
#include "cap/kcaps.h"
#include "hal.h"
#include "invoke.h"
#include "kalloc.h"
#include "kernel.h"
#include "kobj.h"
#include "proc.h"
#include "proc_mem.h"

#define VM_MAX_BYTES (1ull << 30)   /* one mapping */
#define VM_MAX_REGIONS 256u         /* per process */

struct vm_region {
	struct list_node link;
	uint64_t start, size;
};

static uint32_t region_count(struct proc *p)
{
	uint32_t n = 0;
	for (struct list_node *l = p->vm_regions.next; l != &p->vm_regions; l = l->next)
		n++;
	return n;
}

/* The region that wholly contains [addr, addr+size), or NULL. */
static struct vm_region *find(struct proc *p, uint64_t addr, uint64_t size)
{
	for (struct list_node *l = p->vm_regions.next; l != &p->vm_regions; l = l->next) {
		struct vm_region *r = list_entry(l, struct vm_region, link);
		if (addr >= r->start && addr - r->start < r->size && size <= r->size - (addr - r->start))
			return r;
	}
	return NULL;
}

static int check_prot(struct kinvoke *inv, uint32_t prot)
{
	if (prot & ~(uint32_t)(HAL_PROT_READ | HAL_PROT_WRITE | HAL_PROT_EXEC)) {
		inv->exc_msg = "unknown protection bits";
		return KERR(INVALID_ARGUMENT);
	}
	if ((prot & HAL_PROT_WRITE) && (prot & HAL_PROT_EXEC)) {
		inv->exc_msg = "writable and executable at once (W^X)";
		return KERR(PERMISSION_DENIED);
	}
	return 0;
}

static int check_range(struct kinvoke *inv, uint64_t addr, uint64_t size)
{
	if (size == 0 || size > VM_MAX_BYTES || (addr | size) % HAL_PAGE_SIZE) {
		inv->exc_msg = "address and size must be whole pages, 1 GiB at most";
		return KERR(INVALID_ARGUMENT);
	}
	return 0;
}

static int vm_map(struct kinvoke *inv, capos_VirtualMemory_map_Params_r prm)
{
	struct proc *p = inv->caller;
	uint64_t size = (capos_VirtualMemory_map_Params_get_size(prm) + HAL_PAGE_SIZE - 1) &
	                ~(uint64_t)(HAL_PAGE_SIZE - 1);
	uint32_t prot = capos_VirtualMemory_map_Params_get_prot(prm);
	int err = check_range(inv, 0, size);
	if (!err)
		err = check_prot(inv, prot);
	if (err)
		return err;
	if (region_count(p) >= VM_MAX_REGIONS) {
		inv->exc_msg = "too many mappings";
		return KERR(RESOURCE_EXHAUSTED);
	}
	struct vm_region *r = kzalloc(sizeof(*r));
	if (!r)
		return KERR(RESOURCE_EXHAUSTED);
	/* The hint is advisory; the hardware layer picks the address. */
	if ((err = proc_map(p, size, prot, &r->start))) {
		kfree(r, sizeof(*r));
		inv->exc_msg = "memory quota or memory exhausted";
		return err;
	}
	r->size = size;
	list_push_back(&p->vm_regions, &r->link);
	capos_VirtualMemory_map_Results_set_addr(capos_VirtualMemory_map_Results_new_root(inv->results), r->start);
	return 0;
}

static int vm_unmap(struct kinvoke *inv, uint64_t addr, uint64_t size)
{
	struct proc *p = inv->caller;
	struct vm_region *r = find(p, addr, size);
	if (!r) {
		inv->exc_msg = "not memory this capability mapped";
		return KERR(NOT_FOUND);
	}
	/* Unmapping the middle leaves two regions: make the tail first. */
	struct vm_region *tail = NULL;
	uint64_t end = r->start + r->size;
	if (addr > r->start && addr + size < end && !(tail = kzalloc(sizeof(*tail))))
		return KERR(RESOURCE_EXHAUSTED);
	int err = proc_unmap(p, addr, size);
	if (err) {
		kfree(tail, sizeof(*tail));
		return err;
	}
	if (tail) {
		tail->start = addr + size;
		tail->size = end - tail->start;
		list_push_back(&p->vm_regions, &tail->link);
		r->size = addr - r->start;
	} else if (addr == r->start && size == r->size) {
		list_del(&r->link);
		kfree(r, sizeof(*r));
	} else if (addr == r->start) {
		r->start += size;
		r->size -= size;
	} else {
		r->size -= size;
	}
	return 0;
}

static int vm_invoke(struct kobj *o, struct kinvoke *inv)
{
	(void)o;
	switch (inv->method) {
	case CAPOS_VIRTUAL_MEMORY_METHOD_MAP: {
		capos_VirtualMemory_map_Params_r prm = { inv->params };
		(void)capos_VirtualMemory_map_Params_get_hint(prm);
		if (capn_reader_error(inv->params_msg))
			return KERR(BAD_MESSAGE);
		return vm_map(inv, prm);
	}
	case CAPOS_VIRTUAL_MEMORY_METHOD_UNMAP: {
		capos_VirtualMemory_unmap_Params_r prm = { inv->params };
		uint64_t addr = capos_VirtualMemory_unmap_Params_get_addr(prm);
		uint64_t size = capos_VirtualMemory_unmap_Params_get_size(prm);
		int err = check_range(inv, addr, size);
		return err ? err : vm_unmap(inv, addr, size);
	}
	case CAPOS_VIRTUAL_MEMORY_METHOD_PROTECT: {
		capos_VirtualMemory_protect_Params_r prm = { inv->params };
		uint64_t addr = capos_VirtualMemory_protect_Params_get_addr(prm);
		uint64_t size = capos_VirtualMemory_protect_Params_get_size(prm);
		uint32_t prot = capos_VirtualMemory_protect_Params_get_prot(prm);
		int err = check_range(inv, addr, size);
		if (!err)
			err = check_prot(inv, prot);
		if (err)
			return err;
		if (!find(inv->caller, addr, size)) {
			inv->exc_msg = "not memory this capability mapped";
			return KERR(NOT_FOUND);
		}
		return hal_as_protect(inv->caller->as, addr, size, prot);
	}
	default:
		return KERR(NO_SUCH_METHOD);
	}
}

void vm_proc_ended(struct proc *p)
{
	/* The mappings themselves go with the address space. */
	while (!list_empty(&p->vm_regions)) {
		struct vm_region *r = list_entry(p->vm_regions.next, struct vm_region, link);
		list_del(&r->link);
		kfree(r, sizeof(*r));
	}
}

static const struct kobj_ops vm_ops = {
	.name = "VirtualMemory",
	.iface = CAPOS_VIRTUAL_MEMORY_INTERFACE_ID,
	.invoke = vm_invoke,
};

/* Stateless: it acts on its caller's address space. */
static struct kobj vm_obj = { &vm_ops, 1 };

struct kobj *virtual_memory_object(void) { return &vm_obj; }
