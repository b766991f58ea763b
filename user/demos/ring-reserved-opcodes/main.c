/*
 * ring-reserved-opcodes - the kernel's SQE validation is total and exact.
 *
 * Every malformed SQE completes with one precise error and changes nothing
 * else: reserved opcodes (0, 6, 255) are -badOpcode; a flag an opcode does
 * not define is -badFlags; a non-zero field an opcode does not use is
 * -reservedNonZero; msg_len > CAPOS_MAX_MSG or xfer_count > CAPOS_MAX_XFER is
 * -tooLarge. The checks run in that order (an SQE with several problems gets
 * the first). Rejected CALLs and RELEASEs target the real console capability,
 * so a validation hole would be visible: the console would print a
 * "must-not-print" line, or be released and stop working. At the end the
 * process still works: a console write succeeds.
 *
 * One console line per case: "ring-reserved-opcodes: CASE -> ERROR: ok" (or
 * "... FAIL: got ..."). The exit code is the number of failed cases.
 */
#include <capos/capos.h>

#define E(code) (-(int32_t)CAPOS_ERROR_CODE_##code)
#define BAD_PTR 0x1000ull /* never dereferenced: validation comes first */

static cap_id_t console;
static cap_ring_t *ring;
static int failures;
static uint64_t next_ud = 0x5eed0000;

/* Submit one SQE, wait for its completion and return its result. */
static int32_t submit_one(const struct capos_sqe *t, bool *echoed)
{
	struct capos_sqe *s = capos_ring_sqe(ring);
	if (!s) {
		*echoed = false;
		return INT32_MIN;
	}
	uint64_t ud = next_ud++;
	*s = *t;
	s->user_data = ud;
	capos_ring_submit(ring);
	struct capos_cqe c = { 0 };
	int err = capos_ring_wait(ring, ud, &c);
	*echoed = err == 0 && c.user_data == ud && c.flags == 0;
	return err ? err : c.result;
}

static void expect(const char *what, struct capos_sqe sqe, int32_t want)
{
	bool echoed;
	int32_t got = submit_one(&sqe, &echoed);
	if (got == want && echoed) {
		console_printf(console, "ring-reserved-opcodes: %s -> %s: ok\n", what, capos_strerror(want));
		return;
	}
	failures++;
	console_printf(console, "ring-reserved-opcodes: %s -> %s: FAIL: got %d (%s)%s\n", what, capos_strerror(want),
	               got, got < 0 ? capos_strerror(got) : "success", echoed ? "" : ", user_data not echoed");
}

/* A well-formed Console.writeLine message (for CALLs that must be refused). */
static const void *line_msg;
static uint32_t line_len;
static uint8_t answer[64] __attribute__((aligned(8)));
static struct capos_xfer xfers[64];
static uint8_t big[CAPOS_MAX_MSG + 8] __attribute__((aligned(8)));

static struct capos_sqe call_sqe(void)
{
	return (struct capos_sqe){ .opcode = CAPOS_OP_CALL, .cap = console, .method = CAPOS_CONSOLE_METHOD_WRITE_LINE,
	                           .msg = (uint64_t)line_msg, .msg_len = line_len,
	                           .buf = (uint64_t)answer, .buf_len = sizeof(answer) };
}

static void bad_opcodes(void)
{
	expect("opcode 0", (struct capos_sqe){ .opcode = 0 }, E(BAD_OPCODE));
	expect("opcode 6", (struct capos_sqe){ .opcode = 6 }, E(BAD_OPCODE));
	expect("opcode 255", (struct capos_sqe){ .opcode = 255 }, E(BAD_OPCODE));
	struct capos_sqe s = call_sqe();
	s.opcode = 6;
	s.flags = 0xff;
	expect("opcode 6 with a CALL's fields and every flag", s, E(BAD_OPCODE));
}

