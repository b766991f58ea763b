/*
 * switch.S - the host HAL's ways into and out of the kernel.
 *
 * hal_host_gate       the direct gate: user code calls it like a function.
 * hal_host_sys_gate   the syscall gate: a `syscall` that Syscall User
 *                     Dispatch turns into SIGSYS (trap.c handles it).
 * hal_host_resume     leave the kernel for a user context (never returns).
 * hal_host_sig_entry  every signal handler starts here.
 * hal_host_sigreturn  our own signal restorer, the one place user-mode
 *                     Syscall User Dispatch lets a system call through.
 *
 * Globals read here are defined and documented in cpu.c; context offsets
 * are in ctx.h.
 */
#include "ctx.h"

#define ARCH_SET_FS 0x1002
#define SYS_arch_prctl 158
#define SYS_rt_sigreturn 15
#define SUD_ALLOW 0

	.text

/* int64_t hal_host_gate(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
 * Save the caller as a CALL context, switch to the kernel stack and the
 * simulator's FS, and enter the kernel (hal_host_gate_c never returns). */
	.globl	hal_host_gate
	.type	hal_host_gate, @function
hal_host_gate:
	movb	$SUD_ALLOW, hal_host_selector(%rip)
	movq	hal_host_current(%rip), %rax
	popq	%r11
	movq	%r11, CTX_RIP(%rax)
	movq	%rsp, CTX_RSP(%rax)
	movq	%rbx, CTX_RBX(%rax)
	movq	%rbp, CTX_RBP(%rax)
	movq	%r12, CTX_R12(%rax)
	movq	%r13, CTX_R13(%rax)
	movq	%r14, CTX_R14(%rax)
	movq	%r15, CTX_R15(%rax)
	stmxcsr	CTX_MXCSR(%rax)
	fnstcw	CTX_FCW(%rax)
	movq	$CTX_KIND_CALL, CTX_KIND(%rax)
	movq	hal_host_kstack_top(%rip), %rsp
	cmpb	$0, hal_host_use_fsgsbase(%rip)
	je	1f
	movq	hal_host_kernel_fs(%rip), %r11
	wrfsbase %r11
	call	hal_host_gate_c		/* (nr, a0, a1, a2); never returns */
	ud2
1:	/* No FSGSBASE (valgrind): arch_prctl, keeping the arguments. */
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	movl	$SYS_arch_prctl, %eax
	movl	$ARCH_SET_FS, %edi
	movq	hal_host_kernel_fs(%rip), %rsi
	syscall
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	call	hal_host_gate_c
	ud2
	.size	hal_host_gate, . - hal_host_gate

/* The syscall gate: same arguments as hal_host_gate, moved into the Linux
 * system call registers. The SIGSYS handler recognises the return address. */
	.globl	hal_host_sys_gate
	.globl	hal_host_sys_gate_ret
	.type	hal_host_sys_gate, @function
hal_host_sys_gate:
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	syscall
hal_host_sys_gate_ret:
	ret
	.size	hal_host_sys_gate, . - hal_host_sys_gate

/* _Noreturn void hal_host_resume(struct hal_ctx *ctx)
 * Called on the kernel stack once trap.c/cpu.c have checked that the
 * context can be resumed (for FULL: its stack has CTX_RESUME_STACK bytes
 * of writable room). */
	.globl	hal_host_resume
	.type	hal_host_resume, @function
hal_host_resume:
	movq	%rdi, %r12
	cmpb	$0, hal_host_use_fsgsbase(%rip)
	je	1f
	movq	CTX_FS(%r12), %rax
	wrfsbase %rax
	jmp	2f
1:	movl	$SYS_arch_prctl, %eax
	movl	$ARCH_SET_FS, %edi
	movq	CTX_FS(%r12), %rsi
	syscall
