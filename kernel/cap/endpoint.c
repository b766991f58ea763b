/*
 * endpoint.c - IPC: calls from one process carried to another.
 *
 * An endpoint is two kernel objects. `struct endpoint` is what client holds
 * refer to: their hold's interface is the one the endpoint serves, and their
 * badge is what the server sees. `struct endpoint_server` is the server
 * side, held with the Endpoint interface: RECV takes calls through it, and
 * Endpoint.mint makes new client holds. When the last server-side reference
 * goes (the server released it, or exited), the endpoint is dead: every
 * queued and future call fails with `disconnected`.
 *
 * A CALL becomes an ipc_call. If a RECV is waiting, the call is delivered at
 * once and the server is put at the head of the run queue (direct handoff);
 * otherwise it waits in FIFO order. Delivery copies the message from the
 * caller's memory into the server's RECV buffer (header, capability ids,
 * message) and moves or copies the capabilities it carries, all or nothing.
 * A delivered call waits in the server's reply table until the server
 * RETURNs it, which delivers the results (and their capabilities) to the
 * caller's buffer the same way.
 *
 * Failure rules (docs/ipc.md): a caller whose server is gone gets
 * `disconnected`; a CALL whose timeout passes gets `timeout` and leaves
 * nothing behind; a server RETURNing a call whose caller exited or timed out
 * gets `cancelled`; a problem with one side's buffer fails that side's
 * operation and leaves the other intact.
 */
#include "endpoint_ops.h"

#include "cap/endpoint.h"
#include "cap/kcaps.h"
#include "hal.h"
#include "invoke.h"
#include "kalloc.h"
#include "kernel.h"
#include "kobj.h"
#include "proc.h"
#include "ring.h"
#include "sched.h"
#include "transfer.h"

struct endpoint {
	struct kobj obj;         /* client side */
	uint64_t iface;          /* the interface it serves */
	bool dead;               /* no server side any more */
	struct list_node calls;  /* queued ipc_calls, oldest first */
	struct list_node recvs;  /* waiting ipc_recvs, oldest first */
};

struct endpoint_server {
	struct kobj obj;         /* server side (Endpoint interface) */
	struct endpoint *ep;     /* holds a reference */
};

enum call_state { CALL_QUEUED = 1, CALL_RECEIVED, CALL_CANCELLED };

struct ipc_call {
	struct kcall kc;         /* the caller's side; first */
	struct endpoint *ep;     /* a reference, while queued */
	enum call_state state;
	uint64_t badge;
	uint64_t msg;
	uint32_t msg_len;
	struct transfer_plan *xfer; /* only for calls that carry capabilities */
	struct proc *server;     /* once received: whose reply table holds it */
	uint32_t reply_id;
};

struct ipc_recv {
	struct kcall kc;
	struct endpoint *ep; /* a reference (not to the server side: a waiting
	                      * RECV must not keep a released endpoint served) */
};

/* A server's received calls, indexed by the low half of the reply id. */
struct reply_slot {
	struct ipc_call *call;
	uint16_t gen;
};

/* The message being carried. The kernel handles one operation at a time,
 * to completion, so one buffer serves every delivery. */
static uint8_t carry_buf[CAPOS_MAX_MSG] __attribute__((aligned(8)));

static void endpoint_destroy(struct kobj *o);
static void server_destroy(struct kobj *o);
static int server_invoke(struct kobj *o, struct kinvoke *inv);

static const struct kobj_ops endpoint_ops = {
	.name = "endpoint",
	.iface = 0, /* each hold names the interface served */
	.destroy = endpoint_destroy,
};

static const struct kobj_ops server_ops = {
	.name = "Endpoint",
	.iface = CAPOS_ENDPOINT_INTERFACE_ID,
	.invoke = server_invoke,
	.destroy = server_destroy,
};

bool endpoint_is(const struct kobj *obj) { return obj->ops == &endpoint_ops; }

/* ------------------------------------------------------------ objects */

