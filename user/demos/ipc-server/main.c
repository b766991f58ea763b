/*
 * ipc-server - serves the Echo interface on the endpoint the manifest
 * exports as "echo", reporting the badge of every caller (so two clients
 * granted the same endpoint with different badges are told apart), and
 * exits after answering the number of calls given as its argument.
 */
#include <capos/capos.h>

static uint8_t buf[4096] __attribute__((aligned(8)));
static uint8_t out[4096] __attribute__((aligned(8)));

/* Build the answer to one call into `out`; returns its length or 0. */
static size_t answer(cap_id_t console, const struct capos_call *call, const void **msg)
{
	struct capn_builder b;
	capn_builder_init(&b, out, sizeof(out));
	if (call->method == CAPOS_ECHO_METHOD_ECHO) {
		struct capn_reader r;
		capn_data d = { NULL, 0 };
		if (!capos_msg_read(&r, call->msg, call->msg_len))
			d = capos_Echo_echo_Params_get_data(capos_Echo_echo_Params_read_root(&r));
		console_printf(console, "ipc-server: echo from badge %llu: \"%.*s\"\n", (unsigned long long)call->badge,
		               (int)d.len, (const char *)d.ptr);
		capos_Echo_echo_Results_set_data(capos_Echo_echo_Results_new_root(&b), d.ptr, d.len);
	} else {
		console_printf(console, "ipc-server: ping from badge %llu\n", (unsigned long long)call->badge);
		capos_Echo_ping_Results_new_root(&b);
	}
	size_t len;
	return capos_msg_end(&b, msg, &len) ? 0 : len;
}

int main(int argc, char **argv)
{
	cap_id_t console, echo;
	if (capset_get("console", &console, NULL) || capset_get("echo", &echo, NULL))
		return 10;
	int calls = argc > 1 ? argv[1][0] - '0' : 1;
	struct capos_call call;
	int err = capos_recv(echo, buf, sizeof(buf), &call);
	for (int served = 0; !err; served++) {
		const void *msg;
		size_t len = answer(console, &call, &msg);
		if (served + 1 == calls) {
			err = capos_return(call.call_id, msg, len, NULL, 0);
			break;
		}
		err = capos_reply_recv(call.call_id, msg, len, echo, buf, sizeof(buf), &call);
	}
	console_printf(console, "ipc-server: served %d calls: %s\n", calls, err ? capos_strerror(err) : "ok");
	return err ? 1 : 0;
}
