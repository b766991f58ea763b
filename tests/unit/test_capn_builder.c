/*
 * test_capn_builder.c - tests for the Cap'n Proto builder
 * (schema/capnp/capn_build.c): every kind of field built, framed and read
 * back with the reader; arena exhaustion and oversize requests; far and
 * double-far pointers across several arenas (checked word by word and read
 * back); deep copy with capn_copy_ptr, including from hostile sources.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "capn.h"

/* ------------------------------------------------------------------ helpers */

static uint64_t word_at(const uint8_t *p, uint32_t index)
{
	uint64_t w;
	memcpy(&w, p + (size_t)index * 8, 8);
	return w;
}

static uint64_t SP(int32_t off, uint16_t dw, uint16_t pc)
{
	return ((uint64_t)((uint32_t)off << 2)) | ((uint64_t)dw << 32) | ((uint64_t)pc << 48);
}

static uint64_t FP(uint32_t seg, uint32_t idx)
{
	return 2u | ((uint64_t)idx << 3) | ((uint64_t)seg << 32);
}

static uint64_t DFP(uint32_t seg, uint32_t idx)
{
	return 6u | ((uint64_t)idx << 3) | ((uint64_t)seg << 32);
}

/* Framed messages read back are copied to the end of a read-only mapping
 * followed by a PROT_NONE page. */
#define MAX_MAPS 16
static struct {
	void *p;
	size_t len;
} maps[MAX_MAPS];
static int nmaps;

static const uint8_t *guarded(const void *src, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t body = (len + page - 1) / page * page;
	if (body == 0)
		body = page;
	uint8_t *m = mmap(NULL, body + page, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + body, page, PROT_NONE), 0);
	uint8_t *dst = m + body - len;
	memcpy(dst, src, len);
	assert_int_equal(mprotect(m, body, PROT_READ), 0);
	assert_true(nmaps < MAX_MAPS);
	maps[nmaps].p = m;
	maps[nmaps].len = body + page;
	nmaps++;
	return dst;
}

static int unmap_all(void **state)
{
	(void)state;
	for (int i = 0; i < nmaps; i++)
		munmap(maps[i].p, maps[i].len);
	nmaps = 0;
	return 0;
}

/* Frame b with capn_builder_write_framed and open it with a reader. */
static void read_back(const struct capn_builder *b, struct capn_reader *r, uint32_t want_segs)
{
	static uint8_t out[1 << 16];
	size_t len = 0;
	assert_int_equal(capn_builder_error(b), CAPN_OK);
	size_t need = capn_builder_framed_size(b);
	assert_true(need <= sizeof out);
	assert_int_equal(capn_builder_write_framed(b, out, sizeof out, &len), CAPN_OK);
	assert_int_equal(len, need);
	size_t consumed = 0;
	assert_int_equal(capn_reader_init_framed(r, guarded(out, len), len, NULL, &consumed), CAPN_OK);
	assert_int_equal(consumed, len);
	assert_int_equal(r->nsegs, want_segs);
}

static void set_f32(capn_struct_b s, uint32_t off, float v)
{
	capn_set_u32(s, off, capn_f32_to_bits(v), 0);
}

static void set_f64(capn_struct_b s, uint32_t off, double v)
{
	capn_set_u64(s, off, capn_f64_to_bits(v), 0);
}

/* ------------------------------------------------------------------ "everything" */

/* A struct of 2 data words and 6 pointers holding one of everything:
 *   data: u64 @0, u32 @8, u16 @12, u8 @14, bool @bit 120
 *   ptr 0: struct (1 data word, 1 pointer): u64 99, text "inner text"
 *   ptr 1: 3 structs (1 data word, 2 pointers): u32 10i+1, text "elemI",
 *          u16 list {i, i+1}
 *   ptr 2: list of lists: an 11-bit bool list, a u32 list {7, 8, 9}
 *   ptr 3: list of text: "alpha", "", "gamma"
 *   ptr 4: data {0, 1, 2, 254, 255}
 *   ptr 5: capability 3 */
#define E_DW 2
#define E_PC 6
static const uint8_t e_data[5] = { 0, 1, 2, 254, 255 };
static const char *const e_texts[3] = { "alpha", "", "gamma" };

