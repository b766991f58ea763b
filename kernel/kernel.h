/*
 * kernel.h - what a hardware layer's boot code (and a test harness) uses to
 * start, run and stop the portable kernel, plus the kernel-wide helpers
 * every kernel file uses (errors, logging, panic).
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen/capos.capnp.h"
#include "hal.h"

/* How the kernel was asked to run; filled in by the hardware layer's boot
 * code (capos-sim's options, or fixed values on hardware). */
struct kernel_config {
	bool trace;              /* one debug line per capability call */
	uint64_t time_slice_ns;  /* round-robin slice; 0: the default (10 ms) */
	bool check_ledger;       /* at shutdown, prove every resource came back (default on) */
};

/* Why the system ended (kernel_exit_status). */
enum kernel_exit_kind {
	KERNEL_EXIT_INIT = 1,    /* init exited; `code` is its exit code */
	KERNEL_EXIT_INIT_FAULT,  /* init was faulted */
	KERNEL_EXIT_BAD_MANIFEST,
	KERNEL_EXIT_DEADLOCK,    /* every process waits for something that cannot happen */
	KERNEL_EXIT_PANIC,
	KERNEL_EXIT_NO_MEMORY,   /* boot could not create init */
};

struct kernel_exit {
	enum kernel_exit_kind kind;
	int code;
};

/* Validate `manifest` and create its boot services. Returns the context to
 * run first, or NULL if the system could not start (kernel_exit_status
 * says why). The manifest bytes must stay valid while the kernel runs. */
struct hal_ctx *kernel_boot(const void *manifest, size_t len, const struct kernel_config *config);

/* How the system ended, once a kernel_trap_* returned NULL. */
struct kernel_exit kernel_exit_status(void);

/* Release everything the kernel still holds (processes, objects, memory) so
 * that a harness can boot again in the same host process. Returns the number
 * of kernel allocations that were not returned (0 when the ledger balances). */
size_t kernel_shutdown(void);

/* A negated ErrorCode, the form every kernel function returns. */
#define KERR(name) (-(int)CAPOS_ERROR_CODE_##name)

/* A line on the console, prefixed "[kernel] ". */
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line on the debug channel (traces). */
void kdebug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A broken kernel invariant: report it and end the system. */
_Noreturn void kpanic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Checked invariants that stay on in every build (cheap, and a kernel that
 * limps on after one is worse than one that stops). */
#define KASSERT(cond)                                                          \
	do {                                                                   \
		if (!(cond))                                                   \
			kpanic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
	} while (0)

#endif /* KERNEL_KERNEL_H */
