/*
 * test_loader.c - putting a program into an address space, on the fake HAL:
 * the loader (kernel/loader.c: segments, bss, relocations, per-page
 * protections, RELRO, the TLS block and thread pointer) and process
 * creation around it (kernel/proc.c: stack with guard page, heap, ring,
 * CapSet page, context, ledger; and that killing the process, or failing
 * to create it at any allocation, gives every page, region, context and
 * kernel allocation back).
 *
 * The loader tests use a minimal struct proc: an address space, a memory
 * quota and the ledger are all loader_load and proc_map touch. The input is
 * tests/mkmanifest/tiny.c as a static-PIE (TINY_ELF): its layout is
 * text R+X, rodata R, data R+W with .tdata, .dynamic (RELRO) and .data
 * holding the one relocated word (value_ptr = &value).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <elf.h>  /* the system's, to edit the image */

#include "elf.h"  /* kernel/elf.h */
#include "fake_hal.h"
#include "kalloc.h"
#include "kernel.h"
#include "loader.h"
#include "proc.h"
#include "proc_mem.h"

#ifndef TINY_ELF
#error "TINY_ELF must name tests/mkmanifest/tiny.c built as a static-PIE"
#endif

#define PAGE 4096ull
#define RW (HAL_PROT_READ | HAL_PROT_WRITE)
#define RX (HAL_PROT_READ | HAL_PROT_EXEC)

static uint8_t *tiny;
static size_t tiny_len;
static uint8_t *img;      /* this test's copy of tiny */

static uint64_t page_up(uint64_t v) { return (v + PAGE - 1) & ~(PAGE - 1); }
static uint64_t page_down(uint64_t v) { return v & ~(PAGE - 1); }

/* ------------------------------------------------------------ fixtures */

static void unexpected_panic(const char *console) { fail_msg("unexpected kernel panic; console:\n%s", console); }

static int group_setup(void **state)
{
	(void)state;
	FILE *f = fopen(TINY_ELF, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	tiny_len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	tiny = malloc(tiny_len);
	size_t n = tiny ? fread(tiny, 1, tiny_len, f) : 0;
	fclose(f);
	return n == tiny_len && n > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free(tiny);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	fake_hal_reset();
	fake_hal_set_unexpected_panic_handler(unexpected_panic);
	img = malloc(tiny_len);
	memcpy(img, tiny, tiny_len);
	return 0;
}

/* Every test ends with nothing left: no address space, region, context or
 * kernel allocation, and the HAL never misused. */
static int teardown(void **state)
{
	(void)state;
	free(img);
	img = NULL;
	if (fake_hal_misuse_count())
		fail_msg("HAL misused: %s", fake_hal_last_misuse());
	assert_int_equal(fake_hal_live_address_spaces(), 0);
	assert_int_equal(fake_hal_live_regions(), 0);
	assert_int_equal(fake_hal_live_user_pages(), 0);
	assert_int_equal(fake_hal_live_contexts(), 0);
	assert_int_equal(kalloc_live_count(), 0);
	assert_int_equal(proc_live_count(), 0);
	kalloc_trim();
	assert_int_equal(fake_hal_live_kernel_pages(), 0);
	return 0;
}

/* The part of a process the loader uses. */
static void mini_proc(struct proc *p, uint32_t memory_pages)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(hal_as_create(&p->as), 0);
	p->quota.memory_pages = memory_pages;
}

static void mini_proc_end(struct proc *p)
{
	size_t pages = hal_as_destroy(p->as);
	assert_int_equal((int64_t)pages, p->ledger.pages);
	p->as = NULL;
}

static Elf64_Ehdr *ehdr(void) { return (Elf64_Ehdr *)img; }

static Elf64_Phdr *phdr(uint32_t type, int n)
{
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + ehdr()->e_phoff);
	for (int i = 0; i < ehdr()->e_phnum; i++)
		if (ph[i].p_type == type && n-- == 0)
			return &ph[i];
	fail_msg("no program header of type %#x", type);
	return NULL;
}

static void parse(struct elf_image *e)
{
	int r = elf_parse(img, tiny_len, e);
	if (r != ELF_OK)
		fail_msg("elf_parse: %s", elf_strerror(r));
}

static uint64_t read64(struct hal_as *as, uint64_t uva)
{
	uint64_t v;
	assert_int_equal(fake_hal_read(as, uva, &v, sizeof(v)), 0);
	return v;
}

/* What memory [base, base+span) must hold after loading: each segment's
 * file bytes, zeros elsewhere, then the relocations applied. */
static uint8_t *expected_image(const struct elf_image *e, uint64_t base)
{
	uint8_t *m = calloc(1, e->span);
	assert_non_null(m);
	for (uint32_t i = 0; i < e->nsegs; i++)
		memcpy(m + e->segs[i].vaddr, img + e->segs[i].offset, e->segs[i].filesz);
	for (uint64_t i = 0; i < e->rela_count; i++) {
		uint64_t where, addend;
		elf_reloc(img, e, i, &where, &addend);
		if (where != UINT64_MAX) {
			uint64_t v = base + addend;
			memcpy(m + where, &v, 8);
		}
	}
	return m;
}