static void build_everything(capn_struct_b e)
{
	capn_set_u64(e, 0, 0x1122334455667788ull, 0);
	capn_set_u32(e, 8, 0xcafef00du, 0);
	capn_set_u16(e, 12, 0x4242, 0);
	capn_set_u8(e, 14, 0x7f, 0);
	capn_set_bool(e, 120, true, false);

	capn_struct_b in = capn_init_struct(e, 0, 1, 1);
	capn_set_u64(in, 0, 99, 0);
	capn_set_text(in, 0, "inner text", 10);

	capn_list_b sl = capn_init_struct_list(e, 1, 3, 1, 2);
	for (uint32_t i = 0; i < 3; i++) {
		capn_struct_b el = capn_list_struct_at(sl, i);
		char name[8];
		snprintf(name, sizeof name, "elem%u", i);
		capn_set_u32(el, 0, 10 * i + 1, 0);
		capn_set_text(el, 0, name, strlen(name));
		capn_list_b u = capn_init_list(el, 1, CAPN_SZ_2BYTES, 2);
		capn_list_set_u16(u, 0, (uint16_t)i);
		capn_list_set_u16(u, 1, (uint16_t)(i + 1));
	}

	capn_list_b ll = capn_init_list(e, 2, CAPN_SZ_POINTER, 2);
	capn_list_b bits = capn_init_list(capn_list_ptr_elem(ll, 0), 0, CAPN_SZ_BIT, 11);
	for (uint32_t i = 0; i < 11; i++)
		capn_list_set_bool(bits, i, i % 3 == 0);
	capn_list_b u32s = capn_init_list(capn_list_ptr_elem(ll, 1), 0, CAPN_SZ_4BYTES, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_list_set_u32(u32s, i, 7 + i);

	capn_list_b tl = capn_init_list(e, 3, CAPN_SZ_POINTER, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_set_text(capn_list_ptr_elem(tl, i), 0, e_texts[i], strlen(e_texts[i]));

	capn_set_data(e, 4, e_data, sizeof e_data);
	capn_set_cap(e, 5, 3);
}

static void check_everything(capn_struct_r e, struct capn_reader *r)
{
	assert_int_equal(e.data_bytes, E_DW * 8);
	assert_int_equal(e.ptr_count, E_PC);
	assert_int_equal(capn_get_u64(e, 0, 0), 0x1122334455667788ull);
	assert_int_equal(capn_get_u32(e, 8, 0), 0xcafef00du);
	assert_int_equal(capn_get_u16(e, 12, 0), 0x4242);
	assert_int_equal(capn_get_u8(e, 14, 0), 0x7f);
	assert_true(capn_get_bool(e, 120, false));
	assert_false(capn_get_bool(e, 121, false));

	capn_struct_r in = capn_get_struct(e, 0, NULL);
	assert_int_equal(capn_get_u64(in, 0, 0), 99);
	capn_text t = capn_get_text(in, 0, NULL, 0);
	assert_int_equal(t.len, 10);
	assert_string_equal(t.str, "inner text");

	capn_list_r sl = capn_get_list(e, 1, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_list_len(sl), 3);
	for (uint32_t i = 0; i < 3; i++) {
		capn_struct_r el = capn_list_get_struct(sl, i);
		char name[8];
		snprintf(name, sizeof name, "elem%u", i);
		assert_int_equal(capn_get_u32(el, 0, 0), 10 * i + 1);
		assert_string_equal(capn_get_text(el, 0, NULL, 0).str, name);
		capn_list_r u = capn_get_list(el, 1, CAPN_LIST_2BYTES, NULL);
		assert_int_equal(capn_list_len(u), 2);
		assert_int_equal(capn_list_get_u16(u, 0), i);
		assert_int_equal(capn_list_get_u16(u, 1), i + 1);
	}

	capn_list_r ll = capn_get_list(e, 2, CAPN_LIST_POINTER, NULL);
	assert_int_equal(capn_list_len(ll), 2);
	capn_list_r bits = capn_list_get_list(ll, 0, CAPN_LIST_BIT);
	assert_int_equal(capn_list_len(bits), 11);
	for (uint32_t i = 0; i < 11; i++)
		assert_int_equal(capn_list_get_bool(bits, i), i % 3 == 0);
	capn_list_r u32s = capn_list_get_list(ll, 1, CAPN_LIST_4BYTES);
	assert_int_equal(capn_list_len(u32s), 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(capn_list_get_u32(u32s, i), 7 + i);

	capn_list_r tl = capn_get_list(e, 3, CAPN_LIST_POINTER, NULL);
	assert_int_equal(capn_list_len(tl), 3);
	for (uint32_t i = 0; i < 3; i++) {
		capn_text x = capn_list_get_text(tl, i);
		assert_int_equal(x.len, strlen(e_texts[i]));
		assert_string_equal(x.str, e_texts[i]);
	}

	capn_data d = capn_get_data(e, 4, NULL, 0);
	assert_int_equal(d.len, sizeof e_data);
	assert_memory_equal(d.ptr, e_data, sizeof e_data);
	assert_int_equal(capn_get_cap(e, 5), 3);
	assert_int_equal(capn_reader_error(r), CAPN_OK);
}

/* ------------------------------------------------------------------ tests */

static void build_and_read_back(void **state)
{
	static uint64_t arena[512];
	struct capn_builder b;
	assert_int_equal(capn_builder_init(&b, arena, sizeof arena), CAPN_OK);
	/* Root: 4 data words of scalars and floats, 2 pointers. */
	capn_struct_b root = capn_builder_root(&b, 4, 2);
	capn_set_u8(root, 0, 0xab, 0);
	capn_set_bool(root, 8, true, false);
	capn_set_bool(root, 9, false, true); /* differs from its default: stored 1 */
	capn_set_bool(root, 10, true, true); /* equals its default: stored 0 */
	capn_set_u16(root, 2, 0xbeef, 0x1234);
	capn_set_u32(root, 4, 0xdeadbeefu, 0);
	capn_set_u64(root, 8, 0x0123456789abcdefull, 0);
	set_f32(root, 16, 3.5f);
	capn_set_u32(root, 20, capn_f32_to_bits(-1.25f), capn_f32_to_bits(2.0f));
	set_f64(root, 24, -2.25);
	capn_set_cap(root, 1, CAPN_NULL_CAP);
	build_everything(capn_init_struct(root, 0, E_DW, E_PC));
	assert_int_equal(capn_builder_error(&b), CAPN_OK);

	/* The wire bytes of the data section: defaults XORed in. */
	const uint8_t *seg0 = (const uint8_t *)arena + 8;
	assert_int_equal(word_at(seg0, 0), SP(0, 4, 2));
	assert_int_equal(seg0[8], 0xab);
	assert_int_equal(seg0[9], 0x03); /* bits 8, 9 set; bit 10 clear */
	uint16_t u16;
	memcpy(&u16, seg0 + 10, 2);
	assert_int_equal(u16, 0xbeef ^ 0x1234);
	assert_int_equal(word_at(seg0, 6), 0); /* pointer 1: the null capability */

	const void *framed;
	size_t len;
	assert_int_equal(capn_builder_finish(&b, &framed, &len), CAPN_OK);
	assert_ptr_equal(framed, arena); /* in place, no copy */
	assert_int_equal(len, capn_builder_framed_size(&b));
	assert_int_equal(((const uint32_t *)framed)[0], 0);
	assert_int_equal(((const uint32_t *)framed)[1], (len - 8) / 8);

	/* write_framed gives the same bytes. */
	static uint8_t out[4096];
	size_t len2;
	assert_int_equal(capn_builder_write_framed(&b, out, sizeof out, &len2), CAPN_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(out, framed, len);
	/* ... and refuses a short buffer. */
	assert_int_equal(capn_builder_write_framed(&b, out, len - 1, &len2), CAPN_ERR_NO_SPACE);

	struct capn_reader r;
	assert_int_equal(capn_reader_init_framed(&r, guarded(framed, len), len, NULL, NULL), CAPN_OK);
	capn_struct_r rr = capn_reader_root(&r);
	assert_int_equal(capn_get_u8(rr, 0, 0), 0xab);
	assert_true(capn_get_bool(rr, 8, false));
	assert_false(capn_get_bool(rr, 9, true));
	assert_true(capn_get_bool(rr, 10, true));
	assert_int_equal(capn_get_u16(rr, 2, 0x1234), 0xbeef);
	assert_int_equal(capn_get_u32(rr, 4, 0), 0xdeadbeefu);
	assert_int_equal(capn_get_u64(rr, 8, 0), 0x0123456789abcdefull);
	assert_true(capn_bits_to_f32(capn_get_u32(rr, 16, 0)) == 3.5f);
	assert_true(capn_bits_to_f32(capn_get_u32(rr, 20, capn_f32_to_bits(2.0f))) == -1.25f);
	assert_true(capn_bits_to_f64(capn_get_u64(rr, 24, 0)) == -2.25);
	assert_int_equal(capn_get_cap(rr, 1), CAPN_NULL_CAP);
	assert_false(capn_has_ptr(rr, 1));
	check_everything(capn_get_struct(rr, 0, NULL), &r);

	/* The builder's own reader view agrees. */
	struct capn_reader v;
	assert_int_equal(capn_builder_as_reader(&b, &v), CAPN_OK);
	check_everything(capn_get_struct(capn_reader_root(&v), 0, NULL), &v);
	(void)state;
}

static void arena_exhaustion_sticky(void **state)
{
	/* 8 bytes of header + 7 words. */
	static uint64_t arena[8];
	struct capn_builder b;
	assert_int_equal(capn_builder_init(&b, arena, sizeof arena), CAPN_OK);
	capn_struct_b root = capn_builder_root(&b, 1, 2); /* 1 + 3 words */
	assert_non_null(root.data);
	/* 21 bytes: exactly the 3 words left. */
	assert_int_equal(capn_set_text(root, 0, "0123456789abcdefghij", 20), CAPN_OK);
	assert_int_equal(b.segs[0].used_words, 7);
	/* Nothing more fits. */
	assert_int_equal(capn_set_data(root, 1, "x", 1), CAPN_ERR_NO_SPACE);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_NO_SPACE);
	/* The failed pointer stays null. */
	assert_int_equal(word_at((const uint8_t *)arena + 8, 3), 0);

	/* Sticky: even requests that would fit (zero-sized ones) now fail, and
	 * their results are empty builders whose writes are dropped. */
	capn_struct_b s = capn_init_struct(root, 1, 0, 0);
	assert_null(s.data);
	assert_int_equal(s.data_bytes, 0);
	capn_set_u64(s, 0, 1, 0);
	capn_list_b l = capn_init_list(root, 1, CAPN_SZ_VOID, 3);
	assert_null(l.data);
	capn_list_set_u32(l, 0, 1);
	assert_int_equal(capn_set_text(root, 1, "", 0), CAPN_ERR_NO_SPACE);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_NO_SPACE);
	capn_struct_b r2 = capn_builder_root(&b, 0, 0);
	assert_null(r2.data);

	const void *framed;
	size_t len;
	static uint8_t out[256];
	assert_int_equal(capn_builder_finish(&b, &framed, &len), CAPN_ERR_NO_SPACE);
	assert_int_equal(capn_builder_write_framed(&b, out, sizeof out, &len), CAPN_ERR_NO_SPACE);
	struct capn_reader r;
	assert_int_equal(capn_builder_as_reader(&b, &r), CAPN_ERR_NO_SPACE);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_NO_SPACE);

	/* A root that does not fit at all. */
	static uint64_t tiny[2];
	assert_int_equal(capn_builder_init(&b, tiny, sizeof tiny), CAPN_OK);
	root = capn_builder_root(&b, 1, 0);
	assert_null(root.data);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_NO_SPACE);
	(void)state;
}

