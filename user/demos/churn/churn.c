/*
 * churn - thousands of processes spawned, calling, transferring
 * capabilities, exiting, being killed and faulted; afterwards every ledger
 * must be back at zero.
 *
 * The proof is the kernel's own: a process whose ledger (capabilities,
 * pages, ring bytes, outstanding calls, frames) is not zero when it ends
 * panics the kernel (capos-sim exit 121), and a kernel allocation or object
 * reference left at shutdown makes capos-sim exit 125. So this demo passes
 * when it prints its summary and capos-sim exits 0.
 *
 * One binary, several roles (argv[0], the process name):
 *
 *   churn [N] [K]  the parent (init): N children (default 2000), at most K
 *                  (default 16) alive at once. It serves Echo on an endpoint
 *                  it made with EndpointFactory and waits for every child
 *                  asynchronously while it serves.
 *   w-I  worker    calls 1 and 2 below, checks everything, exits I % 100
 *   k-I  killed    the parent kills it while it holds its call 2
 *   s-I  sleeper   after call 1 it sleeps; the parent kills it
 *   f-I  faulter   after call 2 it executes ud2 (a fault), holding caps
 *
 * Each child is spawned with: "svc" (a client of the endpoint with badge
 * 2I+3, granted by copy; the parent then releases its own copy), "token"
 * (a client with badge 2I+2, granted by move), "null" (a NullCap, by copy)
 * and "timer" (by copy). Call 1 goes through "token" (so the parent sees the
 * token's badge: the moved hold works) and the answer carries a copy of the
 * parent's NullCap back. Call 2 goes through "svc" carrying two
 * capabilities: a copy of "null" and "token" itself, moved back (the child
 * then checks its "token" CapId went stale); the parent checks both arrived
 * alive and releases them.
 *
 * Child I's role is k, s or f when I % 20 is 7, 13 or 17, else w. The
 * parent always has a wait outstanding for every live child, so its kills
 * happen while someone waits for the victim. Children have no console: a
 * failed check in a child is its exit code (100 + the check), reported by
 * the parent as a PROBLEM line.
 *
 * Counts printed at the end: children spawned, ended by exit/kill/fault,
 * calls served, capabilities transferred (grants + both directions of IPC).
 */
#include <capos/capos.h>

#include "../spawn-smoke/demo-check.h"

#define MAX_K 32

/* ------------------------------------------------------------ children */

static int child(const char *name)
{
	char role = name[0];
	long i = dc_atol(name + 2);
	cap_id_t svc, token, null, timer;
	if (capset_get("svc", &svc, NULL) || capset_get("token", &token, NULL) || capset_get("null", &null, NULL) ||
	    capset_get("timer", &timer, NULL))
		return 100;
	if (capos_capset()->cap_count != 4)
		return 101;

	char hello[32], out[64];
	capos_snprintf(hello, sizeof(hello), "hello %ld", i);
	cap_id_t got[4];
	uint16_t ngot = 0;
	if (dc_echo(token, hello, NULL, 0, out, sizeof(out), got, &ngot))
		return 102;
	if (strcmp(out, hello) != 0 || ngot != 1)
		return 103;
	if (null_nop(got[0]) != 0 || null_nop(null) != 0)
		return 104;

	if (role == 's') {
		timer_sleep(timer, 3600ull * 1000 * DC_MS);
		return 105; /* the parent kills it first */
	}

	struct capos_xfer x[2] = { { .cap = null, .mode = CAPOS_XFER_COPY }, { .cap = token, .mode = CAPOS_XFER_MOVE } };
	if (dc_echo(svc, "bye", x, 2, out, sizeof(out), NULL, NULL))
		return 106;
	if (role == 'k')
		return 107; /* the parent kills it while it waits for this answer */
	if (strcmp(out, "bye") != 0)
		return 108;
	if (dc_probe(token) != DC_ERR(STALE_CAP) || !dc_alive(null) || !dc_alive(got[0]))
		return 109;
	if (role == 'f')
		__builtin_trap();
	return (int)(i % 100);
}

/* ------------------------------------------------------------ parent */

