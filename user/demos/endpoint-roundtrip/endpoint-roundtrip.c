/*
 * endpoint-roundtrip - IPC through an endpoint made at run time.
 *
 * Creates an Echo endpoint with EndpointFactory, mints client capabilities
 * with two badges, spawns echo-worker with the server side moved to it, and
 * checks: echo of small, large and maximum-size data comes back identical;
 * many calls in a row; calls submitted together are served in FIFO order;
 * the server sees each hold's badge; a CALL whose timeout passes gets
 * timeout (queued: the server never sees it; received: the server's RETURN
 * is cancelled); a released hold's CapId is stale; once the server exits,
 * the call it held and the calls queued behind it, and any new call, get
 * disconnected. One line per check; exits 1 if any failed.
 */
#include <capos/capos.h>

#include "../spawn-smoke/demo-check.h"

#define ME "endpoint-roundtrip"
#define BIG (CAPOS_MAX_MSG + 256)
#define NFIFO 8
#define NROW 500
#define BADGE_A 0x1111u
#define BADGE_B 0xbeef0000cafeull

static cap_id_t console, timer;

static uint8_t params_arena[BIG] __attribute__((aligned(8)));
static uint8_t answer[BIG] __attribute__((aligned(8)));
static uint8_t pattern[CAPOS_MAX_MSG];


/* An Echo.echo call's arguments, with the parameters built into `arena`. */
static void echo_args(struct cap_call_args *a, cap_id_t cap, const void *data, size_t n, void *arena,
                      size_t arena_len, void *ans, size_t ans_len, uint32_t timeout_us)
{
	struct capn_builder b;
	capn_builder_init(&b, arena, arena_len);
	capos_Echo_echo_Params_set_data(capos_Echo_echo_Params_new_root(&b), data, n);
	const void *msg = NULL;
	size_t len = 0;
	capos_msg_end(&b, &msg, &len);
	*a = (struct cap_call_args){ .cap = cap, .method = CAPOS_ECHO_METHOD_ECHO, .params = msg, .params_len = len,
	                             .result = ans, .result_len = ans_len, .timeout_us = timeout_us };
}

/* The data of an echo answer. */
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

/* Echo `n` bytes; returns the status, and whether the same bytes came back. */
static int echo(cap_id_t cap, const void *data, size_t n, bool *same)
{
	struct cap_call_args a;
	struct cap_call_result res;
	echo_args(&a, cap, data, n, params_arena, sizeof(params_arena), answer, sizeof(answer), 0);
	int err = cap_call_ex(capos_ring(), &a, &res);
	capn_data d = echo_data(&res);
	*same = !err && d.len == n && (n == 0 || memcmp(d.ptr, data, n) == 0);
	return err;
}

/* Echo a command; the answer as text in out. */
static int command(cap_id_t cap, const char *cmd, char *out, size_t outlen)
{
	struct cap_call_args a;
	struct cap_call_result res;
	echo_args(&a, cap, cmd, strlen(cmd), params_arena, sizeof(params_arena), answer, sizeof(answer), 0);
	int err = cap_call_ex(capos_ring(), &a, &res);
	capn_data d = echo_data(&res);
	size_t n = d.len < outlen - 1 ? d.len : outlen - 1;
	if (n)
		memcpy(out, d.ptr, n);
	out[n] = '\0';
	return err;
}

static int ping(cap_id_t cap)
{
	uint8_t ans[64] __attribute__((aligned(8)));
	struct cap_call_args a = { .cap = cap, .method = CAPOS_ECHO_METHOD_PING, .result = ans, .result_len = sizeof(ans) };
	struct cap_call_result res;
	return cap_call_ex(capos_ring(), &a, &res);
}

static uint64_t now_ms(void)
{
	uint64_t ns = 0;
	timer_now(timer, &ns);
	return ns / 1000000u;
}

/* One asynchronous call in flight. */
struct pending {
	struct cap_call_args a;
	uint64_t ud;
	uint8_t arena[128] __attribute__((aligned(8)));
	uint8_t ans[128] __attribute__((aligned(8)));
	char data[32];
	int status;
	bool done, same;
	uint64_t at_ms;
};

