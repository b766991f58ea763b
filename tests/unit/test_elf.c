/*
 * test_elf.c - the ELF validator (kernel/elf.c): elf_parse and elf_reloc.
 *
 * The input is tests/mkmanifest/tiny.c built as a freestanding static-PIE
 * (TINY_ELF, built by mk/mkmanifest.mk): one relocation, TLS and RELRO.
 * Its expected layout is computed independently with the system's <elf.h>
 * and checked against what elf_parse reports; each rejection then starts
 * from a fresh copy of it and breaks exactly one thing, expecting one exact
 * enum elf_error. Finally 2000 seeded random corruptions must never crash
 * the parser, and whatever it accepts must satisfy its documented promises
 * (segments inside the file, no W+X, entry executable, relocations inside
 * writable segments...). Every parse is of a heap copy of exactly `len`
 * bytes, so an over-read is caught by ASan or valgrind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <elf.h>  /* the system's: an independent view of the same file */

#include "elf.h"  /* kernel/elf.h */

#ifndef TINY_ELF
#error "TINY_ELF must name tests/mkmanifest/tiny.c built as a static-PIE"
#endif

static uint8_t *tiny;      /* the pristine file */
static size_t tiny_len;
static uint8_t *img;       /* this test's copy (tiny_len bytes) */

/* ------------------------------------------------------------ helpers */

static int group_setup(void **state)
{
	(void)state;
	FILE *f = fopen(TINY_ELF, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", TINY_ELF);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	tiny_len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	tiny = malloc(tiny_len);
	size_t n = tiny && tiny_len ? fread(tiny, 1, tiny_len, f) : 0;
	fclose(f);
	return n == tiny_len && tiny_len > 0 ? 0 : -1;
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
	img = malloc(tiny_len);
	memcpy(img, tiny, tiny_len);
	return img ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(img);
	img = NULL;
	return 0;
}

/* elf_parse on a heap copy of exactly the first `len` bytes of `p`. */
static int parse_n(const uint8_t *p, size_t len, struct elf_image *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, p, len);
	memset(out, 0xa5, sizeof(*out));
	int r = elf_parse(copy, len, out);
	free(copy);
	return r;
}

static int parse(struct elf_image *out) { return parse_n(img, tiny_len, out); }

#define expect_n(len, want) expect_at(__LINE__, len, want)
#define expect(want) expect_at(__LINE__, tiny_len, want)

static void expect_at(int line, size_t len, int want)
{
	struct elf_image e;
	int got = parse_n(img, len, &e);
	if (got != want)
		fail_msg("line %d: elf_parse gave %d (%s), expected %d (%s)", line, got, elf_strerror(got), want,
		         elf_strerror(want));
}

static Elf64_Ehdr *ehdr(void) { return (Elf64_Ehdr *)img; }
static Elf64_Phdr *phdrs(void) { return (Elf64_Phdr *)(img + ehdr()->e_phoff); }

/* The n-th (0-based) program header of `type`; fails the test if none. */
static Elf64_Phdr *phdr(uint32_t type, int n)
{
	for (int i = 0; i < ehdr()->e_phnum; i++)
		if (phdrs()[i].p_type == type && n-- == 0)
			return &phdrs()[i];
	fail_msg("tiny.elf has no program header of type %#x", type);
	return NULL;
}

static int count_phdrs(uint32_t type)
{
	int n = 0;
	for (int i = 0; i < ehdr()->e_phnum; i++)
		n += phdrs()[i].p_type == type;
	return n;
}

/* The file offset of link-time address v (inside a PT_LOAD's file bytes). */
static uint64_t file_offset(uint64_t v)
{
	for (int i = 0; i < ehdr()->e_phnum; i++) {
		const Elf64_Phdr *p = &phdrs()[i];
		if (p->p_type == PT_LOAD && v >= p->p_vaddr && v - p->p_vaddr < p->p_filesz)
			return p->p_offset + (v - p->p_vaddr);
	}
	fail_msg("address %#llx is not file-backed", (unsigned long long)v);
	return 0;
}

static Elf64_Dyn *dyn(int64_t tag)
{
	Elf64_Phdr *d = phdr(PT_DYNAMIC, 0);
	for (Elf64_Dyn *e = (Elf64_Dyn *)(img + d->p_offset); e->d_tag != DT_NULL; e++)
		if (e->d_tag == tag)
			return e;
	fail_msg("tiny.elf has no dynamic tag %lld", (long long)tag);
	return NULL;
}

static Elf64_Rela *rela(int i) { return (Elf64_Rela *)(img + file_offset(dyn(DT_RELA)->d_un.d_ptr)) + i; }

static uint64_t page_up(uint64_t v) { return (v + 4095) & ~(uint64_t)4095; }

static uint32_t prot_of(uint32_t pf)
{
	return ((pf & PF_R) ? ELF_PROT_READ : 0) | ((pf & PF_W) ? ELF_PROT_WRITE : 0) |
	       ((pf & PF_X) ? ELF_PROT_EXEC : 0);
}

