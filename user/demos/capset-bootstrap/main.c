/*
 * capset-bootstrap - what a process knows at its first instruction: its
 * CapSet page. Checks every field against what the manifest granted, and
 * that the runtime built on it (ring, heap, stack, argv) works.
 */
#include <capos/capos.h>

static cap_id_t console;
static int failures;

static void check(bool ok, const char *what)
{
	console_printf(console, "capset-bootstrap: %s: %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

struct expected_cap {
	const char *name;
	uint64_t iface;
	bool seen;
};

static struct expected_cap expected[] = {
	{ "console", CAPOS_CONSOLE_INTERFACE_ID, false },
	{ "clock", CAPOS_TIMER_INTERFACE_ID, false },
	{ "nothing", CAPOS_NULL_CAP_INTERFACE_ID, false },
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static void visit(const char *name, cap_id_t cap, iface_id_t iface, void *ud)
{
	size_t *index = ud;
	/* Grants appear in manifest order, with the interface the manifest named. */
	if (*index < NEXPECTED && strcmp(expected[*index].name, name) == 0 && expected[*index].iface == iface &&
	    cap != 0)
		expected[*index].seen = true;
	(*index)++;
}

int main(int argc, char **argv)
{
	const struct capos_capset *cs = capos_capset();
	if (capset_get("console", &console, NULL) != 0)
		return 10;

	check(cs->magic == CAPOS_CAPSET_MAGIC && cs->version == CAPOS_CAPSET_VERSION, "magic and version");
	check(cs->cap_count == NEXPECTED, "exactly the three granted capabilities");
	size_t index = 0;
	check(capset_iter(visit, &index) == NEXPECTED, "capset_iter visits each once");
	bool all = true;
	for (size_t i = 0; i < NEXPECTED; i++)
		all = all && expected[i].seen;
	check(all, "names, order and interface ids match the manifest");

	cap_id_t c1, c2;
	iface_id_t i1;
	check(capset_get("clock", &c1, &i1) == 0 && i1 == CAPOS_TIMER_INTERFACE_ID, "capset_get finds a grant");
	check(capset_get("timer", &c2, NULL) == -(int)CAPOS_ERROR_CODE_NOT_FOUND, "an ungranted name is notFound");
	check(strcmp(cs->name, "capset-bootstrap") == 0 && cs->pid != 0, "process name and id");

	check(argc == 3 && strcmp(argv[0], "capset-bootstrap") == 0 && strcmp(argv[1], "alpha") == 0 &&
	          strcmp(argv[2], "beta gamma") == 0 && argv[3] == NULL,
	      "argv from the manifest");
	argv[1][0] = 'A'; /* argv strings are the program's to change */
	check(argv[1][0] == 'A', "argv is writable");

	const struct capos_ring_header *rh = (const struct capos_ring_header *)cs->ring;
	check(rh && rh->sq_entries == CAPOS_SQ_ENTRIES && rh->cq_entries == CAPOS_CQ_ENTRIES &&
	          rh->sq_offset == CAPOS_RING_SQ_OFFSET && rh->cq_offset == CAPOS_RING_CQ_OFFSET,
	      "ring header");
	check(cs->gate != 0, "gate address");

	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	check(sp > cs->stack_base && sp <= cs->stack_base + cs->stack_size, "running on the announced stack");

	/* The heap: allocate across its size classes, write, free, reuse. */
	bool heap_ok = cs->heap_size >= 1024 * 1024;
	void *blocks[64];
	for (int round = 0; round < 3 && heap_ok; round++) {
		for (int i = 0; i < 64; i++) {
			size_t n = (size_t)(i * 97 + round * 13) % 8192 + 1;
			blocks[i] = capos_malloc(n);
			heap_ok = heap_ok && blocks[i] && (uint64_t)blocks[i] >= cs->heap_base &&
			          (uint64_t)blocks[i] + n <= cs->heap_base + cs->heap_size && ((uint64_t)blocks[i] & 15) == 0;
			if (blocks[i])
				memset(blocks[i], i, n);
		}
		for (int i = 0; i < 64; i += 2)
			capos_free(blocks[i]);
		for (int i = 1; i < 64; i += 2) {
			uint8_t *b = blocks[i];
			heap_ok = heap_ok && b[0] == (uint8_t)i; /* neighbours' frees did not touch it */
			blocks[i] = capos_realloc(b, 10000);
			heap_ok = heap_ok && blocks[i] && ((uint8_t *)blocks[i])[0] == (uint8_t)i;
			capos_free(blocks[i]);
		}
	}
	uint8_t *z = capos_calloc(1000, 4);
	for (int i = 0; heap_ok && z && i < 4000; i++)
		heap_ok = z[i] == 0;
	capos_free(z);
	check(heap_ok && capos_malloc(cs->heap_size * 2) == NULL, "heap: allocate, free, realloc, calloc, refuse too much");

	/* The TLS fields describe this program's PT_TLS (it has none: see tls-smoke). */
	check(cs->tls_align >= 1, "TLS template fields");

	console_printf(console, "capset-bootstrap: %d checks failed\n", failures);
	return failures ? 1 : 0;
}