int endpoint_create(uint64_t iface, struct kobj **server, struct kobj **client)
{
	struct endpoint *ep = kzalloc(sizeof(*ep));
	struct endpoint_server *srv = kzalloc(sizeof(*srv));
	if (!ep || !srv) {
		kfree(ep, sizeof(*ep));
		kfree(srv, sizeof(*srv));
		return KERR(RESOURCE_EXHAUSTED);
	}
	kobj_init(&ep->obj, &endpoint_ops);
	ep->iface = iface;
	list_init(&ep->calls);
	list_init(&ep->recvs);
	kobj_init(&srv->obj, &server_ops);
	srv->ep = ep;               /* takes the creation reference */
	if (client)
		*client = kobj_ref(&ep->obj);
	*server = &srv->obj;
	return 0;
}

uint64_t endpoint_iface(const struct kobj *client) { return ((const struct endpoint *)client)->iface; }

static void endpoint_destroy(struct kobj *o)
{
	struct endpoint *ep = (struct endpoint *)o;
	KASSERT(list_empty(&ep->calls) && list_empty(&ep->recvs));
	kfree(ep, sizeof(*ep));
}

/* Calls that carry no capabilities share this empty plan (never written). */
static const struct transfer_plan no_transfer;

static const struct transfer_plan *call_plan(const struct ipc_call *c)
{
	return c->xfer ? c->xfer : &no_transfer;
}

static void call_free(struct ipc_call *c)
{
	if (c->ep)
		kobj_unref(&c->ep->obj);
	kfree(c->xfer, sizeof(*c->xfer));
	kfree(c, sizeof(*c));
}

/* Complete the caller's CALL with an error and forget the call. */
static void call_fail(struct ipc_call *c, int err)
{
	struct proc *caller = c->kc.caller;
	list_del(&c->kc.obj_link);
	kcall_end(&c->kc);
	invoke_trace(caller, c->kc.cap, c->kc.iface, c->kc.method, err);
	ring_complete(caller, c->kc.user_data, err, 0);
	call_free(c);
}

/* Complete a RECV with `result` and forget it. */
static void recv_finish(struct ipc_recv *r, int result)
{
	struct proc *server = r->kc.caller;
	list_del(&r->kc.obj_link);
	kcall_end(&r->kc);
	ring_complete(server, r->kc.user_data, result, 0);
	kobj_unref(&r->ep->obj);
	kfree(r, sizeof(*r));
}

/* The last server-side reference is gone: nobody will ever answer. */
static void server_destroy(struct kobj *o)
{
	struct endpoint_server *srv = (struct endpoint_server *)o;
	struct endpoint *ep = srv->ep;
	kobj_ref(&ep->obj); /* the last client may go while we fail its calls */
	ep->dead = true;
	while (!list_empty(&ep->calls))
		call_fail(list_entry(ep->calls.next, struct ipc_call, kc.obj_link), KERR(DISCONNECTED));
	/* RECVs still waiting (the server released its last hold meanwhile)
	 * will never get a call: withdraw them. */
	while (!list_empty(&ep->recvs))
		recv_finish(list_entry(ep->recvs.next, struct ipc_recv, kc.obj_link), KERR(CANCELLED));
	kfree(srv, sizeof(*srv));
	kobj_unref(&ep->obj);
	kobj_unref(&ep->obj);
}

/* ------------------------------------------------------------ reply tables */

static int reply_insert(struct proc *server, struct ipc_call *c)
{
	if (!server->replies) {
		uint32_t n = server->quota.outstanding_calls;
		KASSERT(n <= PROC_MAX_OUTSTANDING_CALLS); /* the index fits a reply id's 16 bits */
		server->replies = kzalloc(sizeof(struct reply_slot) * n);
		if (!server->replies)
			return KERR(RESOURCE_EXHAUSTED);
		server->nreplies = n;
		for (uint32_t i = 0; i < n; i++)
			server->replies[i].gen = 1;
	}
	for (uint32_t i = 0; i < server->nreplies; i++) {
		struct reply_slot *s = &server->replies[i];
		if (!s->call) {
			s->call = c;
			c->server = server;
			c->reply_id = ((uint32_t)s->gen << 16) | i;
			return 0;
		}
	}
	return KERR(RESOURCE_EXHAUSTED);
}

