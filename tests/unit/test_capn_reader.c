/*
 * test_capn_reader.c - hostile-input tests for the Cap'n Proto reader
 * (schema/capnp/capn_read.c).
 *
 * Every message here is hand-made from raw words. Each rejection is checked
 * for its exact error code and for the value the failing accessor returns.
 * Messages that try to make the reader go out of bounds are placed at the very
 * end of a read-only mapping followed by a PROT_NONE guard page, so a single
 * byte read past the end crashes the test instead of passing silently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "capn.h"

/* ------------------------------------------------------------------ words */

static uint64_t SP(int32_t off, uint16_t dw, uint16_t pc)
{
	return ((uint64_t)((uint32_t)off << 2)) | ((uint64_t)dw << 32) | ((uint64_t)pc << 48);
}

static uint64_t LP(int32_t off, unsigned sz, uint32_t count)
{
	return 1u | ((uint64_t)((uint32_t)off << 2) & 0xfffffffcu) | ((uint64_t)sz << 32) |
	       ((uint64_t)count << 35);
}

static uint64_t FP(uint32_t seg, uint32_t idx)
{
	return 2u | ((uint64_t)idx << 3) | ((uint64_t)seg << 32);
}

static uint64_t DFP(uint32_t seg, uint32_t idx)
{
	return 6u | ((uint64_t)idx << 3) | ((uint64_t)seg << 32);
}

static uint64_t CAP(uint32_t idx)
{
	return 3u | ((uint64_t)idx << 32);
}

/* Up to 8 bytes of a string packed into a little-endian word. */
static uint64_t STR8(const char *s, size_t n)
{
	uint64_t w = 0;
	memcpy(&w, s, n);
	return w;
}

/* ------------------------------------------------------------------ guard pages */

#define MAX_MAPS 64
static struct {
	void *p;
	size_t len;
} maps[MAX_MAPS];
static int nmaps;

/* Copy len bytes so that they end exactly where a PROT_NONE page begins. The
 * copy itself is read-only: the reader must not write to its input either. */
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
	if (len)
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

/* Frame a single segment of n words and place it at a guard page. */
static int read_one(struct capn_reader *r, const uint64_t *w, uint32_t n,
                    const struct capn_limits *lim)
{
	uint8_t buf[8 + 8 * 256];
	assert_true(n <= 256);
	uint32_t hdr[2] = { 0, n };
	memcpy(buf, hdr, 8);
	memcpy(buf + 8, w, (size_t)n * 8);
	size_t len = 8 + (size_t)n * 8;
	size_t consumed = 0;
	int err = capn_reader_init_framed(r, guarded(buf, len), len, lim, &consumed);
	if (err == CAPN_OK)
		assert_int_equal(consumed, len);
	return err;
}

/* Place each segment at its own guard page and hand them over unframed. */
static int read_segs(struct capn_reader *r, const uint64_t *const *segs, const uint32_t *words,
                     uint32_t n, const struct capn_limits *lim)
{
	const void *p[8];
	assert_true(n <= 8);
	for (uint32_t i = 0; i < n; i++)
		p[i] = guarded(segs[i], (size_t)words[i] * 8);
	return capn_reader_init_segments(r, p, words, n, lim);
}

/* The reader's verdict on its root (plus one level of pointer), in one go. */
static void assert_empty_struct(capn_struct_r s)
{
	assert_int_equal(s.data_bytes, 0);
	assert_int_equal(s.ptr_count, 0);
}

/* ------------------------------------------------------------------ framing */

static void framed_empty_buffer(void **state)
{
	struct capn_reader r;
	assert_int_equal(capn_reader_init_framed(&r, NULL, 0, NULL, NULL), CAPN_ERR_TRUNCATED);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRUNCATED);

	const uint8_t *end = guarded("", 0);
	assert_int_equal(capn_reader_init_framed(&r, end, 0, NULL, NULL), CAPN_ERR_TRUNCATED);

	/* Every length shorter than the first header word. */
	static const uint8_t zeros[8];
	for (size_t len = 1; len < 8; len++) {
		const uint8_t *p = guarded(zeros, len);
		assert_int_equal(capn_reader_init_framed(&r, p, len, NULL, NULL), CAPN_ERR_TRUNCATED);
		assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRUNCATED);
	}
	/* A refused message reads as empty, and the error stays. */
	capn_struct_r root = capn_reader_root(&r);
	assert_empty_struct(root);
	assert_int_equal(capn_get_u64(root, 0, 77), 77);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRUNCATED);
	(void)state;
}

static void framed_short_segment_table(void **state)
{
	struct capn_reader r;
	uint32_t hdr[40] = { 0 };
	for (int i = 0; i < 40; i++)
		hdr[i] = 1;

	/* 2 segments: the table is 16 bytes. */
	hdr[0] = 1;
	for (size_t len = 8; len < 16; len += 4)
		assert_int_equal(capn_reader_init_framed(&r, guarded(hdr, len), len, NULL, NULL),
		                 CAPN_ERR_TRUNCATED);
	/* 4 segments: 4 + 16 bytes padded to 24. */
	hdr[0] = 3;
	for (size_t len = 8; len < 24; len += 4)
		assert_int_equal(capn_reader_init_framed(&r, guarded(hdr, len), len, NULL, NULL),
		                 CAPN_ERR_TRUNCATED);
	/* 32 segments: 4 + 128 bytes padded to 136. */
	hdr[0] = 31;
	for (size_t len = 8; len < 136; len += 4)
		assert_int_equal(capn_reader_init_framed(&r, guarded(hdr, len), len, NULL, NULL),
		                 CAPN_ERR_TRUNCATED);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRUNCATED);
	(void)state;
}

static void framed_segment_count(void **state)
{
	struct capn_reader r;
	uint32_t hdr[2] = { 0xffffffffu, 1 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(hdr, 8), 8, NULL, NULL),
	                 CAPN_ERR_SEGMENT_COUNT);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_SEGMENT_COUNT);
	hdr[0] = 0x7fffffffu;
	assert_int_equal(capn_reader_init_framed(&r, guarded(hdr, 8), 8, NULL, NULL),
	                 CAPN_ERR_SEGMENT_COUNT);

	/* 33 segments (one more than CAPN_MAX_SEGMENTS), with a complete table
	 * and data, is refused; 32 is accepted. */
	uint8_t buf[8 * 18 + 8 * 33];
	uint32_t *h = (uint32_t *)buf;
	memset(buf, 0, sizeof buf);
	h[0] = CAPN_MAX_SEGMENTS; /* count - 1 */
	for (uint32_t i = 0; i < CAPN_MAX_SEGMENTS + 1; i++)
		h[1 + i] = 1;
	size_t hdr33 = (4 + 4 * 33 + 7) & ~7u;
	assert_int_equal(capn_reader_init_framed(&r, guarded(buf, hdr33 + 33 * 8), hdr33 + 33 * 8,
	                                         NULL, NULL),
	                 CAPN_ERR_SEGMENT_COUNT);

	memset(buf, 0, sizeof buf);
	h[0] = CAPN_MAX_SEGMENTS - 1;
	for (uint32_t i = 0; i < CAPN_MAX_SEGMENTS; i++)
		h[1 + i] = 1;
	size_t hdr32 = (4 + 4 * 32 + 7) & ~7u;
	size_t consumed = 0;
	assert_int_equal(capn_reader_init_framed(&r, guarded(buf, hdr32 + 32 * 8), hdr32 + 32 * 8,
	                                         NULL, &consumed),
	                 CAPN_OK);
	assert_int_equal(r.nsegs, 32);
	assert_int_equal(consumed, hdr32 + 32 * 8);
	capn_struct_r root = capn_reader_root(&r); /* a null root: all defaults */
	assert_empty_struct(root);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	(void)state;
}

static void framed_first_segment_empty(void **state)
{
	struct capn_reader r;
	uint32_t hdr[2] = { 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(hdr, 8), 8, NULL, NULL),
	                 CAPN_ERR_SEGMENT_SIZE);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_SEGMENT_SIZE);

	/* Later segments may be empty. */
	uint32_t msg[6] = { 1, 1, 0, 0, 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(msg, 24), 24, NULL, NULL), CAPN_OK);
	assert_int_equal(r.nsegs, 2);
	assert_int_equal(r.segs[1].words, 0);
	(void)state;
}

static void framed_truncated(void **state)
{
	struct capn_reader r;
	/* One segment of 2 words, 1 given. */
	uint32_t a[4] = { 0, 2, 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(a, 16), 16, NULL, NULL),
	                 CAPN_ERR_TRUNCATED);
	/* One segment of 1 word, 7 bytes given. */
	uint32_t b[4] = { 0, 1, 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(b, 15), 15, NULL, NULL),
	                 CAPN_ERR_TRUNCATED);
	/* Three segments (1, 1, 2 words), 3 words given. */
	uint32_t c[4 + 6] = { 2, 1, 1, 2 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(c, 16 + 24), 16 + 24, NULL, NULL),
	                 CAPN_ERR_TRUNCATED);
	/* Each segment alone fits but their sum does not. */
	uint32_t d[4 + 4] = { 1, 2, 2, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(d, 16 + 16), 16 + 16, NULL, NULL),
	                 CAPN_ERR_TRUNCATED);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRUNCATED);
	capn_struct_r root = capn_reader_root(&r);
	assert_empty_struct(root);
	/* Exactly enough is fine; extra bytes after the message are not consumed. */
	uint32_t e[6] = { 0, 1, 0, 0, 0xaa, 0xbb };
	size_t consumed = 0;
	assert_int_equal(capn_reader_init_framed(&r, guarded(e, 24), 24, NULL, &consumed), CAPN_OK);
	assert_int_equal(consumed, 16);
	(void)state;
}

