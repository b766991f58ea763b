/*
 * test_host_mem.c - the host HAL's address spaces (hal-host/mem.c) on their
 * own: the window with its two views, protections applied lazily by
 * host_as_sync, kernel copies that ignore what the process may do but not
 * what it has mapped, unmapping, chunks of their own for big mappings, and
 * recycled windows that come back zeroed and, for the same layout, without
 * a single mprotect.
 *
 * The protection the process really gets is read from /proc/self/maps, and
 * mprotect calls are counted through the linker (--wrap=mprotect).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "hal.h"
#include "host.h"

#define PAGE 4096ull
#define R HAL_PROT_READ
#define RW (HAL_PROT_READ | HAL_PROT_WRITE)
#define RX (HAL_PROT_READ | HAL_PROT_EXEC)
#define BAD_ADDRESS (-(int)CAPOS_ERROR_CODE_BAD_ADDRESS)

/* ------------------------------------------------------------ counting mprotect */

int __real_mprotect(void *addr, size_t len, int prot);
int __wrap_mprotect(void *addr, size_t len, int prot);

static unsigned mprotect_calls;

int __wrap_mprotect(void *addr, size_t len, int prot)
{
	mprotect_calls++;
	return __real_mprotect(addr, len, prot);
}

/* ------------------------------------------------------------ helpers */

/* The permissions ("rw-s", "r-xs", "---p", ...) /proc/self/maps gives the
 * page at `addr`, or "" when nothing is mapped there. */
static const char *host_perms(uint64_t addr)
{
	static char perms[8];
	FILE *f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	perms[0] = 0;
	unsigned long lo, hi;
	char p[8];
	while (fscanf(f, "%lx-%lx %7s%*[^\n]", &lo, &hi, p) == 3) {
		if (addr >= lo && addr < hi) {
			snprintf(perms, sizeof(perms), "%s", p);
			break;
		}
	}
	fclose(f);
	return perms;
}

