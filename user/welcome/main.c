/*
 * welcome - the default system capos-sim boots when given no manifest:
 * shows what a capOS process holds and uses each of its capabilities.
 */
#include <capos/capos.h>

static cap_id_t console;

static void show_cap(const char *name, cap_id_t cap, iface_id_t iface, void *ud)
{
	(void)ud;
	const struct capn_interface_info *info = capos_interface_by_id(iface);
	console_printf(console, "  %-8s %-10s (cap id 0x%08x)\n", name, info ? info->name : "?", cap);
}

int main(int argc, char **argv)
{
	cap_id_t timer, null;
	if (capset_get("console", &console, NULL) || capset_get("timer", &timer, NULL) ||
	    capset_get("null", &null, NULL))
		return 1;
	console_printf(console, "capOS: hello from the default system (process %u, \"%s\")\n",
	               capos_capset()->pid, argc > 0 ? argv[0] : "?");
	console_write_line(console, "This process holds exactly these capabilities, and nothing else:");
	capset_iter(show_cap, NULL);

	uint64_t t0, t1;
	if (timer_now(timer, &t0) || timer_sleep(timer, 20000000) || timer_now(timer, &t1))
		return 2;
	console_printf(console, "Timer: slept 20 ms; the clock moved %llu ms\n",
	               (unsigned long long)((t1 - t0) / 1000000));
	int err = null_nop(null);
	console_printf(console, "NullCap: nop -> %s\n", err ? capos_strerror(err) : "ok");

	/* A capability this process was never given does not exist for it. */
	err = console_write_line(0x7fff0001, "nobody sees this");
	console_printf(console, "Console write through a forged capability id -> %s\n", capos_strerror(err));
	console_write_line(console, "Run 'make test' to see every demo checked; docs/ explains the design.");
	return 0;
}
