/*
 * ring.h - the kernel side of a process's capability ring
 * (include/capos/abi/ring.h is the shared layout).
 *
 * The kernel keeps its own copies of the indices it owns (sq_head, cq_tail)
 * and reads the process's indices (sq_tail, cq_head) once per use, checking
 * them against its copies: a process that corrupts the header is faulted
 * (ringCorrupt), and nothing it writes can make the kernel read or write
 * outside the ring.
 *
 * Completion slots are reserved when an operation is accepted: an SQE is
 * only consumed while unread + in_flight < CAPOS_CQ_ENTRIES, so the CQ can
 * never overflow and no completion is ever dropped.
 */
#ifndef KERNEL_RING_H
#define KERNEL_RING_H

#include <stdint.h>

#include "capos/abi/ring.h"

struct proc;

struct ring {
	struct capos_ring_header *hdr; /* kernel pointer to the shared pages */
	uint64_t uva;                  /* where the process sees them */
	uint64_t bytes;
	uint32_t sq_head;              /* kernel's copy: next SQE to consume */
	uint32_t cq_tail;              /* kernel's copy: next CQE slot to fill */
	uint32_t in_flight;            /* accepted operations not yet completed */
};

/* Map and initialise p's ring. */
int ring_setup(struct proc *p);
void ring_teardown(struct proc *p);

/* Consume up to CAPOS_SQ_ENTRIES pending SQEs (bounded work per call).
 * Returns 0, or -ringCorrupt after faulting p. */
int ring_process(struct proc *p);

/* Completions the process has not consumed yet, or -ringCorrupt after
 * faulting p. */
int ring_cq_unread(struct proc *p);

/* Check one SQE against the ABI (pure): 0, or -badOpcode, -badFlags,
 * -reservedNonZero or -tooLarge. Nothing is looked up. */
int ring_validate_sqe(const struct capos_sqe *s);

/* Reserve a completion slot for an operation that will complete later. */
void ring_reserve(struct proc *p);
/* Post the completion of a reserved operation, waking p if it waits for it. */
void ring_complete(struct proc *p, uint64_t user_data, int32_t result, uint32_t flags);

#endif /* KERNEL_RING_H */