static bool swap_on(void)
{
	FILE *f = fopen("/proc/swaps", "r");
	if (!f)
		return true;
	int lines = 0;
	for (int c; (c = getc(f)) != EOF;)
		lines += c == '\n';
	fclose(f);
	return lines > 1;
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

/* A small process: an image of three pages (R, RX, RW), a stack, a shared
 * ring. The layout every run of the same "binary" asks for. */
struct layout {
	uint64_t image, stack, ring;
	void *ring_kva;
};

static struct hal_as *new_process(struct layout *l)
{
	struct hal_as *as;
	assert_int_equal(hal_as_create(&as), 0);
	assert_int_equal(hal_as_map(as, 3 * PAGE, RW, &l->image), 0);
	static const char text[] = "text";
	assert_int_equal(hal_as_write(as, l->image + PAGE, text, sizeof(text)), 0);
	assert_int_equal(hal_as_protect(as, l->image, PAGE, R), 0);
	assert_int_equal(hal_as_protect(as, l->image + PAGE, PAGE, RX), 0);
	assert_int_equal(hal_as_map(as, 4 * PAGE, RW, &l->stack), 0);
	assert_int_equal(hal_as_map_shared(as, PAGE, RW, &l->ring, &l->ring_kva), 0);
	assert_int_equal(host_as_sync(as), 0);
	return as;
}

static int setup(void **state)
{
	(void)state;
	char err[200];
	return host_mem_init(err, sizeof(err));
}

/* ------------------------------------------------------------ tests */

static void test_kernel_and_process_see_the_same_bytes(void **state)
{
	(void)state;
	struct hal_as *as;
	uint64_t uva;
	void *kva;
	assert_int_equal(hal_as_create(&as), 0);
	assert_int_equal(hal_as_map(as, 2 * PAGE, RW, &uva), 0);
	assert_true(host_in_user_arena(uva));
	assert_int_equal(host_as_sync(as), 0);

	assert_int_equal(hal_copy_to_user(as, uva + 100, "kernel", 7), 0);
	assert_string_equal((const char *)(uva + 100), "kernel");
	strcpy((char *)(uva + PAGE), "process");
	char buf[8];
	assert_int_equal(hal_copy_from_user(as, buf, uva + PAGE, 8), 0);
	assert_string_equal(buf, "process");

	/* A shared mapping: the kernel's pointer is not the process's address,
	 * but the bytes are the same. */
	uint64_t ring;
	assert_int_equal(hal_as_map_shared(as, PAGE, RW, &ring, &kva), 0);
	assert_int_equal(host_as_sync(as), 0);
	strcpy(kva, "cqe");
	assert_string_equal((const char *)ring, "cqe");
	/* A page the process may only read (the CapSet page) is read-only on
	 * the host too; the kernel still writes it. */
	uint64_t capset;
	assert_int_equal(hal_as_map_shared(as, PAGE, R, &capset, &kva), 0);
	assert_int_equal(host_as_sync(as), 0);
	assert_string_equal(host_perms(capset), "r--s");
	strcpy(kva, "caps");
	assert_string_equal((const char *)capset, "caps");
	hal_as_destroy(as);
}

static void test_fresh_memory_is_zero(void **state)
{
	(void)state;
	struct hal_as *as;
	uint64_t small, big;
	assert_int_equal(hal_as_create(&as), 0);
	assert_int_equal(hal_as_map(as, 8 * PAGE, RW, &small), 0);
	assert_int_equal(hal_as_map(as, 5ull << 20, RW, &big), 0); /* over half a window: a chunk of its own */
	assert_int_equal(host_as_sync(as), 0);
	assert_true(all_zero((void *)small, 8 * PAGE));
	assert_true(all_zero((void *)big, 5ull << 20));
	hal_as_destroy(as);
}

static void test_protection_applies_at_sync(void **state)
{
	(void)state;
	struct hal_as *as;
	uint64_t uva;
	assert_int_equal(hal_as_create(&as), 0);
	assert_int_equal(hal_as_map(as, 3 * PAGE, RW, &uva), 0);
	assert_int_equal(host_as_sync(as), 0);
	assert_string_equal(host_perms(uva), "rw-s");

	assert_int_equal(hal_as_protect(as, uva, PAGE, R), 0);
	assert_int_equal(hal_as_protect(as, uva + PAGE, PAGE, RX), 0);
	assert_int_equal(hal_as_protect(as, uva + 2 * PAGE, PAGE, 0), 0);
	/* The kernel's checks follow the protection at once... */
	char c = 'x';
	assert_int_equal(hal_copy_to_user(as, uva, &c, 1), BAD_ADDRESS);
	assert_int_equal(hal_copy_from_user(as, &c, uva + 2 * PAGE, 1), BAD_ADDRESS);
	/* ... the host's when the process is about to run. */
	assert_int_equal(host_as_sync(as), 0);
	assert_string_equal(host_perms(uva), "r--s");
	assert_string_equal(host_perms(uva + PAGE), "r-xs");
	assert_string_equal(host_perms(uva + 2 * PAGE), "---s");
	/* Nothing left to do: no system call. */
	unsigned before = mprotect_calls;
	assert_int_equal(host_as_sync(as), 0);
	assert_int_equal(mprotect_calls, before);
	hal_as_destroy(as);
}

/* What no region covers, the process cannot touch: a window's pages nobody
 * ever carved (its last page here: no test maps 8 MiB in a window). */
static void test_uncarved_is_inaccessible(void **state)
{
	(void)state;
	struct hal_as *as;
	uint64_t uva;
	assert_int_equal(hal_as_create(&as), 0);
	assert_int_equal(hal_as_map(as, PAGE, RW, &uva), 0);
	assert_int_equal(host_as_sync(as), 0);
	assert_string_equal(host_perms(uva), "rw-s");
	assert_string_equal(host_perms(uva + (8ull << 20) - PAGE), "---s");
	char c;
	assert_int_equal(hal_copy_from_user(as, &c, uva + PAGE, 1), BAD_ADDRESS);
	hal_as_destroy(as);
}

static void test_kernel_writes_what_the_process_cannot(void **state)
{
	(void)state;
	struct hal_as *as;
	uint64_t uva, big;
	assert_int_equal(hal_as_create(&as), 0);
	assert_int_equal(hal_as_map(as, PAGE, RX, &uva), 0);
	assert_int_equal(hal_as_map(as, 5ull << 20, R, &big), 0);
	assert_int_equal(host_as_sync(as), 0);
	assert_int_equal(hal_as_write(as, uva + 8, "code", 5), 0);
	assert_string_equal((const char *)(uva + 8), "code");
	assert_int_equal(hal_as_write(as, big + PAGE - 2, "span", 5), 0); /* across two pages */
	assert_string_equal((const char *)(big + PAGE - 2), "span");
	assert_string_equal(host_perms(uva), "r-xs");
	assert_string_equal(host_perms(big), "r--p"); /* put back */
	/* But only into what is mapped. */
	assert_int_equal(hal_as_write(as, uva + PAGE - 2, "edge", 5), BAD_ADDRESS);
	hal_as_destroy(as);
}

static void test_unmapped_is_gone(void **state)
{
	(void)state;
	struct hal_as *as;
	uint64_t uva;
	assert_int_equal(hal_as_create(&as), 0);
	assert_int_equal(hal_as_map(as, 4 * PAGE, RW, &uva), 0);
	assert_int_equal(host_as_sync(as), 0);
	memset((void *)uva, 0xaa, 4 * PAGE);
	assert_int_equal(hal_as_unmap(as, uva + PAGE, 2 * PAGE), 0);
	char c;
	assert_int_equal(hal_copy_from_user(as, &c, uva + PAGE, 1), BAD_ADDRESS);
	assert_int_equal(hal_as_write(as, uva + 2 * PAGE, &c, 1), BAD_ADDRESS);
	assert_int_equal(hal_copy_from_user(as, &c, uva, 1), 0);
	assert_int_equal((uint8_t)c, 0xaa);
	assert_string_equal(host_perms(uva + PAGE), "---s");
	assert_string_equal(host_perms(uva + 3 * PAGE), "rw-s");
	/* Unmapping what is not mapped is refused. */
	assert_int_equal(hal_as_unmap(as, uva + PAGE, PAGE), BAD_ADDRESS);
	hal_as_destroy(as);
}

static void test_recycled_window_is_zeroed_and_reprotected(void **state)
{
	(void)state;
	struct layout a, b;
	struct hal_as *as = new_process(&a);
	/* The process dirties everything it can write. */
	memset((void *)a.stack, 0x5a, 4 * PAGE);
	memset((void *)(a.image + 2 * PAGE), 0x5a, PAGE);
	memset(a.ring_kva, 0x5a, PAGE);
	hal_as_destroy(as);

	/* A different layout in the same window: every page it maps is zero
	 * and has the new protection. */
	assert_int_equal(hal_as_create(&as), 0);
	uint64_t one, two;
	assert_int_equal(hal_as_map(as, 2 * PAGE, R, &one), 0);
	assert_int_equal(hal_as_map(as, 8 * PAGE, RW, &two), 0);
	assert_int_equal(host_as_sync(as), 0);
	if (!swap_on())
		assert_int_equal(one, a.image); /* recycled */
	assert_true(all_zero((void *)one, 2 * PAGE));
	assert_true(all_zero((void *)two, 8 * PAGE));
	assert_string_equal(host_perms(one), "r--s");
	assert_string_equal(host_perms(one + PAGE), "r--s");
	for (uint64_t pg = 0; pg < 8; pg++)
		assert_string_equal(host_perms(two + pg * PAGE), "rw-s");
	hal_as_destroy(as);

	/* The same layout twice in a row: the second costs no mprotect. */
	as = new_process(&a);
	memset((void *)a.stack, 0x77, 4 * PAGE);
	hal_as_destroy(as);
	unsigned before = mprotect_calls;
	as = new_process(&b);
	if (!swap_on()) {
		assert_int_equal(b.image, a.image);
		assert_int_equal(mprotect_calls, before);
	}
	assert_true(all_zero((void *)b.stack, 4 * PAGE));
	assert_true(all_zero(b.ring_kva, PAGE));
	assert_string_equal((const char *)(b.image + PAGE), "text");
	assert_string_equal(host_perms(b.image + PAGE), "r-xs");
	hal_as_destroy(as);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_and_process_see_the_same_bytes),
		cmocka_unit_test(test_fresh_memory_is_zero),
		cmocka_unit_test(test_protection_applies_at_sync),
		cmocka_unit_test(test_uncarved_is_inaccessible),
		cmocka_unit_test(test_kernel_writes_what_the_process_cannot),
		cmocka_unit_test(test_unmapped_is_gone),
		cmocka_unit_test(test_recycled_window_is_zeroed_and_reprotected),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
