/*
 * timer.h - kernel timers: a sorted list of deadlines with callbacks.
 *
 * Used for cap_enter timeouts, Timer.sleep and CALL timeouts. The scheduler
 * runs expired timers on every kernel entry and arms the hardware one-shot
 * timer for the earliest deadline.
 */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/list.h"

struct ktimer {
	uint64_t deadline;
	void (*fire)(struct ktimer *t); /* runs with the timer already disarmed */
	struct list_node link;
};

void ktimer_init(struct ktimer *t, void (*fire)(struct ktimer *t));
void ktimer_arm(struct ktimer *t, uint64_t deadline);
void ktimer_cancel(struct ktimer *t);
bool ktimer_armed(const struct ktimer *t);

/* Fire every timer whose deadline is <= now. */
void ktimers_run(uint64_t now);
/* The earliest deadline, or UINT64_MAX. */
uint64_t ktimers_next(void);
bool ktimers_any(void);

/* A deadline `delta` after `now`, saturating instead of wrapping. */
static inline uint64_t ktimer_deadline(uint64_t now, uint64_t delta)
{
	return delta > UINT64_MAX - now ? UINT64_MAX : now + delta;
}

#endif /* KERNEL_TIMER_H */
