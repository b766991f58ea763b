/*
 * transfer-copy-move - capabilities carried by IPC calls, all or nothing.
 *
 * Talks to echo-worker ("swap-worker") through Echo.swap, whose capability
 * parameter indexes the call's transfer list: the worker calls NullCap.nop
 * on what it gets, keeps it, and answers with a new client capability of its
 * own endpoint (badge 1000 + its swap count). Checks: a copied capability
 * still works for the sender, a moved one is stale for the sender and works
 * for the server, the capability in the results works; a nonTransferable
 * hold, a copy of a moveOnly hold, a stale CapId among valid ones, or one
 * hold moved twice in a message fails the whole CALL (notTransferable,
 * staleCap, invalidArgument) and moves nothing; a server whose capability
 * table is full fails its RECV with resourceExhausted and the call waits for
 * it; a caller whose table is full gets resourceExhausted for results that
 * carry a capability; an exception RETURN reaches the caller as its code
 * and message. One line per check; exits 1 if any failed.
 */
#include <capos/capos.h>

#include "../spawn-smoke/demo-check.h"

#define ME "transfer-copy-move"

static cap_id_t console;

static const int STALE = -(int)CAPOS_ERROR_CODE_STALE_CAP;
static const int NOT_TRANSFERABLE = -(int)CAPOS_ERROR_CODE_NOT_TRANSFERABLE;
static const int INVALID = -(int)CAPOS_ERROR_CODE_INVALID_ARGUMENT;
static const int EXHAUSTED = -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;


static cap_id_t need(const char *name)
{
	cap_id_t c = 0;
	if (capset_get(name, &c, NULL)) {
		console_printf(console, ME ": no capability named '%s' was granted\n", name);
		sys_exit(2);
	}
	return c;
}

/* Echo.swap carrying xfer[0..n) (the parameter names item 0 when n > 0).
 * On success *got is the capability in the results (0 if none). */
static int swap(cap_id_t ep, const struct capos_xfer *x, uint32_t n, cap_id_t *got)
{
	uint8_t arena[128] __attribute__((aligned(8))), ans[256] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Echo_swap_Params_b p = capos_Echo_swap_Params_new_root(&b);
	if (n)
		capos_Echo_swap_Params_set_cap(p, 0);
	const void *msg;
	size_t len;
	capos_msg_end(&b, &msg, &len);
	struct cap_call_args a = { .cap = ep, .method = CAPOS_ECHO_METHOD_SWAP, .params = msg, .params_len = len,
	                           .xfer = x, .nxfer = n, .result = ans, .result_len = sizeof(ans) };
	struct cap_call_result res;
	*got = 0;
	int err = cap_call_ex(capos_ring(), &a, &res);
	if (err)
		return err;
	struct capn_reader r;
	if (!res.msg || capos_msg_read(&r, res.msg, res.msg_len))
		return -(int)CAPOS_ERROR_CODE_BAD_MESSAGE;
	uint32_t idx = capos_Echo_swap_Results_get_cap(capos_Echo_swap_Results_read_root(&r));
	if (idx != CAPN_NULL_CAP && idx < res.ncaps)
		*got = res.caps[idx];
	return 0;
}

