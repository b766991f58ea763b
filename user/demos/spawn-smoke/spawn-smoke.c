/*
 * spawn-smoke - ProcessSpawner and ProcessHandle, end to end.
 *
 * One binary; the process name (argv[0]) picks the role. The parent is init
 * ("spawn-smoke") and checks, one console line each:
 *
 *  1. grants: a child's CapSet holds exactly the grants, under their names,
 *     with their interfaces, and its table nothing else (inspect-*); copy
 *     keeps the parent's hold, move makes the parent's CapId stale; 32
 *     grants (the limit) and capSlots equal to the grants work.
 *  2. hostile requests: each fails with its exact error (notFound, staleCap,
 *     notTransferable, alreadyExists, tooLarge, resourceExhausted,
 *     invalidArgument) and the parent loses nothing: every one of them also
 *     tries to move a moveOnly hold, which must still be there, and every
 *     CapId of the parent must still work.
 *  3. eight children at once (the manifest's children quota), a ninth
 *     refused; async waits complete in exit order, not spawn order, each
 *     with its own code; sync waits in reverse spawn order; a second wait
 *     and a kill after the end change nothing.
 *  4. endings: ud2 and a bad write are reported as fault texts; a sleeping,
 *     a spinning and a never-run child are killed; killing a child whose
 *     end someone waits for; a child killing itself through its own handle
 *     (sent to it over IPC, copied or moved). A fault on memory that is not
 *     mapped at all is not used: valgrind (one of the modes) would report
 *     the access itself; the bad write goes to the child's read-only code.
 *  5. session scope: sess-mid spawns sess-leaf with a session-scoped grant;
 *     when sess-mid exits, the leaf's hold and a copy the leaf passed on to
 *     us are revoked, while the leaf's process-scoped holds stay.
 *  6. startService: a byInit service starts once (alreadyExists after),
 *     unknown and atBoot names are notFound.
 *  7. the process table (512): a child fills it and gets resourceExhausted;
 *     after killing them all it can spawn again.
 */
#include <capos/capos.h>

#include "demo-check.h"

static cap_id_t spawner, timer, null, factory, timer_nt, null_mo, null_mo2;

static void sleep_ms(uint64_t ms) { timer_sleep(timer, ms * DC_MS); }

/* ------------------------------------------------------------ inspectors */

struct spec {
	const char *proc;
	uint32_t n;
	const char *entries[34]; /* "name:Interface" */
};

static const struct spec specs[] = {
	{ "inspect-copy", 3, { "console:Console", "clock:Timer", "nil:NullCap" } },
	{ "inspect-move", 2, { "console:Console", "moved:NullCap" } },
	{ "inspect-empty", 0, { NULL } },
	{ "inspect-dup", 3, { "console:Console", "a:NullCap", "b:NullCap" } },
	{ "inspect-slots", 3, { "console:Console", "x:Timer", "y:NullCap" } },
	{ "inspect-32", 32, { "console:Console", "g1:NullCap", "g2:NullCap", "g3:NullCap", "g4:NullCap", "g5:NullCap",
	                      "g6:NullCap", "g7:NullCap", "g8:NullCap", "g9:NullCap", "g10:NullCap", "g11:NullCap",
	                      "g12:NullCap", "g13:NullCap", "g14:NullCap", "g15:NullCap", "g16:NullCap", "g17:NullCap",
	                      "g18:NullCap", "g19:NullCap", "g20:NullCap", "g21:NullCap", "g22:NullCap", "g23:NullCap",
	                      "g24:NullCap", "g25:NullCap", "g26:NullCap", "g27:NullCap", "g28:NullCap", "g29:NullCap",
	                      "g30:NullCap", "g31:NullCap" } },
};

/* Exit 0 if the CapSet is exactly the spec and the table holds nothing
 * else; prints what it found when it has a console. */
