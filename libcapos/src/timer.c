/*
 * timer.c - the Timer and NullCap clients.
 */
#include "internal.h"

int timer_now(cap_id_t timer, uint64_t *ns)
{
	uint8_t answer[96] __attribute__((aligned(8)));
	struct capn_reader r;
	capn_struct_r root;
	int err = capos__call_simple(timer, CAPOS_TIMER_INTERFACE_ID, CAPOS_TIMER_METHOD_NOW, NULL, answer,
	                             sizeof(answer), &r, &root);
	if (!err)
		*ns = capos_Timer_now_Results_get_ns((capos_Timer_now_Results_r){ root });
	return err;
}

int timer_sleep(cap_id_t timer, uint64_t ns)
{
	uint8_t arena[64] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Timer_sleep_Params_set_ns(capos_Timer_sleep_Params_new_root(&b), ns);
	uint8_t answer[64] __attribute__((aligned(8)));
	return capos__call_simple(timer, CAPOS_TIMER_INTERFACE_ID, CAPOS_TIMER_METHOD_SLEEP, &b, answer,
	                          sizeof(answer), NULL, NULL);
}

int null_nop(cap_id_t null)
{
	/* No answer buffer: only the completion's status comes back. */
	struct cap_call_args a = { .cap = null, .iface = CAPOS_NULL_CAP_INTERFACE_ID,
	                           .method = CAPOS_NULL_CAP_METHOD_NOP };
	struct cap_call_result res;
	return cap_call_ex(capos_ring(), &a, &res);
}
