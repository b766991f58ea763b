/*
 * endpoint_ops.h - how the ring hands IPC operations to endpoints
 * (kernel/cap/endpoint.c).
 */
#ifndef KERNEL_ENDPOINT_OPS_H
#define KERNEL_ENDPOINT_OPS_H

#include <stdbool.h>

#include "capos/abi/ring.h"

struct kobj;
struct proc;
struct cap_hold;

bool endpoint_is(const struct kobj *obj);
/* CALL through a client hold of an endpoint (already looked up). */
void endpoint_call(struct proc *p, const struct capos_sqe *s, struct cap_hold *hold);
void endpoint_recv(struct proc *p, const struct capos_sqe *s);
void endpoint_return(struct proc *p, const struct capos_sqe *s);

#endif /* KERNEL_ENDPOINT_OPS_H */
