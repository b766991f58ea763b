/*
 * capn_build.c - building Cap'n Proto messages in caller-provided arenas.
 *
 * Placement follows the reference implementation: an object goes into the
 * segment of the pointer that refers to it if it fits (a plain pointer),
 * else into the first other arena with room for the object and a one-word
 * landing pad (a far pointer), else into an arena with room for the object
 * alone with its two-word pad elsewhere (a double-far pointer). Allocated
 * words are zeroed, as the encoding requires of unset fields.
 */
#include "capn_internal.h"

/* Largest element/word count a list pointer can carry (29 bits). */
#define CAPN_MAX_LIST_COUNT ((1u << 29) - 1u)

static void build_fail(struct capn_builder *b, int err)
{
	if (b && b->err == CAPN_OK)
		b->err = err;
}

int capn_builder_add_arena(struct capn_builder *b, void *arena, size_t bytes)
{
	if (!arena || bytes < 8) {
		build_fail(b, CAPN_ERR_ARGUMENT);
		return CAPN_ERR_ARGUMENT;
	}
	if (b->nsegs >= CAPN_MAX_SEGMENTS) {
		build_fail(b, CAPN_ERR_SEGMENT_COUNT);
		return CAPN_ERR_SEGMENT_COUNT;
	}
	size_t words = bytes / 8u;
	if (words > CAPN_MAX_SEGMENT_WORDS)
		words = CAPN_MAX_SEGMENT_WORDS;
	struct capn_bseg *s = &b->segs[b->nsegs++];
	s->data = arena;
	s->cap_words = (uint32_t)words;
	s->used_words = 0;
	return CAPN_OK;
}

void capn_builder_reset(struct capn_builder *b)
{
	for (uint32_t i = 0; i < b->nsegs; i++)
		b->segs[i].used_words = 0;
	if (b->header)
		b->err = CAPN_OK;
}

int capn_builder_init(struct capn_builder *b, void *arena, size_t bytes)
{
	b->nsegs = 0;
	b->err = CAPN_OK;
	b->header = NULL;
	if (!arena || bytes < 16) {
		b->err = CAPN_ERR_ARGUMENT;
		return b->err;
	}
	b->header = arena;
	return capn_builder_add_arena(b, (uint8_t *)arena + 8, bytes - 8);
}

/* ------------------------------------------------------------------ placement */

static bool seg_has_room(const struct capn_bseg *s, uint64_t words)
{
	return (uint64_t)s->cap_words - s->used_words >= words;
}

static uint32_t seg_take(struct capn_bseg *s, uint32_t words)
{
	uint32_t index = s->used_words;
	s->used_words += words;
	__builtin_memset(s->data + (size_t)index * 8u, 0, (size_t)words * 8u);
	return index;
}

static void put_word(struct capn_builder *b, uint16_t seg, uint32_t index, uint64_t w)
{
	capn__store64(b->segs[seg].data + (size_t)index * 8u, w);
}

static uint64_t far_ptr(uint16_t seg, uint32_t index, bool double_far)
{
	return CAPN_PTR_FAR | (double_far ? 4u : 0u) | ((uint64_t)index << 3) | ((uint64_t)seg << 32);
}

/* Allocate `words` for an object referred to by the pointer at word `slot`
 * of segment `src`, and write that pointer: `tag` is the pointer with a zero
 * offset. On success the object's place is returned through seg/index. */
static int place(struct capn_builder *b, uint16_t src, uint32_t slot, uint64_t tag,
                 uint32_t words, uint16_t *seg, uint32_t *index)
{
	if (b->err)
		return b->err;
	if (seg_has_room(&b->segs[src], words)) {
		uint32_t at = seg_take(&b->segs[src], words);
		int64_t off = (int64_t)at - ((int64_t)slot + 1);
		put_word(b, src, slot, tag | (uint64_t)(((uint32_t)off << 2) & 0xfffffffcu));
		*seg = src;
		*index = at;
		return CAPN_OK;
	}
	/* Far: the object preceded by a one-word landing pad in another arena. */
	for (uint16_t k = 0; k < b->nsegs; k++) {
		if (k == src || !seg_has_room(&b->segs[k], (uint64_t)words + 1))
			continue;
		uint32_t pad = seg_take(&b->segs[k], words + 1);
		put_word(b, k, pad, tag); /* offset 0: the object follows the pad */
		put_word(b, src, slot, far_ptr(k, pad, false));
		*seg = k;
		*index = pad + 1;
		return CAPN_OK;
	}
	/* Double far: the object fills what is left of one arena, its two-word pad
	 * lives in another. */
	for (uint16_t k = 0; k < b->nsegs; k++) {
		if (k == src || !seg_has_room(&b->segs[k], words))
			continue;
		for (uint16_t p = 0; p < b->nsegs; p++) {
			if (p == k || !seg_has_room(&b->segs[p], 2))
				continue;
			uint32_t at = seg_take(&b->segs[k], words);
			uint32_t pad = seg_take(&b->segs[p], 2);
			put_word(b, p, pad, far_ptr(k, at, false));
			put_word(b, p, pad + 1, tag);
			put_word(b, src, slot, far_ptr(p, pad, true));
			*seg = k;
			*index = at;
			return CAPN_OK;
		}
	}
	build_fail(b, CAPN_ERR_NO_SPACE);
	return CAPN_ERR_NO_SPACE;
}