/* ------------------------------------------------------------ acceptance */

static void test_accepts_tiny(void **state)
{
	(void)state;
	struct elf_image e;
	assert_int_equal(parse(&e), ELF_OK);

	/* Segments: every PT_LOAD, in order, as the file says. */
	int nload = count_phdrs(PT_LOAD);
	assert_int_equal(e.nsegs, (uint32_t)nload);
	assert_in_range(e.nsegs, 2, ELF_MAX_SEGMENTS);
	int exec_segs = 0, data_segs = 0;
	for (int i = 0; i < nload; i++) {
		const Elf64_Phdr *p = phdr(PT_LOAD, i);
		const struct elf_segment *s = &e.segs[i];
		assert_int_equal(s->vaddr, p->p_vaddr);
		assert_int_equal(s->memsz, p->p_memsz);
		assert_int_equal(s->offset, p->p_offset);
		assert_int_equal(s->filesz, p->p_filesz);
		assert_int_equal(s->prot, prot_of(p->p_flags));
		assert_true(s->prot & ELF_PROT_READ);
		assert_false((s->prot & ELF_PROT_WRITE) && (s->prot & ELF_PROT_EXEC));
		exec_segs += (s->prot == (ELF_PROT_READ | ELF_PROT_EXEC));
		data_segs += (s->prot == (ELF_PROT_READ | ELF_PROT_WRITE));
		assert_true(s->offset + s->filesz <= tiny_len);
	}
	assert_int_equal(exec_segs, 1); /* -z separate-code: text alone, R+X */
	assert_int_equal(data_segs, 1);
	const Elf64_Phdr *last = phdr(PT_LOAD, nload - 1);
	assert_int_equal(e.span, page_up(last->p_vaddr + last->p_memsz));

	/* The entry point (_start) is inside the executable segment. */
	assert_int_equal(e.entry, ehdr()->e_entry);
	const Elf64_Phdr *text = NULL;
	for (int i = 0; i < nload; i++)
		if (phdr(PT_LOAD, i)->p_flags & PF_X)
			text = phdr(PT_LOAD, i);
	assert_non_null(text);
	assert_in_range(e.entry, text->p_vaddr, text->p_vaddr + text->p_memsz - 1);

	/* TLS: __thread int tls_value = 2. */
	const Elf64_Phdr *tls = phdr(PT_TLS, 0);
	assert_true(e.has_tls);
	assert_int_equal(e.tls.vaddr, tls->p_vaddr);
	assert_int_equal(e.tls.filesz, tls->p_filesz);
	assert_int_equal(e.tls.memsz, tls->p_memsz);
	assert_int_equal(e.tls.align, tls->p_align);
	assert_int_equal(e.tls.filesz, sizeof(int));
	int tls_init;
	memcpy(&tls_init, img + file_offset(e.tls.vaddr), sizeof(tls_init));
	assert_int_equal(tls_init, 2);

	/* Relocations: one R_X86_64_RELATIVE (value_ptr = &value). */
	assert_int_equal(e.rela_offset, file_offset(dyn(DT_RELA)->d_un.d_ptr));
	assert_int_equal(e.rela_count, dyn(DT_RELASZ)->d_un.d_val / sizeof(Elf64_Rela));
	assert_int_equal(e.rela_count, 1);
	assert_int_equal(ELF64_R_TYPE(rela(0)->r_info), R_X86_64_RELATIVE);
	uint64_t where, addend;
	elf_reloc(img, &e, 0, &where, &addend);
	assert_int_equal(where, rela(0)->r_offset);
	assert_int_equal(addend, (uint64_t)rela(0)->r_addend);
	int value;
	memcpy(&value, img + file_offset(addend), sizeof(value));
	assert_int_equal(value, 1); /* static int value = 1 */
	/* The relocated word is in the writable segment. */
	const struct elf_segment *data = &e.segs[nload - 1];
	assert_int_equal(data->prot, ELF_PROT_READ | ELF_PROT_WRITE);
	assert_true(where >= data->vaddr && where + 8 <= data->vaddr + data->memsz);

	/* RELRO. */
	const Elf64_Phdr *relro = phdr(PT_GNU_RELRO, 0);
	assert_true(e.has_relro);
	assert_int_equal(e.relro_vaddr, relro->p_vaddr);
	assert_int_equal(e.relro_size, relro->p_memsz);
	assert_true(e.relro_vaddr >= data->vaddr && e.relro_vaddr + e.relro_size <= data->vaddr + data->memsz);

	/* Section headers are not needed: the file cut after the last
	 * segment's bytes is still the same image, one byte less is not. */
	uint64_t end = 0;
	for (int i = 0; i < ehdr()->e_phnum; i++)
		if (phdrs()[i].p_type == PT_LOAD || phdrs()[i].p_type == PT_DYNAMIC)
			if (phdrs()[i].p_offset + phdrs()[i].p_filesz > end)
				end = phdrs()[i].p_offset + phdrs()[i].p_filesz;
	struct elf_image cut;
	assert_int_equal(parse_n(img, end, &cut), ELF_OK);
	assert_memory_equal(&cut, &e, sizeof(e));
	expect_n(end - 1, ELF_ERR_TRUNCATED);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int i = 0; i < ELF_ERR__COUNT; i++) {
		assert_non_null(elf_strerror(i));
		assert_string_not_equal(elf_strerror(i), "unknown ELF error");
	}
	assert_string_equal(elf_strerror(ELF_OK), "ok");
	assert_string_equal(elf_strerror(-1), "unknown ELF error");
	assert_string_equal(elf_strerror(ELF_ERR__COUNT), "unknown ELF error");
}

