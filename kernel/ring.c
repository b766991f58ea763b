/*
 * ring.c - consuming a process's submissions and posting its completions
 * (see ring.h and include/capos/abi/ring.h).
 *
 * Each SQE is copied out of shared memory before it is looked at, so the
 * process cannot change it between validation and use. Validation is total:
 * an unknown opcode, a reserved flag or a non-zero field the opcode does not
 * use completes the entry with an error and changes nothing else.
 */
#include "ring.h"

#include "capn.h"
#include "endpoint_ops.h"
#include "hal.h"
#include "invoke.h"
#include "kernel.h"
#include "proc.h"
#include "proc_mem.h"
#include "sched.h"

static uint64_t page_up(uint64_t v) { return (v + HAL_PAGE_SIZE - 1) & ~(uint64_t)(HAL_PAGE_SIZE - 1); }

static struct capos_sqe *sq_entry(struct proc *p, uint32_t i)
{
	return (struct capos_sqe *)((uint8_t *)p->ring.hdr + CAPOS_RING_SQ_OFFSET) + (i % CAPOS_SQ_ENTRIES);
}

static struct capos_cqe *cq_entry(struct proc *p, uint32_t i)
{
	return (struct capos_cqe *)((uint8_t *)p->ring.hdr + CAPOS_RING_CQ_OFFSET) + (i % CAPOS_CQ_ENTRIES);
}

/* The process's own indices are read exactly once per use. */
static uint32_t read_user_index(const uint32_t *p) { return *(const volatile uint32_t *)p; }

int ring_setup(struct proc *p)
{
	uint64_t bytes = page_up(CAPOS_RING_BYTES);
	void *kva;
	int err = proc_map_shared(p, bytes, HAL_PROT_READ | HAL_PROT_WRITE, &p->ring.uva, &kva);
	if (err)
		return err;
	p->ring.hdr = kva;
	p->ring.bytes = bytes;
	p->ring.sq_head = p->ring.cq_tail = p->ring.in_flight = 0;
	p->ring.hdr->sq_entries = CAPOS_SQ_ENTRIES;
	p->ring.hdr->cq_entries = CAPOS_CQ_ENTRIES;
	p->ring.hdr->sq_offset = CAPOS_RING_SQ_OFFSET;
	p->ring.hdr->cq_offset = CAPOS_RING_CQ_OFFSET;
	p->ledger.ring_bytes += (int64_t)bytes;
	return 0;
}

void ring_teardown(struct proc *p)
{
	if (!p->ring.hdr)
		return;
	p->ledger.ring_bytes -= (int64_t)p->ring.bytes;
	p->ring.hdr = NULL; /* the pages go with the address space */
}

int ring_cq_unread(struct proc *p)
{
	if (!p->ring.hdr)
		return KERR(RING_CORRUPT);
	uint32_t head = read_user_index(&p->ring.hdr->cq_head);
	uint32_t unread = p->ring.cq_tail - head;
	if (unread > CAPOS_CQ_ENTRIES) {
		proc_fault(p, "ring corrupt: cq_head %u is not within %u entries of cq_tail %u", head,
		           CAPOS_CQ_ENTRIES, p->ring.cq_tail);
		return KERR(RING_CORRUPT);
	}
	return (int)unread;
}

void ring_reserve(struct proc *p) { p->ring.in_flight++; }

void ring_complete(struct proc *p, uint64_t user_data, int32_t result, uint32_t flags)
{
	KASSERT(p->ring.in_flight > 0);
	p->ring.in_flight--;
	if (p->state == PROC_EXITED || !p->ring.hdr)
		return;
	/* Slots were reserved when the operation was accepted, so there is room
	 * unless the process moved cq_head backwards since; that is corruption. */
	int unread = ring_cq_unread(p);
	if (unread < 0)
		return;
	if ((uint32_t)unread >= CAPOS_CQ_ENTRIES) {
		proc_fault(p, "ring corrupt: completion queue full although slots were reserved");
		return;
	}
	struct capos_cqe *c = cq_entry(p, p->ring.cq_tail);
	c->user_data = user_data;
	c->result = result;
	c->flags = flags;
	c->reserved[0] = c->reserved[1] = 0;
	p->ring.cq_tail++;
	p->ring.hdr->cq_tail = p->ring.cq_tail;
	if (p->state == PROC_BLOCKED && (uint32_t)unread + 1 >= p->wait_min)
		sched_wake_from_enter(p, unread + 1);
}

