/*
 * fuzz_ring.c - the ring ABI: system calls, SQEs, messages, transfers and
 * timers from processes of a booted kernel, on the fake HAL.
 *
 * At start-up it builds one manifest (tiny.elf for every service) with
 * several services holding console, timer and NullCap grants with badges,
 * hold policies and small quotas, plus optional grants that only a kernel
 * with IPC, capability transfer and spawning accepts: ProcessSpawner,
 * VirtualMemory, FrameAllocator, EndpointFactory, exports and grants of
 * them between services, and a service init starts later. Each optional
 * part is probed once (does kernel_boot accept a manifest with it?) and
 * left out when this kernel refuses it; the harness says which on stderr.
 * CAPOS_FUZZ_RING_OFF=spawner,exports,... leaves parts out by hand.
 *
 * Each input: byte 0 picks the kernel configuration (tracing, time slice),
 * the rest is a program for ring_driver.c. After the program (or when the
 * system ends) kernel_shutdown must return 0, every kernel capability must
 * be released, and the fake HAL must hold nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_hal.h"
#include "fuzz.h"
#include "kernel.h"
#include "ring_driver.h"

enum feature {
	F_SPAWNER, F_VM, F_FRAMES, F_EPFACTORY, F_EXPORTS, F_BYINIT, F_COUNT
};

static const char *const feature_name[F_COUNT] = {
	"spawner", "vm", "frames", "epfactory", "exports", "byinit",
};

static const char *const kernel_caps[] = {
	"console", "timer", "null", "spawner", "vm", "frames", "epf", "log", NULL,
};
static const char *const binaries[] = { "tiny", "tiny2", NULL };
static const char *const services[] = { "late", "srv", "client", "init", NULL };

static uint8_t manifest[1u << 16] __attribute__((aligned(8)));
static size_t manifest_len;
static bool enabled[F_COUNT];

#define G_KERNEL(n, i, k) { .name = (n), .iface = (i), .kernel = (k) }

static void add_grant(struct fm_service *s, struct fm_grant g)
{
	if (s->ngrants < FM_MAX_GRANTS)
		s->grants[s->ngrants++] = g;
}

/* The manifest with the features in `on`. */
static size_t build_manifest(const bool on[F_COUNT], uint8_t *out, size_t cap)
{
	struct fm_service sv[4];
	unsigned n = 0;
	memset(sv, 0, sizeof(sv));

	struct fm_service *init = &sv[n++];
	init->name = "init";
	init->binary = "tiny";
	init->args[init->nargs++] = "alpha";
	init->args[init->nargs++] = "--beta=2";
	add_grant(init, (struct fm_grant)G_KERNEL("console", CAPOS_CONSOLE_INTERFACE_ID, CAPOS_KERNEL_CAP_CONSOLE));
	add_grant(init, (struct fm_grant)G_KERNEL("timer", CAPOS_TIMER_INTERFACE_ID, CAPOS_KERNEL_CAP_TIMER));
	add_grant(init, (struct fm_grant)G_KERNEL("null", CAPOS_NULL_CAP_INTERFACE_ID, CAPOS_KERNEL_CAP_NULL));
	if (on[F_SPAWNER])
		add_grant(init, (struct fm_grant)G_KERNEL("spawner", CAPOS_PROCESS_SPAWNER_INTERFACE_ID,
		                                          CAPOS_KERNEL_CAP_PROCESS_SPAWNER));
	if (on[F_VM])
		add_grant(init, (struct fm_grant)G_KERNEL("vm", CAPOS_VIRTUAL_MEMORY_INTERFACE_ID,
		                                          CAPOS_KERNEL_CAP_VIRTUAL_MEMORY));
	if (on[F_FRAMES])
		add_grant(init, (struct fm_grant)G_KERNEL("frames", CAPOS_FRAME_ALLOCATOR_INTERFACE_ID,
		                                          CAPOS_KERNEL_CAP_FRAME_ALLOCATOR));
	if (on[F_EPFACTORY])
		add_grant(init, (struct fm_grant)G_KERNEL("epf", CAPOS_ENDPOINT_FACTORY_INTERFACE_ID,
		                                          CAPOS_KERNEL_CAP_ENDPOINT_FACTORY));
	if (on[F_EXPORTS])
		add_grant(init, (struct fm_grant){ .name = "echo", .iface = CAPOS_ECHO_INTERFACE_ID, .kernel = -1,
		                                   .service = "srv", .export_name = "echo", .badge = 0x1234 });

	/* A server: exports Echo and a Console of its own. */
	struct fm_service *srv = &sv[n++];
	srv->name = "srv";
	srv->binary = "tiny";
	struct fm_grant con = G_KERNEL("log", CAPOS_CONSOLE_INTERFACE_ID, CAPOS_KERNEL_CAP_CONSOLE);
	con.badge = 5;
	add_grant(srv, con);
	add_grant(srv, (struct fm_grant)G_KERNEL("timer", CAPOS_TIMER_INTERFACE_ID, CAPOS_KERNEL_CAP_TIMER));
	if (on[F_VM])
		add_grant(srv, (struct fm_grant)G_KERNEL("vm", CAPOS_VIRTUAL_MEMORY_INTERFACE_ID,
		                                         CAPOS_KERNEL_CAP_VIRTUAL_MEMORY));
	if (on[F_EXPORTS]) {
		srv->exports[srv->nexports++] = (struct fm_export){ "echo", CAPOS_ECHO_INTERFACE_ID };
		srv->exports[srv->nexports++] = (struct fm_export){ "con", CAPOS_CONSOLE_INTERFACE_ID };
	}

	/* A client with small quotas and restrictive hold policies. */
	struct fm_service *client = &sv[n++];
	client->name = "client";
	client->binary = "tiny2";
	client->cap_slots = 8;
	client->outstanding_calls = 3;
	client->memory_pages = 1200;
	struct fm_grant g = G_KERNEL("null", CAPOS_NULL_CAP_INTERFACE_ID, CAPOS_KERNEL_CAP_NULL);
	g.policy = CAPOS_HOLD_POLICY_NON_TRANSFERABLE;
	add_grant(client, g);
	g = (struct fm_grant)G_KERNEL("console", CAPOS_CONSOLE_INTERFACE_ID, CAPOS_KERNEL_CAP_CONSOLE);
	g.policy = CAPOS_HOLD_POLICY_MOVE_ONLY;
	g.badge = 7;
	add_grant(client, g);
	add_grant(client, (struct fm_grant)G_KERNEL("timer", CAPOS_TIMER_INTERFACE_ID, CAPOS_KERNEL_CAP_TIMER));
	if (on[F_EXPORTS]) {
		add_grant(client, (struct fm_grant){ .name = "echo", .iface = CAPOS_ECHO_INTERFACE_ID, .kernel = -1,
		                                     .service = "srv", .export_name = "echo", .badge = 99,
		                                     .policy = CAPOS_HOLD_POLICY_MOVE_ONLY });
		add_grant(client, (struct fm_grant){ .name = "con", .iface = CAPOS_CONSOLE_INTERFACE_ID, .kernel = -1,
		                                     .service = "srv", .export_name = "con" });
	}
	/* Results that carry capabilities into its small table; one child. */
	client->children = 1;
	if (on[F_SPAWNER])
		add_grant(client, (struct fm_grant)G_KERNEL("spawner", CAPOS_PROCESS_SPAWNER_INTERFACE_ID,
		                                            CAPOS_KERNEL_CAP_PROCESS_SPAWNER));
	if (on[F_EPFACTORY])
		add_grant(client, (struct fm_grant)G_KERNEL("epf", CAPOS_ENDPOINT_FACTORY_INTERFACE_ID,
		                                            CAPOS_KERNEL_CAP_ENDPOINT_FACTORY));

	if (on[F_BYINIT]) {
		struct fm_service *late = &sv[n++];
		late->name = "late";
		late->binary = "tiny";
		late->by_init = true;
		add_grant(late, (struct fm_grant)G_KERNEL("console", CAPOS_CONSOLE_INTERFACE_ID,
		                                          CAPOS_KERNEL_CAP_CONSOLE));
	}

	struct fm_binary bins[2] = {
		{ "tiny", fuzz_tiny_elf, fuzz_tiny_elf_len() },
		{ "tiny2", fuzz_tiny_elf, fuzz_tiny_elf_len() },
	};
	static const char hosts[] = "127.0.0.1 localhost\n";
	struct fm_file files[1] = { { "/etc/hosts", hosts, sizeof(hosts) - 1 } };
	return fm_build(sv, n, bins, 2, files, 1, out, cap);
}

