/*
 * virtual-memory - VirtualMemory: map, protect and unmap anonymous memory
 * in the caller's own address space, and nothing else.
 *
 * One binary; the process name picks the role. The parent (init) checks:
 *
 *  1. map read-write, write a pattern, read it back; the kernel writes call
 *     answers there too.
 *  2. protect read-only: reads still work, the kernel refuses to write an
 *     answer there (badAddress), and a write faults: in a child (ro-writer),
 *     whose fault text, read through wait, names the address it wrote.
 *  3. W^X: map or protect write+execute is permissionDenied; unknown
 *     protection bits, unaligned addresses and size 0 are invalidArgument.
 *     Code written to a page runs once the page is read+execute, and faults
 *     once it is not executable (in a child, nx-exec).
 *  4. unmap or protect of memory VirtualMemory did not map (the stack, the
 *     heap, the CapSet page, the ring, the image) is notFound.
 *  5. unmap of a middle page: the pages around it keep their contents and
 *     work, the kernel refuses the hole as a buffer, unmapping it again or a
 *     range over it is notFound, and touching it faults (in a child,
 *     hole-toucher). Unmapping from either end shrinks a mapping.
 *  6. a child holding a copy of VirtualMemory cannot unmap or protect the
 *     parent's memory (the capability acts on its caller).
 *  7. the memory quota: a child with memoryPages 1400 maps until
 *     resourceExhausted; one unmapped page can be mapped again and no more;
 *     the count is the same in a second run (nothing left behind by the
 *     first). Mappings over 1 GiB are invalidArgument, a 1 GiB mapping over
 *     the parent's quota resourceExhausted.
 *  8. children end holding their mappings (exit, fault, kill): the kernel's
 *     ledger check at each exit (panic, exit 121) and the allocation check at
 *     shutdown (exit 125) prove they leave nothing behind.
 */
#include <capos/capos.h>

#include "../spawn-smoke/demo-check.h"

#define PAGE 4096u
#define RW (CAPOS_PROT_READ | CAPOS_PROT_WRITE)
#define RX (CAPOS_PROT_READ | CAPOS_PROT_EXEC)

static cap_id_t vm, spawner, factory, timer;

static uint8_t pattern(uint64_t i) { return (uint8_t)(i * 7 + 3); }

static void fill(void *p, size_t len, uint64_t seed)
{
	volatile uint8_t *b = p;
	for (size_t i = 0; i < len; i++)
		b[i] = pattern(i + seed);
}

static bool same(const void *p, size_t len, uint64_t seed)
{
	const volatile uint8_t *b = p;
	for (size_t i = 0; i < len; i++)
		if (b[i] != pattern(i + seed))
			return false;
	return true;
}

/* Timer.now with its answer written by the kernel at `buf`. */
static int now_into(void *buf, size_t len)
{
	struct cap_call_args a = { .cap = timer, .method = CAPOS_TIMER_METHOD_NOW, .result = buf, .result_len = len };
	struct cap_call_result r;
	return cap_call_ex(capos_ring(), &a, &r);
}

static int protect_raw(void *addr, uint64_t size, uint32_t prot) { return vm_protect(vm, addr, size, prot); }

/* ------------------------------------------------------------ children */

/* Tell the parent an address over "ep", then do the bad thing. */
static int report(const char *what, void *addr)
{
	cap_id_t ep;
	char msg[48], out[16];
	if (capset_get("ep", &ep, NULL))
		return -1;
	capos_snprintf(msg, sizeof(msg), "%s 0x%llx", what, (unsigned long long)(uintptr_t)addr);
	return dc_echo(ep, msg, NULL, 0, out, sizeof(out), NULL, NULL);
}

static int ro_writer(void)
{
	void *p;
	if (vm_map(vm, PAGE, RW, &p))
		return 10;
	fill(p, PAGE, 1);
	if (protect_raw(p, PAGE, CAPOS_PROT_READ) || !same(p, PAGE, 1))
		return 11;
	if (report("write", p))
		return 12;
	*(volatile uint8_t *)p = 0;
	return 13; /* the write went through */
}

static int nx_exec(void)
{
	void *p;
	static const uint8_t code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov eax, 42; ret */
	if (vm_map(vm, PAGE, RW, &p))
		return 10;
	memcpy(p, code, sizeof(code));
	if (protect_raw(p, PAGE, RX))
		return 11;
	int (*fn)(void) = (int (*)(void))p;
	if (fn() != 42)
		return 12;
	if (protect_raw(p, PAGE, CAPOS_PROT_READ))
		return 13;
	if (report("exec", p))
		return 14;
	return fn() == 42 ? 15 : 16; /* either way it ran */
}

