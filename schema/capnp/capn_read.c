/*
 * capn_read.c - reading Cap'n Proto messages in place.
 *
 * Everything a message says is checked before it is believed: segment
 * framing against the buffer length, every pointer target against its
 * segment (computed in word indices, so no out-of-range pointer is ever
 * formed), every far pointer against the segment table, and the total words
 * visited and the pointer depth against the reader's limits. A failing read
 * records the first error in the reader and returns the default value.
 */
#include "capn_internal.h"

static const char *const capn_error_text[CAPN_ERR__COUNT] = {
	[CAPN_OK] = "ok",
	[CAPN_ERR_TRUNCATED] = "message truncated",
	[CAPN_ERR_SEGMENT_COUNT] = "bad segment count",
	[CAPN_ERR_SEGMENT_SIZE] = "bad segment size",
	[CAPN_ERR_OVERLAP] = "segments overlap",
	[CAPN_ERR_OUT_OF_BOUNDS] = "pointer out of bounds",
	[CAPN_ERR_BAD_SEGMENT] = "far pointer to a missing segment",
	[CAPN_ERR_BAD_LANDING_PAD] = "bad far-pointer landing pad",
	[CAPN_ERR_TRAVERSAL_LIMIT] = "traversal limit exceeded",
	[CAPN_ERR_NESTING_LIMIT] = "nesting limit exceeded",
	[CAPN_ERR_POINTER_KIND] = "pointer of the wrong kind",
	[CAPN_ERR_ELEMENT_SIZE] = "list element size incompatible with its type",
	[CAPN_ERR_INDEX] = "list index out of range",
	[CAPN_ERR_TEXT] = "text not NUL-terminated",
	[CAPN_ERR_NO_SPACE] = "builder arena full",
	[CAPN_ERR_TOO_BIG] = "size too big for the wire format",
	[CAPN_ERR_ARGUMENT] = "bad argument",
};

const char *capn_strerror(int err)
{
	if (err < 0 || err >= CAPN_ERR__COUNT || !capn_error_text[err])
		return "unknown capn error";
	return capn_error_text[err];
}

uint32_t capn__elem_bits(unsigned size)
{
	static const uint8_t bits[8] = { 0, 1, 8, 16, 32, 64, 64, 0 };
	return bits[size & 7];
}

/* ------------------------------------------------------------------ framing */

static void reader_reset(struct capn_reader *r, const struct capn_limits *limits)
{
	r->nsegs = 0;
	r->err = CAPN_OK;
	r->traversal_left = limits ? limits->traversal_words : CAPN_DEFAULT_TRAVERSAL_WORDS;
	r->nesting_limit = limits ? limits->nesting : CAPN_DEFAULT_NESTING_LIMIT;
	if (r->nesting_limit > INT16_MAX)
		r->nesting_limit = INT16_MAX;
}

static int reader_refuse(struct capn_reader *r, int err)
{
	r->nsegs = 0; /* a refused message reads as empty */
	r->err = err;
	return err;
}

int capn_reader_init_framed(struct capn_reader *r, const void *buf, size_t len,
                            const struct capn_limits *limits, size_t *consumed)
{
	const uint8_t *p = buf;
	reader_reset(r, limits);
	if (!buf || len < 8)
		return reader_refuse(r, CAPN_ERR_TRUNCATED);

	uint32_t nsegs = capn__load32(p) + 1u; /* wraps to 0 for 0xffffffff */
	if (nsegs == 0 || nsegs > CAPN_MAX_SEGMENTS)
		return reader_refuse(r, CAPN_ERR_SEGMENT_COUNT);

	/* 4 bytes of count, 4 per segment size, padded to a word. */
	size_t header = ((4u + 4u * (size_t)nsegs) + 7u) & ~(size_t)7u;
	if (len < header)
		return reader_refuse(r, CAPN_ERR_TRUNCATED);

	size_t avail_words = (len - header) / 8u;
	size_t offset_words = 0;
	for (uint32_t i = 0; i < nsegs; i++) {
		uint32_t words = capn__load32(p + 4 + 4 * (size_t)i);
		if (words > CAPN_MAX_SEGMENT_WORDS || (i == 0 && words == 0))
			return reader_refuse(r, CAPN_ERR_SEGMENT_SIZE);
		if (words > avail_words - offset_words)
			return reader_refuse(r, CAPN_ERR_TRUNCATED);
		r->segs[i].data = p + header + offset_words * 8u;
		r->segs[i].words = words;
		offset_words += words;
	}
	r->nsegs = nsegs;
	if (consumed)
		*consumed = header + offset_words * 8u;
	return CAPN_OK;
}

