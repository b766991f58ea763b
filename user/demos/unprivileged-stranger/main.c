/*
 * unprivileged-stranger - a process granted no capabilities can do nothing:
 * every operation fails closed with the documented error.
 *
 * Two services, one binary:
 *
 *   stranger (init, caps = [])  Its CapSet is empty. It forges CapIds (0, 1,
 *       the ids the kernel gives out first such as 0x00010000 and
 *       0x00010001, the largest index and generation...) and tries every
 *       operation with them: CALL with various interfaces and methods,
 *       RELEASE and RECV (-staleCap each); RETURN for made-up call ids
 *       (-notFound); CALLs with bad buffers - a null or kernel-half message,
 *       result buffer or transfer list - which still fail with -staleCap
 *       because the capability is checked first; unknown system call numbers
 *       (-invalidArgument). At the end its CapSet is still empty and a NOP
 *       still works.
 *       It has no console, so its exit code is its report: being init, that
 *       code is capos-sim's exit status ("[kernel] init exited with code N").
 *       0 means every check passed; otherwise N names the first group that
 *       failed: 10 CapSet, 20 CALL, 30 RELEASE, 40 RECV, 50 RETURN, 60 bad
 *       buffers, 70 system calls, 80 the final state.
 *   holder (console, timer)  Holds real capabilities at the ids the
 *       stranger forges (in its own table), says so, and after the
 *       stranger's attempts shows both still work.
 *
 * The stranger sleeps with cap_enter's timeout (it has no timer) before its
 * checks, so the holder speaks first, and after them, so the holder can
 * speak again before init's exit ends the system.
 */
#include <capos/capos.h>

#define E(code) (-(int32_t)CAPOS_ERROR_CODE_##code)
#define MS 1000000ull

static const uint32_t forged[] = {
	0x00000000, 0x00000001, 0x00010000, 0x00010001, 0x00020000, 0x00010002,
	0x0001ffff, 0x7fff0001, 0xffff0000, 0xffffffff,
};
#define NFORGED (sizeof(forged) / sizeof(forged[0]))

/* ------------------------------------------------------------ stranger */

static cap_ring_t *ring;
static int first_failure;
static uint64_t next_ud = 0x7700000000ull;

static void fail(int group)
{
	if (!first_failure)
		first_failure = group;
}

/* Submit one SQE; return its result, or INT32_MIN if the completion is
 * missing or is not this SQE's. */
static int32_t run(struct capos_sqe t)
{
	struct capos_sqe *s = capos_ring_sqe(ring);
	if (!s)
		return INT32_MIN;
	uint64_t ud = next_ud++;
	t.user_data = ud;
	*s = t;
	capos_ring_submit(ring);
	if (sys_cap_enter(1, CAPOS_WAIT_FOREVER) != 1)
		return INT32_MIN;
	struct capos_cqe c;
	if (!capos_ring_next_cqe(ring, &c) || c.user_data != ud || c.flags != 0)
		return INT32_MIN;
	return c.result;
}

static void expect(int group, struct capos_sqe s, int32_t want)
{
	if (run(s) != want)
		fail(group);
}

static uint8_t answer[256] __attribute__((aligned(8)));
static struct capos_xfer xfer[2];
static const uint8_t empty_msg[16] __attribute__((aligned(8))) = { 0, 0, 0, 0, 1, 0, 0, 0 };
#define KERNEL_HALF 0xffff800000000000ull