static void check_image_bytes(struct proc *p, const struct elf_image *e, uint64_t base)
{
	uint8_t *want = expected_image(e, base);
	uint8_t *got = malloc(e->span);
	assert_non_null(got);
	assert_int_equal(fake_hal_read(p->as, base, got, e->span), 0);
	for (uint64_t i = 0; i < e->span; i++)
		if (got[i] != want[i])
			fail_msg("loaded byte at link address %#llx is %#x, expected %#x", (unsigned long long)i,
			         got[i], want[i]);
	free(got);
	free(want);
}

/* The protection each page of the image must end with: its segment's,
 * read-only over whole RELRO pages, none in the gaps. */
static int expected_prot(const struct elf_image *e, uint64_t page)
{
	if (e->has_relro && page >= page_down(e->relro_vaddr) &&
	    page + PAGE <= page_down(e->relro_vaddr + e->relro_size))
		return HAL_PROT_READ;
	for (uint32_t i = 0; i < e->nsegs; i++)
		if (page >= page_down(e->segs[i].vaddr) && page < page_up(e->segs[i].vaddr + e->segs[i].memsz))
			return (int)e->segs[i].prot;
	return 0;
}

static void check_protections(struct proc *p, const struct elf_image *e, uint64_t base)
{
	for (uint64_t page = 0; page < e->span; page += PAGE) {
		int got = fake_hal_page_prot(p->as, base + page);
		if (got != expected_prot(e, page))
			fail_msg("page at link address %#llx has protection %d, expected %d", (unsigned long long)page,
			         got, expected_prot(e, page));
	}
	/* Nothing mapped right after the image (the fake HAL's guard page). */
	assert_int_equal(fake_hal_page_prot(p->as, base + e->span), -1);
}

/* ------------------------------------------------------------ the fake HAL itself */

/* The loader tests (and a fuzzer) trust the fake HAL to enforce hal.h's
 * rules; check the ones they rely on. */
static void test_fake_hal_contract(void **state)
{
	(void)state;
	struct hal_as *as;
	assert_int_equal(hal_as_create(&as), 0);
	uint64_t a, b2;
	assert_int_equal(hal_as_map(as, 2 * PAGE, RW, &a), 0);
	assert_int_equal(a, FAKE_HAL_USER_BASE);
	assert_int_equal(hal_as_map(as, PAGE, HAL_PROT_READ, &b2), 0);
	assert_true(b2 >= a + 3 * PAGE); /* a guard page between regions */
	assert_int_equal(fake_hal_page_prot(as, a + 2 * PAGE), -1);
	assert_int_equal(hal_as_protect(as, a + PAGE, PAGE, HAL_PROT_READ), 0);

	/* Copies: all or nothing, by page protection. */
	uint8_t ones[16], got[16];
	memset(ones, 1, sizeof(ones));
	assert_int_equal(hal_copy_to_user(as, a + PAGE - 8, ones, 16), KERR(BAD_ADDRESS));
	assert_int_equal(read64(as, a + PAGE - 8), 0); /* nothing copied */
	assert_int_equal(hal_copy_to_user(as, a + PAGE - 16, ones, 16), 0);
	assert_int_equal(hal_copy_from_user(as, got, a + PAGE - 8, 16), 0);
	assert_int_equal(hal_as_write(as, a + PAGE, ones, 8), 0); /* ignores protection */
	assert_int_equal(hal_copy_from_user(as, got, a + 2 * PAGE - 8, 16), KERR(BAD_ADDRESS));
	assert_int_equal(hal_as_write(as, a + 2 * PAGE - 8, ones, 16), KERR(BAD_ADDRESS));
	assert_int_equal(hal_copy_from_user(as, got, UINT64_MAX - 4, 8), KERR(BAD_ADDRESS));
	assert_int_equal(hal_copy_from_user(as, got, 0x1000, 0), 0); /* empty */

	/* protect/unmap: whole mapped pages only; partial unmaps. */
	assert_int_equal(hal_as_protect(as, a + 1, PAGE, 0), KERR(INVALID_ARGUMENT));
	assert_int_equal(hal_as_protect(as, a, 3 * PAGE, 0), KERR(BAD_ADDRESS));
	assert_int_equal(hal_as_unmap(as, a, PAGE), 0);
	assert_int_equal(fake_hal_page_prot(as, a), -1);
	assert_int_equal(fake_hal_as_pages(as), 2);
	assert_int_equal(fake_hal_as_regions(as), 2);
	assert_int_equal(hal_as_unmap(as, a, PAGE), KERR(BAD_ADDRESS));
	assert_int_equal(hal_as_unmap(as, a + PAGE, PAGE), 0);
	assert_int_equal(fake_hal_as_regions(as), 1);

	/* Contexts, console, clock. */
	struct hal_ctx *ctx;
	assert_int_equal(hal_ctx_create(as, 0x1234, 0x8000, 7, 0x9000, &ctx), 0);
	hal_ctx_set_result(ctx, -5);
	assert_int_equal(ctx->result, -5);
	assert_int_equal(fake_hal_misuse_count(), 0);
	hal_ctx_destroy(ctx);
	assert_int_equal(hal_as_destroy(as), 1);
	hal_console_write("hi\n", 3);
	assert_string_equal(fake_hal_console_output(), "hi\n");
	char in[8];
	fake_hal_console_feed("ab", 2);
	assert_false(hal_console_eof());
	assert_int_equal(hal_console_read(in, sizeof(in)), 2);
	hal_idle(UINT64_MAX); /* nothing will ever come: input ends */
	assert_true(hal_console_eof());
	fake_hal_set_now(100);
	hal_idle(500);
	assert_int_equal(hal_now_ns(), 500);

	/* Misuse is recorded. */
	int x;
	hal_page_free(&x, 1);
	assert_int_equal(fake_hal_misuse_count(), 1);
	assert_int_equal(hal_ctx_create(as, 0, 0, 0, 0, &ctx), KERR(INVALID_ARGUMENT)); /* destroyed space */
	assert_int_equal(fake_hal_misuse_count(), 2);
	fake_hal_reset();
}