static bool ranges_overlap(const struct capn_segment *a, const struct capn_segment *b)
{
	uintptr_t a0 = (uintptr_t)a->data, a1 = a0 + (uintptr_t)a->words * 8u;
	uintptr_t b0 = (uintptr_t)b->data, b1 = b0 + (uintptr_t)b->words * 8u;
	return a0 < b1 && b0 < a1;
}

int capn_reader_init_segments(struct capn_reader *r, const void *const *segs,
                              const uint32_t *words, uint32_t nsegs,
                              const struct capn_limits *limits)
{
	reader_reset(r, limits);
	if (nsegs == 0 || nsegs > CAPN_MAX_SEGMENTS || !segs || !words)
		return reader_refuse(r, CAPN_ERR_SEGMENT_COUNT);
	for (uint32_t i = 0; i < nsegs; i++) {
		if (!segs[i] || words[i] > CAPN_MAX_SEGMENT_WORDS || (i == 0 && words[i] == 0))
			return reader_refuse(r, CAPN_ERR_SEGMENT_SIZE);
		if ((uintptr_t)segs[i] > UINTPTR_MAX - (uintptr_t)words[i] * 8u)
			return reader_refuse(r, CAPN_ERR_SEGMENT_SIZE);
		r->segs[i].data = segs[i];
		r->segs[i].words = words[i];
		for (uint32_t j = 0; j < i; j++)
			if (ranges_overlap(&r->segs[i], &r->segs[j]))
				return reader_refuse(r, CAPN_ERR_OVERLAP);
	}
	r->nsegs = nsegs;
	return CAPN_OK;
}

/* ------------------------------------------------------------------ pointers */

int capn__resolve(const struct capn_reader *msg, const struct capn_segment *seg,
                  uint32_t slot, struct capn__target *out)
{
	uint64_t w = capn__load64(seg->data + (size_t)slot * 8u);
	if ((w & 3) != CAPN_PTR_FAR) {
		out->tag = w;
		out->seg = seg;
		out->index = (int64_t)slot + 1 + capn__ptr_offset(w);
		return CAPN_OK;
	}
	if (!msg)
		return CAPN_ERR_BAD_SEGMENT; /* constants are single-segment */

	bool double_far = (w >> 2) & 1;
	uint32_t pad_index = (uint32_t)(w >> 3) & 0x1fffffffu;
	uint32_t pad_seg = (uint32_t)(w >> 32);
	uint32_t pad_words = double_far ? 2 : 1;
	if (pad_seg >= msg->nsegs)
		return CAPN_ERR_BAD_SEGMENT;
	const struct capn_segment *ps = &msg->segs[pad_seg];
	if ((uint64_t)pad_index + pad_words > ps->words)
		return CAPN_ERR_OUT_OF_BOUNDS;
	uint64_t pad = capn__load64(ps->data + (size_t)pad_index * 8u);

	if (!double_far) {
		/* The pad is an ordinary pointer, relative to its own position. */
		if ((pad & 3) == CAPN_PTR_FAR)
			return CAPN_ERR_BAD_LANDING_PAD;
		out->tag = pad;
		out->seg = ps;
		out->index = (int64_t)pad_index + 1 + capn__ptr_offset(pad);
		return CAPN_OK;
	}

	/* Double far: the pad's first word is a single far pointer to the start
	 * of the object, its second word the tag (whose offset is ignored). */
	uint64_t tag = capn__load64(ps->data + ((size_t)pad_index + 1) * 8u);
	if ((pad & 7) != CAPN_PTR_FAR || (tag & 3) == CAPN_PTR_FAR || tag == 0)
		return CAPN_ERR_BAD_LANDING_PAD;
	uint32_t obj_seg = (uint32_t)(pad >> 32);
	if (obj_seg >= msg->nsegs)
		return CAPN_ERR_BAD_SEGMENT;
	out->tag = tag;
	out->seg = &msg->segs[obj_seg];
	out->index = (int64_t)((uint32_t)(pad >> 3) & 0x1fffffffu);
	return CAPN_OK;
}

