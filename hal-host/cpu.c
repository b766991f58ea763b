/*
 * cpu.c - the simulated CPU: its state, the kernel stack, and the way back
 * to user mode.
 *
 * Every entry to the kernel (the gate, a signal from user code) ends in
 * host_enter_user with the context the kernel chose; the only way out of
 * host_run is the kernel saying the system has ended (a NULL context).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>

#include "ctx.h"
#include "hal.h"
#include "host.h"

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define KSTACK_BYTES (512u * 1024u)

/* ---- KNOWN TO ASSEMBLY (switch.S). One simulated CPU; these change only on
 * the CPU thread, in kernel mode (or as documented). ---- */

/* The context running in user mode, or last run (the gate saves into it). */
struct hal_ctx *hal_host_current;
/* The top of the kernel stack, which is also the signal stack. */
uint64_t hal_host_kstack_top;
/* The simulator's own FS base (glibc's thread pointer). */
uint64_t hal_host_kernel_fs;
/* The Syscall User Dispatch selector: 0 lets system calls through, 1 traps
 * them. Written on every switch between kernel and user mode. */
volatile uint8_t hal_host_selector;
/* The selector value user mode runs with (1 when confined). */
uint8_t hal_host_user_selector;
/* Switch FS with wrfsbase (else arch_prctl: valgrind cannot do FSGSBASE). */
uint8_t hal_host_use_fsgsbase;
/* Restore FULL contexts' FPU state with xrstor (else fxrstor). */
uint8_t hal_host_use_xsave;
/* Capture the FPU registers at signal entry (valgrind mode, see trap.c). */
uint8_t hal_host_fxsave_on_signal;
uint8_t hal_host_signal_fpu[512] __attribute__((aligned(64)));

/* The FS trap (see host_fs_trap_init). */
uint64_t host_fs_trap;
static uint64_t fs_trap_base;
#define FS_TRAP_BYTES (64ull << 20)

/* Where host_run returns to when the system has ended. */
static jmp_buf host_end;
struct host_options host_opts;
static void *kstack;

bool host_under_valgrind(void) { return RUNNING_ON_VALGRIND != 0; }

uint64_t host_read_fs(void)
{
	uint64_t fs;
	if (hal_host_use_fsgsbase)
		__asm__ volatile("rdfsbase %0" : "=r"(fs));
	else
		syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
	return fs;
}

/* Raw system call so that nothing on the way touches TLS through the wrong
 * FS (errno lives there). */
void host_write_fs(uint64_t fs)
{
	if (hal_host_use_fsgsbase) {
		__asm__ volatile("wrfsbase %0" ::"r"(fs) : "memory");
	} else {
		long ret;
		__asm__ volatile("syscall"
		                 : "=a"(ret)
		                 : "a"((long)SYS_arch_prctl), "D"((long)ARCH_SET_FS), "S"(fs)
		                 : "rcx", "r11", "memory");
		(void)ret;
	}
}

void host_restore_kernel_fs(void) { host_write_fs(hal_host_kernel_fs); }

/*
 * The FS trap. On the kernels these machines run, a thread's FS base set
 * with wrfsbase does not survive every host interrupt: Linux now and then
 * puts back the value it last saw through arch_prctl (measured: about a
 * hundred times a second under load). arch_prctl itself costs microseconds
 * here, far too much for every switch. So Linux's copy is parked, once, in
 * the middle of a large inaccessible region, and FS keeps being switched
 * with wrfsbase: after a revert the next TLS access faults inside the
 * region, and trap.c gives the interrupted code its FS back
 * (host_fs_trap_hit). Code that never touches TLS (the kernel, the switch
 * stubs) is not affected at all.
 */
static int host_fs_trap_init(char *err, size_t errlen)
{
	void *p = mmap(NULL, FS_TRAP_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "cannot reserve the FS trap: %s", strerror(errno));
		return -1;
	}
	fs_trap_base = (uint64_t)p;
	host_fs_trap = fs_trap_base + FS_TRAP_BYTES / 2;
	/* Park Linux's copy, then at once (no TLS access between) give glibc
	 * its FS back in the register. */
	long ret;
	__asm__ volatile("syscall\n\twrfsbase %[fs]"
	                 : "=a"(ret)
	                 : "a"((long)SYS_arch_prctl), "D"((long)ARCH_SET_FS), "S"(host_fs_trap),
	                   [fs] "r"(hal_host_kernel_fs)
	                 : "rcx", "r11", "memory");
	if (ret != 0) {
		snprintf(err, errlen, "arch_prctl(ARCH_SET_FS) failed");
		return -1;
	}
	return 0;
}

