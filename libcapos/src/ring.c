/*
 * ring.c - the user side of the capability ring (include/capos/abi/ring.h).
 *
 * One ring per process, one thread using it: submissions are written into
 * the next free slot and published by advancing sq_tail; completions are
 * taken in order from the CQ. A caller waiting for one completion may meet
 * others first (e.g. a timer that fired while it waited for a call); those
 * are kept in a stash and handed to whoever waits for them later.
 */
#include "internal.h"

struct cap_ring {
	struct capos_ring_header *hdr;
	struct capos_sqe *sq;
	struct capos_cqe *cq;
	uint32_t sq_tail;        /* slots taken; published by capos_ring_submit */
	uint64_t next_user_data;
	uint32_t nstash;
	struct capos_cqe stash[CAPOS_CQ_ENTRIES];
};

/* This process's ring client. Owned by the program's one thread. */
static struct cap_ring ring;

void capos__ring_init(uint64_t ring_header)
{
	ring.hdr = (struct capos_ring_header *)ring_header;
	ring.sq = (struct capos_sqe *)((uint8_t *)ring.hdr + CAPOS_RING_SQ_OFFSET);
	ring.cq = (struct capos_cqe *)((uint8_t *)ring.hdr + CAPOS_RING_CQ_OFFSET);
	ring.sq_tail = ring.hdr->sq_tail;
	ring.next_user_data = 1;
	ring.nstash = 0;
}

cap_ring_t *capos_ring(void) { return &ring; }
struct capos_ring_header *capos_ring_header(cap_ring_t *r) { return r->hdr; }
uint64_t capos_ring_user_data(cap_ring_t *r) { return r->next_user_data++; }

struct capos_sqe *capos_ring_sqe(cap_ring_t *r)
{
	uint32_t head = __atomic_load_n(&r->hdr->sq_head, __ATOMIC_ACQUIRE);
	if (r->sq_tail - head >= CAPOS_SQ_ENTRIES)
		return NULL;
	struct capos_sqe *s = &r->sq[r->sq_tail % CAPOS_SQ_ENTRIES];
	memset(s, 0, sizeof(*s));
	r->sq_tail++;
	return s;
}

void capos_ring_submit(cap_ring_t *r) { __atomic_store_n(&r->hdr->sq_tail, r->sq_tail, __ATOMIC_RELEASE); }

/* Take the next completion from the CQ itself (not the stash). */
static bool cq_pop(cap_ring_t *r, struct capos_cqe *out)
{
	uint32_t head = r->hdr->cq_head;
	if (head == __atomic_load_n(&r->hdr->cq_tail, __ATOMIC_ACQUIRE))
		return false;
	*out = r->cq[head % CAPOS_CQ_ENTRIES];
	__atomic_store_n(&r->hdr->cq_head, head + 1, __ATOMIC_RELEASE);
	return true;
}

bool capos_ring_next_cqe(cap_ring_t *r, struct capos_cqe *out)
{
	if (r->nstash) {
		*out = r->stash[0];
		memmove(&r->stash[0], &r->stash[1], (r->nstash - 1) * sizeof(r->stash[0]));
		r->nstash--;
		return true;
	}
	return cq_pop(r, out);
}

static bool stash_take(cap_ring_t *r, uint64_t user_data, struct capos_cqe *out)
{
	for (uint32_t i = 0; i < r->nstash; i++) {
		if (r->stash[i].user_data == user_data) {
			*out = r->stash[i];
			memmove(&r->stash[i], &r->stash[i + 1], (r->nstash - i - 1) * sizeof(r->stash[0]));
			r->nstash--;
			return true;
		}
	}
	return false;
}

/* Move every completion from the CQ to the stash (frees CQ slots, so the
 * kernel can accept more submissions). The stash can hold a whole CQ. */
static void drain(cap_ring_t *r)
{
	struct capos_cqe c;
	while (r->nstash < CAPOS_CQ_ENTRIES && cq_pop(r, &c))
		r->stash[r->nstash++] = c;
}

int capos_ring_wait(cap_ring_t *r, uint64_t user_data, struct capos_cqe *out)
{
	for (;;) {
		if (stash_take(r, user_data, out))
			return 0;
		struct capos_cqe c;
		while (cq_pop(r, &c)) {
			if (c.user_data == user_data) {
				*out = c;
				return 0;
			}
			if (r->nstash == CAPOS_CQ_ENTRIES)
				return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
			r->stash[r->nstash++] = c;
		}
		int64_t n = sys_cap_enter(1, CAPOS_WAIT_FOREVER);
		if (n < 0)
			return (int)n;
	}
}

/* A free submission slot, making room if the queue is full. */
static struct capos_sqe *sqe_wait(cap_ring_t *r)
{
	struct capos_sqe *s;
	while (!(s = capos_ring_sqe(r))) {
		drain(r);
		capos_ring_submit(r);
		if (sys_cap_enter(0, 0) < 0)
			return NULL;
	}
	return s;
}

struct capos_sqe *capos__sqe_wait(void) { return sqe_wait(&ring); }

