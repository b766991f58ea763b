/*
 * demo-check.h - helpers the demos that check many things share (spawn-smoke,
 * frame-allocator-cleanup, virtual-memory, churn, endpoint-roundtrip,
 * ipc-failures, transfer-copy-move include it).
 *
 * - One console line per check: "WHO: WHAT: ok", or "...: FAILED (why)";
 *   dc_failed counts the failures so main can exit non-zero.
 * - dc_check_why: the same with the reason a check failed, in parentheses
 *   (endpoint-roundtrip, ipc-failures, transfer-copy-move).
 * - dc_expect: an operation's result must be one exact error (or 0).
 * - dc_probe: whether a CapId names a live hold, without side effects: a
 *   CALL of a method ordinal no interface has answers noSuchMethod through
 *   a live hold and staleCap through anything else (docs/abi.md: the hold is
 *   looked up before the method).
 * - dc_call: a call that keeps the kernel's CapException text.
 * - dc_spawn: ProcessSpawner.spawn built by hand, so a test can send what
 *   libcapos never would (bad modes and scopes), and read the reason.
 * - Echo client and server helpers for the IPC the demos use to synchronise.
 *
 * Header-only (static functions): each demo is its own binary.
 */
#ifndef DEMO_CHECK_H
#define DEMO_CHECK_H

#include <capos/capos.h>

#define DC_ERR(name) (-(int)CAPOS_ERROR_CODE_##name)
#define DC_MS 1000000ull
/* Not every demo uses every helper. */
#define DC_FN static inline __attribute__((unused))

static cap_id_t dc_console __attribute__((unused));
static const char *dc_who __attribute__((unused)) = "?";
static int dc_checks __attribute__((unused)), dc_failed __attribute__((unused));

DC_FN void dc_vline(const char *fmt, va_list ap)
{
	char buf[320];
	capos_vsnprintf(buf, sizeof(buf), fmt, ap);
	if (dc_console)
		console_printf(dc_console, "%s: %s\n", dc_who, buf);
}

DC_FN void __attribute__((format(printf, 1, 2))) dc_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dc_vline(fmt, ap);
	va_end(ap);
}

/* One check. `fmt` says what was checked; ok or FAILED follows it. */
DC_FN bool __attribute__((format(printf, 2, 3))) dc_check(bool ok, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	capos_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	dc_checks++;
	if (!ok)
		dc_failed++;
	dc_say("%s: %s", what, ok ? "ok" : "FAILED");
	return ok;
}

DC_FN const char *dc_errname(int err) { return err == 0 ? "ok" : capos_strerror(err); }

/* One check with its reason: "WHO: WHAT: ok", or "WHO: WHAT: FAILED (WHY)"
 * with `why_fmt` (which may be NULL) filled in only when it failed. */
DC_FN bool __attribute__((format(printf, 3, 4))) dc_check_why(bool ok, const char *what, const char *why_fmt, ...)
{
	char why[200] = "";
	if (!ok && why_fmt) {
		va_list ap;
		va_start(ap, why_fmt);
		capos_vsnprintf(why, sizeof(why), why_fmt, ap);
		va_end(ap);
	}
	dc_checks++;
	if (ok) {
		dc_say("%s: ok", what);
		return true;
	}
	dc_failed++;
	dc_say("%s: FAILED (%s)", what, why);
	return false;
}

/* `got` must be exactly `want` (0 or a negated ErrorCode). */
DC_FN bool __attribute__((format(printf, 3, 4))) dc_expect(int got, int want, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	capos_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	dc_checks++;
	if (got == want) {
		dc_say("%s -> %s: ok", what, dc_errname(want));
		return true;
	}
	dc_failed++;
	dc_say("%s -> %s (expected %s): FAILED", what, dc_errname(got), dc_errname(want));
	return false;
}

/* ------------------------------------------------------------ holds */

