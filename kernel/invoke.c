/*
 * invoke.c - delivering the answers of kernel-object calls (see invoke.h).
 *
 * An answer is written into the caller's buffer as a capos_msg_header, the
 * CapIds of any result capabilities, and the framed Cap'n Proto message;
 * then the completion is posted. Delivery is all-or-nothing: if the buffer is
 * too small or unwritable, or the caller's table cannot take the result
 * capabilities, none are installed and the completion carries the error.
 */
#include "invoke.h"

#include "boot.h"
#include "hal.h"
#include "kalloc.h"
#include "kernel.h"
#include "proc.h"
#include "ring.h"

/* Scratch for answers. Owned by the kernel, which runs to completion: the
 * invoke arena holds the answer of the call being dispatched; the deferred
 * arena the answer of a waiting call that completes meanwhile (a kill
 * completing the waits on the killed process, a write answering a
 * readLine), so one never overwrites the other. */
static uint8_t invoke_arena[CAPOS_MAX_MSG + 16] __attribute__((aligned(8)));
static uint8_t deferred_arena[CAPOS_MAX_MSG + 16] __attribute__((aligned(8)));
static struct capn_builder invoke_builder, deferred_builder;

struct capn_builder *invoke_results_builder(void)
{
	capn_builder_init(&invoke_builder, invoke_arena, sizeof(invoke_arena));
	return &invoke_builder;
}

static struct capn_builder *deferred_results_builder(void)
{
	capn_builder_init(&deferred_builder, deferred_arena, sizeof(deferred_arena));
	return &deferred_builder;
}

static unsigned exception_type(int err)
{
	switch (-err) {
	case CAPOS_ERROR_CODE_DISCONNECTED:
		return CAPOS_CAP_EXCEPTION_TYPE_DISCONNECTED;
	case CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED:
		return CAPOS_CAP_EXCEPTION_TYPE_OVERLOADED;
	case CAPOS_ERROR_CODE_UNIMPLEMENTED:
	case CAPOS_ERROR_CODE_NO_SUCH_METHOD:
		return CAPOS_CAP_EXCEPTION_TYPE_UNIMPLEMENTED;
	default:
		return CAPOS_CAP_EXCEPTION_TYPE_FAILED;
	}
}

static void build_exception(struct capn_builder *b, int err, const char *msg)
{
	capos_CapException_b e = capos_CapException_new_root(b);
	capos_CapException_set_type(e, exception_type(err));
	capos_CapException_set_code(e, (enum capos_ErrorCode)-err);
	if (msg) {
		size_t n = 0;
		while (msg[n] && n < 200)
			n++;
		capos_CapException_set_message(e, msg, n);
	}
}

/* Install result caps in p's table; on failure remove what was installed.
 * The object references move to the table (or are dropped on failure). */
static int install_caps(struct proc *p, struct kresult_cap *caps, uint32_t n, uint32_t *ids)
{
	uint32_t i;
	int err = 0;
	if (n > cap_table_free_slots(&p->caps))
		err = KERR(RESOURCE_EXHAUSTED);
	for (i = 0; i < n && !err; i++) {
		err = cap_table_insert(&p->caps, caps[i].obj, &caps[i].init, &ids[i]);
		if (!err)
			p->ledger.caps++;
	}
	if (err) {
		/* Roll back: the first i-1 went in (the i-th failed, if any). */
		uint32_t inserted = i ? i - 1 : 0;
		for (uint32_t j = 0; j < inserted; j++) {
			struct cap_hold held;
			if (!cap_table_take(&p->caps, ids[j], &held))
				p->ledger.caps--;
		}
		for (uint32_t j = 0; j < n; j++)
			kobj_unref(caps[j].obj);
	}
	return err;
}

