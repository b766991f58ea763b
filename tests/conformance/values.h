/*
 * values.h - the values every conformance test message carries, shared by
 * the C side (conf_c.c, generated accessors) and the reference side (ref.c++,
 * libcapnp), so that both build and check exactly the same thing. The text
 * forms in tests/conformance/text/ spell the same values for `capnp encode`.
 *
 * Plain C99, also valid C++.
 */
#ifndef CONFORMANCE_VALUES_H
#define CONFORMANCE_VALUES_H

#include <stdint.h>

/* ---------------------------------------------------------------- scalars */
#define SC_B 1
#define SC_I8 INT8_MIN
#define SC_I16 INT16_MIN
#define SC_I32 INT32_MIN
#define SC_I64 INT64_MIN
#define SC_U8 UINT8_MAX
#define SC_U16 UINT16_MAX
#define SC_U32 UINT32_MAX
#define SC_U64 UINT64_MAX
#define SC_F32 0.15625f
#define SC_F64 (-1234.5678)
#define SC_E 3 /* ultraviolet */
/* f32b is +infinity, f64b a quiet NaN (checked by class, not value). */
#define SC_I32B INT32_MAX
#define SC_I64B INT64_MAX

/* ---------------------------------------------------------------- bools */
static const int BOOLS_BITS[12] = { 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1 };
#define BOOLS_MID 0xa5a5u

/* ---------------------------------------------------------------- defaults */
/* The schema defaults (Defaults struct), as read from an unset message. */
#define DEF_B 1
#define DEF_I8 (-5)
#define DEF_I16 (-1234)
#define DEF_I32 123456
#define DEF_I64 (-9876543210LL)
#define DEF_U8 200
#define DEF_U16 60000
#define DEF_U32 4000000000u
#define DEF_U64 0x123456789abcdef0ull
#define DEF_F32 1.5f
#define DEF_F64 (-2.75)
#define DEF_E 2 /* blue */
#define DEF_T "default text"
static const uint8_t DEF_D[4] = { 0xde, 0xad, 0xbe, 0xef };
#define DEF_S_X 7
#define DEF_S_NAME "inner default"
static const int32_t DEF_L[3] = { 1, -2, 3 };
static const char *const DEF_TL[2] = { "a", "bc" };
static const int32_t DEF_SL_X[2] = { 1, 2 };
static const char *const DEF_SL_NAME[2] = { "one", "" };

/* The values "defaults-set" writes: zeros (which must not read back as the
 * non-zero defaults) and empty-but-set pointers. */
#define SET_B 0
#define SET_I8 0
#define SET_I16 1234
#define SET_I32 0
#define SET_I64 9876543210LL
#define SET_U8 0
#define SET_U16 1
#define SET_U32 0
#define SET_U64 0
#define SET_F32 0.0f
#define SET_F64 2.75
#define SET_E 0 /* red */
#define SET_T ""
/* d: set, zero bytes */
#define SET_S_X 0
/* s.name: not set, reads "" */
/* l: set, zero elements */
static const char *const SET_TL[1] = { "z" };
#define SET_SL_X (-1)
#define SET_SL_NAME "neg"

/* ---------------------------------------------------------------- pointers */
#define PTR_TEXT "Hello, capOS! \xc3\xbc\xc3\xb1\xc3\xaf\xc3\xa7\xc3\xb6" "d\xc3\xa9"
#define PTR_DATA_LEN 256
#define PTR_DATA_BYTE(i) ((uint8_t)((i) ^ 0x5a))
#define PTR_INNER_X (-42)
#define PTR_INNER_NAME "inner"
#define PTR_NEST_DEPTH 5 /* levels; level i has depth i, label "level-i" */
#define PTR_EMPTY_LIST 3 /* elements of List(Empty); `empty` is set too */