static void bad_flags(void)
{
	expect("NOP flags 0x01", (struct capos_sqe){ .opcode = CAPOS_OP_NOP, .flags = 0x01 }, E(BAD_FLAGS));
	expect("NOP flags 0x80", (struct capos_sqe){ .opcode = CAPOS_OP_NOP, .flags = 0x80 }, E(BAD_FLAGS));
	expect("NOP flags 0x01 and method 1 (flags first)",
	       (struct capos_sqe){ .opcode = CAPOS_OP_NOP, .flags = 0x01, .method = 1 }, E(BAD_FLAGS));
	struct capos_sqe s = call_sqe();
	s.flags = 0x01;
	expect("CALL console.writeLine flags 0x01", s, E(BAD_FLAGS));
	s.flags = 0x02;
	expect("CALL console.writeLine flags 0x02", s, E(BAD_FLAGS));
	expect("RECV flags 0x01",
	       (struct capos_sqe){ .opcode = CAPOS_OP_RECV, .flags = 0x01, .cap = console, .buf = (uint64_t)answer,
	                           .buf_len = sizeof(answer) },
	       E(BAD_FLAGS));
	expect("RELEASE console flags 0x01", (struct capos_sqe){ .opcode = CAPOS_OP_RELEASE, .flags = 0x01, .cap = console },
	       E(BAD_FLAGS));
	expect("RETURN flags 0x02", (struct capos_sqe){ .opcode = CAPOS_OP_RETURN, .flags = 0x02 }, E(BAD_FLAGS));
	expect("RETURN flags 0x81", (struct capos_sqe){ .opcode = CAPOS_OP_RETURN, .flags = 0x81 }, E(BAD_FLAGS));
	expect("RETURN flags 0xff", (struct capos_sqe){ .opcode = CAPOS_OP_RETURN, .flags = 0xff }, E(BAD_FLAGS));
	/* The one defined flag passes validation (and then names no call). */
	expect("RETURN flags EXCEPTION (valid) for call 0",
	       (struct capos_sqe){ .opcode = CAPOS_OP_RETURN, .flags = CAPOS_SQE_EXCEPTION }, E(NOT_FOUND));
}

/* Each field an opcode may not use, set alone on a template. */
enum { F_METHOD, F_CAP, F_IFACE, F_MSG, F_MSG_LEN, F_XFER, F_XFER_COUNT, F_BUF, F_BUF_LEN, F_TIMEOUT, F_COUNT };
static const char *const field_names[F_COUNT] = {
	"method", "cap", "iface", "msg", "msg_len", "xfer", "xfer_count", "buf", "buf_len", "timeout_us",
};

static void set_field(struct capos_sqe *s, int f)
{
	switch (f) {
	case F_METHOD: s->method = 1; break;
	case F_CAP: s->cap = console; break;
	case F_IFACE: s->iface = CAPOS_CONSOLE_INTERFACE_ID; break;
	case F_MSG: s->msg = BAD_PTR; break;
	case F_MSG_LEN: s->msg_len = 8; break;
	case F_XFER: s->xfer = (uint64_t)xfers; break;
	case F_XFER_COUNT: s->xfer_count = 1; break;
	case F_BUF: s->buf = (uint64_t)answer; break;
	case F_BUF_LEN: s->buf_len = sizeof(answer); break;
	case F_TIMEOUT: s->timeout_us = 1000; break;
	}
}

static void reserved_fields(const char *opname, struct capos_sqe base, unsigned unused_mask)
{
	for (int f = 0; f < F_COUNT; f++) {
		if (!(unused_mask & (1u << f)))
			continue;
		struct capos_sqe s = base;
		set_field(&s, f);
		char what[96];
		capos_snprintf(what, sizeof(what), "%s with %s set", opname, field_names[f]);
		expect(what, s, E(RESERVED_NON_ZERO));
	}
}

#define ALL_FIELDS ((1u << F_COUNT) - 1)
#define BIT(f) (1u << (f))

