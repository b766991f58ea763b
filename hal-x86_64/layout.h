/*
 * layout.h - where things are, in virtual and physical memory, and the
 * segment selectors. Included by C and assembly (boot.S, entry.S, kernel.ld
 * repeats the first two values; a _Static_assert in paging.c ties them).
 *
 * Virtual memory (docs/boot-x86_64.md has the picture):
 *
 *   0x0000000000000000  unmapped (the first 16 MiB, so small pointers fault)
 *   0x0000000001000000  USER_BASE: each address space hands out user
 *                       mappings upwards from here, one unmapped guard page
 *                       after each (as.c)
 *   0x00007fffffe00000  USER_GATE: the gate page, read+exec, in every space
 *   0x0000800000000000  USER_TOP (non-canonical hole above)
 *   0xffff800000000000  DIRECT_MAP: all of RAM, 2 MiB pages, kernel only, NX
 *   0xffffffff80000000  KERNEL_VMA: the kernel image (linked at +1 MiB),
 *                       4 KiB pages with per-section permissions (W^X)
 *   0xffffffffc0000000  MMIO_BASE: local APIC and I/O APIC, uncached
 */
#ifndef HAL_X86_64_LAYOUT_H
#define HAL_X86_64_LAYOUT_H

#define KERNEL_VMA 0xffffffff80000000
#define KERNEL_PHYS 0x100000 /* where QEMU's multiboot loader puts the image */
#define DIRECT_MAP 0xffff800000000000
#define MMIO_BASE 0xffffffffc0000000
#define MMIO_LAPIC (MMIO_BASE + 0x0000)
#define MMIO_IOAPIC (MMIO_BASE + 0x1000)

#define USER_BASE 0x0000000001000000
#define USER_GATE 0x00007fffffe00000
#define USER_TOP 0x0000800000000000

/* The kernel stack (one: the kernel runs to completion on every entry) is
 * placed by kernel.ld: 128 KiB above an unmapped guard page. These are the
 * stacks for the double fault, NMI and machine check (IST 1-3). */
#define IST_STACK_BYTES (8 * 1024)

/* GDT selectors. STAR wants user data right below user code (sysret loads
 * SS = STAR[63:48] + 8 and CS = STAR[63:48] + 16). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18
#define SEL_UCODE 0x20
#define SEL_TSS 0x28
#define SEL_USER_SS (SEL_UDATA | 3)
#define SEL_USER_CS (SEL_UCODE | 3)

/* Interrupt vectors besides the 32 exceptions. The legacy PICs are remapped
 * to 0x20-0x2f and masked (their spurious interrupts are ignored). */
#define VEC_PIC_BASE 0x20
#define VEC_TIMER 0x30
#define VEC_SERIAL 0x31
#define VEC_SPURIOUS 0xff

#endif /* HAL_X86_64_LAYOUT_H */
