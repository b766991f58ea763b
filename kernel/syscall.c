/*
 * syscall.c - the kernel's trap entries (declared in hal.h): system calls,
 * timer interrupts and faults. Each handles its event for the current
 * process, then asks the scheduler what runs next.
 */
#include "capos/abi/syscall.h"
#include "hal.h"
#include "kernel.h"
#include "proc.h"
#include "ring.h"
#include "sched.h"
#include "timer.h"

static void sys_cap_enter(struct proc *p, uint64_t min_complete, uint64_t timeout_ns)
{
	if (ring_process(p) < 0)
		return; /* p was faulted (corrupt ring) */
	int unread = ring_cq_unread(p);
	if (unread < 0)
		return;
	if (min_complete > CAPOS_CQ_ENTRIES) {
		hal_ctx_set_result(p->ctx, KERR(INVALID_ARGUMENT));
		return;
	}
	if ((uint64_t)unread >= min_complete || timeout_ns == 0) {
		hal_ctx_set_result(p->ctx, unread);
		return;
	}
	/* Waiting forever for completions no operation can produce would never
	 * end; say so instead of hanging. A finite wait is a sleep. */
	if ((uint64_t)unread + p->ring.in_flight < min_complete && timeout_ns == CAPOS_WAIT_FOREVER) {
		hal_ctx_set_result(p->ctx, KERR(WOULD_BLOCK));
		return;
	}
	uint64_t deadline = timeout_ns == CAPOS_WAIT_FOREVER ? UINT64_MAX
	                                                     : ktimer_deadline(hal_now_ns(), timeout_ns);
	sched_block_in_enter(p, (uint32_t)min_complete, deadline);
}

struct hal_ctx *kernel_trap_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct proc *p = sched_current();
	KASSERT(p);
	/* Hold p while handling its call: it may exit or be faulted on the way. */
	proc_ref(p);
	switch (nr) {
	case CAPOS_SYS_CAP_ENTER:
		sys_cap_enter(p, a0, a1);
		break;
	case CAPOS_SYS_EXIT:
		proc_exit(p, (int)(int32_t)a0);
		break;
	default:
		(void)a2;
		hal_ctx_set_result(p->ctx, KERR(INVALID_ARGUMENT));
		break;
	}
	proc_unref(p);
	return sched_next();
}

struct hal_ctx *kernel_trap_timer(void)
{
	sched_preempt();
	return sched_next();
}

static const char *fault_kind(enum hal_fault_kind k)
{
	switch (k) {
	case HAL_FAULT_MEMORY: return "bad memory access";
	case HAL_FAULT_ILLEGAL: return "illegal instruction";
	case HAL_FAULT_ARITHMETIC: return "arithmetic fault";
	case HAL_FAULT_BREAKPOINT: return "breakpoint";
	case HAL_FAULT_HOST_SYSCALL: return "Linux system call";
	case HAL_FAULT_BAD_STATE: return "unresumable state";
	}
	return "fault";
}

struct hal_ctx *kernel_trap_fault(const struct hal_fault *f)
{
	struct proc *p = sched_current();
	KASSERT(p);
	if (f->kind == HAL_FAULT_HOST_SYSCALL)
		proc_fault(p, "%s %s (%llu) at 0x%llx", fault_kind(f->kind), f->detail ? f->detail : "?",
		           (unsigned long long)f->number, (unsigned long long)f->ip);
	else if (f->kind == HAL_FAULT_MEMORY)
		proc_fault(p, "%s at 0x%llx (address 0x%llx)", fault_kind(f->kind), (unsigned long long)f->ip,
		           (unsigned long long)f->addr);
	else
		proc_fault(p, "%s at 0x%llx%s%s", fault_kind(f->kind), (unsigned long long)f->ip,
		           f->detail ? ": " : "", f->detail ? f->detail : "");
	return sched_next();
}
