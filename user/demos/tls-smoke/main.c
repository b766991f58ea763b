/*
 * tls-smoke - thread-local storage: the kernel lays out the static TLS
 * block from the program's PT_TLS (initialised data, zeroed data, alignment,
 * the thread pointer pointing at itself), and the simulator switches FS on
 * every entry and exit, so two processes running this same binary each keep
 * their own values across timer sleeps and preemption in the middle of a
 * CPU-bound loop.
 */
#include <capos/capos.h>

static __thread int initialised = 42;
static __thread uint64_t zeroed;
static __thread _Alignas(64) char aligned[64] = "tls";
static __thread uint32_t mine;

static cap_id_t console;
static int failures;

static void check(bool ok, const char *what)
{
	console_printf(console, "tls-smoke %s: %s: %s\n", capos_capset()->name, what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static uint64_t thread_pointer(void)
{
	uint64_t tp;
	__asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

int main(int argc, char **argv)
{
	cap_id_t timer;
	if (capset_get("console", &console, NULL) || capset_get("timer", &timer, NULL))
		return 10;
	(void)argc;
	(void)argv;

	check(initialised == 42 && zeroed == 0 && strcmp(aligned, "tls") == 0, "initial values from PT_TLS");
	check(((uint64_t)aligned & 63) == 0, "64-byte alignment kept");
	/* Variant II: the block sits just below the thread pointer, whose first
	 * word is its own address. */
	uint64_t tp = thread_pointer();
	check(tp != 0 && (uint64_t)&initialised < tp && (uint64_t)&mine < tp && tp - (uint64_t)&zeroed < 4096,
	      "thread pointer points to itself, block below it");

	/* Each process stamps its own id and checks it survives switches. */
	mine = capos_capset()->pid;
	initialised = (int)mine * 1000;
	bool kept = true;
	for (int round = 0; round < 10; round++) {
		if (timer_sleep(timer, 1000000))
			return 11;
		kept = kept && mine == capos_capset()->pid && initialised == (int)mine * 1000;
	}
	check(kept, "own values across 10 timer sleeps");

	/* A CPU-bound stretch, long enough to be preempted many times while the
	 * other process is runnable: FS must be restored at every resume. */
	uint64_t start, now;
	timer_now(timer, &start);
	uint64_t spins = 0;
	do {
		for (int i = 0; i < 100000; i++) {
			volatile uint32_t v = mine;
			kept = kept && v == capos_capset()->pid;
			spins++;
		}
		timer_now(timer, &now);
	} while (now - start < 60000000ull);
	check(kept && spins > 0, "own values through 60 ms of preemptible spinning");

	console_printf(console, "tls-smoke %s: %d checks failed\n", capos_capset()->name, failures);
	/* init waits for the other process to finish before the system ends. */
	if (capos_capset()->pid == 1)
		timer_sleep(timer, 200000000);
	return failures ? 1 : 0;
}
