/*
 * frame-allocator-cleanup - FrameAllocator: allocations are exact, count
 * against the memory quota together with mapped pages, and come back when
 * their holder ends, however it ends.
 *
 * One binary; the process name picks the role. The parent (init) checks:
 *
 *  1. free must name an allocation exactly: a part of one, a range over
 *     two, a double free and a range never allocated are notFound; counts
 *     0 and 4097 are invalidArgument; allocations never overlap.
 *  2. "quota" (a child with memoryPages 1500) allocates frames until its
 *     quota is used up (resourceExhausted, "memory quota"); a VirtualMemory
 *     map fails too (one quota for both); after freeing k frames exactly k
 *     pages can be mapped, and not one more.
 *  3. three rounds of "hog": a child with no effective quota takes every
 *     free frame in the system (100 single frames, then the rest in big
 *     runs, until "no free frames"), tells the parent how many (N) and then
 *     exits / is killed / faults without freeing anything. While it holds
 *     them the parent cannot allocate one frame; after its end the parent
 *     allocates exactly N again, and then not one more: all came back. N is
 *     the same every round.
 *  4. the parent exits holding three allocations: the kernel's ledger check
 *     at its exit (a panic, capos-sim exit 121) and the allocation check at
 *     shutdown (exit 125) prove they were returned.
 */
#include <capos/capos.h>

#include "../spawn-smoke/demo-check.h"

static cap_id_t frames, vm, spawner, factory, timer;

/* FrameAllocator.allocate keeping count and the exception text. */
static int alloc_ex(uint32_t count, uint64_t *base, uint32_t *got, char *why, size_t whylen)
{
	uint8_t arena[96] __attribute__((aligned(8))), answer[256] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_FrameAllocator_allocate_Params_set_count(capos_FrameAllocator_allocate_Params_new_root(&b), count);
	const void *msg;
	size_t len;
	int err = capos_msg_end(&b, &msg, &len);
	if (err)
		return err;
	struct cap_call_args a = { .cap = frames, .method = CAPOS_FRAME_ALLOCATOR_METHOD_ALLOCATE, .params = msg,
	                           .params_len = len, .result = answer, .result_len = sizeof(answer) };
	struct cap_call_result res;
	if ((err = dc_call(&a, &res, why, whylen)))
		return err;
	struct capn_reader r;
	if (!res.msg || capos_msg_read(&r, res.msg, res.msg_len))
		return DC_ERR(BAD_MESSAGE);
	capos_FrameAllocator_allocate_Results_r rr = capos_FrameAllocator_allocate_Results_read_root(&r);
	*base = capos_FrameAllocator_allocate_Results_get_base(rr);
	if (got)
		*got = capos_FrameAllocator_allocate_Results_get_count(rr);
	return 0;
}

static int alloc1(uint32_t count, uint64_t *base) { return alloc_ex(count, base, NULL, NULL, 0); }

/* ------------------------------------------------------------ children */

/* Frames up to the quota, then the quota shared with mapped pages. */
static int quota_child(void)
{
	dc_who = "quota";
	static uint64_t bases[64];
	static uint32_t counts[64];
	int n = 0, err = 0;
	char why[128] = "";
	uint32_t total = 0;
	for (uint32_t chunk = 1024; chunk >= 1 && n < 64;) {
		err = alloc_ex(chunk, &bases[n], NULL, why, sizeof(why));
		if (err == DC_ERR(RESOURCE_EXHAUSTED)) {
			chunk /= 2;
			continue;
		}
		if (err)
			break;
		counts[n++] = chunk;
		total += chunk;
	}
	dc_check(err == DC_ERR(RESOURCE_EXHAUSTED) && total > 0 && dc_contains(why, "quota"),
	         "allocated frames until the quota was used up: %s (\"%s\")", dc_errname(err), why);
	dc_expect(alloc_ex(1, &(uint64_t){ 0 }, NULL, why, sizeof(why)), DC_ERR(RESOURCE_EXHAUSTED),
	          "one more frame");
	void *p;
	dc_expect(vm_map(vm, 4096, CAPOS_PROT_READ | CAPOS_PROT_WRITE, &p), DC_ERR(RESOURCE_EXHAUSTED),
	          "a VirtualMemory page too (one quota for frames and pages)");
	/* Give back the smallest allocations (total k frames, k >= 4). */
	uint32_t k = 0;
	while (n > 0 && k < 4) {
		n--;
		if (frame_free(frames, bases[n], counts[n]) == 0)
			k += counts[n];
	}
	int mapped = 0;
	for (uint32_t i = 0; i < k + 1; i++) {
		if (vm_map(vm, 4096, CAPOS_PROT_READ | CAPOS_PROT_WRITE, &p) != 0)
			break;
		*(volatile uint8_t *)p = 1;
		mapped++;
	}
	dc_check(k >= 4 && mapped == (int)k, "freed a few frames (at least 4), then mapped exactly as many pages "
	                                      "and not one more");
	dc_expect(alloc1(1, &(uint64_t){ 0 }), DC_ERR(RESOURCE_EXHAUSTED), "and a frame is refused again");
	/* Exit holding everything: the kernel takes it back. */
	return dc_failed ? 1 : 0;
}

