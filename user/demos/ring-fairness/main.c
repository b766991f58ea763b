/*
 * ring-fairness - one process cannot starve the others, neither through the
 * ring nor by never entering the kernel.
 *
 * One binary, three services (argv[1] picks the role):
 *
 *   worker (init)  sleeps 20 ms ten times with the timer and checks that each
 *                  sleep ends in reasonable time (>= 20 ms, < 500 ms), then that
 *                  a burst of calls completes promptly; exits with the number
 *                  of failures.
 *   flooder        never blocks. It cycles forever through
 *                  - a drain phase: refill the whole SQ with NOPs and call
 *                    cap_enter(0, 0), 32 times, consuming every completion:
 *                    each cap_enter gets the most work one call may carry;
 *                  - a stuck phase: fill the CQ (128) and the SQ (64 more) and
 *                    call cap_enter 256 times without consuming: the kernel
 *                    must leave the SQEs queued (back-pressure), return at
 *                    once, and never consume an SQE it cannot complete;
 *                  - a catch-up phase consuming everything.
 *                  It checks every completion comes back once, in order, and
 *                  that no cap_enter consumes more than CAPOS_SQ_ENTRIES SQEs
 *                  or leaves more than CAPOS_CQ_ENTRIES unread; a violation is
 *                  printed and the flooder traps (a "faulted" kernel line).
 *                  After its first cycle it prints one progress line.
 *   spinner        sleeps 100 ms (so the transcript's order is fixed), prints
 *                  one line, then loops on the CPU with no system call at
 *                  all: only timer preemption can take the CPU back. It
 *                  keeps known values in SSE and general registers while it
 *                  spins and checks them after each 20M-iteration stretch:
 *                  being preempted must not change them (if it does, it
 *                  prints a FAIL line and traps).
 */
#include <capos/capos.h>

#define MS 1000000ull

static cap_id_t console, timer;

/* ------------------------------------------------------------ flooder */

static cap_ring_t *ring;
static struct capos_ring_header *hdr;
static uint64_t next_submit = 1, next_complete = 1, cycle_nops;