/* noSuchMethod: cap is a live hold; staleCap: it is not. */
DC_FN int dc_probe(cap_id_t cap)
{
	uint8_t answer[256] __attribute__((aligned(8)));
	struct cap_call_args a = { .cap = cap, .method = 0xffff, .result = answer, .result_len = sizeof(answer) };
	struct cap_call_result r;
	return cap_call_ex(capos_ring(), &a, &r);
}

DC_FN bool dc_alive(cap_id_t cap) { return dc_probe(cap) == DC_ERR(NO_SUCH_METHOD); }

DC_FN const char *dc_iface_name(uint64_t iface)
{
	const struct capn_interface_info *info = capos_interface_by_id(iface);
	return info ? info->name : "?";
}

/* ------------------------------------------------------------ calls */

/* Call and keep the exception text (why, NUL-terminated; "" if none). */
DC_FN int dc_call(struct cap_call_args *a, struct cap_call_result *res, char *why, size_t whylen)
{
	int err = cap_call_ex(capos_ring(), a, res);
	if (why && whylen) {
		why[0] = '\0';
		if (err && res->exception) {
			capn_text t = capos_exception_text(res);
			size_t n = t.len < whylen - 1 ? t.len : whylen - 1;
			memcpy(why, t.str, n);
			why[n] = '\0';
		}
	}
	return err;
}

/* A spawn grant as the wire carries it (mode and scope unchecked here). */
struct dc_grant {
	const char *name;
	cap_id_t cap;
	unsigned mode;  /* CAPOS_TRANSFER_MODE_COPY / _MOVE, or anything */
	unsigned scope; /* CAPOS_CAP_SCOPE_PROCESS / _SESSION, or anything */
};

static uint8_t __attribute__((unused)) dc_spawn_arena[16384] __attribute__((aligned(8)));

DC_FN int dc_spawn(cap_id_t spawner, const char *name, const char *binary, const struct dc_grant *g, uint32_t n,
                    const struct capos_quota *q, cap_id_t *handle, char *why, size_t whylen)
{
	struct capn_builder b;
	capn_builder_init(&b, dc_spawn_arena, sizeof(dc_spawn_arena));
	capos_ProcessSpawner_spawn_Params_b p = capos_ProcessSpawner_spawn_Params_new_root(&b);
	capos_ProcessSpawner_spawn_Params_set_name(p, name, strlen(name));
	capos_ProcessSpawner_spawn_Params_set_binary(p, binary, strlen(binary));
	capos_CapGrant_list_b gl = capos_ProcessSpawner_spawn_Params_init_grants(p, n);
	for (uint32_t i = 0; i < n; i++) {
		capos_CapGrant_b e = capos_CapGrant_list_at(gl, i);
		capos_CapGrant_set_name(e, g[i].name, strlen(g[i].name));
		capos_CapGrant_set_cap(e, g[i].cap);
		capos_CapGrant_set_mode(e, (enum capos_TransferMode)g[i].mode);
		capos_CapGrant_set_scope(e, (enum capos_CapScope)g[i].scope);
	}
	if (q) {
		capos_Quota_b qb = capos_ProcessSpawner_spawn_Params_init_quota(p);
		capos_Quota_set_capSlots(qb, q->cap_slots);
		capos_Quota_set_outstandingCalls(qb, q->outstanding_calls);
		capos_Quota_set_memoryPages(qb, q->memory_pages);
		capos_Quota_set_children(qb, q->children);
	}
	const void *msg;
	size_t len;
	int err = capos_msg_end(&b, &msg, &len);
	if (err)
		return err;
	uint8_t answer[512] __attribute__((aligned(8)));
	struct cap_call_args a = { .cap = spawner, .iface = CAPOS_PROCESS_SPAWNER_INTERFACE_ID,
	                           .method = CAPOS_PROCESS_SPAWNER_METHOD_SPAWN, .params = msg, .params_len = len,
	                           .result = answer, .result_len = sizeof(answer) };
	struct cap_call_result res;
	err = dc_call(&a, &res, why, whylen);
	if (err)
		return err;
	if (res.ncaps != 1)
		return DC_ERR(INTERNAL);
	*handle = res.caps[0];
	return 0;
}

