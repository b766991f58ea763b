/*
 * ring-nop - the capability ring with the simplest operation there is: NOP.
 *
 * Checks, one console line each ("ring-nop: WHAT: ok" or "... FAIL: why"):
 * one NOP round trip; a batch filling the whole SQ submitted with one
 * cap_enter(64); cap_enter's result is the unread count; polling
 * (timeout 0) returns at once; waiting forever for nothing is -wouldBlock; a
 * finite wait with nothing in flight is a sleep of at least that long; a
 * finite wait ends early when a completion arrives and is not cut short by
 * completions arriving later; min_complete > CAPOS_CQ_ENTRIES is
 * -invalidArgument (also when only the upper 32 bits are set); completions
 * come back in submission order, errors included; and the CQ never overflows:
 * with more NOPs submitted than the CQ can hold, the kernel leaves the rest
 * queued until completions are consumed, and every user_data comes back
 * exactly once. The exit code is the number of failed checks.
 *
 * No console call is made while a NOP completion is unread, so the library's
 * own calls never see (and stash) completions that belong to the checks.
 */
#include <capos/capos.h>

#define E(code) (-(int64_t)CAPOS_ERROR_CODE_##code)
#define MS 1000000ull

static cap_id_t console, timer;
static cap_ring_t *ring;
static struct capos_ring_header *hdr;
static int failures;