/* The call a server holds under `id`, or NULL; it stays in the table. */
static struct ipc_call *reply_find(struct proc *server, uint32_t id)
{
	uint32_t i = id & 0xffffu;
	if (!server->replies || i >= server->nreplies)
		return NULL;
	struct reply_slot *s = &server->replies[i];
	if (!s->call || s->gen != (uint16_t)(id >> 16))
		return NULL;
	return s->call;
}

/* Take the call out of the table; its id goes stale. */
static void reply_remove(struct proc *server, uint32_t id)
{
	struct reply_slot *s = &server->replies[id & 0xffffu];
	s->call = NULL;
	s->gen = (uint16_t)(s->gen == 0xffff ? 1 : s->gen + 1);
}

/* The server ends with calls unanswered: their callers learn it is gone. */
void endpoint_proc_ended(struct proc *p)
{
	if (!p->replies)
		return;
	for (uint32_t i = 0; i < p->nreplies; i++) {
		struct ipc_call *c = p->replies[i].call;
		if (!c)
			continue;
		p->replies[i].call = NULL;
		if (c->state == CALL_RECEIVED)
			call_fail(c, KERR(DISCONNECTED));
		else
			call_free(c);
	}
	kfree(p->replies, sizeof(struct reply_slot) * p->nreplies);
	p->replies = NULL;
	p->nreplies = 0;
}

/* ------------------------------------------------------------ delivery */

/* Write an answer (header, cap ids, message from carry_buf) into `to`'s
 * buffer and move the plan's capabilities from `from` to `to`. All or
 * nothing: on error no capability moved and nothing the receiver can see
 * changed except possibly bytes of its own buffer. Returns the bytes
 * written. */
static int deliver(struct proc *from, struct proc *to, uint64_t buf, uint32_t buf_len,
                   const struct transfer_plan *plan, uint32_t msg_len, struct capos_msg_header *h)
{
	uint64_t off = CAPOS_MSG_OFFSET(plan->n);
	if (off + msg_len > buf_len)
		return KERR(TOO_LARGE);
	/* The message first: proves the buffer writable before anything moves. */
	if (msg_len && hal_copy_to_user(to->as, buf + off, carry_buf, msg_len))
		return KERR(BAD_ADDRESS);
	struct {
		struct capos_msg_header h;
		uint32_t caps[CAPOS_MAX_XFER + 2];
	} head = { .h = *h };
	head.h.msg_len = msg_len;
	head.h.cap_count = (uint16_t)plan->n;
	if (hal_copy_to_user(to->as, buf, &head, off))
		return KERR(BAD_ADDRESS);
	if (plan->n) {
		int err = transfer_commit(from, to, plan, head.caps);
		if (err)
			return err;
		/* Same range as above, so it cannot fail now. */
		KASSERT(hal_copy_to_user(to->as, buf, &head, off) == 0);
	}
	return (int)(off + msg_len);
}

/* Hand the call to the waiting RECV. Returns true when the call is
 * settled (delivered, or failed by its caller's fault), false when the
 * server's side failed and the call should stay queued. */
