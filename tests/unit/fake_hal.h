/*
 * fake_hal.h - a hardware layer for tests: every function of kernel/hal.h,
 * in plain hosted C, with nothing real behind it.
 *
 * Used by the kernel unit tests (tests/unit/test_*.c) and meant to be reused
 * by a libFuzzer harness that drives the kernel with arbitrary ring entries,
 * so it is deterministic (no real clock, no I/O, no threads), cheap to reset
 * between runs, and strict: whatever hal.h forbids the kernel to do is either
 * refused exactly as hal.h documents (bad user addresses: -badAddress) or,
 * when it can only be a kernel bug (freeing pages it never got, using a
 * destroyed address space), recorded as a "misuse" that a test or a fuzzer
 * asserts never happens (fake_hal_misuse_count).
 *
 * What it models:
 *
 *   Kernel pages   aligned_alloc'd, zeroed, each allocation remembered with
 *                  its size so that hal_page_free can check it.
 *   Address spaces a sorted list of regions per space. A region is one
 *                  hal_as_map; its bytes are a malloc'd buffer, but its user
 *                  address is a FAKE one, starting at FAKE_HAL_USER_BASE, in
 *                  a range reserved PROT_NONE in the host. The kernel can only
 *                  reach user bytes through hal_copy_*, hal_as_write or the
 *                  kernel pointer hal_as_map_shared returned: a kernel that
 *                  dereferences a user address crashes at once. Regions are
 *                  separated by an unmapped guard page, protections are kept
 *                  per page, and partial unmaps are per page (a region goes
 *                  away when its last page does). Like real hardware, two
 *                  address spaces may use the same user addresses.
 *   Contexts       plain structs (struct hal_ctx below, public so tests can
 *                  look at what the kernel asked for).
 *   Time           a clock that moves only when told (fake_hal_set_now,
 *                  fake_hal_advance) or when the kernel idles (hal_idle jumps
 *                  to the deadline it was given).
 *   Console        output captured in a buffer; input fed by the test.
 *   Panic          hal_panic longjmps back to the test that expected it.
 *   Failures       fake_hal_fail_alloc_at makes one chosen allocation (kernel
 *                  pages, an address space, a mapping, a context) fail, so a
 *                  test can walk through every failure path of an operation.
 *
 * The kernel entry points (kernel_trap_*) are implemented by the kernel; the
 * fake HAL never calls them (there is no user code to trap from). A harness
 * calls them directly to play "user code made a system call".
 *
 * Include after the kernel headers are reachable (-iquote kernel).
 */
#ifndef TESTS_UNIT_FAKE_HAL_H
#define TESTS_UNIT_FAKE_HAL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

/* The first user address of every address space, and how far the fake user
 * range reaches (hal_as_map fails with -resourceExhausted beyond it). */
#define FAKE_HAL_USER_BASE 0x10000000ull
#define FAKE_HAL_USER_SPAN (1ull << 30)
/* What hal_gate_address returns: outside every region, never mapped. */
#define FAKE_HAL_GATE 0x0ff00000ull

/* A context: exactly what the kernel gave hal_ctx_create, plus the results
 * it set. Read it; do not free or change it. */
struct hal_ctx {
	struct hal_as *as;
	uint64_t entry;
	uint64_t stack_top;
	uint64_t arg;
	uint64_t thread_pointer;
	int64_t result;          /* the last hal_ctx_set_result */
	unsigned results_set;    /* how many times it was called */
	struct hal_ctx *next;    /* internal: the list of live contexts */
};

/* ------------------------------------------------------------ runs */

/* Start a new run: clock at 0, no timer armed, console buffers empty and
 * input not ended, no idle hook, no failure injection, no panic expected,
 * misuse record cleared. The harness's settings (the unexpected-panic
 * handler, abort on misuse) stay. Memory (kernel pages, address spaces,
 * contexts) is NOT touched: it belongs to the kernel, and the live counts
 * below keep telling the truth across runs (reset after kernel_shutdown
 * and kalloc_trim, then check that they are 0). */
void fake_hal_reset(void);

/* ------------------------------------------------------------ live objects
 * Everything the kernel got from the HAL and has not given back. After a
 * process ends (or after kernel_shutdown + kalloc_trim) these must be 0. */
size_t fake_hal_live_kernel_pages(void);
size_t fake_hal_live_address_spaces(void);
size_t fake_hal_live_regions(void);     /* regions with a mapped page, all spaces */
size_t fake_hal_live_user_pages(void);  /* mapped pages, all spaces */
size_t fake_hal_live_contexts(void);
size_t fake_hal_live_frames(void);      /* physical frames allocated and not freed */

/* One address space: its mapped pages and regions. */
size_t fake_hal_as_pages(struct hal_as *as);
size_t fake_hal_as_regions(struct hal_as *as);

/* ------------------------------------------------------------ user memory
 * The test's view of a process's memory. These ignore protections (a test
 * may look at and poke execute-only or inaccessible pages) but not the
 * mapping. */

/* The protection (HAL_PROT_* bits) of the page holding uva, or -1 if that
 * page is not mapped. */