struct slot {
	bool used;
	long i;
	char role;
	cap_id_t handle;
	uint64_t wait_ud;
	uint8_t answer[320] __attribute__((aligned(8)));
	uint32_t held_call; /* a k-child's call 2, held unanswered */
	int calls;
};

static struct slot slots[MAX_K];
static cap_id_t spawner, factory, null, timer, ep;
static uint8_t recv_buf[4096] __attribute__((aligned(8)));
static uint64_t recv_ud;

static struct {
	long spawned, exited, killed, faulted, calls, caps, cancelled, bad;
} n;

static char role_of(long i)
{
	switch (i % 20) {
	case 7: return 'k';
	case 13: return 's';
	case 17: return 'f';
	default: return 'w';
	}
}

/* Only the first few problems are printed; all are counted. */
static void __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
	if (n.bad++ >= 10)
		return;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	capos_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dc_say("PROBLEM: %s", buf);
}

static int submit_recv(void)
{
	struct capos_sqe *s = capos_ring_sqe(capos_ring());
	if (!s)
		return DC_ERR(RESOURCE_EXHAUSTED);
	recv_ud = capos_ring_user_data(capos_ring());
	s->opcode = CAPOS_OP_RECV;
	s->cap = ep;
	s->user_data = recv_ud;
	s->buf = (uint64_t)recv_buf;
	s->buf_len = sizeof(recv_buf);
	capos_ring_submit(capos_ring());
	return 0;
}

static struct slot *slot_of(long i)
{
	for (int k = 0; k < MAX_K; k++)
		if (slots[k].used && slots[k].i == i)
			return &slots[k];
	return NULL;
}