static int inspect(const char *proc)
{
	const struct spec *sp = NULL;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (!strcmp(specs[i].proc, proc))
			sp = &specs[i];
	if (!sp)
		return 2;
	const struct capos_capset *cs = capos_capset();
	bool ok = cs->cap_count == sp->n;
	char line[256];
	size_t len = 0;
	for (uint32_t i = 0; i < cs->cap_count; i++) {
		char e[96];
		capos_snprintf(e, sizeof(e), "%s:%s", cs->caps[i].name, dc_iface_name(cs->caps[i].iface));
		if (i >= sp->n || strcmp(e, sp->entries[i]) != 0)
			ok = false;
		if (!dc_alive(cs->caps[i].cap))
			ok = false;
		for (uint32_t j = 0; j < i; j++)
			if (cs->caps[j].cap == cs->caps[i].cap)
				ok = false;
		if (i < 4 && len < sizeof(line) - 100)
			len += capos_snprintf(line + len, sizeof(line) - len, " %s", e);
	}
	if (cs->cap_count > 4)
		capos_snprintf(line + len, sizeof(line) - len, " ...");
	if (!cs->cap_count)
		capos_snprintf(line, sizeof(line), " (nothing)");
	/* Nothing else: every other CapId a fresh table could have issued is
	 * stale (slots start at generation 1; nothing was released). */
	uint32_t extra = 0;
	for (uint32_t idx = 0; idx < 64; idx++) {
		for (uint32_t gen = 1; gen <= 2; gen++) {
			cap_id_t id = gen << 16 | idx;
			bool listed = false;
			for (uint32_t i = 0; i < cs->cap_count; i++)
				listed |= cs->caps[i].cap == id;
			if (!listed && dc_probe(id) != DC_ERR(STALE_CAP))
				extra++;
		}
	}
	ok = ok && extra == 0;
	/* The granted capabilities work. */
	cap_id_t c;
	if (!capset_get("clock", &c, NULL)) {
		uint64_t t;
		ok = ok && timer_now(c, &t) == 0;
	}
	if (!capset_get("nil", &c, NULL))
		ok = ok && null_nop(c) == 0;
	if (!capset_get("moved", &c, NULL))
		ok = ok && null_nop(c) == 0;
	if (capset_get("console", &dc_console, NULL) == 0)
		dc_check(ok, "%u caps:%s; %u other holds", cs->cap_count, line, extra);
	return ok ? 0 : 1;
}

/* ------------------------------------------------------------ other children */