/* Echo a command (optionally carrying capabilities); the answer as text. */
static int command_x(cap_id_t ep, const char *cmd, const struct capos_xfer *x, uint32_t n, char *out, size_t outlen,
                     struct cap_call_result *res_out)
{
	uint8_t arena[256] __attribute__((aligned(8))), ans[512] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Echo_echo_Params_set_data(capos_Echo_echo_Params_new_root(&b), cmd, strlen(cmd));
	const void *msg;
	size_t len;
	capos_msg_end(&b, &msg, &len);
	struct cap_call_args a = { .cap = ep, .method = CAPOS_ECHO_METHOD_ECHO, .params = msg, .params_len = len,
	                           .xfer = x, .nxfer = n, .result = ans, .result_len = sizeof(ans) };
	struct cap_call_result res;
	int err = cap_call_ex(capos_ring(), &a, &res);
	out[0] = '\0';
	if (res_out) {
		/* An exception's text, copied out while the answer is still here. */
		capn_text t = capos_exception_text(&res);
		size_t m = t.len < outlen - 1 ? t.len : outlen - 1;
		memcpy(out, t.str, m);
		out[m] = '\0';
		*res_out = res;
		res_out->msg = NULL;
		return err;
	}
	struct capn_reader r;
	if (!err && res.msg && !capos_msg_read(&r, res.msg, res.msg_len)) {
		capn_data d = capos_Echo_echo_Results_get_data(capos_Echo_echo_Results_read_root(&r));
		size_t m = d.len < outlen - 1 ? d.len : outlen - 1;
		if (!capn_reader_error(&r) && m) {
			memcpy(out, d.ptr, m);
			out[m] = '\0';
		}
	}
	return err;
}

static int command(cap_id_t ep, const char *cmd, char *out, size_t outlen)
{
	return command_x(ep, cmd, NULL, 0, out, outlen, NULL);
}

/* Check that every CapId in ids still works for us (NullCap.nop). */
static bool all_ours(const cap_id_t *ids, int n, char *which, size_t len)
{
	bool ok = true;
	which[0] = '\0';
	for (int i = 0; i < n; i++) {
		int err = null_nop(ids[i]);
		if (err) {
			capos_snprintf(which, len, "capability %d: %s", i, capos_strerror(err));
			ok = false;
		}
	}
	return ok;
}

static struct capos_xfer X(cap_id_t cap, uint8_t mode) { return (struct capos_xfer){ .cap = cap, .mode = mode }; }