/* Take every free frame, report how many, then end as told. */
static int hog(const char *how)
{
	cap_id_t ep;
	if (capset_get("ep", &ep, NULL))
		return 2;
	uint64_t base;
	uint32_t total = 0, singles = 0;
	for (int i = 0; i < 100; i++)
		if (alloc1(1, &base) == 0)
			singles++;
	total = singles;
	int err = 0;
	char why[128] = "";
	for (uint32_t chunk = 4096; chunk >= 1;) {
		err = alloc_ex(chunk, &base, NULL, why, sizeof(why));
		if (err == DC_ERR(RESOURCE_EXHAUSTED)) {
			if (!dc_contains(why, "no free frames"))
				break; /* a quota, not the pool: wrong */
			chunk /= 2;
			continue;
		}
		if (err)
			break;
		total += chunk;
	}
	char msg[64], out[16];
	capos_snprintf(msg, sizeof(msg), "%u %s", singles == 100 && dc_contains(why, "no free frames") ? total : 0,
	               why);
	if (dc_echo(ep, msg, NULL, 0, out, sizeof(out), NULL, NULL))
		return 3;
	if (!strcmp(how, "hog-exit"))
		return 0;
	if (!strcmp(how, "hog-fault"))
		__builtin_trap();
	for (;;)
		sys_cap_enter(1, 3600ull * 1000 * DC_MS);
}

/* ------------------------------------------------------------ parent */

static void phase_exact(void)
{
	dc_say("-- allocations are exact");
	uint64_t b = 0, b2 = 0, b3 = 0;
	uint32_t got = 0;
	int err = alloc_ex(8, &b, &got, NULL, 0);
	dc_check(!err && got == 8 && b % 4096 == 0, "allocate 8 frames: %s, %u frames at a page boundary",
	         dc_errname(err), got);
	dc_expect(frame_free(frames, b, 4), DC_ERR(NOT_FOUND), "free the first half of it");
	dc_expect(frame_free(frames, b + 4096, 7), DC_ERR(NOT_FOUND), "free all of it but the first frame");
	dc_expect(frame_free(frames, b, 16), DC_ERR(NOT_FOUND), "free 16 frames from its base");
	dc_expect(frame_free(frames, 0x1000, 1), DC_ERR(NOT_FOUND), "free a frame never allocated");
	err = alloc1(4, &b2);
	if (!err)
		err = alloc1(4, &b3);
	bool apart = b2 + 4 * 4096 <= b || b + 8 * 4096 <= b2;
	apart = apart && (b3 + 4 * 4096 <= b || b + 8 * 4096 <= b3) && (b3 + 4 * 4096 <= b2 || b2 + 4 * 4096 <= b3);
	dc_check(!err && apart, "two more allocations of 4: no overlap with each other or the first");
	if (b3 == b2 + 4 * 4096)
		dc_expect(frame_free(frames, b2, 8), DC_ERR(NOT_FOUND), "free one range covering two adjacent allocations");
	else
		dc_check(true, "free one range covering two adjacent allocations -> notFound (they were not adjacent)");
	dc_expect(frame_free(frames, b, 8), 0, "free the 8 exactly");
	dc_expect(frame_free(frames, b, 8), DC_ERR(NOT_FOUND), "free them again (double free)");
	dc_expect(frame_free(frames, b2, 4), 0, "free the second allocation");
	dc_expect(frame_free(frames, b3, 4), 0, "free the third allocation");
	dc_expect(alloc1(0, &b), DC_ERR(INVALID_ARGUMENT), "allocate 0 frames");
	dc_expect(alloc1(4097, &b), DC_ERR(INVALID_ARGUMENT), "allocate 4097 frames (over one allocation's limit)");
}