static void far_pointers_across_arenas(void **state)
{
	/* Arena 0: header + 4 words, just the root pointer and a root of 1 data
	 * word and 2 pointers. Arena 1 takes what does not fit. */
	static uint64_t a0[5], a1[32];
	struct capn_builder b;
	assert_int_equal(capn_builder_init(&b, a0, sizeof a0), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&b, a1, sizeof a1), CAPN_OK);
	capn_struct_b root = capn_builder_root(&b, 1, 2);
	capn_set_u64(root, 0, 0xfeedfacecafebeefull, 0);
	assert_int_equal(b.segs[0].used_words, 4);
	assert_int_equal(capn_set_text(root, 0, "far text", 8), CAPN_OK);
	capn_struct_b child = capn_init_struct(root, 1, 1, 1);
	capn_set_u64(child, 0, 31337, 0);
	/* The child lives in arena 1, so its own text goes there with a plain
	 * pointer. */
	assert_int_equal(capn_set_text(child, 0, "near", 4), CAPN_OK);
	assert_int_equal(capn_builder_error(&b), CAPN_OK);

	/* Word by word: root pointers 0 and 1 are single far pointers to
	 * landing pads in segment 1. */
	const uint8_t *s0 = (const uint8_t *)a0 + 8, *s1 = (const uint8_t *)a1;
	assert_int_equal(word_at(s0, 2), FP(1, 0));
	assert_int_equal(word_at(s1, 0) & 3, 1); /* the pad: a list pointer ... */
	assert_int_equal(word_at(s1, 0) >> 2 & 0x3fffffff, 0); /* ... to right after it */
	assert_int_equal(word_at(s0, 3), FP(1, 3));
	assert_int_equal(word_at(s1, 3), SP(0, 1, 1));
	/* The child's text pointer (segment 1, word 5) is a plain list pointer. */
	assert_int_equal(word_at(s1, 5) & 3, 1);

	const void *framed;
	size_t len;
	assert_int_equal(capn_builder_finish(&b, &framed, &len), CAPN_ERR_SEGMENT_COUNT);
	assert_int_equal(capn_builder_error(&b), CAPN_OK); /* not sticky: use write_framed */

	struct capn_reader r;
	read_back(&b, &r, 2);
	capn_struct_r rr = capn_reader_root(&r);
	assert_int_equal(capn_get_u64(rr, 0, 0), 0xfeedfacecafebeefull);
	assert_string_equal(capn_get_text(rr, 0, NULL, 0).str, "far text");
	capn_struct_r rc = capn_get_struct(rr, 1, NULL);
	assert_int_equal(capn_get_u64(rc, 0, 0), 31337);
	assert_string_equal(capn_get_text(rc, 0, NULL, 0).str, "near");
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	(void)state;
}

