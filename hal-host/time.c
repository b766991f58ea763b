/*
 * time.c - the simulated clock, the one-shot timer and the idle path.
 *
 * The clock is CLOCK_MONOTONIC, or with --deterministic a virtual clock that
 * advances 1 microsecond per kernel entry and jumps straight to the next
 * deadline when the CPU is idle, so that a run's timings (and so its
 * transcript) repeat exactly. The timer is a POSIX timer raising SIGALRM on
 * the CPU thread; it only matters while user code runs (trap.c), so a tick
 * that lands in the simulator is simply retried shortly after.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hal.h"
#include "host.h"

#define RETRY_NS 100000ull /* a tick postponed in kernel mode comes back this soon */

/* The clock and the timer. Owned by the host HAL, CPU thread only; `idle`
 * is read by the SIGALRM handler on the same thread. */
static struct {
	timer_t timer;
	timer_t watchdog;
	bool deterministic;
	uint64_t virtual_now;
	volatile bool idle;
} hostclock;

static uint64_t real_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void watchdog_fired(int sig)
{
	(void)sig;
	static const char msg[] = "capos-sim: timeout: the system did not end in time\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(HOST_EXIT_TIMEOUT);
	_exit(HOST_EXIT_TIMEOUT);
}

int host_time_init(const struct host_options *opts, char *err, size_t errlen)
{
	hostclock.deterministic = opts->deterministic;
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	if (timer_create(CLOCK_MONOTONIC, &ev, &hostclock.timer) != 0) {
		snprintf(err, errlen, "timer_create: %s", strerror(errno));
		return -1;
	}
	if (opts->timeout_s > 0) {
		struct sigaction sa = { .sa_handler = watchdog_fired };
		struct sigevent wev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGXCPU };
		uint64_t ns = (uint64_t)(opts->timeout_s * 1e9);
		struct itimerspec its = { .it_value = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) } };
		if (sigaction(SIGXCPU, &sa, NULL) != 0 || timer_create(CLOCK_MONOTONIC, &wev, &hostclock.watchdog) != 0 ||
		    timer_settime(hostclock.watchdog, 0, &its, NULL) != 0) {
			snprintf(err, errlen, "cannot set the --timeout watchdog: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

uint64_t hal_now_ns(void)
{
	if (!hostclock.deterministic)
		return real_now();
	return hostclock.virtual_now += 1000;
}

static void arm_relative(uint64_t ns)
{
	struct itimerspec its = { .it_value = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) } };
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1; /* zero would disarm */
	timer_settime(hostclock.timer, 0, &its, NULL);
}

void hal_timer_arm(uint64_t deadline)
{
	if (deadline == UINT64_MAX) {
		struct itimerspec off = { 0 };
		timer_settime(hostclock.timer, 0, &off, NULL);
		return;
	}
	/* The virtual clock has no relation to real time: arm the same
	 * distance ahead in real time, which is what preemption needs. */
	uint64_t now = hostclock.deterministic ? hostclock.virtual_now : real_now();
	arm_relative(deadline > now ? deadline - now : 0);
}

void host_time_kernel_mode_tick(void)
{
	if (!hostclock.idle)
		arm_relative(RETRY_NS);
}

/* The fd idling should wake for (console.c): stdin, or -1 when input has
 * ended or is already buffered. */
int host_console_poll_fd(void);

void hal_idle(uint64_t deadline)
{
	int fd = host_console_poll_fd(); /* -1 once input has ended or is buffered */
	if (hostclock.deterministic && deadline != UINT64_MAX) {
		if (hostclock.virtual_now < deadline)
			hostclock.virtual_now = deadline;
		return;
	}
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts, *tsp = NULL;
	if (deadline != UINT64_MAX) {
		uint64_t now = real_now();
		uint64_t ns = deadline > now ? deadline - now : 0;
		ts.tv_sec = (time_t)(ns / 1000000000ull);
		ts.tv_nsec = (long)(ns % 1000000000ull);
		tsp = &ts;
	}
	hostclock.idle = true;
	ppoll(fd >= 0 ? &pfd : NULL, fd >= 0 ? 1 : 0, tsp, NULL);
	hostclock.idle = false;
}
