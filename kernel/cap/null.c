/*
 * null.c - NullCap: a method that does nothing, to measure the call path.
 */
#include "cap/kcaps.h"
#include "invoke.h"
#include "kernel.h"
#include "kobj.h"

static int null_invoke(struct kobj *obj, struct kinvoke *inv)
{
	(void)obj;
	return inv->method == CAPOS_NULL_CAP_METHOD_NOP ? 0 : KERR(NO_SUCH_METHOD);
}

static const struct kobj_ops null_ops = {
	.name = "NullCap",
	.iface = CAPOS_NULL_CAP_INTERFACE_ID,
	.invoke = null_invoke,
};

/* Stateless; one object serves every holder. */
static struct kobj null_obj = { &null_ops, 1 };

struct kobj *null_object(void) { return &null_obj; }