int fake_hal_page_prot(struct hal_as *as, uint64_t uva);
/* Copy user bytes out / in: 0, or -1 (copying nothing) if any page of the
 * range is unmapped. */
int fake_hal_read(struct hal_as *as, uint64_t uva, void *dst, size_t len);
int fake_hal_write(struct hal_as *as, uint64_t uva, const void *src, size_t len);
/* A host pointer to [uva, uva+len) if it lies inside one region, else NULL
 * (what a fuzzer uses to fill a ring or a message buffer in place). */
void *fake_hal_user_ptr(struct hal_as *as, uint64_t uva, size_t len);
/* The region holding uva: its start, size and whether it is shared with the
 * kernel (hal_as_map_shared). false if uva is in no region. */
bool fake_hal_region_of(struct hal_as *as, uint64_t uva, uint64_t *start, uint64_t *size,
                        bool *shared);

/* ------------------------------------------------------------ time */

void fake_hal_set_now(uint64_t ns);
void fake_hal_advance(uint64_t ns);
/* The deadline of the last hal_timer_arm (UINT64_MAX: none or cancelled). */
uint64_t fake_hal_timer_deadline(void);
/* How many times the kernel called hal_idle. */
unsigned fake_hal_idle_calls(void);
/* Replace what hal_idle does. By default it moves the clock to the deadline
 * (if later than now); with no deadline (UINT64_MAX: the kernel waits only
 * for console input) and no input buffered, it ends console input, since a
 * test will never type anything: that way a run always terminates. A hook
 * (e.g. a fuzzer feeding input) gets the deadline and does what it likes;
 * NULL restores the default. */
void fake_hal_set_idle_hook(void (*hook)(uint64_t deadline));

/* ------------------------------------------------------------ console */

/* Everything written with hal_console_write since the last reset/clear,
 * NUL-terminated (the kernel's lines end in '\n'). */
const char *fake_hal_console_output(void);
size_t fake_hal_console_output_len(void);
void fake_hal_console_clear(void);
/* The debug channel (hal_debug_write), likewise. */
const char *fake_hal_debug_output(void);
/* Queue console input; end it (hal_console_eof turns true once it is read). */
void fake_hal_console_feed(const void *data, size_t len);
void fake_hal_console_end(void);

/* ------------------------------------------------------------ panics
 *
 * A kernel panic (kpanic, a failed KASSERT) ends in hal_panic, which never
 * returns. Here it longjmps to fake_hal_panic_jmp if a panic was expected;
 * otherwise it calls the unexpected-panic handler (a test framework's
 * "fail"), and if there is none or it returns, prints the console to stderr
 * and aborts (a fuzzer sees a crash). Use FAKE_HAL_CATCH_PANIC:
 *
 *     FAKE_HAL_CATCH_PANIC(kobj_unref(&dead));
 *     assert_true(fake_hal_panicked());
 *     assert_non_null(strstr(fake_hal_console_output(), "PANIC"));
 *
 * The kernel is abandoned in the middle of whatever it was doing: its state
 * may be inconsistent afterwards (only use this for checks that are the
 * last thing a test does with the objects involved). Locals changed inside
 * the statement must be volatile to be trusted after the jump (C11 7.13.2.1).
 */
extern jmp_buf fake_hal_panic_jmp;
void fake_hal_expect_panic(void);       /* arm: the next hal_panic jumps */
void fake_hal_expect_no_panic(void);    /* disarm */
bool fake_hal_panicked(void);           /* hal_panic ran since the last arm/reset */
void fake_hal_set_unexpected_panic_handler(void (*handler)(const char *console));

#define FAKE_HAL_CATCH_PANIC(stmt)                                 \
	do {                                                       \
		fake_hal_expect_panic();                           \
		if (setjmp(fake_hal_panic_jmp) == 0) {             \
			stmt;                                      \
		}                                                  \
		fake_hal_expect_no_panic();                        \
	} while (0)

/* ------------------------------------------------------------ failures */

/* Make allocation number n (0-based, counted from this call) fail; n < 0
 * turns injection off. Allocations are hal_page_alloc, hal_as_create,
 * hal_as_map, hal_as_map_shared and hal_ctx_create; the failing one returns
 * NULL or -resourceExhausted and changes nothing. Only that one fails. */
void fake_hal_fail_alloc_at(long n);
/* Allocations attempted since the last fake_hal_fail_alloc_at or reset. */
unsigned long fake_hal_alloc_calls(void);

/* ------------------------------------------------------------ misuse
 *
 * Calls that break hal.h's contract and can only come from a kernel bug:
 * freeing kernel pages that are not allocated or with the wrong count,
 * using an address space or context that does not exist (any more),
 * mapping a size that is zero or not a multiple of HAL_PAGE_SIZE, unknown
 * protection bits, a context stack that is not 16-byte aligned. Each is
 * counted and described; the call then fails (or does nothing) safely. */
unsigned fake_hal_misuse_count(void);
const char *fake_hal_last_misuse(void);   /* "" if none */
/* Abort on the first misuse instead (what a fuzzer wants). */
void fake_hal_set_abort_on_misuse(bool on);

#endif /* TESTS_UNIT_FAKE_HAL_H */
