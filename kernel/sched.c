/*
 * sched.c - one CPU, round-robin (see sched.h).
 *
 * Every kernel entry ends in sched_next, which runs expired timers, polls the
 * console, and picks the context to resume: the current process until its
 * slice ends, else the head of the run queue. A process woken by a direct
 * handoff goes to the head of the queue, so an IPC call switches straight to
 * the server that was waiting for it. With nothing runnable the CPU idles
 * until the next timer or console input; if nothing could ever wake anyone,
 * the system has deadlocked and ends with a report.
 *
 * The hardware timer is programmed lazily: only when the wanted deadline is
 * earlier than the one already armed. A timer that fires early costs one
 * extra kernel entry, which is cheaper than reprogramming the timer on every
 * call (a host system call in the simulator).
 */
#include "sched.h"

#include "boot.h"
#include "cap/console.h"
#include "hal.h"
#include "kernel.h"
#include "proc.h"
#include "timer.h"

/* The scheduler's state. Owned by the kernel, changed only on kernel entry. */
static struct {
	struct list_node runq;   /* RUNNABLE processes, in order */
	struct proc *current;    /* RUNNING process, or NULL */
	uint64_t slice_ns;
	uint64_t slice_end;      /* when the current process's slice ends */
	uint64_t armed;          /* the deadline the hardware timer is set for */
	bool preempt;            /* the current slice is over */
	bool ended;              /* the system is ending */
	uint64_t boot_time;
} sched = { .runq = LIST_INIT(sched.runq) };

void sched_init(uint64_t slice_ns)
{
	list_init(&sched.runq);
	sched.current = NULL;
	sched.slice_ns = slice_ns ? slice_ns : SCHED_DEFAULT_SLICE_NS;
	sched.armed = UINT64_MAX;
	sched.preempt = false;
	sched.ended = false;
	sched.boot_time = hal_now_ns();
}

uint64_t sched_boot_time(void) { return sched.boot_time; }

struct proc *sched_current(void) { return sched.current; }

void sched_make_runnable(struct proc *p)
{
	p->state = PROC_RUNNABLE;
	if (list_linked(&p->run_link))
		list_del(&p->run_link);
	list_push_back(&sched.runq, &p->run_link);
}

void sched_handoff(struct proc *p)
{
	p->state = PROC_RUNNABLE;
	if (list_linked(&p->run_link))
		list_del(&p->run_link);
	list_insert_before(sched.runq.next, &p->run_link);
}

void sched_remove(struct proc *p)
{
	if (list_linked(&p->run_link))
		list_del(&p->run_link);
	if (sched.current == p)
		sched.current = NULL;
}

void sched_block_in_enter(struct proc *p, uint32_t min_complete, uint64_t deadline)
{
	sched_remove(p);
	p->state = PROC_BLOCKED;
	p->wait_min = min_complete;
	if (deadline != UINT64_MAX)
		ktimer_arm(&p->wait_timer, deadline);
}

void sched_wake_from_enter(struct proc *p, int64_t result)
{
	if (p->state != PROC_BLOCKED)
		return;
	ktimer_cancel(&p->wait_timer);
	hal_ctx_set_result(p->ctx, result);
	sched_make_runnable(p);
}

void sched_preempt(void)
{
	if (hal_now_ns() >= sched.slice_end)
		sched.preempt = true;
	sched.armed = UINT64_MAX; /* the timer that brought us here has fired */
}

void sched_end_system(void) { sched.ended = true; }

static void arm_timer(uint64_t now)
{
	uint64_t want = ktimers_next();
	/* Slices matter only when someone else is waiting for the CPU. */
	if (!list_empty(&sched.runq) && sched.slice_end < want)
		want = sched.slice_end;
	if (want == UINT64_MAX)
		return;
	if (sched.armed <= now || want < sched.armed) {
		hal_timer_arm(want);
		sched.armed = want;
	}
}

/* Nothing runs and nothing can wake anyone: say who is stuck, then end. */
static void report_deadlock(void)
{
	klog("deadlock: no process can run and none can be woken");
	struct list_node *pos, *tmp;
	list_for_each_safe(pos, tmp, &proc_all) {
		struct proc *p = list_entry(pos, struct proc, all_link);
		klog("  process %u (%s) waits in cap_enter for %u completions", p->pid, p->name, p->wait_min);
	}
	boot_end(KERNEL_EXIT_DEADLOCK, 0);
}

static void kill_everyone(void)
{
	while (!list_empty(&proc_all))
		proc_kill(list_entry(proc_all.next, struct proc, all_link));
}

struct hal_ctx *sched_next(void)
{
	for (;;) {
		uint64_t now = hal_now_ns();
		ktimers_run(now);
		console_poll();
		if (sched.ended) {
			sched.current = NULL;
			kill_everyone();
			return NULL;
		}

		struct proc *cur = sched.current;
		if (cur && cur->state == PROC_RUNNING) {
			/* Keep the CPU unless its slice is over and someone waits. The
			 * slice is checked here, on every entry, as well as on timer
			 * ticks: a process that spends its time in the kernel (cap_enter
			 * in a loop) mostly takes its ticks in kernel mode, where the
			 * hardware layer can only postpone them. */
			if (now >= sched.slice_end)
				sched.preempt = true;
			if (!sched.preempt || list_empty(&sched.runq)) {
				sched.preempt = false;
				arm_timer(now);
				return cur->ctx;
			}
			sched_make_runnable(cur);
			sched.current = NULL;
		}
		sched.preempt = false;

		struct list_node *n = list_pop_front(&sched.runq);
		if (n) {
			struct proc *next = list_entry(n, struct proc, run_link);
			next->state = PROC_RUNNING;
			sched.current = next;
			sched.slice_end = now + sched.slice_ns;
			arm_timer(now);
			return next->ctx;
		}

		if (list_empty(&proc_all)) {
			/* Everyone has gone (init ends the system before this). */
			boot_end(KERNEL_EXIT_DEADLOCK, 0);
			continue;
		}
		if (!ktimers_any() && !console_waiting()) {
			report_deadlock();
			continue;
		}
		hal_idle(ktimers_next());
	}
}
