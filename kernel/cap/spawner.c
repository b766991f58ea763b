/*
 * spawner.c - ProcessSpawner: starting processes from the manifest's
 * binaries with exactly the capabilities the caller grants them.
 *
 * spawn decodes and checks the whole request before creating anything: the
 * child's name, the binary, every grant (a name not used twice, a CapId the
 * caller holds, a mode its hold policy allows), the quotas and the process
 * table. Only then is the process created; the grants are moved or copied
 * in one all-or-nothing transfer, and the caller gets a ProcessHandle. A
 * refused request changes nothing: the caller loses no capability.
 */
#include "boot.h"
#include "cap/kcaps.h"
#include "cap/process_handle.h"
#include "invoke.h"
#include "kernel.h"
#include "kobj.h"
#include "manifest.h"
#include "proc.h"
#include "transfer.h"

/* A spawn request, decoded. */
struct spawn_request {
	capn_text name;
	capn_data image;
	struct proc_quota quota;
	uint32_t ngrants;
	capn_text grant_names[CAPOS_MAX_XFER];
	struct transfer_plan plan;
};

static int fail(struct kinvoke *inv, int err, const char *why)
{
	inv->exc_msg = why;
	return err;
}

static int decode_grants(struct kinvoke *inv, capos_CapGrant_list_r grants, struct spawn_request *rq)
{
	uint32_t n = capos_CapGrant_list_len(grants);
	if (n > CAPOS_MAX_XFER)
		return fail(inv, KERR(TOO_LARGE), "more than 32 grants");
	rq->ngrants = rq->plan.n = n;
	for (uint32_t i = 0; i < n; i++) {
		capos_CapGrant_r g = capos_CapGrant_list_get(grants, i);
		capn_text name = capos_CapGrant_get_name(g);
		unsigned mode = capos_CapGrant_get_mode(g), scope = capos_CapGrant_get_scope(g);
		if (manifest_check_name(name))
			return fail(inv, KERR(INVALID_ARGUMENT), "bad grant name");
		for (uint32_t j = 0; j < i; j++)
			if (manifest_text_eq(name, rq->grant_names[j]))
				return fail(inv, KERR(ALREADY_EXISTS), "two grants with one name");
		if (mode > CAPOS_TRANSFER_MODE_MOVE || scope > CAPOS_CAP_SCOPE_SESSION)
			return fail(inv, KERR(INVALID_ARGUMENT), "unknown transfer mode or scope");
		rq->grant_names[i] = name;
		rq->plan.items[i] = (struct transfer_item){
			.cap = capos_CapGrant_get_cap(g),
			.mode = mode == CAPOS_TRANSFER_MODE_MOVE ? CAPOS_XFER_MOVE : CAPOS_XFER_COPY,
			.scope = (uint8_t)scope,
			.grantor = inv->caller->pid,
		};
	}
	return 0;
}

static int decode_spawn(struct kinvoke *inv, struct spawn_request *rq)
{
	capos_ProcessSpawner_spawn_Params_r prm = { inv->params };
	rq->name = capos_ProcessSpawner_spawn_Params_get_name(prm);
	capn_text binary = capos_ProcessSpawner_spawn_Params_get_binary(prm);
	capos_Quota_r q = capos_ProcessSpawner_spawn_Params_get_quota(prm);
	rq->quota = (struct proc_quota){ capos_Quota_get_capSlots(q), capos_Quota_get_outstandingCalls(q),
	                                 capos_Quota_get_memoryPages(q), capos_Quota_get_children(q) };
	int err = decode_grants(inv, capos_ProcessSpawner_spawn_Params_get_grants(prm), rq);
	if (capn_reader_error(inv->params_msg))
		return KERR(BAD_MESSAGE);
	if (err)
		return err;
	if (manifest_check_name(rq->name))
		return fail(inv, KERR(INVALID_ARGUMENT), "bad process name");
	rq->image = boot_binary(binary);
	if (!rq->image.len)
		return fail(inv, KERR(NOT_FOUND), "no such binary in the manifest");
	return 0;
}

/* A child's quota: what was asked (0: the default), never more than the
 * parent's own, so a process cannot hand out more than it was given. */
static uint32_t child_limit(uint32_t asked, uint32_t dflt, uint32_t parent)
{
	uint32_t q = asked ? asked : dflt;
	return q < parent ? q : parent;
}

static void clamp_quota(struct proc *parent, struct proc_quota *q)
{
	q->cap_slots = child_limit(q->cap_slots, PROC_DEFAULT_CAP_SLOTS, parent->quota.cap_slots);
	q->outstanding_calls = child_limit(q->outstanding_calls, PROC_DEFAULT_OUTSTANDING_CALLS,
	                                   parent->quota.outstanding_calls);
	q->memory_pages = child_limit(q->memory_pages, PROC_DEFAULT_MEMORY_PAGES, parent->quota.memory_pages);
	q->children = child_limit(q->children, PROC_DEFAULT_CHILDREN, parent->quota.children);
}

/* Limits on whether the caller may have another child at all. */
static int check_family(struct kinvoke *inv)
{
	if (inv->caller->live_children >= inv->caller->quota.children)
		return fail(inv, KERR(RESOURCE_EXHAUSTED), "children quota used up");
	if (proc_live_count() >= PROC_MAX_LIVE)
		return fail(inv, KERR(RESOURCE_EXHAUSTED), "process table full");
	return 0;
}

