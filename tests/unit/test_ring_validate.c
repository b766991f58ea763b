/*
 * test_ring_validate.c - ring_validate_sqe (kernel/ring.c), the pure check
 * of one submission queue entry against include/capos/abi/ring.h: which
 * opcodes exist, which flags each may set, which fields each uses (every
 * other field must be zero), the size limits, and which error wins when an
 * entry is wrong in several ways (opcode, then flags, then reserved fields,
 * then sizes: the order ring.c checks them in).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "capos/abi/ring.h"
#include "kernel.h"
#include "ring.h"

/* The error codes are ABI (schema/capos.capnp): pin their values. */
static void test_error_values(void **state)
{
	(void)state;
	assert_int_equal(KERR(BAD_OPCODE), -15);
	assert_int_equal(KERR(BAD_FLAGS), -16);
	assert_int_equal(KERR(RESERVED_NON_ZERO), -17);
	assert_int_equal(KERR(TOO_LARGE), -7);
}

/* ------------------------------------------------------------ the table */

/* Every SQE field except opcode, flags and user_data (which any opcode may
 * set to anything), with a setter that puts `v` (truncated to the field's
 * width) into it. */
enum field {
	FLD_METHOD, FLD_CAP, FLD_IFACE, FLD_MSG, FLD_MSG_LEN, FLD_XFER_COUNT, FLD_XFER,
	FLD_BUF, FLD_BUF_LEN, FLD_TIMEOUT, FLD_COUNT
};

static const char *const field_name[FLD_COUNT] = {
	"method", "cap", "iface", "msg", "msg_len", "xfer_count", "xfer", "buf", "buf_len", "timeout_us",
};

static void set_field(struct capos_sqe *s, enum field f, uint64_t v)
{
	switch (f) {
	case FLD_METHOD: s->method = (uint16_t)v; break;
	case FLD_CAP: s->cap = (uint32_t)v; break;
	case FLD_IFACE: s->iface = v; break;
	case FLD_MSG: s->msg = v; break;
	case FLD_MSG_LEN: s->msg_len = (uint32_t)v; break;
	case FLD_XFER_COUNT: s->xfer_count = (uint32_t)v; break;
	case FLD_XFER: s->xfer = v; break;
	case FLD_BUF: s->buf = v; break;
	case FLD_BUF_LEN: s->buf_len = (uint32_t)v; break;
	case FLD_TIMEOUT: s->timeout_us = (uint32_t)v; break;
	case FLD_COUNT: break;
	}
}

#define U(f) (1u << (f))

/* Which fields each opcode uses (from the comments of struct capos_sqe)
 * and which flags it may set. */
static const struct {
	uint8_t opcode;
	const char *name;
	unsigned used;
	uint8_t flags_ok;
} ops[] = {
	{ CAPOS_OP_NOP, "NOP", 0, 0 },
	{ CAPOS_OP_CALL, "CALL",
	  U(FLD_METHOD) | U(FLD_CAP) | U(FLD_IFACE) | U(FLD_MSG) | U(FLD_MSG_LEN) | U(FLD_XFER_COUNT) |
	  U(FLD_XFER) | U(FLD_BUF) | U(FLD_BUF_LEN) | U(FLD_TIMEOUT), 0 },
	{ CAPOS_OP_RECV, "RECV", U(FLD_CAP) | U(FLD_BUF) | U(FLD_BUF_LEN), 0 },
	{ CAPOS_OP_RETURN, "RETURN", U(FLD_CAP) | U(FLD_MSG) | U(FLD_MSG_LEN) | U(FLD_XFER_COUNT) | U(FLD_XFER),
	  CAPOS_SQE_EXCEPTION },
	{ CAPOS_OP_RELEASE, "RELEASE", U(FLD_CAP), 0 },
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

static struct capos_sqe sqe(uint8_t opcode)
{
	struct capos_sqe s;
	memset(&s, 0, sizeof(s));
	s.opcode = opcode;
	s.user_data = 0x0123456789abcdefull; /* never checked: any value is fine */
	return s;
}

/* A value for a used field that is valid (within the size limits). */
static uint64_t valid_value(enum field f)
{
	switch (f) {
	case FLD_MSG_LEN: return CAPOS_MAX_MSG;
	case FLD_XFER_COUNT: return CAPOS_MAX_XFER;
	default: return UINT64_MAX; /* all ones, truncated to the field */
	}
}

static int validate(const struct capos_sqe *s)
{
	struct capos_sqe copy = *s;
	int r = ring_validate_sqe(s);
	assert_memory_equal(&copy, s, sizeof(copy)); /* it only looks */
	return r;
}

/* ------------------------------------------------------------ valid forms */

static void test_valid_minimal_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < NOPS; i++) {
		struct capos_sqe s = sqe(ops[i].opcode);
		assert_int_equal(validate(&s), 0);
		s.user_data = 0;
		assert_int_equal(validate(&s), 0);
		s.user_data = UINT64_MAX;
		assert_int_equal(validate(&s), 0);
	}
}

