/*
 * capn.h - a freestanding Cap'n Proto wire-format runtime in C.
 *
 * Readers and builders for the encoding described at
 * https://capnproto.org/encoding.html: structs, lists (including lists of
 * structs and lists of lists), text, data, unions (via the generated
 * discriminant accessors), defaults (XOR for scalars, constant messages for
 * pointers), far and double-far pointers, multi-segment messages and
 * capability pointers (an index into a side table the caller owns).
 *
 * Constraints that shape the API:
 *  - Freestanding: only <stdint.h>, <stddef.h>, <stdbool.h>. The kernel,
 *    libcapos and host tools link the same objects.
 *  - No allocation: a reader walks the caller's buffer in place (no copy on
 *    read); a builder writes into arenas the caller provides.
 *  - Hostile input: a reader never touches memory outside the segments it was
 *    given. It enforces a traversal limit (words visited, which also defeats
 *    pointer-amplification) and a nesting limit (pointer depth).
 *  - Sticky errors: accessors return values, not codes. The first error a
 *    reader or builder meets is recorded in it (capn_reader_error,
 *    capn_builder_error) and the failing accessor returns the field's
 *    default, so a decoder reads every field it needs and checks once
 *    ("decode, then invoke"). A caller that acts on a message must check.
 *
 * Little-endian only (x86_64): loads and stores are native, done through
 * __builtin_memcpy so that alignment never matters.
 *
 * Generated accessors (schema/gen/ *.capnp.h, from tools/capnpc-c) wrap these
 * functions with field offsets and types; see docs/capnp.md.
 */
#ifndef CAPN_H
#define CAPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ errors */

enum capn_error {
	CAPN_OK = 0,
	CAPN_ERR_TRUNCATED,       /* input ends before the framing says it does */
	CAPN_ERR_SEGMENT_COUNT,   /* zero segments, or more than CAPN_MAX_SEGMENTS */
	CAPN_ERR_SEGMENT_SIZE,    /* a segment is empty or larger than the format allows */
	CAPN_ERR_OVERLAP,         /* two caller-supplied segments share memory */
	CAPN_ERR_OUT_OF_BOUNDS,   /* a pointer's target leaves its segment */
	CAPN_ERR_BAD_SEGMENT,     /* a far pointer names a segment that does not exist */
	CAPN_ERR_BAD_LANDING_PAD, /* a far pointer's landing pad is not a valid pad */
	CAPN_ERR_TRAVERSAL_LIMIT, /* the message asks us to read too many words */
	CAPN_ERR_NESTING_LIMIT,   /* pointers nest deeper than the limit */
	CAPN_ERR_POINTER_KIND,    /* e.g. a list where a struct is expected */
	CAPN_ERR_ELEMENT_SIZE,    /* a list's element size cannot be read as the expected type */
	CAPN_ERR_INDEX,           /* a list index is out of range */
	CAPN_ERR_TEXT,            /* text that is not NUL-terminated */
	CAPN_ERR_NO_SPACE,        /* a builder's arenas are full */
	CAPN_ERR_TOO_BIG,         /* a size does not fit the wire format's fields */
	CAPN_ERR_ARGUMENT,        /* the caller passed an impossible argument */
	CAPN_ERR__COUNT
};

/* A short constant description of an error code; never NULL. */
const char *capn_strerror(int err);

/* ------------------------------------------------------------------ limits */

/* Readers keep their segment table inline; messages with more segments are
 * rejected with CAPN_ERR_SEGMENT_COUNT. The reference implementation allows
 * more, but nothing in capOS builds a message with more than a handful. */
#define CAPN_MAX_SEGMENTS 32u

/* Defaults for a reader's limits, as in the reference implementation:
 * 8 Mi words (64 MiB) of traversal, 64 levels of pointer nesting. */
#define CAPN_DEFAULT_TRAVERSAL_WORDS (8u * 1024u * 1024u)
#define CAPN_DEFAULT_NESTING_LIMIT 64

