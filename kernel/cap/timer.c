/*
 * timer.c - the Timer capability: monotonic time since boot, and sleep.
 */
#include "cap/kcaps.h"
#include "hal.h"
#include "invoke.h"
#include "kernel.h"
#include "kobj.h"
#include "sched.h"

static int timer_invoke(struct kobj *obj, struct kinvoke *inv);

static const struct kobj_ops timer_ops = {
	.name = "Timer",
	.iface = CAPOS_TIMER_INTERFACE_ID,
	.invoke = timer_invoke,
};

/* One Timer object serves every holder; it has no state of its own. */
static struct kobj timer_obj = { &timer_ops, 1 };

struct kobj *timer_object(void) { return &timer_obj; }

static void sleep_done(struct ktimer *t)
{
	kcall_complete(list_entry(t, struct kcall, timer), NULL, NULL, 0, NULL);
}

static int timer_invoke(struct kobj *obj, struct kinvoke *inv)
{
	(void)obj;
	switch (inv->method) {
	case CAPOS_TIMER_METHOD_NOW: {
		capos_Timer_now_Results_b r = capos_Timer_now_Results_new_root(inv->results);
		capos_Timer_now_Results_set_ns(r, hal_now_ns() - sched_boot_time());
		return 0;
	}
	case CAPOS_TIMER_METHOD_SLEEP: {
		uint64_t ns = capos_Timer_sleep_Params_get_ns((capos_Timer_sleep_Params_r){ inv->params });
		if (capn_reader_error(inv->params_msg))
			return KERR(BAD_MESSAGE);
		if (ns == 0)
			return 0;
		int err;
		struct kcall *kc = kcall_create(inv, NULL, &err);
		if (!kc)
			return err;
		kc->timer.fire = sleep_done;
		ktimer_arm(&kc->timer, ktimer_deadline(hal_now_ns(), ns));
		return KINVOKE_PENDING;
	}
	default:
		return KERR(NO_SUCH_METHOD);
	}
}
