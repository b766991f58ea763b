/*
 * console-paths - every way through the Console capability: write,
 * writeLine, long writes, readLine with its line discipline (short reads,
 * long lines, the last line without a newline, end of input), and each
 * transport error a bad call gets.
 */
#include <capos/capos.h>

static cap_id_t console;
static int failures;

static void check(bool ok, const char *what)
{
	console_printf(console, "console-paths: %s: %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static void read_and_echo(size_t cap)
{
	char buf[256];
	size_t len = 0;
	bool eof = false;
	int err = console_read_line(console, buf, cap, &len, &eof);
	if (err)
		console_printf(console, "console-paths: read error %s\n", capos_strerror(err));
	else
		console_printf(console, "console-paths: read [%s] len %zu%s\n", buf, len, eof ? " eof" : "");
}

/* A raw Console call with hand-made parameters and answer buffer. */
static int raw_call(uint64_t iface, uint16_t method, const void *params, size_t plen, void *answer,
                    size_t alen)
{
	struct cap_call_args a = { .cap = console, .iface = iface, .method = method, .params = params,
	                           .params_len = plen, .result = answer, .result_len = alen };
	struct cap_call_result res;
	return cap_call_ex(capos_ring(), &a, &res);
}

int main(void)
{
	if (capset_get("console", &console, NULL) != 0)
		return 10;

	check(console_write_str(console, "console-paths: part one, ") == 0 &&
	          console_write_line(console, "part two") == 0,
	      "write then writeLine");
	check(console_write_line(console, "") == 0, "an empty line");

	/* 70,000 bytes: more than one message may carry, so the client splits it. */
	static char big[70001];
	for (int i = 0; i < 70000; i++)
		big[i] = (char)('0' + i % 10);
	check(console_write_line(console, big) == 0, "a 70000-byte line");

	read_and_echo(256);
	read_and_echo(256);
	read_and_echo(17); /* 16 bytes and the NUL: the rest of the line stays */
	read_and_echo(256);
	read_and_echo(256);
	read_and_echo(256);

	uint8_t answer[256] __attribute__((aligned(8)));
	static const char garbage[16] = "not a message!!";
	check(raw_call(0, CAPOS_CONSOLE_METHOD_WRITE, garbage, sizeof(garbage), answer, sizeof(answer)) ==
	          -(int)CAPOS_ERROR_CODE_BAD_MESSAGE,
	      "malformed parameters -> badMessage");
	check(raw_call(0, 99, NULL, 0, answer, sizeof(answer)) == -(int)CAPOS_ERROR_CODE_NO_SUCH_METHOD,
	      "method 99 -> noSuchMethod");
	check(raw_call(CAPOS_TIMER_INTERFACE_ID, 0, NULL, 0, answer, sizeof(answer)) ==
	          -(int)CAPOS_ERROR_CODE_WRONG_INTERFACE,
	      "the Timer interface on a Console -> wrongInterface");
	check(raw_call(0, CAPOS_CONSOLE_METHOD_WRITE, (const void *)0x1000, 64, answer, sizeof(answer)) ==
	          -(int)CAPOS_ERROR_CODE_BAD_ADDRESS,
	      "parameters outside our memory -> badAddress");

	/* An answer buffer in read-only memory (our own CapSet page). */
	uint8_t params[64] __attribute__((aligned(8)));
	struct capn_builder b;
	const void *msg;
	size_t mlen;
	capn_builder_init(&b, params, sizeof(params));
	capos_Console_readLine_Params_set_maxBytes(capos_Console_readLine_Params_new_root(&b), 8);
	capos_msg_end(&b, &msg, &mlen);
	check(raw_call(0, CAPOS_CONSOLE_METHOD_READ_LINE, msg, mlen, (void *)capos_capset(), 128) ==
	          -(int)CAPOS_ERROR_CODE_BAD_ADDRESS,
	      "answer into read-only memory -> badAddress");
	check(raw_call(0, CAPOS_CONSOLE_METHOD_READ_LINE, msg, mlen, answer, 40) == -(int)CAPOS_ERROR_CODE_TOO_LARGE,
	      "answer buffer too small for maxBytes -> tooLarge, no input lost");
	read_and_echo(256);

	console_printf(console, "console-paths: %d checks failed\n", failures);
	return failures ? 1 : 0;
}