/* Largest segment the framing can express is 2^32-1 words; we cap it lower so
 * that word counts times 8 never overflow 32-bit byte offsets in list math. */
#define CAPN_MAX_SEGMENT_WORDS (1u << 28)

/* The "no capability" value returned for a null capability pointer. */
#define CAPN_NULL_CAP 0xffffffffu

/* List element sizes, as encoded in a list pointer. */
enum capn_elem_size {
	CAPN_SZ_VOID = 0,
	CAPN_SZ_BIT = 1,
	CAPN_SZ_BYTE = 2,
	CAPN_SZ_2BYTES = 3,
	CAPN_SZ_4BYTES = 4,
	CAPN_SZ_8BYTES = 5,
	CAPN_SZ_POINTER = 6,
	CAPN_SZ_COMPOSITE = 7
};

/* What a reader expects a list to hold; decides which encodings it accepts
 * (the spec's compatible-upgrade rules: a list of structs may be read from a
 * list of primitives or pointers, a list of primitives from a list of
 * structs). */
enum capn_list_kind {
	CAPN_LIST_VOID,
	CAPN_LIST_BIT,
	CAPN_LIST_BYTE,
	CAPN_LIST_2BYTES,
	CAPN_LIST_4BYTES,
	CAPN_LIST_8BYTES,
	CAPN_LIST_POINTER,
	CAPN_LIST_STRUCT
};

/* ------------------------------------------------------------------ reading */

struct capn_segment {
	const uint8_t *data;
	uint32_t words;
};

struct capn_limits {
	uint64_t traversal_words;
	int nesting;
};

/* A message being read. Must not be moved or copied after init: struct and
 * list readers point back at it. */
struct capn_reader {
	struct capn_segment segs[CAPN_MAX_SEGMENTS];
	uint32_t nsegs;
	int nesting_limit;
	uint64_t traversal_left; /* words still allowed to be visited */
	int err;                 /* first error met, CAPN_OK if none */
};

/* A struct inside a message (or inside a constant default value, msg == NULL).
 * An empty reader (data_bytes == 0, ptr_count == 0) reads as all defaults. */
typedef struct capn_struct_r {
	struct capn_reader *msg;
	const struct capn_segment *seg;
	const uint8_t *data;
	const uint8_t *ptrs;
	uint32_t data_bytes;
	uint16_t ptr_count;
	int16_t nesting_left;
} capn_struct_r;

/* A list inside a message. Elements are `step_bits` apart; each is viewed as a
 * struct whose data section is `elem_data_bits` long followed by
 * `elem_ptr_count` pointers (for primitive lists, the element itself). */
typedef struct capn_list_r {
	struct capn_reader *msg;
	const struct capn_segment *seg;
	const uint8_t *data;
	uint32_t count;
	uint32_t step_bits;
	uint32_t elem_data_bits;
	uint16_t elem_ptr_count;
	uint8_t elem_size; /* enum capn_elem_size as encoded */
	int16_t nesting_left;
} capn_list_r;

/* Text: `str` is NUL-terminated, `len` excludes the NUL. Never NULL: a null
 * pointer reads as the field's default ("" unless the schema says otherwise). */
typedef struct capn_text {
	const char *str;
	uint32_t len;
} capn_text;

typedef struct capn_data {
	const uint8_t *ptr;
	uint32_t len;
} capn_data;

/* Parse the standard stream framing (segment count, sizes, segments) at the
 * start of buf[0..len). On success *consumed (if not NULL) is the framed
 * size. limits may be NULL for the defaults. */
int capn_reader_init_framed(struct capn_reader *r, const void *buf, size_t len,
                            const struct capn_limits *limits, size_t *consumed);

/* Read a message already split into segments (e.g. by a transport). The
 * segments must not overlap. */
int capn_reader_init_segments(struct capn_reader *r, const void *const *segs,
                              const uint32_t *words, uint32_t nsegs,
                              const struct capn_limits *limits);

static inline int capn_reader_error(const struct capn_reader *r) { return r->err; }