/* ------------------------------------------------------------ loader_load */

static void test_load_tiny(void **state)
{
	(void)state;
	struct elf_image e;
	parse(&e);
	struct proc p;
	mini_proc(&p, PROC_DEFAULT_MEMORY_PAGES);
	struct loaded_image li;
	memset(&li, 0xa5, sizeof(li));
	assert_int_equal(loader_load(&p, img, &e, &li), 0);

	assert_true(li.base >= FAKE_HAL_USER_BASE);
	assert_int_equal(li.base % PAGE, 0);
	assert_int_equal(li.entry, li.base + ehdr()->e_entry);
	assert_int_equal(li.tls_image, li.base + phdr(PT_TLS, 0)->p_vaddr);
	/* One region of exactly the span, charged to the ledger. */
	uint64_t start, size;
	bool shared = true;
	assert_true(fake_hal_region_of(p.as, li.base, &start, &size, &shared));
	assert_int_equal(start, li.base);
	assert_int_equal(size, e.span);
	assert_false(shared);
	assert_int_equal(p.ledger.pages, (int64_t)(e.span / PAGE));
	assert_int_equal(fake_hal_as_pages(p.as), e.span / PAGE);
	assert_int_equal(fake_hal_as_regions(p.as), 1);

	check_image_bytes(&p, &e, li.base);
	check_protections(&p, &e, li.base);

	/* Concretely, for tiny.elf: text R+X, rodata R, the RELRO page R, the
	 * .data page R+W. */
	assert_int_equal(fake_hal_page_prot(p.as, li.entry), RX);
	assert_int_equal(fake_hal_page_prot(p.as, li.base + phdr(PT_LOAD, 2)->p_vaddr), HAL_PROT_READ);
	assert_int_equal(fake_hal_page_prot(p.as, li.base + phdr(PT_GNU_RELRO, 0)->p_vaddr), HAL_PROT_READ);
	mini_proc_end(&p);
}

static void test_load_applies_relocations(void **state)
{
	(void)state;
	struct elf_image e;
	parse(&e);
	assert_int_equal(e.rela_count, 1);
	struct proc p;
	mini_proc(&p, PROC_DEFAULT_MEMORY_PAGES);
	struct loaded_image li;
	assert_int_equal(loader_load(&p, img, &e, &li), 0);

	uint64_t where, addend;
	elf_reloc(img, &e, 0, &where, &addend);
	uint64_t value_ptr = read64(p.as, li.base + where);
	assert_int_equal(value_ptr, li.base + addend);
	/* value_ptr = &value, and value == 1: follow the pointer. */
	int value = 0;
	assert_int_equal(fake_hal_read(p.as, value_ptr, &value, sizeof(value)), 0);
	assert_int_equal(value, 1);
	/* The word is in a page the program may write (not RELRO). */
	assert_int_equal(fake_hal_page_prot(p.as, li.base + where), RW);
	mini_proc_end(&p);
}

/* After loading, the process's view: code is not writable, RELRO is not
 * writable, data is; the loader itself could write anywhere mapped. */
static void test_loaded_image_permissions(void **state)
{
	(void)state;
	struct elf_image e;
	parse(&e);
	struct proc p;
	mini_proc(&p, PROC_DEFAULT_MEMORY_PAGES);
	struct loaded_image li;
	assert_int_equal(loader_load(&p, img, &e, &li), 0);
	uint8_t b[8] = { 0 };
	assert_int_equal(hal_copy_from_user(p.as, b, li.entry, 4), 0);
	assert_int_equal(hal_copy_to_user(p.as, li.entry, b, 4), KERR(BAD_ADDRESS));
	assert_int_equal(hal_copy_to_user(p.as, li.base + e.relro_vaddr, b, 4), KERR(BAD_ADDRESS));
	uint64_t where, addend;
	elf_reloc(img, &e, 0, &where, &addend);
	assert_int_equal(hal_copy_to_user(p.as, li.base + where, b, 8), 0);
	assert_int_equal(hal_copy_from_user(p.as, b, li.base + e.span, 1), KERR(BAD_ADDRESS));
	assert_int_equal(hal_as_write(p.as, li.entry, b, 4), 0);
	mini_proc_end(&p);
}

/* Without the rodata PT_LOAD, its page is a gap: mapped (part of the span)
 * but inaccessible, and nothing of the file is copied there. */
