/*
 * ipc-failures - what IPC does when something goes wrong.
 *
 * First as its own server (an endpoint from EndpointFactory, its calls made
 * asynchronously): RECV through a client hold, a Console or a stale CapId;
 * a RECV buffer too small or not writable (tooLarge, badAddress; the call is
 * not lost), and one of exactly the right size; RETURN of an unknown call
 * id, of a call already answered, and with a stale capability (staleCap,
 * the call stays answerable); a caller buffer too small for the answer;
 * exceptions to callers with no or a small buffer (they get the code); the
 * server side released with a call queued, and with a RECV pending.
 *
 * Then with other processes: an echo-worker that exits holding three
 * received calls, with two queued (all disconnected), one killed while it
 * handles a call (disconnected), one whose reply table is full (its RECV
 * fails, the call stays queued); callers (echo-caller) that exit or are
 * killed while their call is received (the server's RETURN is cancelled) or
 * queued (the call vanishes). The run must end with init exiting 0: every
 * process's ledger balanced and the kernel clean at shutdown.
 * One line per check; exits 1 if any failed.
 */
#include <capos/capos.h>

#include "../spawn-smoke/demo-check.h"

#define ME "ipc-failures"
#define NPEND 6

static cap_id_t console, timer, factory, spawner;

static const int STALE = -(int)CAPOS_ERROR_CODE_STALE_CAP;
static const int DISC = -(int)CAPOS_ERROR_CODE_DISCONNECTED;
static const int CANCELLED = -(int)CAPOS_ERROR_CODE_CANCELLED;
static const int NOT_FOUND = -(int)CAPOS_ERROR_CODE_NOT_FOUND;
static const int WRONG_IFACE = -(int)CAPOS_ERROR_CODE_WRONG_INTERFACE;
static const int TOO_LARGE = -(int)CAPOS_ERROR_CODE_TOO_LARGE;

static uint8_t rbuf[4096] __attribute__((aligned(8)));
static uint8_t out_arena[1024] __attribute__((aligned(8)));


/* ------------------------------------------------------------ calls in flight */

struct pending {
	struct cap_call_args a;
	uint64_t ud;
	uint8_t arena[256] __attribute__((aligned(8)));
	uint8_t ans[512] __attribute__((aligned(8)));
	char data[64];
	int status;
	bool done, same;
};

static struct pending pend[NPEND];

static capn_data echo_data(const struct cap_call_result *res)
{
	struct capn_reader r;
	capn_data d = { NULL, 0 };
	if (res->status == 0 && res->msg && !capos_msg_read(&r, res->msg, res->msg_len)) {
		d = capos_Echo_echo_Results_get_data(capos_Echo_echo_Results_read_root(&r));
		if (capn_reader_error(&r))
			d = (capn_data){ NULL, 0 };
	}
	return d;
}

/* Submit echo(data) on cap; ans_len 0 asks for the status only. */
static void submit_echo(struct pending *p, cap_id_t cap, const char *data, size_t ans_len, uint32_t timeout_us)
{
	size_t n = strlen(data);
	memcpy(p->data, data, n + 1);
	struct capn_builder b;
	capn_builder_init(&b, p->arena, sizeof(p->arena));
	capos_Echo_echo_Params_set_data(capos_Echo_echo_Params_new_root(&b), p->data, n);
	const void *msg;
	size_t len;
	capos_msg_end(&b, &msg, &len);
	p->a = (struct cap_call_args){ .cap = cap, .method = CAPOS_ECHO_METHOD_ECHO, .params = msg, .params_len = len,
	                               .result = ans_len ? p->ans : NULL, .result_len = ans_len,
	                               .timeout_us = timeout_us };
	p->done = false;
	p->same = false;
	int err = cap_call_submit(capos_ring(), &p->a, &p->ud);
	if (err) {
		p->status = err;
		p->done = true;
	}
}