int main(void)
{
	if (capset_get("console", &console, NULL))
		return 2;
	dc_console = console;
	dc_who = ME;
	cap_id_t timer = need("timer"), factory = need("factory"), spawner = need("spawner");
	cap_id_t n1 = need("n1"), n2 = need("n2"), n3 = need("n3"), n4 = need("n4"), n5 = need("n5");
	cap_id_t pinned = need("pinned"), once = need("once");
	char text[256], which[128];
	const uint8_t COPY = CAPOS_XFER_COPY, MOVE = CAPOS_XFER_MOVE;

	/* The server: echo-worker with the server side of a new endpoint. */
	cap_id_t srv, ep, child;
	int err = endpoint_create(factory, CAPOS_ECHO_INTERFACE_ID, &srv);
	if (!err)
		err = endpoint_mint(srv, 1, &ep);
	struct capos_grant grants[] = {
		{ "console", console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "timer", timer, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "endpoint", srv, CAPOS_TRANSFER_MODE_MOVE, CAPOS_CAP_SCOPE_PROCESS },
	};
	if (!err)
		err = process_spawn(spawner, "swap-worker", "echo-worker", grants, 3, NULL, &child);
	dc_check_why(!err, "an Echo endpoint served by swap-worker", "%s", dc_errname(err));
	if (err)
		return 1;

	/* Copy: the sender keeps its hold; the server can use its copy. */
	cap_id_t got1 = 0, got2 = 0;
	struct capos_xfer x1[] = { X(n1, COPY) };
	err = swap(ep, x1, 1, &got1);
	dc_check_why(!err && got1, "swap with a copied capability", "%s, result cap %u", dc_errname(err), got1);
	err = null_nop(n1);
	dc_check_why(!err, "the sender's copied CapId still works", "%s", dc_errname(err));

	/* Move: the sender's CapId is stale; the server holds it. */
	struct capos_xfer x2[] = { X(n2, MOVE) };
	err = swap(ep, x2, 1, &got2);
	dc_check_why(!err && got2, "swap with a moved capability", "%s, result cap %u", dc_errname(err), got2);
	err = null_nop(n2);
	dc_check_why(err == STALE, "the sender's moved CapId is stale", "%s", dc_errname(err));
	err = cap_release(n2);
	dc_check_why(err == STALE, "releasing the moved CapId is staleCap", "%s", dc_errname(err));
	err = command(ep, "cmd:kept", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "kept=2 ok=2") == 0, "the server can use both capabilities it received",
	             "%s, \"%s\"", dc_errname(err), text);

	/* The capabilities in the results are usable client holds. */
	err = command(got1, "cmd:badge", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "1001") == 0, "the capability from the first swap's results works (badge 1001)",
	             "%s, \"%s\"", dc_errname(err), text);
	err = command(got2, "cmd:badge", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "1002") == 0, "the capability from the second swap's results works (badge 1002)",
	             "%s, \"%s\"", dc_errname(err), text);
	cap_release(got1);
	cap_release(got2);

	/* nonTransferable: the whole call fails and nothing moves. */
	cap_id_t dummy;
	struct capos_xfer x3[] = { X(n3, MOVE), X(pinned, COPY), X(n4, MOVE) };
	err = swap(ep, x3, 3, &dummy);
	dc_check_why(err == NOT_TRANSFERABLE, "a message carrying a nonTransferable hold is notTransferable", "%s",
	             dc_errname(err));
	cap_id_t after3[] = { n3, pinned, n4 };
	dc_check_why(all_ours(after3, 3, which, sizeof(which)), "every capability of that message is still the sender's", "%s",
	             which);
	struct capos_xfer x4[] = { X(pinned, MOVE) };
	err = swap(ep, x4, 1, &dummy);
	dc_check_why(err == NOT_TRANSFERABLE && null_nop(pinned) == 0, "moving the nonTransferable hold alone is refused too",
	             "%s", dc_errname(err));

	/* moveOnly: a copy is refused, a move is allowed. */
	struct capos_xfer x5[] = { X(n3, COPY), X(once, COPY) };
	err = swap(ep, x5, 2, &dummy);
	cap_id_t after5[] = { n3, once };
	dc_check_why(err == NOT_TRANSFERABLE && all_ours(after5, 2, which, sizeof(which)),
	             "copying a moveOnly hold is notTransferable and moves nothing", "%s %s", dc_errname(err), which);

	/* A stale CapId among valid ones. */
	cap_id_t stale = n5;
	cap_release(n5);
	struct capos_xfer x6[] = { X(n3, MOVE), X(stale, COPY), X(n4, MOVE) };
	err = swap(ep, x6, 3, &dummy);
	cap_id_t after6[] = { n3, n4 };
	dc_check_why(err == STALE && all_ours(after6, 2, which, sizeof(which)),
	             "a stale CapId among valid ones is staleCap and moves nothing", "%s %s", dc_errname(err), which);

	/* The same hold twice, once moved. */
	struct capos_xfer x7[] = { X(n3, MOVE), X(n3, MOVE) };
	err = swap(ep, x7, 2, &dummy);
	dc_check_why(err == INVALID && null_nop(n3) == 0, "one hold moved twice in a message is invalidArgument", "%s",
	             dc_errname(err));
	struct capos_xfer x8[] = { X(n4, COPY), X(n3, COPY), X(n3, MOVE) };
	err = swap(ep, x8, 3, &dummy);
	cap_id_t after8[] = { n3, n4 };
	dc_check_why(err == INVALID && all_ours(after8, 2, which, sizeof(which)),
	             "one hold copied and moved in a message is invalidArgument and moves nothing", "%s %s", dc_errname(err),
	             which);
	err = command(ep, "cmd:kept", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "kept=2 ok=2") == 0, "none of the refused calls reached the server", "%s, \"%s\"",
	             dc_errname(err), text);

	/* Allowed: one hold copied twice; a moveOnly hold moved. */
	cap_id_t got3 = 0, got4 = 0;
	struct capos_xfer x9[] = { X(n1, COPY), X(n1, COPY) };
	err = swap(ep, x9, 2, &got3);
	dc_check_why(!err && null_nop(n1) == 0, "one hold copied twice in a message is allowed", "%s", dc_errname(err));
	struct capos_xfer x10[] = { X(once, MOVE) };
	err = swap(ep, x10, 1, &got4);
	dc_check_why(!err && null_nop(once) == STALE, "a moveOnly hold can be moved (and is then stale here)", "%s",
	             dc_errname(err));
	err = command(ep, "cmd:kept", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "kept=5 ok=5") == 0, "the server holds all five capabilities it was sent",
	             "%s, \"%s\"", dc_errname(err), text);
	cap_release(got3);
	cap_release(got4);

	/* Limits of one message: 32 capabilities, each descriptor well formed. */
	struct capos_xfer x32[33];
	for (int i = 0; i < 33; i++)
		x32[i] = X(n1, COPY);
	cap_id_t got5 = 0;
	err = swap(ep, x32, 32, &got5);
	dc_check_why(!err && got5, "a message carrying 32 capabilities (the limit)", "%s", dc_errname(err));
	cap_release(got5);
	err = swap(ep, x32, 33, &dummy);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_TOO_LARGE, "a message carrying 33 capabilities is tooLarge", "%s",
	             dc_errname(err));
	struct capos_xfer xbad[] = { X(n3, MOVE), { .cap = n4, .mode = 7 } };
	err = swap(ep, xbad, 2, &dummy);
	dc_check_why(err == INVALID && null_nop(n3) == 0, "an unknown transfer mode is invalidArgument and moves nothing", "%s",
	             dc_errname(err));
	struct capos_xfer xres[] = { X(n3, MOVE), { .cap = n4, .mode = COPY, .reserved = { 0, 1, 0 } } };
	err = swap(ep, xres, 2, &dummy);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_RESERVED_NON_ZERO && null_nop(n3) == 0,
	             "a descriptor with a reserved byte set is reservedNonZero and moves nothing", "%s", dc_errname(err));
	err = command(ep, "cmd:kept", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "kept=37 ok=37") == 0, "the server holds the 32 as well", "%s, \"%s\"", dc_errname(err),
	             text);

	/* A call carrying a moved capability that times out in the queue
	 * leaves nothing behind: the capability is still the sender's. */
	{
		uint8_t sarena[128] __attribute__((aligned(8))), sans[128] __attribute__((aligned(8)));
		uint8_t warena[128] __attribute__((aligned(8))), wans[256] __attribute__((aligned(8)));
		struct capn_builder b;
		capn_builder_init(&b, sarena, sizeof(sarena));
		capos_Echo_echo_Params_set_data(capos_Echo_echo_Params_new_root(&b), "cmd:sleep:100", 13);
		const void *smsg, *wmsg;
		size_t slen, wlen;
		capos_msg_end(&b, &smsg, &slen);
		capn_builder_init(&b, warena, sizeof(warena));
		capos_Echo_swap_Params_set_cap(capos_Echo_swap_Params_new_root(&b), 0);
		capos_msg_end(&b, &wmsg, &wlen);
		struct capos_xfer tx[] = { X(n1, MOVE) };
		struct cap_call_args sa = { .cap = ep, .method = CAPOS_ECHO_METHOD_ECHO, .params = smsg, .params_len = slen,
		                            .result = sans, .result_len = sizeof(sans) };
		struct cap_call_args wa = { .cap = ep, .method = CAPOS_ECHO_METHOD_SWAP, .params = wmsg, .params_len = wlen,
		                            .xfer = tx, .nxfer = 1, .result = wans, .result_len = sizeof(wans),
		                            .timeout_us = 20000 };
		uint64_t sud, wud;
		struct capos_cqe sc, wc;
		struct cap_call_result sres, wres;
		int e1 = cap_call_submit(capos_ring(), &sa, &sud);
		int e2 = e1 ? e1 : cap_call_submit(capos_ring(), &wa, &wud);
		if (!e2)
			e2 = capos_ring_wait(capos_ring(), wud, &wc);
		if (!e2)
			e2 = cap_call_finish(&wa, &wc, &wres);
		dc_check_why(e2 == -(int)CAPOS_ERROR_CODE_TIMEOUT && null_nop(n1) == 0,
		      "a swap moving a capability that times out in the queue leaves it with the sender", "%s",
		      dc_errname(e2));
		if (!e1)
			e1 = capos_ring_wait(capos_ring(), sud, &sc);
		if (!e1)
			e1 = cap_call_finish(&sa, &sc, &sres);
		dc_check_why(!e1, "the call the server was busy with is answered", "%s", dc_errname(e1));
	}
	err = command(ep, "cmd:kept", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "kept=37 ok=37") == 0, "the timed-out swap never reached the server", "%s, \"%s\"",
	             dc_errname(err), text);

	/* A receiver whose table is full: tiny-worker has capSlots 5 and four
	 * grants, so a call carrying two capabilities cannot be delivered. Its
	 * RECV fails with resourceExhausted, the call stays queued, nothing has
	 * moved; the worker gives up its spare capability and receives it. */
	cap_id_t tsrv, tep, tiny;
	err = endpoint_create(factory, CAPOS_ECHO_INTERFACE_ID, &tsrv);
	if (!err)
		err = endpoint_mint(tsrv, 2, &tep);
	struct capos_grant tgrants[] = {
		{ "console", console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "timer", timer, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "spare", timer, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		{ "endpoint", tsrv, CAPOS_TRANSFER_MODE_MOVE, CAPOS_CAP_SCOPE_PROCESS },
	};
	struct capos_quota q = { .cap_slots = 5 };
	if (!err)
		err = process_spawn(spawner, "tiny-worker", "echo-worker", tgrants, 4, &q, &tiny);
	dc_check_why(!err, "tiny-worker spawned with capSlots 5 (one free)", "%s", dc_errname(err));
	err = command(tep, "warm-up", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "warm-up") == 0, "tiny-worker answers a call without capabilities", "%s",
	             dc_errname(err));
	{
		uint8_t arena[128] __attribute__((aligned(8))), ans[256] __attribute__((aligned(8)));
		struct capn_builder b;
		capn_builder_init(&b, arena, sizeof(arena));
		capos_Echo_echo_Params_set_data(capos_Echo_echo_Params_new_root(&b), "cmd:kept", 8);
		const void *msg;
		size_t len;
		capos_msg_end(&b, &msg, &len);
		struct capos_xfer tx[] = { X(n3, MOVE), X(n4, MOVE) };
		struct cap_call_args a = { .cap = tep, .method = CAPOS_ECHO_METHOD_ECHO, .params = msg,
		                           .params_len = len, .xfer = tx, .nxfer = 2, .result = ans,
		                           .result_len = sizeof(ans) };
		uint64_t ud;
		err = cap_call_submit(capos_ring(), &a, &ud);
		sys_cap_enter(0, 0); /* the CALL meets the worker's waiting RECV */
		cap_id_t both[] = { n3, n4 };
		dc_check_why(!err && all_ours(both, 2, which, sizeof(which)),
		      "while the full server cannot take the call, both capabilities are still the sender's", "%s %s",
		      dc_errname(err), which);
		struct capos_cqe c;
		struct cap_call_result res;
		if (!err)
			err = capos_ring_wait(capos_ring(), ud, &c);
		if (!err)
			err = cap_call_finish(&a, &c, &res);
		text[0] = '\0';
		struct capn_reader r;
		if (!err && res.msg && !capos_msg_read(&r, res.msg, res.msg_len)) {
			capn_data d = capos_Echo_echo_Results_get_data(capos_Echo_echo_Results_read_root(&r));
			size_t m = d.len < sizeof(text) - 1 ? d.len : sizeof(text) - 1;
			memcpy(text, d.ptr, m);
			text[m] = '\0';
		}
		dc_check_why(!err && strcmp(text, "kept=2 ok=2") == 0,
		      "the call stayed queued and was delivered, capabilities and all, once the server had room",
		      "%s, \"%s\"", dc_errname(err), text);
		dc_check_why(null_nop(n3) == STALE && null_nop(n4) == STALE, "the moved capabilities are now stale here", NULL);
	}
	err = command(tep, "cmd:stats", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "kept=2 cancelled=0 exhausted=1") == 0,
	             "tiny-worker's RECV failed once with resourceExhausted", "%s, \"%s\"", dc_errname(err), text);
	err = command(tep, "cmd:quit", text, sizeof(text));
	struct capos_exit st;
	int werr = process_wait(tiny, &st);
	dc_check_why(!err && !werr && st.how == CAPOS_EXIT_STATUS_WHICH_CODE && st.code == 0, "tiny-worker exited with code 0",
	             "%s %s how %u code %d", dc_errname(err), dc_errname(werr), st.how, st.code);
	cap_release(tep);
	cap_release(tiny);

	/* A caller whose table is full: results carrying a capability cannot
	 * be delivered (resourceExhausted); with room again they can. */
	static cap_id_t fill[300];
	int nfill = 0;
	while (nfill < 300 && endpoint_create(factory, CAPOS_ECHO_INTERFACE_ID, &fill[nfill]) == 0)
		nfill++;
	err = swap(ep, NULL, 0, &dummy);
	dc_check_why(nfill > 0 && nfill < 300 && err == EXHAUSTED,
	             "a swap whose result capability does not fit the caller's full table is resourceExhausted", "%d filled, %s",
	             nfill, dc_errname(err));
	for (int i = 0; i < nfill; i++)
		cap_release(fill[i]);
	cap_id_t got6 = 0;
	err = swap(ep, NULL, 0, &got6);
	dc_check_why(!err && got6, "with room again, the next swap delivers its result capability", "%s", dc_errname(err));
	err = command(got6, "cmd:badge", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "1007") == 0, "... which works (badge 1007)", "%s, \"%s\"", dc_errname(err), text);
	cap_release(got6);

	/* Exceptions: the CapException's code is the caller's error, its
	 * message comes along. */
	struct cap_call_result res;
	err = command_x(ep, "cmd:raise:20:no entry for you", NULL, 0, text, sizeof(text), &res);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_PERMISSION_DENIED && res.exception,
	             "an exception RETURN reaches the caller as permissionDenied", "%s, exception %d", dc_errname(err),
	             res.exception);
	dc_check_why(strcmp(text, "no entry for you") == 0, "... with its message", "\"%s\"", text);
	err = command_x(ep, "cmd:raise:11:too slow", NULL, 0, text, sizeof(text), &res);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_TIMEOUT && res.exception && strcmp(text, "too slow") == 0,
	             "an exception with code timeout reaches the caller as timeout", "%s \"%s\"", dc_errname(err), text);
	err = command_x(ep, "cmd:raise:999:no such code", NULL, 0, text, sizeof(text), &res);
	dc_check_why(err == -(int)CAPOS_ERROR_CODE_INTERNAL && res.exception,
	             "an exception whose code is not an ErrorCode reaches the caller as internal", "%s", dc_errname(err));
	err = command(ep, "after-exceptions", text, sizeof(text));
	dc_check_why(!err && strcmp(text, "after-exceptions") == 0, "the server answers normally after exceptions", "%s",
	             dc_errname(err));

	err = command(ep, "cmd:quit", text, sizeof(text));
	werr = process_wait(child, &st);
	dc_check_why(!err && !werr && st.how == CAPOS_EXIT_STATUS_WHICH_CODE && st.code == 0, "swap-worker exited with code 0",
	             "%s %s how %u code %d", dc_errname(err), dc_errname(werr), st.how, st.code);
	cap_release(ep);
	cap_release(child);
	console_printf(console, ME ": %s\n", dc_failed ? "FAILED" : "all checks passed");
	return dc_failed ? 1 : 0;
}