bool host_fs_trap_hit(uint64_t fs, uint64_t fault_addr)
{
	return fs_trap_base && fs == host_fs_trap && fault_addr - fs_trap_base < FS_TRAP_BYTES;
}

int host_init(const struct host_options *opts, char *err, size_t errlen)
{
	host_opts = *opts;
	if (host_under_valgrind() && (opts->confined || opts->seccomp)) {
		snprintf(err, errlen, "valgrind cannot run Syscall User Dispatch or seccomp: use --fast");
		return -1;
	}
	hal_host_use_fsgsbase = !host_under_valgrind();
	hal_host_fxsave_on_signal = host_under_valgrind();
	hal_host_use_xsave = !host_under_valgrind();
	hal_host_user_selector = opts->confined ? 1 : 0;
	hal_host_selector = 0;

	kstack = mmap(NULL, KSTACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (kstack == MAP_FAILED) {
		snprintf(err, errlen, "cannot map the kernel stack: %s", strerror(errno));
		return -1;
	}
	VALGRIND_STACK_REGISTER(kstack, (char *)kstack + KSTACK_BYTES);
	hal_host_kstack_top = (uint64_t)kstack + KSTACK_BYTES;
	hal_host_kernel_fs = host_read_fs();
	ctx_fpu_init();
	if (host_mem_init(err, errlen) || host_install_handlers(kstack, KSTACK_BYTES, err, errlen))
		return -1;
	/* Only once trap.c handles SIGSEGV: from here on a revert of FS faults
	 * into the handler instead of killing the simulator. */
	if (hal_host_use_fsgsbase && host_fs_trap_init(err, errlen))
		return -1;
	if (host_time_init(opts, err, errlen) || host_confine_init(opts, err, errlen))
		return -1;
	return 0;
}

_Noreturn void hal_host_resume(struct hal_ctx *ctx);
_Noreturn void hal_host_gate_c(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);

_Noreturn void host_enter_user(struct hal_ctx *ctx)
{
	for (;;) {
		if (!ctx)
			longjmp(host_end, 1);
		/* A FULL resume writes below the user's stack pointer; a context
		 * whose stack is not writable there cannot be resumed. */
		if (ctx->kind == CTX_KIND_FULL &&
		    (ctx->rsp < CTX_RESUME_STACK ||
		     !host_range_ok(ctx->as, ctx->rsp - CTX_RESUME_STACK, 16, HAL_PROT_WRITE))) {
			hal_host_current = ctx;
			struct hal_fault f = { .kind = HAL_FAULT_BAD_STATE, .ip = ctx->rip, .addr = ctx->rsp,
			                       .detail = "stack pointer outside writable memory" };
			ctx = kernel_trap_fault(&f);
			continue;
		}
		/* Its pages must have the protections the kernel gave them. */
		if (host_as_sync(ctx->as) != 0) {
			hal_host_current = ctx;
			struct hal_fault f = { .kind = HAL_FAULT_BAD_STATE, .ip = ctx->rip, .addr = 0,
			                       .detail = "the host refused to apply its memory protections" };
			ctx = kernel_trap_fault(&f);
			continue;
		}
		break;
	}
	hal_host_current = ctx;
	/* A FULL resume stores the flags and return address below the red zone
	 * of the user stack, memory memcheck considers dead: declare it. */
	if (ctx->kind == CTX_KIND_FULL)
		VALGRIND_MAKE_MEM_UNDEFINED((void *)(ctx->rsp - CTX_RESUME_STACK), 16);
	hal_host_resume(ctx);
}

/* The C half of the direct gate (switch.S saved the caller and switched to
 * the kernel stack and FS). */
_Noreturn void hal_host_gate_c(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	host_enter_user(kernel_trap_syscall(nr, a0, a1, a2));
}

void host_run(struct hal_ctx *first)
{
	if (setjmp(host_end) == 0)
		host_enter_user(first);
	/* The system has ended: back on the simulator's own stack and FS. */
	hal_host_selector = 0;
}

_Noreturn void hal_panic(void)
{
	fprintf(stderr, "capos-sim: kernel panic (see the console)\n");
	fflush(stdout);
	_exit(HOST_EXIT_PANIC);
}