/* Every field an opcode uses, at once, at its largest valid value. */
static void test_valid_full_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < NOPS; i++) {
		struct capos_sqe s = sqe(ops[i].opcode);
		for (enum field f = 0; f < FLD_COUNT; f++)
			if (ops[i].used & U(f))
				set_field(&s, f, valid_value(f));
		s.flags = ops[i].flags_ok;
		if (validate(&s) != 0)
			fail_msg("%s with every used field set: %d", ops[i].name, validate(&s));
	}
	/* Concretely. */
	struct capos_sqe call = sqe(CAPOS_OP_CALL);
	call.method = 3;
	call.cap = 0x10002;
	call.iface = 0xc0ffee;
	call.msg = 0x10000000;
	call.msg_len = 64;
	call.xfer = 0x10001000;
	call.xfer_count = 2;
	call.buf = 0x10002000;
	call.buf_len = 4096;
	call.timeout_us = 1000;
	assert_int_equal(validate(&call), 0);
	struct capos_sqe ret = sqe(CAPOS_OP_RETURN);
	ret.cap = 7;
	ret.msg = 0x10000000;
	ret.msg_len = 16;
	ret.flags = CAPOS_SQE_EXCEPTION;
	assert_int_equal(validate(&ret), 0);
	ret.flags = 0;
	assert_int_equal(validate(&ret), 0);
	struct capos_sqe recv = sqe(CAPOS_OP_RECV);
	recv.cap = 0x10001;
	recv.buf = 0x10003000;
	recv.buf_len = UINT32_MAX; /* no limit on buffer sizes */
	assert_int_equal(validate(&recv), 0);
	struct capos_sqe rel = sqe(CAPOS_OP_RELEASE);
	rel.cap = 0x10001;
	assert_int_equal(validate(&rel), 0);
}

/* Each used field alone, non-zero, is accepted. */
static void test_each_used_field_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < NOPS; i++)
		for (enum field f = 0; f < FLD_COUNT; f++) {
			if (!(ops[i].used & U(f)))
				continue;
			struct capos_sqe s = sqe(ops[i].opcode);
			set_field(&s, f, 1);
			if (validate(&s) != 0)
				fail_msg("%s.%s = 1 rejected: %d", ops[i].name, field_name[f], validate(&s));
		}
}

/* ------------------------------------------------------------ opcodes */

static void test_unknown_opcodes(void **state)
{
	(void)state;
	const uint8_t named[] = { 0, 6, 255 };
	for (size_t i = 0; i < sizeof(named); i++) {
		struct capos_sqe s = sqe(named[i]);
		assert_int_equal(validate(&s), KERR(BAD_OPCODE));
	}
	/* Every value outside 1..5. */
	for (unsigned op = 0; op < 256; op++) {
		struct capos_sqe s = sqe((uint8_t)op);
		int want = op >= CAPOS_OP_NOP && op <= CAPOS_OP_RELEASE ? 0 : KERR(BAD_OPCODE);
		if (validate(&s) != want)
			fail_msg("opcode %u: %d, expected %d", op, validate(&s), want);
	}
}