/* ---------------------------------------------------------------- lists */
#define L_VOIDS 7
#define L_BOOLS 13
#define L_BOOL(i) ((i) % 3 == 0 || (i) == 12)
static const int8_t L_I8[5] = { INT8_MIN, -1, 0, 1, INT8_MAX };
static const uint8_t L_U8[4] = { 0, 1, 254, 255 };
static const int16_t L_I16[4] = { INT16_MIN, -1, 0, INT16_MAX };
static const uint16_t L_U16[3] = { 0, 1, UINT16_MAX };
static const int32_t L_I32[4] = { INT32_MIN, -1, 0, INT32_MAX };
static const uint32_t L_U32[3] = { 0, 1, UINT32_MAX };
static const float L_F32[3] = { 0.5f, -2.25f, 1e10f };
static const int64_t L_I64[4] = { INT64_MIN, -1, 0, INT64_MAX };
static const uint64_t L_U64[3] = { 0, 1, UINT64_MAX };
static const double L_F64[3] = { 0.1, -1e300, 2.5 };
static const uint16_t L_ENUMS[4] = { 0, 2, 3, 1 };
static const char *const L_TEXTS[3] = { "one", "", "three" };
static const uint8_t L_DATA0[3] = { 1, 2, 3 };
static const uint8_t L_DATA2[1] = { 0xff };
/* datas: { L_DATA0, empty, L_DATA2 } */
static const int32_t L_STRUCT_X[3] = { 1, -2, 3 };
static const char *const L_STRUCT_NAME[3] = { "a", "bb", 0 /* unset */ };
/* lists: [[1, 2, 3], [], [-7]] */
static const int32_t L_LISTS0[3] = { 1, 2, 3 };
#define L_LISTS2 (-7)
/* textLists: [["x", "y"], [], ["z"]] */
/* structLists: [[(10, "p")], [(20, "q"), (30, "r")]] */
static const int32_t L_SL_X[3] = { 10, 20, 30 };
static const char *const L_SL_NAME[3] = { "p", "q", "r" };
/* empty: set, zero elements */

/* ---------------------------------------------------------------- unions */
#define U_COUNT 5
/* item 0: none; shape.circle 1.5; point (1, 2, "p0"); after 100; g2.a 7, c true
 * item 1: num -99; shape.square 4; point (0, 0, unset); after 101; g2.b "gb", c false
 * item 2: str "union text"; shape.label "lbl"; point (-5, 5, "p2"); after 102; g2.a 0, c true
 * item 3: inner (77, "in u"); shape.square 65535; point (0, 0); after 103; g2.b "", c false
 * item 4: num 0; shape.label ""; point (0, 0); after 104; g2.a 255, c false */
#define U_NUM1 (-99)
#define U_STR2 "union text"
#define U_INNER3_X 77
#define U_INNER3_NAME "in u"
#define U_CIRCLE0 1.5

/* ---------------------------------------------------------------- far (Big) */
#define BIG_BLOBS 10
#define BIG_BLOB_LEN(i) (100 + (i))
#define BIG_BLOB_BYTE(i, j) ((uint8_t)((i) * 7 + (j)))
#define BIG_ITEMS 50
#define BIG_ITEM_X(i) ((int32_t)((i) * (i)) - 1000)
#define BIG_TAIL "the end"
#define BIG_NUMBERS 100
#define BIG_NUMBER(i) ((uint64_t)(i) * 0x0101010101010101ull)
#define BIG_ADOPTED_LEN 200
#define BIG_ADOPTED_BYTE(j) ((uint8_t)((j) * 3))
#define BIG_CHILD_TAIL "child tail"
/* child.numbers: [1, 2, 3] */

/* ---------------------------------------------------------------- caps */
/* Indices into the side table. The reference assigns them in the order it
 * sets the fields: second, list[0], list[3], first, list[1], again. */
#define CAP_FIRST 3u
#define CAP_SECOND 0u
#define CAP_LIST_LEN 4
static const uint32_t CAP_LIST[4] = { 1u, 4u, 0xffffffffu /* null */, 2u };
#define CAP_AGAIN 5u
#define CAP_TABLE_SIZE 6
#define CAP_N 42u

/* ---------------------------------------------------------------- upgrade */
/* old: things [(1, "t1"), (2, "t2")], one (3, "one"), ids [10, 20, 30]
 * new: things [(1, "t1", b 5, extra "x", c false, sub (9, "s"), d 4),
 *              (2, "t2", all new fields default)],
 *      one (3, "one", b 6), ids [(10, "a"), (20, default note), (30, "c")],
 *      added "new" */
static const uint32_t UP_IDS[3] = { 10, 20, 30 };
#define NEW_NOTE_DEFAULT "n/a"
#define NEW_B_DEFAULT 77
#define NEW_EXTRA_DEFAULT "none"
#define NEW_C_DEFAULT 1
#define NEW_D_DEFAULT (-3)
#define NEW_ADDED_DEFAULT "added default"

#endif
