/*
 * isolation - what only the hardware target can prove: a process cannot
 * read or write another process's memory, nor the kernel's, and trying
 * faults it while everyone else runs on. (In capos-sim all processes share
 * one Linux address space, so this demo runs under QEMU only.)
 *
 * One binary, several services. The victim (init) keeps two secrets:
 *
 *   - in its CapSet: its arguments, 4000 bytes the manifest gives it, which
 *     make its CapSet two pages long. Every attacker's CapSet is one page,
 *     at the same address as the victim's (the same binary is laid out the
 *     same way in every address space, docs/boot-x86_64.md), so the
 *     victim's second CapSet page, where the secret continues, is memory
 *     the attacker does not have: VICTIM_SECRET (CapSet + 0x1040) lies in
 *     it, which the victim checks first.
 *   - in its data: `data_secret`, written at run time. That address is
 *     mapped in every process running this binary, each to its own memory.
 *
 * Each attacker (argv[1] names its attack, argv[2] its slot: attackers act
 * 60 ms apart, so the transcript's order is fixed) says what it tries and
 * tries it. All but "same-address" must be faulted by the kernel; if one
 * comes back it prints LEAKED. "same-address" reads and writes the victim's
 * writable secret's address and must find only its own memory there. At the
 * end the victim checks that both secrets are intact and exits 0.
 */
#include <capos/capos.h>

#define MS 1000000ull
#define STAGGER (60 * MS)
#define ATTACKS 11

/* Addresses from the x86_64 layout (hal-x86_64/layout.h): the kernel
 * image's text, its data, and the direct map of all RAM. */
#define KERNEL_TEXT 0xffffffff80110000ull
#define KERNEL_DATA 0xffffffff80120000ull
#define DIRECT_MAP_KERNEL 0xffff800000100000ull /* the kernel image, physical 1 MiB */
#define DIRECT_MAP_RAM 0xffff800002000000ull    /* RAM at 32 MiB: someone's pages */
#define VICTIM_SECRET_OFFSET 0x1040u
#define DATA_SECRET "the victim's writable secret: 4f1c-99ab-d00d"

static cap_id_t console, timer;
static char data_secret[64];

static uint64_t victim_secret(void) { return (uint64_t)capos_capset() + VICTIM_SECRET_OFFSET; }

/* ------------------------------------------------------------ the attacks */

static bool starts_with(const char *s, const char *prefix) { return memcmp(s, prefix, strlen(prefix)) == 0; }

static uint64_t read_at(uint64_t addr) { return *(volatile uint64_t *)addr; }
static void write_at(uint64_t addr) { *(volatile uint64_t *)addr = 0x4141414141414141ull; }
static void call_at(uint64_t addr) { ((void (*)(void))addr)(); }

static void leaked(const char *what, uint64_t value)
{
	console_printf(console, "isolation: %s: LEAKED: survived, read 0x%llx\n", what, (unsigned long long)value);
}

/* The attacker that is not faulted: the victim's writable secret's address
 * names its own copy of data_secret here. */
static int same_address(void)
{
	console_printf(console, "isolation: same-address: reading and writing the victim's writable secret at 0x%llx\n",
	               (unsigned long long)(uint64_t)data_secret);
	bool saw_secret = memcmp(data_secret, DATA_SECRET, sizeof(DATA_SECRET)) == 0;
	memcpy(data_secret, "overwritten by the attacker", 28);
	console_printf(console, "isolation: same-address: there I find my own memory, not the secret: %s\n",
	               saw_secret ? "LEAKED" : "ok");
	return saw_secret ? 3 : 0;
}