static bool deliver_call(struct ipc_call *c, struct ipc_recv *r)
{
	struct proc *caller = c->kc.caller, *server = r->kc.caller;
	int err = transfer_prepare(caller, call_plan(c));
	if (!err && c->msg_len && hal_copy_from_user(caller->as, carry_buf, c->msg, c->msg_len))
		err = KERR(BAD_ADDRESS);
	if (err) {
		/* The caller's fault: its call fails, the RECV keeps waiting. */
		call_fail(c, err);
		return true;
	}
	err = reply_insert(server, c);
	struct capos_msg_header h = { .method = c->kc.method, .iface = c->kc.iface, .badge = c->badge,
	                              .call_id = c->reply_id };
	int n = err ? err : deliver(caller, server, r->kc.buf, r->kc.buf_len, call_plan(c), c->msg_len, &h);
	if (n < 0) {
		/* The server's buffer or table cannot take it: its RECV fails
		 * and the call stays first in line. */
		if (!err)
			reply_remove(server, c->reply_id);
		recv_finish(r, n);
		return false;
	}
	list_del(&c->kc.obj_link);
	c->state = CALL_RECEIVED;
	kobj_unref(&c->ep->obj);
	c->ep = NULL;
	recv_finish(r, n);
	if (server->state == PROC_RUNNABLE)
		sched_handoff(server); /* direct handoff: the server runs next */
	return true;
}

/* Match waiting calls with waiting RECVs while both exist. */
static void pump(struct endpoint *ep)
{
	/* Settling a call may drop the last other reference to ep. */
	kobj_ref(&ep->obj);
	while (!list_empty(&ep->calls) && !list_empty(&ep->recvs)) {
		struct ipc_call *c = list_entry(ep->calls.next, struct ipc_call, kc.obj_link);
		struct ipc_recv *r = list_entry(ep->recvs.next, struct ipc_recv, kc.obj_link);
		deliver_call(c, r);
	}
	kobj_unref(&ep->obj);
}

/* ------------------------------------------------------------ CALL */

static void call_cancel(struct kcall *kc)
{
	struct ipc_call *c = (struct ipc_call *)kc;
	if (c->state == CALL_QUEUED) {
		list_del(&kc->obj_link);
		call_free(c);
	} else {
		/* The server still holds it in its reply table; RETURN frees it. */
		c->state = CALL_CANCELLED;
	}
}

static void call_timed_out(struct ktimer *t)
{
	struct ipc_call *c = list_entry(t, struct ipc_call, kc.timer);
	if (c->state == CALL_QUEUED) {
		call_fail(c, KERR(TIMEOUT));
		return;
	}
	/* Received but not answered: the server's RETURN will be cancelled. */
	struct proc *caller = c->kc.caller;
	kcall_end(&c->kc);
	c->state = CALL_CANCELLED;
	invoke_trace(caller, c->kc.cap, c->kc.iface, c->kc.method, KERR(TIMEOUT));
	ring_complete(caller, c->kc.user_data, KERR(TIMEOUT), 0);
}

void endpoint_call(struct proc *p, const struct capos_sqe *s, struct cap_hold *hold)
{
	struct endpoint *ep = (struct endpoint *)hold->obj;
	int err = ep->dead ? KERR(DISCONNECTED) : 0;
	struct ipc_call *c = NULL;
	if (!err && !(c = kzalloc(sizeof(*c))))
		err = KERR(RESOURCE_EXHAUSTED);
	if (!err && s->xfer_count) {
		struct capos_xfer x[CAPOS_MAX_XFER];
		if (!(c->xfer = kzalloc(sizeof(*c->xfer))))
			err = KERR(RESOURCE_EXHAUSTED);
		else if (hal_copy_from_user(p->as, x, s->xfer, (size_t)s->xfer_count * sizeof(x[0])))
			err = KERR(BAD_ADDRESS);
		else
			err = transfer_from_descriptors(x, s->xfer_count, c->xfer);
		if (!err)
			err = transfer_prepare(p, c->xfer);
	}
	if (!err) {
		c->kc = (struct kcall){ .caller = p, .user_data = s->user_data, .buf = s->buf,
		                        .buf_len = s->buf_len, .cap = s->cap, .method = s->method,
		                        .iface = hold->iface, .cancel = call_cancel };
		err = kcall_begin(&c->kc);
	}
	if (err) {
		if (c)
			kfree(c->xfer, sizeof(*c->xfer));
		kfree(c, sizeof(*c));
		invoke_trace(p, s->cap, hold->iface, s->method, err);
		ring_complete(p, s->user_data, err, 0);
		return;
	}
	c->ep = (struct endpoint *)kobj_ref(&ep->obj);
	c->state = CALL_QUEUED;
	c->badge = hold->badge;
	c->msg = s->msg;
	c->msg_len = s->msg_len;
	if (s->timeout_us) {
		c->kc.timer.fire = call_timed_out;
		ktimer_arm(&c->kc.timer, ktimer_deadline(hal_now_ns(), (uint64_t)s->timeout_us * 1000u));
	}
	list_push_back(&ep->calls, &c->kc.obj_link);
	pump(ep);
}