static void framed_huge_segment_sizes(void **state)
{
	struct capn_reader r;
	uint32_t a[4] = { 0, 0xffffffffu, 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(a, 16), 16, NULL, NULL),
	                 CAPN_ERR_SEGMENT_SIZE);
	uint32_t b[4] = { 0, CAPN_MAX_SEGMENT_WORDS + 1, 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(b, 16), 16, NULL, NULL),
	                 CAPN_ERR_SEGMENT_SIZE);
	/* The largest allowed size, but not present. */
	uint32_t c[4] = { 0, CAPN_MAX_SEGMENT_WORDS, 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(c, 16), 16, NULL, NULL),
	                 CAPN_ERR_TRUNCATED);
	/* A huge second segment. */
	uint32_t d[4 + 2] = { 1, 1, 0xffffffffu, 0, 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(d, 24), 24, NULL, NULL),
	                 CAPN_ERR_SEGMENT_SIZE);
	/* Sizes whose 32-bit sum wraps around to something small. */
	uint32_t e[4 + 2] = { 1, 0x80000000u, 0x80000001u, 0, 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(e, 24), 24, NULL, NULL),
	                 CAPN_ERR_SEGMENT_SIZE);
	/* Several maximal segments: their sum overflows 32 bits in words and
	 * 64-bit byte arithmetic must not wrap either. */
	uint32_t f[8 + 2] = { 6, CAPN_MAX_SEGMENT_WORDS, CAPN_MAX_SEGMENT_WORDS,
	                      CAPN_MAX_SEGMENT_WORDS, CAPN_MAX_SEGMENT_WORDS,
	                      CAPN_MAX_SEGMENT_WORDS, CAPN_MAX_SEGMENT_WORDS,
	                      CAPN_MAX_SEGMENT_WORDS, 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(f, 40), 40, NULL, NULL),
	                 CAPN_ERR_TRUNCATED);
	/* A small first segment followed by a maximal one. */
	uint32_t g[4 + 2] = { 1, 1, CAPN_MAX_SEGMENT_WORDS, 0, 0, 0 };
	assert_int_equal(capn_reader_init_framed(&r, guarded(g, 24), 24, NULL, NULL),
	                 CAPN_ERR_TRUNCATED);
	(void)state;
}

static void segments_rejected(void **state)
{
	struct capn_reader r;
	static uint64_t buf[16];
	const void *segs[CAPN_MAX_SEGMENTS + 1];
	uint32_t words[CAPN_MAX_SEGMENTS + 1];
	for (int i = 0; i < (int)CAPN_MAX_SEGMENTS + 1; i++) {
		segs[i] = &buf[0]; /* replaced below where it matters */
		words[i] = 1;
	}

	assert_int_equal(capn_reader_init_segments(&r, segs, words, 0, NULL), CAPN_ERR_SEGMENT_COUNT);
	assert_int_equal(capn_reader_init_segments(&r, NULL, words, 1, NULL), CAPN_ERR_SEGMENT_COUNT);
	assert_int_equal(capn_reader_init_segments(&r, segs, NULL, 1, NULL), CAPN_ERR_SEGMENT_COUNT);
	assert_int_equal(capn_reader_init_segments(&r, segs, words, CAPN_MAX_SEGMENTS + 1, NULL),
	                 CAPN_ERR_SEGMENT_COUNT);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_SEGMENT_COUNT);

	const void *s1[2] = { buf, buf + 4 };
	uint32_t w0[2] = { 0, 1 };
	assert_int_equal(capn_reader_init_segments(&r, s1, w0, 1, NULL), CAPN_ERR_SEGMENT_SIZE);
	uint32_t wbig[2] = { CAPN_MAX_SEGMENT_WORDS + 1, 1 };
	assert_int_equal(capn_reader_init_segments(&r, s1, wbig, 1, NULL), CAPN_ERR_SEGMENT_SIZE);
	const void *snull[2] = { buf, NULL };
	uint32_t w11[2] = { 1, 1 };
	assert_int_equal(capn_reader_init_segments(&r, snull, w11, 2, NULL), CAPN_ERR_SEGMENT_SIZE);
	/* A segment whose end would wrap the address space. */
	const void *swrap[1] = { (const void *)(UINTPTR_MAX - 15) };
	uint32_t w4[1] = { 4 };
	assert_int_equal(capn_reader_init_segments(&r, swrap, w4, 1, NULL), CAPN_ERR_SEGMENT_SIZE);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_SEGMENT_SIZE);
	assert_empty_struct(capn_reader_root(&r));
	(void)state;
}

static void segments_overlap(void **state)
{
	struct capn_reader r;
	static uint64_t buf[16];
	uint32_t w[3];

	/* Identical. */
	const void *a[2] = { buf, buf };
	w[0] = 2, w[1] = 2;
	assert_int_equal(capn_reader_init_segments(&r, a, w, 2, NULL), CAPN_ERR_OVERLAP);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OVERLAP);
	/* Sharing one word at the end. */
	const void *b[2] = { buf, buf + 3 };
	w[0] = 4, w[1] = 4;
	assert_int_equal(capn_reader_init_segments(&r, b, w, 2, NULL), CAPN_ERR_OVERLAP);
	/* Sharing one word at the start (the later segment is lower). */
	const void *c[2] = { buf + 3, buf };
	assert_int_equal(capn_reader_init_segments(&r, c, w, 2, NULL), CAPN_ERR_OVERLAP);
	/* One inside another. */
	const void *d[2] = { buf, buf + 2 };
	w[0] = 8, w[1] = 1;
	assert_int_equal(capn_reader_init_segments(&r, d, w, 2, NULL), CAPN_ERR_OVERLAP);
	/* The third overlaps the first, not the second. */
	const void *e[3] = { buf, buf + 8, buf + 1 };
	w[0] = 2, w[1] = 2, w[2] = 2;
	assert_int_equal(capn_reader_init_segments(&r, e, w, 3, NULL), CAPN_ERR_OVERLAP);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OVERLAP);
	/* Adjacent is fine. */
	const void *f[3] = { buf, buf + 2, buf + 4 };
	assert_int_equal(capn_reader_init_segments(&r, f, w, 3, NULL), CAPN_OK);
	assert_int_equal(r.nsegs, 3);
	(void)state;
}

/* ------------------------------------------------------------------ struct bounds */