/* How a child ended, as one short text. */
DC_FN const char *dc_status(const struct capos_exit *st, char *buf, size_t len)
{
	if (st->how == CAPOS_EXIT_STATUS_WHICH_CODE)
		capos_snprintf(buf, len, "code %d", st->code);
	else if (st->how == CAPOS_EXIT_STATUS_WHICH_FAULT)
		capos_snprintf(buf, len, "fault \"%s\"", st->fault);
	else if (st->how == CAPOS_EXIT_STATUS_WHICH_KILLED)
		capos_snprintf(buf, len, "killed");
	else
		capos_snprintf(buf, len, "unknown end %u", st->how);
	return buf;
}

DC_FN bool dc_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	return strlen(s) >= n && memcmp(s, prefix, n) == 0;
}

DC_FN bool dc_contains(const char *s, const char *needle)
{
	size_t n = strlen(needle), m = strlen(s);
	for (size_t i = 0; i + n <= m; i++)
		if (memcmp(s + i, needle, n) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ Echo */

/* Echo.echo through `cap` carrying `data` and `nx` capabilities; the
 * answer's bytes go to out (NUL-terminated), its capabilities to caps. */
DC_FN int dc_echo(cap_id_t cap, const char *data, const struct capos_xfer *x, uint32_t nx, char *out,
                   size_t outlen, cap_id_t *caps, uint16_t *ncaps)
{
	uint8_t arena[512] __attribute__((aligned(8))), answer[1024] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Echo_echo_Params_set_data(capos_Echo_echo_Params_new_root(&b), data, strlen(data));
	const void *msg;
	size_t len;
	int err = capos_msg_end(&b, &msg, &len);
	if (err)
		return err;
	struct cap_call_args a = { .cap = cap, .method = CAPOS_ECHO_METHOD_ECHO, .params = msg, .params_len = len,
	                           .xfer = x, .nxfer = nx, .result = answer, .result_len = sizeof(answer) };
	struct cap_call_result res;
	if ((err = cap_call_ex(capos_ring(), &a, &res)))
		return err;
	if (ncaps)
		*ncaps = res.ncaps;
	for (uint16_t i = 0; caps && i < res.ncaps; i++)
		caps[i] = res.caps[i];
	if (out && outlen) {
		struct capn_reader r;
		capn_data d = { NULL, 0 };
		if (res.msg && !capos_msg_read(&r, res.msg, res.msg_len))
			d = capos_Echo_echo_Results_get_data(capos_Echo_echo_Results_read_root(&r));
		size_t n = d.len < outlen - 1 ? d.len : outlen - 1;
		if (n)
			memcpy(out, d.ptr, n);
		out[n] = '\0';
	}
	return 0;
}

/* The data of a received Echo.echo call (NUL-terminated into out). */
DC_FN void dc_call_data(const struct capos_call *call, char *out, size_t outlen)
{
	struct capn_reader r;
	capn_data d = { NULL, 0 };
	if (call->method == CAPOS_ECHO_METHOD_ECHO && !capos_msg_read(&r, call->msg, call->msg_len))
		d = capos_Echo_echo_Params_get_data(capos_Echo_echo_Params_read_root(&r));
	size_t n = d.len < outlen - 1 ? d.len : outlen - 1;
	if (n)
		memcpy(out, d.ptr, n);
	out[n] = '\0';
}

/* Answer a received Echo.echo with `data` and capabilities. */
DC_FN int dc_echo_return(uint32_t call_id, const char *data, const struct capos_xfer *x, uint32_t nx)
{
	uint8_t arena[512] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Echo_echo_Results_set_data(capos_Echo_echo_Results_new_root(&b), data, strlen(data));
	const void *msg;
	size_t len;
	int err = capos_msg_end(&b, &msg, &len);
	return err ? err : capos_return(call_id, msg, len, x, nx);
}

/* Parse a decimal number at the start of s. */
DC_FN long dc_atol(const char *s)
{
	long v = 0;
	bool neg = *s == '-';
	if (neg)
		s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}

#endif /* DEMO_CHECK_H */
