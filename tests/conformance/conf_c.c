/*
 * conf_c.c - the C side of the conformance tests: the capOS runtime
 * (schema/capnp) with the accessors tools/capnpc-c generates from
 * tests/conformance/conformance.capnp, building and checking the messages of
 * tests/conformance/values.h.
 *
 *   conf_c write CASE FILE         build CASE, write it framed to FILE
 *   conf_c read CASE FILE [ref]    read FILE (from libcapnp or `capnp encode`)
 *                                  and check every value; exit 1 on any
 *                                  mismatch. With "ref", also check framing
 *                                  properties the reference writer promises
 *                                  (several segments, a double-far pointer).
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capn.h"
#include "conformance.capnp.h"
#include "values.h"

static int failures;

static void fail(int line, const char *what)
{
	fprintf(stderr, "conf_c.c:%d: %s\n", line, what);
	failures++;
}

static void check_i(int line, const char *expr, long long got, long long want)
{
	if (got != want) {
		char buf[512];
		snprintf(buf, sizeof buf, "%s: got %lld, want %lld", expr, got, want);
		fail(line, buf);
	}
}

static void check_u(int line, const char *expr, unsigned long long got, unsigned long long want)
{
	if (got != want) {
		char buf[512];
		snprintf(buf, sizeof buf, "%s: got %llu, want %llu", expr, got, want);
		fail(line, buf);
	}
}

static void check_f(int line, const char *expr, double got, double want)
{
	if (!(got == want)) {
		char buf[512];
		snprintf(buf, sizeof buf, "%s: got %.17g, want %.17g", expr, got, want);
		fail(line, buf);
	}
}

static void check_text(int line, const char *expr, capn_text t, const char *want)
{
	size_t n = strlen(want);
	if (t.len != n || memcmp(t.str, want, n) != 0 || t.str[t.len] != '\0') {
		char buf[512];
		snprintf(buf, sizeof buf, "%s: got \"%.*s\" (%u bytes), want \"%s\"", expr,
		         (int)(t.len > 200 ? 200 : t.len), t.str, t.len, want);
		fail(line, buf);
	}
}

static void check_data(int line, const char *expr, capn_data d, const uint8_t *want, size_t n)
{
	if (d.len != n || (n && memcmp(d.ptr, want, n) != 0)) {
		char buf[512];
		snprintf(buf, sizeof buf, "%s: %u bytes, want %zu (or contents differ)", expr, d.len, n);
		fail(line, buf);
	}
}

#define CHECK(c) do { if (!(c)) fail(__LINE__, "check failed: " #c); } while (0)
#define CHECK_I(a, b) check_i(__LINE__, #a, (long long)(a), (long long)(b))
#define CHECK_U(a, b) check_u(__LINE__, #a, (unsigned long long)(a), (unsigned long long)(b))
#define CHECK_F(a, b) check_f(__LINE__, #a, (double)(a), (double)(b))
#define CHECK_TEXT(t, s) check_text(__LINE__, #t, (t), (s))
#define CHECK_DATA(d, p, n) check_data(__LINE__, #d, (d), (p), (n))

/* ------------------------------------------------------------------ scalars */

static void write_scalars(struct capn_builder *b)
{
	conformance_Scalars_b r = conformance_Scalars_new_root(b);
	conformance_Scalars_set_b(r, SC_B);
	conformance_Scalars_set_i8(r, SC_I8);
	conformance_Scalars_set_i16(r, SC_I16);
	conformance_Scalars_set_i32(r, SC_I32);
	conformance_Scalars_set_i64(r, SC_I64);
	conformance_Scalars_set_u8(r, SC_U8);
	conformance_Scalars_set_u16(r, SC_U16);
	conformance_Scalars_set_u32(r, SC_U32);
	conformance_Scalars_set_u64(r, SC_U64);
	conformance_Scalars_set_f32(r, SC_F32);
	conformance_Scalars_set_f64(r, SC_F64);
	conformance_Scalars_set_e(r, (enum conformance_Color)SC_E);
	conformance_Scalars_set_f32b(r, INFINITY);
	conformance_Scalars_set_f64b(r, NAN);
	conformance_Scalars_set_i32b(r, SC_I32B);
	conformance_Scalars_set_i64b(r, SC_I64B);
}

static void read_scalars(struct capn_reader *m, bool from_ref)
{
	conformance_Scalars_r r = conformance_Scalars_read_root(m);
	CHECK_I(conformance_Scalars_get_b(r), SC_B);
	CHECK_I(conformance_Scalars_get_i8(r), SC_I8);
	CHECK_I(conformance_Scalars_get_i16(r), SC_I16);
	CHECK_I(conformance_Scalars_get_i32(r), SC_I32);
	CHECK_I(conformance_Scalars_get_i64(r), SC_I64);
	CHECK_U(conformance_Scalars_get_u8(r), SC_U8);
	CHECK_U(conformance_Scalars_get_u16(r), SC_U16);
	CHECK_U(conformance_Scalars_get_u32(r), SC_U32);
	CHECK_U(conformance_Scalars_get_u64(r), SC_U64);
	CHECK_F(conformance_Scalars_get_f32(r), SC_F32);
	CHECK_F(conformance_Scalars_get_f64(r), SC_F64);
	CHECK_I(conformance_Scalars_get_e(r), SC_E);
	CHECK(isinf(conformance_Scalars_get_f32b(r)) && conformance_Scalars_get_f32b(r) > 0);
	CHECK(isnan(conformance_Scalars_get_f64b(r)));
	CHECK_I(conformance_Scalars_get_i32b(r), SC_I32B);
	CHECK_I(conformance_Scalars_get_i64b(r), SC_I64B);
	(void)from_ref;
}

/* ------------------------------------------------------------------ bools */

static void write_bools(struct capn_builder *b)
{
	conformance_Bools_b r = conformance_Bools_new_root(b);
	conformance_Bools_set_b0(r, BOOLS_BITS[0]);
	conformance_Bools_set_b1(r, BOOLS_BITS[1]);
	conformance_Bools_set_b2(r, BOOLS_BITS[2]);
	conformance_Bools_set_b3(r, BOOLS_BITS[3]);
	conformance_Bools_set_b4(r, BOOLS_BITS[4]);
	conformance_Bools_set_b5(r, BOOLS_BITS[5]);
	conformance_Bools_set_b6(r, BOOLS_BITS[6]);
	conformance_Bools_set_b7(r, BOOLS_BITS[7]);
	conformance_Bools_set_mid(r, BOOLS_MID);
	conformance_Bools_set_b8(r, BOOLS_BITS[8]);
	conformance_Bools_set_b9(r, BOOLS_BITS[9]);
	conformance_Bools_set_b10(r, BOOLS_BITS[10]);
	conformance_Bools_set_b11(r, BOOLS_BITS[11]);
}