static void test_gap_between_segments_inaccessible(void **state)
{
	(void)state;
	Elf64_Phdr *ro = phdr(PT_LOAD, 2);
	uint64_t gap = ro->p_vaddr;
	ro->p_type = PT_NULL;
	struct elf_image e;
	parse(&e);
	assert_int_equal(e.nsegs, 3);
	struct proc p;
	mini_proc(&p, PROC_DEFAULT_MEMORY_PAGES);
	struct loaded_image li;
	assert_int_equal(loader_load(&p, img, &e, &li), 0);
	assert_int_equal(fake_hal_page_prot(p.as, li.base + gap), 0);
	uint8_t b[16];
	assert_int_equal(hal_copy_from_user(p.as, b, li.base + gap, 1), KERR(BAD_ADDRESS));
	assert_int_equal(hal_copy_to_user(p.as, li.base + gap, b, 1), KERR(BAD_ADDRESS));
	check_image_bytes(&p, &e, li.base); /* the gap reads as zeros */
	check_protections(&p, &e, li.base);
	mini_proc_end(&p);
}

/* The tail of a segment past its file bytes (bss) is zero, whatever the
 * file holds after them; relocations still apply there. */
static void test_bss_zeroed(void **state)
{
	(void)state;
	Elf64_Phdr *data = phdr(PT_LOAD, 3);
	uint64_t keep = 0x108; /* .tdata, .dynamic and `value`; not value_ptr */
	assert_true(keep < data->p_filesz);
	memset(img + data->p_offset + keep, 0xaa, data->p_filesz - keep);
	data->p_filesz = keep;
	struct elf_image e;
	parse(&e);
	struct proc p;
	mini_proc(&p, PROC_DEFAULT_MEMORY_PAGES);
	struct loaded_image li;
	assert_int_equal(loader_load(&p, img, &e, &li), 0);
	check_image_bytes(&p, &e, li.base);
	uint8_t tail[8];
	assert_int_equal(fake_hal_read(p.as, li.base + data->p_vaddr + keep, tail, 4), 0);
	static const uint8_t zeros[4];
	assert_memory_equal(tail, zeros, 4);
	uint64_t where, addend;
	elf_reloc(img, &e, 0, &where, &addend);
	assert_true(where >= data->p_vaddr + keep); /* the relocation lands in bss */
	assert_int_equal(read64(p.as, li.base + where), li.base + addend);
	mini_proc_end(&p);
}

static void test_load_over_quota(void **state)
{
	(void)state;
	struct elf_image e;
	parse(&e);
	struct proc p;
	mini_proc(&p, (uint32_t)(e.span / PAGE) - 1);
	struct loaded_image li;
	assert_int_equal(loader_load(&p, img, &e, &li), KERR(RESOURCE_EXHAUSTED));
	assert_int_equal(p.ledger.pages, 0);
	assert_int_equal(fake_hal_as_regions(p.as), 0);
	mini_proc_end(&p);
}

/* ------------------------------------------------------------ TLS */

/* The static TLS block (variant II) ends at the thread pointer; returns tp. */
static uint64_t check_tls(struct proc *p, const struct elf_image *e)
{
	uint64_t tp = 0;
	int64_t before = p->ledger.pages;
	size_t regions = fake_hal_as_regions(p->as);
	assert_int_equal(loader_setup_tls(p, img, e, &tp), 0);
	uint64_t block = e->has_tls ? (e->tls.memsz + e->tls.align - 1) & ~(e->tls.align - 1) : 0;
	/* One new read-write region, charged to the ledger, holding the block
	 * below tp and the TCB at it. */
	uint64_t start, size;
	assert_true(fake_hal_region_of(p->as, tp, &start, &size, NULL));
	assert_int_equal(fake_hal_as_regions(p->as), regions + 1);
	assert_int_equal(p->ledger.pages, before + (int64_t)(size / PAGE));
	assert_true(start <= tp - block && tp + 0x30 <= start + size);
	for (uint64_t a = start; a < start + size; a += PAGE)
		assert_int_equal(fake_hal_page_prot(p->as, a), RW);
	assert_int_equal(read64(p->as, tp), tp);       /* the TCB's first word: itself */
	if (e->has_tls) {
		assert_int_equal(tp % e->tls.align, 0);
		uint8_t *got = malloc(block + 1);
		assert_int_equal(fake_hal_read(p->as, tp - block, got, block), 0);
		uint64_t off = 0;
		for (uint32_t i = 0; i < e->nsegs; i++)
			if (e->tls.vaddr >= e->segs[i].vaddr && e->tls.vaddr < e->segs[i].vaddr + e->segs[i].filesz)
				off = e->segs[i].offset + (e->tls.vaddr - e->segs[i].vaddr);
		assert_memory_equal(got, img + off, e->tls.filesz);
		for (uint64_t i = e->tls.filesz; i < block; i++)
			if (got[i])
				fail_msg("TLS byte %llu is %#x, expected 0 (tbss)", (unsigned long long)i, got[i]);
		free(got);
	}
	return tp;
}

