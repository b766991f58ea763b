/*
 * fpu.c - user FPU/SSE/AVX state, switched only when another context needs
 * the FPU.
 *
 * The kernel is compiled with -mgeneral-regs-only and never touches these
 * registers, so a process's FPU state can stay in the CPU across kernel
 * entries: it is saved (XSAVE, or FXSAVE without it) only when a different
 * context is resumed, and that context's state is restored. A context that
 * entered through the gate gets back its whole FPU state, a superset of
 * what the calling convention promises (the control words).
 */
#include "ctx.h"
#include "io.h"
#include "x86.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_NE (1ull << 5)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)
#define XCR0_X87 1u
#define XCR0_SSE 2u
#define XCR0_AVX 4u
#define FXSAVE_BYTES 512u
#define FXSAVE_FCW 0
#define FXSAVE_MXCSR 24

/* Owned by the HAL; changed only in kernel mode. */
static struct {
	uint32_t area_bytes;
	struct hal_ctx *owner; /* whose state is in the CPU's registers, or NULL */
} fpu;

static void xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv" ::"c"(reg), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

void fpu_init(void)
{
	write_cr0((read_cr0() | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS));
	uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
	fpu.area_bytes = FXSAVE_BYTES;
	if (cpu_has.xsave) {
		write_cr4(cr4 | CR4_OSXSAVE);
		uint32_t r[4];
		cpuid(0xd, 0, r);
		/* x87, SSE and AVX when the CPU has it: what the user ABI can use.
		 * Larger state (AVX-512, AMX) stays disabled, so it faults. */
		xsetbv(0, (r[0] & (XCR0_X87 | XCR0_SSE | XCR0_AVX)) | XCR0_X87 | XCR0_SSE);
		cpuid(0xd, 0, r);
		fpu.area_bytes = r[1]; /* the size for the features now enabled */
	} else {
		write_cr4(cr4);
	}
	fpu.area_bytes = (fpu.area_bytes + 63u) & ~63u;
	fpu.owner = NULL;
}

uint32_t fpu_area_bytes(void) { return fpu.area_bytes; }

void fpu_init_area(uint8_t *area)
{
	/* x87 control word 0x37f and MXCSR 0x1f80 (all exceptions masked);
	 * with XSAVE, XSTATE_BV = 0 puts everything else in its initial state. */
	__builtin_memset(area, 0, fpu.area_bytes);
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	__builtin_memcpy(area + FXSAVE_FCW, &fcw, sizeof(fcw));
	__builtin_memcpy(area + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
}

static void save(uint8_t *area)
{
	if (cpu_has.xsave)
		__asm__ volatile("xsave64 (%0)" ::"r"(area), "a"(~0u), "d"(~0u) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

static void restore(const uint8_t *area)
{
	if (cpu_has.xsave)
		__asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"(~0u), "d"(~0u) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}

void fpu_switch(struct hal_ctx *ctx)
{
	if (fpu.owner == ctx)
		return;
	if (fpu.owner)
		save(fpu.owner->fpstate);
	restore(ctx->fpstate);
	fpu.owner = ctx;
}

void fpu_forget(struct hal_ctx *ctx)
{
	if (fpu.owner == ctx)
		fpu.owner = NULL;
}
