/*
 * x86.h - the pieces the x86_64 hardware layer's files share. The kernel
 * sees only kernel/hal.h; nothing here is visible to it.
 *
 * One file per job: main.c boots, multiboot.c reads what the loader gave us,
 * frame.c owns physical memory, paging.c the kernel's page tables, as.c the
 * processes' address spaces, uaccess.c the kernel's copies into them,
 * cpu.c the GDT/TSS/IDT and control registers, fpu.c the FPU state, ctx.c
 * user contexts, entry.S and trap.c the ways into the kernel, apic.c and
 * time.c interrupts and time, serial.c the console, panic.c the ways the
 * machine stops, selftest.c the protection self-tests.
 * docs/boot-x86_64.md describes it.
 */
#ifndef HAL_X86_64_X86_H
#define HAL_X86_64_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen/capos.capnp.h" /* the ErrorCode values hal.h functions return */
#include "layout.h"

#define PAGE 4096ull
#define HAL_ERR(name) (-(int)CAPOS_ERROR_CODE_##name)

/* ------------------------------------------------------------ boot information (multiboot.c) */

#define BOOT_MAX_REGIONS 32
#define BOOT_CMDLINE_MAX 256

struct boot_region {
	uint64_t base, len; /* usable RAM */
};

struct boot_info {
	struct boot_region ram[BOOT_MAX_REGIONS];
	unsigned nram;
	uint64_t module_start, module_end; /* the manifest (physical); 0, 0 if none */
	char cmdline[BOOT_CMDLINE_MAX];
};

/* Read the multiboot (v1) information at physical `info`. NULL, or why not. */
const char *multiboot_read(uint32_t magic, uint32_t info, struct boot_info *out);
/* Is the word `word` on the kernel command line? */
bool boot_cmdline_has(const struct boot_info *bi, const char *word);

/* ------------------------------------------------------------ physical memory (frame.c) */

static inline void *phys_to_virt(uint64_t pa) { return (void *)(pa + DIRECT_MAP); }
static inline uint64_t virt_to_phys(const void *va) { return (uint64_t)va - DIRECT_MAP; }

/* Who holds a frame, for the ledger printed at shutdown. */
enum frame_use {
	FRAME_KERNEL,   /* hal_page_alloc: the kernel's heap */
	FRAME_HAL,      /* contexts, address-space records, the gate page */
	FRAME_TABLE,    /* page tables */
	FRAME_USER,     /* pages mapped into processes */
	FRAME_CAP,      /* hal_frame_alloc: the FrameAllocator capability */
	FRAME_USES,
};

void frame_init(const struct boot_info *bi, uint64_t kernel_start, uint64_t kernel_end);
/* `count` contiguous free frames, zeroed, at *pa; false if there are none. */
bool frame_alloc(uint32_t count, enum frame_use use, uint64_t *pa);
void frame_free(uint64_t pa, uint32_t count, enum frame_use use);
uint64_t frame_in_use(enum frame_use use);
/* The end of usable RAM (what the direct map covers). */
uint64_t frame_ram_top(void);
/* Until paging.c has mapped all of RAM, frames come from the first GiB
 * only (the boot tables' direct map); this lifts the limit. */
void frame_direct_map_ready(void);

/* ------------------------------------------------------------ page tables (paging.c) */

#define PTE_P (1ull << 0)
#define PTE_W (1ull << 1)
#define PTE_U (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_PS (1ull << 7)
#define PTE_G (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
/* Software bits (ignored by the MMU, kept even when P is clear). */
#define PTE_MAPPED (1ull << 9)   /* a page the kernel mapped (counted; its frame is owned) */
#define PTE_LAZY (1ull << 10)    /* ... whose frame is not allocated yet (demand-zero) */
#define PTE_PROT_SHIFT 52        /* bits 52-54: the HAL_PROT_* the kernel asked for */
#define PTE_PROT_MASK (7ull << PTE_PROT_SHIFT)

/* The kernel's top-level table (physical), whose upper half every address
 * space shares. */
extern uint64_t paging_kernel_pml4;
void paging_init(void);
/* The 4 KiB entry for `va` under `pml4` (physical), creating the tables on
 * the way if `create` (counted as FRAME_TABLE; user-accessible in the lower
 * half). NULL if a table is missing (or could not be allocated). */
uint64_t *paging_pte(uint64_t pml4, uint64_t va, bool create);
/* Map one page of device registers at `va` (kernel half, uncached). */
void paging_map_mmio(uint64_t va, uint64_t pa);
/* Free every table below pml4[0..255] and the frames of the pages mapped
 * PTE_MAPPED there; returns the number of such pages. */