static void reserved_non_zero(void)
{
	reserved_fields("NOP", (struct capos_sqe){ .opcode = CAPOS_OP_NOP }, ALL_FIELDS);
	/* RELEASE of the real console: if any of these went through, the final
	 * console write would fail. */
	reserved_fields("RELEASE console", (struct capos_sqe){ .opcode = CAPOS_OP_RELEASE, .cap = console },
	                ALL_FIELDS & ~BIT(F_CAP));
	reserved_fields("RECV on console",
	                (struct capos_sqe){ .opcode = CAPOS_OP_RECV, .cap = console, .buf = (uint64_t)answer,
	                                    .buf_len = sizeof(answer) },
	                ALL_FIELDS & ~(BIT(F_CAP) | BIT(F_BUF) | BIT(F_BUF_LEN)));
	reserved_fields("RETURN call 0", (struct capos_sqe){ .opcode = CAPOS_OP_RETURN },
	                BIT(F_METHOD) | BIT(F_IFACE) | BIT(F_BUF) | BIT(F_BUF_LEN) | BIT(F_TIMEOUT));
	/* Reserved fields are checked before sizes. */
	expect("NOP with method set and msg_len > CAPOS_MAX_MSG",
	       (struct capos_sqe){ .opcode = CAPOS_OP_NOP, .method = 1, .msg_len = CAPOS_MAX_MSG + 1 },
	       E(RESERVED_NON_ZERO));
}

static void too_large(void)
{
	struct capos_sqe s = call_sqe();
	s.msg = (uint64_t)big;
	s.msg_len = CAPOS_MAX_MSG + 1;
	expect("CALL console.writeLine msg_len CAPOS_MAX_MSG+1", s, E(TOO_LARGE));
	s.msg_len = UINT32_MAX;
	expect("CALL console.writeLine msg_len 0xffffffff", s, E(TOO_LARGE));
	s = call_sqe();
	s.xfer = (uint64_t)xfers;
	s.xfer_count = CAPOS_MAX_XFER + 1;
	expect("CALL console.writeLine xfer_count CAPOS_MAX_XFER+1", s, E(TOO_LARGE));
	s.xfer_count = UINT32_MAX;
	expect("CALL console.writeLine xfer_count 0xffffffff", s, E(TOO_LARGE));
	struct capos_sqe r = { .opcode = CAPOS_OP_RETURN, .msg = (uint64_t)big, .msg_len = CAPOS_MAX_MSG + 1 };
	expect("RETURN msg_len CAPOS_MAX_MSG+1", r, E(TOO_LARGE));
	r = (struct capos_sqe){ .opcode = CAPOS_OP_RETURN, .xfer = (uint64_t)xfers, .xfer_count = CAPOS_MAX_XFER + 1 };
	expect("RETURN xfer_count CAPOS_MAX_XFER+1", r, E(TOO_LARGE));
	/* The limits themselves are allowed: these pass validation (and then
	 * name no call). */
	r = (struct capos_sqe){ .opcode = CAPOS_OP_RETURN, .msg = (uint64_t)big, .msg_len = CAPOS_MAX_MSG };
	expect("RETURN msg_len CAPOS_MAX_MSG (the limit) for call 0", r, E(NOT_FOUND));
	r = (struct capos_sqe){ .opcode = CAPOS_OP_RETURN, .xfer = (uint64_t)xfers, .xfer_count = CAPOS_MAX_XFER };
	expect("RETURN xfer_count CAPOS_MAX_XFER (the limit) for call 0", r, E(NOT_FOUND));
}

int main(void)
{
	if (capset_get("console", &console, NULL) != 0)
		return 100;
	ring = capos_ring();

	static uint8_t arena[256] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	static const char text[] = "ring-reserved-opcodes: must-not-print: a refused CALL reached the console";
	capos_Console_writeLine_Params_set_text(capos_Console_writeLine_Params_new_root(&b), text, sizeof(text) - 1);
	size_t len;
	if (capos_msg_end(&b, &line_msg, &len) != 0)
		return 101;
	line_len = (uint32_t)len;

	bad_opcodes();
	bad_flags();
	reserved_non_zero();
	too_large();

	/* Nothing above changed anything: the console still works. */
	int err = console_write_line(console, "ring-reserved-opcodes: after every refused SQE the console still works");
	if (err)
		failures++;
	/* And a well-formed SQE still completes normally. */
	bool echoed;
	int32_t nop = submit_one(&(struct capos_sqe){ .opcode = CAPOS_OP_NOP }, &echoed);
	if (nop != 0 || !echoed)
		failures++;
	console_printf(console, "ring-reserved-opcodes: %s (%d failed)\n", failures ? "FAILED" : "all checks passed",
	               failures);
	return failures;
}