static capn_struct_b empty_sb(struct capn_builder *b)
{
	capn_struct_b s = { .b = b };
	return s;
}

static capn_list_b empty_lb(struct capn_builder *b)
{
	capn_list_b l = { .b = b };
	return l;
}

/* The word index (in its segment) of pointer i of s, or false if s has no
 * such pointer. */
static bool slot_of(capn_struct_b s, uint16_t i, uint32_t *slot)
{
	if (!s.b || !s.ptrs || i >= s.ptr_count) {
		if (s.b && s.ptrs)
			build_fail(s.b, CAPN_ERR_ARGUMENT);
		return false;
	}
	*slot = (uint32_t)((size_t)(s.ptrs - s.b->segs[s.seg].data) / 8u) + i;
	return true;
}

static capn_struct_b struct_at(struct capn_builder *b, uint16_t seg, uint32_t index,
                               uint16_t data_words, uint16_t ptr_count)
{
	uint8_t *base = b->segs[seg].data + (size_t)index * 8u;
	capn_struct_b s = {
		.b = b,
		.data = base,
		.ptrs = base + (size_t)data_words * 8u,
		.data_bytes = (uint32_t)data_words * 8u,
		.ptr_count = ptr_count,
		.seg = seg,
	};
	return s;
}

static uint64_t struct_tag(uint16_t data_words, uint16_t ptr_count)
{
	return CAPN_PTR_STRUCT | ((uint64_t)data_words << 32) | ((uint64_t)ptr_count << 48);
}

capn_struct_b capn_builder_root(struct capn_builder *b, uint16_t data_words, uint16_t ptr_count)
{
	if (b->nsegs == 0 || b->err)
		return empty_sb(b);
	if (b->segs[0].used_words == 0) {
		if (!seg_has_room(&b->segs[0], 1)) {
			build_fail(b, CAPN_ERR_NO_SPACE);
			return empty_sb(b);
		}
		seg_take(&b->segs[0], 1); /* the root pointer */
	}
	uint16_t seg;
	uint32_t index;
	if (place(b, 0, 0, struct_tag(data_words, ptr_count), (uint32_t)data_words + ptr_count,
	          &seg, &index))
		return empty_sb(b);
	return struct_at(b, seg, index, data_words, ptr_count);
}

capn_struct_b capn_init_struct(capn_struct_b s, uint16_t i, uint16_t data_words,
                               uint16_t ptr_count)
{
	uint32_t slot;
	uint16_t seg;
	uint32_t index;
	if (!slot_of(s, i, &slot) ||
	    place(s.b, s.seg, slot, struct_tag(data_words, ptr_count),
	          (uint32_t)data_words + ptr_count, &seg, &index))
		return empty_sb(s.b);
	return struct_at(s.b, seg, index, data_words, ptr_count);
}

capn_list_b capn_init_list(capn_struct_b s, uint16_t i, enum capn_elem_size size, uint32_t count)
{
	uint32_t slot;
	uint16_t seg;
	uint32_t index;
	if (size == CAPN_SZ_COMPOSITE || (unsigned)size > CAPN_SZ_COMPOSITE) {
		build_fail(s.b, CAPN_ERR_ARGUMENT);
		return empty_lb(s.b);
	}
	if (count > CAPN_MAX_LIST_COUNT) {
		build_fail(s.b, CAPN_ERR_TOO_BIG);
		return empty_lb(s.b);
	}
	uint32_t bits = capn__elem_bits(size);
	uint32_t words = (uint32_t)(((uint64_t)count * bits + 63u) / 64u);
	uint64_t tag = CAPN_PTR_LIST | ((uint64_t)size << 32) | ((uint64_t)count << 35);
	if (!slot_of(s, i, &slot) || place(s.b, s.seg, slot, tag, words, &seg, &index))
		return empty_lb(s.b);
	capn_list_b l = {
		.b = s.b,
		.data = s.b->segs[seg].data + (size_t)index * 8u,
		.count = count,
		.step_bits = bits,
		.elem_data_bits = size == CAPN_SZ_POINTER ? 0 : bits,
		.elem_ptr_count = size == CAPN_SZ_POINTER ? 1 : 0,
		.elem_size = (uint8_t)size,
		.seg = seg,
	};
	return l;
}