static void submit_ping(struct pending *p, cap_id_t cap)
{
	p->data[0] = '\0';
	p->a = (struct cap_call_args){ .cap = cap, .method = CAPOS_ECHO_METHOD_PING, .result = p->ans,
	                               .result_len = sizeof(p->ans) };
	p->done = false;
	int err = cap_call_submit(capos_ring(), &p->a, &p->ud);
	if (err) {
		p->status = err;
		p->done = true;
	}
}

/* Wait for the completion of one pending call. */
static int finish(struct pending *p)
{
	if (p->done)
		return p->status;
	struct capos_cqe c;
	int err = capos_ring_wait(capos_ring(), p->ud, &c);
	struct cap_call_result res;
	p->status = err ? err : cap_call_finish(&p->a, &c, &res);
	if (!err && !p->status) {
		capn_data d = echo_data(&res);
		size_t n = strlen(p->data);
		p->same = d.len == n && memcmp(d.ptr, p->data, n) == 0;
	}
	p->done = true;
	return p->status;
}

static int ping(cap_id_t cap)
{
	submit_ping(&pend[NPEND - 1], cap);
	return finish(&pend[NPEND - 1]);
}

/* ------------------------------------------------------------ serving */

/* The data of a received echo call, as text. */
static void call_text(const struct capos_call *call, char *out, size_t len)
{
	struct capn_reader r;
	out[0] = '\0';
	if (capos_msg_read(&r, call->msg, call->msg_len))
		return;
	capn_data d = capos_Echo_echo_Params_get_data(capos_Echo_echo_Params_read_root(&r));
	size_t n = d.len < len - 1 ? d.len : len - 1;
	if (!capn_reader_error(&r) && n)
		memcpy(out, d.ptr, n);
	out[n] = '\0';
}

/* An echo answer carrying `n` bytes of `data`. */
static const void *echo_answer(const void *data, size_t n, size_t *len)
{
	struct capn_builder b;
	capn_builder_init(&b, out_arena, sizeof(out_arena));
	capos_Echo_echo_Results_set_data(capos_Echo_echo_Results_new_root(&b), data, n);
	const void *msg = NULL;
	capos_msg_end(&b, &msg, len);
	return msg;
}

static int answer_echo(const struct capos_call *call, const struct capos_xfer *x, uint32_t nx)
{
	char text[128];
	call_text(call, text, sizeof(text));
	size_t len;
	const void *msg = echo_answer(text, strlen(text), &len);
	return capos_return(call->call_id, msg, len, x, nx);
}

static cap_id_t new_endpoint(void)
{
	cap_id_t srv = 0;
	int err = endpoint_create(factory, CAPOS_ECHO_INTERFACE_ID, &srv);
	if (err) {
		dc_check_why(false, "EndpointFactory.create(Echo)", "%s", dc_errname(err));
		sys_exit(1);
	}
	return srv;
}

static cap_id_t mint(cap_id_t srv, uint64_t badge)
{
	cap_id_t c = 0;
	int err = endpoint_mint(srv, badge, &c);
	if (err) {
		dc_check_why(false, "Endpoint.mint", "%s", dc_errname(err));
		sys_exit(1);
	}
	return c;
}

/* RECV without waiting: submit it now, collect it with finish_recv. */
static uint64_t submit_recv(cap_id_t srv)
{
	struct capos_sqe *s = capos_ring_sqe(capos_ring());
	if (!s)
		return 0;
	uint64_t ud = capos_ring_user_data(capos_ring());
	s->opcode = CAPOS_OP_RECV;
	s->cap = srv;
	s->user_data = ud;
	s->buf = (uint64_t)rbuf;
	s->buf_len = sizeof(rbuf);
	capos_ring_submit(capos_ring());
	sys_cap_enter(0, 0);
	return ud;
}