2:	movq	%r12, %rdi
	/* From here on no system call may happen: user mode's dispatch
	 * selector goes in before the user's registers. */
	movzbl	hal_host_user_selector(%rip), %eax
	movb	%al, hal_host_selector(%rip)
	cmpq	$CTX_KIND_CALL, CTX_KIND(%rdi)
	jne	.Lfull

	/* CALL: callee-saved registers, the return value, back to the caller.
	 * Caller-saved registers are cleared rather than left with kernel
	 * values. */
	ldmxcsr	CTX_MXCSR(%rdi)
	fldcw	CTX_FCW(%rdi)
	movq	CTX_RBX(%rdi), %rbx
	movq	CTX_RBP(%rdi), %rbp
	movq	CTX_R12(%rdi), %r12
	movq	CTX_R13(%rdi), %r13
	movq	CTX_R14(%rdi), %r14
	movq	CTX_R15(%rdi), %r15
	movq	CTX_RSP(%rdi), %rsp
	movq	CTX_RAX(%rdi), %rax
	movq	CTX_RIP(%rdi), %r11
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%edi, %edi
	jmp	*%r11

.Lfull:
	/* FPU/SSE state first: xrstor needs rax and rdx. */
	movq	CTX_FPSTATE(%rdi), %rcx
	cmpb	$0, hal_host_use_xsave(%rip)
	je	3f
	movl	$-1, %eax
	movl	$-1, %edx
	xrstor64 (%rcx)
	jmp	4f
3:	fxrstor64 (%rcx)
4:	/* Below the red zone of the user stack: [flags][rip], consumed by
	 * popfq and `ret $128`, which also steps back over the red zone. */
	movq	CTX_RSP(%rdi), %rax
	subq	$CTX_RESUME_STACK, %rax
	movq	CTX_RFLAGS(%rdi), %rcx
	movq	%rcx, (%rax)
	movq	CTX_RIP(%rdi), %rcx
	movq	%rcx, 8(%rax)
	movq	%rax, %rsp
	movq	CTX_RAX(%rdi), %rax
	movq	CTX_RBX(%rdi), %rbx
	movq	CTX_RCX(%rdi), %rcx
	movq	CTX_RDX(%rdi), %rdx
	movq	CTX_RSI(%rdi), %rsi
	movq	CTX_RBP(%rdi), %rbp
	movq	CTX_R8(%rdi), %r8
	movq	CTX_R9(%rdi), %r9
	movq	CTX_R10(%rdi), %r10
	movq	CTX_R11(%rdi), %r11
	movq	CTX_R12(%rdi), %r12
	movq	CTX_R13(%rdi), %r13
	movq	CTX_R14(%rdi), %r14
	movq	CTX_R15(%rdi), %r15
	movq	CTX_RDI(%rdi), %rdi
	popfq
	ret	$128
	.size	hal_host_resume, . - hal_host_resume

/* void hal_host_sig_entry(int sig, siginfo_t *info, void *ucontext)
 * Under valgrind the interrupted code's FPU registers are still live here
 * (the kernel's signal frame is not what valgrind gives us), so capture
 * them before any C code can touch them. */
	.globl	hal_host_sig_entry
	.type	hal_host_sig_entry, @function
hal_host_sig_entry:
	cmpb	$0, hal_host_fxsave_on_signal(%rip)
	je	1f
	fxsave64 hal_host_signal_fpu(%rip)
1:	jmp	hal_host_signal
	.size	hal_host_sig_entry, . - hal_host_sig_entry

/* The signal restorer, alone in its page: Syscall User Dispatch exempts
 * exactly this page, so returning from a handler works whatever the
 * selector says. */
	.section .text.hal_host_sigreturn, "ax", @progbits
	.balign	4096
	.globl	hal_host_sigreturn_page
hal_host_sigreturn_page:
	.globl	hal_host_sigreturn
	.type	hal_host_sigreturn, @function
hal_host_sigreturn:
	movl	$SYS_rt_sigreturn, %eax
	syscall
	ud2
	.size	hal_host_sigreturn, . - hal_host_sigreturn
	.balign	4096

	.section .note.GNU-stack, "", @progbits