static int attack(const char *what, uint64_t slot)
{
	if (timer_sleep(timer, (slot + 1) * STAGGER) != 0)
		return 2;
	const struct capos_capset *cs = capos_capset();
	uint8_t stack_code[16] = { 0xc3 }; /* ret */
	struct { const char *name, *does; uint64_t addr; } a[] = {
		{ "read-kernel", "reading the kernel's text", KERNEL_TEXT },
		{ "write-kernel", "writing the kernel's data", KERNEL_DATA },
		{ "call-kernel", "calling into the kernel's text", KERNEL_TEXT },
		{ "read-direct-map", "reading the kernel image through the direct map", DIRECT_MAP_KERNEL },
		{ "write-direct-map", "writing RAM through the direct map", DIRECT_MAP_RAM },
		{ "read-victim", "reading the victim's secret", victim_secret() },
		{ "write-victim", "writing the victim's secret", victim_secret() },
		{ "write-gate", "writing the gate page", cs->gate },
		{ "write-own-code", "writing my own code", (uint64_t)attack },
		{ "call-stack", "running code on my stack", (uint64_t)stack_code },
	};
	if (!strcmp(what, "same-address"))
		return same_address();
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		if (strcmp(what, a[i].name))
			continue;
		console_printf(console, "isolation: %s: %s at 0x%llx\n", what, a[i].does, (unsigned long long)a[i].addr);
		uint64_t v = 0;
		if (starts_with(what, "read-"))
			v = read_at(a[i].addr);
		else if (starts_with(what, "write-"))
			write_at(a[i].addr);
		else
			call_at(a[i].addr);
		leaked(what, v);
		return 3;
	}
	console_printf(console, "isolation: unknown attack %s\n", what);
	return 4;
}

/* ------------------------------------------------------------ the victim */

/* Does the CapSet secret (argv[1..]) cover VICTIM_SECRET? */
static bool secret_covers_target(void)
{
	const struct capos_capset *cs = capos_capset();
	const char *const *args = (const char *const *)cs->argv;
	uint64_t target = victim_secret();
	for (uint32_t i = 1; i < cs->argc; i++) {
		uint64_t s = (uint64_t)args[i];
		if (target >= s && target < s + strlen(args[i]))
			return true;
	}
	return false;
}

/* Are the CapSet's arguments still what they were at start (libcapos
 * copied them into `argv` before main)? */
static bool capset_secret_intact(int argc, char **argv)
{
	const struct capos_capset *cs = capos_capset();
	const char *const *args = (const char *const *)cs->argv;
	if ((int)cs->argc != argc)
		return false;
	for (int i = 0; i < argc; i++)
		if (strcmp(args[i], argv[i]))
			return false;
	return true;
}

static int victim(int argc, char **argv)
{
	size_t len = 0;
	for (int i = 1; i < argc; i++)
		len += strlen(argv[i]);
	bool covers = secret_covers_target();
	console_printf(console, "isolation: victim: a %zu-byte secret in my CapSet covers 0x%llx (CapSet + 0x%x): %s\n",
	               len, (unsigned long long)victim_secret(), VICTIM_SECRET_OFFSET, covers ? "ok" : "FAIL");
	memcpy(data_secret, DATA_SECRET, sizeof(DATA_SECRET));
	console_printf(console, "isolation: victim: and a writable secret at 0x%llx\n",
	               (unsigned long long)(uint64_t)data_secret);
	console_write_line(console, "isolation: victim: waiting while the attackers try");

	int err = timer_sleep(timer, (ATTACKS + 2) * STAGGER);
	bool data_ok = memcmp(data_secret, DATA_SECRET, sizeof(DATA_SECRET)) == 0;
	bool capset_ok = capset_secret_intact(argc, argv);
	console_printf(console, "isolation: victim: still running; writable secret intact: %s; CapSet secret intact: %s\n",
	               data_ok ? "ok" : "FAIL", capset_ok ? "ok" : "FAIL");
	return !err && covers && data_ok && capset_ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (capset_get("console", &console, NULL) != 0)
		return 100;
	if (capset_get("timer", &timer, NULL) != 0)
		return 101;
	if (argc == 3 && argv[2][0] >= '0' && argv[2][0] <= '9') {
		uint64_t slot = 0;
		for (const char *d = argv[2]; *d >= '0' && *d <= '9'; d++)
			slot = slot * 10 + (uint64_t)(*d - '0');
		return attack(argv[1], slot);
	}
	return victim(argc, argv);
}
