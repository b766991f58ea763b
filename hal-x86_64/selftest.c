/*
 * selftest.c - proof that the protections this HAL turns on hold in kernel
 * mode too, where no demo can reach. Run only when the kernel command line
 * names one (tools/qemu-selftest.sh boots each): the HAL then does one thing
 * the CPU must refuse, before the kernel boots. The expected end is a
 * kernel-mode fault, reported by panic.c with its registers (status 121);
 * if the CPU lets the access through, the self-test says so and the run
 * ends with status 125.
 *
 *   selftest=smap    the kernel reads a user page          #PF, error 0x1
 *   selftest=smep    the kernel executes a user page       #PF, error 0x11
 *   selftest=nx      the kernel executes the direct map    #PF, error 0x11
 *   selftest=wp      the kernel writes its own text        #PF, error 0x3
 *   selftest=stack   the kernel stack overflows            double fault (IST1)
 *   selftest=kpanic  the kernel's own kpanic               its message, then registers
 */
#include "hal.h"
#include "kernel.h"
#include "x86.h"

extern char x86_text_start[];

/* A user page holding `ret`, in a fresh address space made current. */
static uint64_t user_page(uint32_t prot)
{
	struct hal_as *as;
	uint64_t uva;
	static const uint8_t ret = 0xc3;
	if (hal_as_create(&as) || hal_as_map(as, PAGE, HAL_PROT_READ | HAL_PROT_WRITE, &uva) ||
	    hal_as_write(as, uva, &ret, 1) || hal_as_protect(as, uva, PAGE, prot))
		x86_fatal("self-test: cannot map a user page");
	as_activate(as);
	return uva;
}

/* Deep enough to run through 128 KiB; the condition only keeps the
 * compiler from calling the recursion infinite. */
static uint64_t recurse(volatile uint64_t *prev, uint64_t depth)
{
	volatile uint64_t frame[64];
	frame[0] = depth + (prev ? prev[0] : 0);
	if (depth == UINT64_MAX)
		return frame[0];
	return recurse(frame, depth + 1) + frame[0];
}

static _Noreturn void survived(const char *what)
{
	x86_log("self-test %s: FAILED: the CPU allowed it", what);
	x86_exit(X86_EXIT_INTERNAL);
}

void selftest_run(const struct boot_info *bi)
{
	if (boot_cmdline_has(bi, "selftest=smap")) {
		x86_log("self-test smap: the kernel reads a user page");
		(void)*(volatile uint8_t *)user_page(HAL_PROT_READ);
		survived("smap");
	}
	if (boot_cmdline_has(bi, "selftest=smep")) {
		x86_log("self-test smep: the kernel executes a user page");
		((void (*)(void))user_page(HAL_PROT_READ | HAL_PROT_EXEC))();
		survived("smep");
	}
	if (boot_cmdline_has(bi, "selftest=nx")) {
		x86_log("self-test nx: the kernel executes a page of the direct map");
		uint8_t *page = hal_page_alloc(1);
		page[0] = 0xc3;
		((void (*)(void))page)();
		survived("nx");
	}
	if (boot_cmdline_has(bi, "selftest=wp")) {
		x86_log("self-test wp: the kernel writes its own text");
		*(volatile uint8_t *)x86_text_start = 0xcc;
		survived("wp");
	}
	if (boot_cmdline_has(bi, "selftest=stack")) {
		x86_log("self-test stack: the kernel stack overflows into its guard page");
		recurse(NULL, 0);
		survived("stack");
	}
	if (boot_cmdline_has(bi, "selftest=kpanic"))
		kpanic("self-test: the kernel's own panic");
}