static void check(bool ok, const char *what, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void check(bool ok, const char *what, const char *fmt, ...)
{
	if (ok) {
		console_printf(console, "ring-nop: %s: ok\n", what);
		return;
	}
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	capos_vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	failures++;
	console_printf(console, "ring-nop: %s: FAIL: %s\n", what, why);
}

static uint32_t load(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static uint32_t unread(void) { return load(&hdr->cq_tail) - load(&hdr->cq_head); }

static uint64_t now(void)
{
	uint64_t t = 0;
	if (timer_now(timer, &t) != 0)
		failures++;
	return t;
}

/* Queue one NOP (no submit). */
static bool queue_nop(uint64_t user_data)
{
	struct capos_sqe *s = capos_ring_sqe(ring);
	if (!s)
		return false;
	s->opcode = CAPOS_OP_NOP;
	s->user_data = user_data;
	return true;
}

/* Take every unread completion and forget it (cleanup after a failed check). */
static void drain(void)
{
	struct capos_cqe c;
	while (capos_ring_next_cqe(ring, &c))
		;
}

/* Take `n` completions, expecting user_data first, first+1, ... and result 0. */
static bool take_in_order(uint32_t n, uint64_t first, char *why, size_t whylen)
{
	struct capos_cqe c;
	for (uint32_t i = 0; i < n; i++) {
		if (!capos_ring_next_cqe(ring, &c)) {
			capos_snprintf(why, whylen, "completion %u of %u missing", i, n);
			return false;
		}
		if (c.user_data != first + i || c.result != 0 || c.flags != 0) {
			capos_snprintf(why, whylen, "completion %u: user_data %llx result %d flags %u, want %llx 0 0", i,
			               (unsigned long long)c.user_data, c.result, c.flags,
			               (unsigned long long)(first + i));
			return false;
		}
	}
	return true;
}

static void one_nop(void)
{
	const uint64_t ud = 0x0123456789abcdefull;
	bool queued = queue_nop(ud);
	capos_ring_submit(ring);
	int64_t n = sys_cap_enter(1, CAPOS_WAIT_FOREVER);
	struct capos_cqe c = { 0 }, extra;
	bool got = capos_ring_next_cqe(ring, &c);
	bool more = capos_ring_next_cqe(ring, &extra);
	drain();
	check(queued && n == 1 && got && !more && c.user_data == ud && c.result == 0 && c.flags == 0 &&
	          c.reserved[0] == 0 && c.reserved[1] == 0,
	      "one NOP: user_data echoed, result 0, flags 0",
	      "cap_enter %lld, got %d, more %d, user_data %llx result %d flags %u", (long long)n, got, more,
	      (unsigned long long)c.user_data, c.result, c.flags);
}

static void full_batch(void)
{
	uint32_t queued = 0;
	while (queue_nop(1000 + queued))
		queued++;
	capos_ring_submit(ring);
	int64_t n = sys_cap_enter(CAPOS_SQ_ENTRIES, CAPOS_WAIT_FOREVER);
	uint32_t after = unread();
	char why[160] = "";
	bool ordered = take_in_order(CAPOS_SQ_ENTRIES, 1000, why, sizeof(why));
	bool empty = unread() == 0;
	drain();
	check(queued == CAPOS_SQ_ENTRIES && n == CAPOS_SQ_ENTRIES && after == CAPOS_SQ_ENTRIES && ordered && empty,
	      "batch of 64 NOPs (a full SQ) with one cap_enter(64)",
	      "queued %u (want %u), cap_enter %lld, unread %u, %s", queued, CAPOS_SQ_ENTRIES, (long long)n, after,
	      why);
}

static void unread_count(void)
{
	for (int i = 0; i < 5; i++)
		queue_nop(2000 + (uint64_t)i);
	capos_ring_submit(ring);
	int64_t a = sys_cap_enter(0, 0);
	char why[160] = "";
	bool ok = take_in_order(2, 2000, why, sizeof(why));
	int64_t b = sys_cap_enter(0, 0); /* 3 left unread */
	for (int i = 0; i < 4; i++)
		queue_nop(2005 + (uint64_t)i);
	capos_ring_submit(ring);
	int64_t c = sys_cap_enter(2, CAPOS_WAIT_FOREVER); /* 3 old + 4 new */
	ok = ok && take_in_order(7, 2002, why, sizeof(why));
	int64_t d = sys_cap_enter(0, 0);
	drain();
	check(ok && a == 5 && b == 3 && c == 7 && d == 0, "cap_enter returns the number of unread completions",
	      "got %lld %lld %lld %lld, want 5 3 7 0; %s", (long long)a, (long long)b, (long long)c, (long long)d, why);
}

static void poll_returns_at_once(void)
{
	uint64_t t0 = now();
	int64_t a = sys_cap_enter(0, 0);
	int64_t b = sys_cap_enter(5, 0); /* unmet min_complete, but timeout 0: a poll */
	uint64_t t1 = now();
	check(a == 0 && b == 0 && t1 - t0 < 1000 * MS, "cap_enter(0, 0) and cap_enter(5, 0) return at once",
	      "results %lld %lld after %llu ns", (long long)a, (long long)b, (unsigned long long)(t1 - t0));
}

static void would_block(void)
{
	int64_t a = sys_cap_enter(1, CAPOS_WAIT_FOREVER);
	/* Unread completions are not in flight: 3 of them cannot become 128. */
	for (int i = 0; i < 3; i++)
		queue_nop(3000 + (uint64_t)i);
	capos_ring_submit(ring);
	int64_t b = sys_cap_enter(CAPOS_CQ_ENTRIES, CAPOS_WAIT_FOREVER);
	int64_t c = sys_cap_enter(0, 0);
	drain();
	check(a == E(WOULD_BLOCK) && b == E(WOULD_BLOCK) && c == 3,
	      "cap_enter(n, FOREVER) with too little in flight is -wouldBlock",
	      "got %lld and %lld (then %lld unread), want %lld twice (then 3)", (long long)a, (long long)b,
	      (long long)c, (long long)E(WOULD_BLOCK));
}

static void finite_wait_sleeps(void)
{
	const uint64_t wait = 50 * MS;
	uint64_t t0 = now();
	int64_t n = sys_cap_enter(1, wait);
	uint64_t t1 = now();
	check(n == 0 && t1 - t0 >= wait && t1 - t0 < wait + 5000 * MS,
	      "cap_enter(1, 50 ms) with nothing in flight sleeps at least 50 ms", "returned %lld after %llu ns",
	      (long long)n, (unsigned long long)(t1 - t0));
}

/* Submit a Timer.sleep(ns) call with user_data ud. */
static uint8_t sleep_answer[64] __attribute__((aligned(8)));
static bool submit_sleep(uint64_t ud, uint64_t ns)
{
	static uint8_t arena[64] __attribute__((aligned(8)));
	struct capn_builder b;
	const void *msg;
	size_t len;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Timer_sleep_Params_set_ns(capos_Timer_sleep_Params_new_root(&b), ns);
	struct capos_sqe *s = capos_ring_sqe(ring);
	if (capos_msg_end(&b, &msg, &len) || !s)
		return false;
	s->opcode = CAPOS_OP_CALL;
	s->cap = timer;
	s->method = CAPOS_TIMER_METHOD_SLEEP;
	s->user_data = ud;
	s->msg = (uint64_t)msg;
	s->msg_len = (uint32_t)len;
	s->buf = (uint64_t)sleep_answer;
	s->buf_len = sizeof(sleep_answer);
	capos_ring_submit(ring);
	return true;
}

static void wait_versus_completion(void)
{
	/* A completion arriving first ends a long finite wait early. */
	uint64_t t0 = now();
	bool sub = submit_sleep(4000, 20 * MS);
	int64_t n = sys_cap_enter(1, 10000 * MS);
	uint64_t t1 = now();
	struct capos_cqe c = { 0 };
	bool got = capos_ring_next_cqe(ring, &c);
	drain();
	check(sub && n == 1 && got && c.user_data == 4000 && c.result >= 0 && t1 - t0 >= 20 * MS &&
	          t1 - t0 < 5000 * MS,
	      "cap_enter(1, 10 s) returns when a 20 ms Timer.sleep completes",
	      "cap_enter %lld after %llu ns, got %d user_data %llu result %d", (long long)n,
	      (unsigned long long)(t1 - t0), got, (unsigned long long)c.user_data, c.result);

	/* A wait shorter than the operation in flight times out first. */
	t0 = now();
	sub = submit_sleep(4001, 400 * MS);
	n = sys_cap_enter(1, 20 * MS);
	t1 = now();
	int64_t left = sys_cap_enter(1, CAPOS_WAIT_FOREVER); /* then collect the sleep */
	uint64_t t2 = now();
	got = capos_ring_next_cqe(ring, &c);
	drain();
	check(sub && n == 0 && t1 - t0 >= 20 * MS && t1 - t0 < 400 * MS && left == 1 && got && c.user_data == 4001 &&
	          t2 - t0 >= 400 * MS,
	      "cap_enter(1, 20 ms) times out before a 400 ms Timer.sleep completes",
	      "cap_enter %lld after %llu ns; then %lld after %llu ns, user_data %llu", (long long)n,
	      (unsigned long long)(t1 - t0), (long long)left, (unsigned long long)(t2 - t0),
	      (unsigned long long)c.user_data);
}

static void min_complete_limit(void)
{
	capos_gate_fn gate = (capos_gate_fn)capos_capset()->gate;
	int64_t a = sys_cap_enter(CAPOS_CQ_ENTRIES + 1, 0);
	int64_t b = sys_cap_enter(CAPOS_CQ_ENTRIES + 1, CAPOS_WAIT_FOREVER);
	int64_t c = sys_cap_enter(UINT32_MAX, 10 * MS);
	/* 2^32 + 1 is not 1: the kernel must not truncate the argument. */
	int64_t d = gate(CAPOS_SYS_CAP_ENTER, (1ull << 32) + 1, 0, 0);
	int64_t e = sys_cap_enter(CAPOS_CQ_ENTRIES, 0); /* the largest valid value */
	check(a == E(INVALID_ARGUMENT) && b == E(INVALID_ARGUMENT) && c == E(INVALID_ARGUMENT) &&
	          d == E(INVALID_ARGUMENT) && e == 0,
	      "min_complete > CAPOS_CQ_ENTRIES is -invalidArgument",
	      "got %lld %lld %lld %lld (want %lld) and %lld for 128 (want 0)", (long long)a, (long long)b,
	      (long long)c, (long long)d, (long long)E(INVALID_ARGUMENT), (long long)e);
}

static void mixed_order(void)
{
	/* Every third entry is invalid (opcode 0); completions still come back
	 * in submission order, each with its own result. */
	uint32_t i = 0;
	struct capos_sqe *s;
	while ((s = capos_ring_sqe(ring))) {
		s->opcode = i % 3 == 2 ? 0 : CAPOS_OP_NOP;
		s->user_data = 5000 + i++;
	}
	capos_ring_submit(ring);
	int64_t n = sys_cap_enter(CAPOS_SQ_ENTRIES, CAPOS_WAIT_FOREVER);
	bool ok = n == CAPOS_SQ_ENTRIES;
	uint32_t bad_at = 0;
	struct capos_cqe c = { 0 };
	for (uint32_t k = 0; ok && k < CAPOS_SQ_ENTRIES; k++) {
		ok = capos_ring_next_cqe(ring, &c) && c.user_data == 5000 + k &&
		     c.result == (k % 3 == 2 ? E(BAD_OPCODE) : 0);
		bad_at = k;
	}
	drain();
	check(ok, "completions arrive in submission order (NOPs mixed with bad opcodes)",
	      "cap_enter %lld; at entry %u: user_data %llu result %d", (long long)n, bad_at,
	      (unsigned long long)c.user_data, c.result);
}

/* ------------------------------------------------------------ back-pressure */

#define BP_TOTAL (3 * CAPOS_SQ_ENTRIES) /* more than the CQ holds */
#define BP_BASE 100000u

static uint8_t bp_seen[BP_TOTAL];
static uint32_t bp_next; /* the user_data offset expected next */
static char bp_why[200];

static void bp_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bp_fail(const char *fmt, ...)
{
	if (bp_why[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	capos_vsnprintf(bp_why, sizeof(bp_why), fmt, ap);
	va_end(ap);
}

static uint32_t bp_submitted;
static uint32_t bp_queue(void)
{
	uint32_t n = 0;
	while (bp_submitted < BP_TOTAL && queue_nop(BP_BASE + bp_submitted)) {
		bp_submitted++;
		n++;
	}
	capos_ring_submit(ring);
	return n;
}

/* cap_enter(0, 0), checking what it may and may not have done. */
static int64_t bp_enter(uint32_t *consumed)
{
	uint32_t head = load(&hdr->sq_head);
	int64_t n = sys_cap_enter(0, 0);
	*consumed = load(&hdr->sq_head) - head;
	uint32_t u = unread();
	if (n != u)
		bp_fail("cap_enter returned %lld but %u are unread", (long long)n, u);
	if (u > CAPOS_CQ_ENTRIES)
		bp_fail("%u unread completions in a %u-entry CQ", u, CAPOS_CQ_ENTRIES);
	if (*consumed > CAPOS_SQ_ENTRIES)
		bp_fail("one cap_enter consumed %u SQEs", *consumed);
	return n;
}

static void bp_take(uint32_t n)
{
	struct capos_cqe c;
	for (uint32_t i = 0; i < n; i++) {
		if (!capos_ring_next_cqe(ring, &c)) {
			bp_fail("a completion is missing after %u", bp_next);
			return;
		}
		uint64_t off = c.user_data - BP_BASE;
		if (c.user_data < BP_BASE || off >= BP_TOTAL) {
			bp_fail("unexpected user_data %llu", (unsigned long long)c.user_data);
			continue;
		}
		if (bp_seen[off]++)
			bp_fail("user_data %llu came back twice", (unsigned long long)c.user_data);
		if (off != bp_next)
			bp_fail("user_data %llu out of order (expected %u)", (unsigned long long)c.user_data,
			        BP_BASE + bp_next);
		if (c.result != 0)
			bp_fail("NOP %llu: result %d", (unsigned long long)c.user_data, c.result);
		bp_next = (uint32_t)off + 1;
	}
}

static void back_pressure(void)
{
	uint32_t consumed;
	/* Fill the CQ: two full SQs, nothing consumed. */
	bp_queue();
	int64_t a = bp_enter(&consumed);
	bp_queue();
	int64_t b = bp_enter(&consumed);
	/* A third SQ's worth cannot complete: the kernel must leave it queued. */
	uint32_t q3 = bp_queue();
	int64_t c = bp_enter(&consumed);
	uint32_t consumed_full = consumed;
	bool sq_full = capos_ring_sqe(ring) == NULL;
	/* Waiting for completions that are already there returns at once. */
	int64_t d = sys_cap_enter(CAPOS_CQ_ENTRIES, CAPOS_WAIT_FOREVER);
	bool step1 = a == CAPOS_SQ_ENTRIES && b == CAPOS_CQ_ENTRIES && q3 == CAPOS_SQ_ENTRIES &&
	             c == CAPOS_CQ_ENTRIES && consumed_full == 0 && sq_full && d == CAPOS_CQ_ENTRIES;
	if (!step1)
		bp_fail("filling: cap_enter %lld %lld, queued %u, then %lld consuming %u, sq full %d, wait %lld", (long long)a,
		        (long long)b, q3, (long long)c, consumed_full, sq_full, (long long)d);

	/* Free 10 slots: exactly 10 queued SQEs may now be taken. */
	bp_take(10);
	int64_t e = bp_enter(&consumed);
	if (e != CAPOS_CQ_ENTRIES || consumed != 10)
		bp_fail("after consuming 10: cap_enter %lld consuming %u SQEs (want 128, 10)", (long long)e, consumed);

	/* Then consume everything, a varying amount at a time. */
	static const uint32_t steps[] = { 1, 37, 128, 5, 64 };
	for (uint32_t round = 0; bp_next < BP_TOTAL && round < 100; round++) {
		uint32_t want = steps[round % 5];
		uint32_t avail = unread();
		bp_take(want < avail ? want : avail);
		bp_queue();
		bp_enter(&consumed);
	}
	uint32_t missing = 0;
	for (uint32_t i = 0; i < BP_TOTAL; i++)
		missing += bp_seen[i] != 1;
	if (missing)
		bp_fail("%u of %u NOPs did not come back exactly once", missing, BP_TOTAL);
	if (unread() != 0 || load(&hdr->sq_head) != load(&hdr->sq_tail))
		bp_fail("ring not empty at the end");
	drain();
	check(!bp_why[0], "CQ never overflows: 192 NOPs through a 128-entry CQ, each back exactly once, in order",
	      "%s", bp_why);
	check(step1, "with the CQ full the kernel leaves submissions queued (sq_head stays put)", "%s", bp_why);
}

int main(void)
{
	if (capset_get("console", &console, NULL) != 0)
		return 100;
	if (capset_get("timer", &timer, NULL) != 0) {
		console_write_line(console, "ring-nop: no timer capability");
		return 101;
	}
	ring = capos_ring();
	hdr = capos_ring_header(ring);

	one_nop();
	full_batch();
	unread_count();
	poll_returns_at_once();
	would_block();
	finite_wait_sleeps();
	wait_versus_completion();
	min_complete_limit();
	mixed_order();
	back_pressure();

	if (failures)
		console_printf(console, "ring-nop: %d checks FAILED\n", failures);
	else
		console_write_line(console, "ring-nop: all checks passed");
	return failures;
}