/* The root struct. Errors are recorded in r. */
capn_struct_r capn_reader_root(struct capn_reader *r);

/* Pointer fields. Each records an error in the message and returns the
 * default when the pointer is malformed or of the wrong kind. */
capn_struct_r capn_get_struct(capn_struct_r s, uint16_t ptr_index,
                              const struct capn_segment *def);
capn_list_r capn_get_list(capn_struct_r s, uint16_t ptr_index,
                          enum capn_list_kind kind, const struct capn_segment *def);
capn_text capn_get_text(capn_struct_r s, uint16_t ptr_index, const char *def,
                        uint32_t def_len);
capn_data capn_get_data(capn_struct_r s, uint16_t ptr_index, const void *def,
                        uint32_t def_len);
/* The capability index a capability pointer holds, or CAPN_NULL_CAP. */
uint32_t capn_get_cap(capn_struct_r s, uint16_t ptr_index);
/* True when the pointer is not null (whatever it points to). */
bool capn_has_ptr(capn_struct_r s, uint16_t ptr_index);

/* List elements. An out-of-range index records CAPN_ERR_INDEX and returns the
 * zero value. */
capn_struct_r capn_list_get_struct(capn_list_r l, uint32_t i);
capn_list_r capn_list_get_list(capn_list_r l, uint32_t i, enum capn_list_kind kind);
capn_text capn_list_get_text(capn_list_r l, uint32_t i);
capn_data capn_list_get_data(capn_list_r l, uint32_t i);
uint32_t capn_list_get_cap(capn_list_r l, uint32_t i);
bool capn_list_get_bool(capn_list_r l, uint32_t i);
uint8_t capn_list_get_u8(capn_list_r l, uint32_t i);
uint16_t capn_list_get_u16(capn_list_r l, uint32_t i);
uint32_t capn_list_get_u32(capn_list_r l, uint32_t i);
uint64_t capn_list_get_u64(capn_list_r l, uint32_t i);

static inline uint32_t capn_list_len(capn_list_r l) { return l.count; }

/* The struct reader over a constant default value (a single segment built by
 * the generator). Constants are trusted: no traversal accounting. */
capn_struct_r capn_default_struct(const struct capn_segment *def);

/* Scalar fields: `off` is the byte offset (bit offset for bools) of the field
 * in the data section, `def` the schema default, which the wire stores XORed.
 * Fields past the end of an older, shorter struct read as their default. */
static inline uint16_t capn__load16(const uint8_t *p) { uint16_t v; __builtin_memcpy(&v, p, 2); return v; }
static inline uint32_t capn__load32(const uint8_t *p) { uint32_t v; __builtin_memcpy(&v, p, 4); return v; }
static inline uint64_t capn__load64(const uint8_t *p) { uint64_t v; __builtin_memcpy(&v, p, 8); return v; }

static inline bool capn_get_bool(capn_struct_r s, uint32_t bit, bool def)
{
	if (bit / 8 >= s.data_bytes)
		return def;
	return (bool)(((s.data[bit / 8] >> (bit % 8)) & 1u) ^ (def ? 1u : 0u));
}
static inline uint8_t capn_get_u8(capn_struct_r s, uint32_t off, uint8_t def)
{
	return off + 1 <= s.data_bytes ? (uint8_t)(s.data[off] ^ def) : def;
}
static inline uint16_t capn_get_u16(capn_struct_r s, uint32_t off, uint16_t def)
{
	return off + 2 <= s.data_bytes ? (uint16_t)(capn__load16(s.data + off) ^ def) : def;
}
static inline uint32_t capn_get_u32(capn_struct_r s, uint32_t off, uint32_t def)
{
	return off + 4 <= s.data_bytes ? capn__load32(s.data + off) ^ def : def;
}
static inline uint64_t capn_get_u64(capn_struct_r s, uint32_t off, uint64_t def)
{
	return off + 8 <= s.data_bytes ? capn__load64(s.data + off) ^ def : def;
}
/* Floats travel as their bit patterns; defaults are XORed bitwise too. */
static inline float capn_bits_to_f32(uint32_t v) { float f; __builtin_memcpy(&f, &v, 4); return f; }
static inline double capn_bits_to_f64(uint64_t v) { double d; __builtin_memcpy(&d, &v, 8); return d; }
static inline uint32_t capn_f32_to_bits(float f) { uint32_t v; __builtin_memcpy(&v, &f, 4); return v; }
static inline uint64_t capn_f64_to_bits(double d) { uint64_t v; __builtin_memcpy(&v, &d, 8); return v; }

