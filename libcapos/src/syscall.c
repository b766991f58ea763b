/*
 * syscall.c - the two system calls, through the gate the kernel named.
 */
#include "internal.h"

static capos_gate_fn gate(void) { return (capos_gate_fn)capos__capset->gate; }

int64_t sys_cap_enter(uint32_t min_complete, uint64_t timeout_ns)
{
	return gate()(CAPOS_SYS_CAP_ENTER, min_complete, timeout_ns, 0);
}

_Noreturn void sys_exit(int code)
{
	gate()(CAPOS_SYS_EXIT, (uint64_t)(uint32_t)code, 0, 0);
	__builtin_trap(); /* exit does not return */
}