uint64_t paging_free_user(uint64_t pml4);

/* ------------------------------------------------------------ address spaces (as.c, uaccess.c) */

struct hal_as;
struct hal_ctx;
void gate_init(void);
/* Make `as` the current address space (CR3), if it is not already. */
void as_activate(struct hal_as *as);
/* Does [addr, addr+len) lie in user memory `as` maps with all of `prot`? */
bool as_range_ok(struct hal_as *as, uint64_t addr, uint64_t len, uint32_t prot);
/* The PTE of a page the kernel mapped in `as` (PTE_MAPPED), or NULL. */
uint64_t *as_pte(struct hal_as *as, uint64_t va);
/* The HAL_PROT_* bits a mapped page was given. */
uint32_t as_pte_prot(uint64_t pte);
/* Give a lazy page its (zeroed) frame; false when memory is exhausted. */
bool as_populate(uint64_t *pte);
/* A user page fault at `addr` (error code `err`): if it is the first touch
 * of a lazy page that allows the access, give it its frame and return true
 * (the access is retried). uaccess.c. */
bool as_fault_in(struct hal_as *as, uint64_t addr, uint64_t err);

/* ------------------------------------------------------------ the CPU (cpu.c, fpu.c) */

struct cpu_features {
	bool nx, smep, smap, xsave, pge;
};
extern struct cpu_features cpu_has;

void cpu_detect(void);
/* GDT, TSS, IDT, syscall MSRs, and the control-register bits (SMEP, SMAP). */
void cpu_init(void);

void fpu_init(void);
/* Give the CPU's FPU to ctx (saving the previous owner's state first). */
void fpu_switch(struct hal_ctx *ctx);
/* ctx is going away: its state in the CPU, if any, belongs to nobody. */
void fpu_forget(struct hal_ctx *ctx);
/* Bytes a context's FPU area needs, and its initial contents. */
uint32_t fpu_area_bytes(void);
void fpu_init_area(uint8_t *area);

/* ------------------------------------------------------------ interrupts and time (apic.c, time.c) */

void apic_init(void);
void apic_eoi(void);
/* The local APIC timer: one shot after `ticks` (0 stops it). */
void apic_timer_start(uint32_t ticks);
uint32_t apic_timer_count(void);
/* Send ISA interrupt `irq` to `vector` on this CPU (through the I/O APIC). */
void ioapic_route(unsigned irq, unsigned vector);

void time_init(void);
/* The timer interrupt: is the kernel's deadline (hal_timer_arm) due? If not
 * yet (it fired early), it is re-armed for the rest. */
bool time_deadline_due(void);

/* ------------------------------------------------------------ the console (serial.c) */

void serial_init(void);
void serial_enable_irq(void);
/* The serial interrupt: move received bytes into the input buffer. */
void serial_irq(void);
/* Output that bypasses everything (panics, early boot). */
void serial_write(const char *s, size_t len);

/* ------------------------------------------------------------ stopping (panic.c) */

/* Statuses QEMU reports through isa-debug-exit; tools/qemu-run.sh turns
 * them back into the capos-sim exit statuses of the same names. */
#define X86_EXIT_BAD_MANIFEST 120
#define X86_EXIT_PANIC 121
#define X86_EXIT_DEADLOCK 123
#define X86_EXIT_INIT_FAULT 124
#define X86_EXIT_INTERNAL 125

/* Print on the console (serial) with the "[x86] " prefix. */
void x86_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line on the debug channel (QEMU's debugcon). */
void x86_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Stop QEMU with `status` (isa-debug-exit), or halt forever. */
_Noreturn void x86_exit(int status);
/* The hardware layer itself cannot go on: say why and stop (status 121). */
_Noreturn void x86_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct x86_trap_frame;
/* An exception in kernel mode: dump the frame and stop (status 121). */
_Noreturn void x86_kernel_fault(const struct x86_trap_frame *tf);

/* Run the protection self-test the command line names, if any (selftest.c);
 * returns only if none is named. */
void selftest_run(const struct boot_info *bi);

/* ------------------------------------------------------------ traps (trap.c, main.c) */

void x86_trap(struct x86_trap_frame *tf);
_Noreturn void x86_syscall_c(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2);
/* The kernel said the system has ended: report and stop. */
_Noreturn void x86_system_end(void);

#endif /* HAL_X86_64_X86_H */
