/*
 * capos/capos.h - libcapos, the C runtime of capOS user programs.
 *
 * What a program gets: its capabilities by name (the CapSet), calls on them
 * through its ring, the two system calls, a heap, and typed clients for the
 * kernel's capabilities. No errno, no file descriptors: that is
 * libcapos-posix's job. Errors are negated ErrorCode values
 * (CAPOS_ERROR_CODE_*, schema/capos.capnp); capos_strerror names them.
 *
 * A program is a `main` linked with libcapos.a: see docs/user-programs.md.
 */
#ifndef CAPOS_CAPOS_H
#define CAPOS_CAPOS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capos/abi/capset.h"
#include "capos/abi/ring.h"
#include "capos/abi/syscall.h"
#include "capn.h"
#include "gen/capos.capnp.h"

typedef struct cap_ring cap_ring_t;
typedef uint32_t cap_id_t;
typedef uint64_t iface_id_t;

/* ------------------------------------------------------------ process */

/* The bootstrap page this process started with. */
const struct capos_capset *capos_capset(void);

/* Look up a granted capability by name: 0, or -notFound. */
int capset_get(const char *name, cap_id_t *out_cap, iface_id_t *out_iface);
/* Call cb for every granted capability, in grant order; returns how many. */
size_t capset_iter(void (*cb)(const char *name, cap_id_t cap, iface_id_t iface, void *ud), void *ud);

_Noreturn void sys_exit(int code);
/* Process queued submissions, then wait for min_complete unread completions
 * or timeout_ns (CAPOS_WAIT_FOREVER). Returns the unread count, or a negated
 * ErrorCode. */
int64_t sys_cap_enter(uint32_t min_complete, uint64_t timeout_ns);

/* ------------------------------------------------------------ calls */

cap_ring_t *capos_ring(void);

struct cap_call_args {
	cap_id_t cap;
	iface_id_t iface;            /* 0: the capability's own interface */
	uint16_t method;
	const void *params;          /* a framed message, or NULL for empty params */
	size_t params_len;
	const struct capos_xfer *xfer; /* capabilities passed along */
	uint32_t nxfer;
	void *result;                /* where the answer goes (header, caps, message) */
	size_t result_len;
	uint32_t timeout_us;         /* 0: no timeout */
};

struct cap_call_result {
	int status;                  /* 0, or a negated ErrorCode */
	bool exception;              /* the message is a CapException */
	const void *msg;             /* the answer's framed message, inside `result` */
	size_t msg_len;
	const uint32_t *caps;        /* capabilities that came with the answer */
	uint16_t ncaps;
};

/* Call and wait for the answer. Returns result->status. */
int cap_call_ex(cap_ring_t *ring, const struct cap_call_args *args, struct cap_call_result *result);

/* The seed's simple form: call `method` of cap's own interface. On success
 * *out_len is the length of the answer's message, which starts at
 * `result` (the header and capabilities are stripped). */
int cap_call(cap_ring_t *ring, cap_id_t cap, uint16_t method, const void *params, size_t plen,
             void *result, size_t rlen, size_t *out_len);

/* Ring primitives, for programs that batch or test the ring itself.
 * capos_ring_sqe returns the next free submission slot (zeroed) or NULL when
 * the queue is full; capos_ring_submit publishes the slots taken so far;
 * capos_ring_next_cqe takes the next completion (true) or says there is
 * none; capos_ring_wait waits for the completion of user_data, keeping any
 * other completions for later. */
struct capos_sqe *capos_ring_sqe(cap_ring_t *ring);
void capos_ring_submit(cap_ring_t *ring);
bool capos_ring_next_cqe(cap_ring_t *ring, struct capos_cqe *out);
int capos_ring_wait(cap_ring_t *ring, uint64_t user_data, struct capos_cqe *out);
uint64_t capos_ring_user_data(cap_ring_t *ring); /* a fresh user_data value */
struct capos_ring_header *capos_ring_header(cap_ring_t *ring);

/* Asynchronous calls: submit now, collect the completion later (e.g. to
 * wait for several children at once). cap_call_submit returns the
 * user_data the completion will carry; cap_call_finish turns that
 * completion into a result (the same as cap_call_ex's). */
int cap_call_submit(cap_ring_t *ring, const struct cap_call_args *args, uint64_t *user_data);
int cap_call_finish(const struct cap_call_args *args, const struct capos_cqe *cqe, struct cap_call_result *result);

/* Drop a capability (the ring's RELEASE). */
int cap_release(cap_id_t cap);

/* ------------------------------------------------------------ serving (IPC) */

/* A call received on an endpoint. msg and caps point into the caller's
 * receive buffer. */
struct capos_call {
	uint32_t call_id;     /* answer with capos_return(call_id, ...) */
	uint64_t badge;       /* the badge of the caller's capability */
	uint64_t iface;
	uint16_t method;
	const void *msg;      /* the parameters (a framed message) */
	size_t msg_len;
	const uint32_t *caps; /* capabilities that came with the call, now ours */
	uint16_t ncaps;
};

