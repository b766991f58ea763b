/*
 * ipc-client - calls the Echo server it was granted as "echo": one echo
 * (checking the bytes come back) and one ping. Its process name says who it
 * is, and so does the badge the server sees.
 */
#include <capos/capos.h>

int main(int argc, char **argv)
{
	cap_id_t console, echo;
	(void)argc;
	if (capset_get("console", &console, NULL) || capset_get("echo", &echo, NULL))
		return 10;
	char text[64];
	size_t n = capos_snprintf(text, sizeof(text), "hello from %s", argv[0]);

	uint8_t arena[256] __attribute__((aligned(8))), answer[256] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Echo_echo_Params_set_data(capos_Echo_echo_Params_new_root(&b), text, n);
	const void *msg;
	size_t len;
	capos_msg_end(&b, &msg, &len);
	struct cap_call_args a = { .cap = echo, .method = CAPOS_ECHO_METHOD_ECHO, .params = msg, .params_len = len,
	                           .result = answer, .result_len = sizeof(answer) };
	struct cap_call_result res;
	int err = cap_call_ex(capos_ring(), &a, &res);
	bool same = false;
	if (!err) {
		struct capn_reader r;
		capn_data d = { NULL, 0 };
		if (!capos_msg_read(&r, res.msg, res.msg_len))
			d = capos_Echo_echo_Results_get_data(capos_Echo_echo_Results_read_root(&r));
		same = d.len == n && memcmp(d.ptr, text, n) == 0;
	}
	console_printf(console, "%s: echo -> %s\n", argv[0], err ? capos_strerror(err) : same ? "same bytes back" : "WRONG BYTES");

	struct cap_call_args p = { .cap = echo, .method = CAPOS_ECHO_METHOD_PING, .result = answer,
	                           .result_len = sizeof(answer) };
	int perr = cap_call_ex(capos_ring(), &p, &res);
	console_printf(console, "%s: ping -> %s\n", argv[0], perr ? capos_strerror(perr) : "ok");
	return err || perr || !same ? 1 : 0;
}