static int finish_recv(uint64_t ud, struct capos_call *call)
{
	struct capos_cqe c;
	int err = ud ? capos_ring_wait(capos_ring(), ud, &c) : -(int)CAPOS_ERROR_CODE_INTERNAL;
	if (err || c.result < 0)
		return err ? err : c.result;
	const struct capos_msg_header *h = (const void *)rbuf;
	*call = (struct capos_call){ .call_id = h->call_id, .badge = h->badge, .iface = h->iface, .method = h->method,
	                             .msg = rbuf + CAPOS_MSG_OFFSET(h->cap_count), .msg_len = h->msg_len,
	                             .caps = h->caps, .ncaps = h->cap_count };
	return 0;
}

/* ------------------------------------------------------------ part 1: one process */

static void own_server(void)
{
	cap_id_t srv = new_endpoint(), c = mint(srv, 5);
	struct capos_call call;
	char text[128];

	int err = capos_recv(c, rbuf, sizeof(rbuf), &call);
	dc_check_why(err == WRONG_IFACE, "RECV through a client hold is wrongInterface", "%s", dc_errname(err));
	err = capos_recv(console, rbuf, sizeof(rbuf), &call);
	dc_check_why(err == WRONG_IFACE, "RECV on a Console is wrongInterface", "%s", dc_errname(err));
	cap_id_t gone = mint(srv, 6);
	cap_release(gone);
	err = capos_recv(gone, rbuf, sizeof(rbuf), &call);
	dc_check_why(err == STALE, "RECV on a released CapId is staleCap", "%s", dc_errname(err));

	/* A RECV buffer too small: the RECV fails, the call stays queued. */
	submit_echo(&pend[0], c, "a call that does not fit in 40 bytes, but fits in 4096", sizeof(pend[0].ans), 0);
	err = capos_recv(srv, rbuf, 40, &call);
	dc_check_why(err == TOO_LARGE, "RECV with a 40-byte buffer is tooLarge", "%s", dc_errname(err));
	err = capos_recv(srv, (void *)0x1000, 4096, &call);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_BAD_ADDRESS, "RECV into memory the server does not own is badAddress", "%s",
	             dc_errname(err));
	err = capos_recv(srv, rbuf, sizeof(rbuf), &call);
	call_text(&call, text, sizeof(text));
	dc_check_why(!err && call.badge == 5 && call.method == CAPOS_ECHO_METHOD_ECHO && strcmp(text, pend[0].data) == 0,
	             "the call was not lost: a RECV with a good, big buffer gets it", "%s, badge %llu, \"%s\"", dc_errname(err),
	             (unsigned long long)call.badge, text);
	uint32_t first = call.call_id;
	char first_text[128];
	memcpy(first_text, text, sizeof(first_text));

	err = capos_return(0x7fff0123u, NULL, 0, NULL, 0);
	dc_check_why(err == NOT_FOUND, "RETURN of an unknown call id is notFound", "%s", dc_errname(err));
	err = capos_return(0, NULL, 0, NULL, 0);
	dc_check_why(err == NOT_FOUND, "RETURN of call id 0 is notFound", "%s", dc_errname(err));

	/* RETURN naming a stale capability: staleCap, nothing moves, and the
	 * call is still ours to answer. (The caller gives up after 1 s.) */
	submit_echo(&pend[1], c, "answer me twice", sizeof(pend[1].ans), 1000000);
	err = capos_recv(srv, rbuf, sizeof(rbuf), &call);
	uint32_t second = call.call_id;
	struct capos_xfer sx = { .cap = gone, .mode = CAPOS_XFER_COPY };
	size_t len;
	const void *msg = echo_answer("answer me twice", 15, &len);
	int rerr = err ? err : capos_return(second, msg, len, &sx, 1);
	dc_check_why(rerr == STALE, "RETURN carrying a stale capability is staleCap", "%s", dc_errname(rerr));
	rerr = err ? err : capos_return(second, msg, len, NULL, 0);
	dc_check_why(rerr == 0, "... and the call stays answerable under its call id", "second RETURN: %s", dc_errname(rerr));
	finish(&pend[1]);
	dc_check_why(pend[1].status == 0 && pend[1].same, "... so its caller gets the answer", "%s", dc_errname(pend[1].status));

	msg = echo_answer(first_text, strlen(first_text), &len);
	err = capos_return(first, msg, len, NULL, 0);
	finish(&pend[0]);
	dc_check_why(!err && pend[0].status == 0 && pend[0].same, "RETURN of the first call reaches its caller", "%s, caller %s",
	             dc_errname(err), dc_errname(pend[0].status));
	err = capos_return(first, NULL, 0, NULL, 0);
	dc_check_why(err == NOT_FOUND, "RETURN of a call already answered is notFound", "%s", dc_errname(err));

	/* A RECV buffer of exactly header + message is enough. */
	submit_echo(&pend[2], c, "exactly", sizeof(pend[2].ans), 0);
	size_t need = CAPOS_MSG_OFFSET(0) + pend[2].a.params_len;
	err = capos_recv(srv, rbuf, need - 1, &call);
	dc_check_why(err == TOO_LARGE, "RECV with a buffer one byte short of the call is tooLarge", "%s", dc_errname(err));
	err = capos_recv(srv, rbuf, need, &call);
	call_text(&call, text, sizeof(text));
	dc_check_why(!err && strcmp(text, "exactly") == 0, "RECV with a buffer of exactly header + message gets it", "%s",
	             dc_errname(err));
	if (!err)
		answer_echo(&call, NULL, 0);
	finish(&pend[2]);

	/* The caller's buffer is too small for the answer. */
	submit_echo(&pend[2], c, "x", 48, 0);
	err = capos_recv(srv, rbuf, sizeof(rbuf), &call);
	char big[200];
	memset(big, 'y', sizeof(big));
	msg = echo_answer(big, sizeof(big), &len);
	if (!err)
		capos_return(call.call_id, msg, len, NULL, 0);
	finish(&pend[2]);
	dc_check_why(pend[2].status == TOO_LARGE, "an answer larger than the caller's 48-byte buffer is tooLarge for the caller",
	             "%s", dc_errname(pend[2].status));

	/* An exception to a caller that asked for the status only. */
	submit_echo(&pend[3], c, "status only", 0, 0);
	err = capos_recv(srv, rbuf, sizeof(rbuf), &call);
	if (!err)
		err = capos_return_exception(call.call_id, -(int)CAPOS_ERROR_CODE_ALREADY_EXISTS, "taken");
	finish(&pend[3]);
	dc_check_why(!err && pend[3].status == -(int)CAPOS_ERROR_CODE_ALREADY_EXISTS,
	             "an exception reaches a caller without an answer buffer as its code", "%s, caller %s", dc_errname(err),
	             dc_errname(pend[3].status));

	/* An exception too long for the caller's buffer: the caller still
	 * learns the code (as with kernel objects' exceptions). */
	submit_echo(&pend[3], c, "small buffer", 40, 0);
	err = capos_recv(srv, rbuf, sizeof(rbuf), &call);
	if (!err)
		capos_return_exception(call.call_id, -(int)CAPOS_ERROR_CODE_ALREADY_EXISTS,
		                       "a reason far too long to fit in the forty bytes the caller gave");
	finish(&pend[3]);
	dc_check_why(!err && pend[3].status == -(int)CAPOS_ERROR_CODE_ALREADY_EXISTS,
	             "an exception reaches a caller whose buffer is too small for it as its code", "%s, caller %s",
	             dc_errname(err), dc_errname(pend[3].status));

	/* The server side released with a call queued. */
	submit_echo(&pend[4], c, "queued at release", sizeof(pend[4].ans), 0);
	sys_cap_enter(0, 0);
	err = cap_release(srv);
	finish(&pend[4]);
	dc_check_why(!err && pend[4].status == DISC, "releasing the server side fails the queued call with disconnected",
	             "%s, %s", dc_errname(err), dc_errname(pend[4].status));
	err = ping(c);
	dc_check_why(err == DISC, "a new call after the server side was released is disconnected", "%s", dc_errname(err));
	cap_id_t dummy;
	err = endpoint_mint(srv, 7, &dummy);
	dc_check_why(err == STALE, "the released server side is stale", "%s", dc_errname(err));
	cap_release(c);

	/* The server side released while its holder has a RECV pending on it:
	 * that was the last Endpoint hold, so calls must be disconnected. */
	srv = new_endpoint();
	c = mint(srv, 8);
	uint64_t recv_ud = submit_recv(srv);
	err = cap_release(srv);
	submit_echo(&pend[4], c, "after release, RECV pending", sizeof(pend[4].ans), 100000);
	finish(&pend[4]);
	dc_check_why(!err && pend[4].status == DISC,
	             "with a RECV pending, releasing the last server-side hold still disconnects new calls", "%s, %s",
	             dc_errname(err), dc_errname(pend[4].status));
	/* Whatever became of the RECV, collect it (or give up after 100 ms). */
	struct capos_cqe cqe;
	bool recv_done = false;
	for (int i = 0; i < 2 && !recv_done; i++) {
		struct capos_cqe tmp;
		while (capos_ring_next_cqe(capos_ring(), &tmp))
			if (tmp.user_data == recv_ud) {
				cqe = tmp;
				recv_done = true;
			}
		if (!recv_done)
			sys_cap_enter(1, 100000000u);
	}
	if (recv_done && cqe.result >= 0) {
		/* It received the call after all: answer it (cancelled: it timed out). */
		const struct capos_msg_header *h = (const void *)rbuf;
		capos_return(h->call_id, NULL, 0, NULL, 0);
	}
	dc_check_why(recv_done, "... and the pending RECV completes", "still pending after 100 ms");
	cap_release(c);
}