static struct pending pend[NFIFO];

static void submit_echo(struct pending *p, cap_id_t cap, const char *data, uint32_t timeout_us)
{
	size_t n = strlen(data);
	memcpy(p->data, data, n + 1);
	p->done = false;
	echo_args(&p->a, cap, p->data, n, p->arena, sizeof(p->arena), p->ans, sizeof(p->ans), timeout_us);
	int err = cap_call_submit(capos_ring(), &p->a, &p->ud);
	if (err) {
		p->done = true;
		p->status = err;
	}
}

static void submit_ping(struct pending *p, cap_id_t cap)
{
	p->done = false;
	p->data[0] = '\0';
	p->a = (struct cap_call_args){ .cap = cap, .method = CAPOS_ECHO_METHOD_PING, .result = p->ans,
	                               .result_len = sizeof(p->ans) };
	int err = cap_call_submit(capos_ring(), &p->a, &p->ud);
	if (err) {
		p->done = true;
		p->status = err;
	}
}

/* Collect the completions of pend[0..n), recording the order they came in. */
static void collect(int n, int *order)
{
	int got = 0;
	for (int i = 0; i < n; i++)
		if (pend[i].done)
			order[got++] = i;
	while (got < n) {
		struct capos_cqe c;
		if (!capos_ring_next_cqe(capos_ring(), &c)) {
			if (sys_cap_enter(1, CAPOS_WAIT_FOREVER) < 0)
				break;
			continue;
		}
		for (int i = 0; i < n; i++) {
			struct pending *p = &pend[i];
			if (p->done || p->ud != c.user_data)
				continue;
			struct cap_call_result res;
			p->status = cap_call_finish(&p->a, &c, &res);
			capn_data d = echo_data(&res);
			size_t len = strlen(p->data);
			p->same = !p->status && d.len == len && memcmp(d.ptr, p->data, len) == 0;
			p->done = true;
			p->at_ms = now_ms();
			order[got++] = i;
		}
	}
}

