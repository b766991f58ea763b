/*
 * paging.c - the kernel's page tables, and the 4-level walk every address
 * space uses.
 *
 * paging_init replaces boot.S's tables with the real ones: the direct map of
 * all RAM (2 MiB pages, writable, never executable), the kernel image in
 * 4 KiB pages with each section's own permissions (text read+exec, rodata
 * read-only, data and bss read+write, none executable and writable at once),
 * an unmapped guard page below the kernel stack, and a window for the APICs'
 * registers. Kernel mappings are global and live under PML4 slots 256 and
 * 511 only, both created here, so copying the upper half of the kernel's
 * PML4 into a new address space (as.c) shares all of them for good.
 */
#include "io.h"
#include "x86.h"

#define CR4_PGE (1ull << 7)
#define GIB (1ull << 30)
#define MIB2 (2ull << 20)

uint64_t paging_kernel_pml4;

/* kernel.ld */
extern char x86_text_start[], x86_text_end[], x86_rodata_start[], x86_rodata_end[];
extern char x86_data_start[], x86_data_end[];
extern char x86_kstack_guard[], x86_kstack_bottom[], x86_kstack_top[];

static uint64_t *table(uint64_t pa) { return phys_to_virt(pa); }
static unsigned index_at(uint64_t va, unsigned shift) { return (unsigned)(va >> shift) & 511u; }

static uint64_t nx(void) { return cpu_has.nx ? PTE_NX : 0; }

uint64_t *paging_pte(uint64_t pml4, uint64_t va, bool create)
{
	/* Upper levels allow everything their leaves allow; the leaf decides. */
	uint64_t up = PTE_P | PTE_W | (va < USER_TOP ? PTE_U : 0);
	uint64_t pa = pml4;
	for (unsigned shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &table(pa)[index_at(va, shift)];
		if (!(*e & PTE_P)) {
			uint64_t t;
			if (!create || !frame_alloc(1, FRAME_TABLE, &t))
				return NULL;
			*e = t | up;
		}
		if (*e & PTE_PS)
			return NULL; /* a large page (the direct map): no 4 KiB entry */
		pa = *e & PTE_ADDR;
	}
	return &table(pa)[index_at(va, 12)];
}

static void map_kernel_page(uint64_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pte = paging_pte(paging_kernel_pml4, va, true);
	if (!pte)
		x86_fatal("out of memory for the kernel's page tables");
	*pte = pa | flags | PTE_P | PTE_G;
}

void paging_map_mmio(uint64_t va, uint64_t pa)
{
	map_kernel_page(va, pa, PTE_W | PTE_PCD | PTE_PWT | nx());
	invlpg(va);
}

static uint64_t new_table(void)
{
	uint64_t pa;
	if (!frame_alloc(1, FRAME_TABLE, &pa))
		x86_fatal("out of memory for the kernel's page tables");
	return pa;
}

/* The 2 MiB at `pa` in the direct map as 4 KiB pages, so that the kernel's
 * text and rodata are read-only there too (W^X holds for every alias). */
static uint64_t direct_map_split(uint64_t pa)
{
	uint64_t text = (uint64_t)x86_text_start - KERNEL_VMA, rodata_end = (uint64_t)x86_rodata_end - KERNEL_VMA;
	uint64_t pt = new_table();
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t p = pa + i * PAGE;
		bool ro = p >= text && p < rodata_end;
		table(pt)[i] = p | PTE_P | PTE_G | nx() | (ro ? 0 : PTE_W);
	}
	return pt | PTE_P | PTE_W;
}

/* DIRECT_MAP + pa -> pa for all RAM, in 2 MiB pages (4 KiB where the kernel
 * image is). */
static void map_direct(void)
{
	uint64_t top = (frame_ram_top() + MIB2 - 1) & ~(MIB2 - 1);
	uint64_t image_end = (uint64_t)x86_rodata_end - KERNEL_VMA;
	uint64_t pdpt = new_table();
	table(paging_kernel_pml4)[index_at(DIRECT_MAP, 39)] = pdpt | PTE_P | PTE_W;
	for (uint64_t g = 0; g * GIB < top; g++) {
		uint64_t pd = new_table();
		table(pdpt)[g] = pd | PTE_P | PTE_W;
		for (uint64_t i = 0; i < 512 && g * GIB + i * MIB2 < top; i++) {
			uint64_t pa = g * GIB + i * MIB2;
			table(pd)[i] = pa < image_end ? direct_map_split(pa)
			                              : pa | PTE_P | PTE_W | PTE_PS | PTE_G | nx();
		}
	}
}

static void map_image_range(const char *start, const char *end, uint64_t flags)
{
	for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE) {
		if (va == (uint64_t)x86_kstack_guard)
			continue; /* a kernel stack overflow faults (and double-faults onto IST1) */
		map_kernel_page(va, va - KERNEL_VMA, flags);
	}
}

void paging_init(void)
{
	if (x86_kstack_top - x86_kstack_bottom != 128 * 1024 || x86_kstack_bottom - x86_kstack_guard != PAGE)
		x86_fatal("kernel.ld and paging.c disagree about the kernel stack");
	paging_kernel_pml4 = new_table();
	map_direct();
	/* PML4 slot 511 (the image and the MMIO window) must exist before the
	 * first address space copies the upper half. */
	map_image_range(x86_text_start, x86_text_end, 0);
	map_image_range(x86_rodata_start, x86_rodata_end, nx());
	map_image_range(x86_data_start, x86_data_end, PTE_W | nx());
	write_cr3(paging_kernel_pml4);
	if (cpu_has.pge)
		write_cr4(read_cr4() | CR4_PGE);
	frame_direct_map_ready();
}

/* Free the tables of one level below `pa` (level 3 = PDPT ... 1 = PT). */
static uint64_t free_level(uint64_t pa, unsigned level)
{
	uint64_t mapped = 0;
	uint64_t *t = table(pa);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = t[i];
		if (level == 1) {
			if (e & PTE_MAPPED) {
				if (!(e & PTE_LAZY))
					frame_free(e & PTE_ADDR, 1, FRAME_USER);
				mapped++;
			}
		} else if (e & PTE_P) {
			mapped += free_level(e & PTE_ADDR, level - 1);
		}
	}
	frame_free(pa, 1, FRAME_TABLE);
	return mapped;
}

uint64_t paging_free_user(uint64_t pml4)
{
	uint64_t mapped = 0;
	uint64_t *t = table(pml4);
	for (unsigned i = 0; i < 256; i++) {
		if (t[i] & PTE_P)
			mapped += free_level(t[i] & PTE_ADDR, 3);
		t[i] = 0;
	}
	return mapped;
}
