/*
 * time.c - the monotonic clock, the one-shot timer and the idle wait.
 *
 * The clock is the TSC, calibrated at boot against the PIT (channel 2,
 * polled through port 0x61, so no interrupt is needed): the median of five
 * clean 10 ms windows (about 80 ms of boot under TCG, where the TSC is the
 * host's). The one-shot timer is the local APIC timer, calibrated in the
 * same windows. It counts at most 2^32 ticks (about a minute), so a far
 * deadline fires early: the interrupt then re-arms for the rest and returns
 * to user mode without entering the kernel (time_deadline_due), so the
 * kernel never sees kernel_trap_timer before its deadline.
 *
 * The kernel runs with interrupts off; the only place they are on in kernel
 * mode is hal_idle's wait, which borrows the same APIC timer for its own
 * deadline and then puts back the kernel's.
 */
#include "hal.h"
#include "io.h"
#include "x86.h"

#define PIT_HZ 1193182ull
#define PIT_CAL_COUNT 11932ull /* 10 ms */
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_GATE 0x61
#define PIT_GATE_ON 0x01
#define PIT_SPEAKER 0x02
#define PIT_OUT2 0x20
#define NS_PER_S 1000000000ull

/* The clock and the timer. Owned by the HAL; kernel mode only. */
static struct {
	uint64_t tsc0;      /* the TSC at calibration: time 0 */
	uint64_t tsc_mult;  /* ns = (tsc - tsc0) * tsc_mult >> 32 */
	uint64_t apic_mult; /* APIC ticks = ns * apic_mult >> 32 */
	uint64_t tsc_hz, apic_hz;
	uint64_t armed;     /* the kernel's deadline (hal_timer_arm); UINT64_MAX: none */
} clock;

/* One calibration window: the PIT counts PIT_CAL_COUNT ticks (10 ms) while
 * we read the TSC and the APIC timer around it. Every moment that matters
 * (the PIT starting, its output rising, the APIC timer's start and end) is
 * bracketed by two TSC reads; a window is kept only if every bracket is
 * tight (under 1/1000 of the window), which rules out a vCPU that was not
 * running at one of those moments (common under TCG on a loaded host). */
static bool calibrate_once(uint64_t *tsc_hz, uint64_t *apic_hz, bool strict)
{
	outb(PIT_GATE, (uint8_t)((inb(PIT_GATE) & ~PIT_SPEAKER) | PIT_GATE_ON));
	outb(PIT_CMD, 0xb0); /* channel 2, low then high byte, mode 0 (one shot), binary */
	outb(PIT_CH2, PIT_CAL_COUNT & 0xff);
	uint64_t a0 = rdtsc();
	apic_timer_start(0xffffffffu);
	uint64_t a1 = rdtsc();
	outb(PIT_CH2, PIT_CAL_COUNT >> 8); /* the PIT starts counting */
	uint64_t p1 = rdtsc();
	uint64_t low = p1, high;
	while (!(inb(PIT_GATE) & PIT_OUT2))
		low = rdtsc();
	high = rdtsc(); /* the output rose between `low` and `high` */
	uint32_t left = apic_timer_count();
	uint64_t a2 = rdtsc();
	apic_timer_start(0);

	uint64_t span = high - p1;
	if (strict && ((p1 - a1) * 1000 > span || (high - low) * 1000 > span || (a1 - a0) * 1000 > span ||
	               (a2 - high) * 1000 > span))
		return false;
	*tsc_hz = span * PIT_HZ / PIT_CAL_COUNT;
	*apic_hz = (uint64_t)(0xffffffffu - left) * *tsc_hz / (a2 - a0);
	return true;
}

/* The median of CAL_WINDOWS clean windows: under TCG the TSC is the host's
 * and the PIT follows the host's monotonic clock, which on some hosts (a
 * VM with an unstable TSC) disagree for a few ms at a time. */
#define CAL_WINDOWS 5
#define CAL_TRIES 100 /* then take windows as they come (and say so) */

void time_init(void)
{
	uint64_t tsc[CAL_WINDOWS], apic[CAL_WINDOWS];
	int good = 0, tries = 0;
	while (good < CAL_WINDOWS) {
		if (!calibrate_once(&tsc[good], &apic[good], ++tries <= CAL_TRIES))
			continue;
		/* Insertion sort by TSC rate, keeping pairs together. */
		for (int i = good; i > 0 && tsc[i] < tsc[i - 1]; i--) {
			uint64_t t = tsc[i], a = apic[i];
			tsc[i] = tsc[i - 1], apic[i] = apic[i - 1];
			tsc[i - 1] = t, apic[i - 1] = a;
		}
		good++;
	}
	clock.tsc_hz = tsc[CAL_WINDOWS / 2];
	clock.apic_hz = apic[CAL_WINDOWS / 2];
	if (clock.tsc_hz < 1000000 || clock.apic_hz < 1000)
		x86_fatal("cannot calibrate the clock (TSC %llu Hz, APIC timer %llu Hz)",
		          (unsigned long long)clock.tsc_hz, (unsigned long long)clock.apic_hz);
	clock.tsc_mult = (NS_PER_S << 32) / clock.tsc_hz;
	clock.apic_mult = (clock.apic_hz << 32) / NS_PER_S;
	clock.tsc0 = rdtsc();
	clock.armed = UINT64_MAX;
	if (tries > CAL_TRIES)
		x86_debug("clock: no clean calibration window in %d tries; the clock may be off", CAL_TRIES);
	x86_debug("clock: TSC %llu kHz, APIC timer %llu kHz (median of %d windows from %llu to %llu kHz, %d tries)",
	          (unsigned long long)(clock.tsc_hz / 1000), (unsigned long long)(clock.apic_hz / 1000), CAL_WINDOWS,
	          (unsigned long long)(tsc[0] / 1000), (unsigned long long)(tsc[CAL_WINDOWS - 1] / 1000), tries);
}

uint64_t hal_now_ns(void)
{
	return (uint64_t)(((unsigned __int128)(rdtsc() - clock.tsc0) * clock.tsc_mult) >> 32);
}

/* Program the APIC timer for `deadline` (UINT64_MAX: stop it). */
static void program(uint64_t deadline)
{
	if (deadline == UINT64_MAX) {
		apic_timer_start(0);
		return;
	}
	uint64_t now = hal_now_ns();
	uint64_t ns = deadline > now ? deadline - now : 0;
	/* One tick more than the rounded-down count, so it is never early. */
	uint64_t ticks = (uint64_t)(((unsigned __int128)ns * clock.apic_mult) >> 32) + 1;
	apic_timer_start(ticks > 0xffffffffull ? 0xffffffffu : (uint32_t)ticks);
}

void hal_timer_arm(uint64_t deadline)
{
	clock.armed = deadline;
	program(deadline);
}

bool time_deadline_due(void)
{
	if (clock.armed == UINT64_MAX)
		return false; /* left over from an idle wait */
	if (hal_now_ns() < clock.armed) {
		program(clock.armed);
		return false;
	}
	clock.armed = UINT64_MAX;
	return true;
}

void hal_idle(uint64_t deadline)
{
	/* Any interrupt ends the wait: the timer, or COM1 with input. */
	program(deadline);
	wait_for_interrupt();
	program(clock.armed);
}
