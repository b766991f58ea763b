/*
 * capos/abi/syscall.h - the two system calls and the gate that carries them.
 *
 * User code never executes a `syscall` instruction itself. It calls the gate
 * whose address the kernel put in its CapSet page (capset.h), as an ordinary
 * C function:
 *
 *     int64_t gate(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
 *
 * (System V AMD64 calling convention: rdi, rsi, rdx, rcx; result in rax.) On
 * QEMU and in the simulator's syscall-gate mode the gate is a `syscall`
 * stub; in the simulator's direct modes it is a direct call into the
 * hardware layer. Either way the call preserves the callee-saved registers.
 * See docs/abi.md.
 */
#ifndef CAPOS_ABI_SYSCALL_H
#define CAPOS_ABI_SYSCALL_H

#include <stdint.h>

/* cap_enter(min_complete, timeout_ns): process this process's pending
 * submissions, then wait until at least `min_complete` completions are
 * unread or `timeout_ns` nanoseconds pass (CAPOS_WAIT_FOREVER: no limit).
 * Returns the number of unread completions (>= 0) or a negated ErrorCode. */
#define CAPOS_SYS_CAP_ENTER 1u
/* exit(code): end this process; never returns. */
#define CAPOS_SYS_EXIT 2u

#define CAPOS_WAIT_FOREVER UINT64_MAX

typedef int64_t (*capos_gate_fn)(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);

#endif /* CAPOS_ABI_SYSCALL_H */
