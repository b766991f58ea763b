/*
 * memory-reuse - memory a process gets is zero, even when it is memory
 * another process used before (the simulator recycles exited processes'
 * memory: docs/host-hal.md). A "dirty" child fills its bss, most of its
 * heap and a VirtualMemory mapping with a pattern and exits; a "clean"
 * child of the same binary then checks all of those are zero. Twenty
 * rounds, so the clean children really land on recycled memory.
 */
#include <capos/capos.h>

#define ROUNDS 20
#define BSS_BYTES (64u * 1024u)
#define VM_BYTES (256u * 1024u)

static uint8_t bss[BSS_BYTES];

/* All of [p, p+n) zero? */
static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * The heap beyond what libcapos itself uses: its start holds argv copies and
 * block headers, its last 16 bytes the allocator's end sentinel (heap.c).
 */
static uint8_t *heap_tail(size_t *n)
{
	const struct capos_capset *cs = capos_capset();
	*n = (size_t)cs->heap_size / 2 - 64;
	return (uint8_t *)(cs->heap_base + cs->heap_size / 2);
}

static int child(bool dirty)
{
	cap_id_t vm;
	if (capset_get("vm", &vm, NULL))
		return 20;
	size_t hn;
	uint8_t *heap = heap_tail(&hn);
	void *m;
	if (vm_map(vm, VM_BYTES, CAPOS_PROT_READ | CAPOS_PROT_WRITE, &m))
		return 21;
	if (dirty) {
		memset(bss, 0xa5, sizeof(bss));
		memset(heap, 0xa5, hn);
		memset(m, 0xa5, VM_BYTES);
		return 0;
	}
	return (zero(bss, sizeof(bss)) ? 0 : 1) | (zero(heap, hn) ? 0 : 2) | (zero(m, VM_BYTES) ? 0 : 4);
}

int main(int argc, char **argv)
{
	(void)argc;
	if (!strcmp(argv[0], "dirty") || !strcmp(argv[0], "clean"))
		return child(argv[0][0] == 'd');

	cap_id_t console, spawner, vm;
	if (capset_get("console", &console, NULL) || capset_get("spawner", &spawner, NULL) ||
	    capset_get("vm", &vm, NULL))
		return 10;
	struct capos_grant g = { "vm", vm, CAPOS_TRANSFER_MODE_COPY, CAPOS_CAP_SCOPE_PROCESS };
	int bad = 0;
	for (int round = 0; round < ROUNDS; round++) {
		const char *names[2] = { "dirty", "clean" };
		for (int k = 0; k < 2; k++) {
			cap_id_t h;
			struct capos_exit st;
			int err = process_spawn(spawner, names[k], "memory-reuse", &g, 1, NULL, &h);
			if (!err)
				err = process_wait(h, &st);
			if (!err)
				cap_release(h);
			if (err || st.how != CAPOS_EXIT_STATUS_WHICH_CODE || st.code) {
				console_printf(console, "memory-reuse: round %d %s: %s code %d\n", round, names[k],
				               err ? capos_strerror(err) : "ended", err ? 0 : st.code);
				bad++;
			}
		}
	}
	console_printf(console, "memory-reuse: %d rounds, every clean child found bss, heap and new mappings zero: %s\n",
	               ROUNDS, bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}
