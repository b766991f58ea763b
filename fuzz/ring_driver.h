/*
 * ring_driver.h - playing "user code" against a booted kernel on the fake
 * HAL: the fuzz input is a program of actions for whichever process the
 * kernel last resumed (docs/fuzzing.md, "The ring harness": its table of
 * actions).
 *
 * Processes cannot execute code under the fake HAL. The context a
 * kernel_trap_* (or kernel_boot) returns is "the process that runs now";
 * the driver finds out which one it is the way the process itself would,
 * from the CapSet page whose address the context carries (ctx->arg), and
 * then acts for it: writes SQEs into its ring (fields biased toward what it
 * really holds: its CapIds and their stale or forged neighbours, addresses
 * in its heap, ring, CapSet page, guard pages and nowhere), writes message
 * and transfer buffers (often valid messages built with the generated
 * builders), corrupts its ring header, calls cap_enter / exit / an unknown
 * system call, advances the clock and takes a timer interrupt, faults it,
 * feeds console input, or makes a HAL allocation fail.
 *
 * It reads completions the way a process would and learns from them: CapIds
 * delivered with answers, call ids from RECV, numbers from results (a
 * mapped address to unmap later). With `oracles` on, every answer from a
 * capability the manifest took from the kernel is checked: a well-formed
 * message of the length the completion says, or a CapException whose code
 * is the completion's error.
 */
#ifndef FUZZ_RING_DRIVER_H
#define FUZZ_RING_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"

struct hal_ctx;

struct rd_config {
	/* CapSet names of grants known to be kernel objects (the oracles
	 * check their answers); NULL-terminated, or NULL: no oracles. */
	const char *const *kernel_caps;
	/* Names worth trying in spawn / startService (NULL-terminated). */
	const char *const *binaries;
	const char *const *services;
};

/* Run the program `f` from the context kernel_boot returned until the input
 * is used up or the system ends (a trap returned NULL). Returns the context
 * last resumed (NULL: the system ended). The caller shuts the kernel down. */
struct hal_ctx *rd_run(struct fz *f, struct hal_ctx *ctx, const struct rd_config *cfg);

/* ------------------------------------------------------------ writing programs
 *
 * Encoders for hand-written seeds (fuzz/mkseeds.c): each appends the bytes
 * that rd_run decodes as the action it names. */

struct rd_prog {
	uint8_t *p;
	size_t len, cap;
};

enum rd_enter_mode { RD_NO_ENTER, RD_ENTER_POLL, RD_ENTER_WAIT_ALL, RD_ENTER_WAIT_1MS };

/* Templates of parameters rd_run can build (index for rd_sqe_call). */
enum rd_template {
	RD_T_CONSOLE_WRITE, RD_T_CONSOLE_WRITE_LINE, RD_T_CONSOLE_READ_LINE,
	RD_T_TIMER_NOW, RD_T_TIMER_SLEEP, RD_T_NULL_NOP,
	RD_T_SPAWN, RD_T_START_SERVICE, RD_T_SERVICES,
	RD_T_HANDLE_WAIT, RD_T_HANDLE_KILL,
	RD_T_MINT, RD_T_EP_CREATE,
	RD_T_ECHO, RD_T_PING, RD_T_SWAP,
	RD_T_VM_MAP, RD_T_VM_UNMAP, RD_T_VM_PROTECT,
	RD_T_FRAME_ALLOC, RD_T_FRAME_FREE,
	RD_T_COUNT
};

void rd_enc_byte(struct rd_prog *pr, uint8_t b);
/* "submit n SQEs": follow with n rd_sqe_* calls, then rd_enc_submit_end. */
void rd_enc_submit(struct rd_prog *pr, unsigned n);
void rd_enc_submit_end(struct rd_prog *pr, enum rd_enter_mode mode);
void rd_sqe_nop(struct rd_prog *pr);
/* CALL capset entry `cap_index` (its own interface), method `method`,
 * parameters from template t with `arg` (text, count, ns: what t takes),
 * answer into a fresh heap buffer of buf_len bytes (0: status only). */
void rd_sqe_call(struct rd_prog *pr, unsigned cap_index, uint16_t method, enum rd_template t,
                 const char *arg, uint64_t num, uint32_t buf_len);
void rd_sqe_release(struct rd_prog *pr, unsigned cap_index);
void rd_sqe_recv(struct rd_prog *pr, unsigned cap_index, uint32_t buf_len);
/* RETURN the call_index-th call id this process received, with empty
 * results (or, with `exception`, an exception message). */
void rd_sqe_return(struct rd_prog *pr, unsigned call_index, bool exception);
void rd_enc_enter(struct rd_prog *pr, uint32_t min, bool forever);
void rd_enc_consume(struct rd_prog *pr);
void rd_enc_timer(struct rd_prog *pr, unsigned sel); /* sel: see rd_run's TIMER */
void rd_enc_exit(struct rd_prog *pr, uint8_t code);
void rd_enc_console(struct rd_prog *pr, const char *text);
void rd_enc_header(struct rd_prog *pr, unsigned field, unsigned how);
void rd_enc_fault(struct rd_prog *pr, unsigned kind);
void rd_enc_bad_syscall(struct rd_prog *pr, uint8_t nr);

#endif /* FUZZ_RING_DRIVER_H */