/* ------------------------------------------------------------ the header */

static void test_truncated(void **state)
{
	(void)state;
	struct elf_image e;
	assert_int_equal(elf_parse(NULL, 100, &e), ELF_ERR_TRUNCATED);
	expect_n(0, ELF_ERR_TRUNCATED);
	expect_n(1, ELF_ERR_TRUNCATED);
	expect_n(3, ELF_ERR_TRUNCATED);
	expect_n(4, ELF_ERR_TRUNCATED);   /* the magic, and nothing else */
	expect_n(63, ELF_ERR_TRUNCATED);  /* inside the ELF header */
	expect_n(64, ELF_ERR_PHDR);       /* the header, but no program headers */
	expect_n(ehdr()->e_phoff + ehdr()->e_phnum * sizeof(Elf64_Phdr) - 1, ELF_ERR_PHDR);
	/* Program headers complete, the first segment's bytes not. */
	expect_n(ehdr()->e_phoff + ehdr()->e_phnum * sizeof(Elf64_Phdr), ELF_ERR_TRUNCATED);
	/* Inside the text segment. */
	const Elf64_Phdr *text = phdr(PT_LOAD, 1);
	expect_n(text->p_offset + text->p_filesz / 2, ELF_ERR_TRUNCATED);
}

static void test_bad_magic(void **state)
{
	(void)state;
	for (int i = 0; i < 4; i++) {
		uint8_t saved = img[i];
		img[i] ^= 0x20;
		expect(ELF_ERR_MAGIC);
		expect_n(i + 1, ELF_ERR_MAGIC); /* decided before the file runs out */
		img[i] = saved;
	}
	memcpy(img, "\177ELG", 4);
	expect(ELF_ERR_MAGIC);
}

static void test_bad_class_endian_version(void **state)
{
	(void)state;
	img[EI_CLASS] = ELFCLASS32;
	expect(ELF_ERR_CLASS);
	img[EI_CLASS] = ELFCLASSNONE;
	expect(ELF_ERR_CLASS);
	img[EI_CLASS] = ELFCLASS64;

	img[EI_DATA] = ELFDATA2MSB;
	expect(ELF_ERR_ENDIAN);
	img[EI_DATA] = ELFDATANONE;
	expect(ELF_ERR_ENDIAN);
	img[EI_DATA] = ELFDATA2LSB;

	img[EI_VERSION] = 2;
	expect(ELF_ERR_VERSION);
	img[EI_VERSION] = EV_NONE;
	expect(ELF_ERR_VERSION);
	img[EI_VERSION] = EV_CURRENT;
	ehdr()->e_version = 2;
	expect(ELF_ERR_VERSION);
	ehdr()->e_version = EV_CURRENT;
	expect(ELF_OK);
}

static void test_bad_machine_and_type(void **state)
{
	(void)state;
	ehdr()->e_machine = EM_386;
	expect(ELF_ERR_MACHINE);
	ehdr()->e_machine = EM_AARCH64;
	expect(ELF_ERR_MACHINE);
	ehdr()->e_machine = EM_X86_64;

	ehdr()->e_type = ET_EXEC; /* a position-dependent executable */
	expect(ELF_ERR_TYPE);
	ehdr()->e_type = ET_REL;
	expect(ELF_ERR_TYPE);
	ehdr()->e_type = ET_CORE;
	expect(ELF_ERR_TYPE);
	ehdr()->e_type = ET_DYN;
	expect(ELF_OK);
}

static void test_bad_program_header_table(void **state)
{
	(void)state;
	Elf64_Ehdr saved = *ehdr();
	ehdr()->e_phentsize = 32;
	expect(ELF_ERR_PHDR);
	ehdr()->e_phentsize = 64;
	expect(ELF_ERR_PHDR);
	ehdr()->e_phentsize = 0;
	expect(ELF_ERR_PHDR);
	*ehdr() = saved;

	ehdr()->e_phnum = 0;
	expect(ELF_ERR_PHDR);
	ehdr()->e_phnum = 65;
	expect(ELF_ERR_PHDR);
	ehdr()->e_phnum = 0xffff;
	expect(ELF_ERR_PHDR);
	*ehdr() = saved;

	ehdr()->e_phoff = tiny_len;
	expect(ELF_ERR_PHDR);
	ehdr()->e_phoff = tiny_len - (uint64_t)saved.e_phnum * sizeof(Elf64_Phdr) + 1;
	expect(ELF_ERR_PHDR);
	ehdr()->e_phoff = UINT64_MAX - 8; /* offset + size overflows */
	expect(ELF_ERR_PHDR);
	*ehdr() = saved;
	expect(ELF_OK);
}