/* ------------------------------------------------------------ part 2: servers that go */

static cap_id_t spawn_worker(const char *name, cap_id_t srv, const struct capos_quota *q)
{
	struct capos_grant g[] = {
		{ "console", console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "timer", timer, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "endpoint", srv, CAPOS_TRANSFER_MODE_MOVE, CAPOS_CAP_SCOPE_PROCESS },
	};
	cap_id_t h = 0;
	int err = process_spawn(spawner, name, "echo-worker", g, 3, q, &h);
	if (err) {
		dc_check_why(false, "spawn echo-worker", "%s", dc_errname(err));
		sys_exit(1);
	}
	return h;
}

static void servers_that_go(void)
{
	struct capos_exit st;

	/* Exits holding two received calls, with two more queued. */
	cap_id_t srv = new_endpoint(), c1 = mint(srv, 1), c2 = mint(srv, 2);
	cap_id_t w = spawn_worker("exit-worker", srv, NULL);
	int err = ping(c1);
	dc_check_why(!err, "exit-worker answers", "%s", dc_errname(err));
	submit_echo(&pend[0], c1, "cmd:hold", sizeof(pend[0].ans), 0);
	submit_echo(&pend[1], c2, "cmd:hold", sizeof(pend[1].ans), 0);
	submit_echo(&pend[2], c1, "cmd:exit", sizeof(pend[2].ans), 0);
	submit_ping(&pend[3], c2);
	submit_echo(&pend[4], c1, "queued", sizeof(pend[4].ans), 0);
	for (int i = 0; i < 5; i++)
		finish(&pend[i]);
	dc_check_why(pend[0].status == DISC && pend[1].status == DISC && pend[2].status == DISC,
	             "three calls the server received and never answered get disconnected when it exits", "%s %s %s",
	             dc_errname(pend[0].status), dc_errname(pend[1].status), dc_errname(pend[2].status));
	dc_check_why(pend[3].status == DISC && pend[4].status == DISC, "two calls queued when it exited get disconnected",
	             "%s %s", dc_errname(pend[3].status), dc_errname(pend[4].status));
	err = ping(c2);
	dc_check_why(err == DISC, "a new call to the exited server is disconnected", "%s", dc_errname(err));
	err = process_wait(w, &st);
	dc_check_why(!err && st.how == CAPOS_EXIT_STATUS_WHICH_CODE && st.code == 0, "exit-worker exited with code 0",
	             "%s how %u code %d", dc_errname(err), st.how, st.code);
	cap_release(w);
	cap_release(c1);
	cap_release(c2);

	/* Killed while it handles a call (asleep in Timer.sleep), one queued. */
	srv = new_endpoint();
	c1 = mint(srv, 1);
	c2 = mint(srv, 2);
	w = spawn_worker("killed-worker", srv, NULL);
	err = ping(c1);
	dc_check_why(!err, "killed-worker answers", "%s", dc_errname(err));
	submit_echo(&pend[0], c1, "cmd:sleep:20000", sizeof(pend[0].ans), 0);
	submit_ping(&pend[1], c2);
	sys_cap_enter(0, 0);
	err = process_kill(w);
	finish(&pend[0]);
	finish(&pend[1]);
	dc_check_why(!err && pend[0].status == DISC && pend[1].status == DISC,
	             "killing a server fails its received and its queued call with disconnected", "kill %s: %s %s",
	             dc_errname(err), dc_errname(pend[0].status), dc_errname(pend[1].status));
	err = process_wait(w, &st);
	dc_check_why(!err && st.how == CAPOS_EXIT_STATUS_WHICH_KILLED, "killed-worker was killed", "%s how %u", dc_errname(err),
	             st.how);
	cap_release(w);
	cap_release(c1);
	cap_release(c2);

	/* A server whose reply table is full (outstandingCalls 2, two calls
	 * held): its RECV fails with resourceExhausted and the third call
	 * stays queued, to be disconnected when the server gives up. */
	srv = new_endpoint();
	c1 = mint(srv, 1);
	struct capos_quota q = { .outstanding_calls = 2 };
	w = spawn_worker("full-worker", srv, &q);
	submit_echo(&pend[0], c1, "cmd:hold", sizeof(pend[0].ans), 0);
	submit_echo(&pend[1], c1, "cmd:hold", sizeof(pend[1].ans), 0);
	submit_echo(&pend[2], c1, "third", sizeof(pend[2].ans), 0);
	for (int i = 0; i < 3; i++)
		finish(&pend[i]);
	err = process_wait(w, &st);
	dc_check_why(!err && st.how == CAPOS_EXIT_STATUS_WHICH_CODE && st.code == 3,
	             "full-worker's RECV failed with its reply table full (it exits with code 3)", "%s how %u code %d",
	             dc_errname(err), st.how, st.code);
	dc_check_why(pend[0].status == DISC && pend[1].status == DISC && pend[2].status == DISC,
	             "the third call stayed queued (disconnected, like the two held, when the server exited)", "%s %s %s",
	             dc_errname(pend[0].status), dc_errname(pend[1].status), dc_errname(pend[2].status));
	cap_release(w);
	cap_release(c1);
}