static void struct_past_segment_end(void **state)
{
	struct capn_reader r;
	/* Root wants 1 data word + 1 pointer at word 1; the segment has 2 words. */
	uint64_t m1[2] = { SP(0, 1, 1), 0x1111 };
	assert_int_equal(read_one(&r, m1, 2, NULL), CAPN_OK);
	capn_struct_r root = capn_reader_root(&r);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	assert_empty_struct(root);
	assert_int_equal(capn_get_u64(root, 0, 5), 5);

	/* The same with the maximal offset and with maximal sizes. */
	uint64_t m2[2] = { SP(0x1fffffff, 1, 0), 0 };
	assert_int_equal(read_one(&r, m2, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	uint64_t m3[2] = { SP(0, 0xffff, 0xffff), 0 };
	assert_int_equal(read_one(&r, m3, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	/* Nested: the child pointer at word 2 wants words 3..4 of a 4-word
	 * segment. */
	uint64_t m4[4] = { SP(0, 1, 1), 0x2222, SP(0, 1, 1), 0x3333 };
	assert_int_equal(read_one(&r, m4, 4, NULL), CAPN_OK);
	root = capn_reader_root(&r);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_get_u64(root, 0, 0), 0x2222);
	capn_struct_r child = capn_get_struct(root, 0, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	assert_empty_struct(child);

	/* A struct that exactly fills the segment is fine, and reading its last
	 * byte touches the last byte before the guard page. */
	uint64_t m5[3] = { SP(0, 2, 0), 0x4444, 0x8877665544332211ull };
	assert_int_equal(read_one(&r, m5, 3, NULL), CAPN_OK);
	root = capn_reader_root(&r);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_get_u8(root, 15, 0), 0x88);
	assert_int_equal(capn_get_u64(root, 8, 0), 0x8877665544332211ull);
	/* Past the data section: the default, not a read. */
	assert_int_equal(capn_get_u64(root, 16, 9), 9);
	assert_int_equal(capn_get_bool(root, 128, true), true);
	(void)state;
}

static void struct_negative_offset(void **state)
{
	struct capn_reader r;
	uint64_t m1[2] = { SP(-2, 1, 0), 0 };
	assert_int_equal(read_one(&r, m1, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	uint64_t m2[2] = { SP(-(1 << 29), 0, 0), 0 };
	assert_int_equal(read_one(&r, m2, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	/* Nested: pointer at word 1, offset -3: index -1. */
	uint64_t m3[3] = { SP(0, 0, 1), SP(-3, 1, 0), 0 };
	assert_int_equal(read_one(&r, m3, 3, NULL), CAPN_OK);
	capn_struct_r root = capn_reader_root(&r);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_empty_struct(capn_get_struct(root, 0, NULL));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	/* Offset -2 from word 1 is word 0, in bounds (it is the root pointer
	 * read as a one-word data section). */
	uint64_t m4[2] = { SP(0, 0, 1), SP(-2, 1, 0) };
	assert_int_equal(read_one(&r, m4, 2, NULL), CAPN_OK);
	root = capn_reader_root(&r);
	capn_struct_r s = capn_get_struct(root, 0, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_get_u64(s, 0, 0), SP(0, 0, 1));
	(void)state;
}

/* ------------------------------------------------------------------ list bounds */

static enum capn_list_kind kind_for(unsigned sz)
{
	static const enum capn_list_kind k[8] = {
		CAPN_LIST_VOID, CAPN_LIST_BIT, CAPN_LIST_BYTE, CAPN_LIST_2BYTES,
		CAPN_LIST_4BYTES, CAPN_LIST_8BYTES, CAPN_LIST_POINTER, CAPN_LIST_STRUCT,
	};
	return k[sz];
}

static void list_out_of_bounds(void **state)
{
	/* Word 0: root pointer; word 1: the root's only pointer; words 2..3: room
	 * for 2 words of list data, then the guard page. */
	static const uint32_t bits[] = { 0, 1, 8, 16, 32, 64, 64 };
	for (unsigned sz = CAPN_SZ_BIT; sz <= CAPN_SZ_POINTER; sz++) {
		struct capn_reader r;
		uint32_t fits = 128 / bits[sz];
		uint64_t m[4] = { SP(0, 0, 1), LP(0, sz, fits), 0, 0xffffffffffffffffull };

		/* Exactly filling the segment: the last element is readable. */
		assert_int_equal(read_one(&r, m, 4, NULL), CAPN_OK);
		capn_list_r l = capn_get_list(capn_reader_root(&r), 0, kind_for(sz), NULL);
		assert_int_equal(capn_reader_error(&r), CAPN_OK);
		assert_int_equal(capn_list_len(l), fits);
		switch (sz) {
		case CAPN_SZ_BIT: assert_true(capn_list_get_bool(l, fits - 1)); break;
		case CAPN_SZ_BYTE: assert_int_equal(capn_list_get_u8(l, fits - 1), 0xff); break;
		case CAPN_SZ_2BYTES: assert_int_equal(capn_list_get_u16(l, fits - 1), 0xffff); break;
		case CAPN_SZ_4BYTES: assert_int_equal(capn_list_get_u32(l, fits - 1), 0xffffffffu); break;
		case CAPN_SZ_8BYTES:
			assert_int_equal(capn_list_get_u64(l, fits - 1), 0xffffffffffffffffull);
			break;
		default:
			/* The last pointer is garbage (all ones: an "other"
			 * pointer), so reading it as a cap fails. */
			assert_int_equal(capn_list_get_cap(l, fits - 1), CAPN_NULL_CAP);
			assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
			break;
		}

		/* One element more. */
		m[1] = LP(0, sz, fits + 1);
		assert_int_equal(read_one(&r, m, 4, NULL), CAPN_OK);
		l = capn_get_list(capn_reader_root(&r), 0, kind_for(sz), NULL);
		assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
		assert_int_equal(capn_list_len(l), 0);
		assert_int_equal(capn_list_get_u64(l, 0), 0);

		/* The largest count a list pointer can hold. */
		m[1] = LP(0, sz, (1u << 29) - 1);
		assert_int_equal(read_one(&r, m, 4, NULL), CAPN_OK);
		l = capn_get_list(capn_reader_root(&r), 0, kind_for(sz), NULL);
		assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
		assert_int_equal(capn_list_len(l), 0);

		/* Starting before the segment. */
		m[1] = LP(-3, sz, 1);
		assert_int_equal(read_one(&r, m, 4, NULL), CAPN_OK);
		l = capn_get_list(capn_reader_root(&r), 0, kind_for(sz), NULL);
		assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

		/* Starting past the end. */
		m[1] = LP(5, sz, 1);
		assert_int_equal(read_one(&r, m, 4, NULL), CAPN_OK);
		l = capn_get_list(capn_reader_root(&r), 0, kind_for(sz), NULL);
		assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	}

	/* Void lists take no room, but they still must start inside the
	 * segment (or at its very end). */
	struct capn_reader r;
	uint64_t v[2] = { SP(0, 0, 1), LP(0, CAPN_SZ_VOID, 1000) };
	assert_int_equal(read_one(&r, v, 2, NULL), CAPN_OK);
	capn_list_r l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_VOID, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_list_len(l), 1000);
	v[1] = LP(1, CAPN_SZ_VOID, 1);
	assert_int_equal(read_one(&r, v, 2, NULL), CAPN_OK);
	capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_VOID, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	v[1] = LP(-3, CAPN_SZ_VOID, 1);
	assert_int_equal(read_one(&r, v, 2, NULL), CAPN_OK);
	capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_VOID, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	(void)state;
}

static void composite_list_out_of_bounds(void **state)
{
	struct capn_reader r;
	/* Words: root ptr, root's pointer, tag, 2 element words. */
	uint64_t m[5] = { SP(0, 0, 1), LP(0, CAPN_SZ_COMPOSITE, 2), SP(2, 1, 0), 0x1234, 0x5678 };
	assert_int_equal(read_one(&r, m, 5, NULL), CAPN_OK);
	capn_list_r l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_list_len(l), 2);
	assert_int_equal(capn_get_u64(capn_list_get_struct(l, 1), 0, 0), 0x5678);

	/* The word count (3) runs past the segment. */
	m[1] = LP(0, CAPN_SZ_COMPOSITE, 3);
	assert_int_equal(read_one(&r, m, 5, NULL), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	assert_int_equal(capn_list_len(l), 0);

	/* The tag claims more elements than the word count holds. */
	m[1] = LP(0, CAPN_SZ_COMPOSITE, 2);
	m[2] = SP(3, 1, 0);
	assert_int_equal(read_one(&r, m, 5, NULL), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	assert_int_equal(capn_list_len(l), 0);

	/* ... or bigger elements than the word count holds. */
	m[2] = SP(1, 1, 2);
	assert_int_equal(read_one(&r, m, 5, NULL), CAPN_OK);
	capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	/* Maximal element count and size in the tag (the product must not
	 * overflow into something small). */
	m[2] = SP((1 << 30) - 1, 0xffff, 0xffff);
	assert_int_equal(read_one(&r, m, 5, NULL), CAPN_OK);
	capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	/* A tag that is not a struct pointer. */
	m[2] = LP(2, CAPN_SZ_8BYTES, 2);
	assert_int_equal(read_one(&r, m, 5, NULL), CAPN_OK);
	capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);

	/* The tag word itself past the end: word count 0, list at the last
	 * word + 1. */
	uint64_t n[2] = { SP(0, 0, 1), LP(0, CAPN_SZ_COMPOSITE, 0) };
	assert_int_equal(read_one(&r, n, 2, NULL), CAPN_OK);
	capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	/* Starting before the segment. */
	m[1] = LP(-3, CAPN_SZ_COMPOSITE, 1);
	m[2] = SP(1, 1, 0);
	assert_int_equal(read_one(&r, m, 5, NULL), CAPN_OK);
	capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	(void)state;
}

/* ------------------------------------------------------------------ far pointers */

static void far_missing_segment(void **state)
{
	struct capn_reader r;
	uint64_t s0[1] = { FP(1, 0) };
	const uint64_t *segs[2] = { s0, s0 };
	uint32_t w1[1] = { 1 };
	assert_int_equal(read_segs(&r, segs, w1, 1, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_SEGMENT);

	uint64_t s1[2] = { SP(0, 1, 0), 42 };
	const uint64_t *segs2[2] = { s0, s1 };
	uint32_t w2[2] = { 1, 2 };
	s0[0] = FP(2, 0);
	assert_int_equal(read_segs(&r, segs2, w2, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_SEGMENT);

	s0[0] = FP(0xffffffffu, 0);
	assert_int_equal(read_segs(&r, segs2, w2, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_SEGMENT);

	s0[0] = DFP(7, 0);
	assert_int_equal(read_segs(&r, segs2, w2, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_SEGMENT);

	/* A double-far pad whose first word names a missing segment. */
	s0[0] = DFP(1, 0);
	s1[0] = FP(9, 0);
	s1[1] = SP(0, 1, 0);
	assert_int_equal(read_segs(&r, segs2, w2, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_SEGMENT);
	(void)state;
}

static void far_landing_pad_out_of_bounds(void **state)
{
	struct capn_reader r;
	uint64_t s0[1], s1[2] = { SP(0, 0, 0), SP(0, 0, 0) };
	const uint64_t *segs[2] = { s0, s1 };
	uint32_t w[2] = { 1, 1 };

	s0[0] = FP(1, 1); /* segment 1 has one word: index 1 is past it */
	assert_int_equal(read_segs(&r, segs, w, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	s0[0] = FP(1, 0x1fffffff);
	assert_int_equal(read_segs(&r, segs, w, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	/* A double-far pad needs two words. */
	s0[0] = DFP(1, 0);
	assert_int_equal(read_segs(&r, segs, w, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	w[1] = 2;
	s0[0] = DFP(1, 1);
	assert_int_equal(read_segs(&r, segs, w, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	/* The pad is fine but the object it describes leaves the segment. */
	s0[0] = FP(1, 0);
	s1[0] = SP(0, 2, 0); /* wants words 1..2 of a 2-word segment */
	assert_int_equal(read_segs(&r, segs, w, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);

	/* Double far: the object (named by the pad's first word) leaves its
	 * segment. */
	uint64_t s2[2] = { 1, 2 };
	const uint64_t *segs3[3] = { s0, s1, s2 };
	uint32_t w3[3] = { 1, 2, 2 };
	s0[0] = DFP(1, 0);
	s1[0] = FP(2, 1);
	s1[1] = SP(0, 2, 0);
	assert_int_equal(read_segs(&r, segs3, w3, 3, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	s1[0] = FP(2, 0x1fffffff);
	s1[1] = SP(0, 1, 0);
	assert_int_equal(read_segs(&r, segs3, w3, 3, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	(void)state;
}

static void far_landing_pad_is_far(void **state)
{
	struct capn_reader r;
	uint64_t s0[1] = { FP(1, 0) };
	uint64_t s1[3] = { FP(1, 1), SP(0, 1, 0), 99 };
	const uint64_t *segs[2] = { s0, s1 };
	uint32_t w[2] = { 1, 3 };
	assert_int_equal(read_segs(&r, segs, w, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_LANDING_PAD);

	s1[0] = DFP(1, 1);
	assert_int_equal(read_segs(&r, segs, w, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_LANDING_PAD);

	/* A far pointer to itself. */
	s0[0] = FP(0, 0);
	assert_int_equal(read_segs(&r, segs, w, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_LANDING_PAD);
	(void)state;
}

static void double_far_bad_pad(void **state)
{
	struct capn_reader r;
	uint64_t s0[1] = { DFP(1, 0) };
	uint64_t s1[2];
	uint64_t s2[2] = { 0x77, 0x88 };
	const uint64_t *segs[3] = { s0, s1, s2 };
	uint32_t w[3] = { 1, 2, 2 };

	/* First pad word is a struct pointer, not a far pointer. */
	s1[0] = SP(0, 1, 0), s1[1] = SP(0, 1, 0);
	assert_int_equal(read_segs(&r, segs, w, 3, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_LANDING_PAD);

	/* First pad word is itself a double far. */
	s1[0] = DFP(2, 0), s1[1] = SP(0, 1, 0);
	assert_int_equal(read_segs(&r, segs, w, 3, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_LANDING_PAD);

	/* First pad word is null. */
	s1[0] = 0, s1[1] = SP(0, 1, 0);
	assert_int_equal(read_segs(&r, segs, w, 3, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_LANDING_PAD);

	/* The tag word is a far pointer. */
	s1[0] = FP(2, 0), s1[1] = FP(2, 1);
	assert_int_equal(read_segs(&r, segs, w, 3, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_LANDING_PAD);

	/* The tag word is null. */
	s1[0] = FP(2, 0), s1[1] = 0;
	assert_int_equal(read_segs(&r, segs, w, 3, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_BAD_LANDING_PAD);

	/* A well-formed pad whose tag is of the wrong kind. */
	s1[0] = FP(2, 0), s1[1] = LP(0, CAPN_SZ_8BYTES, 2);
	assert_int_equal(read_segs(&r, segs, w, 3, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);

	/* And the good one, for contrast. */
	s1[0] = FP(2, 0), s1[1] = SP(0, 2, 0);
	assert_int_equal(read_segs(&r, segs, w, 3, NULL), CAPN_OK);
	capn_struct_r root = capn_reader_root(&r);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_get_u64(root, 0, 0), 0x77);
	assert_int_equal(capn_get_u64(root, 8, 0), 0x88);
	(void)state;
}

/* A three-segment message using a far pointer to the root struct, a far
 * pointer to text, a double-far pointer to a list (back in segment 0) and a
 * double-far pointer to a list of structs whose pad is in segment 0. */
static void make_far_message(uint64_t s0[4], uint64_t s1[6], uint64_t s2[8])
{
	s0[0] = FP(1, 1);                      /* root: pad at s1[1] */
	s0[1] = 0x0000000200000001ull;         /* the u32 list {1, 2} */
	s0[2] = FP(2, 5);                      /* double-far pad for ptr 2 ... */
	s0[3] = LP(0, CAPN_SZ_COMPOSITE, 2);   /* ... and its tag */

	s1[0] = 0xdeadbeefdeadbeefull;         /* unused */
	s1[1] = SP(0, 1, 3);                   /* pad: the root is s1[2..5] */
	s1[2] = 0x1122334455667788ull;
	s1[3] = FP(2, 0);                      /* ptr 0: text, pad at s2[0] */
	s1[4] = DFP(2, 3);                     /* ptr 1: u32 list, pad at s2[3..4] */
	s1[5] = DFP(0, 2);                     /* ptr 2: struct list, pad at s0[2..3] */

	s2[0] = LP(0, CAPN_SZ_BYTE, 6);
	s2[1] = STR8("hello", 6);
	s2[2] = 0;
	s2[3] = FP(0, 1);
	s2[4] = LP(0, CAPN_SZ_4BYTES, 2);
	s2[5] = SP(2, 1, 0);                   /* composite tag: 2 elements of 1 word */
	s2[6] = 10;
	s2[7] = 20;
}

static void check_far_message(struct capn_reader *r)
{
	capn_struct_r root = capn_reader_root(r);
	assert_int_equal(capn_reader_error(r), CAPN_OK);
	assert_int_equal(root.data_bytes, 8);
	assert_int_equal(root.ptr_count, 3);
	assert_int_equal(capn_get_u64(root, 0, 0), 0x1122334455667788ull);
	capn_text t = capn_get_text(root, 0, NULL, 0);
	assert_int_equal(t.len, 5);
	assert_string_equal(t.str, "hello");
	capn_list_r l = capn_get_list(root, 1, CAPN_LIST_4BYTES, NULL);
	assert_int_equal(capn_list_len(l), 2);
	assert_int_equal(capn_list_get_u32(l, 0), 1);
	assert_int_equal(capn_list_get_u32(l, 1), 2);
	capn_list_r sl = capn_get_list(root, 2, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_list_len(sl), 2);
	assert_int_equal(capn_get_u64(capn_list_get_struct(sl, 0), 0, 0), 10);
	assert_int_equal(capn_get_u64(capn_list_get_struct(sl, 1), 0, 0), 20);
	assert_int_equal(capn_reader_error(r), CAPN_OK);
}

static void far_and_double_far_valid(void **state)
{
	struct capn_reader r;
	uint64_t s0[4], s1[6], s2[8];
	make_far_message(s0, s1, s2);
	const uint64_t *segs[3] = { s0, s1, s2 };
	uint32_t w[3] = { 4, 6, 8 };
	assert_int_equal(read_segs(&r, segs, w, 3, NULL), CAPN_OK);
	check_far_message(&r);
	(void)state;
}

static void multi_segment_framed(void **state)
{
	struct capn_reader r;
	uint64_t s0[4], s1[6], s2[8];
	make_far_message(s0, s1, s2);
	/* Header: count-1, three sizes: 16 bytes. */
	uint8_t buf[16 + 18 * 8];
	uint32_t hdr[4] = { 2, 4, 6, 8 };
	memcpy(buf, hdr, 16);
	memcpy(buf + 16, s0, 32);
	memcpy(buf + 48, s1, 48);
	memcpy(buf + 96, s2, 64);
	size_t consumed = 0;
	assert_int_equal(capn_reader_init_framed(&r, guarded(buf, sizeof buf), sizeof buf, NULL,
	                                         &consumed),
	                 CAPN_OK);
	assert_int_equal(consumed, sizeof buf);
	assert_int_equal(r.nsegs, 3);
	check_far_message(&r);

	/* The same message with one byte missing. */
	assert_int_equal(capn_reader_init_framed(&r, guarded(buf, sizeof buf - 1), sizeof buf - 1,
	                                         NULL, NULL),
	                 CAPN_ERR_TRUNCATED);
	(void)state;
}

/* ------------------------------------------------------------------ limits */

/* A big single-segment message placed at a guard page. */
static const uint8_t *frame_big(const uint64_t *w, uint32_t n, size_t *len)
{
	size_t bytes = 8 + (size_t)n * 8;
	uint8_t *buf = test_malloc(bytes);
	uint32_t hdr[2] = { 0, n };
	memcpy(buf, hdr, 8);
	memcpy(buf + 8, w, (size_t)n * 8);
	const uint8_t *p = guarded(buf, bytes);
	test_free(buf);
	*len = bytes;
	return p;
}

static void traversal_amplification_small_limit(void **state)
{
	/* A root with 8 pointers, all to the same 100-word struct. */
	uint64_t m[1 + 8 + 100] = { SP(0, 0, 8) };
	for (int j = 0; j < 8; j++)
		m[1 + j] = SP(7 - j, 100, 0);
	for (int k = 0; k < 100; k++)
		m[9 + k] = 1000 + (uint64_t)k;
	struct capn_limits lim = { .traversal_words = 350, .nesting = 64 };
	struct capn_reader r;
	size_t len;
	const uint8_t *p = frame_big(m, 109, &len);
	assert_int_equal(capn_reader_init_framed(&r, p, len, &lim, NULL), CAPN_OK);
	capn_struct_r root = capn_reader_root(&r); /* 8 words */
	/* 8 + 3 * 100 <= 350 < 8 + 4 * 100 */
	for (int j = 0; j < 3; j++) {
		capn_struct_r s = capn_get_struct(root, (uint16_t)j, NULL);
		assert_int_equal(capn_reader_error(&r), CAPN_OK);
		assert_int_equal(capn_get_u64(s, 99 * 8, 0), 1099);
	}
	capn_struct_r s = capn_get_struct(root, 3, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRAVERSAL_LIMIT);
	assert_empty_struct(s);
	/* Once exhausted, stays exhausted, and the first error stays. */
	s = capn_get_struct(root, 4, NULL);
	assert_empty_struct(s);
	capn_list_r l = capn_get_list(root, 5, CAPN_LIST_8BYTES, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRAVERSAL_LIMIT);
	(void)l;

	/* The same with lists: 8 pointers to one 100-element u64 list. */
	for (int j = 0; j < 8; j++)
		m[1 + j] = LP(7 - j, CAPN_SZ_8BYTES, 100);
	p = frame_big(m, 109, &len);
	assert_int_equal(capn_reader_init_framed(&r, p, len, &lim, NULL), CAPN_OK);
	root = capn_reader_root(&r);
	for (int j = 0; j < 3; j++) {
		l = capn_get_list(root, (uint16_t)j, CAPN_LIST_8BYTES, NULL);
		assert_int_equal(capn_list_get_u64(l, 99), 1099);
	}
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	l = capn_get_list(root, 3, CAPN_LIST_8BYTES, NULL);
	assert_int_equal(capn_list_len(l), 0);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRAVERSAL_LIMIT);
	(void)state;
}

static void traversal_amplification_default_limit(void **state)
{
	/* 130 pointers to one struct of 65535 data words: 130 * 65535 words
	 * visited (8.5 Mi) from a 512 KiB message. */
	const uint32_t np = 130, big = 65535;
	uint32_t n = 1 + np + big;
	uint64_t *m = test_calloc(n, 8);
	m[0] = SP(0, 0, (uint16_t)np);
	for (uint32_t j = 0; j < np; j++)
		m[1 + j] = SP((int32_t)(np - 1 - j), (uint16_t)big, 0);
	m[n - 1] = 0xabcdef;
	struct capn_reader r;
	size_t len;
	const uint8_t *p = frame_big(m, n, &len);
	test_free(m);
	assert_int_equal(capn_reader_init_framed(&r, p, len, NULL, NULL), CAPN_OK);
	capn_struct_r root = capn_reader_root(&r);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	uint32_t ok = 0;
	for (uint32_t j = 0; j < np; j++) {
		capn_struct_r s = capn_get_struct(root, (uint16_t)j, NULL);
		if (capn_reader_error(&r) != CAPN_OK) {
			assert_empty_struct(s);
			break;
		}
		assert_int_equal(capn_get_u64(s, (big - 1) * 8, 0), 0xabcdef);
		ok++;
	}
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRAVERSAL_LIMIT);
	assert_int_equal(ok, (CAPN_DEFAULT_TRAVERSAL_WORDS - np) / big);
	(void)state;
}

static void traversal_zero_sized_elements(void **state)
{
	struct capn_reader r;
	/* A list of zero-sized structs: word count 0, element count 2^30-1. */
	uint64_t m[3] = { SP(0, 0, 1), LP(0, CAPN_SZ_COMPOSITE, 0), SP((1 << 30) - 1, 0, 0) };
	assert_int_equal(read_one(&r, m, 3, NULL), CAPN_OK);
	capn_list_r l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRAVERSAL_LIMIT);
	assert_int_equal(capn_list_len(l), 0);

	/* Under a small limit: 101 elements fail, 50 pass. */
	struct capn_limits lim = { .traversal_words = 100, .nesting = 64 };
	m[2] = SP(101, 0, 0);
	assert_int_equal(read_one(&r, m, 3, &lim), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRAVERSAL_LIMIT);
	m[2] = SP(50, 0, 0);
	assert_int_equal(read_one(&r, m, 3, &lim), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_list_len(l), 50);
	assert_empty_struct(capn_list_get_struct(l, 49));

	/* A void list of the largest count. */
	uint64_t v[2] = { SP(0, 0, 1), LP(0, CAPN_SZ_VOID, (1u << 29) - 1) };
	assert_int_equal(read_one(&r, v, 2, NULL), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_VOID, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRAVERSAL_LIMIT);
	v[1] = LP(0, CAPN_SZ_VOID, 101);
	assert_int_equal(read_one(&r, v, 2, &lim), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_VOID, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRAVERSAL_LIMIT);

	/* A pointer list whose pointers all name the same zero-sized struct
	 * (offset -1: the struct "at" the pointer itself). */
	uint64_t z[2 + 200] = { SP(0, 0, 1), LP(0, CAPN_SZ_POINTER, 200) };
	for (int i = 0; i < 200; i++)
		z[2 + i] = SP(-1, 0, 0);
	assert_int_equal(read_one(&r, z, 202, &lim), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_POINTER, NULL); /* 200 words > 100 */
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRAVERSAL_LIMIT);
	(void)state;
}

static void nesting_limit_chain(void **state)
{
	/* Word 0: root pointer; word i: the only pointer of struct i, pointing at
	 * struct i+1 (offset 0). 100 levels. */
	uint64_t m[101];
	for (int i = 0; i < 100; i++)
		m[i] = SP(0, 0, 1);
	m[100] = 0;
	struct capn_reader r;
	assert_int_equal(read_one(&r, m, 101, NULL), CAPN_OK);
	capn_struct_r s = capn_reader_root(&r);
	int depth = 1;
	for (;;) {
		capn_struct_r c = capn_get_struct(s, 0, NULL);
		if (capn_reader_error(&r) != CAPN_OK) {
			assert_empty_struct(c);
			break;
		}
		s = c;
		depth++;
	}
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_NESTING_LIMIT);
	assert_int_equal(depth, CAPN_DEFAULT_NESTING_LIMIT);

	struct capn_limits lim = { .traversal_words = CAPN_DEFAULT_TRAVERSAL_WORDS, .nesting = 5 };
	assert_int_equal(read_one(&r, m, 101, &lim), CAPN_OK);
	s = capn_reader_root(&r);
	for (int i = 0; i < 4; i++)
		s = capn_get_struct(s, 0, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(s.ptr_count, 1);
	s = capn_get_struct(s, 0, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_NESTING_LIMIT);
	assert_empty_struct(s);

	/* Lists count as levels too: a chain of one-element pointer lists. */
	uint64_t l[40] = { SP(0, 0, 1) };
	for (int i = 1; i < 39; i++)
		l[i] = LP(0, CAPN_SZ_POINTER, 1);
	l[39] = 0;
	assert_int_equal(read_one(&r, l, 40, &lim), CAPN_OK);
	capn_list_r lr = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_POINTER, NULL);
	for (int i = 0; i < 3; i++)
		lr = capn_list_get_list(lr, 0, CAPN_LIST_POINTER);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_list_len(lr), 1);
	lr = capn_list_get_list(lr, 0, CAPN_LIST_POINTER);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_NESTING_LIMIT);
	assert_int_equal(capn_list_len(lr), 0);
	(void)state;
}

static void nesting_limit_self_pointer(void **state)
{
	struct capn_reader r;
	/* The root is a struct of one pointer whose pointer section is the root
	 * pointer itself (offset -1). */
	uint64_t m[1] = { SP(-1, 0, 1) };
	assert_int_equal(read_one(&r, m, 1, NULL), CAPN_OK);
	capn_struct_r s = capn_reader_root(&r);
	int depth = 1;
	for (int i = 0; i < 1000 && capn_reader_error(&r) == CAPN_OK; i++) {
		s = capn_get_struct(s, 0, NULL);
		if (capn_reader_error(&r) == CAPN_OK)
			depth++;
	}
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_NESTING_LIMIT);
	assert_int_equal(depth, CAPN_DEFAULT_NESTING_LIMIT);

	/* A list of one pointer that is its own list pointer. */
	uint64_t l[2] = { SP(0, 0, 1), LP(-1, CAPN_SZ_POINTER, 1) };
	assert_int_equal(read_one(&r, l, 2, NULL), CAPN_OK);
	capn_list_r lr = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_POINTER, NULL);
	for (int i = 0; i < 1000 && capn_reader_error(&r) == CAPN_OK; i++)
		lr = capn_list_get_list(lr, 0, CAPN_LIST_POINTER);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_NESTING_LIMIT);

	/* With a huge nesting limit the traversal limit stops the loop. */
	struct capn_limits lim = { .traversal_words = 50, .nesting = 1000000 };
	assert_int_equal(read_one(&r, m, 1, &lim), CAPN_OK);
	s = capn_reader_root(&r);
	for (int i = 0; i < 100000 && capn_reader_error(&r) == CAPN_OK; i++)
		s = capn_get_struct(s, 0, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TRAVERSAL_LIMIT);
	(void)state;
}

/* ------------------------------------------------------------------ pointer kinds */

/* Root: 1 data word, 4 pointers: a struct, a list, a capability, an "other"
 * pointer that is not a capability. */
static void make_kinds(uint64_t m[8])
{
	m[0] = SP(0, 1, 4);
	m[1] = 0x5555;
	m[2] = SP(3, 1, 0);             /* -> word 6 */
	m[3] = LP(3, CAPN_SZ_BYTE, 3);  /* -> word 7: "ab\0" */
	m[4] = CAP(7);
	m[5] = 3u | (1u << 2);          /* "other", non-zero bits 2..31 */
	m[6] = 0x6666;
	m[7] = STR8("ab", 3);
}

static int kinds_read(struct capn_reader *r)
{
	uint64_t m[8];
	make_kinds(m);
	return read_one(r, m, 8, NULL);
}

static void wrong_pointer_kinds(void **state)
{
	struct capn_reader r;
	capn_struct_r root;

	/* Sanity: each read the right way. */
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_int_equal(capn_get_u64(capn_get_struct(root, 0, NULL), 0, 0), 0x6666);
	assert_string_equal(capn_get_text(root, 1, NULL, 0).str, "ab");
	assert_int_equal(capn_get_cap(root, 2), 7);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);

	/* List read as struct. */
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_empty_struct(capn_get_struct(root, 1, NULL));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);

	/* Struct read as list, as text, as data. */
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_int_equal(capn_list_len(capn_get_list(root, 0, CAPN_LIST_8BYTES, NULL)), 0);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_string_equal(capn_get_text(root, 0, "d", 1).str, "d");
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_int_equal(capn_get_data(root, 0, NULL, 0).len, 0);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);

	/* Capability read as text, struct, list. */
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	capn_text t = capn_get_text(root, 2, "dflt", 4);
	assert_string_equal(t.str, "dflt");
	assert_int_equal(t.len, 4);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_empty_struct(capn_get_struct(root, 2, NULL));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	capn_get_list(root, 2, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);

	/* Struct and list read as capabilities. */
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_int_equal(capn_get_cap(root, 0), CAPN_NULL_CAP);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_int_equal(capn_get_cap(root, 1), CAPN_NULL_CAP);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);

	/* The non-capability "other" pointer, read as cap, struct, list, text. */
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_int_equal(capn_get_cap(root, 3), CAPN_NULL_CAP);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_empty_struct(capn_get_struct(root, 3, NULL));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	capn_get_list(root, 3, CAPN_LIST_BYTE, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	assert_int_equal(kinds_read(&r), CAPN_OK);
	root = capn_reader_root(&r);
	assert_string_equal(capn_get_text(root, 3, NULL, 0).str, "");
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);

	/* The root pointer itself being a list or a capability. */
	uint64_t a[2] = { LP(0, CAPN_SZ_8BYTES, 1), 5 };
	assert_int_equal(read_one(&r, a, 2, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	uint64_t b[1] = { CAP(0) };
	assert_int_equal(read_one(&r, b, 1, NULL), CAPN_OK);
	assert_empty_struct(capn_reader_root(&r));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);

	/* Null pointers read as defaults, with no error. */
	uint64_t c[3] = { SP(0, 0, 2), 0, 0 };
	assert_int_equal(read_one(&r, c, 3, NULL), CAPN_OK);
	root = capn_reader_root(&r);
	assert_int_equal(capn_get_cap(root, 0), CAPN_NULL_CAP);
	assert_string_equal(capn_get_text(root, 1, NULL, 0).str, "");
	assert_empty_struct(capn_get_struct(root, 0, NULL));
	assert_int_equal(capn_list_len(capn_get_list(root, 1, CAPN_LIST_BIT, NULL)), 0);
	assert_false(capn_has_ptr(root, 0));
	/* A pointer index the struct does not have: the default too. */
	assert_int_equal(capn_get_cap(root, 5), CAPN_NULL_CAP);
	assert_string_equal(capn_get_text(root, 5, "x", 1).str, "x");
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	(void)state;
}

/* ------------------------------------------------------------------ text */

static void text_not_terminated(void **state)
{
	struct capn_reader r;
	/* "abcdefgh" fills the last word before the guard page: no NUL. */
	uint64_t m[3] = { SP(0, 0, 1), LP(0, CAPN_SZ_BYTE, 8), STR8("abcdefgh", 8) };
	assert_int_equal(read_one(&r, m, 3, NULL), CAPN_OK);
	capn_text t = capn_get_text(capn_reader_root(&r), 0, "dflt", 4);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TEXT);
	assert_string_equal(t.str, "dflt");
	assert_int_equal(t.len, 4);
	/* As data it is fine. */
	assert_int_equal(read_one(&r, m, 3, NULL), CAPN_OK);
	capn_data d = capn_get_data(capn_reader_root(&r), 0, NULL, 0);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(d.len, 8);
	assert_memory_equal(d.ptr, "abcdefgh", 8);

	/* "abcdefg\0" in the same place is good text. */
	m[2] = STR8("abcdefg", 8);
	assert_int_equal(read_one(&r, m, 3, NULL), CAPN_OK);
	t = capn_get_text(capn_reader_root(&r), 0, NULL, 0);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(t.len, 7);
	assert_string_equal(t.str, "abcdefg");

	/* Zero-length text has no room for its NUL. */
	uint64_t z[2] = { SP(0, 0, 1), LP(0, CAPN_SZ_BYTE, 0) };
	assert_int_equal(read_one(&r, z, 2, NULL), CAPN_OK);
	t = capn_get_text(capn_reader_root(&r), 0, "dflt", 4);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_TEXT);
	assert_string_equal(t.str, "dflt");
	/* Zero-length data is fine. */
	assert_int_equal(read_one(&r, z, 2, NULL), CAPN_OK);
	d = capn_get_data(capn_reader_root(&r), 0, "xy", 2);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(d.len, 0);

	/* Text as a one-byte list holding only the NUL: "". */
	uint64_t e[3] = { SP(0, 0, 1), LP(0, CAPN_SZ_BYTE, 1), 0 };
	assert_int_equal(read_one(&r, e, 3, NULL), CAPN_OK);
	t = capn_get_text(capn_reader_root(&r), 0, "dflt", 4);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(t.len, 0);
	assert_string_equal(t.str, "");

	/* Text and data must be byte lists: not u16 lists, bit lists, struct
	 * lists or pointer lists. */
	static const unsigned bad[] = { CAPN_SZ_BIT, CAPN_SZ_2BYTES, CAPN_SZ_8BYTES, CAPN_SZ_POINTER };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t b[3] = { SP(0, 0, 1), LP(0, bad[i], 1), 0x00 };
		assert_int_equal(read_one(&r, b, 3, NULL), CAPN_OK);
		t = capn_get_text(capn_reader_root(&r), 0, "dflt", 4);
		assert_int_equal(capn_reader_error(&r), CAPN_ERR_ELEMENT_SIZE);
		assert_string_equal(t.str, "dflt");
		assert_int_equal(read_one(&r, b, 3, NULL), CAPN_OK);
		d = capn_get_data(capn_reader_root(&r), 0, NULL, 0);
		assert_int_equal(capn_reader_error(&r), CAPN_ERR_ELEMENT_SIZE);
		assert_int_equal(d.len, 0);
	}
	uint64_t c[4] = { SP(0, 0, 1), LP(0, CAPN_SZ_COMPOSITE, 1), SP(1, 1, 0), 0 };
	assert_int_equal(read_one(&r, c, 4, NULL), CAPN_OK);
	capn_get_text(capn_reader_root(&r), 0, NULL, 0);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_ELEMENT_SIZE);
	(void)state;
}

/* ------------------------------------------------------------------ element sizes */

/* Root with one pointer to a list of `sz` (count elements, 2 words of data or
 * a composite of 1 word elements). */
static int read_list_msg(struct capn_reader *r, unsigned sz, uint32_t count, uint16_t dw,
                         uint16_t pc)
{
	uint64_t m[8] = { SP(0, 0, 1) };
	if (sz == CAPN_SZ_COMPOSITE) {
		m[1] = LP(0, CAPN_SZ_COMPOSITE, count * (dw + pc));
		m[2] = SP((int32_t)count, dw, pc);
		return read_one(r, m, 3 + count * (dw + pc), NULL);
	}
	m[1] = LP(0, sz, count);
	return read_one(r, m, 4, NULL);
}

static void expect_list_error(unsigned sz, uint16_t dw, uint16_t pc, enum capn_list_kind kind)
{
	struct capn_reader r;
	assert_int_equal(read_list_msg(&r, sz, 1, dw, pc), CAPN_OK);
	capn_list_r l = capn_get_list(capn_reader_root(&r), 0, kind, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_ELEMENT_SIZE);
	assert_int_equal(capn_list_len(l), 0);
}

static void list_element_size_incompatible(void **state)
{
	expect_list_error(CAPN_SZ_BIT, 0, 0, CAPN_LIST_STRUCT);
	expect_list_error(CAPN_SZ_BIT, 0, 0, CAPN_LIST_BYTE);
	expect_list_error(CAPN_SZ_BIT, 0, 0, CAPN_LIST_POINTER);
	expect_list_error(CAPN_SZ_BYTE, 0, 0, CAPN_LIST_4BYTES);
	expect_list_error(CAPN_SZ_BYTE, 0, 0, CAPN_LIST_2BYTES);
	expect_list_error(CAPN_SZ_BYTE, 0, 0, CAPN_LIST_BIT);
	expect_list_error(CAPN_SZ_4BYTES, 0, 0, CAPN_LIST_8BYTES);
	expect_list_error(CAPN_SZ_4BYTES, 0, 0, CAPN_LIST_POINTER);
	expect_list_error(CAPN_SZ_4BYTES, 0, 0, CAPN_LIST_BIT);
	expect_list_error(CAPN_SZ_VOID, 0, 0, CAPN_LIST_BYTE);
	expect_list_error(CAPN_SZ_VOID, 0, 0, CAPN_LIST_POINTER);
	expect_list_error(CAPN_SZ_POINTER, 0, 0, CAPN_LIST_8BYTES);
	expect_list_error(CAPN_SZ_POINTER, 0, 0, CAPN_LIST_BIT);
	/* A data-only struct list read as a pointer list. */
	expect_list_error(CAPN_SZ_COMPOSITE, 2, 0, CAPN_LIST_POINTER);
	/* A pointer-only struct list read as a primitive list. */
	expect_list_error(CAPN_SZ_COMPOSITE, 0, 1, CAPN_LIST_BYTE);
	expect_list_error(CAPN_SZ_COMPOSITE, 1, 1, CAPN_LIST_BIT);
	(void)state;
}

static void list_upgrades(void **state)
{
	struct capn_reader r;
	/* A u32 list {1, 2, 3} read as a list of structs: each element's first
	 * u32 field is the value; fields past it read as defaults. */
	uint64_t a[4] = { SP(0, 0, 1), LP(0, CAPN_SZ_4BYTES, 3), 0x0000000200000001ull, 3 };
	assert_int_equal(read_one(&r, a, 4, NULL), CAPN_OK);
	capn_list_r l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_list_len(l), 3);
	for (uint32_t i = 0; i < 3; i++) {
		capn_struct_r e = capn_list_get_struct(l, i);
		assert_int_equal(capn_get_u32(e, 0, 0), i + 1);
		assert_int_equal(capn_get_u16(e, 0, 0), i + 1);
		assert_int_equal(capn_get_u32(e, 4, 0xaa), 0xaa);
		assert_int_equal(capn_get_u64(e, 0, 0xbb), 0xbb);
		assert_string_equal(capn_get_text(e, 0, "t", 1).str, "t");
	}
	assert_int_equal(capn_reader_error(&r), CAPN_OK);

	/* A pointer list of text read as a list of structs: element pointer 0. */
	uint64_t b[6] = { SP(0, 0, 1), LP(0, CAPN_SZ_POINTER, 2), LP(1, CAPN_SZ_BYTE, 3),
	                  LP(1, CAPN_SZ_BYTE, 2), STR8("hi", 3), STR8("y", 2) };
	assert_int_equal(read_one(&r, b, 6, NULL), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
	assert_int_equal(capn_list_len(l), 2);
	assert_string_equal(capn_get_text(capn_list_get_struct(l, 0), 0, NULL, 0).str, "hi");
	assert_string_equal(capn_get_text(capn_list_get_struct(l, 1), 0, NULL, 0).str, "y");
	assert_int_equal(capn_get_u64(capn_list_get_struct(l, 1), 0, 4), 4);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);

	/* A struct list (1 data word, 1 pointer) read as primitive lists (its
	 * first data field) and as a pointer list (its first pointer). */
	uint64_t c[9] = { SP(0, 0, 1), LP(0, CAPN_SZ_COMPOSITE, 4), SP(2, 1, 1),
	                  0x1111222233334444ull, LP(2, CAPN_SZ_BYTE, 2),
	                  0x5555666677778888ull, LP(1, CAPN_SZ_BYTE, 2),
	                  STR8("a", 2), STR8("b", 2) };
	static const enum capn_list_kind prim[] = { CAPN_LIST_BYTE, CAPN_LIST_2BYTES,
	                                            CAPN_LIST_4BYTES, CAPN_LIST_8BYTES };
	for (unsigned k = 0; k < 4; k++) {
		assert_int_equal(read_one(&r, c, 9, NULL), CAPN_OK);
		l = capn_get_list(capn_reader_root(&r), 0, prim[k], NULL);
		assert_int_equal(capn_reader_error(&r), CAPN_OK);
		assert_int_equal(capn_list_len(l), 2);
		switch (prim[k]) {
		case CAPN_LIST_BYTE:
			assert_int_equal(capn_list_get_u8(l, 0), 0x44);
			assert_int_equal(capn_list_get_u8(l, 1), 0x88);
			break;
		case CAPN_LIST_2BYTES:
			assert_int_equal(capn_list_get_u16(l, 0), 0x4444);
			assert_int_equal(capn_list_get_u16(l, 1), 0x8888);
			break;
		case CAPN_LIST_4BYTES:
			assert_int_equal(capn_list_get_u32(l, 0), 0x33334444u);
			assert_int_equal(capn_list_get_u32(l, 1), 0x77778888u);
			break;
		default:
			assert_int_equal(capn_list_get_u64(l, 0), 0x1111222233334444ull);
			assert_int_equal(capn_list_get_u64(l, 1), 0x5555666677778888ull);
			break;
		}
	}
	assert_int_equal(read_one(&r, c, 9, NULL), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_POINTER, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_list_len(l), 2);
	assert_string_equal(capn_list_get_text(l, 0).str, "a");
	assert_string_equal(capn_list_get_text(l, 1).str, "b");
	assert_int_equal(capn_reader_error(&r), CAPN_OK);

	/* A u64 list read as a u16 list: the low half-word of each element. */
	uint64_t d[4] = { SP(0, 0, 1), LP(0, CAPN_SZ_8BYTES, 2), 0x0123456789abcdefull, 0xfedc };
	assert_int_equal(read_one(&r, d, 4, NULL), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_2BYTES, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_list_get_u16(l, 0), 0xcdef);
	assert_int_equal(capn_list_get_u16(l, 1), 0xfedc);
	(void)state;
}

/* ------------------------------------------------------------------ index */

static void list_index_out_of_range(void **state)
{
	struct capn_reader r;
	uint64_t a[4] = { SP(0, 0, 1), LP(0, CAPN_SZ_2BYTES, 3), 0x0003000200010000ull, 0 };
	assert_int_equal(read_one(&r, a, 4, NULL), CAPN_OK);
	capn_list_r l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_2BYTES, NULL);
	assert_int_equal(capn_list_get_u16(l, 2), 2);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_list_get_u16(l, 3), 0);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_INDEX);

	assert_int_equal(read_one(&r, a, 4, NULL), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_2BYTES, NULL);
	assert_int_equal(capn_list_get_u16(l, 0xffffffffu), 0);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_INDEX);

	/* Every element accessor. */
	uint64_t c[5] = { SP(0, 0, 1), LP(0, CAPN_SZ_COMPOSITE, 2), SP(1, 1, 1), 7, 0 };
	for (int which = 0; which < 9; which++) {
		assert_int_equal(read_one(&r, c, 5, NULL), CAPN_OK);
		l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_STRUCT, NULL);
		assert_int_equal(capn_reader_error(&r), CAPN_OK);
		switch (which) {
		case 0: assert_empty_struct(capn_list_get_struct(l, 1)); break;
		case 1: assert_int_equal(capn_list_len(capn_list_get_list(l, 1, CAPN_LIST_BYTE)), 0); break;
		case 2: assert_string_equal(capn_list_get_text(l, 1).str, ""); break;
		case 3: assert_int_equal(capn_list_get_data(l, 1).len, 0); break;
		case 4: assert_int_equal(capn_list_get_cap(l, 1), CAPN_NULL_CAP); break;
		case 5: assert_false(capn_list_get_bool(l, 1)); break;
		case 6: assert_int_equal(capn_list_get_u8(l, 1), 0); break;
		case 7: assert_int_equal(capn_list_get_u32(l, 1), 0); break;
		default: assert_int_equal(capn_list_get_u64(l, 1), 0); break;
		}
		assert_int_equal(capn_reader_error(&r), CAPN_ERR_INDEX);
	}

	/* The empty list a null pointer reads as has no element 0. */
	uint64_t z[2] = { SP(0, 0, 1), 0 };
	assert_int_equal(read_one(&r, z, 2, NULL), CAPN_OK);
	l = capn_get_list(capn_reader_root(&r), 0, CAPN_LIST_8BYTES, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	assert_int_equal(capn_list_get_u64(l, 0), 0);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_INDEX);
	(void)state;
}

/* ------------------------------------------------------------------ sticky errors, defaults */

static void sticky_first_error(void **state)
{
	struct capn_reader r;
	/* Pointers: 0 a list (read as a struct: POINTER_KIND), 1 out of bounds,
	 * 2 good text, 3 a u8 list. */
	uint64_t m[8] = { SP(0, 1, 4), 0x42, LP(3, CAPN_SZ_BYTE, 2), SP(100, 1, 0),
	                  LP(2, CAPN_SZ_BYTE, 3), LP(0, CAPN_SZ_BYTE, 2), 0x0102, STR8("ok", 3) };
	assert_int_equal(read_one(&r, m, 8, NULL), CAPN_OK);
	capn_struct_r root = capn_reader_root(&r);
	assert_empty_struct(capn_get_struct(root, 0, NULL));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	assert_empty_struct(capn_get_struct(root, 1, NULL));
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	/* Good fields still read after an error. */
	assert_string_equal(capn_get_text(root, 2, NULL, 0).str, "ok");
	assert_int_equal(capn_get_u64(root, 0, 0), 0x42);
	capn_list_r l = capn_get_list(root, 3, CAPN_LIST_BYTE, NULL);
	assert_int_equal(capn_list_get_u8(l, 0), 0x02);
	assert_int_equal(capn_list_get_u8(l, 9), 0);
	capn_get_list(root, 3, CAPN_LIST_8BYTES, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	(void)state;
}

/* Constant defaults, as the generator emits them: word 0 points at the value. */
static const uint64_t def_struct_words[2] = { 0x0000000100000000ull /* SP(0,1,0) */, 42 };
static const uint64_t def_list_words[2] = { 0x0000001400000001ull /* LP(0,4BYTES,2) */,
                                            0x0000000800000007ull };

static void failing_accessor_returns_default(void **state)
{
	const struct capn_segment dstruct = { (const uint8_t *)def_struct_words, 2 };
	const struct capn_segment dlist = { (const uint8_t *)def_list_words, 2 };
	assert_int_equal(def_struct_words[0], SP(0, 1, 0));
	assert_int_equal(def_list_words[0], LP(0, CAPN_SZ_4BYTES, 2));
	struct capn_reader r;
	/* Root: 1 data word, 2 pointers, both out of bounds. */
	uint64_t m[4] = { SP(0, 1, 2), 0x99, SP(50, 1, 0), LP(50, CAPN_SZ_4BYTES, 2) };

	/* Null pointers read as the defaults (for contrast). */
	uint64_t n[4] = { SP(0, 1, 2), 0x99, 0, 0 };
	assert_int_equal(read_one(&r, n, 4, NULL), CAPN_OK);
	capn_struct_r root = capn_reader_root(&r);
	assert_int_equal(capn_get_u64(capn_get_struct(root, 0, &dstruct), 0, 0), 42);
	capn_list_r l = capn_get_list(root, 1, CAPN_LIST_4BYTES, &dlist);
	assert_int_equal(capn_list_len(l), 2);
	assert_int_equal(capn_list_get_u32(l, 1), 8);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);

	/* Scalars of a struct that failed to read: their schema defaults. */
	assert_int_equal(read_one(&r, m, 4, NULL), CAPN_OK);
	root = capn_reader_root(&r);
	capn_struct_r bad = capn_get_struct(root, 0, NULL);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	assert_int_equal(capn_get_u32(bad, 0, 1234), 1234);
	assert_int_equal(capn_get_bool(bad, 3, true), true);
	assert_int_equal(capn_get_cap(bad, 0), CAPN_NULL_CAP);

	/* Text and data: the default passed in. */
	uint64_t t[3] = { SP(0, 0, 2), LP(50, CAPN_SZ_BYTE, 2), LP(50, CAPN_SZ_BYTE, 2) };
	assert_int_equal(read_one(&r, t, 3, NULL), CAPN_OK);
	root = capn_reader_root(&r);
	capn_text tx = capn_get_text(root, 0, "dflt", 4);
	assert_string_equal(tx.str, "dflt");
	assert_int_equal(tx.len, 4);
	capn_data dd = capn_get_data(root, 1, "xyz", 3);
	assert_ptr_equal(dd.ptr, "xyz");
	assert_int_equal(dd.len, 3);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	(void)state;
}

/* capn.h: "Each records an error in the message and returns the default when
 * the pointer is malformed or of the wrong kind." -- for struct and list
 * fields with a constant default too, as the reference implementation does. */
static void failing_struct_list_return_default(void **state)
{
	const struct capn_segment dstruct = { (const uint8_t *)def_struct_words, 2 };
	const struct capn_segment dlist = { (const uint8_t *)def_list_words, 2 };
	struct capn_reader r;
	uint64_t m[4] = { SP(0, 1, 2), 0x99, SP(50, 1, 0), LP(50, CAPN_SZ_4BYTES, 2) };
	assert_int_equal(read_one(&r, m, 4, NULL), CAPN_OK);
	capn_struct_r root = capn_reader_root(&r);
	capn_struct_r s = capn_get_struct(root, 0, &dstruct);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_OUT_OF_BOUNDS);
	assert_int_equal(capn_get_u64(s, 0, 0), 42);
	capn_list_r l = capn_get_list(root, 1, CAPN_LIST_4BYTES, &dlist);
	assert_int_equal(capn_list_len(l), 2);
	assert_int_equal(capn_list_get_u32(l, 0), 7);
	assert_int_equal(capn_list_get_u32(l, 1), 8);
	/* A wrong kind, too. */
	uint64_t k[3] = { SP(0, 0, 1), LP(0, CAPN_SZ_BYTE, 1), 0 };
	assert_int_equal(read_one(&r, k, 3, NULL), CAPN_OK);
	s = capn_get_struct(capn_reader_root(&r), 0, &dstruct);
	assert_int_equal(capn_reader_error(&r), CAPN_ERR_POINTER_KIND);
	assert_int_equal(capn_get_u64(s, 0, 0), 42);
	(void)state;
}

/* ------------------------------------------------------------------ happy paths */

static void scalars_and_old_struct(void **state)
{
	struct capn_reader r;
	/* 2 data words: u8 0x12 @0, bool @bit 8, u16 @2, u32 @4, u64 @8. */
	uint64_t m[3] = { SP(0, 2, 0), 0x89abcdef56780112ull, 0x0102030405060708ull };
	assert_int_equal(read_one(&r, m, 3, NULL), CAPN_OK);
	capn_struct_r s = capn_reader_root(&r);
	assert_int_equal(capn_get_u8(s, 0, 0), 0x12);
	assert_true(capn_get_bool(s, 8, false));
	assert_false(capn_get_bool(s, 8, true)); /* stored XORed with the default */
	assert_int_equal(capn_get_u16(s, 2, 0), 0x5678);
	assert_int_equal(capn_get_u16(s, 2, 0xffff), 0x5678 ^ 0xffff);
	assert_int_equal(capn_get_u32(s, 4, 0), 0x89abcdefu);
	assert_int_equal(capn_get_u64(s, 8, 0), 0x0102030405060708ull);
	/* Fields a newer schema added after these two words: defaults. */
	assert_int_equal(capn_get_u64(s, 16, 0xfeed), 0xfeed);
	assert_true(capn_get_bool(s, 200, true));
	assert_string_equal(capn_get_text(s, 0, "new", 3).str, "new");
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
	(void)state;
}

static void strerror_total(void **state)
{
	for (int e = 0; e < CAPN_ERR__COUNT; e++) {
		assert_non_null(capn_strerror(e));
		assert_true(strlen(capn_strerror(e)) > 0);
	}
	assert_non_null(capn_strerror(-1));
	assert_non_null(capn_strerror(CAPN_ERR__COUNT));
	assert_non_null(capn_strerror(1 << 30));
	(void)state;
}

#define T(f) cmocka_unit_test_teardown(f, unmap_all)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(framed_empty_buffer),
		T(framed_short_segment_table),
		T(framed_segment_count),
		T(framed_first_segment_empty),
		T(framed_truncated),
		T(framed_huge_segment_sizes),
		T(segments_rejected),
		T(segments_overlap),
		T(struct_past_segment_end),
		T(struct_negative_offset),
		T(list_out_of_bounds),
		T(composite_list_out_of_bounds),
		T(far_missing_segment),
		T(far_landing_pad_out_of_bounds),
		T(far_landing_pad_is_far),
		T(double_far_bad_pad),
		T(far_and_double_far_valid),
		T(multi_segment_framed),
		T(traversal_amplification_small_limit),
		T(traversal_amplification_default_limit),
		T(traversal_zero_sized_elements),
		T(nesting_limit_chain),
		T(nesting_limit_self_pointer),
		T(wrong_pointer_kinds),
		T(text_not_terminated),
		T(list_element_size_incompatible),
		T(list_upgrades),
		T(list_index_out_of_range),
		T(sticky_first_error),
		T(failing_accessor_returns_default),
		T(failing_struct_list_return_default),
		T(scalars_and_old_struct),
		T(strerror_total),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
