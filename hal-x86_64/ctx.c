/*
 * ctx.c - user contexts: creating them, saving an interrupted one, and the
 * way back to user mode that every kernel entry ends in.
 *
 * A context and its FPU area share one page (the area at a 64-byte aligned
 * offset after the registers), allocated from the frame allocator.
 */
#include "ctx.h"

#include <stddef.h>

#include "hal.h"
#include "io.h"
#include "x86.h"

_Static_assert(offsetof(struct hal_ctx, kind) == CTX_KIND, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rip) == CTX_RIP, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rsp) == CTX_RSP, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rflags) == CTX_RFLAGS, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rax) == CTX_RAX, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rbx) == CTX_RBX, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rcx) == CTX_RCX, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rdx) == CTX_RDX, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rsi) == CTX_RSI, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rdi) == CTX_RDI, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rbp) == CTX_RBP, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, r8) == CTX_R8, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, r9) == CTX_R9, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, r10) == CTX_R10, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, r11) == CTX_R11, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, r12) == CTX_R12, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, r13) == CTX_R13, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, r14) == CTX_R14, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, r15) == CTX_R15, "ctx layout");
_Static_assert(offsetof(struct x86_trap_frame, vector) == TF_VECTOR, "trap frame layout");
_Static_assert(offsetof(struct x86_trap_frame, rip) == TF_RIP, "trap frame layout");
_Static_assert(offsetof(struct x86_trap_frame, cs) == TF_CS, "trap frame layout");
_Static_assert(sizeof(struct x86_trap_frame) == TF_BYTES, "trap frame layout");

#define CTX_FPU_OFFSET 256u
_Static_assert(sizeof(struct hal_ctx) <= CTX_FPU_OFFSET, "context and FPU area share a page");

/* The flags user code may hold (CF PF AF ZF SF TF DF OF AC ID); IF is
 * always set, IOPL always 0. */
#define RFLAGS_USER 0x240dd5ull
#define RFLAGS_IF 0x200ull
#define RFLAGS_FIXED 0x2ull

struct hal_ctx *x86_current;

int hal_ctx_create(struct hal_as *as, uint64_t entry, uint64_t stack_top, uint64_t arg,
                   uint64_t thread_pointer, struct hal_ctx **out)
{
	uint64_t pa;
	if (CTX_FPU_OFFSET + fpu_area_bytes() > PAGE)
		x86_fatal("the FPU state (%u bytes) does not fit a context page", fpu_area_bytes());
	if (!frame_alloc(1, FRAME_HAL, &pa))
		return HAL_ERR(RESOURCE_EXHAUSTED);
	struct hal_ctx *ctx = phys_to_virt(pa);
	ctx->kind = CTX_KIND_FULL;
	ctx->rip = entry;
	ctx->rsp = stack_top - 8; /* as if called: the return address slot is at rsp */
	ctx->rdi = arg;
	ctx->rflags = RFLAGS_IF | RFLAGS_FIXED;
	ctx->fs_base = thread_pointer;
	ctx->as = as;
	ctx->fpstate = (uint8_t *)ctx + CTX_FPU_OFFSET;
	fpu_init_area(ctx->fpstate);
	*out = ctx;
	return 0;
}

void hal_ctx_destroy(struct hal_ctx *ctx)
{
	if (!ctx)
		return;
	fpu_forget(ctx);
	if (x86_current == ctx)
		x86_current = NULL;
	frame_free(virt_to_phys(ctx), 1, FRAME_HAL);
}

void hal_ctx_set_result(struct hal_ctx *ctx, int64_t value) { ctx->rax = (uint64_t)value; }

uint64_t hal_gate_address(struct hal_as *as)
{
	(void)as;
	return USER_GATE;
}

void ctx_save_frame(struct hal_ctx *ctx, const struct x86_trap_frame *tf)
{
	ctx->kind = CTX_KIND_FULL;
	ctx->rip = tf->rip;
	ctx->rsp = tf->rsp;
	ctx->rflags = tf->rflags;
	ctx->rax = tf->rax;
	ctx->rbx = tf->rbx;
	ctx->rcx = tf->rcx;
	ctx->rdx = tf->rdx;
	ctx->rsi = tf->rsi;
	ctx->rdi = tf->rdi;
	ctx->rbp = tf->rbp;
	ctx->r8 = tf->r8;
	ctx->r9 = tf->r9;
	ctx->r10 = tf->r10;
	ctx->r11 = tf->r11;
	ctx->r12 = tf->r12;
	ctx->r13 = tf->r13;
	ctx->r14 = tf->r14;
	ctx->r15 = tf->r15;
}

/* sysret and iret to a non-canonical or kernel address would fault in
 * kernel mode; such a context cannot be resumed at all. */
static bool resumable(const struct hal_ctx *ctx) { return ctx->rip < USER_TOP && ctx->rsp < USER_TOP; }

_Noreturn void x86_enter_user(struct hal_ctx *ctx)
{
	for (;;) {
		if (!ctx)
			x86_system_end();
		if (resumable(ctx))
			break;
		x86_current = ctx;
		struct hal_fault f = { .kind = HAL_FAULT_BAD_STATE, .ip = ctx->rip, .addr = ctx->rsp,
		                       .detail = "instruction or stack pointer outside user space" };
		ctx = kernel_trap_fault(&f);
	}
	x86_current = ctx;
	as_activate(ctx->as);
	wrmsr(MSR_FS_BASE, ctx->fs_base);
	fpu_switch(ctx);
	ctx->rflags = (ctx->rflags & RFLAGS_USER) | RFLAGS_IF | RFLAGS_FIXED;
	if (ctx->kind == CTX_KIND_SYSCALL)
		x86_resume_sysret(ctx);
	x86_resume_iret(ctx);
}
