/*
 * panic.c - the ways the machine stops, and the HAL's own messages.
 *
 * QEMU is started with an isa-debug-exit device at port 0xf4: writing v
 * there ends QEMU with exit status (v << 1) | 1. We write status + 1, so
 * QEMU's own failure status 1 never looks like init's exit code 0, and
 * tools/qemu-run.sh turns (rc - 3) / 2 back into the status: a run ends with
 * the same statuses as capos-sim. Without that device (a real machine) the
 * CPU halts for good instead.
 *
 * A panic (the kernel's kpanic, an exception in kernel mode, a broken HAL
 * invariant) prints the registers on the console (COM1) and exits with 121.
 */
#include <stdarg.h>

#include "ctx.h"
#include "fmt.h"
#include "hal.h"
#include "io.h"
#include "x86.h"

#define DEBUG_EXIT_PORT 0xf4
#define LINE_MAX 256

static void vprint(void (*out)(const char *, size_t), const char *prefix, const char *fmt, va_list ap)
{
	char line[LINE_MAX];
	size_t n = fmt_str(line, sizeof(line), "%s", prefix);
	n += fmt_vstr(line + n, sizeof(line) - n - 1, fmt, ap);
	line[n++] = '\n';
	out(line, n);
}

void x86_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(serial_write, "[x86] ", fmt, ap);
	va_end(ap);
}

void x86_debug(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(hal_debug_write, "[x86] ", fmt, ap);
	va_end(ap);
}

_Noreturn void x86_exit(int status)
{
	outl(DEBUG_EXIT_PORT, (uint32_t)status + 1);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* The user context that was running, if any: where user mode last was. */
static void dump_user_context(void)
{
	const struct hal_ctx *c = x86_current;
	if (!c)
		return;
	x86_log("last user context: rip %016llx rsp %016llx rflags %08llx (%s entry)", (unsigned long long)c->rip,
	        (unsigned long long)c->rsp, (unsigned long long)c->rflags,
	        c->kind == CTX_KIND_SYSCALL ? "syscall" : "interrupt");
}

static void dump_control_registers(void)
{
	x86_log("cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx", (unsigned long long)read_cr0(),
	        (unsigned long long)read_cr2(), (unsigned long long)read_cr3(), (unsigned long long)read_cr4());
}

_Noreturn void x86_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(serial_write, "[x86] FATAL: ", fmt, ap);
	va_end(ap);
	dump_control_registers();
	x86_exit(X86_EXIT_PANIC);
}

static const char *exception_name(uint64_t v)
{
	static const char *const names[32] = {
		"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
		"device not available", "double fault", "coprocessor overrun", "invalid TSS",
		"segment not present", "stack fault", "general protection fault", "page fault", "reserved",
		"x87 floating point", "alignment check", "machine check", "SIMD floating point",
		"virtualization", "control protection",
	};
	return v < 32 && names[v] ? names[v] : "exception";
}

_Noreturn void x86_kernel_fault(const struct x86_trap_frame *tf)
{
	x86_log("PANIC: %s (vector %llu, error 0x%llx) in %s mode", exception_name(tf->vector),
	        (unsigned long long)tf->vector, (unsigned long long)tf->error, (tf->cs & 3) ? "user" : "kernel");
	x86_log("rip %016llx cs %04llx rflags %08llx rsp %016llx ss %04llx", (unsigned long long)tf->rip,
	        (unsigned long long)tf->cs, (unsigned long long)tf->rflags, (unsigned long long)tf->rsp,
	        (unsigned long long)tf->ss);
	x86_log("rax %016llx rbx %016llx rcx %016llx rdx %016llx", (unsigned long long)tf->rax,
	        (unsigned long long)tf->rbx, (unsigned long long)tf->rcx, (unsigned long long)tf->rdx);
	x86_log("rsi %016llx rdi %016llx rbp %016llx r8  %016llx", (unsigned long long)tf->rsi,
	        (unsigned long long)tf->rdi, (unsigned long long)tf->rbp, (unsigned long long)tf->r8);
	x86_log("r9  %016llx r10 %016llx r11 %016llx r12 %016llx", (unsigned long long)tf->r9,
	        (unsigned long long)tf->r10, (unsigned long long)tf->r11, (unsigned long long)tf->r12);
	x86_log("r13 %016llx r14 %016llx r15 %016llx", (unsigned long long)tf->r13, (unsigned long long)tf->r14,
	        (unsigned long long)tf->r15);
	dump_control_registers();
	dump_user_context();
	x86_exit(X86_EXIT_PANIC);
}

_Noreturn void hal_panic(void)
{
	/* The kernel has said why; add where it was. */
	uint64_t rsp, rbp;
	__asm__ volatile("movq %%rsp, %0; movq %%rbp, %1" : "=r"(rsp), "=r"(rbp));
	x86_log("panic: called from %p, rsp %016llx rbp %016llx", __builtin_return_address(0),
	        (unsigned long long)rsp, (unsigned long long)rbp);
	dump_control_registers();
	dump_user_context();
	x86_exit(X86_EXIT_PANIC);
}
