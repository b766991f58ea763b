/*
 * trap.c - signals: how the simulated CPU takes interrupts and faults.
 *
 * Every handler runs on the kernel stack (the signal stack) and starts at
 * hal_host_sig_entry (switch.S). If user code was interrupted, its registers
 * (the signal frame's ucontext) become its saved context, the kernel handles
 * the event, and the CPU continues with whatever context the kernel picks:
 * the handler never returns, so no sigreturn is paid on that path. If the
 * simulator itself was interrupted, a timer tick is postponed and anything
 * else is a simulator bug, reported with where it happened.
 *
 * Handlers are installed with the raw rt_sigaction system call so that the
 * restorer is ours (hal_host_sigreturn, exempt from Syscall User Dispatch),
 * with SA_NODEFER so that leaving a handler without sigreturn leaves no
 * signal blocked.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "ctx.h"
#include "hal.h"
#include "host.h"

#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2 /* si_code of a SIGSYS from Syscall User Dispatch */
#endif
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

extern volatile uint8_t hal_host_selector;
extern uint64_t hal_host_kernel_fs;
extern struct hal_ctx *hal_host_current;
extern uint8_t hal_host_fxsave_on_signal;
extern uint8_t hal_host_signal_fpu[512];
extern void hal_host_sig_entry(int, siginfo_t *, void *);
extern void hal_host_sigreturn(void);
extern char hal_host_sys_gate_ret[];

static void save_full(struct hal_ctx *ctx, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	ctx->kind = CTX_KIND_FULL;
	ctx->rip = (uint64_t)g[REG_RIP];
	ctx->rsp = (uint64_t)g[REG_RSP];
	ctx->rax = (uint64_t)g[REG_RAX];
	ctx->rbx = (uint64_t)g[REG_RBX];
	ctx->rcx = (uint64_t)g[REG_RCX];
	ctx->rdx = (uint64_t)g[REG_RDX];
	ctx->rsi = (uint64_t)g[REG_RSI];
	ctx->rdi = (uint64_t)g[REG_RDI];
	ctx->rbp = (uint64_t)g[REG_RBP];
	ctx->r8 = (uint64_t)g[REG_R8];
	ctx->r9 = (uint64_t)g[REG_R9];
	ctx->r10 = (uint64_t)g[REG_R10];
	ctx->r11 = (uint64_t)g[REG_R11];
	ctx->r12 = (uint64_t)g[REG_R12];
	ctx->r13 = (uint64_t)g[REG_R13];
	ctx->r14 = (uint64_t)g[REG_R14];
	ctx->r15 = (uint64_t)g[REG_R15];
	ctx->rflags = (uint64_t)g[REG_EFL];
	if (hal_host_fxsave_on_signal)
		ctx_save_fpu_fxsave(ctx, hal_host_signal_fpu);
	else if (uc->uc_mcontext.fpregs)
		ctx_save_fpu_from_frame(ctx, uc->uc_mcontext.fpregs);
}

/* Something went wrong in the simulator itself: say where, and stop. */
static _Noreturn void internal_fault(int sig, const siginfo_t *si, const ucontext_t *uc)
{
	char buf[256];
	const greg_t *g = uc->uc_mcontext.gregs;
	int n;
	if (sig == SIGSYS)
		n = snprintf(buf, sizeof(buf),
		             "capos-sim: internal error: the simulator made a forbidden system call %s (%d) at 0x%llx\n",
		             host_syscall_name(si->si_syscall), si->si_syscall, (unsigned long long)g[REG_RIP]);
	else
		n = snprintf(buf, sizeof(buf),
		             "capos-sim: internal error: signal %d (%s) in the simulator at rip 0x%llx, address %p, rsp 0x%llx\n",
		             sig, strsignal(sig), (unsigned long long)g[REG_RIP], si->si_addr,
		             (unsigned long long)g[REG_RSP]);
	if (write(2, buf, (size_t)n) < 0)
		_exit(HOST_EXIT_INTERNAL);
	_exit(HOST_EXIT_INTERNAL);
}

