/*
 * kobj.h - kernel objects: what a capability refers to.
 *
 * Every object type (Console, Timer, an Endpoint, a process handle, ...)
 * embeds a struct kobj first and provides an operations table: the
 * interface it implements, the method dispatcher, and a destructor. Holds in
 * capability tables (and the kernel itself) count references; the object is
 * destroyed when the last one goes. One object type, one file in kernel/cap/.
 */
#ifndef KERNEL_KOBJ_H
#define KERNEL_KOBJ_H

#include <stdint.h>

struct kobj;
struct kinvoke;

struct kobj_ops {
	const char *name;   /* interface name, for traces and messages */
	uint64_t iface;     /* the interface id the object implements */
	/* Run method inv->method. Returns 0 with results built in inv, a negated
	 * ErrorCode (raised to the caller as a CapException), or KINVOKE_PENDING
	 * when the call completes later through kcall_complete (invoke.h). */
	int (*invoke)(struct kobj *obj, struct kinvoke *inv);
	/* Free the object (the last reference is gone). NULL for static objects. */
	void (*destroy)(struct kobj *obj);
	/* Optional: may a hold of this object be handed to another process? */
	int (*may_transfer)(struct kobj *obj);
};

struct kobj {
	const struct kobj_ops *ops;
	uint32_t refs;
};

static inline void kobj_init(struct kobj *o, const struct kobj_ops *ops)
{
	o->ops = ops;
	o->refs = 1;
}

static inline struct kobj *kobj_ref(struct kobj *o)
{
	o->refs++;
	return o;
}

/* Drop a reference; destroys the object when it was the last. */
void kobj_unref(struct kobj *o);

#endif /* KERNEL_KOBJ_H */
