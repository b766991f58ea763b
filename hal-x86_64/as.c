/*
 * as.c - processes' address spaces: 4-level page tables, one set per
 * process, whose upper half is the kernel's (shared, never user-accessible).
 *
 * Layout: user mappings are handed out upwards from USER_BASE, each followed
 * by an unmapped guard page, never reused while the space lives (128 TiB go
 * a long way). Every space is laid out the same way from the same start, so
 * two processes running the same binary see the same addresses, each for
 * its own memory. The gate page sits at USER_GATE in every space.
 *
 * A page the kernel mapped carries PTE_MAPPED and the protection it asked
 * for in software bits, whether or not the MMU may touch it (protection 0
 * pages are mapped but not present). Memory is given its frame when first
 * touched (PTE_LAZY until then: demand-zero, like the simulator's mmap), so
 * a 4 MiB heap costs what the process uses of it; shared mappings (rings,
 * CapSet pages) get theirs at once, the kernel writes them through the
 * direct map. uaccess.c does the checked copies and the first touches.
 */
#include "ctx.h"
#include "hal.h"
#include "io.h"
#include "x86.h"

struct hal_as {
	uint64_t pml4;  /* physical */
	uint64_t next;  /* where the next mapping goes */
	uint64_t pages; /* pages mapped for the kernel (what hal_as_destroy reports) */
};

/* The address space in CR3 (NULL: the kernel's own). Owned by the HAL. */
static struct hal_as *as_current;
/* The gate page (physical), mapped read+exec into every space. */
static uint64_t gate_frame;

/* entry.S: the gate's code, copied into the gate page. */
extern const char x86_gate_stub[], x86_gate_stub_end[];

void gate_init(void)
{
	if (!frame_alloc(1, FRAME_HAL, &gate_frame))
		x86_fatal("no memory for the gate page");
	uint8_t *p = phys_to_virt(gate_frame);
	__builtin_memset(p, 0xcc, PAGE); /* int3 around the stub */
	__builtin_memcpy(p, x86_gate_stub, (size_t)(x86_gate_stub_end - x86_gate_stub));
}

void as_activate(struct hal_as *as)
{
	if (as == as_current)
		return;
	write_cr3(as ? as->pml4 : paging_kernel_pml4);
	as_current = as;
}

/* Flush a page's translation if `as` is live in the TLB (only the current
 * space is: switching CR3 drops all non-global entries). */
static void flush(struct hal_as *as, uint64_t va)
{
	if (as == as_current)
		invlpg(va);
}

static bool prot_ok(uint32_t prot)
{
	if (prot & ~(uint32_t)(HAL_PROT_READ | HAL_PROT_WRITE | HAL_PROT_EXEC))
		return false;
	/* W^X: no page is ever writable and executable at once. */
	return (prot & (HAL_PROT_WRITE | HAL_PROT_EXEC)) != (HAL_PROT_WRITE | HAL_PROT_EXEC);
}

/* The entry for a mapped page: frame `pa` (none if lazy), protection `prot`. */
static uint64_t pte_make(uint64_t pa, uint32_t prot, bool lazy)
{
	uint64_t f = PTE_MAPPED | PTE_U | ((uint64_t)prot << PTE_PROT_SHIFT);
	if (lazy)
		return f | PTE_LAZY; /* not present: the first touch faults it in */
	if (prot)
		f |= PTE_P; /* x86 cannot say "present but no access" to user mode */
	if (prot & HAL_PROT_WRITE)
		f |= PTE_W;
	if (!(prot & HAL_PROT_EXEC) && cpu_has.nx)
		f |= PTE_NX;
	return pa | f;
}

uint32_t as_pte_prot(uint64_t pte) { return (uint32_t)((pte & PTE_PROT_MASK) >> PTE_PROT_SHIFT); }

uint64_t *as_pte(struct hal_as *as, uint64_t va)
{
	uint64_t *pte = paging_pte(as->pml4, va, false);
	return pte && (*pte & PTE_MAPPED) ? pte : NULL;
}

bool as_populate(uint64_t *pte)
{
	uint64_t pa;
	if (!(*pte & PTE_LAZY))
		return true;
	if (!frame_alloc(1, FRAME_USER, &pa))
		return false;
	/* Not present before, so no stale translation to flush. */
	*pte = pte_make(pa, as_pte_prot(*pte), false);
	return true;
}