static void far_root(void **state)
{
	/* Arena 0 holds only the root pointer. */
	static uint64_t a0[2], a1[16];
	struct capn_builder b;
	assert_int_equal(capn_builder_init(&b, a0, sizeof a0), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&b, a1, sizeof a1), CAPN_OK);
	capn_struct_b root = capn_builder_root(&b, 1, 1);
	capn_set_u64(root, 0, 5, 0);
	capn_set_text(root, 0, "t", 1);
	assert_int_equal(word_at((const uint8_t *)a0 + 8, 0), FP(1, 0));
	struct capn_reader r;
	read_back(&b, &r, 2);
	capn_struct_r rr = capn_reader_root(&r);
	assert_int_equal(capn_get_u64(rr, 0, 0), 5);
	assert_string_equal(capn_get_text(rr, 0, NULL, 0).str, "t");
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	(void)state;
}

static void double_far_pointers(void **state)
{
	/* Arena 0: the root pointer only. Arena 1: exactly the root struct
	 * (3 words, no room for a pad). Arena 2: 2 words, the double-far pad.
	 * Arena 3: 2 words, a one-word text with its one-word far pad. */
	static uint64_t a0[2], a1[3], a2[2], a3[2];
	struct capn_builder b;
	assert_int_equal(capn_builder_init(&b, a0, sizeof a0), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&b, a1, sizeof a1), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&b, a2, sizeof a2), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&b, a3, sizeof a3), CAPN_OK);
	capn_struct_b root = capn_builder_root(&b, 2, 1);
	assert_non_null(root.data);
	capn_set_u64(root, 0, 0x1111, 0);
	capn_set_u64(root, 8, 0x2222, 0);
	assert_int_equal(capn_set_text(root, 0, "dbl", 3), CAPN_OK);
	assert_int_equal(capn_builder_error(&b), CAPN_OK);

	const uint8_t *s0 = (const uint8_t *)a0 + 8;
	assert_int_equal(word_at(s0, 0), DFP(2, 0));
	assert_int_equal(word_at((const uint8_t *)a2, 0), FP(1, 0));
	assert_int_equal(word_at((const uint8_t *)a2, 1), SP(0, 2, 1));
	assert_int_equal(word_at((const uint8_t *)a1, 2), FP(3, 0));

	struct capn_reader r;
	read_back(&b, &r, 4);
	capn_struct_r rr = capn_reader_root(&r);
	assert_int_equal(capn_get_u64(rr, 0, 0), 0x1111);
	assert_int_equal(capn_get_u64(rr, 8, 0), 0x2222);
	assert_string_equal(capn_get_text(rr, 0, NULL, 0).str, "dbl");
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	struct capn_reader v;
	assert_int_equal(capn_builder_as_reader(&b, &v), CAPN_OK);
	assert_string_equal(capn_get_text(capn_reader_root(&v), 0, NULL, 0).str, "dbl");
	assert_int_equal(capn_reader_error(&v), CAPN_OK);

	/* The pad may also sit in the pointer's own segment: arena 0 has 2
	 * spare words (too few for the 3-word root), arena 1 fits the root
	 * exactly. */
	static uint64_t c0[4], c1[3];
	assert_int_equal(capn_builder_init(&b, c0, sizeof c0), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&b, c1, sizeof c1), CAPN_OK);
	root = capn_builder_root(&b, 1, 2);
	capn_set_u64(root, 0, 0x3333, 0);
	capn_set_cap(root, 1, 17);
	assert_int_equal(capn_builder_error(&b), CAPN_OK);
	s0 = (const uint8_t *)c0 + 8;
	assert_int_equal(word_at(s0, 0), DFP(0, 1));
	assert_int_equal(word_at(s0, 1), FP(1, 0));
	assert_int_equal(word_at(s0, 2), SP(0, 1, 2));
	read_back(&b, &r, 2);
	rr = capn_reader_root(&r);
	assert_int_equal(capn_get_u64(rr, 0, 0), 0x3333);
	assert_int_equal(capn_get_cap(rr, 1), 17);
	assert_int_equal(capn_get_cap(rr, 0), CAPN_NULL_CAP);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	(void)state;
}