static void test_tls_block(void **state)
{
	(void)state;
	struct elf_image e;
	parse(&e);
	struct proc p;
	mini_proc(&p, PROC_DEFAULT_MEMORY_PAGES);
	uint64_t tp = check_tls(&p, &e);
	int tls_value = 0;
	assert_int_equal(fake_hal_read(p.as, tp - 4, &tls_value, 4), 0);
	assert_int_equal(tls_value, 2); /* __thread int tls_value = 2 */
	mini_proc_end(&p);
}

/* Zero-initialised TLS after the image, and a larger alignment. */
static void test_tls_tbss_and_alignment(void **state)
{
	(void)state;
	const uint64_t aligns[] = { 1, 16, 64, 4096 };
	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		Elf64_Phdr *t = phdr(PT_TLS, 0);
		t->p_memsz = 0x44;
		t->p_align = aligns[i];
		struct elf_image e;
		parse(&e);
		struct proc p;
		mini_proc(&p, PROC_DEFAULT_MEMORY_PAGES);
		check_tls(&p, &e);
		mini_proc_end(&p);
	}
}

static void test_tls_without_pt_tls(void **state)
{
	(void)state;
	phdr(PT_TLS, 0)->p_type = PT_NULL;
	struct elf_image e;
	parse(&e);
	assert_false(e.has_tls);
	struct proc p;
	mini_proc(&p, PROC_DEFAULT_MEMORY_PAGES);
	uint64_t tp = check_tls(&p, &e); /* a bare TCB */
	assert_int_equal(tp % 16, 0);
	mini_proc_end(&p);
}

/* The thread pointer addresses the TCB, whose words are 64-bit (the self
 * pointer at 0, the stack canary at 0x28): it must be at least 8-byte
 * aligned, whatever the PT_TLS alignment (glibc aligns it to 64, musl to at
 * least a pointer). tiny.elf's TLS is 4 bytes aligned 4. */
static void test_tls_thread_pointer_aligned_for_tcb(void **state)
{
	(void)state;
	struct elf_image e;
	parse(&e);
	assert_int_equal(e.tls.align, 4);
	assert_int_equal(e.tls.memsz, 4);
	struct proc p;
	mini_proc(&p, PROC_DEFAULT_MEMORY_PAGES);
	uint64_t tp = 0;
	assert_int_equal(loader_setup_tls(&p, img, &e, &tp), 0);
	mini_proc_end(&p);
	if (tp % 8 != 0)
		fail_msg("thread pointer %#llx is not 8-byte aligned (TLS memsz 4, align 4)", (unsigned long long)tp);
}

/* ------------------------------------------------------------ loading corrupted images */

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Whatever elf_parse accepts, the loader must load without a panic or a
 * HAL error, with the relocations applied, the protections right and the
 * TLS block in place: the loader trusts the parser, so they must agree. */
static void test_load_whatever_parses(void **state)
{
	(void)state;
	static const uint64_t interesting[] = { 0, 1, 4, 8, 0x10, 0x40, 0x1000, 0x2000, 0x10000, ELF_MAX_TLS };
	const size_t headers = 64 + 10 * sizeof(Elf64_Phdr);
	rng_state = 0x243f6a8885a308d3ull;
	unsigned loaded = 0;
	for (int iter = 0; iter < 400; iter++) {
		memcpy(img, tiny, tiny_len);
		int n = 1 + (int)(rng() % 4);
		for (int k = 0; k < n; k++) {
			/* A field of the headers: an interesting value, or a few bits. */
			size_t pos = (size_t)(rng() % headers) & ~(size_t)7;
			uint64_t v;
			memcpy(&v, img + pos, 8);
			v = (rng() & 1) ? interesting[rng() % (sizeof(interesting) / sizeof(interesting[0]))]
			                : v ^ (1ull << (rng() % 20));
			memcpy(img + pos, &v, 8);
		}
		struct elf_image e;
		if (elf_parse(img, tiny_len, &e) != ELF_OK)
			continue;
		loaded++;
		struct proc p;
		mini_proc(&p, (uint32_t)(ELF_MAX_SPAN / PAGE + 1024));
		struct loaded_image li;
		int err = loader_load(&p, img, &e, &li);
		if (err)
			fail_msg("iteration %d: an image elf_parse accepted fails to load: %d", iter, err);
		check_image_bytes(&p, &e, li.base);
		check_protections(&p, &e, li.base);
		check_tls(&p, &e);
		mini_proc_end(&p);
	}
	printf("# %u of 400 corrupted images parsed and loaded\n", loaded);
	assert_true(loaded >= 20);
}

/* ------------------------------------------------------------ processes */

struct tobj {
	struct kobj k;
	unsigned destroyed;
};

static void tobj_destroy(struct kobj *o) { ((struct tobj *)o)->destroyed++; }

static const struct kobj_ops tobj_ops = { .name = "TestObject", .iface = 0x5555aaaa5555aaaaull, .destroy = tobj_destroy };

static struct proc_spec tiny_spec(const char *const *argv, const uint32_t *argv_len, uint32_t argc)
{
	struct proc_spec s = {
		.name = "tiny",
		.name_len = 4,
		.elf = img,
		.elf_len = tiny_len,
		.max_caps = 2,
		.argc = argc,
		.argv = argv,
		.argv_len = argv_len,
	};
	return s;
}

