/*
 * bench - the capOS side of `make bench-ipc` and `make profile-ipc`
 * (bench/README.md). It is init of the benchmark manifests; argv[1] picks
 * the mode:
 *
 *   ipc BATCHES IPC_N NULL_N SPAWN_N
 *       BATCHES times, interleaved: IPC_N Echo.ping round trips to the
 *       bench-echo server, IPC_N Timer.now calls, NULL_N NullCap.nop calls
 *       and SPAWN_N spawn+wait of bench-true. Each batch is timed with two
 *       Timer.now calls around it and printed as "S <metric> <ns> <count>";
 *       the driver (bench/bench-ipc.sh) takes the median of the batch means.
 *   profile N
 *       prints its load address ("base bench 0x..."), makes 2,000 warm-up
 *       round trips, then N round trips with callgrind's collection
 *       switched on around them only (a client request; a no-op outside
 *       valgrind).
 *   mem N
 *       prints "M 0", waits, spawns N/2 bench-idle processes, prints
 *       "M <n>", waits, spawns the rest, prints "M <N>", waits, exits. The
 *       driver reads capos-sim's memory from /proc at each mark.
 */
#include <capos/capos.h>
#include <callgrind.h>

static cap_id_t console, timer, null, spawner, echo;

static uint64_t parse(const char *s, uint64_t dflt)
{
	if (!s || !*s)
		return dflt;
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	return v ? v : dflt;
}

static uint64_t now(void)
{
	uint64_t t = 0;
	if (timer_now(timer, &t))
		sys_exit(20);
	return t;
}

static uint8_t answer[256] __attribute__((aligned(8)));

static int ping(void)
{
	struct cap_call_args a = { .cap = echo, .method = CAPOS_ECHO_METHOD_PING, .result = answer,
	                           .result_len = sizeof(answer) };
	struct cap_call_result res;
	return cap_call_ex(capos_ring(), &a, &res);
}

static void ipc_batch(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (ping())
			sys_exit(21);
}

static void null_batch(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (null_nop(null))
			sys_exit(22);
}

static void timer_batch(uint64_t n)
{
	uint64_t t;
	for (uint64_t i = 0; i < n; i++)
		if (timer_now(timer, &t))
			sys_exit(23);
}

static void spawn_batch(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		cap_id_t h;
		struct capos_exit st = { 0 };
		const char *step = "spawn";
		int err = process_spawn(spawner, "t", "true", NULL, 0, NULL, &h);
		if (!err && (step = "wait", err = process_wait(h, &st)) == 0 &&
		    (st.how != CAPOS_EXIT_STATUS_WHICH_CODE || st.code != 0))
			err = -(int)CAPOS_ERROR_CODE_INTERNAL;
		if (!err)
			step = "release", err = cap_release(h);
		if (err) {
			console_printf(console, "bench: spawn+wait: %s: %s%s%s\n", step, capos_strerror(err),
			               st.how == CAPOS_EXIT_STATUS_WHICH_FAULT ? ": " : "",
			               st.how == CAPOS_EXIT_STATUS_WHICH_FAULT ? st.fault : "");
			sys_exit(24);
		}
	}
}

static void timed(const char *metric, void (*fn)(uint64_t), uint64_t n)
{
	uint64_t t0 = now();
	fn(n);
	uint64_t t1 = now();
	console_printf(console, "S %s %llu %llu\n", metric, (unsigned long long)(t1 - t0), (unsigned long long)n);
}

static int bench_ipc(char **argv)
{
	uint64_t batches = parse(argv[2], 50), ipc_n = parse(argv[3], 500), null_n = parse(argv[4], 500),
	         spawn_n = parse(argv[5], 4);
	/* Warm up: the server's first RECV, the kernel's slabs, the caches. */
	ipc_batch(ipc_n);
	null_batch(null_n);
	spawn_batch(4);
	for (uint64_t b = 0; b < batches; b++) {
		timed("ipc", ipc_batch, ipc_n);
		timed("null", null_batch, null_n);
		timed("timer", timer_batch, null_n);
		timed("spawn", spawn_batch, spawn_n);
	}
	return 0;
}

/* The load address of this image (the linker puts the ELF header there). */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

static int bench_profile(char **argv)
{
	uint64_t n = parse(argv[2], 20000);
	/* For bench/profile-ipc.sh: valgrind has no symbols for images the
	 * kernel loaded from the manifest; it names them from these. */
	console_printf(console, "base bench 0x%llx\n", (unsigned long long)(uintptr_t)__ehdr_start);
	ipc_batch(2000);
	CALLGRIND_TOGGLE_COLLECT;
	ipc_batch(n);
	CALLGRIND_TOGGLE_COLLECT;
	console_printf(console, "profile: %llu round trips collected\n", (unsigned long long)n);
	return 0;
}

static void mark(uint64_t n)
{
	console_printf(console, "M %llu\n", (unsigned long long)n);
	timer_sleep(timer, 1000ull * 1000000ull); /* the driver reads /proc meanwhile */
}

static int bench_mem(char **argv)
{
	uint64_t n = parse(argv[2], 100), spawned = 0;
	mark(0);
	for (uint64_t half = n / 2; spawned < n; half = n) {
		for (; spawned < half; spawned++) {
			cap_id_t h;
			int err = process_spawn(spawner, "idle", "idle", NULL, 0, NULL, &h);
			if (err) {
				console_printf(console, "bench: spawn %llu: %s\n", (unsigned long long)spawned,
				               capos_strerror(err));
				return 25;
			}
		}
		mark(spawned);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (capset_get("console", &console, NULL) || capset_get("timer", &timer, NULL))
		return 10;
	capset_get("null", &null, NULL);
	capset_get("spawner", &spawner, NULL);
	capset_get("echo", &echo, NULL);
	const char *mode = argc > 1 ? argv[1] : "ipc";
	char *args[6] = { 0 };
	for (int i = 0; i < argc && i < 6; i++)
		args[i] = argv[i];
	if (!strcmp(mode, "ipc"))
		return bench_ipc(args);
	if (!strcmp(mode, "profile"))
		return bench_profile(args);
	if (!strcmp(mode, "mem"))
		return bench_mem(args);
	console_printf(console, "bench: unknown mode %s\n", mode);
	return 2;
}
