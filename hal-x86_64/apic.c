/*
 * apic.c - interrupt controllers: the legacy 8259 PICs (remapped away from
 * the exception vectors and masked for good), the local APIC (its timer is
 * the one-shot timer; see time.c) and the I/O APIC (COM1's interrupt).
 *
 * Fixed PC addresses: the I/O APIC at 0xfec00000 and ISA IRQ 4 wired to its
 * input 4, as on QEMU's pc and q35 machines (their ACPI tables override only
 * IRQ 0). Reading the MADT instead is left for real hardware.
 */
#include "io.h"
#include "x86.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1

#define IOAPIC_PHYS 0xfec00000ull
#define IOAPIC_REDIR(n) (0x10u + 2u * (n))

#define LAPIC_ID 0x020
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_COUNT 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LAPIC_ENABLE (1u << 8)
#define LAPIC_MASKED (1u << 16)
#define LAPIC_BASE_ENABLE (1ull << 11)
#define LAPIC_DIV_16 0x3u

static volatile uint32_t *lapic_reg(uint32_t off) { return (volatile uint32_t *)(MMIO_LAPIC + off); }
static uint32_t lapic_read(uint32_t off) { return *lapic_reg(off); }
static void lapic_write(uint32_t off, uint32_t v) { *lapic_reg(off) = v; }

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)MMIO_IOAPIC = reg;
	*(volatile uint32_t *)(MMIO_IOAPIC + 0x10) = v;
}

/* Remap the PICs to VEC_PIC_BASE.. (a spurious IRQ 7/15 must not look like
 * an exception) and mask every line. */
static void pic_disable(void)
{
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, VEC_PIC_BASE);
	outb(PIC2_DATA, VEC_PIC_BASE + 8);
	outb(PIC1_DATA, 4);
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, 1);
	outb(PIC2_DATA, 1);
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
}

void apic_init(void)
{
	pic_disable();
	uint64_t base = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, base | LAPIC_BASE_ENABLE);
	paging_map_mmio(MMIO_LAPIC, base & PTE_ADDR);
	paging_map_mmio(MMIO_IOAPIC, IOAPIC_PHYS);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LAPIC_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LAPIC_MASKED);
	lapic_write(LAPIC_SVR, LAPIC_ENABLE | VEC_SPURIOUS);
	lapic_write(LAPIC_TIMER_DIV, LAPIC_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot, unmasked */
	lapic_write(LAPIC_TIMER_INIT, 0);
	for (unsigned irq = 0; irq < 24; irq++)
		ioapic_write(IOAPIC_REDIR(irq), LAPIC_MASKED);
}

void apic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

void apic_timer_start(uint32_t ticks) { lapic_write(LAPIC_TIMER_INIT, ticks); }

uint32_t apic_timer_count(void) { return lapic_read(LAPIC_TIMER_COUNT); }

void ioapic_route(unsigned irq, unsigned vector)
{
	uint32_t apic_id = lapic_read(LAPIC_ID) >> 24;
	/* Fixed delivery, physical destination, edge-triggered, active high. */
	ioapic_write(IOAPIC_REDIR(irq) + 1, apic_id << 24);
	ioapic_write(IOAPIC_REDIR(irq), vector);
}