/* Spend `words` of the traversal budget (a no-op for constants). */
static bool charge(struct capn_reader *m, uint64_t words)
{
	if (!m)
		return true;
	if (words > m->traversal_left) {
		m->traversal_left = 0;
		capn__fail(m, CAPN_ERR_TRAVERSAL_LIMIT);
		return false;
	}
	m->traversal_left -= words;
	return true;
}

static bool in_bounds(const struct capn__target *t, uint64_t words)
{
	return t->index >= 0 && (uint64_t)t->index + words <= t->seg->words;
}

static capn_struct_r empty_struct(struct capn_reader *m, int16_t nesting)
{
	capn_struct_r s = { .msg = m, .nesting_left = nesting };
	return s;
}

static capn_list_r empty_list(struct capn_reader *m, int16_t nesting)
{
	capn_list_r l = { .msg = m, .nesting_left = nesting };
	return l;
}

/* Follow a struct pointer at word `slot` of `seg`. *use_default is set when the
 * pointer is null or malformed (the error is recorded), so that callers
 * substitute the field's default. */
static capn_struct_r read_struct_at(struct capn_reader *m, const struct capn_segment *seg,
                                    uint32_t slot, int16_t nesting, bool *use_default)
{
	struct capn__target t;
	*use_default = true; /* until the pointer proves sound */
	int err = capn__resolve(m, seg, slot, &t);
	if (err) {
		capn__fail(m, err);
		return empty_struct(m, 0);
	}
	if (t.tag == 0) {
		return empty_struct(m, 0);
	}
	if ((t.tag & 3) != CAPN_PTR_STRUCT) {
		capn__fail(m, CAPN_ERR_POINTER_KIND);
		return empty_struct(m, 0);
	}
	if (nesting <= 0) {
		capn__fail(m, CAPN_ERR_NESTING_LIMIT);
		return empty_struct(m, 0);
	}
	uint32_t data_words = (uint32_t)(t.tag >> 32) & 0xffffu;
	uint32_t ptr_count = (uint32_t)(t.tag >> 48);
	uint64_t words = (uint64_t)data_words + ptr_count;
	if (!in_bounds(&t, words)) {
		capn__fail(m, CAPN_ERR_OUT_OF_BOUNDS);
		return empty_struct(m, 0);
	}
	/* A zero-sized struct still costs a word, so that a list of pointers to
	 * empty structs cannot be walked for free. */
	if (!charge(m, words ? words : 1))
		return empty_struct(m, 0);
	const uint8_t *base = t.seg->data + (size_t)t.index * 8u;
	*use_default = false;
	capn_struct_r s = {
		.msg = m,
		.seg = t.seg,
		.data = base,
		.ptrs = base + (size_t)data_words * 8u,
		.data_bytes = data_words * 8u,
		.ptr_count = (uint16_t)ptr_count,
		.nesting_left = (int16_t)(nesting - 1),
	};
	return s;
}

/* Is a list of this encoding readable as `kind`? (The compatibility rules of
 * the reference implementation: a reader may see a wider element than it
 * expects, never a narrower one, and bit lists only as bit lists.) */