/* ------------------------------------------------------------------ building */

struct capn_bseg {
	uint8_t *data;
	uint32_t cap_words;  /* capacity */
	uint32_t used_words; /* allocated so far (objects are zeroed when allocated) */
};

/* A message being built into caller-provided arenas. Objects go into the
 * segment of the pointer that refers to them when they fit, else into the
 * next arena with room, reached by a far pointer. Must not be moved after
 * init. */
struct capn_builder {
	struct capn_bseg segs[CAPN_MAX_SEGMENTS];
	uint32_t nsegs;      /* arenas added */
	int err;             /* first error met */
	uint8_t *header;     /* 8 bytes reserved before segment 0, see capn_builder_finish */
};

typedef struct capn_struct_b {
	struct capn_builder *b;
	uint8_t *data;
	uint8_t *ptrs;
	uint32_t data_bytes;
	uint16_t ptr_count;
	uint16_t seg;
} capn_struct_b;

typedef struct capn_list_b {
	struct capn_builder *b;
	uint8_t *data;
	uint32_t count;
	uint32_t step_bits;
	uint32_t elem_data_bits;
	uint16_t elem_ptr_count;
	uint8_t elem_size;
	uint16_t seg;
} capn_list_b;

/* Start a message in `arena` (at least 16 bytes). The first 8 bytes are kept
 * for the single-segment framing header, so that capn_builder_finish can hand
 * out the framed message without copying. */
int capn_builder_init(struct capn_builder *b, void *arena, size_t bytes);
/* Forget everything built so far (and any error), keeping the arenas. */
void capn_builder_reset(struct capn_builder *b);
/* Give the builder another arena, used once earlier ones are full. */
int capn_builder_add_arena(struct capn_builder *b, void *arena, size_t bytes);
static inline int capn_builder_error(const struct capn_builder *b) { return b->err; }

/* Allocate the root struct. */
capn_struct_b capn_builder_root(struct capn_builder *b, uint16_t data_words, uint16_t ptr_count);

/* Pointer fields. Each returns an empty builder (writes to it are dropped) and
 * records the error in the builder when the arenas are full. Setting a pointer
 * that is already set abandons the old object (it stays in the arena). */
capn_struct_b capn_init_struct(capn_struct_b s, uint16_t ptr_index, uint16_t data_words,
                               uint16_t ptr_count);
capn_list_b capn_init_list(capn_struct_b s, uint16_t ptr_index, enum capn_elem_size size,
                           uint32_t count);
capn_list_b capn_init_struct_list(capn_struct_b s, uint16_t ptr_index, uint32_t count,
                                  uint16_t data_words, uint16_t ptr_count);
int capn_set_text(capn_struct_b s, uint16_t ptr_index, const char *str, size_t len);
int capn_set_data(capn_struct_b s, uint16_t ptr_index, const void *ptr, size_t len);
int capn_set_cap(capn_struct_b s, uint16_t ptr_index, uint32_t cap_index);
void capn_clear_ptr(capn_struct_b s, uint16_t ptr_index);
/* Deep-copy whatever `src`'s pointer `src_index` refers to into `dst`'s pointer
 * `dst_index` (a struct, list, text, data or capability pointer). Errors in the
 * source are recorded in both the source reader and the builder. */
int capn_copy_ptr(capn_struct_b dst, uint16_t dst_index, capn_struct_r src, uint16_t src_index);

