/*
 * uaccess.c - the kernel's only ways into user memory, and demand paging.
 *
 * The kernel never dereferences a user address. Every copy first checks the
 * whole range against the process's page tables (every page mapped by the
 * kernel, with the protection the copy needs, kept in the PTE's software
 * bits), then copies through the direct map. So a bad pointer is an error
 * value, never a kernel fault, and SMAP never has to be lifted (no
 * stac/clac). A lazy page (as.c) reads as zeros; writing it gives it its
 * frame first, as the process's own first touch would (as_fault_in).
 */
#include "hal.h"
#include "x86.h"

#define PF_WRITE (1u << 1)
#define PF_FETCH (1u << 4)
#define PF_PRESENT (1u << 0)

bool as_fault_in(struct hal_as *as, uint64_t addr, uint64_t err)
{
	if (err & PF_PRESENT || addr >= USER_TOP)
		return false; /* a protection violation, not a first touch */
	uint64_t *pte = as_pte(as, addr & ~(PAGE - 1));
	if (!pte || !(*pte & PTE_LAZY))
		return false;
	uint32_t need = err & PF_WRITE ? HAL_PROT_WRITE : err & PF_FETCH ? HAL_PROT_EXEC : HAL_PROT_READ;
	if (!(as_pte_prot(*pte) & need))
		return false;
	/* Out of memory: the process is faulted at this address. */
	return as_populate(pte);
}

/* Give every lazy page of a checked range its frame (before writing it). */
static bool populate_range(struct hal_as *as, uint64_t uva, size_t len)
{
	for (uint64_t va = uva & ~(PAGE - 1); va < uva + len; va += PAGE)
		if (!as_populate(as_pte(as, va)))
			return false;
	return true;
}

/* Copy between `buf` and a checked user range; lazy pages read as zeros
 * (writes populate the range first). */
static void copy_user(struct hal_as *as, uint64_t uva, uint8_t *buf, size_t len, bool to_user)
{
	while (len) {
		uint64_t off = uva % PAGE;
		size_t n = PAGE - off < len ? (size_t)(PAGE - off) : len;
		uint64_t pte = *as_pte(as, uva);
		if (pte & PTE_LAZY) {
			__builtin_memset(buf, 0, n);
		} else {
			uint8_t *k = phys_to_virt((pte & PTE_ADDR) + off);
			if (to_user)
				__builtin_memcpy(k, buf, n);
			else
				__builtin_memcpy(buf, k, n);
		}
		uva += n;
		buf += n;
		len -= n;
	}
}

int hal_copy_from_user(struct hal_as *as, void *dst, uint64_t src, size_t len)
{
	if (!as_range_ok(as, src, len, HAL_PROT_READ))
		return HAL_ERR(BAD_ADDRESS);
	copy_user(as, src, dst, len, false);
	return 0;
}

int hal_copy_to_user(struct hal_as *as, uint64_t dst, const void *src, size_t len)
{
	if (!as_range_ok(as, dst, len, HAL_PROT_WRITE))
		return HAL_ERR(BAD_ADDRESS);
	if (!populate_range(as, dst, len))
		return HAL_ERR(RESOURCE_EXHAUSTED);
	copy_user(as, dst, (uint8_t *)src, len, true);
	return 0;
}

int hal_as_write(struct hal_as *as, uint64_t dst, const void *src, size_t len)
{
	/* Through the direct map, so read-only and executable pages take the
	 * loader's bytes without ever being writable in user mode. */
	if (!as_range_ok(as, dst, len, 0))
		return HAL_ERR(BAD_ADDRESS);
	if (!populate_range(as, dst, len))
		return HAL_ERR(RESOURCE_EXHAUSTED);
	copy_user(as, dst, (uint8_t *)src, len, true);
	return 0;
}