/* ------------------------------------------------------------ validation */

/* Which fields each opcode uses; every other field must be zero. */
enum {
	F_METHOD = 1 << 0, F_CAP = 1 << 1, F_IFACE = 1 << 2, F_MSG = 1 << 3,
	F_XFER = 1 << 4, F_BUF = 1 << 5, F_TIMEOUT = 1 << 6,
};

int ring_validate_sqe(const struct capos_sqe *s)
{
	unsigned used, flags_ok = 0;
	switch (s->opcode) {
	case CAPOS_OP_NOP: used = 0; break;
	case CAPOS_OP_CALL: used = F_METHOD | F_CAP | F_IFACE | F_MSG | F_XFER | F_BUF | F_TIMEOUT; break;
	case CAPOS_OP_RECV: used = F_CAP | F_BUF; break;
	case CAPOS_OP_RETURN: used = F_CAP | F_MSG | F_XFER; flags_ok = CAPOS_SQE_EXCEPTION; break;
	case CAPOS_OP_RELEASE: used = F_CAP; break;
	default: return KERR(BAD_OPCODE);
	}
	if (s->flags & ~flags_ok)
		return KERR(BAD_FLAGS);
	if ((!(used & F_METHOD) && s->method) || (!(used & F_CAP) && s->cap) ||
	    (!(used & F_IFACE) && s->iface) || (!(used & F_MSG) && (s->msg || s->msg_len)) ||
	    (!(used & F_XFER) && (s->xfer || s->xfer_count)) || (!(used & F_BUF) && (s->buf || s->buf_len)) ||
	    (!(used & F_TIMEOUT) && s->timeout_us))
		return KERR(RESERVED_NON_ZERO);
	if (s->msg_len > CAPOS_MAX_MSG || s->xfer_count > CAPOS_MAX_XFER)
		return KERR(TOO_LARGE);
	return 0;
}

/* ------------------------------------------------------------ CALL */

/* The parameters of the call being dispatched. Owned by the kernel; one
 * call is decoded and invoked at a time. */
static uint8_t params_buf[CAPOS_MAX_MSG] __attribute__((aligned(8)));
static struct capn_reader params_reader;

/* An empty message: one segment whose root pointer is null (all defaults). */
static const uint8_t empty_message[16] = { 0, 0, 0, 0, 1, 0, 0, 0 };

static int decode_params(struct proc *p, const struct capos_sqe *s, capn_struct_r *root)
{
	const void *msg = empty_message;
	size_t len = sizeof(empty_message);
	if (s->msg_len) {
		if (hal_copy_from_user(p->as, params_buf, s->msg, s->msg_len))
			return KERR(BAD_ADDRESS);
		msg = params_buf;
		len = s->msg_len;
	}
	/* A tight traversal limit: the kernel reads at most a few times what
	 * the caller sent. */
	struct capn_limits lim = { 4 * (len / 8) + 64, 32 };
	if (capn_reader_init_framed(&params_reader, msg, len, &lim, NULL))
		return KERR(BAD_MESSAGE);
	*root = capn_reader_root(&params_reader);
	if (capn_reader_error(&params_reader))
		return KERR(BAD_MESSAGE);
	return 0;
}

