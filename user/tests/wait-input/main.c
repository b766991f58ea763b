/*
 * wait-input - reads console lines until input ends, echoing each: a program
 * that waits on the outside world (used by tests/sim-cli for --timeout).
 */
#include <capos/capos.h>

int main(void)
{
	cap_id_t console;
	if (capset_get("console", &console, NULL))
		return 1;
	for (;;) {
		char line[128];
		bool eof;
		if (console_read_line(console, line, sizeof(line), NULL, &eof) || eof)
			return 0;
		console_printf(console, "wait-input: got [%s]\n", line);
	}
}
