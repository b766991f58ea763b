/*
 * entry.S - the ways into the kernel and back out to user mode.
 *
 * x86_syscall_entry   `syscall` (the gate): save the caller as a SYSCALL
 *                     context, switch to the kernel stack, call C.
 * x86_vec_N           one stub per interrupt vector: push a uniform frame
 *                     (error code 0 where the CPU pushes none) and go to
 *                     x86_trap_common, which saves every register and calls
 *                     x86_trap (trap.c). x86_trap returns only for an
 *                     interrupt taken in kernel mode (the idle wait) or one
 *                     user mode should not notice (an early timer).
 * x86_resume_sysret   back to a SYSCALL context.
 * x86_resume_iret     back to a FULL context.
 * x86_gate_stub       the code of the gate page (as.c copies it).
 *
 * The kernel stack is always empty when user code runs (the kernel runs to
 * completion), so every entry from user mode starts at its top: the TSS's
 * rsp0 for interrupts, x86_kstack_top for syscall. Context offsets are in
 * ctx.h.
 */
#include "ctx.h"
#include "layout.h"

	.text

	.globl	x86_syscall_entry
	.type	x86_syscall_entry, @function
x86_syscall_entry:
	/* rcx = return rip, r11 = rflags (IF, DF, AC... now clear: FMASK),
	 * rax = nr, rdi/rsi/rdx = a0..a2 (the gate moved them). rsp is still
	 * the user's; r8-r10 are caller-saved and free to use. */
	movq	x86_current(%rip), %r10
	movq	%rsp, CTX_RSP(%r10)
	movq	%rcx, CTX_RIP(%r10)
	movq	%r11, CTX_RFLAGS(%r10)
	movq	%rbx, CTX_RBX(%r10)
	movq	%rbp, CTX_RBP(%r10)
	movq	%r12, CTX_R12(%r10)
	movq	%r13, CTX_R13(%r10)
	movq	%r14, CTX_R14(%r10)
	movq	%r15, CTX_R15(%r10)
	movq	$CTX_KIND_SYSCALL, CTX_KIND(%r10)
	leaq	x86_kstack_top(%rip), %rsp
	xorl	%ebp, %ebp
	movq	%rdx, %rcx
	movq	%rsi, %rdx
	movq	%rdi, %rsi
	movq	%rax, %rdi
	call	x86_syscall_c		/* (nr, a0, a1, a2); never returns */
	ud2
	.size	x86_syscall_entry, . - x86_syscall_entry

/* Vectors whose exceptions push an error code: #DF #TS #NP #SS #GP #PF #AC
 * #CP #VC #SX. The others get a 0 pushed, so the frame is the same. */
	.altmacro
.macro VECTOR_STUB n
	.balign	16
x86_vec_\n:
	.if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushq	$0
	.endif
	pushq	$\n
	jmp	x86_trap_common
.endm

	.set	vec, 0
	.rept	256
	VECTOR_STUB %vec
	.set	vec, vec + 1
	.endr

x86_trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	/* Flags the C code relies on: DF clear, and AC clear, which user mode
	 * can set and an interrupt gate keeps (it would lift SMAP). IF is
	 * already clear. */
	pushq	$2
	popfq
	movq	%rsp, %rdi
	call	x86_trap
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* the vector and error code */
	iretq

/* _Noreturn void x86_resume_sysret(struct hal_ctx *ctx)
 * Callee-saved registers and the result; the caller-saved ones cleared so
 * no kernel value leaks. Interrupts stay off until sysret loads the user's
 * flags (an NMI in between runs on its own IST stack). */
	.globl	x86_resume_sysret
	.type	x86_resume_sysret, @function
x86_resume_sysret:
	movq	CTX_RBX(%rdi), %rbx
	movq	CTX_RBP(%rdi), %rbp
	movq	CTX_R12(%rdi), %r12
	movq	CTX_R13(%rdi), %r13
	movq	CTX_R14(%rdi), %r14
	movq	CTX_R15(%rdi), %r15
	movq	CTX_RAX(%rdi), %rax
	movq	CTX_RIP(%rdi), %rcx
	movq	CTX_RFLAGS(%rdi), %r11
	movq	CTX_RSP(%rdi), %rsp
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%edi, %edi
	sysretq
	.size	x86_resume_sysret, . - x86_resume_sysret

/* _Noreturn void x86_resume_iret(struct hal_ctx *ctx)
 * Every register, through an interrupt frame built on the (empty) kernel
 * stack. */
	.globl	x86_resume_iret
	.type	x86_resume_iret, @function
x86_resume_iret:
	leaq	x86_kstack_top(%rip), %rsp
	pushq	$SEL_USER_SS
	pushq	CTX_RSP(%rdi)
	pushq	CTX_RFLAGS(%rdi)
	pushq	$SEL_USER_CS
	pushq	CTX_RIP(%rdi)
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
	iretq
	.size	x86_resume_iret, . - x86_resume_iret

	.section .rodata
	.balign	8
	.globl	x86_vector_stubs
x86_vector_stubs:
.macro VECTOR_ADDR n
	.quad	x86_vec_\n
.endm
	.set	vec, 0
	.rept	256
	VECTOR_ADDR %vec
	.set	vec, vec + 1
	.endr

/* The gate: int64_t gate(nr, a0, a1, a2) in the System V registers, moved
 * to where x86_syscall_entry wants them (rax, rdi, rsi, rdx). The same code
 * as hal-host's hal_host_sys_gate. */
	.globl	x86_gate_stub
	.globl	x86_gate_stub_end
x86_gate_stub:
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	syscall
	ret
x86_gate_stub_end:

	.section .note.GNU-stack, "", @progbits
