/*
 * main.c - booting the portable kernel on x86_64, and ending the system.
 *
 * boot.S calls x86_main in long mode on the kernel stack. The order below
 * matters: the console first (so anything after can complain), the boot
 * information before anything allocates memory over it, the frame allocator
 * before the page tables it builds, the page tables before anything that
 * maps device registers, the IDT before interrupts, the clock before the
 * kernel asks the time. Then the kernel boots from the manifest module and
 * the CPU leaves for user mode; it comes back only through traps.
 *
 * When the kernel says the system has ended, x86_system_end maps its exit
 * status to capos-sim's, releases everything (kernel_shutdown), checks that
 * every physical frame came back, and stops QEMU with that status.
 */
#include "ctx.h"
#include "hal.h"
#include "kernel.h"
#include "x86.h"

/* kernel.ld */
extern char x86_image_start_phys[], x86_bss_end_phys[], x86_kstack_bottom[], x86_kstack_top[];

#define STACK_PAINT 0x5ca1ab1e5ca1ab1eull

/* What the boot loader gave us. Set once by x86_main. */
static struct boot_info boot;
/* Page-table frames the kernel's own tables hold: all that may remain in
 * use at shutdown besides the gate page. */
static uint64_t boot_tables;

_Noreturn void x86_main(uint32_t magic, uint32_t info);

/* Paint the unused kernel stack, so that shutdown can say how deep it ever
 * got (the debug channel: "kernel stack: N bytes used"). */
static void stack_paint(void)
{
	uint64_t *p = (uint64_t *)x86_kstack_bottom;
	uint64_t *below = (uint64_t *)__builtin_frame_address(0) - 64;
	while (p < below)
		*p++ = STACK_PAINT;
}

static uint64_t stack_used(void)
{
	const uint64_t *p = (const uint64_t *)x86_kstack_bottom;
	while (p < (const uint64_t *)x86_kstack_top && *p == STACK_PAINT)
		p++;
	return (uint64_t)(x86_kstack_top - (const char *)p);
}

_Noreturn void x86_main(uint32_t magic, uint32_t info)
{
	stack_paint();
	serial_init();
	cpu_detect();
	const char *why = multiboot_read(magic, info, &boot);
	if (why)
		x86_fatal("%s", why);
	if (!cpu_has.nx)
		x86_fatal("this CPU has no NX bit: W^X cannot be enforced");
	frame_init(&boot, (uint64_t)x86_image_start_phys, (uint64_t)x86_bss_end_phys);
	paging_init();
	cpu_init();
	fpu_init();
	apic_init();
	time_init();
	gate_init();
	serial_enable_irq();
	boot_tables = frame_in_use(FRAME_TABLE);
	x86_debug("capOS x86_64: RAM up to 0x%llx, NX %d, SMEP %d, SMAP %d, XSAVE %d (%u bytes)",
	          (unsigned long long)frame_ram_top(), cpu_has.nx, cpu_has.smep, cpu_has.smap, cpu_has.xsave,
	          fpu_area_bytes());

	selftest_run(&boot);

	if (!boot.module_end) {
		x86_log("no manifest: boot with the manifest as the first module (qemu -initrd manifest.bin)");
		x86_exit(X86_EXIT_BAD_MANIFEST);
	}
	struct kernel_config config = {
		.trace = boot_cmdline_has(&boot, "trace"),
		.check_ledger = true,
	};
	const void *manifest = phys_to_virt(boot.module_start);
	x86_enter_user(kernel_boot(manifest, (size_t)(boot.module_end - boot.module_start), &config));
}

/* The same statuses as capos-sim (sim/main.c, docs/host-hal.md). */
static int exit_status(struct kernel_exit e)
{
	switch (e.kind) {
	case KERNEL_EXIT_INIT:
		return e.code & 0xff;
	case KERNEL_EXIT_INIT_FAULT:
		return X86_EXIT_INIT_FAULT;
	case KERNEL_EXIT_BAD_MANIFEST:
		return X86_EXIT_BAD_MANIFEST;
	case KERNEL_EXIT_DEADLOCK:
		return X86_EXIT_DEADLOCK;
	case KERNEL_EXIT_PANIC:
		return X86_EXIT_PANIC;
	case KERNEL_EXIT_NO_MEMORY:
		return X86_EXIT_INTERNAL;
	}
	return X86_EXIT_INTERNAL;
}

/* After kernel_shutdown every frame handed out since boot must be back:
 * nothing of the kernel's heap, no user page, no FrameAllocator frame, and
 * of the HAL's own only the gate page and the kernel's tables. */
static bool frames_balance(void)
{
	uint64_t kernel = frame_in_use(FRAME_KERNEL), user = frame_in_use(FRAME_USER), cap = frame_in_use(FRAME_CAP);
	uint64_t hal = frame_in_use(FRAME_HAL), tables = frame_in_use(FRAME_TABLE);
	if (!kernel && !user && !cap && hal == 1 && tables == boot_tables)
		return true;
	x86_log("ledger: frames not returned: kernel heap %llu, user %llu, FrameAllocator %llu, "
	        "contexts/spaces %llu, page tables %llu",
	        (unsigned long long)kernel, (unsigned long long)user, (unsigned long long)cap,
	        (unsigned long long)(hal - 1), (unsigned long long)(tables - boot_tables));
	return false;
}

_Noreturn void x86_system_end(void)
{
	as_activate(NULL);
	x86_current = NULL;
	int status = exit_status(kernel_exit_status());
	size_t leaked = kernel_shutdown();
	x86_debug("kernel stack: %llu of %llu bytes used at most", (unsigned long long)stack_used(),
	          (unsigned long long)(x86_kstack_top - x86_kstack_bottom));
	if (leaked || !frames_balance())
		status = X86_EXIT_INTERNAL; /* the ledger did not balance (it said how) */
	x86_exit(status);
}
