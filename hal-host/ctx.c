/*
 * ctx.c - creating user contexts and moving FPU state in and out of them.
 */
#include <cpuid.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/valgrind.h>

#include "ctx.h"
#include "hal.h"
#include "host.h"

_Static_assert(offsetof(struct hal_ctx, rip) == CTX_RIP, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rsp) == CTX_RSP, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rax) == CTX_RAX, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rbp) == CTX_RBP, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, r15) == CTX_R15, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, rflags) == CTX_RFLAGS, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, fs_base) == CTX_FS, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, fpstate) == CTX_FPSTATE, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, mxcsr) == CTX_MXCSR, "ctx layout");
_Static_assert(offsetof(struct hal_ctx, fcw) == CTX_FCW, "ctx layout");

/* The size of every context's FPU area, and the state a new context starts
 * with. Set once by ctx_fpu_init. */
uint32_t host_fpu_bytes;
static uint8_t *fpu_initial;

extern uint8_t hal_host_use_xsave;

/* The layout of the kernel's signal-frame FPU area that matters here:
 * FXSAVE's 512 bytes, whose last 48 (sw_reserved) say whether an XSAVE
 * extension follows and how long the whole area is. */
#define FP_XSTATE_MAGIC1 0x46505853u
#define FXSAVE_BYTES 512u
#define XSAVE_HEADER_BYTES 64u
#define FXSAVE_FCW 0
#define FXSAVE_MXCSR 24
#define SW_RESERVED 464

void ctx_fpu_init(void)
{
	unsigned a, b, c, d;
	host_fpu_bytes = FXSAVE_BYTES + XSAVE_HEADER_BYTES;
	if (hal_host_use_xsave && __get_cpuid_count(0xd, 0, &a, &b, &c, &d) && c > host_fpu_bytes)
		host_fpu_bytes = c; /* the largest area any enabled feature set needs */
	host_fpu_bytes = (host_fpu_bytes + 63u) & ~63u;
	/* A clean FPU: x87 control word 0x37f, MXCSR 0x1f80 (all exceptions
	 * masked), everything else in its initial state (XSTATE_BV = 0). */
	fpu_initial = aligned_alloc(64, host_fpu_bytes);
	memset(fpu_initial, 0, host_fpu_bytes);
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(fpu_initial + FXSAVE_FCW, &fcw, sizeof(fcw));
	memcpy(fpu_initial + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
}

void ctx_save_fpu_from_frame(struct hal_ctx *ctx, const void *fpregs)
{
	const uint8_t *f = fpregs;
	uint32_t magic, size = FXSAVE_BYTES;
	memcpy(&magic, f + SW_RESERVED, sizeof(magic));
	if (magic == FP_XSTATE_MAGIC1) {
		uint32_t xstate_size;
		/* struct _fpx_sw_bytes: magic1, extended_size, xfeatures (u64),
		 * then xstate_size at byte 16. */
		memcpy(&xstate_size, f + SW_RESERVED + 16, sizeof(xstate_size));
		size = xstate_size < host_fpu_bytes ? xstate_size : host_fpu_bytes;
		memcpy(ctx->fpstate, f, size);
	} else {
		/* Legacy frame: x87 and SSE only; mark them present for xrstor. */
		memcpy(ctx->fpstate, f, FXSAVE_BYTES);
		memset(ctx->fpstate + FXSAVE_BYTES, 0, XSAVE_HEADER_BYTES);
		ctx->fpstate[FXSAVE_BYTES] = 3;
	}
}

void ctx_save_fpu_fxsave(struct hal_ctx *ctx, const void *fxsave)
{
	memcpy(ctx->fpstate, fxsave, FXSAVE_BYTES);
}

int hal_ctx_create(struct hal_as *as, uint64_t entry, uint64_t stack_top, uint64_t arg,
                   uint64_t thread_pointer, struct hal_ctx **out)
{
	struct hal_ctx *ctx = calloc(1, sizeof(*ctx));
	uint8_t *fp = aligned_alloc(64, host_fpu_bytes);
	if (!ctx || !fp) {
		free(ctx);
		free(fp);
		return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
	}
	memcpy(fp, fpu_initial, host_fpu_bytes);
	ctx->kind = CTX_KIND_FULL;
	ctx->rip = entry;
	/* As if called: the return address slot (zero) is at the stack pointer. */
	ctx->rsp = stack_top - 8;
	ctx->rdi = arg;
	ctx->rflags = 0x202;
	ctx->fs_base = thread_pointer;
	ctx->fpstate = fp;
	ctx->mxcsr = 0x1f80;
	ctx->fcw = 0x37f;
	ctx->as = as;
	*out = ctx;
	return 0;
}

void hal_ctx_destroy(struct hal_ctx *ctx)
{
	if (!ctx)
		return;
	free(ctx->fpstate);
	free(ctx);
}

void hal_ctx_set_result(struct hal_ctx *ctx, int64_t value) { ctx->rax = (uint64_t)value; }

uint64_t hal_gate_address(struct hal_as *as)
{
	(void)as;
	return host_opts.gate == HOST_GATE_SYSCALL ? (uint64_t)hal_host_sys_gate : (uint64_t)hal_host_gate;
}
