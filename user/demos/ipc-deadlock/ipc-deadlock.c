/*
 * ipc-deadlock - two services that call each other before serving: each
 * CALLs (no timeout) the endpoint of the other, which never RECVs, so
 * neither can go on. With init waiting for both, no process can run and
 * none can be woken: capos-sim must end with status 123 and a kernel report
 * naming the stuck processes (tests/sim-cli-ipc/run.sh checks it).
 *
 * Grants: "console", "peer" (the other's Echo endpoint), and its own export
 * "me" (the server side it would serve, after its call returned).
 */
#include <capos/capos.h>

int main(int argc, char **argv)
{
	cap_id_t console, peer, me;
	if (capset_get("console", &console, NULL) || capset_get("peer", &peer, NULL) || capset_get("me", &me, NULL))
		return 2;
	const char *name = argc > 0 ? argv[0] : "?";
	uint8_t answer[128] __attribute__((aligned(8)));
	console_printf(console, "%s: calling my peer before serving\n", name);
	struct cap_call_args a = { .cap = peer, .method = CAPOS_ECHO_METHOD_PING, .result = answer,
	                           .result_len = sizeof(answer) };
	struct cap_call_result res;
	int err = cap_call_ex(capos_ring(), &a, &res);
	/* Not reached while the peer does the same. */
	console_printf(console, "%s: ping -> %s\n", name, err ? capos_strerror(err) : "ok");
	struct capos_call call;
	uint8_t buf[256] __attribute__((aligned(8)));
	if (!capos_recv(me, buf, sizeof(buf), &call))
		capos_return(call.call_id, NULL, 0, NULL, 0);
	return err ? 1 : 0;
}
