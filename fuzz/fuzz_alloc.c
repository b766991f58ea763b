/*
 * fuzz_alloc.c - big zeroed blocks for the fake HAL, outside ASan's heap.
 *
 * tests/unit/fake_hal.c gives every user region a calloc'd buffer: 4 MiB
 * for each process's heap, 260 KiB for its stack. Under AddressSanitizer
 * each such calloc and free writes (and page-faults in) an eighth of the
 * block in shadow memory, which made booting a kernel cost ~10 ms, most of
 * the ring harness's time. mk/fuzz.mk compiles fake_hal.c (unchanged) with
 * -Dcalloc=fuzz_calloc -Dfree=fuzz_free: blocks of FUZZ_BIG_BLOCK bytes or
 * more come from mmap (zero, lazily backed, no shadow work) and go back
 * with munmap; everything else is the ordinary (checked) heap.
 *
 * What is lost: redzones around those big buffers. The fake HAL only
 * touches them through its own range checks, and the kernel never reaches
 * them except through the HAL (a kernel that dereferenced a user address
 * would fault on the HAL's PROT_NONE reservation, not reach these).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

void *fuzz_calloc(size_t n, size_t size);
void fuzz_free(void *p);

#define FUZZ_BIG_BLOCK (128u * 1024u)
#define MAX_BIG 4096

static struct {
	void *p;
	size_t len;
} big[MAX_BIG];
static size_t nbig;

void *fuzz_calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	size_t len = n * size;
	if (len < FUZZ_BIG_BLOCK || nbig == MAX_BIG)
		return calloc(n, size);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	big[nbig].p = p;
	big[nbig].len = len;
	nbig++;
	return p;
}

void fuzz_free(void *p)
{
	for (size_t i = nbig; i-- > 0;) {
		if (big[i].p == p) {
			munmap(p, big[i].len);
			big[i] = big[--nbig];
			return;
		}
	}
	free(p);
}
