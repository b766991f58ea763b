/*
 * hal.h - the interface between the portable kernel and a hardware layer.
 *
 * This is the only header under kernel/ that a hardware layer implements,
 * and the only way the kernel reaches hardware. Each function below is
 * defined exactly once per hardware layer: hal-host/ (inside one Linux
 * process) and hal-x86_64/ (a real machine). The last section lists the
 * kernel's entry points, which the hardware layer calls on a trap.
 *
 * Conventions: functions that can fail return 0 or a negated capOS
 * ErrorCode (schema/capos.capnp); sizes and user addresses are bytes;
 * times are nanoseconds on the monotonic clock.
 */
#ifndef KERNEL_HAL_H
#define KERNEL_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HAL_PAGE_SIZE 4096u

/* Memory protections; the same bits as ELF_PROT_* and VirtualMemory's prot. */
#define HAL_PROT_READ 1u
#define HAL_PROT_WRITE 2u
#define HAL_PROT_EXEC 4u

/* ------------------------------------------------------------ kernel memory */

/* `pages` zeroed pages for the kernel's own use, or NULL when memory is
 * exhausted. Never visible to user code. */
void *hal_page_alloc(size_t pages);
void hal_page_free(void *p, size_t pages);

/* ------------------------------------------------------------ physical frames */

/* `count` contiguous physical frames for the FrameAllocator capability, at
 * physical address *base; -resourceExhausted when there are none. In the
 * simulator the addresses are accounted but name no memory a process can
 * reach (docs/host-hal.md). */
int hal_frame_alloc(uint32_t count, uint64_t *base);
void hal_frame_free(uint64_t base, uint32_t count);

/* ------------------------------------------------------------ address spaces */

struct hal_as;

int hal_as_create(struct hal_as **out);
/* Unmap and free everything still mapped; returns how many pages that was
 * (the kernel checks it against its own count). */
size_t hal_as_destroy(struct hal_as *as);

/* Map `size` bytes (a multiple of HAL_PAGE_SIZE) of zeroed memory with
 * `prot`, at an address the hardware layer chooses, into *uva. */
int hal_as_map(struct hal_as *as, uint64_t size, uint32_t prot, uint64_t *uva);
/* The same, and also give the kernel a pointer through which it reads and
 * writes those bytes for as long as they stay mapped (rings, CapSet pages). */
int hal_as_map_shared(struct hal_as *as, uint64_t size, uint32_t prot, uint64_t *uva, void **kva);
/* Change the protection of, or unmap, whole pages previously mapped. */
int hal_as_protect(struct hal_as *as, uint64_t uva, uint64_t size, uint32_t prot);
int hal_as_unmap(struct hal_as *as, uint64_t uva, uint64_t size);

/* Copy between kernel memory and `as`. They fail with -badAddress, copying
 * nothing, unless the whole user range is mapped readable (copy_from) or
 * writable (copy_to). hal_as_write ignores the user protection (the loader
 * fills read-only and executable segments with it) but not the mapping. */
int hal_copy_from_user(struct hal_as *as, void *dst, uint64_t src, size_t len);
int hal_copy_to_user(struct hal_as *as, uint64_t dst, const void *src, size_t len);
int hal_as_write(struct hal_as *as, uint64_t dst, const void *src, size_t len);

/* ------------------------------------------------------------ user contexts */

struct hal_ctx;

/* A context that starts at `entry` with stack pointer `stack_top` (16-byte
 * aligned; the entry sees it as if called), `arg` in the first argument
 * register and `thread_pointer` as its TLS base (FS). */
int hal_ctx_create(struct hal_as *as, uint64_t entry, uint64_t stack_top, uint64_t arg,
                   uint64_t thread_pointer, struct hal_ctx **out);
void hal_ctx_destroy(struct hal_ctx *ctx);
/* The value the context's pending gate call returns when it is resumed. */
void hal_ctx_set_result(struct hal_ctx *ctx, int64_t value);
/* The address user code calls to enter the kernel (CapSet `gate`). */
uint64_t hal_gate_address(struct hal_as *as);

/* ------------------------------------------------------------ time */

uint64_t hal_now_ns(void);
/* Arrange for kernel_trap_timer (if user code is running) no earlier than
 * `deadline`; replaces any earlier request. UINT64_MAX cancels. */
void hal_timer_arm(uint64_t deadline);
/* With nothing to run: wait until `deadline`, console input, or another
 * device event, whichever is first. May return early. */
void hal_idle(uint64_t deadline);

/* ------------------------------------------------------------ console */

/* The system console (the transcript tests read). */
void hal_console_write(const char *s, size_t len);
/* Non-blocking: up to len bytes of console input, 0 if none yet. */
size_t hal_console_read(char *buf, size_t len);
/* True once console input has ended (no more will ever come). */
bool hal_console_eof(void);
/* A side channel for traces and debugging; not part of the transcript. */
void hal_debug_write(const char *s, size_t len);

/* ------------------------------------------------------------ stopping */

/* The kernel has printed why it cannot go on: add what the hardware layer
 * knows (registers, where it was) and stop the system for good. */
_Noreturn void hal_panic(void);

/* ------------------------------------------------------------ entered by the HAL */

enum hal_fault_kind {
	HAL_FAULT_MEMORY = 1,     /* bad access; `addr` says where */
	HAL_FAULT_ILLEGAL,        /* illegal or privileged instruction */
	HAL_FAULT_ARITHMETIC,     /* divide error and friends */
	HAL_FAULT_BREAKPOINT,     /* int3, single step */
	HAL_FAULT_HOST_SYSCALL,   /* simulator only: user code made a Linux system call */
	HAL_FAULT_BAD_STATE,      /* its saved state cannot be resumed (e.g. a wild stack pointer) */
};

struct hal_fault {
	enum hal_fault_kind kind;
	uint64_t ip;          /* where it happened */
	uint64_t addr;        /* MEMORY: the address */
	uint64_t number;      /* HOST_SYSCALL: the Linux system call number */
	const char *detail;   /* HOST_SYSCALL: its name; otherwise a short description, or NULL */
};

/* Implemented by the kernel. The hardware layer has saved the interrupted
 * user state into the context it last resumed; each call returns the
 * context to resume next, or NULL when the system has ended
 * (kernel_exit_status then gives the status). */
struct hal_ctx *kernel_trap_syscall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
struct hal_ctx *kernel_trap_timer(void);
struct hal_ctx *kernel_trap_fault(const struct hal_fault *fault);

#endif /* KERNEL_HAL_H */