/* ------------------------------------------------------------ part 3: callers that go */

static cap_id_t spawn_caller(const char *name, cap_id_t client)
{
	struct capos_grant g[] = {
		{ "console", console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "echo", client, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	};
	cap_id_t h = 0;
	int err = process_spawn(spawner, name, "echo-caller", g, 2, NULL, &h);
	if (err) {
		dc_check_why(false, "spawn echo-caller", "%s", dc_errname(err));
		sys_exit(1);
	}
	return h;
}

static void callers_that_go(void)
{
	cap_id_t srv = new_endpoint(), cc = mint(srv, 9), own = mint(srv, 10);
	struct capos_call call;
	struct capos_exit st;
	char text[128];

	/* Exits after its call was received. The RECV waits before the caller
	 * exists, so its call is received the moment it is made. */
	uint64_t ud = submit_recv(srv);
	cap_id_t h = spawn_caller("async-exit", cc);
	int err = finish_recv(ud, &call);
	call_text(&call, text, sizeof(text));
	dc_check_why(!err && call.badge == 9 && strcmp(text, "from async-exit") == 0, "received the call of async-exit",
	             "%s badge %llu \"%s\"", dc_errname(err), (unsigned long long)call.badge, text);
	int werr = process_wait(h, &st);
	dc_check_why(!werr && st.how == CAPOS_EXIT_STATUS_WHICH_CODE && st.code == 0, "async-exit exited with its call unanswered",
	             "%s how %u code %d", dc_errname(werr), st.how, st.code);
	err = err ? err : answer_echo(&call, NULL, 0);
	dc_check_why(err == CANCELLED, "RETURN to a caller that exited is cancelled", "%s", dc_errname(err));
	cap_release(h);

	/* Exits while its call is queued: the call vanishes. */
	h = spawn_caller("async-exit", cc);
	werr = process_wait(h, &st);
	dc_check_why(!werr && st.how == CAPOS_EXIT_STATUS_WHICH_CODE && st.code == 0, "async-exit exited with its call queued",
	             "%s how %u code %d", dc_errname(werr), st.how, st.code);
	submit_echo(&pend[0], own, "mine", sizeof(pend[0].ans), 0);
	err = capos_recv(srv, rbuf, sizeof(rbuf), &call);
	call_text(&call, text, sizeof(text));
	dc_check_why(!err && call.badge == 10 && strcmp(text, "mine") == 0,
	             "the queued call of a caller that exited is gone: the next RECV gets the next call",
	             "%s badge %llu \"%s\"", dc_errname(err), (unsigned long long)call.badge, text);
	if (!err)
		answer_echo(&call, NULL, 0);
	finish(&pend[0]);
	dc_check_why(pend[0].status == 0 && pend[0].same, "that call is answered", "%s", dc_errname(pend[0].status));
	cap_release(h);

	/* Killed while its call is received. */
	h = spawn_caller("blocking", cc);
	err = capos_recv(srv, rbuf, sizeof(rbuf), &call);
	call_text(&call, text, sizeof(text));
	dc_check_why(!err && call.badge == 9 && strcmp(text, "from blocking") == 0, "received the call of blocking",
	             "%s badge %llu \"%s\"", dc_errname(err), (unsigned long long)call.badge, text);
	int kerr = process_kill(h);
	werr = process_wait(h, &st);
	dc_check_why(!kerr && !werr && st.how == CAPOS_EXIT_STATUS_WHICH_KILLED, "blocking was killed waiting for its answer",
	             "%s %s how %u", dc_errname(kerr), dc_errname(werr), st.how);
	err = err ? err : answer_echo(&call, NULL, 0);
	dc_check_why(err == CANCELLED, "RETURN to a caller that was killed is cancelled", "%s", dc_errname(err));
	cap_release(h);

	err = cap_release(srv);
	cap_release(cc);
	cap_release(own);
	dc_check_why(!err, "the endpoint released after all that", "%s", dc_errname(err));
}

int main(void)
{
	if (capset_get("console", &console, NULL))
		return 2;
	dc_console = console;
	dc_who = ME;
	if (capset_get("timer", &timer, NULL) || capset_get("factory", &factory, NULL) ||
	    capset_get("spawner", &spawner, NULL)) {
		console_printf(console, ME ": missing a grant (timer, factory, spawner)\n");
		return 2;
	}
	own_server();
	servers_that_go();
	callers_that_go();
	console_printf(console, ME ": %s\n", dc_failed ? "FAILED" : "all checks passed");
	return dc_failed ? 1 : 0;
}
