/*
 * trap.c - what happens after entry.S: system calls, interrupts and
 * exceptions, turned into the kernel's trap entries (hal.h).
 *
 * From user mode, the interrupted registers become the current context's
 * (kind FULL) and the CPU continues with whatever context the kernel picks;
 * x86_trap does not return on that path. Exceptions fault the process, with
 * the same kinds the simulator reports for the matching Linux signals.
 *
 * In kernel mode interrupts are only ever enabled inside hal_idle's wait:
 * the timer and COM1 just end the wait. An exception in kernel mode is a
 * kernel bug and stops the machine (panic.c).
 */
#include "ctx.h"
#include "hal.h"
#include "io.h"
#include "x86.h"

#define VEC_DE 0
#define VEC_DB 1
#define VEC_NMI 2
#define VEC_BP 3
#define VEC_UD 6
#define VEC_NM 7
#define VEC_DF 8
#define VEC_SS 12
#define VEC_GP 13
#define VEC_PF 14
#define VEC_MF 16
#define VEC_AC 17
#define VEC_MC 18
#define VEC_XM 19

_Noreturn void x86_syscall_c(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	x86_enter_user(kernel_trap_syscall(nr, a0, a1, a2));
}

/* The fault an exception from user mode means. */
static struct hal_fault user_fault(const struct x86_trap_frame *tf, uint64_t cr2)
{
	struct hal_fault f = { .kind = HAL_FAULT_ILLEGAL, .ip = tf->rip };
	switch (tf->vector) {
	case VEC_PF:
		f.kind = HAL_FAULT_MEMORY;
		f.addr = cr2;
		break;
	case VEC_SS:
	case VEC_AC:
		f.kind = HAL_FAULT_MEMORY;
		f.addr = tf->vector == VEC_SS ? tf->rsp : 0;
		break;
	case VEC_DE:
	case VEC_MF:
	case VEC_XM:
		f.kind = HAL_FAULT_ARITHMETIC;
		break;
	case VEC_DB:
	case VEC_BP:
		f.kind = HAL_FAULT_BREAKPOINT;
		break;
	case VEC_UD:
	case VEC_NM:
		break;
	case VEC_GP:
		/* A privileged instruction, a port, or a non-canonical address. */
		f.detail = "general protection fault";
		break;
	default:
		f.detail = "unexpected exception";
		break;
	}
	return f;
}

void x86_trap(struct x86_trap_frame *tf)
{
	uint64_t cr2 = read_cr2();
	bool user = (tf->cs & 3) == 3;
	uint64_t v = tf->vector;

	if (v == VEC_SPURIOUS || (v >= VEC_PIC_BASE && v < VEC_PIC_BASE + 16))
		return; /* spurious: no EOI */
	if (v == VEC_TIMER || v == VEC_SERIAL) {
		if (v == VEC_SERIAL)
			serial_irq();
		apic_eoi();
		if (!user)
			return; /* the end of hal_idle's wait */
		if (v == VEC_TIMER && !time_deadline_due())
			return; /* early: re-armed; the process goes on */
		/* COM1 input also enters the kernel, so a waiting readLine is
		 * answered at once even while another process computes. */
		ctx_save_frame(x86_current, tf);
		x86_enter_user(kernel_trap_timer());
	}
	if (v >= 32) {
		apic_eoi();
		x86_debug("unexpected interrupt %llu ignored", (unsigned long long)v);
		return;
	}
	if (!user || v == VEC_NMI || v == VEC_DF || v == VEC_MC)
		x86_kernel_fault(tf);
	if (v == VEC_PF && as_fault_in(x86_current->as, cr2, tf->error))
		return; /* the first touch of a lazy page: retried with its frame */
	struct hal_fault f = user_fault(tf, cr2);
	ctx_save_frame(x86_current, tf);
	x86_enter_user(kernel_trap_fault(&f));
}