/* ------------------------------------------------------------ segments */

static void test_bad_load_segment(void **state)
{
	(void)state;
	Elf64_Phdr *text = phdr(PT_LOAD, 1), *ro = phdr(PT_LOAD, 2), *data = phdr(PT_LOAD, 3);
	Elf64_Phdr t = *text, r = *ro, d = *data;

	text->p_filesz = text->p_memsz + 1;
	expect(ELF_ERR_SEGMENT);
	*text = t;

	data->p_offset = tiny_len - data->p_filesz + 1; /* offset + filesz passes the end */
	expect(ELF_ERR_TRUNCATED);
	data->p_offset = UINT64_MAX - 1;
	expect(ELF_ERR_TRUNCATED);
	*data = d;
	data->p_filesz = data->p_memsz = UINT64_MAX;
	expect(ELF_ERR_TRUNCATED);
	*data = d;

	ro->p_filesz = ro->p_memsz = 0; /* an empty segment */
	expect(ELF_ERR_SEGMENT);
	*ro = r;
	expect(ELF_OK);
}

static void test_overlapping_or_unsorted_segments(void **state)
{
	(void)state;
	Elf64_Phdr *text = phdr(PT_LOAD, 1), *ro = phdr(PT_LOAD, 2);
	Elf64_Phdr r = *ro;

	ro->p_vaddr = text->p_vaddr; /* the same address */
	expect(ELF_ERR_SEGMENT);
	ro->p_vaddr = text->p_vaddr + text->p_memsz; /* right after, but on text's page */
	expect(ELF_ERR_SEGMENT);
	ro->p_vaddr = page_up(text->p_vaddr + text->p_memsz) - 1;
	expect(ELF_ERR_SEGMENT);
	*ro = r;

	/* Swap text and rodata in the table: no longer sorted. */
	Elf64_Phdr tmp = *text;
	*text = *ro;
	*ro = tmp;
	expect(ELF_ERR_SEGMENT);
}

static void test_write_and_execute(void **state)
{
	(void)state;
	phdr(PT_LOAD, 1)->p_flags |= PF_W;
	expect(ELF_ERR_WX);
	phdr(PT_LOAD, 1)->p_flags &= ~(uint32_t)PF_W;
	phdr(PT_LOAD, 3)->p_flags |= PF_X;
	expect(ELF_ERR_WX);
}

static void test_no_load_segment(void **state)
{
	(void)state;
	int n = count_phdrs(PT_LOAD);
	for (int i = 0; i < n; i++)
		phdr(PT_LOAD, 0)->p_type = PT_NULL;
	expect(ELF_ERR_SEGMENT);
}

/* ELF_MAX_SEGMENTS loadable segments are fine, one more is not. The
 * non-load headers after the four PT_LOADs become small loads on fresh
 * pages above the image (in table order, so still sorted). */
static void test_segment_count_limit(void **state)
{
	(void)state;
	assert_int_equal(count_phdrs(PT_LOAD), 4);
	assert_int_equal(ehdr()->e_phnum, 10);
	/* Indices 4..9: DYNAMIC, NOTE, TLS, GNU_EH_FRAME, GNU_STACK, GNU_RELRO. */
	assert_int_equal(phdrs()[4].p_type, PT_DYNAMIC);
	const int first[] = { 5, 7, 8, 9, 6 };
	for (int k = 0; k < 5; k++) {
		Elf64_Phdr *p = &phdrs()[first[k]];
		*p = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R, .p_offset = 0, .p_filesz = 0,
		                   .p_vaddr = 0x6000 + (uint64_t)(first[k] - 5) * 0x1000, .p_memsz = 0x10,
		                   .p_align = 0x1000 };
		struct elf_image e;
		int got = parse(&e);
		if (k < 4) {
			assert_int_equal(got, ELF_OK);
			assert_int_equal(e.nsegs, 5 + k);
			assert_int_equal(e.span, 0x6000 + (uint64_t)(first[k] - 5) * 0x1000 + 0x1000);
		} else {
			assert_int_equal(got, ELF_ERR_SEGMENT); /* the ninth */
		}
	}
}

