/*
 * internal.h - what libcapos's own files share; not installed.
 */
#ifndef LIBCAPOS_INTERNAL_H
#define LIBCAPOS_INTERNAL_H

#include "capos/capos.h"

/* The bootstrap page; set once by capos_start before main runs. */
extern const struct capos_capset *capos__capset;

void capos__ring_init(uint64_t ring_header);
void capos__heap_init(uint64_t base, uint64_t size);

/* Call `method` of `cap` with the message built in `b`, expecting no
 * capabilities back; the answer's root struct is read into `root` from a
 * reader over `answer` (which must outlive it). */
int capos__call_simple(cap_id_t cap, uint64_t iface, uint16_t method, struct capn_builder *b,
                       void *answer, size_t answer_len, struct capn_reader *r, capn_struct_r *root);

/* Submit one ring entry (not a CALL) and wait for its completion. */
int capos__ring_op(uint8_t opcode, uint8_t flags, uint32_t cap, const void *msg, size_t len,
                   const struct capos_xfer *xfer, uint32_t nxfer, void *buf, size_t buflen,
                   struct capos_cqe *out);
/* Expose ring internals to ipc.c (reply_recv submits two entries at once). */
struct capos_sqe *capos__sqe_wait(void);

#endif /* LIBCAPOS_INTERNAL_H */