static void many_small_arenas(void **state)
{
	/* "Everything" spread over many 4-word arenas: far pointers all over. */
	static uint64_t a0[4], small[31][12];
	struct capn_builder b;
	assert_int_equal(capn_builder_init(&b, a0, sizeof a0), CAPN_OK);
	for (int i = 0; i < 31; i++)
		assert_int_equal(capn_builder_add_arena(&b, small[i], sizeof small[i]), CAPN_OK);
	/* The 33rd arena is refused. */
	static uint64_t extra[4];
	assert_int_equal(capn_builder_add_arena(&b, extra, sizeof extra), CAPN_ERR_SEGMENT_COUNT);
	b.err = CAPN_OK; /* that failure is not what this test is about */
	capn_struct_b root = capn_builder_root(&b, 0, 1);
	build_everything(capn_init_struct(root, 0, E_DW, E_PC));
	assert_int_equal(capn_builder_error(&b), CAPN_OK);
	assert_true(b.nsegs > 3);
	struct capn_reader r;
	uint32_t used = 0;
	for (uint32_t i = 0; i < b.nsegs; i++)
		if (b.segs[i].used_words)
			used = i + 1;
	read_back(&b, &r, used);
	check_everything(capn_get_struct(capn_reader_root(&r), 0, NULL), &r);
	(void)state;
}

static void finish_single_segment_only(void **state)
{
	/* An extra arena that is never used does not make a second segment. */
	static uint64_t a0[16], a1[16];
	struct capn_builder b;
	assert_int_equal(capn_builder_init(&b, a0, sizeof a0), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&b, a1, sizeof a1), CAPN_OK);
	capn_struct_b root = capn_builder_root(&b, 1, 0);
	capn_set_u64(root, 0, 7, 0);
	const void *framed;
	size_t len;
	assert_int_equal(capn_builder_finish(&b, &framed, &len), CAPN_OK);
	assert_int_equal(len, 8 + 16);
	/* Now spill into arena 1. */
	capn_list_b l = capn_init_list(root, 0, CAPN_SZ_8BYTES, 1); /* no pointer: dropped */
	assert_null(l.data);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_ARGUMENT);

	assert_int_equal(capn_builder_init(&b, a0, sizeof a0), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&b, a1, sizeof a1), CAPN_OK);
	root = capn_builder_root(&b, 1, 1);
	l = capn_init_list(root, 0, CAPN_SZ_8BYTES, 13); /* 13 words: not in a0 */
	assert_non_null(l.data);
	capn_list_set_u64(l, 12, 99);
	assert_int_equal(capn_builder_finish(&b, &framed, &len), CAPN_ERR_SEGMENT_COUNT);
	struct capn_reader r;
	read_back(&b, &r, 2);
	capn_list_r rl = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_8BYTES, NULL);
	assert_int_equal(capn_list_len(rl), 13);
	assert_int_equal(capn_list_get_u64(rl, 12), 99);
	(void)state;
}