static void read_user(struct proc *p, uint64_t uva, void *dst, size_t len)
{
	if (fake_hal_read(p->as, uva, dst, len) != 0)
		fail_msg("user range %#llx+%zu not mapped", (unsigned long long)uva, len);
}

static void test_proc_create_and_kill(void **state)
{
	(void)state;
	static const char *const argv[] = { "tiny", "--verbose", "" };
	static const uint32_t argv_len[] = { 4, 9, 0 };
	struct proc_spec spec = tiny_spec(argv, argv_len, 3);
	struct elf_image e;
	parse(&e);

	struct proc *p = NULL;
	assert_int_equal(proc_create(&spec, &p), 0);
	assert_non_null(p);
	assert_int_equal(proc_live_count(), 1);
	assert_string_equal(p->name, "tiny");

	/* The context: entry, stack, CapSet in the first argument, TLS. */
	struct hal_ctx *ctx = p->ctx;
	assert_non_null(ctx);
	assert_int_equal(fake_hal_live_contexts(), 1);
	assert_ptr_equal(ctx->as, p->as);
	uint64_t base = ctx->entry - e.entry;
	assert_int_equal(base % PAGE, 0);
	assert_int_equal(fake_hal_page_prot(p->as, ctx->entry), RX);
	assert_int_equal(ctx->arg, p->capset_uva);
	assert_int_equal(ctx->stack_top % 16, 0);
	assert_int_equal(read64(p->as, ctx->thread_pointer), ctx->thread_pointer);
	assert_int_equal(ctx->results_set, 0);

	/* The CapSet page, as the process sees it: read-only, shared. */
	struct capos_capset cs;
	read_user(p, p->capset_uva, &cs, sizeof(cs));
	assert_int_equal(fake_hal_page_prot(p->as, p->capset_uva), HAL_PROT_READ);
	bool shared = false;
	uint64_t start, size;
	assert_true(fake_hal_region_of(p->as, p->capset_uva, &start, &size, &shared));
	assert_true(shared);
	assert_int_equal(start, p->capset_uva);
	assert_ptr_equal(p->capset, fake_hal_user_ptr(p->as, p->capset_uva, sizeof(cs)));
	assert_int_equal(cs.magic, CAPOS_CAPSET_MAGIC);
	assert_int_equal(cs.version, CAPOS_CAPSET_VERSION);
	assert_int_equal(cs.cap_count, 0);
	assert_int_equal(cs.gate, FAKE_HAL_GATE);
	assert_int_equal(cs.ring, p->ring.uva);
	assert_int_equal(cs.pid, p->pid);
	assert_string_equal(cs.name, "tiny");
	assert_int_equal(cs.reserved[0], 0);
	assert_int_equal(cs.reserved[1], 0);

	/* Heap: its own zeroed read-write region of exactly heap_size. */
	assert_int_equal(cs.heap_size, PROC_HEAP_BYTES);
	assert_true(fake_hal_region_of(p->as, cs.heap_base, &start, &size, &shared));
	assert_int_equal(start, cs.heap_base);
	assert_int_equal(size, PROC_HEAP_BYTES);
	assert_false(shared);
	assert_int_equal(fake_hal_page_prot(p->as, cs.heap_base), RW);
	assert_int_equal(fake_hal_page_prot(p->as, cs.heap_base + cs.heap_size - 1), RW);
	assert_int_equal(read64(p->as, cs.heap_base + cs.heap_size - 8), 0);

	/* Stack: read-write, with an inaccessible guard page just below. */
	assert_int_equal(cs.stack_size, PROC_STACK_BYTES);
	assert_int_equal(ctx->stack_top, cs.stack_base + cs.stack_size);
	assert_true(fake_hal_region_of(p->as, cs.stack_base, &start, &size, NULL));
	assert_int_equal(start, cs.stack_base - PAGE);
	assert_int_equal(size, PROC_STACK_BYTES + PAGE);
	assert_int_equal(fake_hal_page_prot(p->as, cs.stack_base - PAGE), 0);
	assert_int_equal(fake_hal_page_prot(p->as, cs.stack_base), RW);
	assert_int_equal(fake_hal_page_prot(p->as, ctx->stack_top - 1), RW);
	uint8_t b = 0;
	assert_int_equal(hal_copy_to_user(p->as, cs.stack_base - 1, &b, 1), KERR(BAD_ADDRESS));

	/* TLS template: tiny.elf's PT_TLS, relocated. */
	assert_int_equal(cs.tls_image, base + e.tls.vaddr);
	assert_int_equal(cs.tls_filesz, 4);
	assert_int_equal(cs.tls_memsz, 4);
	assert_int_equal(cs.tls_align, 4);

	/* argv: argc + 1 pointers into the CapSet region, then the strings. */
	assert_int_equal(cs.argc, 3);
	uint64_t ptrs[4];
	read_user(p, cs.argv, ptrs, sizeof(ptrs));
	assert_true(fake_hal_region_of(p->as, cs.argv, &start, NULL, NULL));
	assert_int_equal(start, p->capset_uva);
	assert_int_equal(cs.argv % 8, 0);
	for (uint32_t i = 0; i < 3; i++) {
		char s[16];
		memset(s, 0x55, sizeof(s));
		read_user(p, ptrs[i], s, argv_len[i] + 1);
		assert_memory_equal(s, argv[i], argv_len[i]);
		assert_int_equal(s[argv_len[i]], '\0');
		assert_int_equal(fake_hal_page_prot(p->as, ptrs[i]), HAL_PROT_READ);
	}
	assert_int_equal(ptrs[3], 0);

	/* The ring: shared, read-write, initialised header. */
	struct capos_ring_header hdr;
	read_user(p, p->ring.uva, &hdr, sizeof(hdr));
	assert_int_equal(hdr.sq_entries, CAPOS_SQ_ENTRIES);
	assert_int_equal(hdr.cq_entries, CAPOS_CQ_ENTRIES);
	assert_int_equal(hdr.sq_offset, CAPOS_RING_SQ_OFFSET);
	assert_int_equal(hdr.cq_offset, CAPOS_RING_CQ_OFFSET);
	assert_int_equal(hdr.sq_head | hdr.sq_tail | hdr.cq_head | hdr.cq_tail, 0);
	assert_true(fake_hal_region_of(p->as, p->ring.uva, &start, &size, &shared));
	assert_true(shared);
	assert_int_equal(size, page_up(CAPOS_RING_BYTES));
	assert_int_equal(fake_hal_page_prot(p->as, p->ring.uva), RW);
	assert_ptr_equal(p->ring.hdr, fake_hal_user_ptr(p->as, p->ring.uva, CAPOS_RING_BYTES));

	/* The ledger agrees with the HAL: image, TLS, stack + guard, heap,
	 * ring, CapSet. */
	uint64_t want_pages = e.span / PAGE + 1 + (PROC_STACK_BYTES + PAGE) / PAGE + PROC_HEAP_BYTES / PAGE +
	                      page_up(CAPOS_RING_BYTES) / PAGE + 1;
	assert_int_equal(p->ledger.pages, (int64_t)want_pages);
	assert_int_equal(fake_hal_as_pages(p->as), want_pages);
	assert_int_equal(fake_hal_as_regions(p->as), 6);
	assert_int_equal(p->ledger.ring_bytes, (int64_t)page_up(CAPOS_RING_BYTES));
	assert_int_equal(p->ledger.caps, 0);
	assert_int_equal(p->ledger.calls, 0);

	/* Grants appear in the CapSet; a full CapSet refuses, keeping the
	 * caller's reference. */
	struct tobj a, c;
	kobj_init(&a.k, &tobj_ops);
	kobj_init(&c.k, &tobj_ops);
	a.destroyed = c.destroyed = 0;
	struct cap_hold_init init = { .badge = 77 };
	uint32_t id1, id2, id3 = 0xdead;
	assert_int_equal(proc_grant(p, "console", 7, &a.k, &init, &id1), 0);
	assert_int_equal(proc_grant(p, "again", 5, kobj_ref(&a.k), &init, &id2), 0);
	assert_int_equal(proc_grant(p, "third", 5, &c.k, &init, &id3), KERR(RESOURCE_EXHAUSTED));
	assert_int_equal(id3, 0xdead);
	assert_int_equal(c.k.refs, 1);
	assert_int_equal(p->ledger.caps, 2);
	struct capos_capset_entry ent[2];
	read_user(p, p->capset_uva, &cs, sizeof(cs));
	read_user(p, p->capset_uva + offsetof(struct capos_capset, caps), ent, sizeof(ent));
	assert_int_equal(cs.cap_count, 2);
	assert_int_equal(ent[0].cap, id1);
	assert_int_equal(ent[0].iface, tobj_ops.iface);
	assert_string_equal(ent[0].name, "console");
	assert_int_equal(ent[1].cap, id2);
	assert_string_equal(ent[1].name, "again");
	struct cap_hold *h;
	assert_int_equal(cap_table_lookup(&p->caps, id1, &h), 0);
	assert_int_equal(h->badge, 77);

	/* Killing it gives everything back. */
	proc_kill(p);
	assert_int_equal(a.destroyed, 1);
	assert_int_equal(a.k.refs, 0);
	assert_int_equal(proc_live_count(), 0);
	assert_int_equal(fake_hal_live_address_spaces(), 0);
	assert_int_equal(fake_hal_live_regions(), 0);
	assert_int_equal(fake_hal_live_user_pages(), 0);
	assert_int_equal(fake_hal_live_contexts(), 0);
	assert_int_equal(kalloc_live_count(), 0);
	assert_string_equal(fake_hal_console_output(), "");
	kobj_unref(&c.k);
}