/* Does this kernel boot the manifest with `on`? */
static bool boots(const bool on[F_COUNT], const char *what)
{
	static uint8_t buf[sizeof(manifest)] __attribute__((aligned(8)));
	size_t len = build_manifest(on, buf, sizeof(buf));
	if (!len) {
		fprintf(stderr, "fuzz_ring: cannot build the manifest with %s\n", what);
		abort();
	}
	fake_hal_reset();
	struct kernel_config cfg = { .check_ledger = true };
	struct hal_ctx *ctx = kernel_boot(buf, len, &cfg);
	bool ok = ctx != NULL;
	if (!ok) {
		const char *out = fake_hal_console_output();
		const char *line = strstr(out, "[kernel] ");
		fprintf(stderr, "fuzz_ring: %s: not supported by this kernel: %.*s\n", what,
		        line ? (int)strcspn(line, "\n") : 0, line ? line : "");
	}
	fuzz_shutdown_and_check("boot probe");
	return ok;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_hal_init();
	const char *off = getenv("CAPOS_FUZZ_RING_OFF");
	bool base[F_COUNT] = { false };
	if (!boots(base, "the base manifest")) {
		fprintf(stderr, "fuzz_ring: the kernel does not boot the base manifest\n");
		abort();
	}
	for (int f = 0; f < F_COUNT; f++) {
		if (off && strstr(off, feature_name[f])) {
			fprintf(stderr, "fuzz_ring: %s: off (CAPOS_FUZZ_RING_OFF)\n", feature_name[f]);
			continue;
		}
		bool on[F_COUNT];
		memcpy(on, enabled, sizeof(on));
		on[f] = true;
		if (boots(on, feature_name[f]))
			enabled[f] = true;
	}
	manifest_len = build_manifest(enabled, manifest, sizeof(manifest));
	fprintf(stderr, "fuzz_ring: manifest of %zu bytes with:", manifest_len);
	for (int f = 0; f < F_COUNT; f++)
		if (enabled[f])
			fprintf(stderr, " %s", feature_name[f]);
	fprintf(stderr, "\n");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t slices[4] = { 0, 1000, 1000000, 1000000000 };
	struct fz f = { data, size };
	fake_hal_reset();
	uint8_t c = fz_u8(&f);
	struct kernel_config cfg = {
		.trace = c & 1,
		.time_slice_ns = slices[(c >> 1) & 3],
		.check_ledger = true,
	};
	struct hal_ctx *ctx = kernel_boot(manifest, manifest_len, &cfg);
	if (!ctx)
		fuzz_fail("ring: the fixed manifest did not boot");
	struct rd_config rc = { kernel_caps, binaries, services };
	rd_run(&f, ctx, &rc);
	fuzz_shutdown_and_check("ring");
	return 0;
}
