/*
 * timer.c - the kernel's timer list (see timer.h). Kept sorted by deadline;
 * insertion is linear, which is fine for the tens of timers a system has.
 */
#include "timer.h"

#include "kernel.h"

/* All armed timers, earliest first. Owned by the kernel (one CPU). */
static struct list_node timer_list = LIST_INIT(timer_list);

void ktimer_init(struct ktimer *t, void (*fire)(struct ktimer *t))
{
	t->deadline = 0;
	t->fire = fire;
	list_init(&t->link);
}

bool ktimer_armed(const struct ktimer *t) { return list_linked(&t->link); }

void ktimer_arm(struct ktimer *t, uint64_t deadline)
{
	if (ktimer_armed(t))
		list_del(&t->link);
	t->deadline = deadline;
	struct list_node *pos = timer_list.next;
	while (pos != &timer_list && list_entry(pos, struct ktimer, link)->deadline <= deadline)
		pos = pos->next;
	list_insert_before(pos, &t->link);
}

void ktimer_cancel(struct ktimer *t)
{
	if (ktimer_armed(t))
		list_del(&t->link);
}

void ktimers_run(uint64_t now)
{
	while (!list_empty(&timer_list)) {
		struct ktimer *t = list_entry(timer_list.next, struct ktimer, link);
		if (t->deadline > now)
			break;
		list_del(&t->link);
		t->fire(t);
	}
}

uint64_t ktimers_next(void)
{
	return list_empty(&timer_list) ? UINT64_MAX : list_entry(timer_list.next, struct ktimer, link)->deadline;
}

bool ktimers_any(void) { return !list_empty(&timer_list); }
