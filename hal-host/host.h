/*
 * host.h - the host HAL as the simulator (sim/) sees it, and the pieces the
 * host HAL's own files share. The kernel sees only kernel/hal.h.
 *
 * The host HAL turns one Linux thread into the capOS CPU. User code runs in
 * memory carved from one reserved arena, so "was user code interrupted?" is a
 * range check on the interrupted instruction pointer. See docs/host-hal.md.
 */
#ifndef HAL_HOST_HOST_H
#define HAL_HOST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen/capos.capnp.h" /* the ErrorCode values hal.h functions return */

struct hal_ctx;
struct hal_as;

enum host_gate {
	HOST_GATE_DIRECT,  /* user code calls into the HAL (no trap) */
	HOST_GATE_SYSCALL, /* user code executes `syscall`, trapped by Syscall User Dispatch */
};

struct host_options {
	bool confined;      /* arm Syscall User Dispatch for user code */
	enum host_gate gate;
	bool seccomp;       /* confine the whole simulator to an allowlist */
	bool deterministic; /* virtual clock */
	double timeout_s;   /* end the run after this long (0: never) */
};

/* Exit statuses of capos-sim besides init's own (docs/host-hal.md). */
#define HOST_EXIT_USAGE 2
#define HOST_EXIT_BAD_MANIFEST 120
#define HOST_EXIT_PANIC 121
#define HOST_EXIT_TIMEOUT 122
#define HOST_EXIT_DEADLOCK 123
#define HOST_EXIT_INIT_FAULT 124
#define HOST_EXIT_INTERNAL 125

/* Set up the simulated CPU. Returns 0, or -1 with a message in err. */
int host_init(const struct host_options *opts, char *err, size_t errlen);
/* Confine the simulator itself (after everything that needs other system
 * calls has run). Returns 0, or -1 with a message in err. */
int host_confine(char *err, size_t errlen);
/* Run user contexts from `first` until the kernel says the system ended. */
void host_run(struct hal_ctx *first);
/* Whether we run under valgrind (which cannot do FSGSBASE, SUD or seccomp). */
bool host_under_valgrind(void);

/* ---- shared by the host HAL's files ---- */

/* Is `ip` inside the user arena (user code)? */
bool host_in_user_arena(uint64_t ip);
/* Is [addr, addr+len) mapped in `as` with all of `prot`? */
bool host_range_ok(struct hal_as *as, uint64_t addr, uint64_t len, uint32_t prot);
int host_mem_init(char *err, size_t errlen);
/* Bring the host protections of `as` up to what the kernel last asked for
 * (mem.c applies them lazily); called before user code of `as` runs.
 * Returns 0, or -1 when Linux refused an mprotect. */
int host_as_sync(struct hal_as *as);
int host_time_init(const struct host_options *opts, char *err, size_t errlen);
void host_time_kernel_mode_tick(void);
int host_confine_init(const struct host_options *opts, char *err, size_t errlen);
/* Route every signal the CPU takes to trap.c, on `stack` (the kernel stack). */
int host_install_handlers(void *stack, size_t size, char *err, size_t errlen);
const char *host_syscall_name(long nr);
_Noreturn void host_enter_user(struct hal_ctx *ctx);
/* Set the simulator's own FS base again (after user code ran). */
void host_restore_kernel_fs(void);
uint64_t host_read_fs(void);
void host_write_fs(uint64_t fs);
/* Did a TLS access fault because Linux put back its stale copy of FS
 * (cpu.c, "the FS trap")? `fs` is the FS base at the fault. */
bool host_fs_trap_hit(uint64_t fs, uint64_t fault_addr);

/* The options the simulator started with (set by host_init). */
extern struct host_options host_opts;

#endif /* HAL_HOST_HOST_H */