static void copy_ptr_deep(void **state)
{
	/* Source: "everything" built over small arenas (far and double-far
	 * pointers), framed and read back. Arena 0 holds exactly the root
	 * pointer and the root; arena 1 exactly "everything", reached through a
	 * double-far pad in arena 2; the rest goes to the small arenas added
	 * afterwards. */
	static uint64_t a0[6], a1[E_DW + E_PC], a2[2], small[20][12];
	struct capn_builder sb;
	assert_int_equal(capn_builder_init(&sb, a0, sizeof a0), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&sb, a1, sizeof a1), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&sb, a2, sizeof a2), CAPN_OK);
	capn_struct_b sroot = capn_builder_root(&sb, 1, 3);
	capn_set_u64(sroot, 0, 4242, 0);
	capn_struct_b e = capn_init_struct(sroot, 0, E_DW, E_PC);
	assert_int_equal(word_at((const uint8_t *)a0 + 8, 2), DFP(2, 0));
	for (int i = 0; i < 20; i++)
		assert_int_equal(capn_builder_add_arena(&sb, small[i], sizeof small[i]), CAPN_OK);
	build_everything(e);
	capn_set_text(sroot, 1, "side", 4);
	capn_set_cap(sroot, 2, 11);
	assert_int_equal(capn_builder_error(&sb), CAPN_OK);
	static uint8_t src_buf[8192];
	size_t src_len;
	assert_int_equal(capn_builder_write_framed(&sb, src_buf, sizeof src_buf, &src_len), CAPN_OK);
	struct capn_reader src;
	assert_int_equal(capn_reader_init_framed(&src, src_buf, src_len, NULL, NULL), CAPN_OK);
	assert_true(src.nsegs > 2);
	capn_struct_r sr = capn_reader_root(&src);

	/* Destination: one big arena. Copy each pointer field. */
	static uint64_t d0[1024];
	struct capn_builder db;
	assert_int_equal(capn_builder_init(&db, d0, sizeof d0), CAPN_OK);
	capn_struct_b droot = capn_builder_root(&db, 0, 4);
	assert_int_equal(capn_copy_ptr(droot, 0, sr, 0), CAPN_OK);
	assert_int_equal(capn_copy_ptr(droot, 1, sr, 1), CAPN_OK);
	assert_int_equal(capn_copy_ptr(droot, 2, sr, 2), CAPN_OK);
	/* A pointer index the source lacks copies as null. */
	capn_set_text(droot, 3, "to be cleared", 13);
	assert_int_equal(capn_copy_ptr(droot, 3, sr, 9), CAPN_OK);
	assert_int_equal(capn_builder_error(&db), CAPN_OK);
	assert_int_equal(capn_reader_error(&src), CAPN_OK);

	/* The copy owes nothing to the source. */
	memset(src_buf, 0xa5, sizeof src_buf);
	memset(small, 0x5a, sizeof small);
	memset(a1, 0x5a, sizeof a1);

	const void *framed;
	size_t len;
	assert_int_equal(capn_builder_finish(&db, &framed, &len), CAPN_OK);
	struct capn_reader r;
	assert_int_equal(capn_reader_init_framed(&r, guarded(framed, len), len, NULL, NULL), CAPN_OK);
	capn_struct_r rr = capn_reader_root(&r);
	check_everything(capn_get_struct(rr, 0, NULL), &r);
	assert_string_equal(capn_get_text(rr, 1, NULL, 0).str, "side");
	assert_int_equal(capn_get_cap(rr, 2), 11);
	assert_false(capn_has_ptr(rr, 3));
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	(void)state;
}

/* Copying from a hostile source fails with the source's error, recorded in
 * both the reader and the builder, and terminates. */