/* Wait for a call on the server side `endpoint` (an Endpoint capability). */
int capos_recv(cap_id_t endpoint, void *buf, size_t len, struct capos_call *call);
/* Answer a received call with results (and capabilities); waits for the
 * kernel's verdict: 0, or e.g. -cancelled if the caller has gone. */
int capos_return(uint32_t call_id, const void *msg, size_t len, const struct capos_xfer *xfer, uint32_t nxfer);
/* Answer with a CapException instead. */
int capos_return_exception(uint32_t call_id, int err, const char *text);
/* Answer one call and wait for the next in a single kernel entry (the
 * server loop's fast path). */
int capos_reply_recv(uint32_t call_id, const void *msg, size_t len, cap_id_t endpoint, void *buf,
                     size_t buflen, struct capos_call *call);

/* Build a message: capos_msg_begin gives a builder over `arena`; finish it
 * with capos_msg_end to get the framed bytes for cap_call. */
int capos_msg_end(struct capn_builder *b, const void **msg, size_t *len);
/* Read an answer's message (the result of cap_call_ex). */
int capos_msg_read(struct capn_reader *r, const void *msg, size_t len);
/* The text of a CapException answer, or "". */
capn_text capos_exception_text(const struct cap_call_result *res);

/* ------------------------------------------------------------ memory */

void *capos_malloc(size_t size);
void capos_free(void *p);
void *capos_calloc(size_t n, size_t size);
void *capos_realloc(void *p, size_t size);

/* ------------------------------------------------------------ typed clients */

int console_write(cap_id_t console, const char *s, size_t len);
int console_write_str(cap_id_t console, const char *s);
int console_write_line(cap_id_t console, const char *s);
int console_printf(cap_id_t console, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Read one line (without its newline) into buf (NUL-terminated); *eof once
 * input has ended. */
int console_read_line(cap_id_t console, char *buf, size_t cap, size_t *len, bool *eof);

int timer_now(cap_id_t timer, uint64_t *ns);
int timer_sleep(cap_id_t timer, uint64_t ns);

int null_nop(cap_id_t null);

/* Endpoint (server side): a new client capability carrying `badge`. */
int endpoint_mint(cap_id_t endpoint, uint64_t badge, cap_id_t *client);
/* EndpointFactory: a new endpoint serving `iface`; we hold its server side. */
int endpoint_create(cap_id_t factory, iface_id_t iface, cap_id_t *endpoint);

/* ProcessSpawner and ProcessHandle. */
struct capos_grant {
	const char *name;  /* the child's name for it */
	cap_id_t cap;      /* ours */
	uint8_t mode;      /* CAPOS_TRANSFER_MODE_COPY or _MOVE */
	uint8_t scope;     /* CAPOS_CAP_SCOPE_PROCESS or _SESSION */
};

struct capos_quota {
	uint32_t cap_slots, outstanding_calls, memory_pages, children; /* 0: default */
};

struct capos_exit {
	unsigned how;      /* CAPOS_EXIT_STATUS_WHICH_CODE, _FAULT or _KILLED */
	int code;          /* CODE: the exit code */
	char fault[128];   /* FAULT: why */
};

int process_spawn(cap_id_t spawner, const char *name, const char *binary, const struct capos_grant *grants,
                  uint32_t ngrants, const struct capos_quota *quota, cap_id_t *handle);
int process_start_service(cap_id_t spawner, const char *name, cap_id_t *handle);
/* Call cb with each service the manifest leaves for init; returns how many. */
int process_services(cap_id_t spawner, void (*cb)(const char *name, void *ud), void *ud);
int process_wait(cap_id_t handle, struct capos_exit *status);
int process_kill(cap_id_t handle);
/* Start a wait without blocking; finish it with process_wait_finish when the
 * completion carrying *user_data arrives. `answer` (>= 256 bytes) must stay
 * valid until then. */
int process_wait_submit(cap_id_t handle, void *answer, size_t len, uint64_t *user_data);
int process_wait_finish(const struct capos_cqe *cqe, void *answer, size_t len, struct capos_exit *status);

/* VirtualMemory and FrameAllocator. prot: HAL-style bits 1 read, 2 write, 4 exec. */
#define CAPOS_PROT_READ 1u
#define CAPOS_PROT_WRITE 2u
#define CAPOS_PROT_EXEC 4u
int vm_map(cap_id_t vm, uint64_t size, uint32_t prot, void **addr);
int vm_unmap(cap_id_t vm, void *addr, uint64_t size);
int vm_protect(cap_id_t vm, void *addr, uint64_t size, uint32_t prot);
int frame_alloc(cap_id_t frames, uint32_t count, uint64_t *base);
int frame_free(cap_id_t frames, uint64_t base, uint32_t count);

/* ------------------------------------------------------------ strings */

const char *capos_strerror(int err);
size_t capos_snprintf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
size_t capos_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);

/* Freestanding programs still get the compiler's favourite helpers. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif /* CAPOS_CAPOS_H */
