/*
 * capn_internal.h - wire-format constants and the pointer resolver shared by
 * the reader (capn_read.c) and the builder (capn_build.c). Not installed;
 * users see capn.h only.
 */
#ifndef CAPN_INTERNAL_H
#define CAPN_INTERNAL_H

#include "capn.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "capn: little-endian hosts only");

/* Pointer kinds: the low two bits of a pointer word. */
enum {
	CAPN_PTR_STRUCT = 0,
	CAPN_PTR_LIST = 1,
	CAPN_PTR_FAR = 2,
	CAPN_PTR_OTHER = 3, /* with bits 2..31 zero: a capability */
};

static inline void capn__store64(uint8_t *p, uint64_t v) { __builtin_memcpy(p, &v, 8); }

/* Bits 2..31 of a struct or list pointer: the signed offset, in words, from
 * the end of the pointer to the start of its target. */
static inline int32_t capn__ptr_offset(uint64_t w) { return (int32_t)(uint32_t)w >> 2; }

/* A pointer followed through any far pointer and landing pad: `tag` is the
 * word describing the target (a struct, list or capability pointer) and the
 * target starts at word `index` of segment `seg` (index may be out of range;
 * the caller checks it together with the target's size). */
struct capn__target {
	uint64_t tag;
	const struct capn_segment *seg;
	int64_t index;
};

/* Resolve the pointer stored at word `slot` of `seg`. Returns CAPN_OK, or an
 * error for a malformed far pointer or landing pad. A null pointer resolves
 * to tag 0. msg may be NULL (a trusted constant), in which case far pointers
 * are refused. */
int capn__resolve(const struct capn_reader *msg, const struct capn_segment *seg,
                  uint32_t slot, struct capn__target *out);

/* Bits per element of a non-composite list element size (0 for void and
 * composite, which callers handle separately). */
uint32_t capn__elem_bits(unsigned size);

/* Record the first error in a reader (NULL: a constant, errors ignored). */
static inline void capn__fail(struct capn_reader *m, int err)
{
	if (m && m->err == CAPN_OK)
		m->err = err;
}

#endif /* CAPN_INTERNAL_H */
