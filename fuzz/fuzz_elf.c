/*
 * fuzz_elf.c - ELF images: elf_parse (kernel/elf.c), and for every image it
 * accepts, process creation around the loader (kernel/proc.c, loader.c) in
 * a fake address space, then proc_kill.
 *
 * Input: byte 0 chooses a HAL allocation to fail during proc_create (< 160:
 * none), byte 1 the process's memory quota; the rest is the image.
 *
 * Checks beyond ASan/UBSan:
 *   - elf_parse is deterministic and its error is a known code;
 *   - what it accepts keeps the promises the loader relies on: segments
 *     inside the file and the span, sorted, not sharing pages, no W+X,
 *     the entry in an executable segment, relocations and TLS inside the
 *     file, RELRO inside a non-executable segment;
 *   - a loaded process: every page of the image mapped with its segment's
 *     protection (RELRO read-only, gaps inaccessible, never W+X), every
 *     relocation applied, segment bytes as in the file, the thread pointer
 *     pointing to itself, the ledger's page count equal to the HAL's;
 *   - after proc_kill (or a failed proc_create): no kernel allocation, and
 *     nothing left in the HAL.
 */
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "fake_hal.h"
#include "fuzz.h"
#include "kalloc.h"
#include "kernel.h"
#include "proc.h"

#define PAGE 4096ull

static uint64_t page_up(uint64_t v) { return (v + PAGE - 1) & ~(PAGE - 1); }
static uint64_t page_down(uint64_t v) { return v & ~(PAGE - 1); }

static void check_image(const uint8_t *elf, size_t len, const struct elf_image *img)
{
	if (img->nsegs == 0 || img->nsegs > ELF_MAX_SEGMENTS)
		fuzz_fail("elf: accepted with %u segments", img->nsegs);
	if (img->span > ELF_MAX_SPAN || img->span % PAGE)
		fuzz_fail("elf: span %#llx", (unsigned long long)img->span);
	bool entry_ok = false;
	for (uint32_t i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		if (s->offset > len || s->filesz > len - s->offset)
			fuzz_fail("elf: segment %u's file bytes leave the file", i);
		if (!s->memsz || s->filesz > s->memsz || s->vaddr > img->span || s->memsz > img->span - s->vaddr)
			fuzz_fail("elf: segment %u (vaddr %#llx memsz %#llx) outside the span %#llx", i,
			          (unsigned long long)s->vaddr, (unsigned long long)s->memsz,
			          (unsigned long long)img->span);
		if ((s->prot & ELF_PROT_WRITE) && (s->prot & ELF_PROT_EXEC))
			fuzz_fail("elf: segment %u is writable and executable", i);
		if (i && page_down(s->vaddr) < page_up(img->segs[i - 1].vaddr + img->segs[i - 1].memsz))
			fuzz_fail("elf: segments %u and %u share a page or are out of order", i - 1, i);
		if (img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz && (s->prot & ELF_PROT_EXEC))
			entry_ok = true;
	}
	if (!entry_ok)
		fuzz_fail("elf: entry %#llx is not in an executable segment", (unsigned long long)img->entry);
	if (img->rela_count &&
	    (img->rela_offset > len || img->rela_count > (len - img->rela_offset) / 24 || img->rela_count > ELF_MAX_RELOCS))
		fuzz_fail("elf: %llu relocations at %#llx leave the file", (unsigned long long)img->rela_count,
		          (unsigned long long)img->rela_offset);
	for (uint64_t i = 0; i < img->rela_count; i++) {
		uint64_t where, addend;
		elf_reloc(elf, img, i, &where, &addend);
		if (where == UINT64_MAX)
			continue;
		if (where > img->span || 8 > img->span - where)
			fuzz_fail("elf: relocation %llu patches %#llx outside the image", (unsigned long long)i,
			          (unsigned long long)where);
	}
	if (img->has_tls) {
		if (img->tls.filesz > img->tls.memsz || img->tls.memsz > ELF_MAX_TLS || !img->tls.align ||
		    (img->tls.align & (img->tls.align - 1)) || img->tls.align > PAGE)
			fuzz_fail("elf: TLS filesz %#llx memsz %#llx align %#llx", (unsigned long long)img->tls.filesz,
			          (unsigned long long)img->tls.memsz, (unsigned long long)img->tls.align);
	}
}

/* The protection page `page` (an offset in the image) must have. */
static int expected_prot(const struct elf_image *img, uint64_t page)
{
	if (img->has_relro) {
		uint64_t r0 = page_down(img->relro_vaddr), r1 = page_down(img->relro_vaddr + img->relro_size);
		if (page >= r0 && page < r1)
			return HAL_PROT_READ;
	}
	for (uint32_t i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		if (page >= page_down(s->vaddr) && page < page_up(s->vaddr + s->memsz))
			return (int)s->prot;
	}
	return 0;
}