/* Limits that do not depend on the request's capabilities. */
static int check_limits(struct kinvoke *inv, struct spawn_request *rq)
{
	if (rq->quota.cap_slots > CAP_TABLE_MAX)
		return fail(inv, KERR(INVALID_ARGUMENT), "capSlots over the kernel's limit");
	if (rq->quota.outstanding_calls > PROC_MAX_OUTSTANDING_CALLS)
		return fail(inv, KERR(INVALID_ARGUMENT), "outstandingCalls over the kernel's limit");
	clamp_quota(inv->caller, &rq->quota);
	if (rq->quota.cap_slots < rq->ngrants)
		return fail(inv, KERR(RESOURCE_EXHAUSTED), "capSlots smaller than the grants");
	return check_family(inv);
}

/* Hand the new process's handle `h` to the caller as the result. */
static void give_handle(struct kinvoke *inv, struct kobj *h)
{
	capos_ProcessSpawner_spawn_Results_set_handle(capos_ProcessSpawner_spawn_Results_new_root(inv->results), 0);
	inv->result_caps[0] = (struct kresult_cap){ .obj = h, .init = { .policy = CAPOS_HOLD_POLICY_TRANSFERABLE } };
	inv->nresult_caps = 1;
}

static int spawn(struct kinvoke *inv)
{
	struct spawn_request rq = { 0 };
	int err = decode_spawn(inv, &rq);
	if (!err)
		err = check_limits(inv, &rq);
	if (!err && (err = transfer_prepare(inv->caller, &rq.plan)))
		inv->exc_msg = err == KERR(STALE_CAP) ? "a grant names a capability the caller does not hold"
		                                        : "a grant's capability cannot be given that way";
	if (err)
		return err;

	struct proc_spec spec = {
		.name = rq.name.str,
		.name_len = rq.name.len,
		.elf = rq.image.ptr,
		.elf_len = rq.image.len,
		.quota = rq.quota,
		.max_caps = rq.ngrants,
		.argc = 1,
		.argv = &rq.name.str,
		.argv_len = &rq.name.len,
	};
	struct proc *child;
	if ((err = proc_create(&spec, &child)))
		return fail(inv, err, "cannot create the process");
	/* The handle before the grants: if it cannot be made, the child goes
	 * before any capability has left the caller. */
	struct kobj *h = process_handle_create(child);
	if (!h) {
		proc_kill(child);
		return fail(inv, KERR(RESOURCE_EXHAUSTED), "cannot create the process");
	}
	uint32_t ids[CAPOS_MAX_XFER];
	/* Room was checked (capSlots >= grants): the transfer cannot fail. */
	KASSERT(transfer_commit(inv->caller, child, &rq.plan, ids) == 0);
	for (uint32_t i = 0; i < rq.ngrants; i++)
		KASSERT(proc_capset_add(child, rq.grant_names[i].str, rq.grant_names[i].len, ids[i]) == 0);
	child->parent = inv->caller;
	inv->caller->live_children++;
	give_handle(inv, h);
	proc_start(child);
	return 0;
}

static int start_service(struct kinvoke *inv)
{
	capn_text name = capos_ProcessSpawner_startService_Params_get_name(
		(capos_ProcessSpawner_startService_Params_r){ inv->params });
	if (capn_reader_error(inv->params_msg))
		return KERR(BAD_MESSAGE);
	struct proc *child;
	int err = check_family(inv);
	if (err)
		return err;
	err = boot_start_service(name, &child);
	if (err == KERR(NOT_FOUND))
		return fail(inv, err, "no such service waits for init");
	if (err == KERR(ALREADY_EXISTS))
		return fail(inv, err, "the service was started before");
	if (err)
		return fail(inv, err, "cannot start the service");
	child->parent = inv->caller;
	inv->caller->live_children++;
	struct kobj *h = process_handle_create(child);
	if (!h)
		return fail(inv, KERR(RESOURCE_EXHAUSTED), "started, but no memory for its handle");
	give_handle(inv, h);
	return 0;
}

static int list_services(struct kinvoke *inv)
{
	capos_ProcessSpawner_services_Results_b r = capos_ProcessSpawner_services_Results_new_root(inv->results);
	uint32_t n = boot_deferred_count();
	capn_list_b names = capos_ProcessSpawner_services_Results_init_names(r, n);
	for (uint32_t i = 0; i < n; i++) {
		capn_text t = boot_deferred_name(i);
		capn_set_text(capn_list_ptr_elem(names, i), 0, t.str, t.len);
	}
	return capn_builder_error(inv->results) ? KERR(TOO_LARGE) : 0;
}

static int spawner_invoke(struct kobj *o, struct kinvoke *inv)
{
	(void)o;
	switch (inv->method) {
	case CAPOS_PROCESS_SPAWNER_METHOD_SPAWN:
		return spawn(inv);
	case CAPOS_PROCESS_SPAWNER_METHOD_START_SERVICE:
		return start_service(inv);
	case CAPOS_PROCESS_SPAWNER_METHOD_SERVICES:
		return list_services(inv);
	default:
		return KERR(NO_SUCH_METHOD);
	}
}

static const struct kobj_ops spawner_ops = {
	.name = "ProcessSpawner",
	.iface = CAPOS_PROCESS_SPAWNER_INTERFACE_ID,
	.invoke = spawner_invoke,
};

/* Stateless: the manifest it spawns from belongs to boot.c. */
static struct kobj spawner_obj = { &spawner_ops, 1 };

struct kobj *process_spawner_object(void) { return &spawner_obj; }
