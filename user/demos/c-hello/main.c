/*
 * c-hello - the first C program on capOS (seed phase P1.1): print through
 * the granted console and exit 0.
 */
#include <capos/capos.h>

int main(void)
{
	cap_id_t console;
	if (capset_get("console", &console, NULL) != 0)
		return 1;
	return console_write_line(console, "hello from C") == 0 ? 0 : 2;
}