/* In the valgrind mode memcheck would report the deliberate access to the
 * hole (a page it knows is not addressable) as an error of the simulator
 * before the fault reaches the kernel. These client requests (memcheck.h's
 * VALGRIND_DISABLE/ENABLE_ADDR_ERROR_REPORTING_IN_RANGE, requests 'M','C'
 * + 14 and + 13) ask it not to report that range, and then to report it
 * again (the parent does that after the fault, or valgrind warns at exit);
 * the fault itself still happens. Outside valgrind the instruction
 * sequence changes nothing. */
static void valgrind_report_range(void *addr, uint64_t len, bool report)
{
	volatile uint64_t args[6] = { report ? 0x4d43000du : 0x4d43000eu, (uint64_t)(uintptr_t)addr, len, 0, 0, 0 };
	uint64_t result = 0;
	__asm__ volatile("rolq $3, %%rdi; rolq $13, %%rdi; rolq $61, %%rdi; rolq $51, %%rdi; xchgq %%rbx, %%rbx"
	                 : "=d"(result)
	                 : "a"(&args[0]), "0"(result)
	                 : "cc", "memory");
	(void)result;
}

static int hole_toucher(void)
{
	uint8_t *p;
	if (vm_map(vm, 3 * PAGE, RW, (void **)&p))
		return 10;
	fill(p, 3 * PAGE, 5);
	if (vm_unmap(vm, p + PAGE, PAGE))
		return 11;
	if (!same(p, PAGE, 5) || !same(p + 2 * PAGE, PAGE, 5 + 2 * PAGE))
		return 12;
	if (report("read", p + PAGE))
		return 13;
	valgrind_report_range(p + PAGE, PAGE, false);
	return *(volatile uint8_t *)(p + PAGE) == 0 ? 14 : 15;
}

static int foreign(void)
{
	/* The parent's address arrives as the answer to our call. */
	cap_id_t ep;
	char out[48];
	if (capset_get("ep", &ep, NULL) || dc_echo(ep, "where", NULL, 0, out, sizeof(out), NULL, NULL))
		return 10;
	uint64_t a = 0;
	for (const char *s = out + 2; *s; s++)
		a = a * 16 + (uint64_t)(*s >= 'a' ? *s - 'a' + 10 : *s - '0');
	dc_expect(vm_unmap(vm, (void *)a, PAGE), DC_ERR(NOT_FOUND), "unmap the parent's page with my VirtualMemory");
	dc_expect(protect_raw((void *)a, PAGE, CAPOS_PROT_READ), DC_ERR(NOT_FOUND),
	          "protect the parent's page with my VirtualMemory");
	return dc_failed ? 1 : 0;
}

/* Map until the quota is used up; exit code: how many pages (or 0). */
static int quota_child(void)
{
	void *p;
	int pages = 0, err;
	while ((err = vm_map(vm, 16 * PAGE, RW, &p)) == 0) {
		*(volatile uint8_t *)p = 1;
		pages += 16;
	}
	if (err != DC_ERR(RESOURCE_EXHAUSTED))
		return 0;
	void *last = NULL;
	while ((err = vm_map(vm, PAGE, RW, &p)) == 0) {
		last = p;
		pages++;
	}
	dc_expect(err, DC_ERR(RESOURCE_EXHAUSTED), "mapped pages until the quota was used up");
	dc_check(last && vm_unmap(vm, last, PAGE) == 0 && vm_map(vm, PAGE, RW, &p) == 0 &&
	             vm_map(vm, PAGE, RW, &p) == DC_ERR(RESOURCE_EXHAUSTED),
	         "an unmapped page can be mapped again, and no more");
	return dc_failed ? 0 : pages; /* ends holding every mapping */
}

static int regions_child(void)
{
	void *p, *first = NULL;
	int n = 0, err;
	while (n < 1000 && (err = vm_map(vm, PAGE, RW, &p)) == 0) {
		if (!first)
			first = p;
		n++;
	}
	dc_check(err == DC_ERR(RESOURCE_EXHAUSTED) && n >= 64, "mapped single pages until the table of mappings "
	                                                        "was full: %s",
	         dc_errname(err));
	dc_check(first && vm_unmap(vm, first, PAGE) == 0 && vm_map(vm, PAGE, RW, &p) == 0,
	         "unmapping one lets one more be mapped");
	/* Wait to be killed, holding every mapping. */
	cap_id_t ep;
	char out[8];
	if (capset_get("ep", &ep, NULL) || dc_echo(ep, "full", NULL, 0, out, sizeof(out), NULL, NULL))
		return 2;
	for (;;)
		sys_cap_enter(1, 3600ull * 1000 * DC_MS);
}