/* ------------------------------------------------------------ RECV */

static void recv_cancel(struct kcall *kc)
{
	struct ipc_recv *r = (struct ipc_recv *)kc;
	list_del(&kc->obj_link);
	kobj_unref(&r->ep->obj);
	kfree(r, sizeof(*r));
}

void endpoint_recv(struct proc *p, const struct capos_sqe *s)
{
	struct cap_hold *hold;
	int err = cap_table_lookup(&p->caps, s->cap, &hold);
	if (!err && hold->obj->ops != &server_ops)
		err = KERR(WRONG_INTERFACE);
	struct ipc_recv *r = NULL;
	if (!err && !(r = kzalloc(sizeof(*r))))
		err = KERR(RESOURCE_EXHAUSTED);
	if (!err) {
		r->kc = (struct kcall){ .caller = p, .user_data = s->user_data, .buf = s->buf,
		                        .buf_len = s->buf_len, .cap = s->cap, .cancel = recv_cancel };
		err = kcall_begin(&r->kc);
	}
	if (err) {
		kfree(r, sizeof(*r));
		ring_complete(p, s->user_data, err, 0);
		return;
	}
	struct endpoint_server *srv = (struct endpoint_server *)hold->obj;
	r->ep = (struct endpoint *)kobj_ref(&srv->ep->obj);
	list_push_back(&srv->ep->recvs, &r->kc.obj_link);
	pump(srv->ep);
}

/* ------------------------------------------------------------ RETURN */

/* The error a RETURN with CAPOS_SQE_EXCEPTION raises: the CapException's
 * code, or `internal` if the message does not carry a valid one. */
static int exception_code(uint32_t len)
{
	struct capn_reader r;
	struct capn_limits lim = { 4 * (len / 8) + 64, 8 };
	if (capn_reader_init_framed(&r, carry_buf, len, &lim, NULL))
		return KERR(INTERNAL);
	unsigned code = capos_CapException_get_code(capos_CapException_read_root(&r));
	if (capn_reader_error(&r) || code == 0 || !capos_ErrorCode_name(code))
		return KERR(INTERNAL);
	return -(int)code;
}

void endpoint_return(struct proc *p, const struct capos_sqe *s)
{
	struct ipc_call *c = reply_find(p, s->cap);
	if (!c) {
		ring_complete(p, s->user_data, KERR(NOT_FOUND), 0);
		return;
	}
	if (c->state == CALL_CANCELLED) {
		reply_remove(p, s->cap);
		call_free(c);
		ring_complete(p, s->user_data, KERR(CANCELLED), 0);
		return;
	}
	struct proc *caller = c->kc.caller;
	struct transfer_plan plan = { 0 };
	int err = 0;
	if (s->xfer_count) {
		struct capos_xfer x[CAPOS_MAX_XFER];
		err = hal_copy_from_user(p->as, x, s->xfer, (size_t)s->xfer_count * sizeof(x[0]))
		          ? KERR(BAD_ADDRESS)
		          : transfer_from_descriptors(x, s->xfer_count, &plan);
	}
	if (!err)
		err = transfer_prepare(p, &plan);
	if (!err && s->msg_len && hal_copy_from_user(p->as, carry_buf, s->msg, s->msg_len))
		err = KERR(BAD_ADDRESS);
	if (err) {
		/* The server's own mistake: the call stays answerable, same id. */
		ring_complete(p, s->user_data, err, 0);
		return;
	}
	reply_remove(p, s->cap);
	bool exception = s->flags & CAPOS_SQE_EXCEPTION;
	if (exception)
		plan.n = 0; /* an exception carries no capabilities */
	struct capos_msg_header h = { 0 };
	int n = c->kc.buf_len ? deliver(p, caller, c->kc.buf, c->kc.buf_len, &plan, s->msg_len, &h) : 0;
	int caller_result = n;
	uint32_t flags = 0;
	if (exception) {
		/* The caller always learns the error; the message with it only if
		 * its buffer had room for it. */
		caller_result = exception_code(s->msg_len);
		flags = n > 0 ? CAPOS_CQE_EXCEPTION : 0;
		n = 0;
	}
	kcall_end(&c->kc);
	invoke_trace(caller, c->kc.cap, c->kc.iface, c->kc.method, caller_result < 0 ? caller_result : 0);
	ring_complete(caller, c->kc.user_data, caller_result, flags);
	call_free(c);
	ring_complete(p, s->user_data, n < 0 ? n : 0, 0);
	if (caller->state == PROC_RUNNABLE)
		sched_handoff(caller); /* the caller runs as soon as the server waits */
}