bool as_range_ok(struct hal_as *as, uint64_t addr, uint64_t len, uint32_t prot)
{
	if (!as || addr + len < addr)
		return false;
	if (len == 0)
		return true; /* as in hal-host: an empty range is always fine */
	if (addr + len > USER_TOP)
		return false;
	for (uint64_t va = addr & ~(PAGE - 1); va < addr + len; va += PAGE) {
		uint64_t *pte = as_pte(as, va);
		if (!pte || (as_pte_prot(*pte) & prot) != prot)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ hal.h: spaces */

int hal_as_create(struct hal_as **out)
{
	uint64_t rec, pml4;
	if (!frame_alloc(1, FRAME_HAL, &rec))
		return HAL_ERR(RESOURCE_EXHAUSTED);
	if (!frame_alloc(1, FRAME_TABLE, &pml4)) {
		frame_free(rec, 1, FRAME_HAL);
		return HAL_ERR(RESOURCE_EXHAUSTED);
	}
	struct hal_as *as = phys_to_virt(rec);
	*as = (struct hal_as){ .pml4 = pml4, .next = USER_BASE };
	uint64_t *k = phys_to_virt(paging_kernel_pml4), *u = phys_to_virt(pml4);
	for (unsigned i = 256; i < 512; i++)
		u[i] = k[i];
	uint64_t *gate = paging_pte(pml4, USER_GATE, true);
	if (!gate) {
		hal_as_destroy(as);
		return HAL_ERR(RESOURCE_EXHAUSTED);
	}
	*gate = gate_frame | PTE_P | PTE_U; /* read+exec; not PTE_MAPPED: not the kernel's to count */
	*out = as;
	return 0;
}

size_t hal_as_destroy(struct hal_as *as)
{
	if (!as)
		return 0;
	if (as == as_current)
		as_activate(NULL); /* it may be the space we are running in */
	uint64_t freed = paging_free_user(as->pml4);
	if (freed != as->pages)
		x86_fatal("address space %p: %llu pages mapped but %llu counted", (void *)as,
		          (unsigned long long)freed, (unsigned long long)as->pages);
	size_t pages = (size_t)as->pages;
	frame_free(as->pml4, 1, FRAME_TABLE);
	frame_free(virt_to_phys(as), 1, FRAME_HAL);
	return pages;
}

/* Unmap [va, va+size), freeing the frames; every page must be mapped. */
static void unmap_pages(struct hal_as *as, uint64_t va, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += PAGE) {
		uint64_t *pte = as_pte(as, va + off);
		if (!(*pte & PTE_LAZY))
			frame_free(*pte & PTE_ADDR, 1, FRAME_USER);
		*pte = 0;
		flush(as, va + off);
		as->pages--;
	}
}

/* Map `size` bytes at as->next: lazily, or (contiguous) the frames from
 * *contiguous on, which stay the caller's to free if this fails. */
static int map_at_next(struct hal_as *as, uint64_t size, uint32_t prot, const uint64_t *contiguous, uint64_t *uva)
{
	if (size == 0 || size % PAGE || !prot_ok(prot))
		return HAL_ERR(INVALID_ARGUMENT);
	if (as->next >= USER_GATE - PAGE || size > USER_GATE - PAGE - as->next)
		return HAL_ERR(RESOURCE_EXHAUSTED); /* mappings and their guard pages stay below the gate */
	uint64_t va = as->next, off;
	for (off = 0; off < size; off += PAGE) {
		uint64_t *pte = paging_pte(as->pml4, va + off, true);
		if (!pte)
			break; /* no memory for a page table */
		*pte = contiguous ? pte_make(*contiguous + off, prot, false) : pte_make(0, prot, true);
		as->pages++;
	}
	if (off < size) {
		for (uint64_t o = 0; o < off; o += PAGE) {
			*as_pte(as, va + o) = 0; /* lazy, or the caller's frames */
			as->pages--;
		}
		return HAL_ERR(RESOURCE_EXHAUSTED);
	}
	as->next = va + size + PAGE; /* and a guard page */
	*uva = va;
	return 0;
}

int hal_as_map(struct hal_as *as, uint64_t size, uint32_t prot, uint64_t *uva)
{
	return map_at_next(as, size, prot, NULL, uva);
}

int hal_as_map_shared(struct hal_as *as, uint64_t size, uint32_t prot, uint64_t *uva, void **kva)
{
	/* Physically contiguous, so the kernel's pointer is one direct-map
	 * range; the frames are then owned page by page like any others. */
	uint64_t pa;
	if (size == 0 || size % PAGE || size / PAGE > UINT32_MAX)
		return HAL_ERR(INVALID_ARGUMENT);
	if (!frame_alloc((uint32_t)(size / PAGE), FRAME_USER, &pa))
		return HAL_ERR(RESOURCE_EXHAUSTED);
	int err = map_at_next(as, size, prot, &pa, uva);
	if (err) {
		frame_free(pa, (uint32_t)(size / PAGE), FRAME_USER);
		return err;
	}
	*kva = phys_to_virt(pa);
	return 0;
}

/* hal-host's rules for protect and unmap: whole pages, all of them mapped. */
static int check_cover(struct hal_as *as, uint64_t uva, uint64_t size)
{
	if (size == 0 || uva % PAGE || size % PAGE || uva + size < uva)
		return HAL_ERR(INVALID_ARGUMENT);
	return as_range_ok(as, uva, size, 0) ? 0 : HAL_ERR(BAD_ADDRESS);
}

int hal_as_protect(struct hal_as *as, uint64_t uva, uint64_t size, uint32_t prot)
{
	int err = check_cover(as, uva, size);
	if (err)
		return err;
	if (!prot_ok(prot))
		return HAL_ERR(INVALID_ARGUMENT);
	for (uint64_t va = uva; va < uva + size; va += PAGE) {
		uint64_t *pte = as_pte(as, va);
		*pte = pte_make(*pte & PTE_ADDR, prot, (*pte & PTE_LAZY) != 0);
		flush(as, va);
	}
	return 0;
}

int hal_as_unmap(struct hal_as *as, uint64_t uva, uint64_t size)
{
	int err = check_cover(as, uva, size);
	if (err)
		return err;
	unmap_pages(as, uva, size);
	return 0;
}