static void check_loaded(const uint8_t *elf, const struct elf_image *img, struct proc *p)
{
	struct hal_ctx *ctx = p->ctx;
	uint64_t base = ctx->entry - img->entry;
	if (base % PAGE)
		fuzz_fail("elf: loaded at a base %#llx that is not page-aligned", (unsigned long long)base);
	for (uint64_t page = 0; page < img->span; page += PAGE) {
		int prot = fake_hal_page_prot(p->as, base + page);
		if (prot < 0)
			fuzz_fail("elf: image page %#llx is not mapped", (unsigned long long)page);
		if ((prot & HAL_PROT_WRITE) && (prot & HAL_PROT_EXEC))
			fuzz_fail("elf: image page %#llx is writable and executable", (unsigned long long)page);
		if (prot != expected_prot(img, page))
			fuzz_fail("elf: image page %#llx has protection %d, not %d", (unsigned long long)page, prot,
			          expected_prot(img, page));
		if (page > 64 * 1024 * PAGE)
			break; /* enough: big spans are mostly bss */
	}
	/* Relocations: each applied (unless a later one overlaps it). */
	uint64_t n = img->rela_count < 256 ? img->rela_count : 256;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t where, addend, w2, a2, v;
		elf_reloc(elf, img, i, &where, &addend);
		if (where == UINT64_MAX)
			continue;
		bool overwritten = false;
		for (uint64_t j = i + 1; j < img->rela_count && !overwritten; j++) {
			elf_reloc(elf, img, j, &w2, &a2);
			overwritten = w2 != UINT64_MAX && w2 + 8 > where && where + 8 > w2;
		}
		if (overwritten)
			continue;
		if (fake_hal_read(p->as, base + where, &v, 8))
			fuzz_fail("elf: relocation target %#llx unreadable", (unsigned long long)where);
		if (v != base + addend)
			fuzz_fail("elf: relocation %llu at %#llx holds %#llx, not %#llx", (unsigned long long)i,
			          (unsigned long long)where, (unsigned long long)v, (unsigned long long)(base + addend));
	}
	/* Segment bytes, where no relocation patched them. */
	for (uint32_t i = 0; i < img->nsegs; i++) {
		const struct elf_segment *s = &img->segs[i];
		uint64_t len = s->filesz < 4096 ? s->filesz : 4096;
		uint8_t got[4096];
		if (!len)
			continue;
		if (fake_hal_read(p->as, base + s->vaddr, got, len))
			fuzz_fail("elf: segment %u unreadable", i);
		for (uint64_t k = 0; k < len; k++) {
			if (got[k] == elf[s->offset + k])
				continue;
			bool patched = false;
			for (uint64_t j = 0; j < img->rela_count && !patched; j++) {
				uint64_t w, a;
				elf_reloc(elf, img, j, &w, &a);
				patched = w != UINT64_MAX && s->vaddr + k >= w && s->vaddr + k < w + 8;
			}
			if (!patched)
				fuzz_fail("elf: segment %u byte %#llx is %#x, the file says %#x", i,
				          (unsigned long long)k, got[k], elf[s->offset + k]);
		}
	}
	uint64_t tp;
	if (fake_hal_read(p->as, ctx->thread_pointer, &tp, 8) || tp != ctx->thread_pointer)
		fuzz_fail("elf: the thread pointer %#llx does not point to itself",
		          (unsigned long long)ctx->thread_pointer);
	if ((int64_t)fake_hal_as_pages(p->as) != p->ledger.pages)
		fuzz_fail("elf: ledger says %lld pages, the HAL %zu", (long long)p->ledger.pages,
		          fake_hal_as_pages(p->as));
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_hal_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t quotas[8] = { 0, 1, 8, 64, 1024, 1100, 2048, 70000 };
	struct fz f = { data, size };
	uint8_t fail = fz_u8(&f), quota = fz_u8(&f);
	const uint8_t *elf = f.p;
	size_t len = f.n;

	fake_hal_reset();
	struct elf_image img, again;
	int e = elf_parse(elf, len, &img);
	if (e < 0 || e >= ELF_ERR__COUNT || !elf_strerror(e))
		fuzz_fail("elf: elf_parse returned %d", e);
	if (elf_parse(elf, len, &again) != e || (!e && memcmp(&img, &again, sizeof(img))))
		fuzz_fail("elf: elf_parse is not deterministic");
	if (e)
		return 0;
	check_image(elf, len, &img);

	static const char *const argv[] = { "elf" };
	static const uint32_t argv_len[] = { 3 };
	struct proc_spec spec = {
		.name = "elf",
		.name_len = 3,
		.elf = elf,
		.elf_len = len,
		.quota = { .memory_pages = quotas[quota % 8] },
		.max_caps = 1,
		.argc = 1,
		.argv = argv,
		.argv_len = argv_len,
	};
	if (fail >= 160)
		fake_hal_fail_alloc_at(fail - 160);
	struct proc *p;
	int err = proc_create(&spec, &p);
	fake_hal_fail_alloc_at(-1);
	if (!err) {
		check_loaded(elf, &img, p);
		proc_kill(p);
	} else if (err != KERR(RESOURCE_EXHAUSTED) && err != KERR(INVALID_ARGUMENT)) {
		fuzz_fail("elf: proc_create failed with %d", err);
	}
	if (kalloc_live_count())
		fuzz_fail("elf: %zu kernel allocations left after the process ended", kalloc_live_count());
	if (proc_live_count())
		fuzz_fail("elf: %zu processes left", proc_live_count());
	kalloc_trim();
	fuzz_check_clean("elf");
	return 0;
}
