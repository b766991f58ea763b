/*
 * transfer.h - moving and copying capabilities between processes.
 *
 * A transfer is two steps so that it is all-or-nothing. transfer_prepare
 * checks every capability the sender names (it exists, its hold policy
 * allows the mode, nothing is moved twice) and changes nothing;
 * transfer_commit first checks the receiver has room for all of them, then
 * installs every one (copy: a new hold on the same object; move: the
 * sender's hold leaves its table, so its CapId goes stale). If either step
 * fails, no capability has moved and the caller gets one error:
 * staleCap, notTransferable, invalidArgument or resourceExhausted.
 */
#ifndef KERNEL_TRANSFER_H
#define KERNEL_TRANSFER_H

#include <stdint.h>

#include "cap_table.h"
#include "capos/abi/ring.h"

struct proc;

struct transfer_item {
	uint32_t cap;        /* the sender's CapId */
	uint8_t mode;        /* CAPOS_XFER_COPY or CAPOS_XFER_MOVE */
	uint8_t scope;       /* scope of the receiver's hold (enum capos_CapScope) */
	uint32_t grantor;    /* for session scope: whose end revokes it */
};

struct transfer_plan {
	uint32_t n;
	struct transfer_item items[CAPOS_MAX_XFER];
};

/* Check descriptors as they came from user memory (reserved bytes zero,
 * known modes) and fill `plan` with process-scoped items. */
int transfer_from_descriptors(const struct capos_xfer *x, uint32_t n, struct transfer_plan *plan);

/* Check that `sender` may transfer everything in `plan`. Changes nothing. */
int transfer_prepare(struct proc *sender, const struct transfer_plan *plan);

/* Carry out a prepared plan (check first with transfer_prepare, in the same
 * kernel entry). ids[i] receives the receiver's CapId for item i. Fails only
 * with -resourceExhausted (the receiver's table is too full), before
 * anything moved. */
int transfer_commit(struct proc *sender, struct proc *receiver, const struct transfer_plan *plan,
                    uint32_t *ids);

#endif /* KERNEL_TRANSFER_H */
