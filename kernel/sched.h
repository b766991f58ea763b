/*
 * sched.h - the scheduler: one CPU, round-robin with a time slice, blocking
 * cap_enter with timeouts, direct handoff, and the idle path.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdint.h>

struct proc;
struct hal_ctx;

#define SCHED_DEFAULT_SLICE_NS 10000000ull /* 10 ms */

void sched_init(uint64_t slice_ns);

/* The process whose trap the kernel is handling (NULL while idle). */
struct proc *sched_current(void);

/* Put p at the back of the run queue. */
void sched_make_runnable(struct proc *p);
/* Let p run next, ahead of the queue (direct IPC handoff): the current
 * process must be blocking. */
void sched_handoff(struct proc *p);
/* p leaves the CPU and the run queue (it blocked or exited). */
void sched_remove(struct proc *p);

/* Block p in cap_enter until ring_complete sees `min_complete` unread
 * completions, or until `deadline` (UINT64_MAX: none). */
void sched_block_in_enter(struct proc *p, uint32_t min_complete, uint64_t deadline);
/* Wake p from cap_enter with `result` (unread completions or an error). */
void sched_wake_from_enter(struct proc *p, int64_t result);

/* The current process's time slice is over (timer interrupt). */
void sched_preempt(void);

/* Decide what runs next: runs expired timers, idles when nothing can run,
 * and detects the end of the system. Returns the context to resume, or
 * NULL when the system has ended. */
struct hal_ctx *sched_next(void);

/* The system ends at the next sched_next (init exited, or a fatal error). */
void sched_end_system(void);

/* Boot time, for Timer.now (nanoseconds since boot). */
uint64_t sched_boot_time(void);

#endif /* KERNEL_SCHED_H */