static void test_proc_create_no_args(void **state)
{
	(void)state;
	struct proc_spec spec = tiny_spec(NULL, NULL, 0);
	spec.max_caps = 0;
	struct proc *p;
	assert_int_equal(proc_create(&spec, &p), 0);
	struct capos_capset cs;
	read_user(p, p->capset_uva, &cs, sizeof(cs));
	assert_int_equal(cs.argc, 0);
	assert_int_equal(read64(p->as, cs.argv), 0);
	struct tobj o;
	kobj_init(&o.k, &tobj_ops);
	assert_int_equal(proc_grant(p, "x", 1, &o.k, &(struct cap_hold_init){ 0 }, NULL), KERR(RESOURCE_EXHAUSTED));
	proc_kill(p);
	kobj_unref(&o.k);
}

static void test_proc_create_rejects(void **state)
{
	(void)state;
	struct proc *p = (struct proc *)0x1;
	struct proc_spec spec = tiny_spec(NULL, NULL, 0);

	spec.name_len = 0;
	assert_int_equal(proc_create(&spec, &p), KERR(INVALID_ARGUMENT));
	char name[CAPOS_CAPSET_NAME_MAX];
	memset(name, 'n', sizeof(name));
	spec.name = name;
	spec.name_len = CAPOS_CAPSET_NAME_MAX; /* no room for the NUL */
	assert_int_equal(proc_create(&spec, &p), KERR(INVALID_ARGUMENT));
	spec = tiny_spec(NULL, NULL, 0);
	img[1] = 'X'; /* not an ELF file */
	assert_int_equal(proc_create(&spec, &p), KERR(INVALID_ARGUMENT));
	img[1] = 'E';
	spec.elf_len = 100;
	assert_int_equal(proc_create(&spec, &p), KERR(INVALID_ARGUMENT));
	assert_ptr_equal(p, (struct proc *)0x1);
	assert_int_equal(fake_hal_live_address_spaces(), 0);
	assert_int_equal(kalloc_live_count(), 0);

	/* The longest name that fits (63 bytes and the NUL). */
	spec = tiny_spec(NULL, NULL, 0);
	spec.name = name;
	spec.name_len = CAPOS_CAPSET_NAME_MAX - 1;
	assert_int_equal(proc_create(&spec, &p), 0);
	assert_int_equal(strlen(p->name), CAPOS_CAPSET_NAME_MAX - 1);
	proc_kill(p);
}