/* ------------------------------------------------------------ Endpoint methods */

static int server_invoke(struct kobj *o, struct kinvoke *inv)
{
	struct endpoint_server *srv = (struct endpoint_server *)o;
	if (inv->method != CAPOS_ENDPOINT_METHOD_MINT)
		return KERR(NO_SUCH_METHOD);
	capos_Endpoint_mint_Params_r prm = { inv->params };
	uint64_t badge = capos_Endpoint_mint_Params_get_badge(prm);
	uint64_t iface = capos_Endpoint_mint_Params_get_interfaceId(prm);
	if (capn_reader_error(inv->params_msg))
		return KERR(BAD_MESSAGE);
	if (iface && iface != srv->ep->iface) {
		inv->exc_msg = "an endpoint's clients call the interface it serves";
		return KERR(INVALID_ARGUMENT);
	}
	capos_Endpoint_mint_Results_b res = capos_Endpoint_mint_Results_new_root(inv->results);
	capos_Endpoint_mint_Results_set_client(res, 0);
	inv->result_caps[0] = (struct kresult_cap){
		.obj = kobj_ref(&srv->ep->obj),
		.init = { .badge = badge, .iface = srv->ep->iface, .policy = CAPOS_HOLD_POLICY_TRANSFERABLE },
	};
	inv->nresult_caps = 1;
	return 0;
}

/* ------------------------------------------------------------ EndpointFactory */

static int factory_invoke(struct kobj *o, struct kinvoke *inv)
{
	(void)o;
	if (inv->method != CAPOS_ENDPOINT_FACTORY_METHOD_CREATE)
		return KERR(NO_SUCH_METHOD);
	uint64_t iface = capos_EndpointFactory_create_Params_get_interfaceId(
		(capos_EndpointFactory_create_Params_r){ inv->params });
	if (capn_reader_error(inv->params_msg))
		return KERR(BAD_MESSAGE);
	if (!capos_interface_by_id(iface)) {
		inv->exc_msg = "unknown interface id";
		return KERR(INVALID_ARGUMENT);
	}
	struct kobj *server;
	int err = endpoint_create(iface, &server, NULL);
	if (err)
		return err;
	capos_EndpointFactory_create_Results_set_endpoint(
		capos_EndpointFactory_create_Results_new_root(inv->results), 0);
	inv->result_caps[0] = (struct kresult_cap){ .obj = server,
	                                            .init = { .policy = CAPOS_HOLD_POLICY_TRANSFERABLE } };
	inv->nresult_caps = 1;
	return 0;
}

static const struct kobj_ops factory_ops = {
	.name = "EndpointFactory",
	.iface = CAPOS_ENDPOINT_FACTORY_INTERFACE_ID,
	.invoke = factory_invoke,
};

/* Stateless; one object serves every holder. */
static struct kobj factory_obj = { &factory_ops, 1 };

struct kobj *endpoint_factory_object(void) { return &factory_obj; }