static struct hal_ctx *user_trap(int sig, const siginfo_t *si, const ucontext_t *uc, bool sys_gate)
{
	struct hal_fault f = { .ip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP] };
	switch (sig) {
	case SIGALRM:
		return kernel_trap_timer();
	case SIGSYS:
		if (sys_gate)
			return kernel_trap_syscall((uint64_t)si->si_syscall, hal_host_current->rdi,
			                           hal_host_current->rsi, hal_host_current->rdx);
		f.kind = HAL_FAULT_HOST_SYSCALL;
		f.number = (uint64_t)si->si_syscall;
		f.detail = host_syscall_name(si->si_syscall);
		break;
	case SIGSEGV:
	case SIGBUS:
		f.kind = HAL_FAULT_MEMORY;
		f.addr = (uint64_t)si->si_addr;
		break;
	case SIGILL:
		f.kind = HAL_FAULT_ILLEGAL;
		break;
	case SIGFPE:
		f.kind = HAL_FAULT_ARITHMETIC;
		break;
	default:
		f.kind = HAL_FAULT_BREAKPOINT;
		break;
	}
	return kernel_trap_fault(&f);
}

/* The C handler for every signal (entered through hal_host_sig_entry). */
void hal_host_signal(int sig, siginfo_t *si, void *ucv);
void hal_host_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	/* Kernel mode at once: let system calls through and give glibc its FS
	 * back before any C library code runs. */
	uint8_t prev_selector = hal_host_selector;
	hal_host_selector = 0;
	uint64_t prev_fs = host_read_fs();
	host_restore_kernel_fs();

	uint64_t ip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	/* On the gate's first instruction, nothing of the gate has run (the
	 * call only pushed the return address, on the user's stack): user code
	 * was interrupted, and resuming it there enters the gate afresh. Taken
	 * as the simulator's instead, the signal would return with sigreturn,
	 * which under valgrind leaves memcheck holding the top of the kernel
	 * stack dead, the very bytes the gate writes next. */
	bool user = host_in_user_arena(ip) || ip == (uint64_t)hal_host_gate;
	if (sig == SIGSEGV && host_fs_trap_hit(prev_fs, (uint64_t)si->si_addr)) {
		/* Linux lost the interrupted code's FS (cpu.c, the FS trap): give
		 * it back and let the access run again. */
		host_write_fs(user ? hal_host_current->fs_base : hal_host_kernel_fs);
		hal_host_selector = prev_selector;
		return;
	}
	bool sys_gate = sig == SIGSYS && si->si_code == SYS_USER_DISPATCH && ip == (uint64_t)hal_host_sys_gate_ret;
	if (!sys_gate && !user) {
		/* The simulator was interrupted, not user code. */
		if (sig != SIGALRM)
			internal_fault(sig, si, uc);
		host_time_kernel_mode_tick();
		host_write_fs(prev_fs);
		hal_host_selector = prev_selector;
		return;
	}
	/* The context keeps the FS base the kernel gave it: user programs do
	 * not change their own, and the register may hold the FS trap. */
	save_full(hal_host_current, uc);
	host_enter_user(user_trap(sig, si, uc, sys_gate));
}

/* The kernel's struct sigaction for rt_sigaction (not glibc's). */
struct kernel_sigaction {
	void (*handler)(int, siginfo_t *, void *);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

int host_install_handlers(void *stack, size_t size, char *err, size_t errlen)
{
	stack_t ss = { .ss_sp = stack, .ss_size = size };
	if (sigaltstack(&ss, NULL) != 0) {
		snprintf(err, errlen, "sigaltstack failed");
		return -1;
	}
	static const int sigs[] = { SIGALRM, SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct kernel_sigaction ka = {
			.handler = hal_host_sig_entry,
			.flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART | SA_RESTORER,
			.restorer = hal_host_sigreturn,
			.mask = 0,
		};
		if (syscall(SYS_rt_sigaction, sigs[i], &ka, NULL, sizeof(ka.mask)) != 0) {
			snprintf(err, errlen, "rt_sigaction(%d) failed", sigs[i]);
			return -1;
		}
	}
	return 0;
}
