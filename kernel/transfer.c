/*
 * transfer.c - all-or-nothing capability transfer (see transfer.h).
 */
#include "transfer.h"

#include "kernel.h"
#include "proc.h"

int transfer_from_descriptors(const struct capos_xfer *x, uint32_t n, struct transfer_plan *plan)
{
	if (n > CAPOS_MAX_XFER)
		return KERR(TOO_LARGE);
	plan->n = n;
	for (uint32_t i = 0; i < n; i++) {
		if (x[i].reserved[0] || x[i].reserved[1] || x[i].reserved[2])
			return KERR(RESERVED_NON_ZERO);
		if (x[i].mode != CAPOS_XFER_COPY && x[i].mode != CAPOS_XFER_MOVE)
			return KERR(INVALID_ARGUMENT);
		plan->items[i] = (struct transfer_item){ .cap = x[i].cap, .mode = x[i].mode,
		                                         .scope = CAPOS_CAP_SCOPE_PROCESS };
	}
	return 0;
}

int transfer_prepare(struct proc *sender, const struct transfer_plan *plan)
{
	for (uint32_t i = 0; i < plan->n; i++) {
		const struct transfer_item *it = &plan->items[i];
		struct cap_hold *h;
		int err = cap_table_lookup(&sender->caps, it->cap, &h);
		if (err)
			return err;
		if (h->policy == CAPOS_HOLD_POLICY_NON_TRANSFERABLE ||
		    (h->policy == CAPOS_HOLD_POLICY_MOVE_ONLY && it->mode != CAPOS_XFER_MOVE))
			return KERR(NOT_TRANSFERABLE);
		if (h->obj->ops->may_transfer && !h->obj->ops->may_transfer(h->obj))
			return KERR(NOT_TRANSFERABLE);
		/* A hold moved away cannot also be sent again in the same message. */
		for (uint32_t j = 0; j < plan->n; j++)
			if (j != i && plan->items[j].cap == it->cap &&
			    (it->mode == CAPOS_XFER_MOVE || plan->items[j].mode == CAPOS_XFER_MOVE))
				return KERR(INVALID_ARGUMENT);
	}
	return 0;
}

int transfer_commit(struct proc *sender, struct proc *receiver, const struct transfer_plan *plan,
                    uint32_t *ids)
{
	if (plan->n > cap_table_free_slots(&receiver->caps))
		return KERR(RESOURCE_EXHAUSTED);
	for (uint32_t i = 0; i < plan->n; i++) {
		const struct transfer_item *it = &plan->items[i];
		struct cap_hold h;
		if (it->mode == CAPOS_XFER_MOVE) {
			KASSERT(cap_table_take(&sender->caps, it->cap, &h) == 0);
			sender->ledger.caps--;
		} else {
			struct cap_hold *src;
			KASSERT(cap_table_lookup(&sender->caps, it->cap, &src) == 0);
			h = *src;
			kobj_ref(h.obj);
		}
		struct cap_hold_init init = {
			.badge = h.badge,
			.iface = h.iface,
			.policy = h.policy,
			/* A session-scoped hold stays session-scoped, tied to whoever
			 * first granted it; a new session scope names the sender. */
			.scope = h.scope == CAPOS_CAP_SCOPE_SESSION ? h.scope : it->scope,
			.grantor = h.scope == CAPOS_CAP_SCOPE_SESSION ? h.grantor : it->grantor,
		};
		KASSERT(cap_table_insert(&receiver->caps, h.obj, &init, &ids[i]) == 0);
		receiver->ledger.caps++;
	}
	return 0;
}