capn_list_b capn_init_struct_list(capn_struct_b s, uint16_t i, uint32_t count,
                                  uint16_t data_words, uint16_t ptr_count)
{
	uint32_t slot;
	uint16_t seg;
	uint32_t index;
	uint64_t per = (uint64_t)data_words + ptr_count;
	uint64_t words = per * count;
	if (words > CAPN_MAX_LIST_COUNT || count > CAPN_MAX_LIST_COUNT ||
	    words + 1 > CAPN_MAX_SEGMENT_WORDS) {
		build_fail(s.b, CAPN_ERR_TOO_BIG);
		return empty_lb(s.b);
	}
	uint64_t tag = CAPN_PTR_LIST | ((uint64_t)CAPN_SZ_COMPOSITE << 32) | (words << 35);
	if (!slot_of(s, i, &slot) ||
	    place(s.b, s.seg, slot, tag, (uint32_t)words + 1, &seg, &index))
		return empty_lb(s.b);
	/* The tag word: shaped like a struct pointer whose offset is the count. */
	put_word(s.b, seg, index, struct_tag(data_words, ptr_count) | ((uint64_t)count << 2));
	capn_list_b l = {
		.b = s.b,
		.data = s.b->segs[seg].data + ((size_t)index + 1) * 8u,
		.count = count,
		.step_bits = (uint32_t)per * 64u,
		.elem_data_bits = (uint32_t)data_words * 64u,
		.elem_ptr_count = ptr_count,
		.elem_size = CAPN_SZ_COMPOSITE,
		.seg = seg,
	};
	return l;
}

static int set_bytes(capn_struct_b s, uint16_t i, const void *ptr, size_t len, size_t extra)
{
	if (len > CAPN_MAX_LIST_COUNT - extra) {
		build_fail(s.b, CAPN_ERR_TOO_BIG);
		return CAPN_ERR_TOO_BIG;
	}
	capn_list_b l = capn_init_list(s, i, CAPN_SZ_BYTE, (uint32_t)(len + extra));
	if (!l.data)
		return s.b ? (s.b->err ? s.b->err : CAPN_ERR_ARGUMENT) : CAPN_ERR_ARGUMENT;
	if (len)
		__builtin_memcpy(l.data, ptr, len);
	return CAPN_OK; /* the NUL of text is already there: allocations are zeroed */
}

int capn_set_text(capn_struct_b s, uint16_t i, const char *str, size_t len)
{
	return set_bytes(s, i, str, len, 1);
}

int capn_set_data(capn_struct_b s, uint16_t i, const void *ptr, size_t len)
{
	return set_bytes(s, i, ptr, len, 0);
}

int capn_set_cap(capn_struct_b s, uint16_t i, uint32_t cap_index)
{
	uint32_t slot;
	if (!slot_of(s, i, &slot))
		return CAPN_ERR_ARGUMENT;
	uint64_t w = cap_index == CAPN_NULL_CAP ? 0 : (CAPN_PTR_OTHER | ((uint64_t)cap_index << 32));
	put_word(s.b, s.seg, slot, w);
	return CAPN_OK;
}

void capn_clear_ptr(capn_struct_b s, uint16_t i)
{
	uint32_t slot;
	if (slot_of(s, i, &slot))
		put_word(s.b, s.seg, slot, 0);
}

/* ------------------------------------------------------------------ list elements */

static bool elem_ok(capn_list_b l, uint32_t i)
{
	if (l.data && i < l.count)
		return true;
	build_fail(l.b, CAPN_ERR_INDEX);
	return false;
}

