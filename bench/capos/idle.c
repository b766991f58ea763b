/*
 * bench-idle - a process that does nothing, for the per-process memory
 * figure: it sleeps (a finite cap_enter wait with nothing in flight) until
 * the system ends. It needs no capability.
 */
#include <capos/capos.h>

int main(void)
{
	for (;;)
		sys_cap_enter(1, 3600ull * 1000000000ull);
}
