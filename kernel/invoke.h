/*
 * invoke.h - calls on kernel objects.
 *
 * The ring decodes a CALL (capability, interface, method, parameters) into a
 * struct kinvoke and hands it to the object's invoke(). The object decodes
 * its parameters first and checks them, then acts ("decode, then invoke"),
 * and either
 *   - builds its results in inv->results and returns 0,
 *   - returns a negated ErrorCode (optionally with inv->exc_msg), which the
 *     caller receives as a CapException, or
 *   - calls kcall_create and returns KINVOKE_PENDING, completing the call
 *     later with kcall_complete (Timer.sleep, Console.readLine, ...).
 * Results may carry capabilities (inv->result_caps), installed in the
 * caller's table when the answer is delivered.
 */
#ifndef KERNEL_INVOKE_H
#define KERNEL_INVOKE_H

#include <stdint.h>

#include "capn.h"
#include "capos/abi/ring.h"
#include "cap_table.h"
#include "lib/list.h"
#include "timer.h"

struct proc;

#define KINVOKE_PENDING 1

/* A capability in a result: the object gives a reference, the kernel
 * installs it (or drops it if delivery fails). */
struct kresult_cap {
	struct kobj *obj;
	struct cap_hold_init init;
};

struct kinvoke {
	struct proc *caller;
	uint32_t cap;                 /* the CapId the call came through */
	struct cap_hold *hold;        /* ... and its hold (badge) */
	uint16_t method;
	struct capn_reader *params_msg;
	capn_struct_r params;         /* the parameters' root struct */
	struct capn_builder *results; /* build the results' root here */
	const char *exc_msg;          /* with an error: one line for the CapException */
	struct kresult_cap result_caps[CAPOS_MAX_XFER];
	uint32_t nresult_caps;
	/* Where the answer goes (used by kcall_create). */
	uint64_t user_data;
	uint64_t buf;
	uint32_t buf_len;
};

/* An operation of a process that completes later: a kernel-object call that
 * waits (Timer.sleep, Console.readLine, ProcessHandle.wait), an IPC call in
 * flight, a RECV waiting for a call. It sits on its caller's list (so the
 * caller's end cancels it) and counts against its outstanding-call quota;
 * objects keep it on their own queues through obj_link. IPC operations embed
 * it in a larger struct (kernel/cap/endpoint.c). */
struct kcall {
	struct list_node proc_link;   /* in caller->calls */
	struct list_node obj_link;    /* for the object's own queue */
	struct proc *caller;
	uint64_t user_data;
	uint64_t buf;
	uint32_t buf_len;
	uint32_t cap;
	uint16_t method;
	uint64_t iface;
	struct ktimer timer;
	/* The caller is going away: kcall_end has run; detach from the object
	 * and free the operation (or hand its memory to someone who still
	 * needs it). NULL: unlink obj_link and free a kcall_create'd kcall. */
	void (*cancel)(struct kcall *kc);
	uint64_t arg;                 /* for the object's use */
};

/* Begin a deferred call; NULL with -resourceExhausted when the caller's
 * outstanding-call quota is used up (return that error). */
struct kcall *kcall_create(struct kinvoke *inv, void (*cancel)(struct kcall *kc), int *err);

/* For operations embedding a kcall: check the quota and link `kc` (already
 * filled in: caller, user_data, buf, ...) into its caller's list. */
int kcall_begin(struct kcall *kc);
/* Unlink `kc` from its caller (list, ledger, timer); does not free it and
 * does not post a completion. */
void kcall_end(struct kcall *kc);

/* Finish a kcall_create'd call: `build` (may be NULL for empty results)
 * fills the results; or `err` < 0 raises a CapException with `msg`. Frees kc. */
void kcall_complete(struct kcall *kc, void (*build)(struct capn_builder *b, void *arg), void *arg,
                    int err, const char *msg);

/* The caller is ending: cancel every operation it has outstanding. */
void kcall_cancel_all(struct proc *p);

/* Deliver an answer (results or exception) to `p`'s buffer and post its
 * completion. `results` holds the results (err == 0), or is scratch the
 * exception is built in (err < 0). */
void invoke_deliver(struct proc *p, uint64_t user_data, uint64_t buf, uint32_t buf_len,
                    struct capn_builder *results, struct kresult_cap *caps, uint32_t ncaps,
                    int err, const char *msg);

/* The kernel's scratch space for building results. The kernel runs one call
 * at a time, to completion, so one arena serves every call. */
struct capn_builder *invoke_results_builder(void);

/* Trace a finished call when tracing is on. */
void invoke_trace(struct proc *p, uint32_t cap, uint64_t iface, uint16_t method, int result);

#endif /* KERNEL_INVOKE_H */
