/*
 * cap_table.c - the flat, generation-tagged capability table (see
 * cap_table.h). Free slots form a LIFO list threaded through next_free.
 */
#include "cap_table.h"

#include "kalloc.h"
#include "kernel.h"

#define CAP_INDEX(id) ((id) & 0xffffu)
#define CAP_GEN(id) ((uint16_t)((id) >> 16))

void kobj_unref(struct kobj *o)
{
	KASSERT(o->refs > 0);
	if (--o->refs == 0 && o->ops->destroy)
		o->ops->destroy(o);
}

int cap_table_init(struct cap_table *t, uint32_t capacity)
{
	if (capacity == 0 || capacity > CAP_TABLE_MAX)
		return KERR(INVALID_ARGUMENT);
	t->slots = kzalloc(sizeof(*t->slots) * capacity);
	if (!t->slots)
		return KERR(RESOURCE_EXHAUSTED);
	t->capacity = capacity;
	t->used = 0;
	for (uint32_t i = 0; i < capacity; i++) {
		t->slots[i].gen = 1;
		t->slots[i].next_free = i + 1;
	}
	t->free_head = 0;
	return 0;
}

static void release_slot(struct cap_table *t, uint32_t index)
{
	struct cap_hold *h = &t->slots[index];
	h->obj = NULL;
	h->gen = (uint16_t)(h->gen == 0xffff ? 1 : h->gen + 1);
	h->next_free = t->free_head;
	t->free_head = index;
	t->used--;
}

void cap_table_destroy(struct cap_table *t)
{
	if (!t->slots)
		return;
	for (uint32_t i = 0; i < t->capacity; i++) {
		struct kobj *obj = t->slots[i].obj;
		if (obj) {
			release_slot(t, i);
			kobj_unref(obj);
		}
	}
	kfree(t->slots, sizeof(*t->slots) * t->capacity);
	t->slots = NULL;
	t->capacity = 0;
}

int cap_table_insert(struct cap_table *t, struct kobj *obj, const struct cap_hold_init *init,
                     uint32_t *id)
{
	if (t->free_head >= t->capacity)
		return KERR(RESOURCE_EXHAUSTED);
	uint32_t index = t->free_head;
	struct cap_hold *h = &t->slots[index];
	t->free_head = h->next_free;
	t->used++;
	h->obj = obj;
	h->badge = init->badge;
	h->iface = init->iface ? init->iface : obj->ops->iface;
	h->policy = init->policy;
	h->scope = init->scope;
	h->grantor = init->grantor;
	*id = ((uint32_t)h->gen << 16) | index;
	return 0;
}

int cap_table_lookup(struct cap_table *t, uint32_t id, struct cap_hold **hold)
{
	uint32_t index = CAP_INDEX(id);
	if (index >= t->capacity)
		return KERR(STALE_CAP);
	struct cap_hold *h = &t->slots[index];
	if (!h->obj || h->gen != CAP_GEN(id))
		return KERR(STALE_CAP);
	*hold = h;
	return 0;
}

int cap_table_remove(struct cap_table *t, uint32_t id)
{
	struct cap_hold *h;
	int err = cap_table_lookup(t, id, &h);
	if (err)
		return err;
	struct kobj *obj = h->obj;
	release_slot(t, CAP_INDEX(id));
	kobj_unref(obj);
	return 0;
}

int cap_table_take(struct cap_table *t, uint32_t id, struct cap_hold *out)
{
	struct cap_hold *h;
	int err = cap_table_lookup(t, id, &h);
	if (err)
		return err;
	*out = *h;
	release_slot(t, CAP_INDEX(id));
	return 0;
}
