/*
 * echo-worker - an Echo server the IPC demos spawn (endpoint-roundtrip,
 * transfer-copy-move, ipc-failures). It has no manifest of its own.
 *
 * Grants: "endpoint" (the server side, an Endpoint; required), "console",
 * "timer" (for cmd:sleep) and "spare" (any capability it gives up when a
 * RECV fails with resourceExhausted, to make room in a tiny table).
 *
 * echo(data) answers with the same bytes, except for these commands:
 *   cmd:badge          the caller's badge, in decimal
 *   cmd:history        the first word of every echo received since the last
 *                      cmd:history (excluding cmd:history and cmd:stats)
 *   cmd:stats          "kept=K cancelled=C exhausted=E"
 *   cmd:kept           NullCap.nop on every capability kept: "kept=K ok=N"
 *   cmd:sleep:MS       sleep MS milliseconds, then answer (the RETURN's
 *                      verdict is reported: cancelled if the caller left)
 *   cmd:hold           keep the call unanswered and go on serving
 *   cmd:raise:CODE:TXT answer with a CapException (code CODE, message TXT)
 *   cmd:quit           answer "bye", then exit 0
 *   cmd:exit           exit 0 at once, leaving this call (and any held or
 *                      queued one) unanswered
 * ping() answers with empty results. swap(cap) calls NullCap.nop on the
 * capability it was given and keeps it, and answers with a new client
 * capability of its own endpoint (badge 1000 + number of swaps), moved.
 * Every capability that arrives with any call is kept.
 */
#include <capos/capos.h>

#define RBUF_BYTES (CAPOS_MAX_MSG + 256)
#define MAX_KEPT 64

static uint8_t rbuf[RBUF_BYTES] __attribute__((aligned(8)));
static uint8_t arena[CAPOS_MAX_MSG + 64] __attribute__((aligned(8)));

static const char *me = "echo-worker";
static cap_id_t console, timer, endpoint, spare;
static bool have_console, have_timer, have_spare;
static cap_id_t kept[MAX_KEPT];
static unsigned nkept, ncancelled, nexhausted, nswaps;
static char history[1024];
static size_t hlen;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	if (!have_console)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	size_t n = capos_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	console_write(console, line, n < sizeof(line) ? n : sizeof(line) - 1);
}

static bool starts(capn_data d, const char *prefix)
{
	size_t n = strlen(prefix);
	return d.len >= n && memcmp(d.ptr, prefix, n) == 0;
}

static bool is(capn_data d, const char *s) { return d.len == strlen(s) && memcmp(d.ptr, s, d.len) == 0; }

static unsigned long parse_num(const uint8_t *p, size_t len, size_t *used)
{
	unsigned long v = 0;
	size_t i = 0;
	while (i < len && p[i] >= '0' && p[i] <= '9')
		v = v * 10 + (unsigned long)(p[i++] - '0');
	if (used)
		*used = i;
	return v;
}

/* Note the RETURN's verdict: a caller that left makes it cancelled. */
static int returned(const char *what, int err)
{
	if (err == -(int)CAPOS_ERROR_CODE_CANCELLED)
		ncancelled++;
	if (err)
		say("%s: RETURN of %s: %s\n", me, what, capos_strerror(err));
	return err;
}

static int reply_data(uint32_t id, const void *data, size_t n, const char *what)
{
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Echo_echo_Results_set_data(capos_Echo_echo_Results_new_root(&b), data, n);
	const void *msg;
	size_t len;
	int err = capos_msg_end(&b, &msg, &len);
	if (err)
		return returned(what, capos_return_exception(id, err, "answer too large"));
	return returned(what, capos_return(id, msg, len, NULL, 0));
}

static int reply_text(uint32_t id, const char *text) { return reply_data(id, text, strlen(text), "an answer"); }

static void note_history(capn_data d)
{
	size_t n = 0;
	while (n < d.len && n < 24 && d.ptr[n] != ' ')
		n++;
	if (hlen + n + 2 >= sizeof(history))
		return;
	if (hlen)
		history[hlen++] = ' ';
	memcpy(history + hlen, d.ptr, n);
	hlen += n;
	history[hlen] = '\0';
}