int cap_call_submit(cap_ring_t *r, const struct cap_call_args *a, uint64_t *user_data)
{
	struct capos_sqe *s = sqe_wait(r);
	if (!s)
		return -(int)CAPOS_ERROR_CODE_INTERNAL;
	uint64_t ud = capos_ring_user_data(r);
	s->opcode = CAPOS_OP_CALL;
	s->method = a->method;
	s->cap = a->cap;
	s->user_data = ud;
	s->iface = a->iface;
	s->msg = (uint64_t)a->params;
	s->msg_len = a->params ? (uint32_t)a->params_len : 0;
	s->xfer = (uint64_t)a->xfer;
	s->xfer_count = a->nxfer;
	s->buf = (uint64_t)a->result;
	s->buf_len = (uint32_t)a->result_len;
	s->timeout_us = a->timeout_us;
	capos_ring_submit(r);
	*user_data = ud;
	return 0;
}

int cap_call_finish(const struct cap_call_args *a, const struct capos_cqe *c, struct cap_call_result *res)
{
	*res = (struct cap_call_result){ 0 };
	res->status = c->result < 0 ? c->result : 0;
	res->exception = (c->flags & CAPOS_CQE_EXCEPTION) != 0;
	if ((c->result >= 0 || res->exception) && a->result_len >= sizeof(struct capos_msg_header)) {
		const struct capos_msg_header *h = a->result;
		size_t off = CAPOS_MSG_OFFSET(h->cap_count);
		if (off + h->msg_len <= a->result_len) {
			res->ncaps = h->cap_count;
			res->caps = h->caps;
			res->msg = (const uint8_t *)a->result + off;
			res->msg_len = h->msg_len;
		}
	}
	return res->status;
}

int cap_call_ex(cap_ring_t *r, const struct cap_call_args *a, struct cap_call_result *res)
{
	*res = (struct cap_call_result){ 0 };
	uint64_t ud;
	int err = cap_call_submit(r, a, &ud);
	if (err)
		return res->status = err;
	struct capos_cqe c;
	if ((err = capos_ring_wait(r, ud, &c)))
		return res->status = err;
	return cap_call_finish(a, &c, res);
}

/* Submit one non-CALL entry and wait for its completion. */
int capos__ring_op(uint8_t opcode, uint8_t flags, uint32_t cap, const void *msg, size_t len,
                   const struct capos_xfer *xfer, uint32_t nxfer, void *buf, size_t buflen,
                   struct capos_cqe *out)
{
	struct capos_sqe *s = sqe_wait(&ring);
	if (!s)
		return -(int)CAPOS_ERROR_CODE_INTERNAL;
	uint64_t ud = capos_ring_user_data(&ring);
	s->opcode = opcode;
	s->flags = flags;
	s->cap = cap;
	s->user_data = ud;
	s->msg = (uint64_t)msg;
	s->msg_len = msg ? (uint32_t)len : 0;
	s->xfer = (uint64_t)xfer;
	s->xfer_count = nxfer;
	s->buf = (uint64_t)buf;
	s->buf_len = (uint32_t)buflen;
	capos_ring_submit(&ring);
	int err = capos_ring_wait(&ring, ud, out);
	return err ? err : out->result < 0 ? out->result : 0;
}

int cap_release(cap_id_t cap)
{
	struct capos_cqe c;
	return capos__ring_op(CAPOS_OP_RELEASE, 0, cap, NULL, 0, NULL, 0, NULL, 0, &c);
}

int cap_call(cap_ring_t *r, cap_id_t cap, uint16_t method, const void *params, size_t plen,
             void *result, size_t rlen, size_t *out_len)
{
	struct cap_call_args a = { .cap = cap, .method = method, .params = params, .params_len = plen,
	                           .result = result, .result_len = rlen };
	struct cap_call_result res;
	int err = cap_call_ex(r, &a, &res);
	if (out_len)
		*out_len = 0;
	if (err)
		return err;
	if (res.msg && out_len) {
		memmove(result, res.msg, res.msg_len);
		*out_len = res.msg_len;
	}
	return 0;
}

int capos_msg_end(struct capn_builder *b, const void **msg, size_t *len)
{
	int err = capn_builder_finish(b, msg, len);
	return err ? -(int)CAPOS_ERROR_CODE_TOO_LARGE : 0;
}

int capos_msg_read(struct capn_reader *r, const void *msg, size_t len)
{
	return capn_reader_init_framed(r, msg, len, NULL, NULL) ? -(int)CAPOS_ERROR_CODE_BAD_MESSAGE : 0;
}

capn_text capos_exception_text(const struct cap_call_result *res)
{
	capn_text none = { "", 0 };
	struct capn_reader r;
	if (!res->exception || !res->msg || capos_msg_read(&r, res->msg, res->msg_len))
		return none;
	capn_text t = capos_CapException_get_message(capos_CapException_read_root(&r));
	return capn_reader_error(&r) ? none : t;
}

int capos__call_simple(cap_id_t cap, uint64_t iface, uint16_t method, struct capn_builder *b,
                       void *answer, size_t answer_len, struct capn_reader *rd, capn_struct_r *root)
{
	const void *msg = NULL;
	size_t len = 0;
	if (b) {
		int err = capos_msg_end(b, &msg, &len);
		if (err)
			return err;
	}
	struct cap_call_args a = { .cap = cap, .iface = iface, .method = method, .params = msg,
	                           .params_len = len, .result = answer, .result_len = answer_len };
	struct cap_call_result res;
	int err = cap_call_ex(&ring, &a, &res);
	if (err)
		return err;
	if (rd) {
		if (!res.msg || capos_msg_read(rd, res.msg, res.msg_len))
			return -(int)CAPOS_ERROR_CODE_BAD_MESSAGE;
		*root = capn_reader_root(rd);
		if (capn_reader_error(rd))
			return -(int)CAPOS_ERROR_CODE_BAD_MESSAGE;
	}
	return 0;
}
