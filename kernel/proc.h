/*
 * proc.h - processes.
 *
 * A process is an address space, a user context, a capability table and a
 * ring. Its life: created (by boot or a spawn) RUNNABLE; RUNNING while the
 * CPU is its; BLOCKED in cap_enter until enough completions arrive or the
 * timeout passes; EXITED when it exits, is faulted or killed, at which point
 * everything it held has been released and its ledger must read zero.
 * The struct itself lives on while a ProcessHandle refers to it.
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <stdbool.h>
#include <stdint.h>

#include "cap_table.h"
#include "capos/abi/capset.h"
#include "lib/list.h"
#include "ring.h"
#include "timer.h"

enum proc_state {
	PROC_RUNNABLE = 1,
	PROC_RUNNING,
	PROC_BLOCKED,
	PROC_EXITED,
};

/* What a process currently holds, counted as it is acquired and released.
 * Every field must be zero once the process has exited (proc_check_ledger). */
struct proc_ledger {
	int64_t caps;        /* holds in its capability table */
	int64_t pages;       /* user pages mapped into its address space */
	int64_t ring_bytes;  /* its ring */
	int64_t calls;       /* its operations outstanding (kernel calls, IPC calls, RECVs) */
	int64_t frames;      /* physical frames from the FrameAllocator */
};

/* Limits (schema: Quota); 0 in the manifest means these defaults. */
#define PROC_DEFAULT_CAP_SLOTS 256u
#define PROC_DEFAULT_OUTSTANDING_CALLS 64u
/* The most a quota may ask for: a server's reply table has one slot per
 * outstanding call, and a reply id keeps the slot's index in 16 bits. */
#define PROC_MAX_OUTSTANDING_CALLS 4096u
#define PROC_DEFAULT_MEMORY_PAGES 16384u /* 64 MiB, pages and frames together */
#define PROC_DEFAULT_CHILDREN 64u
#define PROC_MAX_LIVE 512u                /* processes the kernel runs at once */
#define PROC_STACK_BYTES (256u * 1024u)
#define PROC_HEAP_BYTES (4u * 1024u * 1024u)

struct proc_quota {
	uint32_t cap_slots;
	uint32_t outstanding_calls;
	uint32_t memory_pages;
	uint32_t children;
};

enum proc_end {
	PROC_END_EXIT = 1,  /* exit(code) */
	PROC_END_FAULT,     /* faulted by the kernel; `fault` says why */
	PROC_END_KILLED,
};

struct proc {
	uint32_t pid;
	char name[CAPOS_CAPSET_NAME_MAX];
	enum proc_state state;
	struct hal_as *as;
	struct hal_ctx *ctx;
	struct cap_table caps;
	struct ring ring;
	struct proc_ledger ledger;
	struct proc_quota quota;

	/* BLOCKED in cap_enter: how many unread completions end the wait. */
	uint32_t wait_min;
	struct ktimer wait_timer;

	struct list_node run_link;    /* in the run queue while RUNNABLE */
	struct list_node all_link;    /* in the list of live processes */
	struct list_node calls;       /* its outstanding kernel calls (struct kcall) */

	enum proc_end end;
	int exit_code;
	char fault[96];
	uint32_t refs;                /* the process list and ProcessHandles */

	struct proc *parent;          /* who spawned it (NULL: boot, or the parent ended) */
	uint32_t live_children;       /* children spawned and not yet ended */
	struct list_node waiters;     /* ProcessHandle.wait calls waiting for its end */
	struct reply_slot *replies;   /* IPC calls received, not yet answered (cap/endpoint.c) */
	uint32_t nreplies;
	struct list_node vm_regions;  /* VirtualMemory mappings (cap/vm.c) */
	struct list_node frames;      /* FrameAllocator grants (cap/frames.c) */

	/* The CapSet page, filled by proc_grant until proc_start publishes it. */
	struct capos_capset *capset;
	uint64_t capset_uva;
	uint64_t capset_bytes;
	uint32_t capset_max;
};

/* What to run and what it starts with. */
struct proc_spec {
	const char *name;
	uint32_t name_len;
	const void *elf;              /* the binary (checked by elf_parse) */
	size_t elf_len;
	struct proc_quota quota;      /* zeros: defaults */
	uint32_t max_caps;            /* CapSet entries proc_grant may add */
	uint32_t argc;
	const char *const *argv;      /* argc strings of argv_len[i] bytes */
	const uint32_t *argv_len;
};

/* Create a process (not yet holding any capability and not yet runnable:
 * grant its caps with proc_grant, then proc_start it). */
int proc_create(const struct proc_spec *spec, struct proc **out);
/* Give p a hold on obj (taking the caller's reference on success) under
 * `name` in its CapSet. */
int proc_grant(struct proc *p, const char *name, uint32_t name_len, struct kobj *obj,
               const struct cap_hold_init *init, uint32_t *id);
/* Name an existing hold of p in its CapSet (for holds placed by a
 * transfer). */
int proc_capset_add(struct proc *p, const char *name, uint32_t name_len, uint32_t id);
/* Build its CapSet page and make it runnable. */
int proc_start(struct proc *p);

/* End p: release everything it holds, check its ledger, record why. */
void proc_exit(struct proc *p, int code);
void proc_fault(struct proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void proc_kill(struct proc *p);

void proc_ref(struct proc *p);
void proc_unref(struct proc *p);

/* Every live (not exited) process, in creation order. */
extern struct list_node proc_all;

/* For ledger checks and tests. */
size_t proc_live_count(void);

#endif /* KERNEL_PROC_H */