/* Returns true when the worker should exit. */
static bool serve_echo(const struct capos_call *call)
{
	struct capn_reader r;
	capn_data d = { NULL, 0 };
	if (!capos_msg_read(&r, call->msg, call->msg_len))
		d = capos_Echo_echo_Params_get_data(capos_Echo_echo_Params_read_root(&r));
	if (capn_reader_error(&r)) {
		returned("a bad call", capos_return_exception(call->call_id, -(int)CAPOS_ERROR_CODE_BAD_MESSAGE,
		                                                  "echo: malformed parameters"));
		return false;
	}
	if (!is(d, "cmd:history") && !is(d, "cmd:stats"))
		note_history(d);
	char text[128];
	if (is(d, "cmd:badge")) {
		capos_snprintf(text, sizeof(text), "%llu", (unsigned long long)call->badge);
		reply_text(call->call_id, text);
	} else if (is(d, "cmd:history")) {
		reply_data(call->call_id, history, hlen, "cmd:history");
		hlen = 0;
		history[0] = '\0';
	} else if (is(d, "cmd:stats")) {
		capos_snprintf(text, sizeof(text), "kept=%u cancelled=%u exhausted=%u", nkept, ncancelled, nexhausted);
		reply_text(call->call_id, text);
	} else if (is(d, "cmd:kept")) {
		unsigned ok = 0;
		for (unsigned i = 0; i < nkept; i++)
			ok += null_nop(kept[i]) == 0;
		capos_snprintf(text, sizeof(text), "kept=%u ok=%u", nkept, ok);
		reply_text(call->call_id, text);
	} else if (starts(d, "cmd:sleep:")) {
		unsigned long ms = parse_num(d.ptr + 10, d.len - 10, NULL);
		int err = have_timer ? timer_sleep(timer, (uint64_t)ms * 1000000u) : -(int)CAPOS_ERROR_CODE_NOT_FOUND;
		if (err)
			say("%s: sleep failed: %s\n", me, capos_strerror(err));
		int rerr = reply_data(call->call_id, d.ptr, d.len, "a call answered after sleeping");
		if (!rerr)
			say("%s: answered a call after sleeping %lu ms\n", me, ms);
	} else if (is(d, "cmd:hold")) {
		say("%s: holding a call unanswered\n", me);
	} else if (starts(d, "cmd:raise:")) {
		size_t used;
		unsigned long code = parse_num(d.ptr + 10, d.len - 10, &used);
		size_t at = 10 + used + (10 + used < d.len && d.ptr[10 + used] == ':');
		size_t n = d.len - at < sizeof(text) - 1 ? d.len - at : sizeof(text) - 1;
		memcpy(text, d.ptr + at, n);
		text[n] = '\0';
		returned("an exception", capos_return_exception(call->call_id, -(int)code, text));
	} else if (is(d, "cmd:quit")) {
		reply_text(call->call_id, "bye");
		return true;
	} else if (is(d, "cmd:exit")) {
		say("%s: exiting with calls unanswered\n", me);
		return true;
	} else {
		reply_data(call->call_id, d.ptr, d.len, "an echo");
	}
	return false;
}

static void serve_ping(const struct capos_call *call)
{
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Echo_ping_Results_new_root(&b);
	const void *msg;
	size_t len;
	capos_msg_end(&b, &msg, &len);
	returned("a ping", capos_return(call->call_id, msg, len, NULL, 0));
}

static void serve_swap(const struct capos_call *call)
{
	struct capn_reader r;
	uint32_t idx = CAPN_NULL_CAP;
	if (!capos_msg_read(&r, call->msg, call->msg_len))
		idx = capos_Echo_swap_Params_get_cap(capos_Echo_swap_Params_read_root(&r));
	if (idx != CAPN_NULL_CAP && idx < call->ncaps) {
		int err = null_nop(call->caps[idx]);
		say("%s: swap: NullCap.nop on the capability received: %s\n", me, err ? capos_strerror(err) : "ok");
	}
	nswaps++;
	cap_id_t client = 0;
	int err = endpoint_mint(endpoint, 1000u + nswaps, &client);
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Echo_swap_Results_b res = capos_Echo_swap_Results_new_root(&b);
	struct capos_xfer x = { .cap = client, .mode = CAPOS_XFER_MOVE };
	if (!err)
		capos_Echo_swap_Results_set_cap(res, 0);
	else
		say("%s: swap: cannot mint a client to give back: %s\n", me, capos_strerror(err));
	const void *msg;
	size_t len;
	capos_msg_end(&b, &msg, &len);
	int rerr = returned("a swap", capos_return(call->call_id, msg, len, err ? NULL : &x, err ? 0 : 1));
	if (rerr && !err)
		cap_release(client); /* nothing moved: it is still ours */
}

int main(int argc, char **argv)
{
	if (argc > 0 && argv[0][0])
		me = argv[0];
	have_console = capset_get("console", &console, NULL) == 0;
	have_timer = capset_get("timer", &timer, NULL) == 0;
	have_spare = capset_get("spare", &spare, NULL) == 0;
	if (capset_get("endpoint", &endpoint, NULL)) {
		say("%s: no Endpoint named 'endpoint' was granted\n", me);
		return 2;
	}
	for (;;) {
		struct capos_call call;
		int err = capos_recv(endpoint, rbuf, sizeof(rbuf), &call);
		if (err == -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED && have_spare) {
			nexhausted++;
			say("%s: RECV: %s; giving up a spare capability\n", me, capos_strerror(err));
			cap_release(spare);
			have_spare = false;
			continue;
		}
		if (err) {
			say("%s: RECV failed: %s\n", me, capos_strerror(err));
			return 3;
		}
		for (uint16_t i = 0; i < call.ncaps; i++) {
			if (nkept < MAX_KEPT)
				kept[nkept++] = call.caps[i];
			else
				cap_release(call.caps[i]);
		}
		if (call.method == CAPOS_ECHO_METHOD_ECHO) {
			if (serve_echo(&call))
				return 0;
		} else if (call.method == CAPOS_ECHO_METHOD_PING) {
			serve_ping(&call);
		} else if (call.method == CAPOS_ECHO_METHOD_SWAP) {
			serve_swap(&call);
		} else {
			returned("an unknown method", capos_return_exception(call.call_id,
			                                                     -(int)CAPOS_ERROR_CODE_NO_SUCH_METHOD, "?"));
		}
	}
}
