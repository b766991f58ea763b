/*
 * ipc.c - serving an endpoint: receive calls, answer them.
 */
#include "internal.h"

/* Fill a capos_call from a RECV completion over buf. */
static int parse_call(const struct capos_cqe *c, void *buf, size_t len, struct capos_call *call)
{
	if (c->result < 0)
		return c->result;
	const struct capos_msg_header *h = buf;
	size_t off = CAPOS_MSG_OFFSET(h->cap_count);
	if ((size_t)c->result > len || off + h->msg_len > len)
		return -(int)CAPOS_ERROR_CODE_INTERNAL;
	*call = (struct capos_call){
		.call_id = h->call_id,
		.badge = h->badge,
		.iface = h->iface,
		.method = h->method,
		.msg = (const uint8_t *)buf + off,
		.msg_len = h->msg_len,
		.caps = h->caps,
		.ncaps = h->cap_count,
	};
	return 0;
}

int capos_recv(cap_id_t endpoint, void *buf, size_t len, struct capos_call *call)
{
	struct capos_cqe c;
	int err = capos__ring_op(CAPOS_OP_RECV, 0, endpoint, NULL, 0, NULL, 0, buf, len, &c);
	return err ? err : parse_call(&c, buf, len, call);
}

int capos_return(uint32_t call_id, const void *msg, size_t len, const struct capos_xfer *xfer, uint32_t nxfer)
{
	struct capos_cqe c;
	return capos__ring_op(CAPOS_OP_RETURN, 0, call_id, msg, len, xfer, nxfer, NULL, 0, &c);
}

int capos_return_exception(uint32_t call_id, int err, const char *text)
{
	uint8_t arena[320] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_CapException_b e = capos_CapException_new_root(&b);
	capos_CapException_set_type(e, CAPOS_CAP_EXCEPTION_TYPE_FAILED);
	capos_CapException_set_code(e, (enum capos_ErrorCode)(err < 0 ? -err : err));
	size_t n = text ? strlen(text) : 0;
	capos_CapException_set_message(e, text ? text : "", n > 200 ? 200 : n);
	const void *msg;
	size_t len;
	int rc = capos_msg_end(&b, &msg, &len);
	if (rc)
		return rc;
	struct capos_cqe c;
	return capos__ring_op(CAPOS_OP_RETURN, CAPOS_SQE_EXCEPTION, call_id, msg, len, NULL, 0, NULL, 0, &c);
}

int capos_reply_recv(uint32_t call_id, const void *msg, size_t len, cap_id_t endpoint, void *buf,
                     size_t buflen, struct capos_call *call)
{
	cap_ring_t *r = capos_ring();
	struct capos_sqe *ret = capos__sqe_wait();
	if (!ret)
		return -(int)CAPOS_ERROR_CODE_INTERNAL;
	uint64_t ret_ud = capos_ring_user_data(r);
	ret->opcode = CAPOS_OP_RETURN;
	ret->cap = call_id;
	ret->user_data = ret_ud;
	ret->msg = (uint64_t)msg;
	ret->msg_len = msg ? (uint32_t)len : 0;
	struct capos_sqe *rcv = capos__sqe_wait();
	if (!rcv)
		return -(int)CAPOS_ERROR_CODE_INTERNAL;
	uint64_t rcv_ud = capos_ring_user_data(r);
	rcv->opcode = CAPOS_OP_RECV;
	rcv->cap = endpoint;
	rcv->user_data = rcv_ud;
	rcv->buf = (uint64_t)buf;
	rcv->buf_len = (uint32_t)buflen;
	capos_ring_submit(r);
	/* One kernel entry for both: the RETURN completes at once, the RECV
	 * when the next call arrives (often straight from the caller, by
	 * direct handoff). Its result needs no check: if other completions
	 * were unread it may come back early, and then the waits below enter
	 * again as they need. */
	(void)sys_cap_enter(2, CAPOS_WAIT_FOREVER);
	/* The RETURN's verdict matters only to know the caller is gone; a
	 * server carries on either way. */
	struct capos_cqe c;
	int err = capos_ring_wait(r, ret_ud, &c);
	if (err)
		return err;
	if ((err = capos_ring_wait(r, rcv_ud, &c)))
		return err;
	return parse_call(&c, buf, buflen, call);
}
