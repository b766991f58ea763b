/*
 * ctx.h - a user context in the host HAL: the saved registers of a capOS
 * process that is not running.
 *
 * Two kinds. A CALL context was saved by the direct gate: the process called
 * into the kernel like a function, so only what the System V ABI says a
 * callee preserves (rbx, rbp, r12-r15, rsp) plus the return address matters,
 * and resuming it is a plain register switch. A FULL context was saved from a
 * signal frame (timer preemption, a fault, the syscall gate) or is new: every
 * general register, the flags and the FPU/SSE state, restored in full.
 *
 * switch.S reads these fields by offset (KNOWN TO ASSEMBLY); the offsets are
 * pinned below and by _Static_assert in ctx.c.
 */
#ifndef HAL_HOST_CTX_H
#define HAL_HOST_CTX_H

#define CTX_KIND_CALL 1
#define CTX_KIND_FULL 2

#define CTX_KIND 0
#define CTX_RIP 8
#define CTX_RSP 16
#define CTX_RAX 24
#define CTX_RBX 32
#define CTX_RCX 40
#define CTX_RDX 48
#define CTX_RSI 56
#define CTX_RDI 64
#define CTX_RBP 72
#define CTX_R8 80
#define CTX_R9 88
#define CTX_R10 96
#define CTX_R11 104
#define CTX_R12 112
#define CTX_R13 120
#define CTX_R14 128
#define CTX_R15 136
#define CTX_RFLAGS 144
#define CTX_FS 152
#define CTX_FPSTATE 160
#define CTX_MXCSR 168
#define CTX_FCW 172

/* The user stack must have this much room below rsp for a FULL resume: it
 * skips the 128-byte red zone and writes the flags and return address. */
#define CTX_RESUME_STACK 144

#ifndef __ASSEMBLER__
#include <stdint.h>

struct hal_as;

struct hal_ctx {
	uint64_t kind;     /*   0 */
	uint64_t rip;      /*   8 */
	uint64_t rsp;      /*  16 */
	uint64_t rax;      /*  24  also the gate call's return value */
	uint64_t rbx;      /*  32 */
	uint64_t rcx;      /*  40 */
	uint64_t rdx;      /*  48 */
	uint64_t rsi;      /*  56 */
	uint64_t rdi;      /*  64 */
	uint64_t rbp;      /*  72 */
	uint64_t r8;       /*  80 */
	uint64_t r9;       /*  88 */
	uint64_t r10;      /*  96 */
	uint64_t r11;      /* 104 */
	uint64_t r12;      /* 112 */
	uint64_t r13;      /* 120 */
	uint64_t r14;      /* 128 */
	uint64_t r15;      /* 136 */
	uint64_t rflags;   /* 144 */
	uint64_t fs_base;  /* 152 */
	uint8_t *fpstate;  /* 160  XSAVE (or FXSAVE) area, 64-byte aligned */
	uint32_t mxcsr;    /* 168  CALL: the SSE control/status word (callee-saved control bits) */
	uint16_t fcw;      /* 172  CALL: the x87 control word (callee-saved) */
	struct hal_as *as;
};

/* The two gates user code calls into the kernel through (switch.S). */
int64_t hal_host_gate(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
int64_t hal_host_sys_gate(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);

/* The size of a context's FPU area (set up by ctx_fpu_init). */
extern uint32_t host_fpu_bytes;
void ctx_fpu_init(void);
/* Copy the FPU state a signal frame saved into ctx (the kernel's frame
 * layout: FXSAVE, extended by XSAVE when the magic says so). */
void ctx_save_fpu_from_frame(struct hal_ctx *ctx, const void *fpregs);
/* The same from a raw FXSAVE image (valgrind mode, see trap.c). */
void ctx_save_fpu_fxsave(struct hal_ctx *ctx, const void *fxsave);
#endif

#endif /* HAL_HOST_CTX_H */
