/*
 * cpu.c - the CPU's own tables and switches: what the processor supports,
 * the GDT with its TSS, the IDT, the syscall MSRs, and the control-register
 * bits that make user memory untouchable (SMEP, SMAP) and kernel memory
 * unwritable (WP).
 *
 * One CPU. The TSS gives the CPU the one kernel stack to switch to when an
 * interrupt or exception arrives from user mode (rsp0), and separate stacks
 * for the double fault, NMI and machine check (IST1-3), which can arrive
 * when the kernel stack is unusable (overflowed into its guard page) or in
 * the instant after sysret has loaded the user's rsp.
 */
#include "ctx.h"
#include "io.h"
#include "x86.h"

#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_NXE (1ull << 11)

/* RFLAGS cleared on `syscall`: interrupts stay off in the kernel, string
 * operations go forwards, no single-stepping, no nested task, IOPL 0 and
 * alignment checks off (AC would also lift SMAP). */
#define FMASK_BITS 0x47700ull

struct cpu_features cpu_has;

void cpu_detect(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	uint32_t max_leaf = r[0];
	cpuid(1, 0, r);
	cpu_has.xsave = (r[2] >> 26) & 1;
	cpu_has.pge = (r[3] >> 13) & 1;
	if (max_leaf >= 7) {
		cpuid(7, 0, r);
		cpu_has.smep = (r[1] >> 7) & 1;
		cpu_has.smap = (r[1] >> 20) & 1;
	}
	/* boot.S turned NXE on if CPUID said so. */
	cpu_has.nx = (rdmsr(MSR_EFER) & EFER_NXE) != 0;
}

/* ------------------------------------------------------------ GDT and TSS */

struct __attribute__((packed)) tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss) == 104, "TSS layout");
_Static_assert(offsetof(struct tss, ist) == 36, "TSS layout");

struct __attribute__((packed)) table_ptr {
	uint16_t limit;
	uint64_t base;
};

static struct tss tss;
static uint64_t gdt[7] = {
	0,
	0x00af9a000000ffffull, /* SEL_KCODE: 64-bit code, DPL 0 */
	0x00cf92000000ffffull, /* SEL_KDATA */
	0x00cff2000000ffffull, /* SEL_UDATA: DPL 3 */
	0x00affa000000ffffull, /* SEL_UCODE: 64-bit code, DPL 3 */
	0, 0,                  /* SEL_TSS: a 16-byte system descriptor, filled in below */
};
_Static_assert(SEL_TSS == 5 * 8 && SEL_UCODE == 4 * 8 && SEL_UDATA == 3 * 8, "GDT layout");

static uint8_t ist_stacks[3][IST_STACK_BYTES] __attribute__((aligned(16)));

extern char x86_kstack_top[];

static void gdt_init(void)
{
	uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;
	tss.rsp[0] = (uint64_t)x86_kstack_top;
	for (int i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)ist_stacks[i] + IST_STACK_BYTES;
	tss.iomap_base = sizeof(tss); /* no I/O bitmap: user mode may use no port */
	gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
	         (((base >> 24) & 0xff) << 56);
	gdt[6] = base >> 32;
	struct table_ptr p = { sizeof(gdt) - 1, (uint64_t)gdt };
	/* Load the GDT, reload CS with a far return, then the data segments
	 * (DS/ES/FS/GS null: 64-bit mode does not use them) and the TSS. */
	__asm__ volatile("lgdt %0\n\t"
	                 "pushq %1\n\t"
	                 "leaq 1f(%%rip), %%rax\n\t"
	                 "pushq %%rax\n\t"
	                 "lretq\n"
	                 "1:\n\t"
	                 "movw %w2, %%ss\n\t"
	                 "xorl %%eax, %%eax\n\t"
	                 "movw %%ax, %%ds\n\t"
	                 "movw %%ax, %%es\n\t"
	                 "movw %%ax, %%fs\n\t"
	                 "movw %%ax, %%gs\n\t"
	                 "ltr %w3"
	                 :
	                 : "m"(p), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS)
	                 : "rax", "memory");
}

/* ------------------------------------------------------------ IDT */

struct __attribute__((packed)) idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT layout");

static struct idt_gate idt[256];

/* entry.S: one stub per vector it handles (0 where there is none). */
extern const uint64_t x86_vector_stubs[256];

static void set_gate(unsigned vec, uint64_t handler, unsigned dpl, unsigned ist)
{
	idt[vec] = (struct idt_gate){
		.off_lo = (uint16_t)handler,
		.sel = SEL_KCODE,
		.ist = (uint8_t)ist,
		.type = (uint8_t)(0x8e | (dpl << 5)), /* present, 64-bit interrupt gate: IF cleared on entry */
		.off_mid = (uint16_t)(handler >> 16),
		.off_hi = (uint32_t)(handler >> 32),
	};
}

static void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		if (!x86_vector_stubs[v])
			continue;
		/* int3 may be used from user mode (a breakpoint, as on Linux);
		 * every other vector only by the hardware. */
		unsigned dpl = v == 3 ? 3 : 0;
		unsigned ist = v == 8 ? 1 : v == 2 ? 2 : v == 18 ? 3 : 0;
		set_gate(v, x86_vector_stubs[v], dpl, ist);
	}
	struct table_ptr p = { sizeof(idt) - 1, (uint64_t)idt };
	__asm__ volatile("lidt %0" ::"m"(p));
}

/* ------------------------------------------------------------ syscall */

extern char x86_syscall_entry[];

static void syscall_init(void)
{
	/* sysret: CS = STAR[63:48] + 16, SS = STAR[63:48] + 8 (both | 3). */
	wrmsr(MSR_STAR, ((uint64_t)(SEL_UDATA - 8) << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)x86_syscall_entry);
	wrmsr(MSR_FMASK, FMASK_BITS);
	/* The kernel uses neither FS nor GS; user code cannot change either
	 * (no FSGSBASE), so there is nothing to swap. */
	wrmsr(MSR_GS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void cpu_init(void)
{
	gdt_init();
	idt_init();
	syscall_init();
	uint64_t cr4 = read_cr4();
	if (cpu_has.smep)
		cr4 |= CR4_SMEP;
	if (cpu_has.smap)
		cr4 |= CR4_SMAP;
	write_cr4(cr4);
}
