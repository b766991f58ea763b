/*
 * endpoint.h - IPC endpoints as the rest of the kernel sees them (the ring's
 * side is in endpoint_ops.h).
 */
#ifndef KERNEL_CAP_ENDPOINT_H
#define KERNEL_CAP_ENDPOINT_H

#include <stdint.h>

struct kobj;
struct proc;

/* A new endpoint serving `iface`: *server is its server side (one reference,
 * for a hold with the Endpoint interface); *client, if asked for, one
 * reference to its client side (for holds with interface `iface`). */
int endpoint_create(uint64_t iface, struct kobj **server, struct kobj **client);
/* The interface an endpoint's client side serves. */
uint64_t endpoint_iface(const struct kobj *client);
/* A process ended: callers of the calls it had received but not answered
 * get `disconnected`. */
void endpoint_proc_ended(struct proc *p);
/* The EndpointFactory kernel capability. */
struct kobj *endpoint_factory_object(void);

#endif /* KERNEL_CAP_ENDPOINT_H */