static uint32_t load(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static uint32_t unread(void) { return load(&hdr->cq_tail) - load(&hdr->cq_head); }

static _Noreturn void flooder_fail(const char *what, uint64_t a, uint64_t b)
{
	/* Free the rings so the report can go out, then fault on purpose. */
	struct capos_cqe c;
	while (capos_ring_next_cqe(ring, &c))
		;
	console_printf(console, "ring-fairness: flooder: FAIL: %s (%llu, %llu)\n", what, (unsigned long long)a,
	               (unsigned long long)b);
	__builtin_trap();
}

static void fill_sq(void)
{
	struct capos_sqe *s;
	while ((s = capos_ring_sqe(ring))) {
		s->opcode = CAPOS_OP_NOP;
		s->user_data = next_submit++;
	}
	capos_ring_submit(ring);
}

/* cap_enter, checking the bounds of what one call may do. */
static int64_t enter(uint32_t min, uint64_t timeout, uint32_t *consumed)
{
	uint32_t head = load(&hdr->sq_head);
	int64_t n = sys_cap_enter(min, timeout);
	*consumed = load(&hdr->sq_head) - head;
	uint32_t u = unread();
	if (n < 0 || (uint64_t)n != u)
		flooder_fail("cap_enter result is not the unread count", (uint64_t)n, u);
	if (u > CAPOS_CQ_ENTRIES)
		flooder_fail("more unread completions than the CQ holds", u, CAPOS_CQ_ENTRIES);
	if (*consumed > CAPOS_SQ_ENTRIES)
		flooder_fail("one cap_enter consumed more than a full SQ", *consumed, CAPOS_SQ_ENTRIES);
	return n;
}

static void consume_all(void)
{
	struct capos_cqe c;
	while (capos_ring_next_cqe(ring, &c)) {
		if (c.user_data != next_complete || c.result != 0)
			flooder_fail("completion out of order or failed", c.user_data, next_complete);
		next_complete++;
		cycle_nops++;
	}
}

static _Noreturn void flooder(void)
{
	ring = capos_ring();
	hdr = capos_ring_header(ring);
	console_write_line(console, "ring-fairness: flooder: flooding the kernel with NOPs, never blocking");
	uint32_t consumed;
	for (uint64_t cycle = 1;; cycle++) {
		cycle_nops = 0;
		/* Drain phase: a full SQ per cap_enter. */
		for (int i = 0; i < 32; i++) {
			consume_all();
			fill_sq();
			enter(0, 0, &consumed);
			if (consumed != CAPOS_SQ_ENTRIES)
				flooder_fail("with room in the CQ a full SQ was not consumed", consumed, CAPOS_SQ_ENTRIES);
		}
		consume_all();
		/* Stuck phase: CQ full, SQ full, nothing consumed. */
		fill_sq();
		enter(0, 0, &consumed);
		fill_sq();
		enter(0, 0, &consumed);
		fill_sq();
		if (enter(0, 0, &consumed) != CAPOS_CQ_ENTRIES || consumed != 0 || capos_ring_sqe(ring) != NULL)
			flooder_fail("the CQ and SQ did not fill up as expected", unread(), consumed);
		for (int i = 0; i < 256; i++) {
			static const uint32_t mins[3] = { 0, 1, CAPOS_CQ_ENTRIES };
			uint32_t min = mins[i % 3];
			int64_t n = enter(min, min ? CAPOS_WAIT_FOREVER : 0, &consumed);
			if (n != CAPOS_CQ_ENTRIES || consumed != 0)
				flooder_fail("with the CQ full cap_enter consumed SQEs or lost completions", (uint64_t)n, consumed);
		}
		/* Catch up. */
		while (next_complete != next_submit) {
			consume_all();
			enter(0, 0, &consumed);
		}
		consume_all();
		if (cycle == 1)
			console_printf(console,
			               "ring-fairness: flooder: first cycle done: %llu NOPs back once each, in order; "
			               "CQ never over %u: ok\n",
			               (unsigned long long)cycle_nops, CAPOS_CQ_ENTRIES);
	}
}

/* ------------------------------------------------------------ spinner */

/* Count down n on the CPU, with known values in SSE and general registers
 * the whole time: preemption must give them all back. True if they survived. */
static bool spin(uint64_t n)
{
	static const uint64_t pattern[6] __attribute__((aligned(16))) = {
		0x0123456789abcdefull, 0xfedcba9876543210ull, 0x5555aaaa5555aaaaull,
		0xdeadbeefcafef00dull, 0x0f1e2d3c4b5a6978ull, 0x8796a5b4c3d2e1f0ull,
	};
	uint64_t back[6] __attribute__((aligned(16)));
	uint64_t g1 = 0x1111111122222222ull, g2 = 0x3333333344444444ull, g3 = 0x5555555566666666ull;
	__asm__ volatile("movdqa 0(%[p]), %%xmm0\n\t"
	                 "movdqa 16(%[p]), %%xmm7\n\t"
	                 "movdqa 32(%[p]), %%xmm15\n\t"
	                 "1: dec %[n]\n\t"
	                 "jnz 1b\n\t"
	                 "movdqa %%xmm0, 0(%[b])\n\t"
	                 "movdqa %%xmm7, 16(%[b])\n\t"
	                 "movdqa %%xmm15, 32(%[b])"
	                 : [n] "+r"(n), "+r"(g1), "+r"(g2), "+r"(g3)
	                 : [p] "r"(pattern), [b] "r"(back)
	                 : "xmm0", "xmm7", "xmm15", "cc", "memory");
	return !memcmp(back, pattern, 48) && g1 == 0x1111111122222222ull && g2 == 0x3333333344444444ull &&
	       g3 == 0x5555555566666666ull;
}

static _Noreturn void spinner(void)
{
	timer_sleep(timer, 100 * MS);
	console_write_line(console, "ring-fairness: spinner: spinning with no system calls");
	for (;;) {
		if (!spin(20000000)) {
			/* Preemption lost user state: say so, then fault on purpose. */
			console_write_line(console, "ring-fairness: spinner: FAIL: registers changed while it was preempted");
			__builtin_trap();
		}
	}
}

/* ------------------------------------------------------------ worker */

static int worker(void)
{
	int failures = 0;
	uint64_t t0, t1, worst = 0;
	console_write_line(console, "ring-fairness: worker: started");
	/* Let the flooder and the spinner get going. */
	if (timer_sleep(timer, 300 * MS) != 0)
		failures++;
	for (int round = 1; round <= 10; round++) {
		int e0 = timer_now(timer, &t0);
		int e1 = timer_sleep(timer, 20 * MS);
		int e2 = timer_now(timer, &t1);
		uint64_t dt = t1 - t0;
		bool ok = !e0 && !e1 && !e2 && dt >= 20 * MS && dt < 500 * MS;
		if (dt > worst)
			worst = dt;
		if (ok)
			console_printf(console, "ring-fairness: worker: round %d: 20 ms sleep completed in time: ok\n", round);
		else
			console_printf(console, "ring-fairness: worker: round %d: FAIL: errors %d %d %d, slept %llu ns\n",
			               round, e0, e1, e2, (unsigned long long)dt);
		failures += !ok;
	}
	/* The worker still gets the CPU for work of its own: 100 calls. */
	int err = timer_now(timer, &t0);
	for (int i = 0; i < 100 && !err; i++)
		err = timer_now(timer, &t1);
	bool burst_ok = !err && t1 - t0 < 2000 * MS;
	console_printf(console, "ring-fairness: worker: 100 Timer.now calls completed promptly: %s\n",
	               burst_ok ? "ok" : "FAIL");
	failures += !burst_ok;
	/* The slowest sleep, for whoever reads the transcript (not checked). */
	console_printf(console, "ring-fairness: worker: slowest 20 ms sleep took %llu us\n",
	               (unsigned long long)(worst / 1000));
	console_printf(console, "ring-fairness: worker: %s\n",
	               failures ? "FAILED" : "done despite the flooder and the spinner");
	return failures;
}

int main(int argc, char **argv)
{
	if (capset_get("console", &console, NULL) != 0)
		return 100;
	if (capset_get("timer", &timer, NULL) != 0)
		return 101;
	if (argc >= 2 && !strcmp(argv[1], "flooder"))
		flooder();
	if (argc >= 2 && !strcmp(argv[1], "spinner"))
		spinner();
	return worker();
}
