/*
 * bench-echo - the Echo server of the IPC benchmark (bench/README.md).
 *
 * Serves the endpoint its manifest exports as "echo": every call is
 * answered with the same, prebuilt, empty Echo.ping result, so what the
 * benchmark measures is the kernel's CALL/RECV/RETURN path and libcapos's
 * ring code, not message building. Runs until the system ends. With the
 * argument "base" it first prints its load address (for the profile).
 */
#include <capos/capos.h>

static uint8_t buf[512] __attribute__((aligned(8)));
static uint8_t arena[128] __attribute__((aligned(8)));

extern const char __ehdr_start[] __attribute__((visibility("hidden")));

int main(int argc, char **argv)
{
	cap_id_t console, echo;
	if (capset_get("console", &console, NULL) || capset_get("echo", &echo, NULL))
		return 10;
	if (argc > 1 && !strcmp(argv[1], "base"))
		console_printf(console, "base echo 0x%llx\n", (unsigned long long)(uintptr_t)__ehdr_start);
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Echo_ping_Results_new_root(&b);
	const void *answer;
	size_t answer_len;
	if (capos_msg_end(&b, &answer, &answer_len))
		return 11;

	struct capos_call call;
	int err = capos_recv(echo, buf, sizeof(buf), &call);
	while (!err)
		err = capos_reply_recv(call.call_id, answer, answer_len, echo, buf, sizeof(buf), &call);
	console_printf(console, "bench-echo: %s\n", capos_strerror(err));
	return 1;
}