capn_struct_b capn_list_struct_at(capn_list_b l, uint32_t i)
{
	if (!elem_ok(l, i) || l.elem_size != CAPN_SZ_COMPOSITE)
		return empty_sb(l.b);
	uint8_t *base = l.data + (size_t)i * (l.step_bits / 8u);
	capn_struct_b s = {
		.b = l.b,
		.data = base,
		.ptrs = base + l.elem_data_bits / 8u,
		.data_bytes = l.elem_data_bits / 8u,
		.ptr_count = l.elem_ptr_count,
		.seg = l.seg,
	};
	return s;
}

capn_struct_b capn_list_ptr_elem(capn_list_b l, uint32_t i)
{
	if (!elem_ok(l, i) || l.elem_size != CAPN_SZ_POINTER)
		return empty_sb(l.b);
	capn_struct_b s = { .b = l.b, .data = l.data + (size_t)i * 8u,
	                    .ptrs = l.data + (size_t)i * 8u, .ptr_count = 1, .seg = l.seg };
	return s;
}

void capn_list_set_bool(capn_list_b l, uint32_t i, bool v)
{
	if (!elem_ok(l, i) || l.elem_size != CAPN_SZ_BIT)
		return;
	uint8_t mask = (uint8_t)(1u << (i % 8));
	l.data[i / 8] = v ? (uint8_t)(l.data[i / 8] | mask) : (uint8_t)(l.data[i / 8] & ~mask);
}

/* Store the low `bytes` bytes of v into element i of a primitive list of
 * exactly that element size. */
static void list_store(capn_list_b l, uint32_t i, uint64_t v, unsigned bytes)
{
	if (!elem_ok(l, i) || l.step_bits != bytes * 8u || l.elem_ptr_count != 0) {
		build_fail(l.b, CAPN_ERR_ELEMENT_SIZE);
		return;
	}
	__builtin_memcpy(l.data + (size_t)i * bytes, &v, bytes);
}

void capn_list_set_u8(capn_list_b l, uint32_t i, uint8_t v) { list_store(l, i, v, 1); }
void capn_list_set_u16(capn_list_b l, uint32_t i, uint16_t v) { list_store(l, i, v, 2); }
void capn_list_set_u32(capn_list_b l, uint32_t i, uint32_t v) { list_store(l, i, v, 4); }
void capn_list_set_u64(capn_list_b l, uint32_t i, uint64_t v) { list_store(l, i, v, 8); }

/* ------------------------------------------------------------------ deep copy */

static int copy_fail(capn_struct_b dst, struct capn_reader *m, int err)
{
	capn__fail(m, err);
	build_fail(dst.b, err);
	return err;
}

static int copy_struct_body(capn_struct_b d, capn_struct_r s)
{
	if (d.data_bytes && s.data_bytes)
		__builtin_memcpy(d.data, s.data, s.data_bytes < d.data_bytes ? s.data_bytes : d.data_bytes);
	for (uint16_t p = 0; p < s.ptr_count && p < d.ptr_count; p++) {
		int err = capn_copy_ptr(d, p, s, p);
		if (err)
			return err;
	}
	return CAPN_OK;
}

static int copy_list(capn_struct_b dst, uint16_t di, capn_struct_r src, uint16_t si)
{
	capn_list_r l = capn_get_list(src, si, CAPN_LIST_VOID, NULL);
	if (src.msg && src.msg->err)
		return copy_fail(dst, src.msg, src.msg->err);
	if (l.elem_size == CAPN_SZ_COMPOSITE) {
		uint16_t dw = (uint16_t)(l.elem_data_bits / 64u);
		capn_list_b d = capn_init_struct_list(dst, di, l.count, dw, l.elem_ptr_count);
		if (dst.b->err)
			return dst.b->err;
		for (uint32_t i = 0; i < l.count; i++) {
			int err = copy_struct_body(capn_list_struct_at(d, i), capn_list_get_struct(l, i));
			if (err)
				return err;
		}
		return CAPN_OK;
	}
	capn_list_b d = capn_init_list(dst, di, l.elem_size, l.count);
	if (dst.b->err)
		return dst.b->err;
	if (l.elem_size == CAPN_SZ_POINTER) {
		for (uint32_t i = 0; i < l.count; i++) {
			int err = capn_copy_ptr(capn_list_ptr_elem(d, i), 0, capn_list_get_struct(l, i), 0);
			if (err)
				return err;
		}
		return CAPN_OK;
	}
	size_t bytes = ((size_t)l.count * l.step_bits + 7u) / 8u;
	if (bytes)
		__builtin_memcpy(d.data, l.data, bytes);
	return CAPN_OK;
}