static int spawn_one(struct slot *s, long i)
{
	cap_id_t svc, token;
	int err = endpoint_mint(ep, (uint64_t)(2 * i + 3), &svc);
	if (!err && (err = endpoint_mint(ep, (uint64_t)(2 * i + 2), &token)))
		cap_release(svc);
	if (err)
		return err;
	char name[32];
	*s = (struct slot){ .used = true, .i = i, .role = role_of(i) };
	capos_snprintf(name, sizeof(name), "%c-%ld", s->role, i);
	struct capos_grant g[4] = {
		{ "svc", svc, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "token", token, CAPOS_TRANSFER_MODE_MOVE, CAPOS_CAP_SCOPE_PROCESS },
		{ "null", null, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "timer", timer, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	};
	struct capos_quota q = { .cap_slots = 8, .outstanding_calls = 4 };
	err = process_spawn(spawner, name, "churn", g, 4, &q, &s->handle);
	if (err) {
		s->used = false;
		cap_release(svc);
		cap_release(token);
		return err;
	}
	/* The child has its own copy of svc now; ours goes. token was moved. */
	if ((err = cap_release(svc)))
		return err;
	if (dc_probe(token) != DC_ERR(STALE_CAP))
		bad("child %ld: the moved token is still ours", i);
	n.spawned++;
	n.caps += 4;
	return process_wait_submit(s->handle, s->answer, sizeof(s->answer), &s->wait_ud);
}

/* A call arrived on the endpoint. */
static void served(const struct capos_call *call)
{
	long i = (long)(call->badge / 2) - 1;
	struct slot *s = slot_of(i);
	if (!s) {
		bad("a call from unknown child %ld", i);
		capos_return_exception(call->call_id, DC_ERR(INVALID_ARGUMENT), "who are you");
		return;
	}
	s->calls++;
	n.calls++;
	char data[64];
	dc_call_data(call, data, sizeof(data));
	if (call->badge % 2 == 0) {
		/* Call 1, through the moved token: echo, and a NullCap back. */
		char want[32];
		capos_snprintf(want, sizeof(want), "hello %ld", i);
		if (strcmp(data, want) != 0 || call->ncaps != 0 || s->calls != 1)
			bad("child %ld: call 1 is wrong (\"%s\", %u caps, call %d)", i, data, call->ncaps, s->calls);
		struct capos_xfer x = { .cap = null, .mode = CAPOS_XFER_COPY };
		int err = dc_echo_return(call->call_id, data, &x, 1);
		if (err)
			bad("child %ld: answering call 1: %s", i, capos_strerror(err));
		n.caps++;
		if (s->role == 's') {
			if ((err = process_kill(s->handle)))
				bad("child %ld: kill: %s", i, capos_strerror(err));
		}
		return;
	}
	/* Call 2, through svc, with a NullCap copy and the token moved back. */
	if (strcmp(data, "bye") != 0 || call->ncaps != 2 || s->calls != 2) {
		bad("child %ld: call 2 is wrong (\"%s\", %u caps, call %d)", i, data, call->ncaps, s->calls);
	} else {
		n.caps += 2;
		if (!dc_alive(call->caps[0]) || !dc_alive(call->caps[1]))
			bad("child %ld: a capability it sent is dead", i);
		if (null_nop(call->caps[0]) != 0)
			bad("child %ld: its NullCap copy does not work", i);
		for (int c = 0; c < 2; c++)
			if (cap_release(call->caps[c]))
				bad("child %ld: cannot release what it sent", i);
	}
	if (s->role == 'k') {
		/* Kill it while its call waits in our reply table; answering it
		 * afterwards must be refused. */
		int err = process_kill(s->handle);
		if (err)
			bad("child %ld: kill: %s", i, capos_strerror(err));
		err = dc_echo_return(call->call_id, "too late", NULL, 0);
		if (err == DC_ERR(CANCELLED))
			n.cancelled++;
		else
			bad("child %ld: answering a killed caller: %s (expected cancelled)", i, dc_errname(err));
		return;
	}
	int err = dc_echo_return(call->call_id, data, NULL, 0);
	if (err)
		bad("child %ld: answering call 2: %s", i, capos_strerror(err));
}

/* A child ended. */
static void ended(struct slot *s, const struct capos_cqe *cqe)
{
	struct capos_exit st;
	int err = process_wait_finish(cqe, s->answer, sizeof(s->answer), &st);
	char buf[160];
	if (err) {
		bad("child %ld: wait: %s", s->i, capos_strerror(err));
	} else if (st.how == CAPOS_EXIT_STATUS_WHICH_CODE) {
		n.exited++;
		if (s->role != 'w' || st.code != (int)(s->i % 100) || s->calls != 2)
			bad("child %ld (%c) ended wrongly: %s after %d calls", s->i, s->role, dc_status(&st, buf, sizeof(buf)), s->calls);
	} else if (st.how == CAPOS_EXIT_STATUS_WHICH_KILLED) {
		n.killed++;
		if (s->role != 'k' && s->role != 's')
			bad("child %ld (%c) was killed", s->i, s->role);
	} else {
		n.faulted++;
		if (s->role != 'f' || !dc_prefix(st.fault, "illegal instruction") || s->calls != 2)
			bad("child %ld (%c) faulted wrongly: %s after %d calls", s->i, s->role, st.fault, s->calls);
	}
	if ((err = cap_release(s->handle)))
		bad("child %ld: releasing its handle: %s", s->i, capos_strerror(err));
	s->used = false;
}

static int parent(long total, int k)
{
	dc_who = "churn";
	if (capset_get("spawner", &spawner, NULL) || capset_get("factory", &factory, NULL) ||
	    capset_get("null", &null, NULL) || capset_get("timer", &timer, NULL)) {
		dc_say("missing capabilities");
		return 2;
	}
	int err = endpoint_create(factory, CAPOS_ECHO_INTERFACE_ID, &ep);
	if (err) {
		dc_say("cannot make an endpoint: %s", capos_strerror(err));
		return 2;
	}
	dc_say("%ld children, %d at a time", total, k);
	if ((err = submit_recv()))
		return 2;

	uint64_t t0 = 0, t1 = 0;
	timer_now(timer, &t0);
	long next = 0, live = 0;
	while (next < total || live > 0) {
		while (live < k && next < total) {
			struct slot *s = NULL;
			for (int j = 0; j < k && !s; j++)
				if (!slots[j].used)
					s = &slots[j];
			if ((err = spawn_one(s, next))) {
				dc_say("spawning child %ld failed: %s", next, capos_strerror(err));
				return 1;
			}
			next++;
			live++;
		}
		struct capos_cqe cqe;
		if (!capos_ring_next_cqe(capos_ring(), &cqe)) {
			int64_t r = sys_cap_enter(1, CAPOS_WAIT_FOREVER);
			if (r < 0) {
				dc_say("cap_enter: %s", capos_strerror((int)r));
				return 1;
			}
			continue;
		}
		if (cqe.user_data == recv_ud) {
			struct capos_call call;
			if (cqe.result < 0) {
				dc_say("RECV failed: %s", capos_strerror(cqe.result));
				return 1;
			}
			const struct capos_msg_header *h = (const void *)recv_buf;
			size_t off = CAPOS_MSG_OFFSET(h->cap_count);
			call = (struct capos_call){ .call_id = h->call_id, .badge = h->badge, .iface = h->iface,
			                            .method = h->method, .msg = recv_buf + off, .msg_len = h->msg_len,
			                            .caps = h->caps, .ncaps = h->cap_count };
			/* Copy what we need before the buffer is reused. */
			uint32_t caps[CAPOS_MAX_XFER];
			for (int c = 0; c < call.ncaps; c++)
				caps[c] = h->caps[c];
			call.caps = caps;
			static uint8_t msg[2048] __attribute__((aligned(8)));
			if (call.msg_len > sizeof(msg)) {
				dc_say("call too large");
				return 1;
			}
			memcpy(msg, call.msg, call.msg_len);
			call.msg = msg;
			if ((err = submit_recv()))
				return 1;
			served(&call);
			continue;
		}
		struct slot *s = NULL;
		for (int j = 0; j < k && !s; j++)
			if (slots[j].used && slots[j].wait_ud == cqe.user_data)
				s = &slots[j];
		if (!s) {
			dc_say("a completion nobody waits for (%llu)", (unsigned long long)cqe.user_data);
			return 1;
		}
		ended(s, &cqe);
		live--;
	}
	timer_now(timer, &t1);

	long want_k = 0, want_s = 0, want_f = 0;
	for (long i = 0; i < total; i++) {
		char r = role_of(i);
		want_k += r == 'k';
		want_s += r == 's';
		want_f += r == 'f';
	}
	long want_w = total - want_k - want_s - want_f;
	/* Calls: 2 per child except sleepers (1). Capabilities: 4 granted per
	 * child, 1 back in call 1; 2 in call 2 (not sleepers). */
	long want_calls = 2 * total - want_s;
	long want_caps = 4 * total + total + 2 * (total - want_s);
	dc_check(n.spawned == total && n.exited == want_w && n.killed == want_k + want_s && n.faulted == want_f,
	         "%ld spawned: %ld exited with their codes, %ld killed, %ld faulted", n.spawned, n.exited, n.killed,
	         n.faulted);
	dc_check(n.calls == want_calls && n.cancelled == want_k, "%ld calls served, %ld answers to killed callers cancelled",
	         n.calls, n.cancelled);
	dc_check(n.caps == want_caps, "%ld capabilities transferred (grants, answers, calls)", n.caps);
	dc_check(n.bad == 0, "%ld problems", n.bad);
	/* Our own holds still work: the endpoint and the manifest's grants
	 * (each child's clients, handle and returned caps were released). */
	dc_check(dc_alive(ep) && dc_alive(null) && dc_alive(timer) && dc_alive(spawner) && dc_alive(factory),
	         "the parent's own capabilities still work");
	dc_say("took %llu ms", (unsigned long long)((t1 - t0) / DC_MS));
	dc_say("%d checks, %d failed", dc_checks, dc_failed);
	return dc_failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (capset_get("console", &dc_console, NULL) == 0 && argc >= 1 && !strcmp(argv[0], "churn")) {
		long total = argc > 1 ? dc_atol(argv[1]) : 2000;
		int k = argc > 2 ? (int)dc_atol(argv[2]) : 16;
		if (k < 1 || k > MAX_K)
			k = 16;
		return parent(total, k);
	}
	return child(argv[0]);
}