void invoke_deliver(struct proc *p, uint64_t user_data, uint64_t buf, uint32_t buf_len,
                    struct capn_builder *results, struct kresult_cap *caps, uint32_t ncaps,
                    int err, const char *msg)
{
	uint32_t flags = 0;
	struct capn_builder *b = results;
	if (err < 0) {
		/* `results` is scratch the caller owns, free to reuse. */
		capn_builder_reset(b);
		build_exception(b, err, msg);
		flags = CAPOS_CQE_EXCEPTION;
		for (uint32_t j = 0; j < ncaps; j++)
			kobj_unref(caps[j].obj);
		ncaps = 0;
	} else if (b->nsegs && b->segs[0].used_words == 0) {
		capn_builder_root(b, 0, 0); /* empty results */
	}

	if (buf_len == 0) {
		/* The caller asked for no answer: only the status. */
		for (uint32_t j = 0; j < ncaps; j++)
			kobj_unref(caps[j].obj);
		ring_complete(p, user_data, err < 0 ? err : 0, 0);
		return;
	}

	const void *framed;
	size_t len;
	int e = capn_builder_finish(b, &framed, &len);
	if (e) {
		for (uint32_t j = 0; j < ncaps; j++)
			kobj_unref(caps[j].obj);
		ring_complete(p, user_data, KERR(TOO_LARGE), 0);
		return;
	}
	uint64_t off = CAPOS_MSG_OFFSET(ncaps);
	if (off + len > buf_len) {
		for (uint32_t j = 0; j < ncaps; j++)
			kobj_unref(caps[j].obj);
		ring_complete(p, user_data, err < 0 ? err : KERR(TOO_LARGE), 0);
		return;
	}

	/* Header and cap ids go out in one copy, after the caps are installed. */
	struct {
		struct capos_msg_header h;
		uint32_t caps[CAPOS_MAX_XFER + 2];
	} head = { 0 };
	if (ncaps && (e = install_caps(p, caps, ncaps, head.caps))) {
		ring_complete(p, user_data, e, 0);
		return;
	}
	head.h.msg_len = (uint32_t)len;
	head.h.cap_count = (uint16_t)ncaps;
	if (hal_copy_to_user(p->as, buf, &head, off) || hal_copy_to_user(p->as, buf + off, framed, len)) {
		for (uint32_t j = 0; j < ncaps; j++) {
			struct cap_hold held;
			if (!cap_table_take(&p->caps, head.caps[j], &held)) {
				p->ledger.caps--;
				kobj_unref(held.obj);
			}
		}
		ring_complete(p, user_data, KERR(BAD_ADDRESS), 0);
		return;
	}
	ring_complete(p, user_data, err < 0 ? err : (int32_t)(off + len), flags);
}

int kcall_begin(struct kcall *kc)
{
	struct proc *p = kc->caller;
	if ((uint64_t)p->ledger.calls >= p->quota.outstanding_calls)
		return KERR(RESOURCE_EXHAUSTED);
	list_init(&kc->obj_link);
	ktimer_init(&kc->timer, NULL);
	list_push_back(&p->calls, &kc->proc_link);
	p->ledger.calls++;
	return 0;
}

void kcall_end(struct kcall *kc)
{
	ktimer_cancel(&kc->timer);
	list_del(&kc->proc_link);
	kc->caller->ledger.calls--;
}

struct kcall *kcall_create(struct kinvoke *inv, void (*cancel)(struct kcall *kc), int *err)
{
	struct kcall *kc = kzalloc(sizeof(*kc));
	if (!kc) {
		*err = KERR(RESOURCE_EXHAUSTED);
		return NULL;
	}
	kc->caller = inv->caller;
	kc->user_data = inv->user_data;
	kc->buf = inv->buf;
	kc->buf_len = inv->buf_len;
	kc->cap = inv->cap;
	kc->method = inv->method;
	kc->iface = inv->hold->iface;
	kc->cancel = cancel;
	if ((*err = kcall_begin(kc))) {
		kfree(kc, sizeof(*kc));
		return NULL;
	}
	return kc;
}

void kcall_complete(struct kcall *kc, void (*build)(struct capn_builder *b, void *arg), void *arg,
                    int err, const char *msg)
{
	struct proc *p = kc->caller;
	struct capn_builder *b = deferred_results_builder();
	if (err >= 0 && build)
		build(b, arg);
	list_del(&kc->obj_link);
	kcall_end(kc);
	invoke_trace(p, kc->cap, kc->iface, kc->method, err);
	invoke_deliver(p, kc->user_data, kc->buf, kc->buf_len, b, NULL, 0, err, msg);
	kfree(kc, sizeof(*kc));
}

void kcall_cancel_all(struct proc *p)
{
	while (!list_empty(&p->calls)) {
		struct kcall *kc = list_entry(p->calls.next, struct kcall, proc_link);
		kcall_end(kc);
		p->ring.in_flight--;
		if (kc->cancel) {
			kc->cancel(kc);
		} else {
			list_del(&kc->obj_link);
			kfree(kc, sizeof(*kc));
		}
	}
}

void invoke_trace(struct proc *p, uint32_t cap, uint64_t iface, uint16_t method, int result)
{
	if (!boot_config()->trace)
		return;
	const struct capn_interface_info *info = capos_interface_by_id(iface);
	const char *mname = "?";
	if (info && method < info->method_count)
		mname = info->methods[method].name;
	const char *rname = result < 0 ? capos_ErrorCode_name((unsigned)-result) : "ok";
	kdebug("[trace] pid %u %s: cap 0x%08x %s.%s -> %s", p->pid, p->name, cap,
	       info ? info->name : "?", mname, rname ? rname : "?");
}