static void copy_ptr_hostile(void **state)
{
	static uint64_t d0[4096];
	struct capn_builder db;
	struct capn_reader src;

	/* Out of bounds. */
	uint64_t m1[3] = { 0, SP(0, 0, 1), SP(50, 1, 0) };
	uint32_t h1[2] = { 0, 2 };
	memcpy(m1, h1, 8);
	assert_int_equal(capn_reader_init_framed(&src, guarded(m1, 24), 24, NULL, NULL), CAPN_OK);
	assert_int_equal(capn_builder_init(&db, d0, sizeof d0), CAPN_OK);
	capn_struct_b droot = capn_builder_root(&db, 0, 1);
	assert_int_equal(capn_copy_ptr(droot, 0, capn_reader_root(&src), 0), CAPN_ERR_OUT_OF_BOUNDS);
	assert_int_equal(capn_reader_error(&src), CAPN_ERR_OUT_OF_BOUNDS);
	assert_int_equal(capn_builder_error(&db), CAPN_ERR_OUT_OF_BOUNDS);

	/* A struct whose pointer points at itself: the nesting limit ends the
	 * copy. */
	uint64_t m2[2] = { 0, SP(-1, 0, 1) };
	uint32_t h2[2] = { 0, 1 };
	memcpy(m2, h2, 8);
	assert_int_equal(capn_reader_init_framed(&src, guarded(m2, 16), 16, NULL, NULL), CAPN_OK);
	assert_int_equal(capn_builder_init(&db, d0, sizeof d0), CAPN_OK);
	droot = capn_builder_root(&db, 0, 1);
	assert_int_equal(capn_copy_ptr(droot, 0, capn_reader_root(&src), 0), CAPN_ERR_NESTING_LIMIT);
	assert_int_equal(capn_reader_error(&src), CAPN_ERR_NESTING_LIMIT);
	assert_int_equal(capn_builder_error(&db), CAPN_ERR_NESTING_LIMIT);

	/* Amplification: a struct of 8 pointers to one 100-word struct, under a
	 * traversal limit of 350 words, cannot be copied out to 800 words. */
	uint64_t m3[1 + 2 + 8 + 100] = { 0, SP(0, 0, 1), SP(0, 0, 8) };
	uint32_t h3[2] = { 0, 110 };
	memcpy(m3, h3, 8);
	for (int j = 0; j < 8; j++)
		m3[3 + j] = SP(7 - j, 100, 0);
	struct capn_limits lim = { .traversal_words = 350, .nesting = 64 };
	assert_int_equal(capn_reader_init_framed(&src, guarded(m3, sizeof m3), sizeof m3, &lim, NULL),
	                 CAPN_OK);
	assert_int_equal(capn_builder_init(&db, d0, sizeof d0), CAPN_OK);
	droot = capn_builder_root(&db, 0, 1);
	assert_int_equal(capn_copy_ptr(droot, 0, capn_reader_root(&src), 0),
	                 CAPN_ERR_TRAVERSAL_LIMIT);
	assert_int_equal(capn_builder_error(&db), CAPN_ERR_TRAVERSAL_LIMIT);
	(void)state;
}

static void too_big_sizes(void **state)
{
	static uint64_t arena[64];
	struct capn_builder b;
	capn_struct_b root;
	capn_list_b l;

#define FRESH()                                                                 \
	do {                                                                    \
		assert_int_equal(capn_builder_init(&b, arena, sizeof arena), CAPN_OK); \
		root = capn_builder_root(&b, 0, 2);                             \
		assert_non_null(root.ptrs);                                     \
	} while (0)
#define EXPECT_TOO_BIG()                                                        \
	do {                                                                    \
		assert_int_equal(capn_builder_error(&b), CAPN_ERR_TOO_BIG);     \
		assert_int_equal(word_at((const uint8_t *)arena + 8, 1), 0);    \
		/* sticky: a small request now fails the same way */           \
		assert_int_equal(capn_set_text(root, 1, "a", 1), CAPN_ERR_TOO_BIG); \
		assert_int_equal(capn_builder_error(&b), CAPN_ERR_TOO_BIG);     \
	} while (0)

	FRESH();
	l = capn_init_list(root, 0, CAPN_SZ_BYTE, 1u << 29);
	assert_null(l.data);
	EXPECT_TOO_BIG();
	FRESH();
	l = capn_init_list(root, 0, CAPN_SZ_BIT, 0xffffffffu);
	assert_null(l.data);
	EXPECT_TOO_BIG();
	FRESH();
	l = capn_init_list(root, 0, CAPN_SZ_VOID, 1u << 29);
	EXPECT_TOO_BIG();
	FRESH();
	l = capn_init_struct_list(root, 0, 1u << 29, 0, 0);
	assert_null(l.data);
	EXPECT_TOO_BIG();
	FRESH();
	l = capn_init_struct_list(root, 0, 1u << 28, 2, 0); /* 2^29 words */
	EXPECT_TOO_BIG();
	FRESH();
	l = capn_init_struct_list(root, 0, 0x10000, 0xffff, 0xffff);
	EXPECT_TOO_BIG();
	FRESH();
	l = capn_init_struct_list(root, 0, 0xffffffffu, 1, 0);
	EXPECT_TOO_BIG();
	FRESH();
	assert_int_equal(capn_set_text(root, 0, "x", (1u << 29) - 1), CAPN_ERR_TOO_BIG);
	EXPECT_TOO_BIG();
	FRESH();
	assert_int_equal(capn_set_data(root, 0, "x", 1u << 29), CAPN_ERR_TOO_BIG);
	EXPECT_TOO_BIG();
	FRESH();
	assert_int_equal(capn_set_data(root, 0, "x", SIZE_MAX), CAPN_ERR_TOO_BIG);
	EXPECT_TOO_BIG();
	FRESH();
	assert_int_equal(capn_set_text(root, 0, "x", SIZE_MAX), CAPN_ERR_TOO_BIG);
	EXPECT_TOO_BIG();

	/* The largest expressible list that does not fit is NO_SPACE, not
	 * TOO_BIG. */
	FRESH();
	l = capn_init_list(root, 0, CAPN_SZ_BYTE, (1u << 29) - 1);
	assert_null(l.data);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_NO_SPACE);