static void op_call(struct proc *p, const struct capos_sqe *s)
{
	struct cap_hold *hold;
	int err = cap_table_lookup(&p->caps, s->cap, &hold);
	uint64_t iface = s->iface;
	if (!err) {
		if (!iface)
			iface = hold->iface;
		const struct capn_interface_info *info = capos_interface_by_id(iface);
		if (iface != hold->iface)
			err = KERR(WRONG_INTERFACE);
		else if (!info || s->method >= info->method_count)
			err = KERR(NO_SUCH_METHOD);
	}
	if (err) {
		invoke_trace(p, s->cap, iface, s->method, err);
		ring_complete(p, s->user_data, err, 0);
		return;
	}
	if (endpoint_is(hold->obj)) {
		endpoint_call(p, s, hold);
		return;
	}
	if (s->xfer_count) {
		/* No kernel object in this kernel accepts capabilities yet. */
		invoke_trace(p, s->cap, iface, s->method, KERR(INVALID_ARGUMENT));
		ring_complete(p, s->user_data, KERR(INVALID_ARGUMENT), 0);
		return;
	}

	struct kinvoke inv = {
		.caller = p,
		.cap = s->cap,
		.hold = hold,
		.method = s->method,
		.params_msg = &params_reader,
		.results = invoke_results_builder(),
		.user_data = s->user_data,
		.buf = s->buf,
		.buf_len = s->buf_len,
	};
	err = decode_params(p, s, &inv.params);
	struct kobj *obj = hold->obj;
	if (!err)
		err = obj->ops->invoke(obj, &inv);
	if (err == KINVOKE_PENDING)
		return;
	/* A method that read a malformed field got defaults; refuse its answer. */
	if (err == 0 && capn_reader_error(&params_reader))
		err = KERR(BAD_MESSAGE);
	invoke_trace(p, s->cap, iface, s->method, err);
	if (err == KERR(BAD_ADDRESS) || err == KERR(BAD_MESSAGE)) {
		/* The call never reached the object's logic: a transport error. */
		for (uint32_t i = 0; i < inv.nresult_caps; i++)
			kobj_unref(inv.result_caps[i].obj);
		ring_complete(p, s->user_data, err, 0);
		return;
	}
	invoke_deliver(p, s->user_data, s->buf, s->buf_len, inv.results, inv.result_caps, inv.nresult_caps, err,
	               inv.exc_msg);
}

/* ------------------------------------------------------------ dispatch */

static void dispatch(struct proc *p, const struct capos_sqe *s)
{
	int err = ring_validate_sqe(s);
	if (err) {
		ring_complete(p, s->user_data, err, 0);
		return;
	}
	switch (s->opcode) {
	case CAPOS_OP_NOP:
		ring_complete(p, s->user_data, 0, 0);
		break;
	case CAPOS_OP_RELEASE:
		err = cap_table_remove(&p->caps, s->cap);
		if (!err)
			p->ledger.caps--;
		ring_complete(p, s->user_data, err, 0);
		break;
	case CAPOS_OP_CALL:
		op_call(p, s);
		break;
	case CAPOS_OP_RECV:
		endpoint_recv(p, s);
		break;
	case CAPOS_OP_RETURN:
		endpoint_return(p, s);
		break;
	}
}

int ring_process(struct proc *p)
{
	uint32_t tail = read_user_index(&p->ring.hdr->sq_tail);
	uint32_t pending = tail - p->ring.sq_head;
	if (pending > CAPOS_SQ_ENTRIES) {
		proc_fault(p, "ring corrupt: sq_tail %u is not within %u entries of sq_head %u", tail,
		           CAPOS_SQ_ENTRIES, p->ring.sq_head);
		return KERR(RING_CORRUPT);
	}
	/* Bounded work: at most one queue's worth per cap_enter. */
	for (uint32_t i = 0; i < pending; i++) {
		int unread = ring_cq_unread(p);
		if (unread < 0)
			return unread;
		if ((uint32_t)unread + p->ring.in_flight >= CAPOS_CQ_ENTRIES)
			break; /* no completion slot to promise: leave the rest queued */
		struct capos_sqe s = *sq_entry(p, p->ring.sq_head);
		p->ring.sq_head++;
		p->ring.hdr->sq_head = p->ring.sq_head;
		ring_reserve(p);
		dispatch(p, &s);
		if (p->state == PROC_EXITED)
			return KERR(CANCELLED);
	}
	return 0;
}
