/*
 * cap_table.h - a process's capabilities: a flat table of holds.
 *
 * A CapId is (generation << 16) | index. The generation of a slot changes
 * every time the slot is freed, so an id kept after a release, a move or an
 * exit names nothing (staleCap) instead of whatever reused the slot; an id
 * that was never issued fails the same way. Generations run 1..0xffff and
 * wrap, so a slot must be reused 65535 times before an old id could alias.
 * Each hold records its badge, the interface it may call, its hold policy
 * and scope (schema: HoldPolicy, CapScope). See docs/capability-model.md.
 */
#ifndef KERNEL_CAP_TABLE_H
#define KERNEL_CAP_TABLE_H

#include <stdint.h>

#include "kobj.h"

#define CAP_TABLE_MAX 4096u   /* the largest table a quota may ask for */
#define CAP_ID_NONE 0u        /* never a valid CapId (generation 0 is never issued) */

struct cap_hold {
	struct kobj *obj;      /* NULL: the slot is free */
	uint64_t badge;
	uint64_t iface;        /* the interface calls through this hold may name */
	uint16_t gen;
	uint8_t policy;        /* enum capos_HoldPolicy */
	uint8_t scope;         /* enum capos_CapScope */
	uint32_t next_free;    /* free-list link (an index), while free */
	uint32_t grantor;      /* scope session: the pid whose exit revokes it */
};

struct cap_table {
	struct cap_hold *slots;
	uint32_t capacity;
	uint32_t used;
	uint32_t free_head;    /* index of the first free slot, or capacity */
};

/* Properties of a new hold. */
struct cap_hold_init {
	uint64_t badge;
	uint64_t iface;        /* 0: the object's own interface */
	uint8_t policy;
	uint8_t scope;
	uint32_t grantor;
};

int cap_table_init(struct cap_table *t, uint32_t capacity);
/* Release every hold and free the table. */
void cap_table_destroy(struct cap_table *t);

/* Put a hold on obj into the table. The table takes the caller's reference
 * on success (and not on failure). -resourceExhausted when full. */
int cap_table_insert(struct cap_table *t, struct kobj *obj, const struct cap_hold_init *init,
                     uint32_t *id);
/* The live hold named by id, or -staleCap. */
int cap_table_lookup(struct cap_table *t, uint32_t id, struct cap_hold **hold);
/* Release the hold named by id (dropping its reference), or -staleCap. */
int cap_table_remove(struct cap_table *t, uint32_t id);
/* Take the hold named by id out of the table, keeping its reference for the
 * caller (a move). */
int cap_table_take(struct cap_table *t, uint32_t id, struct cap_hold *out);

static inline uint32_t cap_table_free_slots(const struct cap_table *t) { return t->capacity - t->used; }

#endif /* KERNEL_CAP_TABLE_H */