static int child(const char *proc, int argc)
{
	capset_get("console", &dc_console, NULL);
	capset_get("timer", &timer, NULL);
	dc_who = proc;
	if (dc_prefix(proc, "inspect-"))
		return inspect(proc);
	if (dc_prefix(proc, "sleeper-")) {
		long n = dc_atol(proc + 8);
		sleep_ms((uint64_t)(8 - n) * 150);
		return 40 + (int)n;
	}
	if (dc_prefix(proc, "exit-"))
		return (int)dc_atol(proc + 5);
	if (!strcmp(proc, "trap"))
		__builtin_trap();
	if (!strcmp(proc, "segv")) {
		/* Tell the parent where, then write to our own (read-only) code. */
		cap_id_t ep;
		char where[32], out[32];
		volatile uintptr_t addr = (uintptr_t)&inspect;
		if (capset_get("ep", &ep, NULL))
			return 2;
		capos_snprintf(where, sizeof(where), "0x%llx", (unsigned long long)addr);
		if (dc_echo(ep, where, NULL, 0, out, sizeof(out), NULL, NULL))
			return 3;
		*(volatile int *)addr = 1;
		return 4;
	}
	if (!strcmp(proc, "forever") || dc_prefix(proc, "idle")) {
		for (;;)
			sys_cap_enter(1, 3600ull * 1000 * DC_MS);
	}
	if (!strcmp(proc, "spin")) {
		for (volatile uint64_t i = 0;; i++)
			;
	}
	if (dc_prefix(proc, "selfkill")) {
		/* Receive our own handle over IPC, answer, then kill ourselves. */
		cap_id_t ep;
		if (capset_get("ep", &ep, NULL))
			return 10;
		static uint8_t buf[1024] __attribute__((aligned(8)));
		struct capos_call call;
		if (capos_recv(ep, buf, sizeof(buf), &call) || call.ncaps != 1)
			return 11;
		cap_id_t self = call.caps[0];
		if (dc_echo_return(call.call_id, "got it", NULL, 0))
			return 12;
		process_kill(self);
		return 13; /* a kill of ourselves returned */
	}
	if (!strcmp(proc, "filler")) {
		/* Fill the process table; exit with how many we got. */
		cap_id_t sp;
		if (capset_get("spawner", &sp, NULL))
			return 200;
		static cap_id_t handles[600];
		int n = 0, err = 0;
		char why[128] = "", name[32];
		for (; n < 600; n++) {
			capos_snprintf(name, sizeof(name), "idle-%d", n);
			if ((err = dc_spawn(sp, name, "spawn-smoke", NULL, 0, NULL, &handles[n], why, sizeof(why))))
				break;
		}
		dc_check(err == DC_ERR(RESOURCE_EXHAUSTED) && dc_contains(why, "process table"),
		         "spawned until the table was full: %s (%s)", dc_errname(err), why);
		int killed = 0;
		for (int i = 0; i < n; i++) {
			struct capos_exit st;
			if (process_kill(handles[i]) == 0 && process_wait(handles[i], &st) == 0 &&
			    st.how == CAPOS_EXIT_STATUS_WHICH_KILLED && cap_release(handles[i]) == 0)
				killed++;
		}
		dc_check(killed == n, "killed and waited for all %d", n);
		cap_id_t h;
		struct capos_exit st;
		int e = process_spawn(sp, "idle-again", "spawn-smoke", NULL, 0, NULL, &h);
		dc_check(e == 0 && process_kill(h) == 0 && process_wait(h, &st) == 0 &&
		             st.how == CAPOS_EXIT_STATUS_WHICH_KILLED,
		         "after that a spawn works again");
		return dc_failed ? 1 : n;
	}
	if (!strcmp(proc, "svc-a")) {
		/* A byInit service: exactly its manifest grants. */
		const struct capos_capset *cs = capos_capset();
		cap_id_t nil;
		bool ok = cs->cap_count == 2 && capset_get("nil", &nil, NULL) == 0 && null_nop(nil) == 0 && argc == 2;
		dc_check(ok, "started by init with its manifest's %u caps and argv", cs->cap_count);
		return ok ? 7 : 1;
	}
	if (!strcmp(proc, "sess-mid")) {
		/* Spawn the leaf with a session-scoped NullCap, tell the
		 * grandparent, wait for its go, then exit (revoking the grant). */
		cap_id_t sp, nil, report, h;
		if (capset_get("spawner", &sp, NULL) || capset_get("null", &nil, NULL) ||
		    capset_get("report", &report, NULL))
			return 20;
		struct capos_grant g[4] = {
			{ "console", dc_console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
			{ "timer", timer, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
			{ "report", report, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
			{ "sess", nil, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_SESSION },
		};
		if (process_spawn(sp, "sess-leaf", "spawn-smoke", g, 4, NULL, &h))
			return 21;
		char out[32];
		if (dc_echo(report, "mid-ready", NULL, 0, out, sizeof(out), NULL, NULL) || strcmp(out, "go"))
			return 22;
		return 0; /* the leaf runs on, an orphan */
	}
	if (!strcmp(proc, "sess-leaf")) {
		cap_id_t sess, report;
		if (capset_get("sess", &sess, NULL) || capset_get("report", &report, NULL))
			return 30;
		int before = null_nop(sess);
		struct capos_xfer x = { .cap = sess, .mode = CAPOS_XFER_COPY };
		char out[32];
		if (dc_echo(report, "leaf-ready", &x, 1, out, sizeof(out), NULL, NULL) || strcmp(out, "go"))
			return 31;
		int after = 0, polls = 0;
		while (polls < 5000 && (after = null_nop(sess)) == 0) {
			polls++;
			sleep_ms(1);
		}
		uint64_t t;
		bool kept = timer_now(timer, &t) == 0 && dc_alive(report) && dc_alive(dc_console);
		char msg[128];
		capos_snprintf(msg, sizeof(msg), "before=%s after=%s kept=%s", dc_errname(before), dc_errname(after),
		               kept ? "yes" : "no");
		if (dc_echo(report, msg, NULL, 0, out, sizeof(out), NULL, NULL))
			return 32;
		return 0;
	}
	return 99;
}

/* ------------------------------------------------------------ parent */

/* Every CapId the parent holds from its manifest still works (apart from
 * null-mo, moved away on purpose). */
static bool intact(void)
{
	const struct capos_capset *cs = capos_capset();
	for (uint32_t i = 0; i < cs->cap_count; i++) {
		if (!strcmp(cs->caps[i].name, "null-mo"))
			continue;
		if (!dc_alive(cs->caps[i].cap))
			return false;
	}
	return true;
}

static int spawn_wait(const char *name, const struct dc_grant *g, uint32_t n, const struct capos_quota *q,
                      struct capos_exit *st)
{
	cap_id_t h;
	int err = dc_spawn(spawner, name, "spawn-smoke", g, n, q, &h, NULL, 0);
	if (!err)
		err = process_wait(h, st);
	if (!err)
		err = cap_release(h);
	return err;
}

static bool exited(const struct capos_exit *st, int code)
{
	return st->how == CAPOS_EXIT_STATUS_WHICH_CODE && st->code == code;
}

#define COPY CAPOS_TRANSFER_MODE_COPY
#define MOVE CAPOS_TRANSFER_MODE_MOVE
#define PROC CAPOS_CAP_SCOPE_PROCESS
#define SESS CAPOS_CAP_SCOPE_SESSION

static void phase_grants(void)
{
	struct capos_exit st;
	char sbuf[160];
	dc_say("-- grants");
	struct dc_grant g1[3] = { { "console", dc_console, COPY, PROC }, { "clock", timer, COPY, PROC },
	                          { "nil", null, COPY, PROC } };
	int err = spawn_wait("inspect-copy", g1, 3, NULL, &st);
	dc_check(!err && exited(&st, 0), "inspect-copy ended: %s", err ? dc_errname(err) : dc_status(&st, sbuf, 160));
	dc_check(dc_alive(timer) && dc_alive(null) && timer_now(timer, &(uint64_t){ 0 }) == 0 && null_nop(null) == 0,
	         "copy: the parent's holds still work");

	cap_id_t h;
	struct dc_grant g2[2] = { { "console", dc_console, COPY, PROC }, { "moved", null_mo, MOVE, PROC } };
	err = dc_spawn(spawner, "inspect-move", "spawn-smoke", g2, 2, NULL, &h, NULL, 0);
	dc_expect(err, 0, "spawn inspect-move");
	dc_expect(dc_probe(null_mo), DC_ERR(STALE_CAP), "move: the parent's CapId of the moved hold");
	err = err ? err : process_wait(h, &st);
	dc_check(!err && exited(&st, 0), "inspect-move ended: %s", err ? dc_errname(err) : dc_status(&st, sbuf, 160));
	cap_release(h);

	err = spawn_wait("inspect-empty", NULL, 0, NULL, &st);
	dc_check(!err && exited(&st, 0), "inspect-empty (no grants, no console) found nothing: %s",
	         err ? dc_errname(err) : dc_status(&st, sbuf, 160));

	struct dc_grant g3[3] = { { "console", dc_console, COPY, PROC }, { "a", null, COPY, PROC },
	                          { "b", null, COPY, PROC } };
	err = spawn_wait("inspect-dup", g3, 3, NULL, &st);
	dc_check(!err && exited(&st, 0), "inspect-dup (one cap under two names) ended: %s",
	         err ? dc_errname(err) : dc_status(&st, sbuf, 160));

	struct dc_grant g4[3] = { { "console", dc_console, COPY, PROC }, { "x", timer, COPY, PROC },
	                          { "y", null, COPY, PROC } };
	struct capos_quota q3 = { .cap_slots = 3 };
	err = spawn_wait("inspect-slots", g4, 3, &q3, &st);
	dc_check(!err && exited(&st, 0), "inspect-slots (capSlots 3, 3 grants) ended: %s",
	         err ? dc_errname(err) : dc_status(&st, sbuf, 160));

	static struct dc_grant g32[32];
	static char names[32][8];
	g32[0] = (struct dc_grant){ "console", dc_console, COPY, PROC };
	for (int i = 1; i < 32; i++) {
		capos_snprintf(names[i], sizeof(names[i]), "g%d", i);
		g32[i] = (struct dc_grant){ names[i], null, COPY, PROC };
	}
	err = spawn_wait("inspect-32", g32, 32, NULL, &st);
	dc_check(!err && exited(&st, 0), "inspect-32 (32 grants, the limit) ended: %s",
	         err ? dc_errname(err) : dc_status(&st, sbuf, 160));
	dc_check(intact(), "the parent's other CapIds all still work");
}

/* A request that must fail with `want`, leaving the parent as it was. */
static void hostile(const char *what, const char *name, const char *binary, const struct dc_grant *g, uint32_t n,
                    const struct capos_quota *q, int want)
{
	cap_id_t h = 0;
	char why[128];
	int err = dc_spawn(spawner, name, binary, g, n, q, &h, why, sizeof(why));
	if (!dc_expect(err, want, "%s", what) && !err) {
		process_kill(h);
		cap_release(h);
	}
	dc_check(dc_alive(null_mo2) && intact(), "  ... and the parent lost nothing");
}

static void phase_hostile(void)
{
	dc_say("-- hostile requests (each also tries to move null-mo2)");
	const struct dc_grant mv = { "m", null_mo2, MOVE, PROC };
	struct dc_grant g[40];

	g[0] = mv;
	hostile("unknown binary", "x", "no-such-binary", g, 1, NULL, DC_ERR(NOT_FOUND));

	g[1] = (struct dc_grant){ "s", 0x00ff00fe, COPY, PROC };
	hostile("a CapId the parent never held", "x", "spawn-smoke", g, 2, NULL, DC_ERR(STALE_CAP));
	g[1] = (struct dc_grant){ "s", null_mo, COPY, PROC };
	hostile("the CapId of a hold moved away earlier", "x", "spawn-smoke", g, 2, NULL, DC_ERR(STALE_CAP));
	g[1] = (struct dc_grant){ "s", 0, COPY, PROC };
	hostile("CapId 0", "x", "spawn-smoke", g, 2, NULL, DC_ERR(STALE_CAP));

	g[1] = (struct dc_grant){ "nt", timer_nt, COPY, PROC };
	hostile("copy of a nonTransferable hold", "x", "spawn-smoke", g, 2, NULL, DC_ERR(NOT_TRANSFERABLE));
	g[1] = (struct dc_grant){ "nt", timer_nt, MOVE, PROC };
	hostile("move of a nonTransferable hold", "x", "spawn-smoke", g, 2, NULL, DC_ERR(NOT_TRANSFERABLE));
	g[0] = (struct dc_grant){ "c", null_mo2, COPY, PROC };
	hostile("copy of a moveOnly hold", "x", "spawn-smoke", g, 1, NULL, DC_ERR(NOT_TRANSFERABLE));

	g[0] = (struct dc_grant){ "x", dc_console, COPY, PROC };
	g[1] = (struct dc_grant){ "x", null_mo2, MOVE, PROC };
	hostile("two grants named x", "x", "spawn-smoke", g, 2, NULL, DC_ERR(ALREADY_EXISTS));

	static char names[33][8];
	for (int i = 0; i < 32; i++) {
		capos_snprintf(names[i], sizeof(names[i]), "g%d", i);
		g[i] = (struct dc_grant){ names[i], null, COPY, PROC };
	}
	g[32] = mv;
	hostile("33 grants", "x", "spawn-smoke", g, 33, NULL, DC_ERR(TOO_LARGE));

	g[0] = (struct dc_grant){ "console", dc_console, COPY, PROC };
	g[1] = (struct dc_grant){ "timer", timer, COPY, PROC };
	g[2] = mv;
	struct capos_quota q2 = { .cap_slots = 2 };
	hostile("capSlots 2 for 3 grants", "x", "spawn-smoke", g, 3, &q2, DC_ERR(RESOURCE_EXHAUSTED));
	struct capos_quota qbig = { .cap_slots = 4097 };
	hostile("capSlots 4097 (over the limit)", "x", "spawn-smoke", g, 3, &qbig, DC_ERR(INVALID_ARGUMENT));
	struct capos_quota qmem = { .memory_pages = 16 };
	hostile("memoryPages 16 (too small for the image)", "x", "spawn-smoke", g, 3, &qmem,
	        DC_ERR(RESOURCE_EXHAUSTED));

	g[0] = mv;
	hostile("empty process name", "", "spawn-smoke", g, 1, NULL, DC_ERR(INVALID_ARGUMENT));
	hostile("process name with a slash", "a/b", "spawn-smoke", g, 1, NULL, DC_ERR(INVALID_ARGUMENT));
	hostile("64-byte process name", "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd", "spawn-smoke",
	        g, 1, NULL, DC_ERR(INVALID_ARGUMENT));
	g[1] = (struct dc_grant){ "", null, COPY, PROC };
	hostile("empty grant name", "x", "spawn-smoke", g, 2, NULL, DC_ERR(INVALID_ARGUMENT));
	g[1] = (struct dc_grant){ "a b", null, COPY, PROC };
	hostile("grant name with a space", "x", "spawn-smoke", g, 2, NULL, DC_ERR(INVALID_ARGUMENT));
	g[1] = (struct dc_grant){ "n", null, 2, PROC };
	hostile("unknown transfer mode 2", "x", "spawn-smoke", g, 2, NULL, DC_ERR(INVALID_ARGUMENT));
	g[1] = (struct dc_grant){ "n", null, COPY, 2 };
	hostile("unknown scope 2", "x", "spawn-smoke", g, 2, NULL, DC_ERR(INVALID_ARGUMENT));
	g[1] = (struct dc_grant){ "again", null_mo2, MOVE, PROC };
	hostile("one hold moved twice", "x", "spawn-smoke", g, 2, NULL, DC_ERR(INVALID_ARGUMENT));
}

static void phase_many(void)
{
	dc_say("-- eight children at once (children quota 8)");
	char sbuf[160];
	static cap_id_t h[8];
	static uint8_t answers[8][320] __attribute__((aligned(8)));
	uint64_t ud[8];
	int spawned = 0;
	for (int i = 0; i < 8; i++) {
		char name[32];
		capos_snprintf(name, sizeof(name), "sleeper-%d", i);
		struct dc_grant g[2] = { { "console", dc_console, COPY, PROC }, { "timer", timer, COPY, PROC } };
		if (dc_spawn(spawner, name, "spawn-smoke", g, 2, NULL, &h[i], NULL, 0) == 0)
			spawned++;
	}
	dc_check(spawned == 8, "spawned sleeper-0..7 (sleeper-N sleeps (8-N)*150 ms, exits 40+N)");

	cap_id_t x;
	char why[128];
	struct dc_grant g[1] = { { "m", null_mo2, MOVE, PROC } };
	int err = dc_spawn(spawner, "ninth", "spawn-smoke", g, 1, NULL, &x, why, sizeof(why));
	dc_expect(err, DC_ERR(RESOURCE_EXHAUSTED), "a ninth child (children quota used up)");
	dc_check(dc_contains(why, "children") && dc_alive(null_mo2) && intact(),
	         "  ... refused for the quota (\"%s\") and the parent lost nothing", why);

	/* All waits at once; completions come as the children end. */
	int submitted = 0;
	for (int i = 0; i < spawned; i++)
		submitted += process_wait_submit(h[i], answers[i], sizeof(answers[i]), &ud[i]) == 0;
	dc_check(submitted == 8, "eight waits outstanding at once");
	char order[64];
	size_t olen = 0;
	bool codes = true;
	for (int left = submitted; left > 0;) {
		struct capos_cqe c;
		if (!capos_ring_next_cqe(capos_ring(), &c)) {
			if (sys_cap_enter(1, CAPOS_WAIT_FOREVER) < 0)
				break;
			continue;
		}
		for (int i = 0; i < 8; i++) {
			if (c.user_data != ud[i])
				continue;
			struct capos_exit st = { 0 };
			if (process_wait_finish(&c, answers[i], sizeof(answers[i]), &st) || !exited(&st, 40 + i)) {
				codes = false;
				dc_say("sleeper-%d: %s", i, dc_status(&st, sbuf, sizeof(sbuf)));
			}
			olen += capos_snprintf(order + olen, sizeof(order) - olen, "%s%d", olen ? " " : "", i);
			left--;
		}
	}
	dc_check(codes, "each sleeper's wait answered with its own code 40+N");
	dc_check(!strcmp(order, "7 6 5 4 3 2 1 0"), "completions came in exit order: %s", order);
	for (int i = 0; i < 8; i++)
		cap_release(h[i]);

	/* Waited for in reverse spawn order, blocking. */
	static const char *const exits[5] = { "exit-11", "exit-0", "exit--13", "exit-255", "exit-12" };
	static const int codes5[5] = { 11, 0, -13, 255, 12 };
	cap_id_t hh[5];
	int ok = 0;
	for (int i = 0; i < 5; i++)
		ok += process_spawn(spawner, exits[i], "spawn-smoke", NULL, 0, NULL, &hh[i]) == 0;
	dc_check(ok == 5, "after they ended the quota is free again: spawned 5 more");
	char got[96];
	size_t glen = 0;
	for (int i = 4; i >= 0; i--) {
		struct capos_exit st;
		if (process_wait(hh[i], &st) == 0 && exited(&st, codes5[i]))
			glen += capos_snprintf(got + glen, sizeof(got) - glen, "%s%d", glen ? " " : "", st.code);
		else
			glen += capos_snprintf(got + glen, sizeof(got) - glen, " %s:WRONG", exits[i]);
	}
	dc_check(!strcmp(got, "12 255 -13 0 11"), "waited in reverse spawn order: codes %s", got);
	struct capos_exit st;
	dc_check(process_wait(hh[3], &st) == 0 && exited(&st, 255), "a second wait answers the same code");
	dc_check(process_kill(hh[3]) == 0 && process_wait(hh[3], &st) == 0 && exited(&st, 255),
	         "kill after the end does nothing: still code 255");
	for (int i = 0; i < 5; i++)
		cap_release(hh[i]);
}

static void phase_endings(void)
{
	dc_say("-- faults and kills");
	char sbuf[160];
	struct capos_exit st = { 0 };
	struct capos_grant gt[2] = { { "console", dc_console, COPY, PROC }, { "timer", timer, COPY, PROC } };
	int err = spawn_wait("trap", NULL, 0, NULL, &st);
	dc_check(!err && st.how == CAPOS_EXIT_STATUS_WHICH_FAULT && dc_prefix(st.fault, "illegal instruction at 0x"),
	         "trap (ud2) ended with the fault \"illegal instruction at 0x...\"");
	if (err || st.how != CAPOS_EXIT_STATUS_WHICH_FAULT || !dc_prefix(st.fault, "illegal instruction at 0x"))
		dc_say("  (it ended: %s)", err ? dc_errname(err) : dc_status(&st, sbuf, sizeof(sbuf)));
	/* Its bad write: the fault text names the address it told us. */
	cap_id_t h, ep, client;
	err = endpoint_create(factory, CAPOS_ECHO_INTERFACE_ID, &ep);
	if (!err)
		err = endpoint_mint(ep, 1, &client);
	dc_expect(err, 0, "an Echo endpoint from the EndpointFactory and a client");
	struct dc_grant gs[1] = { { "ep", client, COPY, PROC } };
	int e = dc_spawn(spawner, "segv", "spawn-smoke", gs, 1, NULL, &h, NULL, 0);
	static uint8_t rbuf[1024] __attribute__((aligned(8)));
	struct capos_call call;
	char where[32] = "?", want[64];
	if (!e && !(e = capos_recv(ep, rbuf, sizeof(rbuf), &call))) {
		dc_call_data(&call, where, sizeof(where));
		e = dc_echo_return(call.call_id, "ok", NULL, 0);
	}
	st = (struct capos_exit){ 0 };
	if (!e)
		e = process_wait(h, &st);
	cap_release(h);
	capos_snprintf(want, sizeof(want), " (address %s)", where);
	size_t fl = strlen(st.fault), sl = strlen(want);
	dc_check(!e && st.how == CAPOS_EXIT_STATUS_WHICH_FAULT && dc_prefix(st.fault, "bad memory access at 0x") &&
	             fl > sl && !strcmp(st.fault + fl - sl, want),
	         "segv (a write to its own code) ended with the fault \"bad memory access at 0x... (address "
	         "<where it wrote>)\"");
	if (e || st.how != CAPOS_EXIT_STATUS_WHICH_FAULT || fl <= sl || strcmp(st.fault + fl - sl, want))
		dc_say("  (it wrote at %s and ended: %s)", where, e ? dc_errname(e) : dc_status(&st, sbuf, sizeof(sbuf)));

	err = process_spawn(spawner, "forever", "spawn-smoke", NULL, 0, NULL, &h);
	sleep_ms(30);
	dc_expect(err ? err : process_kill(h), 0, "kill a child blocked in cap_enter (nobody waiting for it)");
	dc_check(!err && process_wait(h, &st) == 0 && st.how == CAPOS_EXIT_STATUS_WHICH_KILLED,
	         "  ... its wait answers killed");
	cap_release(h);

	err = process_spawn(spawner, "spin", "spawn-smoke", NULL, 0, NULL, &h);
	sleep_ms(30);
	dc_expect(err ? err : process_kill(h), 0, "kill a child spinning in user code");
	dc_check(!err && process_wait(h, &st) == 0 && st.how == CAPOS_EXIT_STATUS_WHICH_KILLED,
	         "  ... its wait answers killed");
	cap_release(h);

	err = process_spawn(spawner, "forever", "spawn-smoke", NULL, 0, NULL, &h);
	dc_expect(err ? err : process_kill(h), 0, "kill a child before it ever ran");
	dc_check(!err && process_wait(h, &st) == 0 && st.how == CAPOS_EXIT_STATUS_WHICH_KILLED,
	         "  ... its wait answers killed");
	cap_release(h);

	/* The documented answer of kill is empty results, whoever else is
	 * waiting for the child's end. */
	static uint8_t answer[320] __attribute__((aligned(8)));
	uint64_t ud;
	err = process_spawn(spawner, "forever", "spawn-smoke", gt, 2, NULL, &h);
	if (!err)
		err = process_wait_submit(h, answer, sizeof(answer), &ud);
	sleep_ms(30);
	dc_expect(err ? err : process_kill(h), 0, "kill a child while a wait for it is outstanding");
	struct capos_cqe c;
	dc_check(!err && capos_ring_wait(capos_ring(), ud, &c) == 0 &&
	             process_wait_finish(&c, answer, sizeof(answer), &st) == 0 &&
	             st.how == CAPOS_EXIT_STATUS_WHICH_KILLED,
	         "  ... the outstanding wait answers killed");
	cap_release(h);

	/* A child killing itself through its own handle, sent over IPC. */
	for (int mode = 0; mode < 2 && !err; mode++) {
		struct dc_grant g[1] = { { "ep", ep, COPY, PROC } };
		const char *name = mode ? "selfkill-move" : "selfkill-copy";
		e = dc_spawn(spawner, name, "spawn-smoke", g, 1, NULL, &h, NULL, 0);
		struct capos_xfer x = { .cap = h, .mode = mode ? CAPOS_XFER_MOVE : CAPOS_XFER_COPY };
		char out[32] = "";
		if (!e)
			e = dc_echo(client, "your handle", &x, 1, out, sizeof(out), NULL, NULL);
		dc_check(!e && !strcmp(out, "got it"), "%s: the child received its own handle (%s)", name,
		         mode ? "moved" : "copied");
		if (!mode) {
			e = process_wait(h, &st);
			dc_check(!e && st.how == CAPOS_EXIT_STATUS_WHICH_KILLED, "%s: it killed itself: %s", name,
			         e ? dc_errname(e) : dc_status(&st, sbuf, sizeof(sbuf)));
			cap_release(h);
		} else {
			dc_expect(dc_probe(h), DC_ERR(STALE_CAP), "%s: our handle went with it", name);
			sleep_ms(50);
			dc_check(intact(), "%s: after it killed itself (holding the only handle) all is well", name);
		}
	}
	cap_release(client);
	cap_release(ep);
}

static void phase_table(void)
{
	dc_say("-- the process table");
	struct capos_exit st;
	char sbuf[160];
	/* Quotas are hierarchical: no child of ours may have more children than
	 * our quota of 8, so the filler is a manifest service with its own
	 * (children = 600), started by us. */
	cap_id_t h;
	int err = process_start_service(spawner, "filler", &h);
	if (!err)
		err = process_wait(h, &st);
	if (!err)
		err = cap_release(h);
	/* Live: init, filler and 510 idle children = PROC_MAX_LIVE (512). */
	dc_check(!err && exited(&st, 510), "filler got 510 children next to init and itself (512 in all): %s",
	         err ? dc_errname(err) : dc_status(&st, sbuf, sizeof(sbuf)));
}

static void phase_session(void)
{
	dc_say("-- session scope");
	char sbuf[160];
	cap_id_t ep, report, mid;
	int err = endpoint_create(factory, CAPOS_ECHO_INTERFACE_ID, &ep);
	if (!err)
		err = endpoint_mint(ep, 1, &report);
	struct dc_grant g[5] = { { "console", dc_console, COPY, PROC }, { "spawner", spawner, COPY, PROC },
	                         { "null", null, COPY, PROC }, { "timer", timer, COPY, PROC },
	                         { "report", report, COPY, PROC } };
	if (!err)
		err = dc_spawn(spawner, "sess-mid", "spawn-smoke", g, 5, NULL, &mid, NULL, 0);
	if (!dc_expect(err, 0, "spawn sess-mid (it spawns sess-leaf with a session-scoped NullCap)"))
		return;

	static uint8_t buf[2048] __attribute__((aligned(8)));
	uint32_t mid_call = 0, leaf_call = 0;
	cap_id_t passed = 0;
	for (int k = 0; k < 2; k++) {
		struct capos_call call;
		char data[64];
		if ((err = capos_recv(ep, buf, sizeof(buf), &call)))
			break;
		dc_call_data(&call, data, sizeof(data));
		if (!strcmp(data, "mid-ready")) {
			mid_call = call.call_id;
		} else if (!strcmp(data, "leaf-ready") && call.ncaps == 1) {
			leaf_call = call.call_id;
			passed = call.caps[0];
		}
	}
	dc_check(mid_call && leaf_call, "sess-mid and sess-leaf both called in");
	dc_expect(passed ? null_nop(passed) : DC_ERR(STALE_CAP), 0,
	          "the leaf passed us a copy of its session-scoped hold; it works");
	dc_expect(dc_echo_return(leaf_call, "go", NULL, 0), 0, "answer the leaf");
	dc_expect(dc_echo_return(mid_call, "go", NULL, 0), 0, "answer sess-mid (it exits now)");
	struct capos_exit st;
	err = process_wait(mid, &st);
	dc_check(!err && exited(&st, 0), "sess-mid ended: %s", err ? dc_errname(err) : dc_status(&st, sbuf, 160));
	cap_release(mid);
	dc_expect(dc_probe(passed), DC_ERR(STALE_CAP),
	          "the copy passed on to us was revoked with its grantor (still session-scoped)");

	struct capos_call call;
	char data[96] = "";
	err = capos_recv(ep, buf, sizeof(buf), &call);
	if (!err)
		dc_call_data(&call, data, sizeof(data));
	dc_check(!err && !strcmp(data, "before=ok after=staleCap kept=yes"),
	         "the leaf (orphaned, still running): session hold worked, then went stale; its process-scoped "
	         "holds stayed (%s)",
	         data);
	if (!err)
		dc_echo_return(call.call_id, "bye", NULL, 0);
	dc_check(null_nop(null) == 0 && intact(), "our own NullCap (the source of the grant) still works");
	cap_release(report);
	cap_release(ep);
}

static void note_service(const char *name, void *ud)
{
	char *list = ud;
	size_t n = strlen(list);
	capos_snprintf(list + n, 128 - n, "%s%s", n ? " " : "", name);
}

static void phase_services(void)
{
	dc_say("-- startService");
	char sbuf[160], list[128] = "";
	int n = process_services(spawner, note_service, list);
	dc_check(n == 2 && !strcmp(list, "svc-a filler"), "services() lists the byInit services: %s", list);
	cap_id_t h;
	int err = process_start_service(spawner, "svc-a", &h);
	dc_expect(err, 0, "startService svc-a");
	struct capos_exit st;
	if (!err) {
		err = process_wait(h, &st);
		cap_release(h);
	}
	dc_check(!err && exited(&st, 7), "svc-a ended: %s", err ? dc_errname(err) : dc_status(&st, sbuf, sizeof(sbuf)));
	dc_expect(process_start_service(spawner, "svc-a", &h), DC_ERR(ALREADY_EXISTS), "startService svc-a again");
	dc_expect(process_start_service(spawner, "no-such-service", &h), DC_ERR(NOT_FOUND),
	          "startService of an unknown name");
	dc_expect(process_start_service(spawner, "spawn-smoke", &h), DC_ERR(NOT_FOUND),
	          "startService of init (an atBoot service)");
	dc_check(intact(), "the parent lost nothing");
}

static int parent(void)
{
	dc_who = "spawn-smoke";
	if (capset_get("spawner", &spawner, NULL) || capset_get("timer", &timer, NULL) ||
	    capset_get("null", &null, NULL) || capset_get("factory", &factory, NULL) ||
	    capset_get("timer-nt", &timer_nt, NULL) || capset_get("null-mo", &null_mo, NULL) ||
	    capset_get("null-mo2", &null_mo2, NULL)) {
		dc_say("missing capabilities");
		return 2;
	}
	phase_grants();
	phase_hostile();
	phase_many();
	phase_endings();
	phase_session();
	phase_services();
	phase_table(); /* last: it spawns more than all the others together */
	dc_say("%d checks, %d failed", dc_checks, dc_failed);
	return dc_failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "spawn-smoke")) {
		if (capset_get("console", &dc_console, NULL))
			return 2;
		return parent();
	}
	return child(argc >= 1 ? argv[0] : "", argc);
}