static bool list_compatible(enum capn_list_kind kind, unsigned size, uint32_t data_bits,
                            uint32_t ptr_count)
{
	static const uint8_t want_bits[] = {
		[CAPN_LIST_VOID] = 0, [CAPN_LIST_BIT] = 1, [CAPN_LIST_BYTE] = 8,
		[CAPN_LIST_2BYTES] = 16, [CAPN_LIST_4BYTES] = 32, [CAPN_LIST_8BYTES] = 64,
		[CAPN_LIST_POINTER] = 0, [CAPN_LIST_STRUCT] = 0,
	};
	if (kind == CAPN_LIST_VOID)
		return true;
	if (size == CAPN_SZ_BIT || kind == CAPN_LIST_BIT)
		return size == CAPN_SZ_BIT && kind == CAPN_LIST_BIT;
	if (kind == CAPN_LIST_STRUCT)
		return true;
	if (kind == CAPN_LIST_POINTER)
		return ptr_count >= 1;
	/* A primitive list read from a list of structs needs a data section. */
	if (size == CAPN_SZ_COMPOSITE && data_bits == 0)
		return false;
	return data_bits >= want_bits[kind];
}

static capn_list_r read_list_at(struct capn_reader *m, const struct capn_segment *seg,
                                uint32_t slot, int16_t nesting, enum capn_list_kind kind,
                                bool *use_default)
{
	struct capn__target t;
	*use_default = true; /* until the pointer proves sound */
	int err = capn__resolve(m, seg, slot, &t);
	if (err) {
		capn__fail(m, err);
		return empty_list(m, 0);
	}
	if (t.tag == 0) {
		return empty_list(m, 0);
	}
	if ((t.tag & 3) != CAPN_PTR_LIST) {
		capn__fail(m, CAPN_ERR_POINTER_KIND);
		return empty_list(m, 0);
	}
	if (nesting <= 0) {
		capn__fail(m, CAPN_ERR_NESTING_LIMIT);
		return empty_list(m, 0);
	}
	unsigned size = (unsigned)(t.tag >> 32) & 7u;
	uint32_t count = (uint32_t)(t.tag >> 35);
	capn_list_r l = { .msg = m, .seg = t.seg, .elem_size = (uint8_t)size,
	                  .nesting_left = (int16_t)(nesting - 1) };

	if (size == CAPN_SZ_COMPOSITE) {
		/* `count` is the word count of the elements; a tag word precedes
		 * them, shaped like a struct pointer whose offset is the element
		 * count. */
		uint64_t words = count;
		if (!in_bounds(&t, words + 1)) {
			capn__fail(m, CAPN_ERR_OUT_OF_BOUNDS);
			return empty_list(m, 0);
		}
		uint64_t tag = capn__load64(t.seg->data + (size_t)t.index * 8u);
		if ((tag & 3) != CAPN_PTR_STRUCT) {
			capn__fail(m, CAPN_ERR_POINTER_KIND);
			return empty_list(m, 0);
		}
		uint32_t elems = (uint32_t)tag >> 2;
		uint32_t dw = (uint32_t)(tag >> 32) & 0xffffu, pc = (uint32_t)(tag >> 48);
		if ((uint64_t)elems * (dw + pc) > words) {
			capn__fail(m, CAPN_ERR_OUT_OF_BOUNDS);
			return empty_list(m, 0);
		}
		/* Elements of size zero still cost a word each (amplification). */
		if (!charge(m, (dw + pc) ? words : elems))
			return empty_list(m, 0);
		l.data = t.seg->data + ((size_t)t.index + 1) * 8u;
		l.count = elems;
		l.step_bits = (dw + pc) * 64u;
		l.elem_data_bits = dw * 64u;
		l.elem_ptr_count = (uint16_t)pc;
	} else {
		uint32_t bits = capn__elem_bits(size);
		uint64_t words = ((uint64_t)count * bits + 63u) / 64u;
		if (!in_bounds(&t, words)) {
			capn__fail(m, CAPN_ERR_OUT_OF_BOUNDS);
			return empty_list(m, 0);
		}
		if (!charge(m, bits ? words : count))
			return empty_list(m, 0);
		l.data = t.seg->data + (size_t)t.index * 8u;
		l.count = count;
		l.step_bits = bits;
		l.elem_data_bits = size == CAPN_SZ_POINTER ? 0 : bits;
		l.elem_ptr_count = size == CAPN_SZ_POINTER ? 1 : 0;
	}
	if (!list_compatible(kind, size, l.elem_data_bits, l.elem_ptr_count)) {
		capn__fail(m, CAPN_ERR_ELEMENT_SIZE);
		return empty_list(m, 0);
	}
	*use_default = false;
	return l;
}