static void phase_quota(void)
{
	dc_say("-- the memory quota (a child with memoryPages 1500)");
	struct capos_grant g[3] = { { "console", dc_console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	                            { "frames", frames, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	                            { "vm", vm, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS } };
	struct capos_quota q = { .memory_pages = 1500 };
	cap_id_t h;
	struct capos_exit st = { 0 };
	char sbuf[160];
	int err = process_spawn(spawner, "quota", "frame-allocator-cleanup", g, 3, &q, &h);
	if (!err)
		err = process_wait(h, &st);
	dc_check(!err && st.how == CAPOS_EXIT_STATUS_WHICH_CODE && st.code == 0,
	         "quota exited holding its frames and pages: %s", err ? dc_errname(err) : dc_status(&st, sbuf, 160));
	cap_release(h);
}

/* Allocate `n` frames in runs of at most 4096; returns how many it got. */
static uint32_t take(uint32_t n, uint64_t *bases, uint32_t *counts, int *nruns)
{
	uint32_t got = 0;
	*nruns = 0;
	while (got < n) {
		uint32_t c = n - got > 4096 ? 4096 : n - got;
		if (alloc1(c, &bases[*nruns]))
			break;
		counts[(*nruns)++] = c;
		got += c;
	}
	return got;
}

static uint32_t first_n;

static void round_hog(const char *how)
{
	char sbuf[160];
	cap_id_t ep, client, h;
	int err = endpoint_create(factory, CAPOS_ECHO_INTERFACE_ID, &ep);
	if (!err)
		err = endpoint_mint(ep, 1, &client);
	struct capos_grant g[2] = { { "frames", frames, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	                            { "ep", client, CAPOS_TRANSFER_MODE_MOVE, CAPOS_CAP_SCOPE_PROCESS } };
	struct capos_quota q = { .memory_pages = 0xffffffffu };
	if (!err)
		err = process_spawn(spawner, how, "frame-allocator-cleanup", g, 2, &q, &h);
	if (!dc_expect(err, 0, "spawn %s", how))
		return;
	static uint8_t buf[1024] __attribute__((aligned(8)));
	struct capos_call call;
	char data[128] = "";
	if (!(err = capos_recv(ep, buf, sizeof(buf), &call)))
		dc_call_data(&call, data, sizeof(data));
	uint32_t n = (uint32_t)dc_atol(data);
	dc_check(!err && n > 100, "%s took every free frame and still holds them", how);
	dc_say("  (%s)", data);
	uint64_t b;
	char why[128] = "";
	err = alloc_ex(1, &b, NULL, why, sizeof(why));
	dc_check(err == DC_ERR(RESOURCE_EXHAUSTED) && dc_contains(why, "no free frames"),
	         "meanwhile the parent cannot allocate one frame: %s (\"%s\")", dc_errname(err), why);
	if (!err)
		frame_free(frames, b, 1);
	dc_echo_return(call.call_id, "ok", NULL, 0);

	struct capos_exit st = { 0 };
	if (!strcmp(how, "hog-killed"))
		dc_expect(process_kill(h), 0, "kill %s", how);
	err = process_wait(h, &st);
	const char *want = !strcmp(how, "hog-exit") ? "code 0" : !strcmp(how, "hog-killed") ? "killed" : "fault";
	bool as_told = !err && dc_prefix(dc_status(&st, sbuf, sizeof(sbuf)), want);
	dc_check(as_told, "%s ended without freeing: %s", how, err ? dc_errname(err) : as_told ? want : sbuf);
	cap_release(h);

	static uint64_t bases[64];
	static uint32_t counts[64];
	int runs;
	uint32_t again = take(n, bases, counts, &runs);
	dc_check(again == n, "the parent allocated all N of them again");
	err = alloc_ex(1, &b, NULL, why, sizeof(why));
	dc_check(err == DC_ERR(RESOURCE_EXHAUSTED) && dc_contains(why, "no free frames"),
	         "and then not one more: exactly N came back");
	if (!err)
		frame_free(frames, b, 1);
	int freed = 0;
	for (int i = 0; i < runs; i++)
		freed += frame_free(frames, bases[i], counts[i]) == 0;
	dc_check(freed == runs, "the parent freed them all");
	if (!first_n)
		first_n = n;
	dc_check(n == first_n, "N is the same as in the first round");
	cap_release(ep);
}

static int parent(void)
{
	dc_who = "frame-allocator-cleanup";
	if (capset_get("frames", &frames, NULL) || capset_get("vm", &vm, NULL) || capset_get("spawner", &spawner, NULL) ||
	    capset_get("factory", &factory, NULL) || capset_get("timer", &timer, NULL)) {
		dc_say("missing capabilities");
		return 2;
	}
	phase_exact();
	phase_quota();
	dc_say("-- a child takes every free frame and ends without freeing them");
	round_hog("hog-exit");
	round_hog("hog-killed");
	round_hog("hog-fault");
	dc_say("-- the parent exits holding three allocations");
	uint64_t b;
	int ok = 0;
	for (uint32_t c = 1; c <= 3; c++)
		ok += alloc1(c * 7, &b) == 0;
	dc_check(ok == 3, "allocated 7, 14 and 21 frames, not freed");
	dc_say("%d checks, %d failed", dc_checks, dc_failed);
	return dc_failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *who = argc >= 1 ? argv[0] : "";
	capset_get("console", &dc_console, NULL);
	capset_get("frames", &frames, NULL);
	capset_get("vm", &vm, NULL);
	if (!strcmp(who, "frame-allocator-cleanup"))
		return parent();
	if (!strcmp(who, "quota"))
		return quota_child();
	if (dc_prefix(who, "hog-"))
		return hog(who);
	return 99;
}