/* ------------------------------------------------------------ flags */

static void test_reserved_flags(void **state)
{
	(void)state;
	for (size_t i = 0; i < NOPS; i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			struct capos_sqe s = sqe(ops[i].opcode);
			s.flags = (uint8_t)(1u << bit);
			int want = (s.flags & ~ops[i].flags_ok) ? KERR(BAD_FLAGS) : 0;
			if (validate(&s) != want)
				fail_msg("%s flags %#x: %d, expected %d", ops[i].name, s.flags, validate(&s), want);
		}
	/* EXCEPTION is legal on RETURN only. */
	struct capos_sqe s = sqe(CAPOS_OP_RETURN);
	s.flags = CAPOS_SQE_EXCEPTION;
	assert_int_equal(validate(&s), 0);
	s.flags = CAPOS_SQE_EXCEPTION | 0x80;
	assert_int_equal(validate(&s), KERR(BAD_FLAGS));
	s.flags = 0xff;
	assert_int_equal(validate(&s), KERR(BAD_FLAGS));
	const uint8_t others[] = { CAPOS_OP_NOP, CAPOS_OP_CALL, CAPOS_OP_RECV, CAPOS_OP_RELEASE };
	for (size_t i = 0; i < sizeof(others); i++) {
		s = sqe(others[i]);
		s.flags = CAPOS_SQE_EXCEPTION;
		assert_int_equal(validate(&s), KERR(BAD_FLAGS));
	}
}

/* ------------------------------------------------------------ reserved fields */

/* Table-driven: opcodes x fields. A field the opcode does not use, set to
 * a small or an all-ones value, is -reservedNonZero. */
static void test_unused_fields_must_be_zero(void **state)
{
	(void)state;
	const uint64_t values[] = { 1, 0x80, UINT64_MAX };
	unsigned checked = 0;
	for (size_t i = 0; i < NOPS; i++)
		for (enum field f = 0; f < FLD_COUNT; f++) {
			if (ops[i].used & U(f))
				continue;
			for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
				struct capos_sqe s = sqe(ops[i].opcode);
				set_field(&s, f, values[v]);
				if (validate(&s) != KERR(RESERVED_NON_ZERO))
					fail_msg("%s.%s = %#llx: %d, expected -reservedNonZero", ops[i].name,
					         field_name[f], (unsigned long long)values[v], validate(&s));
				checked++;
			}
		}
	/* NOP 10 fields, CALL 0, RECV 7, RETURN 5, RELEASE 9: 31 pairs. */
	assert_int_equal(checked, 31 * 3);
}

/* Every byte of the entry is either a field some opcode uses or opcode,
 * flags and user_data: setting any single byte of an all-zero NOP other
 * than those is caught (no byte of the 64 goes unchecked). */
static void test_every_byte_of_nop_checked(void **state)
{
	(void)state;
	for (size_t off = 0; off < sizeof(struct capos_sqe); off++) {
		if (off == offsetof(struct capos_sqe, opcode))
			continue;
		struct capos_sqe s = sqe(CAPOS_OP_NOP);
		((uint8_t *)&s)[off] = 0x01;
		int want = off == offsetof(struct capos_sqe, flags) ? KERR(BAD_FLAGS)
		         : off >= offsetof(struct capos_sqe, user_data) &&
		                   off < offsetof(struct capos_sqe, user_data) + 8 ? 0
		         : KERR(RESERVED_NON_ZERO);
		if (validate(&s) != want)
			fail_msg("NOP with byte %zu set: %d, expected %d", off, validate(&s), want);
	}
}

/* ------------------------------------------------------------ sizes */

