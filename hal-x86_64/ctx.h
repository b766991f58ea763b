/*
 * ctx.h - a user context on x86_64: the saved registers of a capOS process
 * that is not running, and the interrupt frame they are saved from.
 *
 * Two kinds, as in hal-host. A SYSCALL context entered the kernel through
 * the gate (a `syscall` inside a function call), so only what the System V
 * ABI says a callee preserves (rbx, rbp, r12-r15, rsp) plus the return value
 * matters: it is resumed with sysretq, the other caller-saved registers
 * cleared. A FULL context was interrupted (timer, device, fault) or is new:
 * every general register and the flags, resumed with iretq.
 *
 * FPU/SSE state is not in either: it stays in the CPU until another context
 * needs the CPU's FPU (fpu.c), then it is saved with XSAVE (or FXSAVE) into
 * `fpstate`. The kernel never touches FPU registers (-mgeneral-regs-only).
 *
 * entry.S reads these fields by offset (KNOWN TO ASSEMBLY); ctx.c pins them
 * with _Static_assert.
 */
#ifndef HAL_X86_64_CTX_H
#define HAL_X86_64_CTX_H

#define CTX_KIND_SYSCALL 1
#define CTX_KIND_FULL 2

#define CTX_KIND 0
#define CTX_RIP 8
#define CTX_RSP 16
#define CTX_RFLAGS 24
#define CTX_RAX 32
#define CTX_RBX 40
#define CTX_RCX 48
#define CTX_RDX 56
#define CTX_RSI 64
#define CTX_RDI 72
#define CTX_RBP 80
#define CTX_R8 88
#define CTX_R9 96
#define CTX_R10 104
#define CTX_R11 112
#define CTX_R12 120
#define CTX_R13 128
#define CTX_R14 136
#define CTX_R15 144

/* The trap frame entry.S builds on the kernel stack: general registers
 * (pushed rax first, so r15 is lowest), the vector and error code, then what
 * the CPU pushed. */
#define TF_VECTOR 120
#define TF_RIP 136
#define TF_CS 144
#define TF_BYTES 176

#ifndef __ASSEMBLER__
#include <stdint.h>

struct hal_as;

struct hal_ctx {
	uint64_t kind;     /*   0 */
	uint64_t rip;      /*   8 */
	uint64_t rsp;      /*  16 */
	uint64_t rflags;   /*  24 */
	uint64_t rax;      /*  32  also the gate call's return value */
	uint64_t rbx;      /*  40 */
	uint64_t rcx;      /*  48 */
	uint64_t rdx;      /*  56 */
	uint64_t rsi;      /*  64 */
	uint64_t rdi;      /*  72 */
	uint64_t rbp;      /*  80 */
	uint64_t r8;       /*  88 */
	uint64_t r9;       /*  96 */
	uint64_t r10;      /* 104 */
	uint64_t r11;      /* 112 */
	uint64_t r12;      /* 120 */
	uint64_t r13;      /* 128 */
	uint64_t r14;      /* 136 */
	uint64_t r15;      /* 144 */
	uint64_t fs_base;  /* the TLS thread pointer (user code cannot change it: no FSGSBASE) */
	struct hal_as *as;
	uint8_t *fpstate;  /* XSAVE/FXSAVE area, 64-byte aligned, in the same page */
};

struct x86_trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* The context running in user mode, or the one that last ran (entry.S saves
 * into it on `syscall`). One CPU; changed only in kernel mode. */
extern struct hal_ctx *x86_current;

/* Leave the kernel for `ctx` (NULL: the system has ended). Never returns. */
_Noreturn void x86_enter_user(struct hal_ctx *ctx);
/* entry.S: the two ways back to user mode, on a fresh kernel stack. */
_Noreturn void x86_resume_sysret(struct hal_ctx *ctx);
_Noreturn void x86_resume_iret(struct hal_ctx *ctx);
/* Copy an interrupt frame from user mode into ctx (kind FULL). */
void ctx_save_frame(struct hal_ctx *ctx, const struct x86_trap_frame *tf);
#endif

#endif /* HAL_X86_64_CTX_H */