static void test_span_limit(void **state)
{
	(void)state;
	Elf64_Phdr *data = phdr(PT_LOAD, 3);
	Elf64_Phdr d = *data;
	struct elf_image e;

	data->p_memsz = ELF_MAX_SPAN - data->p_vaddr; /* ends exactly at the limit */
	assert_int_equal(parse(&e), ELF_OK);
	assert_int_equal(e.span, ELF_MAX_SPAN);
	data->p_memsz++;
	expect(ELF_ERR_TOO_BIG);
	data->p_memsz = ELF_MAX_SPAN;
	expect(ELF_ERR_TOO_BIG);
	data->p_memsz = UINT64_MAX; /* vaddr + memsz wraps */
	expect(ELF_ERR_TOO_BIG);
	*data = d;

	/* A segment starting beyond the limit. */
	Elf64_Phdr *note = phdr(PT_NOTE, 0);
	*note = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R, .p_vaddr = ELF_MAX_SPAN, .p_memsz = 1 };
	expect(ELF_ERR_TOO_BIG);
	note->p_vaddr = UINT64_MAX - 0xfff;
	note->p_memsz = 0x1000;
	expect(ELF_ERR_TOO_BIG);
	note->p_vaddr = ELF_MAX_SPAN - 0x1000; /* the last page: fine */
	assert_int_equal(parse(&e), ELF_OK);
	assert_int_equal(e.span, ELF_MAX_SPAN);
}

/* ------------------------------------------------------------ dynamic linking */

static void test_interpreter(void **state)
{
	(void)state;
	phdr(PT_NOTE, 0)->p_type = PT_INTERP;
	expect(ELF_ERR_DYNAMIC);
}

static void test_dynamic_tags(void **state)
{
	(void)state;
	Elf64_Dyn *debug = dyn(DT_DEBUG), saved = *debug;

	debug->d_tag = DT_NEEDED;
	expect(ELF_ERR_DYNAMIC);
	debug->d_tag = DT_TEXTREL;
	expect(ELF_ERR_RELOC);
	debug->d_tag = DT_REL;
	expect(ELF_ERR_RELOC);
	*debug = (Elf64_Dyn){ .d_tag = DT_FLAGS, .d_un.d_val = DF_TEXTREL };
	expect(ELF_ERR_RELOC);
	*debug = (Elf64_Dyn){ .d_tag = DT_FLAGS, .d_un.d_val = DF_BIND_NOW };
	expect(ELF_OK);
	*debug = (Elf64_Dyn){ .d_tag = DT_PLTRELSZ, .d_un.d_val = 24 };
	expect(ELF_ERR_RELOC);
	*debug = (Elf64_Dyn){ .d_tag = DT_PLTRELSZ, .d_un.d_val = 0 };
	expect(ELF_OK);
	*debug = saved;

	Elf64_Dyn *ent = dyn(DT_RELAENT), e0 = *ent;
	ent->d_un.d_val = 16;
	expect(ELF_ERR_RELOC);
	ent->d_un.d_val = 0; /* must not divide by zero */
	expect(ELF_ERR_RELOC);
	*ent = e0;

	Elf64_Dyn *sz = dyn(DT_RELASZ), s0 = *sz;
	sz->d_un.d_val = 25;
	expect(ELF_ERR_RELOC);
	sz->d_un.d_val = (uint64_t)(ELF_MAX_RELOCS + 1) * sizeof(Elf64_Rela);
	expect(ELF_ERR_RELOC);
	sz->d_un.d_val = 0x100 * sizeof(Elf64_Rela); /* more than the file-backed bytes there */
	expect(ELF_ERR_RELOC);
	struct elf_image e;
	sz->d_un.d_val = 0; /* no relocations after all */
	assert_int_equal(parse(&e), ELF_OK);
	assert_int_equal(e.rela_count, 0);
	*sz = s0;

	Elf64_Dyn *ra = dyn(DT_RELA), r0 = *ra;
	ra->d_un.d_ptr = 0x100000; /* outside every segment */
	expect(ELF_ERR_RELOC);
	ra->d_un.d_ptr = UINT64_MAX - 8;
	expect(ELF_ERR_RELOC);
	*ra = r0;

	/* The table must be in the file, not in a segment's zero-filled tail:
	 * give the first segment a bss and point DT_RELA into it. */
	Elf64_Phdr *hdrs = phdr(PT_LOAD, 0), h0 = *hdrs;
	hdrs->p_memsz = 0x800;
	ra->d_un.d_ptr = hdrs->p_filesz + 8;
	expect(ELF_ERR_RELOC);
	ra->d_un.d_ptr = hdrs->p_filesz - 8; /* straddles the end of the file bytes */
	expect(ELF_ERR_RELOC);
	*hdrs = h0;
	*ra = r0;
	expect(ELF_OK);

	/* DT_NULL ends the section: nothing after it counts. */
	Elf64_Dyn *first = (Elf64_Dyn *)(img + phdr(PT_DYNAMIC, 0)->p_offset);
	first->d_tag = DT_NULL;
	assert_int_equal(parse(&e), ELF_OK);
	assert_int_equal(e.rela_count, 0);
}

static void test_bad_dynamic_segment(void **state)
{
	(void)state;
	Elf64_Phdr *d = phdr(PT_DYNAMIC, 0), saved = *d;
	d->p_filesz = 0x18; /* not whole entries */
	expect(ELF_ERR_DYNAMIC);
	*d = saved;
	d->p_offset = tiny_len - 0x10 + 1;
	expect(ELF_ERR_DYNAMIC);
	*d = saved;
	d->p_offset = UINT64_MAX - 0xf;
	expect(ELF_ERR_DYNAMIC);
}