/* Word index of pointer `i` of struct `s` within its segment. */
static uint32_t ptr_slot(capn_struct_r s, uint16_t i)
{
	return (uint32_t)((size_t)(s.ptrs - s.seg->data) / 8u) + i;
}

capn_struct_r capn_default_struct(const struct capn_segment *def)
{
	bool use_default;
	if (!def || def->words == 0)
		return empty_struct(NULL, 0);
	return read_struct_at(NULL, def, 0, CAPN_DEFAULT_NESTING_LIMIT, &use_default);
}

capn_struct_r capn_reader_root(struct capn_reader *r)
{
	bool use_default;
	if (r->nsegs == 0) {
		capn__fail(r, CAPN_ERR_TRUNCATED);
		return empty_struct(r, 0);
	}
	capn_struct_r s = read_struct_at(r, &r->segs[0], 0, (int16_t)r->nesting_limit, &use_default);
	return s;
}

capn_struct_r capn_get_struct(capn_struct_r s, uint16_t i, const struct capn_segment *def)
{
	bool use_default = true;
	capn_struct_r out = empty_struct(s.msg, 0);
	if (i < s.ptr_count)
		out = read_struct_at(s.msg, s.seg, ptr_slot(s, i), s.nesting_left, &use_default);
	if (use_default && def)
		return capn_default_struct(def);
	return out;
}

capn_list_r capn_get_list(capn_struct_r s, uint16_t i, enum capn_list_kind kind,
                          const struct capn_segment *def)
{
	bool use_default = true;
	capn_list_r out = empty_list(s.msg, 0);
	if (i < s.ptr_count)
		out = read_list_at(s.msg, s.seg, ptr_slot(s, i), s.nesting_left, kind, &use_default);
	if (use_default && def && def->words) {
		/* A list default is a constant whose word 0 points at the list. */
		return read_list_at(NULL, def, 0, CAPN_DEFAULT_NESTING_LIMIT, kind, &use_default);
	}
	return out;
}

static capn_list_r read_bytes(capn_struct_r s, uint16_t i, bool *use_default)
{
	*use_default = true;
	if (i >= s.ptr_count)
		return empty_list(s.msg, 0);
	capn_list_r l = read_list_at(s.msg, s.seg, ptr_slot(s, i), s.nesting_left,
	                             CAPN_LIST_BYTE, use_default);
	if (!*use_default && l.elem_size != CAPN_SZ_BYTE && l.data) {
		/* Text and data are byte lists exactly, not upgraded structs. */
		capn__fail(s.msg, CAPN_ERR_ELEMENT_SIZE);
		*use_default = true;
		return empty_list(s.msg, 0);
	}
	return l;
}

capn_text capn_get_text(capn_struct_r s, uint16_t i, const char *def, uint32_t def_len)
{
	capn_text dflt = { def ? def : "", def ? def_len : 0 };
	bool use_default;
	capn_list_r l = read_bytes(s, i, &use_default);
	if (use_default || !l.data)
		return dflt;
	if (l.count == 0 || l.data[l.count - 1] != 0) {
		capn__fail(s.msg, CAPN_ERR_TEXT);
		return dflt;
	}
	capn_text t = { (const char *)l.data, l.count - 1 };
	return t;
}

capn_data capn_get_data(capn_struct_r s, uint16_t i, const void *def, uint32_t def_len)
{
	capn_data dflt = { def, def ? def_len : 0 };
	bool use_default;
	capn_list_r l = read_bytes(s, i, &use_default);
	if (use_default || !l.data)
		return dflt;
	capn_data d = { l.data, l.count };
	return d;
}

