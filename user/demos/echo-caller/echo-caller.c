/*
 * echo-caller - an Echo client the ipc-failures demo spawns to be a caller
 * that goes away while its call is in flight. It has no manifest of its own.
 *
 * Grants: "echo" (an Echo client capability), "console" (optional).
 * What it does depends on its process name:
 *   async-exit  submits echo("from NAME") without waiting for the answer,
 *               lets the kernel take the submission, and exits 0
 *   blocking    calls echo("from NAME") and waits (until it is killed);
 *               reports the result if it ever gets one
 */
#include <capos/capos.h>

int main(int argc, char **argv)
{
	cap_id_t echo, console = 0;
	bool have_console = capset_get("console", &console, NULL) == 0;
	if (capset_get("echo", &echo, NULL))
		return 2;
	const char *me = argc > 0 ? argv[0] : "echo-caller";
	char text[64];
	size_t n = capos_snprintf(text, sizeof(text), "from %s", me);
	static uint8_t arena[256] __attribute__((aligned(8))), answer[256] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Echo_echo_Params_set_data(capos_Echo_echo_Params_new_root(&b), text, n);
	const void *msg;
	size_t len;
	capos_msg_end(&b, &msg, &len);
	struct cap_call_args a = { .cap = echo, .method = CAPOS_ECHO_METHOD_ECHO, .params = msg, .params_len = len,
	                           .result = answer, .result_len = sizeof(answer) };
	if (strcmp(me, "async-exit") == 0) {
		uint64_t ud;
		int err = cap_call_submit(capos_ring(), &a, &ud);
		if (!err)
			sys_cap_enter(0, 0); /* the kernel takes the CALL; we do not wait for it */
		return err ? 1 : 0;
	}
	struct cap_call_result res;
	int err = cap_call_ex(capos_ring(), &a, &res);
	if (have_console)
		console_printf(console, "%s: echo -> %s\n", me, err ? capos_strerror(err) : "ok");
	return err ? 1 : 0;
}
