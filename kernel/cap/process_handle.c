/*
 * process_handle.c - ProcessHandle: a child process, held by whoever spawned
 * it (or was given the handle). wait answers with how the child ended, at
 * once or when it ends; kill ends it. The handle keeps the struct proc (not
 * the process) alive, so its exit status can be read after it has gone.
 */
#include "cap/kcaps.h"
#include "cap/process_handle.h"
#include "invoke.h"
#include "kalloc.h"
#include "kernel.h"
#include "kobj.h"
#include "proc.h"

struct process_handle {
	struct kobj obj;
	struct proc *child; /* a reference (proc_ref) */
};

static int handle_invoke(struct kobj *o, struct kinvoke *inv);
static void handle_destroy(struct kobj *o);

static const struct kobj_ops handle_ops = {
	.name = "ProcessHandle",
	.iface = CAPOS_PROCESS_HANDLE_INTERFACE_ID,
	.invoke = handle_invoke,
	.destroy = handle_destroy,
};

struct kobj *process_handle_create(struct proc *child)
{
	struct process_handle *h = kzalloc(sizeof(*h));
	if (!h)
		return NULL;
	kobj_init(&h->obj, &handle_ops);
	proc_ref(child);
	h->child = child;
	return &h->obj;
}

static void handle_destroy(struct kobj *o)
{
	struct process_handle *h = (struct process_handle *)o;
	proc_unref(h->child);
	kfree(h, sizeof(*h));
}

/* The ExitStatus of an ended process. */
static void build_status(struct capn_builder *b, void *arg)
{
	const struct proc *p = arg;
	capos_ProcessHandle_wait_Results_b r = capos_ProcessHandle_wait_Results_new_root(b);
	capos_ExitStatus_b st = capos_ProcessHandle_wait_Results_init_status(r);
	switch (p->end) {
	case PROC_END_EXIT:
		capos_ExitStatus_set_code(st, p->exit_code);
		break;
	case PROC_END_FAULT: {
		size_t n = 0;
		while (n < sizeof(p->fault) && p->fault[n])
			n++;
		capos_ExitStatus_set_fault(st, p->fault, n);
		break;
	}
	case PROC_END_KILLED:
		capos_ExitStatus_set_killed(st);
		break;
	}
}

void process_handle_proc_ended(struct proc *p)
{
	while (!list_empty(&p->waiters)) {
		struct kcall *kc = list_entry(p->waiters.next, struct kcall, obj_link);
		kcall_complete(kc, build_status, p, 0, NULL);
	}
}

static int handle_invoke(struct kobj *o, struct kinvoke *inv)
{
	struct proc *child = ((struct process_handle *)o)->child;
	switch (inv->method) {
	case CAPOS_PROCESS_HANDLE_METHOD_WAIT: {
		if (child->state == PROC_EXITED) {
			build_status(inv->results, child);
			return 0;
		}
		int err;
		struct kcall *kc = kcall_create(inv, NULL, &err);
		if (!kc)
			return err;
		list_push_back(&child->waiters, &kc->obj_link);
		return KINVOKE_PENDING;
	}
	case CAPOS_PROCESS_HANDLE_METHOD_KILL:
		if (child->state != PROC_EXITED) {
			klog("process %u (%s) killed by process %u (%s)", child->pid, child->name,
			     inv->caller->pid, inv->caller->name);
			proc_kill(child);
		}
		return 0;
	default:
		return KERR(NO_SUCH_METHOD);
	}
}