#undef FRESH
#undef EXPECT_TOO_BIG
	(void)state;
}

static void bad_arguments(void **state)
{
	static uint64_t arena[32];
	struct capn_builder b;
	assert_int_equal(capn_builder_init(&b, arena, 15), CAPN_ERR_ARGUMENT);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_ARGUMENT);
	assert_int_equal(capn_builder_init(&b, NULL, 64), CAPN_ERR_ARGUMENT);
	capn_struct_b root = capn_builder_root(&b, 1, 1);
	assert_null(root.data);

	assert_int_equal(capn_builder_init(&b, arena, sizeof arena), CAPN_OK);
	assert_int_equal(capn_builder_add_arena(&b, NULL, 64), CAPN_ERR_ARGUMENT);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_ARGUMENT);

	/* A pointer index the struct does not have. */
	assert_int_equal(capn_builder_init(&b, arena, sizeof arena), CAPN_OK);
	root = capn_builder_root(&b, 1, 1);
	assert_int_equal(capn_set_text(root, 1, "x", 1), CAPN_ERR_ARGUMENT);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_ARGUMENT);

	/* Composite lists go through capn_init_struct_list. */
	assert_int_equal(capn_builder_init(&b, arena, sizeof arena), CAPN_OK);
	root = capn_builder_root(&b, 1, 1);
	capn_init_list(root, 0, CAPN_SZ_COMPOSITE, 1);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_ARGUMENT);

	/* Element setters of the wrong size, and out of range. */
	assert_int_equal(capn_builder_init(&b, arena, sizeof arena), CAPN_OK);
	root = capn_builder_root(&b, 1, 1);
	capn_list_b l = capn_init_list(root, 0, CAPN_SZ_BYTE, 4);
	capn_list_set_u32(l, 0, 0x01020304);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_ELEMENT_SIZE);
	assert_int_equal(l.data[0], 0);
	assert_int_equal(capn_builder_init(&b, arena, sizeof arena), CAPN_OK);
	root = capn_builder_root(&b, 1, 1);
	l = capn_init_list(root, 0, CAPN_SZ_BYTE, 4);
	capn_list_set_u8(l, 4, 1);
	assert_int_equal(capn_builder_error(&b), CAPN_ERR_INDEX);
	(void)state;
}

static void caps_and_overwrites(void **state)
{
	static uint64_t arena[64];
	struct capn_builder b;
	assert_int_equal(capn_builder_init(&b, arena, sizeof arena), CAPN_OK);
	capn_struct_b root = capn_builder_root(&b, 0, 3);
	assert_int_equal(capn_set_cap(root, 0, 0), CAPN_OK);
	assert_int_equal(capn_set_cap(root, 1, 0xfffffffeu), CAPN_OK);
	capn_list_b caps = capn_init_list(root, 2, CAPN_SZ_POINTER, 3);
	capn_set_cap(capn_list_ptr_elem(caps, 0), 0, 4);
	capn_set_cap(capn_list_ptr_elem(caps, 2), 0, 6);
	const uint8_t *s0 = (const uint8_t *)arena + 8;
	assert_int_equal(word_at(s0, 1), 3);
	assert_int_equal(word_at(s0, 2), 0xfffffffe00000003ull);

	struct capn_reader r;
	read_back(&b, &r, 1);
	capn_struct_r rr = capn_reader_root(&r);
	assert_int_equal(capn_get_cap(rr, 0), 0);
	assert_int_equal(capn_get_cap(rr, 1), 0xfffffffeu);
	capn_list_r rl = capn_get_list(rr, 2, CAPN_LIST_POINTER, NULL);
	assert_int_equal(capn_list_get_cap(rl, 0), 4);
	assert_int_equal(capn_list_get_cap(rl, 1), CAPN_NULL_CAP);
	assert_int_equal(capn_list_get_cap(rl, 2), 6);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);

	/* Setting a pointer again replaces it; clearing makes it null. */
	capn_set_text(root, 0, "first", 5);
	capn_set_text(root, 0, "second", 6);
	capn_clear_ptr(root, 1);
	capn_set_cap(root, 2, CAPN_NULL_CAP);
	read_back(&b, &r, 1);
	rr = capn_reader_root(&r);
	assert_string_equal(capn_get_text(rr, 0, NULL, 0).str, "second");
	assert_false(capn_has_ptr(rr, 1));
	assert_false(capn_has_ptr(rr, 2));
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	(void)state;
}

#define T(f) cmocka_unit_test_teardown(f, unmap_all)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(build_and_read_back),
		T(arena_exhaustion_sticky),
		T(far_pointers_across_arenas),
		T(far_root),
		T(double_far_pointers),
		T(many_small_arenas),
		T(finish_single_segment_only),
		T(copy_ptr_deep),
		T(copy_ptr_hostile),
		T(too_big_sizes),
		T(bad_arguments),
		T(caps_and_overwrites),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
