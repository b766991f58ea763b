/*
 * capos/abi/ring.h - the capability ring: how a process submits calls and
 * receives completions. Shared, byte for byte, by the kernel and libcapos.
 *
 * Each process has one ring in memory it shares with the kernel (its address
 * is in the CapSet page): a header, a submission queue (SQ) of
 * CAPOS_SQ_ENTRIES entries and a completion queue (CQ) of CAPOS_CQ_ENTRIES.
 * The process produces SQEs (advancing sq_tail) and consumes CQEs (advancing
 * cq_head); the kernel does the opposite and keeps its own copies of the
 * indices it owns, so a process scribbling over the header can only hurt
 * itself (the kernel faults it: ringCorrupt).
 *
 * Indices are free-running 32-bit counters; entry i lives at i % entries.
 * docs/abi.md describes every field and the error each misuse returns.
 */
#ifndef CAPOS_ABI_RING_H
#define CAPOS_ABI_RING_H

#include <stddef.h>
#include <stdint.h>

#define CAPOS_SQ_ENTRIES 64u
#define CAPOS_CQ_ENTRIES 128u

/* Opcodes. Everything else (including 0) is reserved: badOpcode. */
enum capos_opcode {
	CAPOS_OP_NOP = 1,     /* completes at once with result 0 */
	CAPOS_OP_CALL = 2,    /* call method `method` of interface `iface` on cap `cap` */
	CAPOS_OP_RECV = 3,    /* wait for a call on endpoint `cap`; delivered into `buf` */
	CAPOS_OP_RETURN = 4,  /* answer call `cap` (a call id from RECV) with message `msg` */
	CAPOS_OP_RELEASE = 5, /* drop the hold `cap` */
};

/* SQE flags. Other bits are reserved: badFlags. */
#define CAPOS_SQE_EXCEPTION 0x01u /* RETURN: `msg` is a CapException, not results */

/* Transfer modes of struct capos_xfer (schema: TransferMode). */
#define CAPOS_XFER_COPY 0u
#define CAPOS_XFER_MOVE 1u

/* Limits on one call (docs/abi.md). */
#define CAPOS_MAX_MSG 65536u  /* bytes of a message */
#define CAPOS_MAX_XFER 32u    /* capabilities carried by one message */

/* A submission queue entry. Fields an opcode does not use must be zero. */
struct capos_sqe {
	uint8_t opcode;      /*  0 */
	uint8_t flags;       /*  1 */
	uint16_t method;     /*  2  CALL: method ordinal */
	uint32_t cap;        /*  4  CALL, RECV, RELEASE: a CapId; RETURN: a call id */
	uint64_t user_data;  /*  8  copied to the completion */
	uint64_t iface;      /* 16  CALL: interface id (0: the capability's own) */
	uint64_t msg;        /* 24  CALL, RETURN: the message (stream framing) */
	uint32_t msg_len;    /* 32 */
	uint32_t xfer_count; /* 36  CALL, RETURN: entries at `xfer` */
	uint64_t xfer;       /* 40  CALL, RETURN: struct capos_xfer[xfer_count] */
	uint64_t buf;        /* 48  CALL: result buffer; RECV: receive buffer */
	uint32_t buf_len;    /* 56 */
	uint32_t timeout_us; /* 60  CALL: give up after this long (0: never) */
};

/* One capability carried beside a message; the message's capability
 * pointers index this array. */
struct capos_xfer {
	uint32_t cap;        /* 0  the sender's CapId */
	uint8_t mode;        /* 4  CAPOS_XFER_COPY or CAPOS_XFER_MOVE */
	uint8_t reserved[3]; /* 5  must be zero */
};

/* A completion queue entry. */
struct capos_cqe {
	uint64_t user_data; /*  0  from the SQE */
	int32_t result;     /*  8  >= 0: bytes written to `buf` (0 for NOP, RETURN, RELEASE);
	                     *     < 0: a negated ErrorCode */
	uint32_t flags;     /* 12  CAPOS_CQE_* */
	uint64_t reserved[2];
};

#define CAPOS_CQE_EXCEPTION 0x01u /* the message in `buf` is a CapException */

/* What the kernel writes at the start of a CALL's result buffer and a
 * RECV's receive buffer, followed by `cap_count` CapIds (installed in the
 * receiver's table, in the order of the sender's transfer list), padding to
 * 8 bytes, and `msg_len` bytes of message. */
struct capos_msg_header {
	uint32_t msg_len;    /*  0 */
	uint16_t cap_count;  /*  4 */
	uint16_t method;     /*  6  RECV: the method called */
	uint64_t iface;      /*  8  RECV: the interface called */
	uint64_t badge;      /* 16  RECV: the badge of the caller's capability */
	uint32_t call_id;    /* 24  RECV: answer with RETURN cap = call_id */
	uint32_t reserved;   /* 28 */
	uint32_t caps[];     /* 32 */
};

/* The offset of the message in a buffer holding `caps` capabilities. */
#define CAPOS_MSG_OFFSET(caps) ((sizeof(struct capos_msg_header) + 4u * (caps) + 7u) & ~(size_t)7u)

struct capos_ring_header {
	uint32_t sq_head;    /*  0  kernel: next SQE it will consume */
	uint32_t sq_tail;    /*  4  user: next SQE slot it will fill */
	uint32_t cq_head;    /*  8  user: next CQE it will consume */
	uint32_t cq_tail;    /* 12  kernel: next CQE slot it will fill */
	uint32_t sq_entries; /* 16  CAPOS_SQ_ENTRIES (informational) */
	uint32_t cq_entries; /* 20  CAPOS_CQ_ENTRIES (informational) */
	uint32_t sq_offset;  /* 24  byte offset of the SQ from the header */
	uint32_t cq_offset;  /* 28  byte offset of the CQ from the header */
};

#define CAPOS_RING_SQ_OFFSET 64u
#define CAPOS_RING_CQ_OFFSET (CAPOS_RING_SQ_OFFSET + CAPOS_SQ_ENTRIES * 64u)
#define CAPOS_RING_BYTES (CAPOS_RING_CQ_OFFSET + CAPOS_CQ_ENTRIES * 32u)

_Static_assert(sizeof(struct capos_sqe) == 64, "SQE is 64 bytes");
_Static_assert(offsetof(struct capos_sqe, user_data) == 8, "SQE layout");
_Static_assert(offsetof(struct capos_sqe, xfer) == 40, "SQE layout");
_Static_assert(offsetof(struct capos_sqe, timeout_us) == 60, "SQE layout");
_Static_assert(sizeof(struct capos_cqe) == 32, "CQE is 32 bytes");
_Static_assert(sizeof(struct capos_xfer) == 8, "xfer is 8 bytes");
_Static_assert(sizeof(struct capos_msg_header) == 32, "message header is 32 bytes");
_Static_assert(sizeof(struct capos_ring_header) == 32, "ring header layout");
_Static_assert(CAPOS_RING_BYTES == 64 + 64 * 64 + 128 * 32, "ring size");

#endif /* CAPOS_ABI_RING_H */