static int stranger(void)
{
	ring = capos_ring();
	/* Let the holder speak first. */
	if (sys_cap_enter(1, 100 * MS) != 0)
		fail(10);

	/* 10: nothing granted. */
	const struct capos_capset *cs = capos_capset();
	cap_id_t cap = 0;
	if (cs->cap_count != 0 || capset_get("console", &cap, NULL) != E(NOT_FOUND) ||
	    capset_get("timer", &cap, NULL) != E(NOT_FOUND) || capset_iter(NULL, NULL) != 0)
		fail(10);

	/* 20: CALL with every forged id, several interfaces and methods. */
	static const uint64_t ifaces[] = { 0, CAPOS_CONSOLE_INTERFACE_ID, CAPOS_TIMER_INTERFACE_ID,
	                                   CAPOS_NULL_CAP_INTERFACE_ID, ~0ull };
	static const uint16_t methods[] = { 0, 1, 2, 0xffff };
	for (size_t i = 0; i < NFORGED; i++)
		for (size_t f = 0; f < sizeof(ifaces) / sizeof(ifaces[0]); f++)
			for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++)
				expect(20,
				       (struct capos_sqe){ .opcode = CAPOS_OP_CALL, .cap = forged[i], .iface = ifaces[f],
				                           .method = methods[m], .msg = (uint64_t)empty_msg,
				                           .msg_len = sizeof(empty_msg), .buf = (uint64_t)answer,
				                           .buf_len = sizeof(answer) },
				       E(STALE_CAP));

	/* 30: RELEASE. 40: RECV. */
	for (size_t i = 0; i < NFORGED; i++) {
		expect(30, (struct capos_sqe){ .opcode = CAPOS_OP_RELEASE, .cap = forged[i] }, E(STALE_CAP));
		expect(40,
		       (struct capos_sqe){ .opcode = CAPOS_OP_RECV, .cap = forged[i], .buf = (uint64_t)answer,
		                           .buf_len = sizeof(answer) },
		       E(STALE_CAP));
	}

	/* 50: RETURN for calls that were never delivered to it. */
	static const uint32_t call_ids[] = { 0, 1, 2, 0x00010000, 0xffffffff };
	for (size_t i = 0; i < sizeof(call_ids) / sizeof(call_ids[0]); i++) {
		expect(50, (struct capos_sqe){ .opcode = CAPOS_OP_RETURN, .cap = call_ids[i] }, E(NOT_FOUND));
		expect(50,
		       (struct capos_sqe){ .opcode = CAPOS_OP_RETURN, .cap = call_ids[i], .msg = (uint64_t)empty_msg,
		                           .msg_len = sizeof(empty_msg) },
		       E(NOT_FOUND));
		expect(50,
		       (struct capos_sqe){ .opcode = CAPOS_OP_RETURN, .flags = CAPOS_SQE_EXCEPTION, .cap = call_ids[i],
		                           .msg = KERNEL_HALF, .msg_len = 64 },
		       E(NOT_FOUND));
	}

	/* 60: bad buffers with a capability it does not have: the capability
	 * is checked first, so no address is ever looked at. */
	static const uint64_t bad_ptrs[] = { 0, 8, KERNEL_HALF, 0xffffffffffffff00ull };
	for (size_t i = 0; i < sizeof(bad_ptrs) / sizeof(bad_ptrs[0]); i++) {
		uint64_t p = bad_ptrs[i];
		for (size_t k = 0; k < NFORGED; k += 3) {
			uint32_t c = forged[k];
			expect(60, (struct capos_sqe){ .opcode = CAPOS_OP_CALL, .cap = c, .msg = p, .msg_len = 64 }, E(STALE_CAP));
			expect(60, (struct capos_sqe){ .opcode = CAPOS_OP_CALL, .cap = c, .buf = p, .buf_len = 4096 },
			       E(STALE_CAP));
			expect(60, (struct capos_sqe){ .opcode = CAPOS_OP_CALL, .cap = c, .xfer = p, .xfer_count = 2 },
			       E(STALE_CAP));
			expect(60,
			       (struct capos_sqe){ .opcode = CAPOS_OP_CALL, .cap = c, .msg = p, .msg_len = CAPOS_MAX_MSG,
			                           .xfer = p, .xfer_count = CAPOS_MAX_XFER, .buf = p, .buf_len = ~0u,
			                           .timeout_us = 1 },
			       E(STALE_CAP));
			expect(60, (struct capos_sqe){ .opcode = CAPOS_OP_RECV, .cap = c, .buf = p, .buf_len = 4096 },
			       E(STALE_CAP));
		}
	}
	/* A transfer list naming forged capabilities, on a forged capability. */
	xfer[0] = (struct capos_xfer){ .cap = 0x00010000, .mode = CAPOS_XFER_COPY };
	xfer[1] = (struct capos_xfer){ .cap = 0x00010001, .mode = CAPOS_XFER_MOVE };
	expect(60,
	       (struct capos_sqe){ .opcode = CAPOS_OP_CALL, .cap = 0x00010000, .xfer = (uint64_t)xfer, .xfer_count = 2 },
	       E(STALE_CAP));

	/* 70: system calls that do not exist. */
	capos_gate_fn gate = (capos_gate_fn)cs->gate;
	static const uint64_t bad_nrs[] = { 0, 3, 4, 60, 231, 0x80000001ull, ~0ull };
	for (size_t i = 0; i < sizeof(bad_nrs) / sizeof(bad_nrs[0]); i++)
		if (gate(bad_nrs[i], 0, 0, 0) != E(INVALID_ARGUMENT))
			fail(70);

	/* 80: nothing changed: no capability appeared, the ring still works. */
	if (cs->cap_count != 0 || run((struct capos_sqe){ .opcode = CAPOS_OP_NOP }) != 0 || sys_cap_enter(0, 0) != 0)
		fail(80);

	/* Let the holder speak again before init's exit ends the system. */
	if (sys_cap_enter(1, 600 * MS) != 0)
		fail(80);
	return first_failure;
}

/* ------------------------------------------------------------ holder */

static bool is_forged(uint32_t id)
{
	for (size_t i = 0; i < NFORGED; i++)
		if (forged[i] == id)
			return true;
	return false;
}

static int holder(void)
{
	cap_id_t console, timer;
	if (capset_get("console", &console, NULL) != 0)
		return 100;
	if (capset_get("timer", &timer, NULL) != 0)
		return 101;
	console_printf(console, "unprivileged-stranger: holder: console is CapId 0x%08x, timer is CapId 0x%08x\n",
	               console, timer);
	console_printf(console, "unprivileged-stranger: holder: the stranger forges both of these ids: %s\n",
	               is_forged(console) && is_forged(timer) ? "yes" : "no");
	int err = timer_sleep(timer, 400 * MS);
	uint64_t now = 0;
	int terr = timer_now(timer, &now);
	int werr = console_write_line(console, "unprivileged-stranger: holder: console and timer still work "
	                                       "after the stranger's attempts");
	if (err || terr || werr)
		console_write_line(console, "unprivileged-stranger: holder: FAIL: a capability stopped working");
	timer_sleep(timer, 10000 * MS); /* until init's exit ends the system */
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "holder"))
		return holder();
	return stranger();
}