/* ------------------------------------------------------------ relocations */

static void test_relocation_types(void **state)
{
	(void)state;
	Elf64_Rela *r = rela(0), saved = *r;

	r->r_info = ELF64_R_INFO(0, R_X86_64_64);
	expect(ELF_ERR_RELOC);
	r->r_info = ELF64_R_INFO(0, R_X86_64_GLOB_DAT);
	expect(ELF_ERR_RELOC);
	r->r_info = ELF64_R_INFO(0, R_X86_64_JUMP_SLOT);
	expect(ELF_ERR_RELOC);
	r->r_info = ELF64_R_INFO(0, R_X86_64_IRELATIVE);
	expect(ELF_ERR_RELOC);
	r->r_info = ELF64_R_INFO(1, R_X86_64_RELATIVE); /* RELATIVE names no symbol */
	expect(ELF_ERR_RELOC);

	/* R_X86_64_NONE is allowed and patches nothing. */
	struct elf_image e;
	r->r_info = ELF64_R_INFO(0, R_X86_64_NONE);
	r->r_offset = 0x100000; /* not even checked */
	assert_int_equal(parse(&e), ELF_OK);
	assert_int_equal(e.rela_count, 1);
	uint64_t where = 0, addend = 1;
	elf_reloc(img, &e, 0, &where, &addend);
	assert_int_equal(where, UINT64_MAX);
	assert_int_equal(addend, 0);
	*r = saved;
}

static void test_relocation_targets(void **state)
{
	(void)state;
	Elf64_Rela *r = rela(0);
	const Elf64_Phdr *data = phdr(PT_LOAD, 3);
	uint64_t data_end = data->p_vaddr + data->p_memsz;

	r->r_offset = 0x100000;               /* in no segment */
	expect(ELF_ERR_RELOC);
	r->r_offset = phdr(PT_LOAD, 1)->p_vaddr; /* text: read-only */
	expect(ELF_ERR_RELOC);
	r->r_offset = phdr(PT_LOAD, 2)->p_vaddr; /* rodata: read-only */
	expect(ELF_ERR_RELOC);
	r->r_offset = 0;                      /* headers: read-only */
	expect(ELF_ERR_RELOC);
	r->r_offset = data_end - 4;           /* straddles the end of the segment */
	expect(ELF_ERR_RELOC);
	r->r_offset = data_end;
	expect(ELF_ERR_RELOC);
	r->r_offset = UINT64_MAX - 3;
	expect(ELF_ERR_RELOC);
	r->r_offset = data->p_vaddr - 4;      /* straddles the start */
	expect(ELF_ERR_RELOC);

	/* Anywhere inside the writable segment is fine, RELRO included (it is
	 * made read-only after relocation). */
	r->r_offset = data_end - 8;
	expect(ELF_OK);
	r->r_offset = phdr(PT_GNU_RELRO, 0)->p_vaddr;
	expect(ELF_OK);
}

/* ------------------------------------------------------------ TLS */

static void test_bad_tls(void **state)
{
	(void)state;
	Elf64_Phdr *t = phdr(PT_TLS, 0), saved = *t;
	struct elf_image e;

	t->p_filesz = t->p_memsz + 1;
	expect(ELF_ERR_TLS);
	*t = saved;
	t->p_align = 3;
	expect(ELF_ERR_TLS);
	t->p_align = 12;
	expect(ELF_ERR_TLS);
	t->p_align = 2 * ELF_PAGE_SIZE;
	expect(ELF_ERR_TLS);
	t->p_align = 0; /* no constraint: treated as 1 */
	assert_int_equal(parse(&e), ELF_OK);
	assert_int_equal(e.tls.align, 1);
	t->p_align = ELF_PAGE_SIZE;
	expect(ELF_OK);
	*t = saved;

	t->p_memsz = ELF_MAX_TLS + 1;
	expect(ELF_ERR_TLS);
	t->p_memsz = ELF_MAX_TLS;
	expect(ELF_OK);
	*t = saved;

	t->p_vaddr = 0x100000; /* its image is not in the file */
	expect(ELF_ERR_TLS);
	t->p_filesz = 0;      /* ... which is fine if it has none */
	assert_int_equal(parse(&e), ELF_OK);
	assert_int_equal(e.tls.filesz, 0);
	*t = saved;

	/* Two TLS segments. */
	Elf64_Phdr *eh = phdr(PT_GNU_EH_FRAME, 0);
	eh->p_type = PT_TLS;
	expect(ELF_ERR_TLS);
}

/* ------------------------------------------------------------ misc */

static void test_relro(void **state)
{
	(void)state;
	Elf64_Phdr *r = phdr(PT_GNU_RELRO, 0), saved = *r;
	r->p_vaddr = phdr(PT_LOAD, 1)->p_vaddr; /* over the text */
	expect(ELF_ERR_SEGMENT);
	r->p_vaddr = 0x100000;
	expect(ELF_ERR_SEGMENT);
	*r = saved;
	r->p_memsz = phdr(PT_LOAD, 3)->p_memsz + 1; /* past its segment */
	expect(ELF_ERR_SEGMENT);
}