/* List elements of a list being built. Elements of a list of pointers are set
 * through capn_list_ptr_elem, which views element i as a struct with one
 * pointer (e.g. capn_set_text(capn_list_ptr_elem(l, i), 0, ...)). */
capn_struct_b capn_list_struct_at(capn_list_b l, uint32_t i);
capn_struct_b capn_list_ptr_elem(capn_list_b l, uint32_t i);
void capn_list_set_bool(capn_list_b l, uint32_t i, bool v);
void capn_list_set_u8(capn_list_b l, uint32_t i, uint8_t v);
void capn_list_set_u16(capn_list_b l, uint32_t i, uint16_t v);
void capn_list_set_u32(capn_list_b l, uint32_t i, uint32_t v);
void capn_list_set_u64(capn_list_b l, uint32_t i, uint64_t v);

/* Scalar fields; writes past the struct's data section are dropped (they
 * cannot happen with generated code, which knows the struct's size). */
static inline void capn_set_bool(capn_struct_b s, uint32_t bit, bool v, bool def)
{
	if (bit / 8 >= s.data_bytes)
		return;
	uint8_t mask = (uint8_t)(1u << (bit % 8));
	if (v != def)
		s.data[bit / 8] |= mask;
	else
		s.data[bit / 8] &= (uint8_t)~mask;
}
static inline void capn_set_u8(capn_struct_b s, uint32_t off, uint8_t v, uint8_t def)
{
	if (off + 1 <= s.data_bytes)
		s.data[off] = (uint8_t)(v ^ def);
}
static inline void capn_set_u16(capn_struct_b s, uint32_t off, uint16_t v, uint16_t def)
{
	uint16_t x = (uint16_t)(v ^ def);
	if (off + 2 <= s.data_bytes)
		__builtin_memcpy(s.data + off, &x, 2);
}
static inline void capn_set_u32(capn_struct_b s, uint32_t off, uint32_t v, uint32_t def)
{
	uint32_t x = v ^ def;
	if (off + 4 <= s.data_bytes)
		__builtin_memcpy(s.data + off, &x, 4);
}
static inline void capn_set_u64(capn_struct_b s, uint32_t off, uint64_t v, uint64_t def)
{
	uint64_t x = v ^ def;
	if (off + 8 <= s.data_bytes)
		__builtin_memcpy(s.data + off, &x, 8);
}

/* Size of the message in stream framing. */
size_t capn_builder_framed_size(const struct capn_builder *b);
/* Write the framed message into out[0..cap). */
int capn_builder_write_framed(const struct capn_builder *b, void *out, size_t cap, size_t *len);
/* For a single-segment message: fill in the reserved header and return the
 * framed message in place (no copy). Fails with CAPN_ERR_SEGMENT_COUNT when
 * the message spilled into a second arena; use capn_builder_write_framed. */
int capn_builder_finish(struct capn_builder *b, const void **framed, size_t *len);

/* A reader view of a message being built (single- or multi-segment), e.g. to
 * check what was built without framing it first. */
int capn_builder_as_reader(const struct capn_builder *b, struct capn_reader *r);

/* ------------------------------------------------------------------ schema metadata (used by generated tables) */

/* One method of an interface, as the schema declares it. */
struct capn_method_info {
	const char *name;  /* the schema name, e.g. "writeLine" */
	uint16_t ordinal;  /* the method ordinal (@N), what a call carries */
};

/* One interface of a schema file. tools/capnpc-c emits, per file with prefix
 * P, `const struct capn_interface_info P_interfaces[]` (P_interface_count
 * entries, in declaration order) and lookups P_interface_by_name/_by_id. */
struct capn_interface_info {
	const char *name;    /* the schema path, e.g. "Console" or "Outer.Inner" */
	uint64_t id;         /* the interface id (@0x...) */
	uint16_t method_count;
	const struct capn_method_info *methods; /* indexed by ordinal; NULL if none */
};

#endif /* CAPN_H */