/* A memory quota one page short fails cleanly at every stage. */
static void test_proc_create_memory_quota(void **state)
{
	(void)state;
	struct proc_spec spec = tiny_spec(NULL, NULL, 0);
	struct proc *p;
	assert_int_equal(proc_create(&spec, &p), 0);
	uint32_t needed = (uint32_t)p->ledger.pages;
	proc_kill(p);

	const uint32_t quotas[] = { 1, 5, 6, 60, 72, needed / 2, needed - 4, needed - 1 };
	for (size_t i = 0; i < sizeof(quotas) / sizeof(quotas[0]); i++) {
		spec.quota.memory_pages = quotas[i];
		if (proc_create(&spec, &p) != KERR(RESOURCE_EXHAUSTED))
			fail_msg("quota %u of %u pages: not refused", quotas[i], needed);
		assert_int_equal(fake_hal_live_address_spaces(), 0);
		assert_int_equal(fake_hal_live_regions(), 0);
		assert_int_equal(kalloc_live_count(), 0);
	}
	spec.quota.memory_pages = needed;
	assert_int_equal(proc_create(&spec, &p), 0);
	proc_kill(p);
}

/* Make each HAL allocation proc_create does fail in turn: it must fail
 * with -resourceExhausted and leave nothing behind, until it succeeds. */
static void test_proc_create_every_allocation_failure(void **state)
{
	(void)state;
	static const char *const argv[] = { "tiny" };
	static const uint32_t argv_len[] = { 4 };
	struct proc_spec spec = tiny_spec(argv, argv_len, 1);
	struct proc *p = NULL;
	long n;
	for (n = 0; n < 100; n++) {
		kalloc_trim(); /* so that kernel page allocations happen too */
		fake_hal_fail_alloc_at(n);
		int err = proc_create(&spec, &p);
		unsigned long calls = fake_hal_alloc_calls();
		fake_hal_fail_alloc_at(-1);
		if (err == 0) {
			assert_true(calls <= (unsigned long)n); /* the failure point was never reached */
			break;
		}
		if (err != KERR(RESOURCE_EXHAUSTED))
			fail_msg("allocation %ld failing: proc_create gave %d", n, err);
		if (fake_hal_live_address_spaces() || fake_hal_live_regions() || fake_hal_live_contexts() ||
		    kalloc_live_count() || proc_live_count())
			fail_msg("allocation %ld failing: leaked %zu spaces, %zu regions, %zu contexts, %zu kallocs", n,
			         fake_hal_live_address_spaces(), fake_hal_live_regions(), fake_hal_live_contexts(),
			         kalloc_live_count());
		if (fake_hal_misuse_count())
			fail_msg("allocation %ld failing: %s", n, fake_hal_last_misuse());
	}
	/* Kernel pages (proc, cap table), the space, six mappings, the context. */
	assert_in_range(n, 9, 99);
	proc_kill(p);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_fake_hal_contract),
		T(test_load_tiny),
		T(test_load_applies_relocations),
		T(test_loaded_image_permissions),
		T(test_gap_between_segments_inaccessible),
		T(test_bss_zeroed),
		T(test_load_over_quota),
		T(test_tls_block),
		T(test_tls_tbss_and_alignment),
		T(test_tls_without_pt_tls),
		T(test_tls_thread_pointer_aligned_for_tcb),
		T(test_load_whatever_parses),
		T(test_proc_create_and_kill),
		T(test_proc_create_no_args),
		T(test_proc_create_rejects),
		T(test_proc_create_memory_quota),
		T(test_proc_create_every_allocation_failure),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