uint32_t capn_get_cap(capn_struct_r s, uint16_t i)
{
	if (i >= s.ptr_count)
		return CAPN_NULL_CAP;
	uint64_t w = capn__load64(s.ptrs + (size_t)i * 8u);
	if (w == 0)
		return CAPN_NULL_CAP;
	/* Capability pointers are never reached through far pointers. */
	if ((w & 3) != CAPN_PTR_OTHER || (w & 0xfffffffcu) != 0) {
		capn__fail(s.msg, CAPN_ERR_POINTER_KIND);
		return CAPN_NULL_CAP;
	}
	return (uint32_t)(w >> 32);
}

bool capn_has_ptr(capn_struct_r s, uint16_t i)
{
	return i < s.ptr_count && capn__load64(s.ptrs + (size_t)i * 8u) != 0;
}

/* ------------------------------------------------------------------ list elements */

static bool check_index(capn_list_r l, uint32_t i)
{
	if (i < l.count)
		return true;
	capn__fail(l.msg, CAPN_ERR_INDEX);
	return false;
}

/* Element i viewed as a struct (data section then pointers). */
static capn_struct_r elem_struct(capn_list_r l, uint32_t i)
{
	const uint8_t *base = l.data + (size_t)i * (l.step_bits / 8u);
	capn_struct_r s = {
		.msg = l.msg,
		.seg = l.seg,
		.data = base,
		.ptrs = base + l.elem_data_bits / 8u,
		.data_bytes = l.elem_data_bits / 8u,
		.ptr_count = l.elem_ptr_count,
		.nesting_left = l.nesting_left,
	};
	return s;
}

capn_struct_r capn_list_get_struct(capn_list_r l, uint32_t i)
{
	if (!check_index(l, i) || l.elem_size == CAPN_SZ_BIT)
		return empty_struct(l.msg, 0);
	return elem_struct(l, i);
}

capn_list_r capn_list_get_list(capn_list_r l, uint32_t i, enum capn_list_kind kind)
{
	if (!check_index(l, i))
		return empty_list(l.msg, 0);
	return capn_get_list(elem_struct(l, i), 0, kind, NULL);
}

capn_text capn_list_get_text(capn_list_r l, uint32_t i)
{
	if (!check_index(l, i)) {
		capn_text t = { "", 0 };
		return t;
	}
	return capn_get_text(elem_struct(l, i), 0, NULL, 0);
}

capn_data capn_list_get_data(capn_list_r l, uint32_t i)
{
	if (!check_index(l, i)) {
		capn_data d = { NULL, 0 };
		return d;
	}
	return capn_get_data(elem_struct(l, i), 0, NULL, 0);
}

uint32_t capn_list_get_cap(capn_list_r l, uint32_t i)
{
	if (!check_index(l, i))
		return CAPN_NULL_CAP;
	return capn_get_cap(elem_struct(l, i), 0);
}

bool capn_list_get_bool(capn_list_r l, uint32_t i)
{
	if (!check_index(l, i) || l.elem_size != CAPN_SZ_BIT)
		return false;
	return (l.data[i / 8] >> (i % 8)) & 1u;
}

uint8_t capn_list_get_u8(capn_list_r l, uint32_t i)
{
	return check_index(l, i) ? capn_get_u8(elem_struct(l, i), 0, 0) : 0;
}

uint16_t capn_list_get_u16(capn_list_r l, uint32_t i)
{
	return check_index(l, i) ? capn_get_u16(elem_struct(l, i), 0, 0) : 0;
}

uint32_t capn_list_get_u32(capn_list_r l, uint32_t i)
{
	return check_index(l, i) ? capn_get_u32(elem_struct(l, i), 0, 0) : 0;
}

uint64_t capn_list_get_u64(capn_list_r l, uint32_t i)
{
	return check_index(l, i) ? capn_get_u64(elem_struct(l, i), 0, 0) : 0;
}
