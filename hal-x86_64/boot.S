/*
 * boot.S - from QEMU's multiboot loader to C, in long mode, in the higher half.
 *
 * QEMU's `-kernel` loads a multiboot (v1) image. It cannot load an ELF64
 * file, so the header below uses the "a.out kludge" (flag 16): the image is
 * a flat binary (objcopy -O binary of the linked ELF) and the header says
 * where it goes. Everything in this file is linked at its physical address
 * (kernel.ld puts .multiboot and .boot* first, at 1 MiB); the rest of the
 * kernel is linked at KERNEL_VMA + its physical address.
 *
 * The loader leaves us in 32-bit protected mode, paging off, eax = the
 * multiboot magic, ebx = the physical address of the multiboot information.
 * We turn on PAE paging with static tables that map the first GiB three
 * times (identity, so this code keeps running; at DIRECT_MAP; at KERNEL_VMA),
 * enable long mode (and NX, and syscall), and jump to x86_main on the kernel
 * stack. paging.c replaces these tables with the real ones at once.
 */
#include "layout.h"

#define MB_MAGIC 0x1badb002
#define MB_BOOTED_MAGIC 0x2badb002
/* Page-align modules, give us the memory map, use the address fields. */
#define MB_FLAGS ((1 << 0) | (1 << 1) | (1 << 16))

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define MSR_EFER 0xc0000080
#define DEBUG_EXIT_PORT 0xf4
#define COM1 0x3f8

	.section .multiboot, "a"
	.balign	4
mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
	.long	mb_header		/* header_addr */
	.long	KERNEL_PHYS		/* load_addr: the start of the file */
	.long	x86_load_end_phys	/* load_end_addr (kernel.ld) */
	.long	x86_bss_end_phys	/* bss_end_addr: the loader zeroes up to here */
	.long	x86_boot32		/* entry_addr */

	.section .boot.text, "ax"
	.code32
	.globl	x86_boot32
x86_boot32:
	cli
	cld
	movl	$boot_stack_top, %esp
	cmpl	$MB_BOOTED_MAGIC, %eax
	jne	no_multiboot
	movl	%eax, boot_magic
	movl	%ebx, boot_info

	/* Long mode is required; NX is used when present (cpu.c insists). */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	no_long_mode
	movl	$0x80000001, %eax
	cpuid
	testl	$(1 << 29), %edx
	jz	no_long_mode
	movl	%edx, %esi

	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$(EFER_LME | EFER_SCE), %eax
	testl	$(1 << 20), %esi
	jz	1f
	orl	$EFER_NXE, %eax
1:	wrmsr
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_WP | CR0_PE), %eax
	movl	%eax, %cr0
	lgdt	boot_gdt_ptr
	ljmp	$SEL_KCODE, $boot64

no_multiboot:
	movl	$msg_no_multiboot, %esi
	jmp	fail
no_long_mode:
	movl	$msg_no_long_mode, %esi
fail:	/* Say why on COM1 (usable without setup under QEMU) and stop QEMU. */
	movw	$COM1, %dx
2:	lodsb
	testb	%al, %al
	jz	3f
	outb	%al, %dx
	jmp	2b
3:	movw	$DEBUG_EXIT_PORT, %dx
	movl	$126, %eax		/* status 125 + 1 (panic.c: x86_exit) */
	outl	%eax, %dx
4:	hlt
	jmp	4b

	.code64
boot64:
	movw	$SEL_KDATA, %ax
	movw	%ax, %ss
	xorl	%eax, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %gs
	movabsq	$x86_kstack_top, %rsp
	movl	boot_magic, %edi
	movl	boot_info, %esi
	movabsq	$x86_main, %rax
	call	*%rax			/* x86_main(magic, info) never returns */
	ud2

	.section .boot.rodata, "a"
msg_no_multiboot:
	.asciz	"capOS: not started by a multiboot loader\n"
msg_no_long_mode:
	.asciz	"capOS: this CPU has no long mode\n"

	.section .boot.data, "aw"
	.balign	8
boot_magic:
	.long	0
boot_info:
	.long	0
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* SEL_KCODE: 64-bit code, ring 0 */
	.quad	0x00cf92000000ffff	/* SEL_KDATA */
boot_gdt_ptr:
	.word	boot_gdt_ptr - boot_gdt - 1
	.long	boot_gdt

	.balign	16
	.skip	1024
boot_stack_top:

	/* The boot page tables: one page directory of 2 MiB pages for the
	 * first GiB, reached from PML4 slots 0 (identity), 256 (DIRECT_MAP)
	 * and 511/510 (KERNEL_VMA). */
	.balign	4096
boot_pml4:
	.quad	boot_pdpt_low + 3
	.fill	255, 8, 0
	.quad	boot_pdpt_direct + 3
	.fill	254, 8, 0
	.quad	boot_pdpt_high + 3
boot_pdpt_low:
	.quad	boot_pd + 3
	.fill	511, 8, 0
boot_pdpt_direct:
	.quad	boot_pd + 3
	.fill	511, 8, 0
boot_pdpt_high:
	.fill	510, 8, 0
	.quad	boot_pd + 3
	.quad	0
boot_pd:
	.set	i, 0
	.rept	512
	.quad	(i << 21) | 0x83	/* present, writable, 2 MiB */
	.set	i, i + 1
	.endr

	.section .note.GNU-stack, "", @progbits
