/*
 * endpoint.c - IPC endpoints.
 *
 * This kernel does not create endpoints yet (the manifest's exports and
 * Endpoint.mint arrive with IPC), so no capability refers to one: RECV on any
 * capability fails with wrongInterface and RETURN names no call (notFound).
 */
#include "endpoint_ops.h"

#include "cap_table.h"
#include "kernel.h"
#include "proc.h"

bool endpoint_is(const struct kobj *obj)
{
	(void)obj;
	return false;
}

void endpoint_call(struct proc *p, const struct capos_sqe *s, struct cap_hold *hold)
{
	(void)hold;
	ring_complete(p, s->user_data, KERR(INTERNAL), 0);
}

void endpoint_recv(struct proc *p, const struct capos_sqe *s)
{
	struct cap_hold *hold;
	int err = cap_table_lookup(&p->caps, s->cap, &hold);
	ring_complete(p, s->user_data, err ? err : KERR(WRONG_INTERFACE), 0);
}

void endpoint_return(struct proc *p, const struct capos_sqe *s)
{
	ring_complete(p, s->user_data, KERR(NOT_FOUND), 0);
}