static void test_size_limits(void **state)
{
	(void)state;
	const uint8_t with_msg[] = { CAPOS_OP_CALL, CAPOS_OP_RETURN };
	for (size_t i = 0; i < sizeof(with_msg); i++) {
		struct capos_sqe s = sqe(with_msg[i]);
		s.msg_len = CAPOS_MAX_MSG;
		assert_int_equal(validate(&s), 0);
		s.msg_len = CAPOS_MAX_MSG + 1;
		assert_int_equal(validate(&s), KERR(TOO_LARGE));
		s.msg_len = UINT32_MAX;
		assert_int_equal(validate(&s), KERR(TOO_LARGE));
		s = sqe(with_msg[i]);
		s.xfer_count = CAPOS_MAX_XFER;
		assert_int_equal(validate(&s), 0);
		s.xfer_count = CAPOS_MAX_XFER + 1;
		assert_int_equal(validate(&s), KERR(TOO_LARGE));
		s.xfer_count = UINT32_MAX;
		assert_int_equal(validate(&s), KERR(TOO_LARGE));
		s.msg_len = CAPOS_MAX_MSG + 1;
		assert_int_equal(validate(&s), KERR(TOO_LARGE));
	}
}

/* ------------------------------------------------------------ precedence */

static void test_error_precedence(void **state)
{
	(void)state;
	struct capos_sqe s;

	/* badOpcode beats everything: flags, reserved fields, sizes. */
	s = sqe(0);
	s.flags = 0xff;
	s.method = 1;
	s.msg_len = UINT32_MAX;
	s.xfer_count = UINT32_MAX;
	assert_int_equal(validate(&s), KERR(BAD_OPCODE));
	s.opcode = 6;
	assert_int_equal(validate(&s), KERR(BAD_OPCODE));

	/* badFlags beats reservedNonZero and tooLarge. */
	s = sqe(CAPOS_OP_NOP);
	s.flags = CAPOS_SQE_EXCEPTION;
	s.cap = 1;
	assert_int_equal(validate(&s), KERR(BAD_FLAGS));
	s = sqe(CAPOS_OP_CALL);
	s.flags = CAPOS_SQE_EXCEPTION;
	s.msg_len = CAPOS_MAX_MSG + 1;
	assert_int_equal(validate(&s), KERR(BAD_FLAGS));
	s = sqe(CAPOS_OP_RETURN);
	s.flags = 0x02;
	s.method = 1;
	s.xfer_count = CAPOS_MAX_XFER + 1;
	assert_int_equal(validate(&s), KERR(BAD_FLAGS));

	/* reservedNonZero beats tooLarge: an oversized length in a field the
	 * opcode does not use is a reserved field first. */
	s = sqe(CAPOS_OP_NOP);
	s.msg_len = CAPOS_MAX_MSG + 1;
	assert_int_equal(validate(&s), KERR(RESERVED_NON_ZERO));
	s = sqe(CAPOS_OP_RECV);
	s.xfer_count = CAPOS_MAX_XFER + 1;
	assert_int_equal(validate(&s), KERR(RESERVED_NON_ZERO));
	s = sqe(CAPOS_OP_RETURN);
	s.flags = CAPOS_SQE_EXCEPTION;
	s.timeout_us = 5;
	s.msg_len = CAPOS_MAX_MSG + 1;
	assert_int_equal(validate(&s), KERR(RESERVED_NON_ZERO));
	s = sqe(CAPOS_OP_CALL);
	s.msg_len = CAPOS_MAX_MSG + 1; /* CALL uses every field: only the size is wrong */
	s.method = 0xffff;
	assert_int_equal(validate(&s), KERR(TOO_LARGE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_values),
		cmocka_unit_test(test_valid_minimal_forms),
		cmocka_unit_test(test_valid_full_forms),
		cmocka_unit_test(test_each_used_field_accepted),
		cmocka_unit_test(test_unknown_opcodes),
		cmocka_unit_test(test_reserved_flags),
		cmocka_unit_test(test_unused_fields_must_be_zero),
		cmocka_unit_test(test_every_byte_of_nop_checked),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_error_precedence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