int capn_copy_ptr(capn_struct_b dst, uint16_t di, capn_struct_r src, uint16_t si)
{
	if (!dst.b)
		return CAPN_ERR_ARGUMENT;
	if (dst.b->err)
		return dst.b->err;
	if (si >= src.ptr_count) {
		capn_clear_ptr(dst, di);
		return CAPN_OK;
	}
	uint32_t slot = (uint32_t)((size_t)(src.ptrs - src.seg->data) / 8u) + si;
	struct capn__target t;
	int err = capn__resolve(src.msg, src.seg, slot, &t);
	if (err)
		return copy_fail(dst, src.msg, err);
	if (t.tag == 0) {
		capn_clear_ptr(dst, di);
		return CAPN_OK;
	}
	switch (t.tag & 3) {
	case CAPN_PTR_STRUCT: {
		capn_struct_r s = capn_get_struct(src, si, NULL);
		if (src.msg && src.msg->err)
			return copy_fail(dst, src.msg, src.msg->err);
		capn_struct_b d = capn_init_struct(dst, di, (uint16_t)(s.data_bytes / 8u), s.ptr_count);
		if (dst.b->err)
			return dst.b->err;
		return copy_struct_body(d, s);
	}
	case CAPN_PTR_LIST:
		return copy_list(dst, di, src, si);
	default: {
		uint32_t cap = capn_get_cap(src, si);
		if (src.msg && src.msg->err)
			return copy_fail(dst, src.msg, src.msg->err);
		return capn_set_cap(dst, di, cap);
	}
	}
}

/* ------------------------------------------------------------------ output */

/* Segments that end up in the message: trailing arenas never used are left out. */
static uint32_t out_segments(const struct capn_builder *b)
{
	uint32_t n = b->nsegs;
	while (n > 1 && b->segs[n - 1].used_words == 0)
		n--;
	return n;
}

size_t capn_builder_framed_size(const struct capn_builder *b)
{
	uint32_t n = out_segments(b);
	size_t size = ((4u + 4u * (size_t)n) + 7u) & ~(size_t)7u;
	for (uint32_t i = 0; i < n; i++)
		size += (size_t)b->segs[i].used_words * 8u;
	return size;
}

int capn_builder_write_framed(const struct capn_builder *b, void *out, size_t cap, size_t *len)
{
	if (b->err)
		return b->err;
	if (b->nsegs == 0)
		return CAPN_ERR_ARGUMENT;
	uint32_t n = out_segments(b);
	size_t need = capn_builder_framed_size(b);
	if (!out || cap < need)
		return CAPN_ERR_NO_SPACE;
	uint8_t *p = out;
	size_t header = ((4u + 4u * (size_t)n) + 7u) & ~(size_t)7u;
	__builtin_memset(p, 0, header);
	uint32_t count = n - 1;
	__builtin_memcpy(p, &count, 4);
	for (uint32_t i = 0; i < n; i++)
		__builtin_memcpy(p + 4 + 4 * (size_t)i, &b->segs[i].used_words, 4);
	p += header;
	for (uint32_t i = 0; i < n; i++) {
		size_t bytes = (size_t)b->segs[i].used_words * 8u;
		__builtin_memmove(p, b->segs[i].data, bytes);
		p += bytes;
	}
	if (len)
		*len = need;
	return CAPN_OK;
}

int capn_builder_finish(struct capn_builder *b, const void **framed, size_t *len)
{
	if (b->err)
		return b->err;
	if (b->nsegs == 0 || !b->header)
		return CAPN_ERR_ARGUMENT;
	if (out_segments(b) != 1)
		return CAPN_ERR_SEGMENT_COUNT;
	uint32_t words = b->segs[0].used_words;
	uint32_t zero = 0;
	__builtin_memcpy(b->header, &zero, 4);
	__builtin_memcpy(b->header + 4, &words, 4);
	*framed = b->header;
	*len = 8u + (size_t)words * 8u;
	return CAPN_OK;
}

int capn_builder_as_reader(const struct capn_builder *b, struct capn_reader *r)
{
	const void *segs[CAPN_MAX_SEGMENTS];
	uint32_t words[CAPN_MAX_SEGMENTS];
	uint32_t n = out_segments(b);
	if (b->err)
		return b->err;
	for (uint32_t i = 0; i < n; i++) {
		segs[i] = b->segs[i].data;
		words[i] = b->segs[i].used_words;
	}
	return capn_reader_init_segments(r, segs, words, n, NULL);
}