/* ------------------------------------------------------------ parent */

static cap_id_t ep, client;
static uint8_t rbuf[1024] __attribute__((aligned(8)));

/* Spawn `name` with vm, console and an "ep" client; receive the address
 * it reports, answer, and wait for it to end. */
static int run_reporter(const char *name, char *what, size_t wlen, uint64_t *addr, struct capos_exit *st)
{
	cap_id_t h;
	struct capos_grant g[3] = { { "vm", vm, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	                            { "console", dc_console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	                            { "ep", client, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS } };
	int err = process_spawn(spawner, name, "virtual-memory", g, 3, NULL, &h);
	if (err)
		return err;
	struct capos_call call;
	char data[64] = "";
	if (!(err = capos_recv(ep, rbuf, sizeof(rbuf), &call))) {
		dc_call_data(&call, data, sizeof(data));
		err = dc_echo_return(call.call_id, "ok", NULL, 0);
	}
	size_t i = 0;
	while (data[i] && data[i] != ' ' && i + 1 < wlen) {
		what[i] = data[i];
		i++;
	}
	what[i] = '\0';
	*addr = 0;
	for (const char *s = data + i + 3; data[i] && *s; s++)
		*addr = *addr * 16 + (uint64_t)(*s >= 'a' ? *s - 'a' + 10 : *s - '0');
	if (!err)
		err = process_wait(h, st);
	cap_release(h);
	return err;
}

/* A fault text "bad memory access at 0x... (address 0xADDR)". */
static bool fault_at(const struct capos_exit *st, uint64_t addr)
{
	char want[48];
	capos_snprintf(want, sizeof(want), " (address 0x%llx)", (unsigned long long)addr);
	size_t fl = strlen(st->fault), wl = strlen(want);
	return st->how == CAPOS_EXIT_STATUS_WHICH_FAULT && dc_prefix(st->fault, "bad memory access at 0x") && fl > wl &&
	       !strcmp(st->fault + fl - wl, want);
}

static void phase_basic(void)
{
	dc_say("-- map, write, read back; the kernel writes there too");
	uint8_t *p = NULL;
	int err = vm_map(vm, 4 * PAGE, RW, (void **)&p);
	dc_check(!err && (uintptr_t)p % PAGE == 0, "map 4 pages read-write: %s", dc_errname(err));
	if (err)
		return;
	fill(p, 4 * PAGE, 0);
	dc_check(same(p, 4 * PAGE, 0), "wrote a pattern to all 16 KiB and read it back");
	dc_check(now_into(p + PAGE, 256) == 0, "the kernel wrote a Timer.now answer into the mapping");
	fill(p + PAGE, 256, PAGE);

	dc_expect(protect_raw(p + PAGE, PAGE, CAPOS_PROT_READ), 0, "protect the second page read-only");
	dc_check(same(p, 4 * PAGE, 0), "all four pages still read back the pattern");
	dc_expect(now_into(p + PAGE, 256), DC_ERR(BAD_ADDRESS), "the kernel writing an answer to the read-only page");
	dc_check(same(p + PAGE, PAGE, PAGE), "  ... left it unchanged");
	p[0] = 1;
	p[2 * PAGE] = 2;
	dc_check(p[0] == 1 && p[2 * PAGE] == 2, "the pages on either side are still writable");
	dc_expect(protect_raw(p + PAGE, PAGE, RW), 0, "protect it read-write again");
	p[PAGE] = 3;
	dc_check(p[PAGE] == 3 && now_into(p + PAGE, 256) == 0, "writes work again, the kernel's too");

	char what[16];
	uint64_t addr;
	struct capos_exit st = { 0 };
	char sbuf[160];
	err = run_reporter("ro-writer", what, sizeof(what), &addr, &st);
	dc_check(!err && !strcmp(what, "write") && fault_at(&st, addr),
	         "ro-writer wrote to its read-only page: fault \"bad memory access at 0x... (address <that page>)\"");
	if (err || !fault_at(&st, addr))
		dc_say("  (it reported %s 0x%llx and ended: %s)", what, (unsigned long long)addr,
		       err ? dc_errname(err) : dc_status(&st, sbuf, sizeof(sbuf)));
}

static void phase_wx(void)
{
	dc_say("-- W^X and bad arguments");
	void *p = NULL;
	dc_expect(vm_map(vm, PAGE, RW | CAPOS_PROT_EXEC, &p), DC_ERR(PERMISSION_DENIED), "map read+write+execute");
	dc_expect(vm_map(vm, PAGE, CAPOS_PROT_WRITE | CAPOS_PROT_EXEC, &p), DC_ERR(PERMISSION_DENIED),
	          "map write+execute");
	dc_expect(vm_map(vm, PAGE, 8, &p), DC_ERR(INVALID_ARGUMENT), "map with an unknown protection bit");
	dc_expect(vm_map(vm, 0, RW, &p), DC_ERR(INVALID_ARGUMENT), "map 0 bytes");
	dc_expect(vm_map(vm, (1ull << 30) + PAGE, RW, &p), DC_ERR(INVALID_ARGUMENT), "map 1 GiB + 1 page (over the limit)");
	dc_expect(vm_map(vm, 1ull << 30, RW, &p), DC_ERR(RESOURCE_EXHAUSTED), "map 1 GiB (over the memory quota)");
	uint8_t *q = NULL;
	int err = vm_map(vm, 2 * PAGE, RW, (void **)&q);
	dc_expect(err, 0, "map 2 pages read-write");
	if (err)
		return;
	dc_expect(protect_raw(q, PAGE, RW | CAPOS_PROT_EXEC), DC_ERR(PERMISSION_DENIED), "protect read+write+execute");
	dc_expect(protect_raw(q, PAGE, CAPOS_PROT_WRITE | CAPOS_PROT_EXEC), DC_ERR(PERMISSION_DENIED),
	          "protect write+execute");
	dc_expect(protect_raw(q, PAGE, 16), DC_ERR(INVALID_ARGUMENT), "protect with an unknown protection bit");
	dc_expect(protect_raw(q + 1, PAGE, CAPOS_PROT_READ), DC_ERR(INVALID_ARGUMENT), "protect an unaligned address");
	dc_expect(vm_unmap(vm, q + 8, PAGE), DC_ERR(INVALID_ARGUMENT), "unmap an unaligned address");
	dc_expect(vm_unmap(vm, q, 100), DC_ERR(INVALID_ARGUMENT), "unmap part of a page");
	dc_expect(vm_unmap(vm, q, 0), DC_ERR(INVALID_ARGUMENT), "unmap 0 bytes");
	dc_expect(protect_raw(q, 3 * PAGE, CAPOS_PROT_READ), DC_ERR(NOT_FOUND), "protect past the end of a mapping");
	q[0] = 1;
	q[PAGE] = 2;
	dc_check(q[0] == 1 && q[PAGE] == 2, "after the refusals the pages are still read-write");

	static const uint8_t code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov eax, 42; ret */
	memcpy(q, code, sizeof(code));
	dc_expect(protect_raw(q, PAGE, RX), 0, "protect a page holding code read+execute");
	int (*fn)(void) = (int (*)(void))(void *)q;
	dc_check(fn() == 42, "the code runs and returns 42");
	dc_expect(now_into(q, 64), DC_ERR(BAD_ADDRESS), "the kernel writing to the read+execute page");

	char what[16];
	uint64_t addr;
	struct capos_exit st = { 0 };
	char sbuf[160];
	err = run_reporter("nx-exec", what, sizeof(what), &addr, &st);
	dc_check(!err && !strcmp(what, "exec") && fault_at(&st, addr),
	         "nx-exec ran code from a page protected read-only: fault at that page");
	if (err || !fault_at(&st, addr))
		dc_say("  (it reported %s 0x%llx and ended: %s)", what, (unsigned long long)addr,
		       err ? dc_errname(err) : dc_status(&st, sbuf, sizeof(sbuf)));
}

static void phase_not_mine(void)
{
	dc_say("-- memory VirtualMemory did not map");
	const struct capos_capset *cs = capos_capset();
	struct {
		const char *what;
		uint64_t addr;
	} not_mine[] = {
		{ "the stack", cs->stack_base },
		{ "the top page of the stack", cs->stack_base + cs->stack_size - PAGE },
		{ "the heap", cs->heap_base },
		{ "the CapSet page", (uint64_t)(uintptr_t)cs },
		{ "the ring", cs->ring },
		{ "the image (this function's code)", (uint64_t)(uintptr_t)&phase_not_mine & ~(uint64_t)(PAGE - 1) },
		{ "the guard page below the stack", cs->stack_base - PAGE },
		{ "address 0", 0 },
	};
	for (size_t i = 0; i < sizeof(not_mine) / sizeof(not_mine[0]); i++) {
		void *a = (void *)(uintptr_t)not_mine[i].addr;
		dc_expect(vm_unmap(vm, a, PAGE), DC_ERR(NOT_FOUND), "unmap %s", not_mine[i].what);
		dc_expect(protect_raw(a, PAGE, CAPOS_PROT_READ), DC_ERR(NOT_FOUND), "protect %s", not_mine[i].what);
	}
	dc_check(now_into(capos_malloc(256), 256) == 0, "the heap and the ring still work");
}

static void phase_holes(void)
{
	dc_say("-- unmapping part of a mapping");
	uint8_t *p = NULL;
	int err = vm_map(vm, 3 * PAGE, RW, (void **)&p);
	dc_expect(err, 0, "map 3 pages");
	if (err)
		return;
	fill(p, 3 * PAGE, 9);
	dc_expect(vm_unmap(vm, p + PAGE, PAGE), 0, "unmap the middle page");
	dc_check(same(p, PAGE, 9) && same(p + 2 * PAGE, PAGE, 9 + 2 * PAGE), "the first and last pages kept their "
	                                                                      "contents");
	p[0] = 0xaa;
	p[3 * PAGE - 1] = 0xbb;
	dc_check(p[0] == 0xaa && p[3 * PAGE - 1] == 0xbb, "and are still writable");
	dc_expect(now_into(p + PAGE, 256), DC_ERR(BAD_ADDRESS), "the kernel writing an answer into the hole");
	dc_expect(vm_unmap(vm, p + PAGE, PAGE), DC_ERR(NOT_FOUND), "unmap the hole again");
	dc_expect(vm_unmap(vm, p, 3 * PAGE), DC_ERR(NOT_FOUND), "unmap all three pages (one is a hole)");
	dc_expect(protect_raw(p, 2 * PAGE, CAPOS_PROT_READ), DC_ERR(NOT_FOUND), "protect a range over the hole");
	dc_expect(protect_raw(p + 2 * PAGE, PAGE, CAPOS_PROT_READ), 0, "protect the last page read-only (its own "
	                                                                "region now)");
	dc_expect(vm_unmap(vm, p, PAGE), 0, "unmap the first page");
	dc_expect(vm_unmap(vm, p + 2 * PAGE, PAGE), 0, "unmap the last page");
	dc_expect(vm_unmap(vm, p + 2 * PAGE, PAGE), DC_ERR(NOT_FOUND), "unmap the last page again");

	err = vm_map(vm, 4 * PAGE, RW, (void **)&p);
	dc_expect(err, 0, "map 4 pages");
	if (err)
		return;
	fill(p, 4 * PAGE, 11);
	dc_expect(vm_unmap(vm, p, PAGE), 0, "unmap its first page");
	dc_expect(vm_unmap(vm, p + 3 * PAGE, PAGE), 0, "unmap its last page");
	dc_check(same(p + PAGE, 2 * PAGE, 11 + PAGE), "the two pages in between kept their contents");
	dc_expect(vm_unmap(vm, p + PAGE, 2 * PAGE), 0, "unmap the two together");
	dc_expect(vm_unmap(vm, p + PAGE, PAGE), DC_ERR(NOT_FOUND), "unmap one of them again");

	char what[16];
	uint64_t addr;
	struct capos_exit st = { 0 };
	char sbuf[160];
	err = run_reporter("hole-toucher", what, sizeof(what), &addr, &st);
	valgrind_report_range((void *)(uintptr_t)addr, PAGE, true);
	dc_check(!err && !strcmp(what, "read") && fault_at(&st, addr),
	         "hole-toucher read its unmapped middle page: fault at that page");
	if (err || !fault_at(&st, addr))
		dc_say("  (it reported %s 0x%llx and ended: %s)", what, (unsigned long long)addr,
		       err ? dc_errname(err) : dc_status(&st, sbuf, sizeof(sbuf)));
}

static void phase_foreign(void)
{
	dc_say("-- another process's VirtualMemory acts on that process");
	uint8_t *p = NULL;
	int err = vm_map(vm, PAGE, RW, (void **)&p);
	dc_expect(err, 0, "map a page");
	if (err)
		return;
	fill(p, PAGE, 13);
	cap_id_t h;
	struct capos_grant g[3] = { { "vm", vm, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	                            { "console", dc_console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	                            { "ep", client, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS } };
	err = process_spawn(spawner, "foreign", "virtual-memory", g, 3, NULL, &h);
	struct capos_call call;
	char where[32];
	capos_snprintf(where, sizeof(where), "0x%llx", (unsigned long long)(uintptr_t)p);
	if (!err && !(err = capos_recv(ep, rbuf, sizeof(rbuf), &call)))
		err = dc_echo_return(call.call_id, where, NULL, 0);
	struct capos_exit st = { 0 };
	if (!err)
		err = process_wait(h, &st);
	cap_release(h);
	dc_check(!err && st.how == CAPOS_EXIT_STATUS_WHICH_CODE && st.code == 0, "foreign ended: code 0");
	p[1] = pattern(1 + 13);
	dc_check(same(p, PAGE, 13), "our page is still mapped, writable and unchanged");
}

static void phase_quota(void)
{
	dc_say("-- the memory quota (a child with memoryPages 1400)");
	int counts[2] = { -1, -1 };
	for (int run = 0; run < 2; run++) {
		cap_id_t h;
		struct capos_grant g[2] = { { "vm", vm, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
		                            { "console", dc_console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS } };
		struct capos_quota q = { .memory_pages = 1400 };
		struct capos_exit st = { 0 };
		int err = process_spawn(spawner, "vm-quota", "virtual-memory", g, 2, &q, &h);
		if (!err)
			err = process_wait(h, &st);
		cap_release(h);
		if (!err && st.how == CAPOS_EXIT_STATUS_WHICH_CODE)
			counts[run] = st.code;
	}
	dc_check(counts[0] > 0 && counts[0] == counts[1],
	         "vm-quota ran twice and mapped the same number of pages each time (%s)",
	         counts[0] > 0 ? "a few hundred" : "none");

	cap_id_t h;
	struct capos_grant g[3] = { { "vm", vm, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	                            { "console", dc_console, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS },
	                            { "ep", client, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS } };
	int err = process_spawn(spawner, "vm-regions", "virtual-memory", g, 3, NULL, &h);
	struct capos_call call;
	if (!err && !(err = capos_recv(ep, rbuf, sizeof(rbuf), &call)))
		err = dc_echo_return(call.call_id, "ok", NULL, 0);
	struct capos_exit st = { 0 };
	if (!err && !(err = process_kill(h)))
		err = process_wait(h, &st);
	cap_release(h);
	dc_check(!err && st.how == CAPOS_EXIT_STATUS_WHICH_KILLED, "vm-regions killed while holding all its mappings");
}

static int parent(void)
{
	dc_who = "virtual-memory";
	if (capset_get("spawner", &spawner, NULL) || capset_get("factory", &factory, NULL) ||
	    capset_get("timer", &timer, NULL)) {
		dc_say("missing capabilities");
		return 2;
	}
	int err = endpoint_create(factory, CAPOS_ECHO_INTERFACE_ID, &ep);
	if (!err)
		err = endpoint_mint(ep, 1, &client);
	if (err) {
		dc_say("no endpoint: %s", capos_strerror(err));
		return 2;
	}
	phase_basic();
	phase_wx();
	phase_not_mine();
	phase_holes();
	phase_foreign();
	phase_quota();
	dc_say("%d checks, %d failed", dc_checks, dc_failed);
	return dc_failed ? 1 : 0; /* ends holding some mappings too */
}

int main(int argc, char **argv)
{
	const char *who = argc >= 1 ? argv[0] : "";
	capset_get("console", &dc_console, NULL);
	capset_get("vm", &vm, NULL);
	dc_who = who;
	if (!strcmp(who, "virtual-memory"))
		return parent();
	if (!strcmp(who, "ro-writer"))
		return ro_writer();
	if (!strcmp(who, "nx-exec"))
		return nx_exec();
	if (!strcmp(who, "hole-toucher"))
		return hole_toucher();
	if (!strcmp(who, "foreign"))
		return foreign();
	if (!strcmp(who, "vm-quota"))
		return quota_child();
	if (!strcmp(who, "vm-regions"))
		return regions_child();
	return 99;
}