static void test_exec_stack(void **state)
{
	(void)state;
	Elf64_Phdr *s = phdr(PT_GNU_STACK, 0);
	s->p_flags |= PF_X;
	expect(ELF_ERR_EXEC_STACK);
	s->p_type = PT_NULL; /* no PT_GNU_STACK at all is fine */
	expect(ELF_OK);
}

static void test_bad_entry(void **state)
{
	(void)state;
	const Elf64_Phdr *text = phdr(PT_LOAD, 1);
	ehdr()->e_entry = phdr(PT_LOAD, 2)->p_vaddr; /* read-only data */
	expect(ELF_ERR_ENTRY);
	ehdr()->e_entry = 0;                          /* the headers */
	expect(ELF_ERR_ENTRY);
	ehdr()->e_entry = 0x100000;                   /* nowhere */
	expect(ELF_ERR_ENTRY);
	ehdr()->e_entry = text->p_vaddr + text->p_memsz; /* one past the code */
	expect(ELF_ERR_ENTRY);
	ehdr()->e_entry = UINT64_MAX;
	expect(ELF_ERR_ENTRY);
	ehdr()->e_entry = text->p_vaddr + text->p_memsz - 1; /* its last byte */
	expect(ELF_OK);
}

/* ------------------------------------------------------------ random corruption */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so a failure reproduces. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* What elf_parse promises about an image it accepted (elf.h). */
static void check_invariants(int iter, const uint8_t *p, size_t len, const struct elf_image *e)
{
#define INV(cond)                                                                   \
	do {                                                                        \
		if (!(cond))                                                        \
			fail_msg("iteration %d: accepted image breaks %s", iter, #cond); \
	} while (0)
	INV(e->nsegs >= 1 && e->nsegs <= ELF_MAX_SEGMENTS);
	INV(e->span <= ELF_MAX_SPAN && e->span % ELF_PAGE_SIZE == 0);
	uint64_t prev_end = 0;
	bool entry_ok = false;
	for (uint32_t i = 0; i < e->nsegs; i++) {
		const struct elf_segment *s = &e->segs[i];
		INV(s->offset <= len && s->filesz <= len - s->offset);
		INV(s->filesz <= s->memsz && s->memsz > 0);
		INV(s->vaddr <= e->span && s->memsz <= e->span - s->vaddr);
		INV((s->prot & ~7u) == 0);
		INV(!((s->prot & ELF_PROT_WRITE) && (s->prot & ELF_PROT_EXEC)));
		INV(i == 0 || (s->vaddr & ~(uint64_t)4095) >= prev_end);
		prev_end = page_up(s->vaddr + s->memsz);
		if ((s->prot & ELF_PROT_EXEC) && e->entry >= s->vaddr && e->entry - s->vaddr < s->memsz)
			entry_ok = true;
	}
	INV(e->span == prev_end);
	INV(entry_ok);
	INV(e->rela_count <= ELF_MAX_RELOCS);
	if (e->rela_count) {
		INV(e->rela_offset <= len && e->rela_count * 24 <= len - e->rela_offset);
		for (uint64_t i = 0; i < e->rela_count; i++) {
			uint64_t where, addend;
			elf_reloc(p, e, i, &where, &addend);
			if (where == UINT64_MAX)
				continue;
			bool ok = false;
			for (uint32_t k = 0; k < e->nsegs; k++) {
				const struct elf_segment *s = &e->segs[k];
				if ((s->prot & ELF_PROT_WRITE) && where >= s->vaddr && where - s->vaddr <= s->memsz &&
				    8 <= s->memsz - (where - s->vaddr))
					ok = true;
			}
			INV(ok);
		}
	}
	if (e->has_tls) {
		INV(e->tls.filesz <= e->tls.memsz && e->tls.memsz <= ELF_MAX_TLS);
		INV(e->tls.align >= 1 && e->tls.align <= ELF_PAGE_SIZE && (e->tls.align & (e->tls.align - 1)) == 0);
		if (e->tls.filesz) {
			bool ok = false;
			for (uint32_t k = 0; k < e->nsegs; k++) {
				const struct elf_segment *s = &e->segs[k];
				if (e->tls.vaddr >= s->vaddr && e->tls.vaddr - s->vaddr <= s->filesz &&
				    e->tls.filesz <= s->filesz - (e->tls.vaddr - s->vaddr))
					ok = true;
			}
			INV(ok);
		}
	}
	if (e->has_relro) {
		bool ok = false;
		for (uint32_t k = 0; k < e->nsegs; k++) {
			const struct elf_segment *s = &e->segs[k];
			if (!(s->prot & ELF_PROT_EXEC) && e->relro_vaddr >= s->vaddr &&
			    e->relro_vaddr - s->vaddr <= s->memsz && e->relro_size <= s->memsz - (e->relro_vaddr - s->vaddr))
				ok = true;
		}
		INV(ok);
	}
#undef INV
}

/* One random corruption of buf (len bytes): a byte, a bit, or an
 * interesting 64-bit value, usually where the parser looks (headers,
 * program headers, the relocation table, the dynamic section). */
struct range {
	size_t lo, hi;
};

static void mutate(uint8_t *buf, size_t len, const struct range *hot)
{
	static const uint64_t interesting[] = {
		0, 1, 2, 3, 7, 8, 16, 24, 0x40, 0xfff, 0x1000, 0x1001, 0x7fffffff, 0x80000000, 0xffffffff,
		ELF_MAX_SPAN, ELF_MAX_SPAN - 1, ELF_MAX_TLS, UINT64_MAX, UINT64_MAX - 7, 0x8000000000000000ull,
	};
	size_t pos;
	switch (rng() % 4) {
	case 0: pos = hot[0].lo + rng() % (hot[0].hi - hot[0].lo); break; /* ELF and program headers */
	case 1: pos = hot[1].lo + rng() % (hot[1].hi - hot[1].lo); break; /* the relocations */
	case 2: pos = hot[2].lo + rng() % (hot[2].hi - hot[2].lo); break; /* the dynamic section */
	default: pos = rng() % len; break;
	}
	if (pos >= len)
		pos = len - 1;
	switch (rng() % 4) {
	case 0: buf[pos] = (uint8_t)rng(); break;
	case 1: buf[pos] ^= (uint8_t)(1u << (rng() % 8)); break;
	case 2: buf[pos] = (rng() & 1) ? 0xff : 0x00; break;
	default: {
		pos &= ~(size_t)7;
		uint64_t v = interesting[rng() % (sizeof(interesting) / sizeof(interesting[0]))];
		if (rng() & 1)
			v += (uint64_t)len * (rng() & 1);
		size_t n = len - pos < 8 ? len - pos : 8;
		memcpy(buf + pos, &v, n);
		break;
	}
	}
}

static void test_random_corruption(void **state)
{
	(void)state;
	const Elf64_Phdr *d = phdr(PT_DYNAMIC, 0);
	size_t rela_off = (size_t)file_offset(dyn(DT_RELA)->d_un.d_ptr);
	const struct range hot[3] = {
		{ 0, (size_t)(ehdr()->e_phoff + ehdr()->e_phnum * sizeof(Elf64_Phdr)) },
		{ rela_off, rela_off + (size_t)dyn(DT_RELASZ)->d_un.d_val },
		{ (size_t)d->p_offset, (size_t)(d->p_offset + d->p_filesz) },
	};
	for (int i = 0; i < 3; i++)
		assert_true(hot[i].lo < hot[i].hi && hot[i].hi <= tiny_len);

	rng_state = 0x9e3779b97f4a7c15ull;
	unsigned accepted = 0, by_error[ELF_ERR__COUNT] = { 0 };
	for (int iter = 0; iter < 2000; iter++) {
		size_t len = tiny_len;
		if (rng() % 8 == 0)
			len = (size_t)(rng() % tiny_len) + 1; /* and cut somewhere */
		uint8_t *buf = malloc(len);
		assert_non_null(buf);
		memcpy(buf, tiny, len);
		int n = 1 + (int)(rng() % 8);
		for (int k = 0; k < n; k++)
			mutate(buf, len, hot);

		struct elf_image e;
		int r = elf_parse(buf, len, &e);
		if (r < 0 || r >= ELF_ERR__COUNT) {
			fail_msg("iteration %d: elf_parse returned %d", iter, r);
			return;
		}
		by_error[r]++;
		if (r == ELF_OK) {
			accepted++;
			check_invariants(iter, buf, len, &e);
		}
		free(buf);
	}
	/* The corruptions were neither all harmless nor all fatal, and they
	 * reached most of the checks. */
	printf("# random corruption: %u of 2000 accepted; rejected:", accepted);
	for (int i = 1; i < ELF_ERR__COUNT; i++)
		printf(" %s %u,", elf_strerror(i), by_error[i]);
	printf("\n");
	assert_in_range(accepted, 20, 1980);
	unsigned kinds = 0;
	for (int i = 1; i < ELF_ERR__COUNT; i++)
		kinds += by_error[i] != 0;
	assert_true(kinds >= 10);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_accepts_tiny),
		T(test_strerror),
		T(test_truncated),
		T(test_bad_magic),
		T(test_bad_class_endian_version),
		T(test_bad_machine_and_type),
		T(test_bad_program_header_table),
		T(test_bad_load_segment),
		T(test_overlapping_or_unsorted_segments),
		T(test_write_and_execute),
		T(test_no_load_segment),
		T(test_segment_count_limit),
		T(test_span_limit),
		T(test_interpreter),
		T(test_dynamic_tags),
		T(test_bad_dynamic_segment),
		T(test_relocation_types),
		T(test_relocation_targets),
		T(test_bad_tls),
		T(test_relro),
		T(test_exec_stack),
		T(test_bad_entry),
		T(test_random_corruption),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