static void read_bools(struct capn_reader *m, bool from_ref)
{
	conformance_Bools_r r = conformance_Bools_read_root(m);
	const bool got[12] = {
		conformance_Bools_get_b0(r), conformance_Bools_get_b1(r), conformance_Bools_get_b2(r),
		conformance_Bools_get_b3(r), conformance_Bools_get_b4(r), conformance_Bools_get_b5(r),
		conformance_Bools_get_b6(r), conformance_Bools_get_b7(r), conformance_Bools_get_b8(r),
		conformance_Bools_get_b9(r), conformance_Bools_get_b10(r), conformance_Bools_get_b11(r),
	};
	for (int i = 0; i < 12; i++)
		CHECK_I(got[i], BOOLS_BITS[i]);
	CHECK_U(conformance_Bools_get_mid(r), BOOLS_MID);
	(void)from_ref;
}

/* ------------------------------------------------------------------ defaults */

static void write_defaults_unset(struct capn_builder *b)
{
	conformance_Defaults_new_root(b);
}

static void read_defaults_unset(struct capn_reader *m, bool from_ref)
{
	conformance_Defaults_r r = conformance_Defaults_read_root(m);
	CHECK_I(conformance_Defaults_get_b(r), DEF_B);
	CHECK_I(conformance_Defaults_get_i8(r), DEF_I8);
	CHECK_I(conformance_Defaults_get_i16(r), DEF_I16);
	CHECK_I(conformance_Defaults_get_i32(r), DEF_I32);
	CHECK_I(conformance_Defaults_get_i64(r), DEF_I64);
	CHECK_U(conformance_Defaults_get_u8(r), DEF_U8);
	CHECK_U(conformance_Defaults_get_u16(r), DEF_U16);
	CHECK_U(conformance_Defaults_get_u32(r), DEF_U32);
	CHECK_U(conformance_Defaults_get_u64(r), DEF_U64);
	CHECK_F(conformance_Defaults_get_f32(r), DEF_F32);
	CHECK_F(conformance_Defaults_get_f64(r), DEF_F64);
	CHECK_I(conformance_Defaults_get_e(r), DEF_E);
	CHECK(!conformance_Defaults_has_t(r) && !conformance_Defaults_has_d(r));
	CHECK(!conformance_Defaults_has_s(r) && !conformance_Defaults_has_l(r));
	CHECK(!conformance_Defaults_has_tl(r) && !conformance_Defaults_has_sl(r));
	CHECK_TEXT(conformance_Defaults_get_t(r), DEF_T);
	CHECK_DATA(conformance_Defaults_get_d(r), DEF_D, sizeof DEF_D);
	conformance_Inner_r s = conformance_Defaults_get_s(r);
	CHECK_I(conformance_Inner_get_x(s), DEF_S_X);
	CHECK_TEXT(conformance_Inner_get_name(s), DEF_S_NAME);
	capn_list_r l = conformance_Defaults_get_l(r);
	CHECK_U(capn_list_len(l), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_I((int32_t)capn_list_get_u32(l, i), DEF_L[i]);
	capn_list_r tl = conformance_Defaults_get_tl(r);
	CHECK_U(capn_list_len(tl), 2);
	for (uint32_t i = 0; i < 2; i++)
		CHECK_TEXT(capn_list_get_text(tl, i), DEF_TL[i]);
	conformance_Inner_list_r sl = conformance_Defaults_get_sl(r);
	CHECK_U(conformance_Inner_list_len(sl), 2);
	for (uint32_t i = 0; i < 2; i++) {
		conformance_Inner_r e = conformance_Inner_list_get(sl, i);
		CHECK_I(conformance_Inner_get_x(e), DEF_SL_X[i]);
		CHECK_TEXT(conformance_Inner_get_name(e), DEF_SL_NAME[i]);
	}
	(void)from_ref;
}

static void write_defaults_set(struct capn_builder *b)
{
	conformance_Defaults_b r = conformance_Defaults_new_root(b);
	conformance_Defaults_set_b(r, SET_B);
	conformance_Defaults_set_i8(r, SET_I8);
	conformance_Defaults_set_i16(r, SET_I16);
	conformance_Defaults_set_i32(r, SET_I32);
	conformance_Defaults_set_i64(r, SET_I64);
	conformance_Defaults_set_u8(r, SET_U8);
	conformance_Defaults_set_u16(r, SET_U16);
	conformance_Defaults_set_u32(r, SET_U32);
	conformance_Defaults_set_u64(r, SET_U64);
	conformance_Defaults_set_f32(r, SET_F32);
	conformance_Defaults_set_f64(r, SET_F64);
	conformance_Defaults_set_e(r, (enum conformance_Color)SET_E);
	conformance_Defaults_set_t(r, SET_T, strlen(SET_T));
	conformance_Defaults_set_d(r, "", 0);
	conformance_Inner_set_x(conformance_Defaults_init_s(r), SET_S_X);
	conformance_Defaults_init_l(r, 0);
	capn_list_b tl = conformance_Defaults_init_tl(r, 1);
	capn_set_text(capn_list_ptr_elem(tl, 0), 0, SET_TL[0], strlen(SET_TL[0]));
	conformance_Inner_list_b sl = conformance_Defaults_init_sl(r, 1);
	conformance_Inner_b e = conformance_Inner_list_at(sl, 0);
	conformance_Inner_set_x(e, SET_SL_X);
	conformance_Inner_set_name(e, SET_SL_NAME, strlen(SET_SL_NAME));
}

static void read_defaults_set(struct capn_reader *m, bool from_ref)
{
	conformance_Defaults_r r = conformance_Defaults_read_root(m);
	CHECK_I(conformance_Defaults_get_b(r), SET_B);
	CHECK_I(conformance_Defaults_get_i8(r), SET_I8);
	CHECK_I(conformance_Defaults_get_i16(r), SET_I16);
	CHECK_I(conformance_Defaults_get_i32(r), SET_I32);
	CHECK_I(conformance_Defaults_get_i64(r), SET_I64);
	CHECK_U(conformance_Defaults_get_u8(r), SET_U8);
	CHECK_U(conformance_Defaults_get_u16(r), SET_U16);
	CHECK_U(conformance_Defaults_get_u32(r), SET_U32);
	CHECK_U(conformance_Defaults_get_u64(r), SET_U64);
	CHECK_F(conformance_Defaults_get_f32(r), SET_F32);
	CHECK(!signbit(conformance_Defaults_get_f32(r)));
	CHECK_F(conformance_Defaults_get_f64(r), SET_F64);
	CHECK_I(conformance_Defaults_get_e(r), SET_E);
	CHECK(conformance_Defaults_has_t(r) && conformance_Defaults_has_d(r));
	CHECK(conformance_Defaults_has_s(r) && conformance_Defaults_has_l(r));
	CHECK(conformance_Defaults_has_tl(r) && conformance_Defaults_has_sl(r));
	CHECK_TEXT(conformance_Defaults_get_t(r), SET_T);
	CHECK_U(conformance_Defaults_get_d(r).len, 0);
	conformance_Inner_r s = conformance_Defaults_get_s(r);
	CHECK_I(conformance_Inner_get_x(s), SET_S_X);
	CHECK(!conformance_Inner_has_name(s));
	CHECK_TEXT(conformance_Inner_get_name(s), "");
	CHECK_U(capn_list_len(conformance_Defaults_get_l(r)), 0);
	capn_list_r tl = conformance_Defaults_get_tl(r);
	CHECK_U(capn_list_len(tl), 1);
	CHECK_TEXT(capn_list_get_text(tl, 0), SET_TL[0]);
	conformance_Inner_list_r sl = conformance_Defaults_get_sl(r);
	CHECK_U(conformance_Inner_list_len(sl), 1);
	CHECK_I(conformance_Inner_get_x(conformance_Inner_list_get(sl, 0)), SET_SL_X);
	CHECK_TEXT(conformance_Inner_get_name(conformance_Inner_list_get(sl, 0)), SET_SL_NAME);
	(void)from_ref;
}

/* ------------------------------------------------------------------ pointers */

static void write_pointers(struct capn_builder *b)
{
	conformance_Pointers_b r = conformance_Pointers_new_root(b);
	conformance_Pointers_set_text(r, PTR_TEXT, strlen(PTR_TEXT));
	uint8_t data[PTR_DATA_LEN];
	for (unsigned i = 0; i < PTR_DATA_LEN; i++)
		data[i] = PTR_DATA_BYTE(i);
	conformance_Pointers_set_data(r, data, sizeof data);
	conformance_Inner_b in = conformance_Pointers_init_inner(r);
	conformance_Inner_set_x(in, PTR_INNER_X);
	conformance_Inner_set_name(in, PTR_INNER_NAME, strlen(PTR_INNER_NAME));
	conformance_Pointers_set_emptyText(r, "", 0);
	conformance_Pointers_set_emptyData(r, "", 0);
	conformance_Nest_b n = conformance_Pointers_init_nest(r);
	for (unsigned i = 0; i < PTR_NEST_DEPTH; i++) {
		char label[16];
		snprintf(label, sizeof label, "level-%u", i);
		conformance_Nest_set_depth(n, i);
		conformance_Nest_set_label(n, label, strlen(label));
		if (i + 1 < PTR_NEST_DEPTH)
			n = conformance_Nest_init_child(n);
	}
	conformance_Pointers_init_empty(r);
	conformance_Pointers_init_emptyList(r, PTR_EMPTY_LIST);
}

static void read_pointers(struct capn_reader *m, bool from_ref)
{
	conformance_Pointers_r r = conformance_Pointers_read_root(m);
	CHECK_TEXT(conformance_Pointers_get_text(r), PTR_TEXT);
	uint8_t data[PTR_DATA_LEN];
	for (unsigned i = 0; i < PTR_DATA_LEN; i++)
		data[i] = PTR_DATA_BYTE(i);
	CHECK_DATA(conformance_Pointers_get_data(r), data, sizeof data);
	conformance_Inner_r in = conformance_Pointers_get_inner(r);
	CHECK_I(conformance_Inner_get_x(in), PTR_INNER_X);
	CHECK_TEXT(conformance_Inner_get_name(in), PTR_INNER_NAME);
	CHECK(conformance_Pointers_has_emptyText(r));
	CHECK_TEXT(conformance_Pointers_get_emptyText(r), "");
	CHECK(conformance_Pointers_has_emptyData(r));
	CHECK_U(conformance_Pointers_get_emptyData(r).len, 0);
	conformance_Nest_r n = conformance_Pointers_get_nest(r);
	for (unsigned i = 0; i < PTR_NEST_DEPTH; i++) {
		char label[16];
		snprintf(label, sizeof label, "level-%u", i);
		CHECK_U(conformance_Nest_get_depth(n), i);
		CHECK_TEXT(conformance_Nest_get_label(n), label);
		CHECK_I(conformance_Nest_has_child(n), i + 1 < PTR_NEST_DEPTH);
		n = conformance_Nest_get_child(n);
	}
	CHECK(!conformance_Pointers_has_unset(r));
	CHECK_I(conformance_Inner_get_x(conformance_Pointers_get_unset(r)), 0);
	CHECK(!conformance_Pointers_has_unsetText(r));
	CHECK_TEXT(conformance_Pointers_get_unsetText(r), "");
	CHECK(conformance_Pointers_has_empty(r));
	conformance_Empty_r e = conformance_Pointers_get_empty(r);
	CHECK_U(e.s.data_bytes, 0);
	CHECK_U(e.s.ptr_count, 0);
	CHECK(conformance_Pointers_has_emptyList(r));
	CHECK_U(conformance_Empty_list_len(conformance_Pointers_get_emptyList(r)), PTR_EMPTY_LIST);
	(void)from_ref;
}

/* ------------------------------------------------------------------ lists */

static void write_lists(struct capn_builder *b)
{
	conformance_Lists_b r = conformance_Lists_new_root(b);
	conformance_Lists_init_voids(r, L_VOIDS);
	capn_list_b l = conformance_Lists_init_bools(r, L_BOOLS);
	for (uint32_t i = 0; i < L_BOOLS; i++)
		capn_list_set_bool(l, i, L_BOOL(i));
	l = conformance_Lists_init_i8s(r, 5);
	for (uint32_t i = 0; i < 5; i++)
		capn_list_set_u8(l, i, (uint8_t)L_I8[i]);
	l = conformance_Lists_init_u8s(r, 4);
	for (uint32_t i = 0; i < 4; i++)
		capn_list_set_u8(l, i, L_U8[i]);
	l = conformance_Lists_init_i16s(r, 4);
	for (uint32_t i = 0; i < 4; i++)
		capn_list_set_u16(l, i, (uint16_t)L_I16[i]);
	l = conformance_Lists_init_u16s(r, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_list_set_u16(l, i, L_U16[i]);
	l = conformance_Lists_init_i32s(r, 4);
	for (uint32_t i = 0; i < 4; i++)
		capn_list_set_u32(l, i, (uint32_t)L_I32[i]);
	l = conformance_Lists_init_u32s(r, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_list_set_u32(l, i, L_U32[i]);
	l = conformance_Lists_init_f32s(r, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_list_set_u32(l, i, capn_f32_to_bits(L_F32[i]));
	l = conformance_Lists_init_i64s(r, 4);
	for (uint32_t i = 0; i < 4; i++)
		capn_list_set_u64(l, i, (uint64_t)L_I64[i]);
	l = conformance_Lists_init_u64s(r, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_list_set_u64(l, i, L_U64[i]);
	l = conformance_Lists_init_f64s(r, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_list_set_u64(l, i, capn_f64_to_bits(L_F64[i]));
	l = conformance_Lists_init_enums(r, 4);
	for (uint32_t i = 0; i < 4; i++)
		capn_list_set_u16(l, i, L_ENUMS[i]);
	l = conformance_Lists_init_texts(r, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_set_text(capn_list_ptr_elem(l, i), 0, L_TEXTS[i], strlen(L_TEXTS[i]));
	l = conformance_Lists_init_datas(r, 3);
	capn_set_data(capn_list_ptr_elem(l, 0), 0, L_DATA0, sizeof L_DATA0);
	capn_set_data(capn_list_ptr_elem(l, 1), 0, "", 0);
	capn_set_data(capn_list_ptr_elem(l, 2), 0, L_DATA2, sizeof L_DATA2);
	conformance_Inner_list_b sl = conformance_Lists_init_structs(r, 3);
	for (uint32_t i = 0; i < 3; i++) {
		conformance_Inner_b e = conformance_Inner_list_at(sl, i);
		conformance_Inner_set_x(e, L_STRUCT_X[i]);
		if (L_STRUCT_NAME[i])
			conformance_Inner_set_name(e, L_STRUCT_NAME[i], strlen(L_STRUCT_NAME[i]));
	}
	/* List(List(Int32)) */
	l = conformance_Lists_init_lists(r, 3);
	capn_list_b in = capn_init_list(capn_list_ptr_elem(l, 0), 0, CAPN_SZ_4BYTES, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_list_set_u32(in, i, (uint32_t)L_LISTS0[i]);
	capn_init_list(capn_list_ptr_elem(l, 1), 0, CAPN_SZ_4BYTES, 0);
	in = capn_init_list(capn_list_ptr_elem(l, 2), 0, CAPN_SZ_4BYTES, 1);
	capn_list_set_u32(in, 0, (uint32_t)L_LISTS2);
	/* List(List(Text)) */
	l = conformance_Lists_init_textLists(r, 3);
	in = capn_init_list(capn_list_ptr_elem(l, 0), 0, CAPN_SZ_POINTER, 2);
	capn_set_text(capn_list_ptr_elem(in, 0), 0, "x", 1);
	capn_set_text(capn_list_ptr_elem(in, 1), 0, "y", 1);
	capn_init_list(capn_list_ptr_elem(l, 1), 0, CAPN_SZ_POINTER, 0);
	in = capn_init_list(capn_list_ptr_elem(l, 2), 0, CAPN_SZ_POINTER, 1);
	capn_set_text(capn_list_ptr_elem(in, 0), 0, "z", 1);
	/* List(List(Inner)) */
	l = conformance_Lists_init_structLists(r, 2);
	for (uint32_t k = 0, j = 0; j < 2; j++) {
		uint32_t n = j == 0 ? 1 : 2;
		conformance_Inner_list_b s = {
			capn_init_struct_list(capn_list_ptr_elem(l, j), 0, n, CONFORMANCE_INNER_DATA_WORDS,
			                      CONFORMANCE_INNER_PTR_COUNT)
		};
		for (uint32_t i = 0; i < n; i++, k++) {
			conformance_Inner_b e = conformance_Inner_list_at(s, i);
			conformance_Inner_set_x(e, L_SL_X[k]);
			conformance_Inner_set_name(e, L_SL_NAME[k], strlen(L_SL_NAME[k]));
		}
	}
	conformance_Lists_init_empty(r, 0);
}

static void read_lists(struct capn_reader *m, bool from_ref)
{
	conformance_Lists_r r = conformance_Lists_read_root(m);
	CHECK_U(capn_list_len(conformance_Lists_get_voids(r)), L_VOIDS);
	capn_list_r l = conformance_Lists_get_bools(r);
	CHECK_U(capn_list_len(l), L_BOOLS);
	for (uint32_t i = 0; i < L_BOOLS; i++)
		CHECK_I(capn_list_get_bool(l, i), L_BOOL(i));
	l = conformance_Lists_get_i8s(r);
	CHECK_U(capn_list_len(l), 5);
	for (uint32_t i = 0; i < 5; i++)
		CHECK_I((int8_t)capn_list_get_u8(l, i), L_I8[i]);
	l = conformance_Lists_get_u8s(r);
	CHECK_U(capn_list_len(l), 4);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_U(capn_list_get_u8(l, i), L_U8[i]);
	l = conformance_Lists_get_i16s(r);
	CHECK_U(capn_list_len(l), 4);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_I((int16_t)capn_list_get_u16(l, i), L_I16[i]);
	l = conformance_Lists_get_u16s(r);
	CHECK_U(capn_list_len(l), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_U(capn_list_get_u16(l, i), L_U16[i]);
	l = conformance_Lists_get_i32s(r);
	CHECK_U(capn_list_len(l), 4);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_I((int32_t)capn_list_get_u32(l, i), L_I32[i]);
	l = conformance_Lists_get_u32s(r);
	CHECK_U(capn_list_len(l), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_U(capn_list_get_u32(l, i), L_U32[i]);
	l = conformance_Lists_get_f32s(r);
	CHECK_U(capn_list_len(l), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_F(capn_bits_to_f32(capn_list_get_u32(l, i)), L_F32[i]);
	l = conformance_Lists_get_i64s(r);
	CHECK_U(capn_list_len(l), 4);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_I((int64_t)capn_list_get_u64(l, i), L_I64[i]);
	l = conformance_Lists_get_u64s(r);
	CHECK_U(capn_list_len(l), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_U(capn_list_get_u64(l, i), L_U64[i]);
	l = conformance_Lists_get_f64s(r);
	CHECK_U(capn_list_len(l), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_F(capn_bits_to_f64(capn_list_get_u64(l, i)), L_F64[i]);
	l = conformance_Lists_get_enums(r);
	CHECK_U(capn_list_len(l), 4);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_U(capn_list_get_u16(l, i), L_ENUMS[i]);
	l = conformance_Lists_get_texts(r);
	CHECK_U(capn_list_len(l), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_TEXT(capn_list_get_text(l, i), L_TEXTS[i]);
	l = conformance_Lists_get_datas(r);
	CHECK_U(capn_list_len(l), 3);
	CHECK_DATA(capn_list_get_data(l, 0), L_DATA0, sizeof L_DATA0);
	CHECK_U(capn_list_get_data(l, 1).len, 0);
	CHECK(capn_list_get_data(l, 1).ptr != NULL); /* set, not null */
	CHECK_DATA(capn_list_get_data(l, 2), L_DATA2, sizeof L_DATA2);
	conformance_Inner_list_r sl = conformance_Lists_get_structs(r);
	CHECK_U(conformance_Inner_list_len(sl), 3);
	for (uint32_t i = 0; i < 3; i++) {
		conformance_Inner_r e = conformance_Inner_list_get(sl, i);
		CHECK_I(conformance_Inner_get_x(e), L_STRUCT_X[i]);
		CHECK_I(conformance_Inner_has_name(e), L_STRUCT_NAME[i] != NULL);
		CHECK_TEXT(conformance_Inner_get_name(e), L_STRUCT_NAME[i] ? L_STRUCT_NAME[i] : "");
	}
	l = conformance_Lists_get_lists(r);
	CHECK_U(capn_list_len(l), 3);
	capn_list_r in = capn_list_get_list(l, 0, CAPN_LIST_4BYTES);
	CHECK_U(capn_list_len(in), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_I((int32_t)capn_list_get_u32(in, i), L_LISTS0[i]);
	CHECK_U(capn_list_len(capn_list_get_list(l, 1, CAPN_LIST_4BYTES)), 0);
	in = capn_list_get_list(l, 2, CAPN_LIST_4BYTES);
	CHECK_U(capn_list_len(in), 1);
	CHECK_I((int32_t)capn_list_get_u32(in, 0), L_LISTS2);
	l = conformance_Lists_get_textLists(r);
	CHECK_U(capn_list_len(l), 3);
	in = capn_list_get_list(l, 0, CAPN_LIST_POINTER);
	CHECK_U(capn_list_len(in), 2);
	CHECK_TEXT(capn_list_get_text(in, 0), "x");
	CHECK_TEXT(capn_list_get_text(in, 1), "y");
	CHECK_U(capn_list_len(capn_list_get_list(l, 1, CAPN_LIST_POINTER)), 0);
	in = capn_list_get_list(l, 2, CAPN_LIST_POINTER);
	CHECK_U(capn_list_len(in), 1);
	CHECK_TEXT(capn_list_get_text(in, 0), "z");
	l = conformance_Lists_get_structLists(r);
	CHECK_U(capn_list_len(l), 2);
	for (uint32_t k = 0, j = 0; j < 2; j++) {
		uint32_t n = j == 0 ? 1 : 2;
		conformance_Inner_list_r s = { capn_list_get_list(l, j, CAPN_LIST_STRUCT) };
		CHECK_U(conformance_Inner_list_len(s), n);
		for (uint32_t i = 0; i < n; i++, k++) {
			conformance_Inner_r e = conformance_Inner_list_get(s, i);
			CHECK_I(conformance_Inner_get_x(e), L_SL_X[k]);
			CHECK_TEXT(conformance_Inner_get_name(e), L_SL_NAME[k]);
		}
	}
	CHECK(conformance_Lists_has_empty(r));
	CHECK_U(capn_list_len(conformance_Lists_get_empty(r)), 0);
	(void)from_ref;
}

/* ------------------------------------------------------------------ unions and groups */

static void write_unions(struct capn_builder *b)
{
	conformance_UnionSet_b root = conformance_UnionSet_new_root(b);
	conformance_Unions_list_b items = conformance_UnionSet_init_items(root, U_COUNT);
	conformance_Unions_b u;

	u = conformance_Unions_list_at(items, 0);
	conformance_Unions_set_none(u);
	conformance_Unions_shape_set_circle(conformance_Unions_build_shape(u), U_CIRCLE0);
	conformance_Unions_point_set_x(conformance_Unions_build_point(u), 1);
	conformance_Unions_point_set_y(conformance_Unions_build_point(u), 2);
	conformance_Unions_point_set_tag(conformance_Unions_build_point(u), "p0", 2);
	conformance_Unions_set_after(u, 100);
	conformance_Unions_g2_set_a(conformance_Unions_build_g2(u), 7);
	conformance_Unions_g2_set_c(conformance_Unions_build_g2(u), true);

	u = conformance_Unions_list_at(items, 1);
	conformance_Unions_set_num(u, U_NUM1);
	conformance_Unions_shape_set_square(conformance_Unions_build_shape(u), 4);
	conformance_Unions_set_after(u, 101);
	conformance_Unions_g2_set_b(conformance_Unions_build_g2(u), "gb", 2);
	conformance_Unions_g2_set_c(conformance_Unions_build_g2(u), false);

	u = conformance_Unions_list_at(items, 2);
	conformance_Unions_set_str(u, U_STR2, strlen(U_STR2));
	conformance_Unions_shape_set_label(conformance_Unions_build_shape(u), "lbl", 3);
	conformance_Unions_point_b p = conformance_Unions_build_point(u);
	conformance_Unions_point_set_x(p, -5);
	conformance_Unions_point_set_y(p, 5);
	conformance_Unions_point_set_tag(p, "p2", 2);
	conformance_Unions_set_after(u, 102);
	conformance_Unions_g2_b g = conformance_Unions_build_g2(u);
	conformance_Unions_g2_set_a(g, 0);
	conformance_Unions_g2_set_c(g, true);

	u = conformance_Unions_list_at(items, 3);
	conformance_Inner_b in = conformance_Unions_init_inner(u);
	conformance_Inner_set_x(in, U_INNER3_X);
	conformance_Inner_set_name(in, U_INNER3_NAME, strlen(U_INNER3_NAME));
	conformance_Unions_shape_set_square(conformance_Unions_build_shape(u), 65535);
	conformance_Unions_set_after(u, 103);
	conformance_Unions_g2_set_b(conformance_Unions_build_g2(u), "", 0);

	u = conformance_Unions_list_at(items, 4);
	conformance_Unions_set_num(u, 0);
	conformance_Unions_shape_set_label(conformance_Unions_build_shape(u), "", 0);
	conformance_Unions_set_after(u, 104);
	conformance_Unions_g2_set_a(conformance_Unions_build_g2(u), 255);
}

static void read_unions(struct capn_reader *m, bool from_ref)
{
	conformance_Unions_list_r items = conformance_UnionSet_get_items(conformance_UnionSet_read_root(m));
	CHECK_U(conformance_Unions_list_len(items), U_COUNT);
	for (uint32_t i = 0; i < U_COUNT; i++)
		CHECK_U(conformance_Unions_get_after(conformance_Unions_list_get(items, i)), 100 + i);

	conformance_Unions_r u = conformance_Unions_list_get(items, 0);
	conformance_Unions_shape_r sh = conformance_Unions_get_shape(u);
	conformance_Unions_point_r pt = conformance_Unions_get_point(u);
	conformance_Unions_g2_r g = conformance_Unions_get_g2(u);
	CHECK_I(conformance_Unions_which(u), CONFORMANCE_UNIONS_WHICH_NONE);
	CHECK_I(conformance_Unions_shape_which(sh), CONFORMANCE_UNIONS_SHAPE_WHICH_CIRCLE);
	CHECK_F(conformance_Unions_shape_get_circle(sh), U_CIRCLE0);
	CHECK_I(conformance_Unions_point_get_x(pt), 1);
	CHECK_I(conformance_Unions_point_get_y(pt), 2);
	CHECK_TEXT(conformance_Unions_point_get_tag(pt), "p0");
	CHECK_I(conformance_Unions_g2_which(g), CONFORMANCE_UNIONS_G2_WHICH_A);
	CHECK_U(conformance_Unions_g2_get_a(g), 7);
	CHECK_I(conformance_Unions_g2_get_c(g), true);
	/* Members that are not set read as their defaults. */
	CHECK_I(conformance_Unions_get_num(u), 0);
	CHECK_TEXT(conformance_Unions_get_str(u), "");
	CHECK_U(conformance_Unions_shape_get_square(sh), 0);

	u = conformance_Unions_list_get(items, 1);
	sh = conformance_Unions_get_shape(u);
	pt = conformance_Unions_get_point(u);
	g = conformance_Unions_get_g2(u);
	CHECK_I(conformance_Unions_which(u), CONFORMANCE_UNIONS_WHICH_NUM);
	CHECK_I(conformance_Unions_get_num(u), U_NUM1);
	CHECK_I(conformance_Unions_shape_which(sh), CONFORMANCE_UNIONS_SHAPE_WHICH_SQUARE);
	CHECK_U(conformance_Unions_shape_get_square(sh), 4);
	CHECK_F(conformance_Unions_shape_get_circle(sh), 0.0);
	CHECK_I(conformance_Unions_point_get_x(pt), 0);
	CHECK(!conformance_Unions_point_has_tag(pt));
	CHECK_I(conformance_Unions_g2_which(g), CONFORMANCE_UNIONS_G2_WHICH_B);
	CHECK_TEXT(conformance_Unions_g2_get_b(g), "gb");
	CHECK_U(conformance_Unions_g2_get_a(g), 0);
	CHECK_I(conformance_Unions_g2_get_c(g), false);

	u = conformance_Unions_list_get(items, 2);
	sh = conformance_Unions_get_shape(u);
	pt = conformance_Unions_get_point(u);
	g = conformance_Unions_get_g2(u);
	CHECK_I(conformance_Unions_which(u), CONFORMANCE_UNIONS_WHICH_STR);
	CHECK_TEXT(conformance_Unions_get_str(u), U_STR2);
	CHECK(!conformance_Unions_has_inner(u));
	CHECK_I(conformance_Unions_shape_which(sh), CONFORMANCE_UNIONS_SHAPE_WHICH_LABEL);
	CHECK_TEXT(conformance_Unions_shape_get_label(sh), "lbl");
	CHECK_I(conformance_Unions_point_get_x(pt), -5);
	CHECK_I(conformance_Unions_point_get_y(pt), 5);
	CHECK_TEXT(conformance_Unions_point_get_tag(pt), "p2");
	CHECK_I(conformance_Unions_g2_which(g), CONFORMANCE_UNIONS_G2_WHICH_A);
	CHECK_U(conformance_Unions_g2_get_a(g), 0);
	CHECK_I(conformance_Unions_g2_get_c(g), true);

	u = conformance_Unions_list_get(items, 3);
	sh = conformance_Unions_get_shape(u);
	g = conformance_Unions_get_g2(u);
	CHECK_I(conformance_Unions_which(u), CONFORMANCE_UNIONS_WHICH_INNER);
	CHECK(conformance_Unions_has_inner(u));
	CHECK_I(conformance_Inner_get_x(conformance_Unions_get_inner(u)), U_INNER3_X);
	CHECK_TEXT(conformance_Inner_get_name(conformance_Unions_get_inner(u)), U_INNER3_NAME);
	CHECK(!conformance_Unions_has_str(u));
	CHECK_I(conformance_Unions_shape_which(sh), CONFORMANCE_UNIONS_SHAPE_WHICH_SQUARE);
	CHECK_U(conformance_Unions_shape_get_square(sh), 65535);
	CHECK_I(conformance_Unions_g2_which(g), CONFORMANCE_UNIONS_G2_WHICH_B);
	CHECK(conformance_Unions_g2_has_b(g));
	CHECK_TEXT(conformance_Unions_g2_get_b(g), "");
	CHECK_I(conformance_Unions_g2_get_c(g), false);

	u = conformance_Unions_list_get(items, 4);
	sh = conformance_Unions_get_shape(u);
	g = conformance_Unions_get_g2(u);
	CHECK_I(conformance_Unions_which(u), CONFORMANCE_UNIONS_WHICH_NUM);
	CHECK_I(conformance_Unions_get_num(u), 0);
	CHECK_I(conformance_Unions_shape_which(sh), CONFORMANCE_UNIONS_SHAPE_WHICH_LABEL);
	CHECK(conformance_Unions_shape_has_label(sh));
	CHECK_TEXT(conformance_Unions_shape_get_label(sh), "");
	CHECK_I(conformance_Unions_g2_which(g), CONFORMANCE_UNIONS_G2_WHICH_A);
	CHECK_U(conformance_Unions_g2_get_a(g), 255);
	(void)from_ref;
}

/* ------------------------------------------------------------------ far pointers */

static void fill_big(conformance_Big_b root)
{
	capn_list_b blobs = conformance_Big_init_blobs(root, BIG_BLOBS);
	for (uint32_t i = 0; i < BIG_BLOBS; i++) {
		uint8_t buf[BIG_BLOB_LEN(BIG_BLOBS)];
		for (uint32_t j = 0; j < BIG_BLOB_LEN(i); j++)
			buf[j] = BIG_BLOB_BYTE(i, j);
		capn_set_data(capn_list_ptr_elem(blobs, i), 0, buf, BIG_BLOB_LEN(i));
	}
	conformance_Inner_list_b items = conformance_Big_init_items(root, BIG_ITEMS);
	for (uint32_t i = 0; i < BIG_ITEMS; i++) {
		char name[16];
		snprintf(name, sizeof name, "item-%u", i);
		conformance_Inner_b e = conformance_Inner_list_at(items, i);
		conformance_Inner_set_x(e, BIG_ITEM_X(i));
		conformance_Inner_set_name(e, name, strlen(name));
	}
	conformance_Big_set_tail(root, BIG_TAIL, strlen(BIG_TAIL));
	capn_list_b nums = conformance_Big_init_numbers(root, BIG_NUMBERS);
	for (uint32_t i = 0; i < BIG_NUMBERS; i++)
		capn_list_set_u64(nums, i, BIG_NUMBER(i));
	uint8_t ad[BIG_ADOPTED_LEN];
	for (uint32_t j = 0; j < BIG_ADOPTED_LEN; j++)
		ad[j] = BIG_ADOPTED_BYTE(j);
	conformance_Big_set_adopted(root, ad, sizeof ad);
	conformance_Big_b child = conformance_Big_init_child(root);
	conformance_Big_set_tail(child, BIG_CHILD_TAIL, strlen(BIG_CHILD_TAIL));
	capn_list_b cn = conformance_Big_init_numbers(child, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_list_set_u64(cn, i, i + 1);
}

static void read_big(struct capn_reader *m, bool from_ref)
{
	conformance_Big_r r = conformance_Big_read_root(m);
	capn_list_r blobs = conformance_Big_get_blobs(r);
	CHECK_U(capn_list_len(blobs), BIG_BLOBS);
	for (uint32_t i = 0; i < BIG_BLOBS; i++) {
		uint8_t buf[BIG_BLOB_LEN(BIG_BLOBS)];
		for (uint32_t j = 0; j < BIG_BLOB_LEN(i); j++)
			buf[j] = BIG_BLOB_BYTE(i, j);
		CHECK_DATA(capn_list_get_data(blobs, i), buf, BIG_BLOB_LEN(i));
	}
	conformance_Inner_list_r items = conformance_Big_get_items(r);
	CHECK_U(conformance_Inner_list_len(items), BIG_ITEMS);
	for (uint32_t i = 0; i < BIG_ITEMS; i++) {
		char name[16];
		snprintf(name, sizeof name, "item-%u", i);
		conformance_Inner_r e = conformance_Inner_list_get(items, i);
		CHECK_I(conformance_Inner_get_x(e), BIG_ITEM_X(i));
		CHECK_TEXT(conformance_Inner_get_name(e), name);
	}
	CHECK_TEXT(conformance_Big_get_tail(r), BIG_TAIL);
	capn_list_r nums = conformance_Big_get_numbers(r);
	CHECK_U(capn_list_len(nums), BIG_NUMBERS);
	for (uint32_t i = 0; i < BIG_NUMBERS; i++)
		CHECK_U(capn_list_get_u64(nums, i), BIG_NUMBER(i));
	uint8_t ad[BIG_ADOPTED_LEN];
	for (uint32_t j = 0; j < BIG_ADOPTED_LEN; j++)
		ad[j] = BIG_ADOPTED_BYTE(j);
	CHECK_DATA(conformance_Big_get_adopted(r), ad, sizeof ad);
	conformance_Big_r child = conformance_Big_get_child(r);
	CHECK_TEXT(conformance_Big_get_tail(child), BIG_CHILD_TAIL);
	capn_list_r cn = conformance_Big_get_numbers(child);
	CHECK_U(capn_list_len(cn), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_U(capn_list_get_u64(cn, i), i + 1);
	CHECK(!conformance_Big_has_blobs(child) && !conformance_Big_has_items(child));
	CHECK(!conformance_Big_has_child(child) && !conformance_Big_has_adopted(child));

	if (from_ref) {
		/* libcapnp wrote this over many fixed-size segments, and adopted
		 * `adopted` from a segment of its own: a double-far pointer. */
		CHECK(m->nsegs >= 4);
		uint64_t w;
		memcpy(&w, r.s.ptrs + 8 * CONFORMANCE_BIG_ADOPTED_PTR_INDEX, 8);
		CHECK_U(w & 7, 6);
		memcpy(&w, r.s.ptrs + 8 * CONFORMANCE_BIG_ITEMS_PTR_INDEX, 8);
		CHECK_U(w & 7, 2); /* a single far pointer */
	}
}

/* ------------------------------------------------------------------ capabilities */

static void write_caps(struct capn_builder *b)
{
	conformance_Caps_b r = conformance_Caps_new_root(b);
	conformance_Caps_set_first(r, CAP_FIRST);
	conformance_Caps_set_second(r, CAP_SECOND);
	conformance_Caps_set_none(r, CAPN_NULL_CAP);
	capn_list_b l = conformance_Caps_init_list(r, CAP_LIST_LEN);
	for (uint32_t i = 0; i < CAP_LIST_LEN; i++)
		if (CAP_LIST[i] != CAPN_NULL_CAP)
			capn_set_cap(capn_list_ptr_elem(l, i), 0, CAP_LIST[i]);
	conformance_Caps_set_again(r, CAP_AGAIN);
	conformance_Caps_set_n(r, CAP_N);
}

static void read_caps(struct capn_reader *m, bool from_ref)
{
	conformance_Caps_r r = conformance_Caps_read_root(m);
	CHECK_U(conformance_Caps_get_first(r), CAP_FIRST);
	CHECK_U(conformance_Caps_get_second(r), CAP_SECOND);
	CHECK(!conformance_Caps_has_none(r));
	CHECK_U(conformance_Caps_get_none(r), CAPN_NULL_CAP);
	CHECK_U(conformance_Caps_get_again(r), CAP_AGAIN);
	CHECK_U(conformance_Caps_get_n(r), CAP_N);
	capn_list_r l = conformance_Caps_get_list(r);
	CHECK_U(capn_list_len(l), CAP_LIST_LEN);
	for (uint32_t i = 0; i < CAP_LIST_LEN; i++)
		CHECK_U(capn_list_get_cap(l, i), CAP_LIST[i]);
	(void)from_ref;
}

/* ------------------------------------------------------------------ struct upgrade */

static void write_old(struct capn_builder *b)
{
	conformance_OldHolder_b r = conformance_OldHolder_new_root(b);
	conformance_OldThing_list_b things = conformance_OldHolder_init_things(r, 2);
	for (uint32_t i = 0; i < 2; i++) {
		char name[8];
		snprintf(name, sizeof name, "t%u", i + 1);
		conformance_OldThing_b t = conformance_OldThing_list_at(things, i);
		conformance_OldThing_set_a(t, i + 1);
		conformance_OldThing_set_name(t, name, strlen(name));
	}
	conformance_OldThing_b one = conformance_OldHolder_init_one(r);
	conformance_OldThing_set_a(one, 3);
	conformance_OldThing_set_name(one, "one", 3);
	capn_list_b ids = conformance_OldHolder_init_ids(r, 3);
	for (uint32_t i = 0; i < 3; i++)
		capn_list_set_u32(ids, i, UP_IDS[i]);
}

/* An old message read with the new schema. */
static void read_old_as_new(struct capn_reader *m, bool from_ref)
{
	conformance_NewHolder_r r = conformance_NewHolder_read_root(m);
	conformance_NewThing_list_r things = conformance_NewHolder_get_things(r);
	CHECK_U(conformance_NewThing_list_len(things), 2);
	for (uint32_t i = 0; i < 2; i++) {
		char name[8];
		snprintf(name, sizeof name, "t%u", i + 1);
		conformance_NewThing_r t = conformance_NewThing_list_get(things, i);
		CHECK_U(conformance_NewThing_get_a(t), i + 1);
		CHECK_TEXT(conformance_NewThing_get_name(t), name);
		CHECK_U(conformance_NewThing_get_b(t), NEW_B_DEFAULT);
		CHECK_TEXT(conformance_NewThing_get_extra(t), NEW_EXTRA_DEFAULT);
		CHECK_I(conformance_NewThing_get_c(t), NEW_C_DEFAULT);
		CHECK(!conformance_NewThing_has_sub(t));
		CHECK_I(conformance_Inner_get_x(conformance_NewThing_get_sub(t)), 0);
		CHECK_I(conformance_NewThing_get_d(t), NEW_D_DEFAULT);
	}
	conformance_NewThing_r one = conformance_NewHolder_get_one(r);
	CHECK_U(conformance_NewThing_get_a(one), 3);
	CHECK_TEXT(conformance_NewThing_get_name(one), "one");
	CHECK_U(conformance_NewThing_get_b(one), NEW_B_DEFAULT);
	CHECK_I(conformance_NewThing_get_d(one), NEW_D_DEFAULT);
	/* A List(UInt32) read as a List(Id). */
	conformance_Id_list_r ids = conformance_NewHolder_get_ids(r);
	CHECK_U(conformance_Id_list_len(ids), 3);
	for (uint32_t i = 0; i < 3; i++) {
		conformance_Id_r id = conformance_Id_list_get(ids, i);
		CHECK_U(conformance_Id_get_v(id), UP_IDS[i]);
		CHECK_TEXT(conformance_Id_get_note(id), NEW_NOTE_DEFAULT);
	}
	CHECK(!conformance_NewHolder_has_added(r));
	CHECK_TEXT(conformance_NewHolder_get_added(r), NEW_ADDED_DEFAULT);
	(void)from_ref;
}

static void write_new(struct capn_builder *b)
{
	conformance_NewHolder_b r = conformance_NewHolder_new_root(b);
	conformance_NewThing_list_b things = conformance_NewHolder_init_things(r, 2);
	conformance_NewThing_b t = conformance_NewThing_list_at(things, 0);
	conformance_NewThing_set_a(t, 1);
	conformance_NewThing_set_name(t, "t1", 2);
	conformance_NewThing_set_b(t, 5);
	conformance_NewThing_set_extra(t, "x", 1);
	conformance_NewThing_set_c(t, false);
	conformance_Inner_b sub = conformance_NewThing_init_sub(t);
	conformance_Inner_set_x(sub, 9);
	conformance_Inner_set_name(sub, "s", 1);
	conformance_NewThing_set_d(t, 4);
	t = conformance_NewThing_list_at(things, 1);
	conformance_NewThing_set_a(t, 2);
	conformance_NewThing_set_name(t, "t2", 2);
	conformance_NewThing_b one = conformance_NewHolder_init_one(r);
	conformance_NewThing_set_a(one, 3);
	conformance_NewThing_set_name(one, "one", 3);
	conformance_NewThing_set_b(one, 6);
	conformance_Id_list_b ids = conformance_NewHolder_init_ids(r, 3);
	for (uint32_t i = 0; i < 3; i++)
		conformance_Id_set_v(conformance_Id_list_at(ids, i), UP_IDS[i]);
	conformance_Id_set_note(conformance_Id_list_at(ids, 0), "a", 1);
	conformance_Id_set_note(conformance_Id_list_at(ids, 2), "c", 1);
	conformance_NewHolder_set_added(r, "new", 3);
}

/* A new message (or an old one) read with the old schema. */
static void read_as_old(struct capn_reader *m, bool from_ref)
{
	conformance_OldHolder_r r = conformance_OldHolder_read_root(m);
	conformance_OldThing_list_r things = conformance_OldHolder_get_things(r);
	CHECK_U(conformance_OldThing_list_len(things), 2);
	for (uint32_t i = 0; i < 2; i++) {
		char name[8];
		snprintf(name, sizeof name, "t%u", i + 1);
		conformance_OldThing_r t = conformance_OldThing_list_get(things, i);
		CHECK_U(conformance_OldThing_get_a(t), i + 1);
		CHECK_TEXT(conformance_OldThing_get_name(t), name);
	}
	conformance_OldThing_r one = conformance_OldHolder_get_one(r);
	CHECK_U(conformance_OldThing_get_a(one), 3);
	CHECK_TEXT(conformance_OldThing_get_name(one), "one");
	/* A List(Id) read as a List(UInt32): each struct's first field. */
	capn_list_r ids = conformance_OldHolder_get_ids(r);
	CHECK_U(capn_list_len(ids), 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK_U(capn_list_get_u32(ids, i), UP_IDS[i]);
	(void)from_ref;
}

/* ------------------------------------------------------------------ cases */

struct conf_case {
	const char *name;
	void (*write)(struct capn_builder *);
	void (*read)(struct capn_reader *, bool from_ref);
};

static const struct conf_case cases[] = {
	{ "scalars", write_scalars, read_scalars },
	{ "bools", write_bools, read_bools },
	{ "defaults-unset", write_defaults_unset, read_defaults_unset },
	{ "defaults-set", write_defaults_set, read_defaults_set },
	{ "pointers", write_pointers, read_pointers },
	{ "lists", write_lists, read_lists },
	{ "unions", write_unions, read_unions },
	{ "far", NULL, read_big },
	{ "caps", write_caps, read_caps },
	{ "upgrade-old2new", write_old, read_old_as_new },
	{ "upgrade-new2old", write_new, read_as_old },
};

static int write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "conf_c: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

/* Several small arenas: the root goes double-far (its arena holds it exactly,
 * its two-word landing pad is in another), the rest spreads over 128-word
 * arenas with far pointers between them. */
static int write_far(const char *path)
{
	static uint64_t a0[2], a1[CONFORMANCE_BIG_DATA_WORDS + CONFORMANCE_BIG_PTR_COUNT], a2[2];
	static uint64_t rest[16][128];
	static uint8_t out[65536];
	struct capn_builder b;
	capn_builder_init(&b, a0, sizeof a0);
	capn_builder_add_arena(&b, a1, sizeof a1);
	capn_builder_add_arena(&b, a2, sizeof a2);
	conformance_Big_b root = conformance_Big_new_root(&b);
	/* Only now the roomy arenas (otherwise the root would go there with a
	 * plain far pointer). */
	for (int i = 0; i < 16; i++)
		capn_builder_add_arena(&b, rest[i], sizeof rest[i]);
	fill_big(root);
	if (capn_builder_error(&b)) {
		fprintf(stderr, "conf_c: building far: %s\n", capn_strerror(capn_builder_error(&b)));
		return 1;
	}
	uint64_t root_ptr;
	memcpy(&root_ptr, (const uint8_t *)a0 + 8, 8);
	if ((root_ptr & 7) != 6) {
		fprintf(stderr, "conf_c: far: the root pointer is not double-far\n");
		return 1;
	}
	const void *framed;
	size_t len;
	if (capn_builder_finish(&b, &framed, &len) != CAPN_ERR_SEGMENT_COUNT) {
		fprintf(stderr, "conf_c: far: the message is not multi-segment\n");
		return 1;
	}
	int err = capn_builder_write_framed(&b, out, sizeof out, &len);
	if (err) {
		fprintf(stderr, "conf_c: framing far: %s\n", capn_strerror(err));
		return 1;
	}
	return write_file(path, out, len);
}

static int do_write(const struct conf_case *c, const char *path)
{
	static uint64_t arena[8192];
	if (!c->write)
		return write_far(path);
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof arena);
	c->write(&b);
	const void *framed;
	size_t len;
	int err = capn_builder_finish(&b, &framed, &len);
	if (err) {
		fprintf(stderr, "conf_c: building %s: %s\n", c->name, capn_strerror(err));
		return 1;
	}
	return write_file(path, framed, len);
}

static int do_read(const struct conf_case *c, const char *path, bool from_ref)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "conf_c: cannot open %s: %s\n", path, strerror(errno));
		return 1;
	}
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (len == cap)
			buf = realloc(buf, cap *= 2);
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	struct capn_reader r;
	size_t consumed = 0;
	int err = capn_reader_init_framed(&r, buf, len, NULL, &consumed);
	if (err) {
		fprintf(stderr, "conf_c: %s: %s\n", path, capn_strerror(err));
		free(buf);
		return 1;
	}
	if (consumed != len)
		fail(__LINE__, "trailing bytes after the message");
	c->read(&r, from_ref);
	if (capn_reader_error(&r) != CAPN_OK)
		fail(__LINE__, capn_strerror(capn_reader_error(&r)));
	free(buf);
	if (failures)
		fprintf(stderr, "conf_c read %s: %d check(s) failed\n", c->name, failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "read") != 0)) {
		fprintf(stderr, "usage: conf_c write|read CASE FILE [ref]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (strcmp(cases[i].name, argv[2]) != 0)
			continue;
		if (strcmp(argv[1], "write") == 0)
			return do_write(&cases[i], argv[3]);
		return do_read(&cases[i], argv[3], argc > 4 && strcmp(argv[4], "ref") == 0);
	}
	fprintf(stderr, "conf_c: unknown case %s\n", argv[2]);
	return 2;
}