int main(void)
{
	cap_id_t factory, spawner, srv, a, b, c, child;
	if (capset_get("console", &console, NULL))
		return 2;
	dc_console = console;
	dc_who = ME;
	if (capset_get("timer", &timer, NULL) || capset_get("factory", &factory, NULL) ||
	    capset_get("spawner", &spawner, NULL)) {
		console_printf(console, ME ": missing a grant (timer, factory, spawner)\n");
		return 2;
	}

	int err = endpoint_create(factory, CAPOS_ECHO_INTERFACE_ID, &srv);
	dc_check_why(!err, "EndpointFactory.create(Echo)", "%s", dc_errname(err));
	if (err)
		return 1;
	cap_id_t dummy;
	err = endpoint_create(factory, 0x1234567890abcdefull, &dummy);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_INVALID_ARGUMENT, "EndpointFactory.create of an unknown interface is invalidArgument",
	             "%s", dc_errname(err));
	int e1 = endpoint_mint(srv, BADGE_A, &a), e2 = endpoint_mint(srv, BADGE_B, &b), e3 = endpoint_mint(srv, 3, &c);
	dc_check_why(!e1 && !e2 && !e3, "Endpoint.mint of three client holds", "%s %s %s", dc_errname(e1), dc_errname(e2),
	             dc_errname(e3));
	if (e1 || e2 || e3)
		return 1;

	struct capos_grant grants[] = {
		{ "console", console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "timer", timer, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "endpoint", srv, CAPOS_TRANSFER_MODE_MOVE, CAPOS_CAP_SCOPE_PROCESS },
	};
	err = process_spawn(spawner, "echo-worker", "echo-worker", grants, 3, NULL, &child);
	dc_check_why(!err, "spawn echo-worker with the server side moved to it", "%s", dc_errname(err));
	if (err)
		return 1;
	err = endpoint_mint(srv, 9, &dummy);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_STALE_CAP, "the moved server side is stale here", "mint: %s",
	             dc_errname(err));

	/* Data round trips. */
	bool same;
	err = echo(a, "hello", 5, &same);
	dc_check_why(!err && same, "echo of 5 bytes", "%s, same %d", dc_errname(err), same);
	err = echo(a, "", 0, &same);
	dc_check_why(!err && same, "echo of 0 bytes", "%s, same %d", dc_errname(err), same);
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 131u + (i >> 8));
	err = echo(b, pattern, 60000, &same);
	dc_check_why(!err && same, "echo of 60000 bytes", "%s, same %d", dc_errname(err), same);
	/* The largest message: 8 bytes of framing, root pointer, struct, data. */
	size_t max = CAPOS_MAX_MSG - 24;
	err = echo(b, pattern, max, &same);
	dc_check_why(!err && same, "echo of 65512 bytes (a 64 KiB message)", "%s, same %d", dc_errname(err), same);
	err = echo(b, pattern, max + 1, &same);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_TOO_LARGE, "echo of 65513 bytes is tooLarge", "%s", dc_errname(err));

	int bad = 0, first_bad = -1;
	for (int i = 0; i < NROW; i++) {
		char text[32];
		size_t n = capos_snprintf(text, sizeof(text), "call %d", i);
		err = echo(i & 1 ? b : a, text, n, &same);
		if (err || !same) {
			if (first_bad < 0)
				first_bad = i;
			bad++;
		}
	}
	dc_check_why(bad == 0, "500 echo calls in a row", "%d failed, first %d", bad, first_bad);

	/* Badges: the server sees the badge of the hold each call came through. */
	char text[256];
	err = command(a, "cmd:badge", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "4369") == 0, "the server sees badge 0x1111 through the first hold", "%s, \"%s\"",
	             dc_errname(err), text);
	err = command(b, "cmd:badge", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "209933706513150") == 0, "the server sees badge 0xbeef0000cafe through the second hold",
	             "%s, \"%s\"", dc_errname(err), text);

	/* Calls the kernel refuses never reach the server. */
	command(a, "cmd:history", text, sizeof(text));
	{
		uint8_t ans[64] __attribute__((aligned(8)));
		struct cap_call_args x = { .cap = a, .method = 3, .result = ans, .result_len = sizeof(ans) };
		struct cap_call_result res;
		err = cap_call_ex(capos_ring(), &x, &res);
		dc_check_why(err == -(int)CAPOS_ERROR_CODE_NO_SUCH_METHOD, "a CALL of method 3 of Echo is noSuchMethod", "%s",
		      dc_errname(err));
		x = (struct cap_call_args){ .cap = a, .iface = CAPOS_CONSOLE_INTERFACE_ID, .method = 0, .result = ans,
		                            .result_len = sizeof(ans) };
		err = cap_call_ex(capos_ring(), &x, &res);
		dc_check_why(err == -(int)CAPOS_ERROR_CODE_WRONG_INTERFACE, "a CALL naming Console on an Echo hold is wrongInterface",
		      "%s", dc_errname(err));
	}
	err = command(a, "cmd:history", text, sizeof(text));
	dc_check_why(!err && text[0] == '\0', "neither reached the server", "%s, \"%s\"", dc_errname(err), text);

	/* FIFO: eight calls submitted at once, through both holds, are served
	 * and answered in the order they were made. */
	command(a, "cmd:history", text, sizeof(text));
	for (int i = 0; i < NFIFO; i++) {
		char d[16];
		capos_snprintf(d, sizeof(d), "seq:%d", i);
		submit_echo(&pend[i], i & 1 ? b : a, d, 0);
	}
	int order[NFIFO];
	collect(NFIFO, order);
	bool in_order = true, all_ok = true;
	for (int i = 0; i < NFIFO; i++) {
		in_order &= order[i] == i;
		all_ok &= pend[i].status == 0 && pend[i].same;
	}
	dc_check_why(all_ok, "8 calls submitted at once all answered with their own data", "a call failed");
	dc_check_why(in_order, "their answers arrived in submission order", "order %d %d %d %d %d %d %d %d", order[0], order[1],
	             order[2], order[3], order[4], order[5], order[6], order[7]);
	err = command(a, "cmd:history", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "seq:0 seq:1 seq:2 seq:3 seq:4 seq:5 seq:6 seq:7") == 0,
	             "the server received them in FIFO order", "%s, \"%s\"", dc_errname(err), text);

	/* Timeouts. A (100 ms) is received at once and the server sleeps 400 ms
	 * before answering it; B (50 ms) waits in the queue behind it. */
	uint64_t t0 = now_ms();
	submit_echo(&pend[0], a, "cmd:sleep:400", 100000);
	submit_echo(&pend[1], b, "queued-then-timed-out", 50000);
	collect(2, order);
	dc_check_why(pend[1].status == -(int)CAPOS_ERROR_CODE_TIMEOUT, "a queued CALL with timeout_us 50000 gets timeout",
	             "%s", dc_errname(pend[1].status));
	dc_check_why(pend[1].at_ms >= t0 + 50, "... not before its deadline", "after %llu ms",
	             (unsigned long long)(pend[1].at_ms - t0));
	dc_check_why(pend[0].status == -(int)CAPOS_ERROR_CODE_TIMEOUT,
	             "a received CALL with timeout_us 100000 gets timeout while the server is busy", "%s",
	             dc_errname(pend[0].status));
	dc_check_why(pend[0].at_ms >= t0 + 100, "... not before its deadline", "after %llu ms",
	             (unsigned long long)(pend[0].at_ms - t0));
	/* This call waits until the server has answered (too late) the first. */
	err = command(a, "cmd:stats", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "kept=0 cancelled=1 exhausted=0") == 0,
	             "the server's late RETURN of the timed-out call was cancelled", "%s, \"%s\"", dc_errname(err), text);
	err = command(a, "cmd:history", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "cmd:sleep:400") == 0, "the queued call that timed out never reached the server",
	             "%s, \"%s\"", dc_errname(err), text);
	err = echo(b, "still-fine", 10, &same);
	dc_check_why(!err && same, "the endpoint works on after timeouts", "%s", dc_errname(err));

	/* Release: the CapId goes stale; the other holds are unaffected. */
	err = echo(c, "third", 5, &same);
	dc_check_why(!err && same, "a third hold works before it is released", "%s", dc_errname(err));
	err = cap_release(c);
	dc_check_why(!err, "cap_release of the third hold", "%s", dc_errname(err));
	err = echo(c, "third", 5, &same);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_STALE_CAP, "a call through the released hold is staleCap", "%s",
	             dc_errname(err));
	err = cap_release(c);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_STALE_CAP, "releasing it again is staleCap", "%s", dc_errname(err));
	err = ping(a);
	dc_check_why(!err, "the other holds still work", "%s", dc_errname(err));

	/* The server exits holding one call, with two queued behind it. */
	submit_echo(&pend[0], a, "cmd:exit", 0);
	submit_ping(&pend[1], b);
	submit_echo(&pend[2], a, "queued-at-exit", 0);
	collect(3, order);
	const int disc = -(int)CAPOS_ERROR_CODE_DISCONNECTED;
	dc_check_why(pend[0].status == disc, "the call the server received and never answered gets disconnected", "%s",
	             dc_errname(pend[0].status));
	dc_check_why(pend[1].status == disc && pend[2].status == disc, "the calls queued when the server exited get disconnected",
	             "%s, %s", dc_errname(pend[1].status), dc_errname(pend[2].status));
	err = ping(a);
	int err2 = echo(b, "late", 4, &same);
	dc_check_why(err == disc && err2 == disc, "new calls after the server exited get disconnected", "%s, %s",
	             dc_errname(err), dc_errname(err2));
	struct capos_exit st;
	err = process_wait(child, &st);
	dc_check_why(!err && st.how == CAPOS_EXIT_STATUS_WHICH_CODE && st.code == 0, "echo-worker exited with code 0",
	             "%s, how %u code %d", dc_errname(err), st.how, st.code);
	cap_release(a);
	cap_release(b);
	cap_release(child);

	console_printf(console, ME ": %s\n", dc_failed ? "FAILED" : "all checks passed");
	return dc_failed ? 1 : 0;
}
