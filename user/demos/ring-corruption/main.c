/*
 * ring-corruption - a process that scribbles over its own ring header is
 * faulted (ringCorrupt), and only that process.
 *
 * One binary, several services. Init (no arguments) holds a console and a
 * timer, sleeps while the victims do their damage, then proves it still
 * works. Each victim (argv[1] names the corruption) prints one line, breaks
 * one index of its ring header and calls cap_enter; the kernel must fault it
 * ("[kernel] process N (NAME) faulted: ring corrupt: ...") so the line it
 * would print after cap_enter never appears:
 *
 *   sq-ahead     sq_tail = sq_head + 1000        (1000 pending > CAPOS_SQ_ENTRIES)
 *   sq-one-over  sq_tail = sq_head + 65          (the smallest bad distance)
 *   sq-behind    sq_tail = sq_head - 1           (tail before head)
 *   cq-ahead     cq_head = cq_tail + 1           (consumed more than was posted)
 *   cq-behind    cq_head = cq_tail - 129         (more unread than the CQ holds)
 *
 * Victims start 80 ms apart (argv[2] is their slot) so that the transcript's
 * order does not depend on how the scheduler interleaves them.
 */
#include <capos/capos.h>

#define MS 1000000ull
#define STAGGER (80 * MS)
#define VICTIMS 5

static cap_id_t console, timer;

static int victim(const char *role, uint64_t slot)
{
	struct capos_ring_header *h = capos_ring_header(capos_ring());
	volatile uint32_t *sq_head = &h->sq_head, *sq_tail = &h->sq_tail;
	volatile uint32_t *cq_head = &h->cq_head, *cq_tail = &h->cq_tail;
	if (timer_sleep(timer, (slot + 1) * STAGGER) != 0)
		return 2;
	console_printf(console, "ring-corruption: %s: corrupting my ring header, then calling cap_enter\n", role);
	int64_t r;
	if (!strcmp(role, "sq-ahead")) {
		*sq_tail = *sq_head + 1000;
		r = sys_cap_enter(0, 0);
	} else if (!strcmp(role, "sq-one-over")) {
		*sq_tail = *sq_head + CAPOS_SQ_ENTRIES + 1;
		r = sys_cap_enter(1, CAPOS_WAIT_FOREVER);
	} else if (!strcmp(role, "sq-behind")) {
		*sq_tail = *sq_head - 1;
		r = sys_cap_enter(0, 0);
	} else if (!strcmp(role, "cq-ahead")) {
		*cq_head = *cq_tail + 1;
		r = sys_cap_enter(0, 0);
	} else if (!strcmp(role, "cq-behind")) {
		*cq_head = *cq_tail - (CAPOS_CQ_ENTRIES + 1);
		r = sys_cap_enter(1, CAPOS_WAIT_FOREVER);
	} else {
		console_printf(console, "ring-corruption: unknown role %s\n", role);
		return 4;
	}
	/* Not reached if the kernel does its job. The ring is broken, so this
	 * print may not work either; the kernel's fault line is what counts. */
	console_printf(console, "ring-corruption: %s: SURVIVED cap_enter (it returned %lld)\n", role, (long long)r);
	return 3;
}

int main(int argc, char **argv)
{
	if (capset_get("console", &console, NULL) != 0)
		return 100;
	if (capset_get("timer", &timer, NULL) != 0)
		return 101;
	if (argc >= 3)
		return victim(argv[1], (uint64_t)(argv[2][0] - '0'));

	console_write_line(console, "ring-corruption: init: waiting while the victims corrupt their rings");
	int err = timer_sleep(timer, (VICTIMS + 2) * STAGGER + 100 * MS);
	/* Init's own ring and capabilities are untouched. */
	int werr = console_write_line(console, "ring-corruption: init: still running after the victims; console works");
	uint64_t t = 0;
	int terr = timer_now(timer, &t);
	bool ok = !err && !werr && !terr && t >= (VICTIMS + 2) * STAGGER;
	console_printf(console, "ring-corruption: init: timer works (now %s): %s\n",
	               t >= (VICTIMS + 2) * STAGGER ? "after the sleep" : "BEFORE the sleep ended",
	               ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}
