/*
 * test_capnpc_features.c - every accessor kind and every kind of default
 * tools/capnpc-c generates, on tests/unit/gen_features.capnp (generated into
 * build/gen/capnpc by mk/capnpc.mk), and a bootstrap check of the plugin's
 * hand-written schema.capnp readers (tools/capnpc-c/schema_capnp.h) against
 * the accessors it generates for /usr/include/capnp/schema.capnp.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen_features.capnp.h"
#include "schema.capnp.h"
#include "schema_capnp.h"

struct msg {
	uint64_t arena[2048];
	struct capn_builder b;
	struct capn_reader r;
};

static void msg_init(struct msg *m)
{
	memset(m, 0, sizeof *m);
	assert_int_equal(capn_builder_init(&m->b, m->arena, sizeof m->arena), CAPN_OK);
}

static void msg_read(struct msg *m)
{
	const void *framed;
	size_t len;
	assert_int_equal(capn_builder_error(&m->b), CAPN_OK);
	assert_int_equal(capn_builder_finish(&m->b, &framed, &len), CAPN_OK);
	assert_int_equal(capn_reader_init_framed(&m->r, framed, len, NULL, NULL), CAPN_OK);
}

static void assert_text(capn_text t, const char *want)
{
	assert_non_null(t.str);
	assert_int_equal(t.len, strlen(want));
	assert_memory_equal(t.str, want, t.len + 1);
}

#define SET_TEXT(fn, b, s) assert_int_equal(fn(b, s, strlen(s)), CAPN_OK)

/* ------------------------------------------------------------------ defaults */

/* Every getter of an Everything nobody has written to returns the schema's
 * default. */
static void check_all_defaults(gen_features_Everything_r e)
{
	assert_true(gen_features_Everything_get_b(e));
	assert_int_equal(gen_features_Everything_get_i8(e), -8);
	assert_int_equal(gen_features_Everything_get_i16(e), -1616);
	assert_int_equal(gen_features_Everything_get_i32(e), -323232);
	assert_true(gen_features_Everything_get_i64(e) == -646464646464ll);
	assert_int_equal(gen_features_Everything_get_u8(e), 208);
	assert_int_equal(gen_features_Everything_get_u16(e), 61616);
	assert_true(gen_features_Everything_get_u32(e) == 3232323232u);
	assert_true(gen_features_Everything_get_u64(e) == 12345678901234567890ull);
	assert_true(gen_features_Everything_get_f32(e) == 1.5f);
	assert_true(gen_features_Everything_get_f64(e) == -2.25);
	assert_text(gen_features_Everything_get_t(e), "hello \"world\"?\n");
	capn_data d = gen_features_Everything_get_d(e);
	assert_int_equal(d.len, 4);
	assert_memory_equal(d.ptr, "\xde\xad\xbe\xef", 4);
	assert_false(gen_features_Everything_has_s(e));
	gen_features_Inner_r s = gen_features_Everything_get_s(e);
	assert_int_equal(gen_features_Inner_get_a(s), 42);
	assert_text(gen_features_Inner_get_label(s), "default inner");
	assert_int_equal(gen_features_Everything_get_e(e), GEN_FEATURES_COLOR_BLUE);
	assert_int_equal(gen_features_Everything_get_cap(e), CAPN_NULL_CAP);
	assert_false(gen_features_Everything_has_any(e));
	assert_int_equal(gen_features_Everything_get_anyCap(e), CAPN_NULL_CAP);

	assert_int_equal(capn_list_len(gen_features_Everything_get_lVoid(e)), 3);
	capn_list_r lb = gen_features_Everything_get_lBool(e);
	assert_int_equal(capn_list_len(lb), 3);
	assert_true(capn_list_get_bool(lb, 0));
	assert_false(capn_list_get_bool(lb, 1));
	assert_true(capn_list_get_bool(lb, 2));
	capn_list_r li8 = gen_features_Everything_get_lI8(e);
	assert_int_equal(capn_list_len(li8), 2);
	assert_int_equal((int8_t)capn_list_get_u8(li8, 0), -1);
	assert_int_equal((int8_t)capn_list_get_u8(li8, 1), 2);
	capn_list_r lu16 = gen_features_Everything_get_lU16(e);
	assert_int_equal(capn_list_get_u16(lu16, 1), 65535);
	capn_list_r li32 = gen_features_Everything_get_lI32(e);
	assert_int_equal((int32_t)capn_list_get_u32(li32, 0), -5);
	assert_int_equal((int32_t)capn_list_get_u32(li32, 1), 5);
	capn_list_r lu64 = gen_features_Everything_get_lU64(e);
	assert_true(capn_list_get_u64(lu64, 1) == UINT64_MAX);
	capn_list_r lf32 = gen_features_Everything_get_lF32(e);
	assert_true(capn_bits_to_f32(capn_list_get_u32(lf32, 0)) == 0.5f);
	assert_true(capn_bits_to_f32(capn_list_get_u32(lf32, 1)) == -1.0f);
	capn_list_r lf64 = gen_features_Everything_get_lF64(e);
	assert_int_equal(capn_list_len(lf64), 1);
	assert_true(capn_bits_to_f64(capn_list_get_u64(lf64, 0)) == 3.25);
	capn_list_r lt = gen_features_Everything_get_lText(e);
	assert_int_equal(capn_list_len(lt), 2);
	assert_text(capn_list_get_text(lt, 0), "a");
	assert_text(capn_list_get_text(lt, 1), "bc");
	capn_list_r ld = gen_features_Everything_get_lData(e);
	assert_int_equal(capn_list_get_data(ld, 1).len, 2);
	assert_memory_equal(capn_list_get_data(ld, 1).ptr, "\x02\x03", 2);
	gen_features_Inner_list_r ls = gen_features_Everything_get_lStruct(e);
	assert_int_equal(gen_features_Inner_list_len(ls), 2);
	assert_int_equal(gen_features_Inner_get_a(gen_features_Inner_list_get(ls, 0)), 1);
	/* an element's unset field reads as Inner's own default */
	assert_text(gen_features_Inner_get_label(gen_features_Inner_list_get(ls, 0)), "inner");
	assert_int_equal(gen_features_Inner_get_a(gen_features_Inner_list_get(ls, 1)), 2);
	assert_text(gen_features_Inner_get_label(gen_features_Inner_list_get(ls, 1)), "two");
	capn_list_r le = gen_features_Everything_get_lEnum(e);
	assert_int_equal(capn_list_get_u16(le, 0), GEN_FEATURES_COLOR_GREEN);
	assert_int_equal(capn_list_get_u16(le, 1), GEN_FEATURES_COLOR_RED);
	capn_list_r ll = gen_features_Everything_get_lList(e);
	assert_int_equal(capn_list_len(ll), 2);
	capn_list_r ll0 = capn_list_get_list(ll, 0, CAPN_LIST_2BYTES);
	assert_int_equal(capn_list_len(ll0), 2);
	assert_int_equal(capn_list_get_u16(ll0, 1), 2);
	assert_int_equal(capn_list_get_u16(capn_list_get_list(ll, 1, CAPN_LIST_2BYTES), 0), 3);
	assert_int_equal(capn_list_len(gen_features_Everything_get_lIface(e)), 0);

	assert_false(gen_features_Everything_get_plainBool(e));
	assert_text(gen_features_Everything_get_plainText(e), "");
	gen_features_Inner_r ps = gen_features_Everything_get_plainStruct(e);
	assert_int_equal(gen_features_Inner_get_a(ps), 7);
	assert_text(gen_features_Inner_get_label(ps), "inner");
	assert_int_equal(gen_features_Inner_list_len(gen_features_Everything_get_plainList(e)), 0);
	assert_false(gen_features_Box_has_item(gen_features_Everything_get_boxed(e)));
	assert_int_equal(gen_features_Everything_Deep_get_z(gen_features_Everything_get_nested(e)), -3);

	/* the union: its first member is selected, the others read as defaults */
	assert_int_equal(gen_features_Everything_which(e), GEN_FEATURES_EVERYTHING_WHICH_U_VOID);
	assert_int_equal(gen_features_Everything_get_uInt(e), 5);
	assert_text(gen_features_Everything_get_uText(e), "union default");
	assert_int_equal(gen_features_Inner_get_a(gen_features_Everything_get_uStruct(e)), 7);
	assert_false(gen_features_Everything_has_uAny(e));
	gen_features_Everything_uGroup_r ug = gen_features_Everything_get_uGroup(e);
	assert_int_equal(gen_features_Everything_uGroup_get_x(ug), 16);
	assert_text(gen_features_Everything_uGroup_get_y(ug), "");

	gen_features_Everything_grp_r grp = gen_features_Everything_get_grp(e);
	assert_int_equal(gen_features_Everything_grp_get_gx(grp), 99);
	gen_features_Everything_grp_inner_r in = gen_features_Everything_grp_get_inner(grp);
	assert_int_equal(gen_features_Everything_grp_inner_which(in),
	                 GEN_FEATURES_EVERYTHING_GRP_INNER_WHICH_LEFT);
	assert_true(gen_features_Everything_grp_inner_get_left(in) == 0.75f);
	assert_int_equal(capn_list_len(gen_features_Everything_grp_inner_get_right(in)), 0);
}

static void test_defaults_of_empty_struct(void **state)
{
	(void)state;
	static struct msg m;
	msg_init(&m);
	gen_features_Everything_new_root(&m.b);
	msg_read(&m);
	check_all_defaults(gen_features_Everything_read_root(&m.r));
	assert_int_equal(capn_reader_error(&m.r), CAPN_OK);

	/* A struct with no sections at all (the oldest possible version). */
	msg_init(&m);
	capn_builder_root(&m.b, 0, 0);
	msg_read(&m);
	check_all_defaults(gen_features_Everything_read_root(&m.r));
	assert_int_equal(capn_reader_error(&m.r), CAPN_OK);
}

/* Setting a field to its default stores zero: defaults are XORed. */
static void test_defaults_are_xored(void **state)
{
	(void)state;
	static struct msg m;
	msg_init(&m);
	gen_features_Everything_b e = gen_features_Everything_new_root(&m.b);
	gen_features_Everything_set_b(e, true);
	gen_features_Everything_set_i8(e, -8);
	gen_features_Everything_set_i16(e, -1616);
	gen_features_Everything_set_i32(e, -323232);
	gen_features_Everything_set_i64(e, -646464646464ll);
	gen_features_Everything_set_u8(e, 208);
	gen_features_Everything_set_u16(e, 61616);
	gen_features_Everything_set_u32(e, 3232323232u);
	gen_features_Everything_set_u64(e, 12345678901234567890ull);
	gen_features_Everything_set_f32(e, 1.5f);
	gen_features_Everything_set_f64(e, -2.25);
	gen_features_Everything_set_e(e, GEN_FEATURES_COLOR_BLUE);
	gen_features_Everything_grp_set_gx(gen_features_Everything_build_grp(e), 99);
	gen_features_Everything_grp_inner_set_left(
		gen_features_Everything_grp_build_inner(gen_features_Everything_build_grp(e)), 0.75f);
	for (uint32_t i = 0; i < e.s.data_bytes; i++)
		assert_int_equal(e.s.data[i], 0);

	/* and anything else does not */
	gen_features_Everything_set_i8(e, 0);
	unsigned nonzero = 0;
	for (uint32_t i = 0; i < e.s.data_bytes; i++)
		nonzero += e.s.data[i] != 0;
	assert_int_equal(nonzero, 1);
	msg_read(&m);
	gen_features_Everything_r r = gen_features_Everything_read_root(&m.r);
	assert_int_equal(gen_features_Everything_get_i8(r), 0);
}

/* ------------------------------------------------------------------ set and get */

static void test_set_every_field(void **state)
{
	(void)state;
	static struct msg m;
	msg_init(&m);
	gen_features_Everything_b e = gen_features_Everything_new_root(&m.b);
	gen_features_Everything_set_b(e, false);
	gen_features_Everything_set_i8(e, INT8_MIN);
	gen_features_Everything_set_i16(e, INT16_MAX);
	gen_features_Everything_set_i32(e, INT32_MIN);
	gen_features_Everything_set_i64(e, INT64_MAX);
	gen_features_Everything_set_u8(e, 0);
	gen_features_Everything_set_u16(e, 1);
	gen_features_Everything_set_u32(e, UINT32_MAX);
	gen_features_Everything_set_u64(e, 0);
	gen_features_Everything_set_f32(e, -0.0f);
	gen_features_Everything_set_f64(e, NAN);
	SET_TEXT(gen_features_Everything_set_t, e, "");
	assert_int_equal(gen_features_Everything_set_d(e, "\0\1", 2), CAPN_OK);
	gen_features_Inner_b s = gen_features_Everything_init_s(e);
	gen_features_Inner_set_a(s, 0);
	SET_TEXT(gen_features_Inner_set_label, s, "set");
	gen_features_Everything_set_e(e, GEN_FEATURES_COLOR_RED);
	assert_int_equal(gen_features_Everything_set_cap(e, 4), CAPN_OK);
	assert_int_equal(gen_features_Everything_set_anyCap(e, 0), CAPN_OK);
	/* an untyped pointer is filled in through its index */
	assert_int_equal(capn_set_text(e.s, GEN_FEATURES_EVERYTHING_ANY_PTR_INDEX, "any", 3), CAPN_OK);

	capn_list_b lb = gen_features_Everything_init_lBool(e, 10);
	capn_list_set_bool(lb, 9, true);
	capn_list_b li8 = gen_features_Everything_init_lI8(e, 1);
	capn_list_set_u8(li8, 0, (uint8_t)-100);
	capn_list_b lu64 = gen_features_Everything_init_lU64(e, 1);
	capn_list_set_u64(lu64, 0, 99);
	capn_list_b lf32 = gen_features_Everything_init_lF32(e, 1);
	capn_list_set_u32(lf32, 0, capn_f32_to_bits(2.5f));
	capn_list_b lt = gen_features_Everything_init_lText(e, 2);
	assert_int_equal(capn_set_text(capn_list_ptr_elem(lt, 1), 0, "second", 6), CAPN_OK);
	gen_features_Inner_list_b ls = gen_features_Everything_init_lStruct(e, 3);
	gen_features_Inner_set_a(gen_features_Inner_list_at(ls, 2), 33);
	capn_list_b le = gen_features_Everything_init_lEnum(e, 1);
	capn_list_set_u16(le, 0, GEN_FEATURES_COLOR_BLUE);
	capn_list_b ll = gen_features_Everything_init_lList(e, 2);
	capn_list_b inner = capn_init_list(capn_list_ptr_elem(ll, 1), 0, CAPN_SZ_2BYTES, 2);
	capn_list_set_u16(inner, 1, (uint16_t)-7);
	capn_list_b lif = gen_features_Everything_init_lIface(e, 2);
	assert_int_equal(capn_set_cap(capn_list_ptr_elem(lif, 0), 0, 12), CAPN_OK);
	gen_features_Everything_init_lVoid(e, 5);
	gen_features_Everything_set_plainBool(e, true);
	gen_features_Everything_Deep_set_z(gen_features_Everything_init_nested(e), 127);

	assert_int_equal(gen_features_Everything_set_uText(e, "chosen", 6), CAPN_OK);
	gen_features_Everything_grp_b grp = gen_features_Everything_build_grp(e);
	gen_features_Everything_grp_set_gx(grp, 0);
	capn_list_b right = gen_features_Everything_grp_inner_init_right(
		gen_features_Everything_grp_build_inner(grp), 1);
	assert_int_equal(capn_set_text(capn_list_ptr_elem(right, 0), 0, "R", 1), CAPN_OK);

	msg_read(&m);
	gen_features_Everything_r r = gen_features_Everything_read_root(&m.r);
	assert_false(gen_features_Everything_get_b(r));
	assert_int_equal(gen_features_Everything_get_i8(r), INT8_MIN);
	assert_int_equal(gen_features_Everything_get_i16(r), INT16_MAX);
	assert_int_equal(gen_features_Everything_get_i32(r), INT32_MIN);
	assert_true(gen_features_Everything_get_i64(r) == INT64_MAX);
	assert_int_equal(gen_features_Everything_get_u8(r), 0);
	assert_int_equal(gen_features_Everything_get_u16(r), 1);
	assert_true(gen_features_Everything_get_u32(r) == UINT32_MAX);
	assert_true(gen_features_Everything_get_u64(r) == 0);
	assert_true(gen_features_Everything_get_f32(r) == 0.0f);
	assert_true(signbit(gen_features_Everything_get_f32(r)));
	assert_true(isnan(gen_features_Everything_get_f64(r)));
	assert_true(gen_features_Everything_has_t(r));
	assert_text(gen_features_Everything_get_t(r), ""); /* set to "", not the default */
	assert_int_equal(gen_features_Everything_get_d(r).len, 2);
	assert_memory_equal(gen_features_Everything_get_d(r).ptr, "\0\1", 2);
	gen_features_Inner_r rs = gen_features_Everything_get_s(r);
	assert_int_equal(gen_features_Inner_get_a(rs), 0);
	assert_text(gen_features_Inner_get_label(rs), "set");
	assert_int_equal(gen_features_Everything_get_e(r), GEN_FEATURES_COLOR_RED);
	assert_int_equal(gen_features_Everything_get_cap(r), 4);
	assert_int_equal(gen_features_Everything_get_anyCap(r), 0);
	assert_true(gen_features_Everything_has_any(r));
	assert_text(capn_get_text(r.s, GEN_FEATURES_EVERYTHING_ANY_PTR_INDEX, NULL, 0), "any");

	capn_list_r rlb = gen_features_Everything_get_lBool(r);
	assert_int_equal(capn_list_len(rlb), 10);
	assert_false(capn_list_get_bool(rlb, 0));
	assert_true(capn_list_get_bool(rlb, 9));
	assert_int_equal((int8_t)capn_list_get_u8(gen_features_Everything_get_lI8(r), 0), -100);
	assert_true(capn_list_get_u64(gen_features_Everything_get_lU64(r), 0) == 99);
	assert_true(capn_bits_to_f32(capn_list_get_u32(gen_features_Everything_get_lF32(r), 0)) == 2.5f);
	capn_list_r rlt = gen_features_Everything_get_lText(r);
	assert_text(capn_list_get_text(rlt, 0), "");
	assert_text(capn_list_get_text(rlt, 1), "second");
	gen_features_Inner_list_r rls = gen_features_Everything_get_lStruct(r);
	assert_int_equal(gen_features_Inner_list_len(rls), 3);
	assert_int_equal(gen_features_Inner_get_a(gen_features_Inner_list_get(rls, 0)), 7);
	assert_int_equal(gen_features_Inner_get_a(gen_features_Inner_list_get(rls, 2)), 33);
	assert_int_equal(capn_list_get_u16(gen_features_Everything_get_lEnum(r), 0), GEN_FEATURES_COLOR_BLUE);
	capn_list_r rll = gen_features_Everything_get_lList(r);
	assert_int_equal(capn_list_len(capn_list_get_list(rll, 0, CAPN_LIST_2BYTES)), 0);
	assert_int_equal((int16_t)capn_list_get_u16(capn_list_get_list(rll, 1, CAPN_LIST_2BYTES), 1), -7);
	capn_list_r rlif = gen_features_Everything_get_lIface(r);
	assert_int_equal(capn_list_get_cap(rlif, 0), 12);
	assert_int_equal(capn_list_get_cap(rlif, 1), CAPN_NULL_CAP);
	assert_int_equal(capn_list_len(gen_features_Everything_get_lVoid(r)), 5);
	assert_true(gen_features_Everything_get_plainBool(r));
	assert_int_equal(gen_features_Everything_Deep_get_z(gen_features_Everything_get_nested(r)), 127);

	assert_int_equal(gen_features_Everything_which(r), GEN_FEATURES_EVERYTHING_WHICH_U_TEXT);
	assert_text(gen_features_Everything_get_uText(r), "chosen");
	assert_int_equal(gen_features_Everything_get_uInt(r), 5);
	gen_features_Everything_grp_r rg = gen_features_Everything_get_grp(r);
	assert_int_equal(gen_features_Everything_grp_get_gx(rg), 0);
	gen_features_Everything_grp_inner_r ri = gen_features_Everything_grp_get_inner(rg);
	assert_int_equal(gen_features_Everything_grp_inner_which(ri),
	                 GEN_FEATURES_EVERYTHING_GRP_INNER_WHICH_RIGHT);
	assert_true(gen_features_Everything_grp_inner_get_left(ri) == 0.75f); /* inactive */
	assert_text(capn_list_get_text(gen_features_Everything_grp_inner_get_right(ri), 0), "R");
	assert_int_equal(capn_reader_error(&m.r), CAPN_OK);
}

static void test_union_members(void **state)
{
	(void)state;
	static struct msg m;
	struct capn_reader r;
	msg_init(&m);
	gen_features_Everything_b e = gen_features_Everything_new_root(&m.b);

	gen_features_Everything_set_uInt(e, -1);
	assert_int_equal(capn_builder_as_reader(&m.b, &r), CAPN_OK);
	gen_features_Everything_r rr = gen_features_Everything_read_root(&r);
	assert_int_equal(gen_features_Everything_which(rr), GEN_FEATURES_EVERYTHING_WHICH_U_INT);
	assert_int_equal(gen_features_Everything_get_uInt(rr), -1);

	gen_features_Inner_set_a(gen_features_Everything_init_uStruct(e), 1234);
	assert_int_equal(capn_builder_as_reader(&m.b, &r), CAPN_OK);
	rr = gen_features_Everything_read_root(&r);
	assert_int_equal(gen_features_Everything_which(rr), GEN_FEATURES_EVERYTHING_WHICH_U_STRUCT);
	assert_true(gen_features_Everything_has_uStruct(rr));
	assert_int_equal(gen_features_Inner_get_a(gen_features_Everything_get_uStruct(rr)), 1234);
	/* uText shares the pointer: reading it while uStruct is set must not
	 * misread the struct as text */
	assert_false(gen_features_Everything_has_uText(rr));
	assert_text(gen_features_Everything_get_uText(rr), "union default");
	assert_int_equal(gen_features_Everything_get_uInt(rr), 5);

	gen_features_Everything_uGroup_b ug = gen_features_Everything_build_uGroup(e);
	gen_features_Everything_uGroup_set_x(ug, 1);
	SET_TEXT(gen_features_Everything_uGroup_set_y, ug, "y");
	assert_int_equal(capn_builder_as_reader(&m.b, &r), CAPN_OK);
	rr = gen_features_Everything_read_root(&r);
	assert_int_equal(gen_features_Everything_which(rr), GEN_FEATURES_EVERYTHING_WHICH_U_GROUP);
	assert_int_equal(gen_features_Everything_uGroup_get_x(gen_features_Everything_get_uGroup(rr)), 1);
	assert_text(gen_features_Everything_uGroup_get_y(gen_features_Everything_get_uGroup(rr)), "y");

	gen_features_Everything_set_uAny(e);
	assert_int_equal(capn_builder_as_reader(&m.b, &r), CAPN_OK);
	rr = gen_features_Everything_read_root(&r);
	assert_int_equal(gen_features_Everything_which(rr), GEN_FEATURES_EVERYTHING_WHICH_U_ANY);
	/* an inactive group reads as all defaults */
	assert_int_equal(gen_features_Everything_uGroup_get_x(gen_features_Everything_get_uGroup(rr)), 16);

	gen_features_Everything_set_uVoid(e);
	assert_int_equal(capn_builder_as_reader(&m.b, &r), CAPN_OK);
	assert_int_equal(gen_features_Everything_which(gen_features_Everything_read_root(&r)),
	                 GEN_FEATURES_EVERYTHING_WHICH_U_VOID);
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
}

/* ------------------------------------------------------------------ evolution */

static void test_old_struct_new_reader(void **state)
{
	(void)state;
	static struct msg m;
	msg_init(&m);
	gen_features_Version1_set_a(gen_features_Version1_new_root(&m.b), 5);
	msg_read(&m);
	gen_features_Version2_r v = gen_features_Version2_read_root(&m.r);
	assert_int_equal(gen_features_Version2_get_a(v), 5);
	assert_true(gen_features_Version2_get_b(v) == 77);
	assert_text(gen_features_Version2_get_c(v), "new");
	assert_false(gen_features_Version2_has_d(v));
	assert_int_equal(gen_features_Inner_get_a(gen_features_Version2_get_d(v)), 7);
	capn_list_r e = gen_features_Version2_get_e(v);
	assert_int_equal(capn_list_len(e), 2);
	assert_int_equal(capn_list_get_u32(e, 1), 5);

	/* and the other way round: an old reader ignores the new fields */
	msg_init(&m);
	gen_features_Version2_b n = gen_features_Version2_new_root(&m.b);
	gen_features_Version2_set_a(n, 6);
	gen_features_Version2_set_b(n, 1);
	msg_read(&m);
	assert_int_equal(gen_features_Version1_get_a(gen_features_Version1_read_root(&m.r)), 6);
	assert_int_equal(GEN_FEATURES_VERSION1_DATA_WORDS, 1);
	assert_int_equal(GEN_FEATURES_VERSION2_DATA_WORDS, 2);
	assert_int_equal(GEN_FEATURES_VERSION2_PTR_COUNT, 3);
}

/* ------------------------------------------------------------------ constants */

static void test_constants(void **state)
{
	(void)state;
	assert_true(GEN_FEATURES_C_BOOL);
	assert_int_equal(GEN_FEATURES_C_I8, -128);
	assert_int_equal(GEN_FEATURES_C_U32, 42);
	assert_true(GEN_FEATURES_C_I64 == INT64_MIN);
	assert_true(GEN_FEATURES_C_U64 == UINT64_MAX);
	assert_true(GEN_FEATURES_C_F32 == 0.25f);
	assert_true(isinf(GEN_FEATURES_C_F64) && GEN_FEATURES_C_F64 < 0);
	assert_string_equal(GEN_FEATURES_C_TEXT, "const text");
	capn_data d = GEN_FEATURES_C_DATA;
	assert_int_equal(d.len, 3);
	assert_memory_equal(d.ptr, "\x00\x01\xff", 3);
	gen_features_Inner_r s = GEN_FEATURES_C_STRUCT;
	assert_int_equal(gen_features_Inner_get_a(s), 3);
	assert_text(gen_features_Inner_get_label(s), "c");
	gen_features_Inner_list_r l = GEN_FEATURES_C_LIST;
	assert_int_equal(gen_features_Inner_list_len(l), 2);
	assert_int_equal(gen_features_Inner_get_a(gen_features_Inner_list_get(l, 1)), 10);
	assert_text(gen_features_Inner_get_label(gen_features_Inner_list_get(l, 1)), "inner");
	capn_list_r u8 = GEN_FEATURES_C_LIST_U8;
	assert_int_equal(capn_list_len(u8), 3);
	assert_int_equal(capn_list_get_u8(u8, 2), 3);
	assert_int_equal(GEN_FEATURES_C_ENUM, GEN_FEATURES_COLOR_GREEN);
	assert_int_equal(GEN_FEATURES_EVERYTHING_DEEP_LIMIT, 500);
}

/* A value the capnp compiler encoded, read through the generated accessors. */
static void test_capnp_encoded_sample(void **state)
{
	(void)state;
	gen_features_Everything_r e = GEN_FEATURES_SAMPLE;
	assert_false(gen_features_Everything_get_b(e));
	assert_int_equal(gen_features_Everything_get_i8(e), 100);
	assert_int_equal(gen_features_Everything_get_i16(e), 1000);
	assert_int_equal(gen_features_Everything_get_i32(e), -7);
	assert_true(gen_features_Everything_get_i64(e) == 1234567890123ll);
	assert_int_equal(gen_features_Everything_get_u8(e), 1);
	assert_int_equal(gen_features_Everything_get_u16(e), 2);
	assert_int_equal(gen_features_Everything_get_u32(e), 3);
	assert_true(gen_features_Everything_get_u64(e) == 4);
	assert_true(gen_features_Everything_get_f32(e) == -0.5f);
	assert_true(gen_features_Everything_get_f64(e) == 1e100);
	assert_text(gen_features_Everything_get_t(e), "sample");
	assert_memory_equal(gen_features_Everything_get_d(e).ptr, "\x01\x02", 2);
	assert_int_equal(gen_features_Inner_get_a(gen_features_Everything_get_s(e)), 5);
	assert_text(gen_features_Inner_get_label(gen_features_Everything_get_s(e)), "five");
	assert_int_equal(gen_features_Everything_get_e(e), GEN_FEATURES_COLOR_RED);
	assert_int_equal(capn_list_len(gen_features_Everything_get_lBool(e)), 2);
	assert_true(capn_list_get_bool(gen_features_Everything_get_lBool(e), 1));
	assert_int_equal(capn_list_len(gen_features_Everything_get_lI8(e)), 0); /* set: not the default */
	assert_text(capn_list_get_text(gen_features_Everything_get_lText(e), 0), "x");
	gen_features_Inner_r ls0 = gen_features_Inner_list_get(gen_features_Everything_get_lStruct(e), 0);
	assert_int_equal(gen_features_Inner_get_a(ls0), 100);
	assert_text(gen_features_Inner_get_label(ls0), "hundred");
	assert_int_equal(capn_list_get_u16(capn_list_get_list(gen_features_Everything_get_lList(e), 0,
	                                                      CAPN_LIST_2BYTES), 0), 7);
	assert_int_equal(capn_list_get_u16(gen_features_Everything_get_lEnum(e), 0), GEN_FEATURES_COLOR_BLUE);
	assert_true(gen_features_Everything_get_plainBool(e));
	assert_text(gen_features_Everything_get_plainText(e), "plain");
	assert_int_equal(gen_features_Everything_which(e), GEN_FEATURES_EVERYTHING_WHICH_U_GROUP);
	assert_int_equal(gen_features_Everything_uGroup_get_x(gen_features_Everything_get_uGroup(e)), 3);
	assert_text(gen_features_Everything_uGroup_get_y(gen_features_Everything_get_uGroup(e)), "why");
	gen_features_Everything_grp_r g = gen_features_Everything_get_grp(e);
	assert_int_equal(gen_features_Everything_grp_get_gx(g), 1);
	gen_features_Everything_grp_inner_r in = gen_features_Everything_grp_get_inner(g);
	assert_int_equal(gen_features_Everything_grp_inner_which(in),
	                 GEN_FEATURES_EVERYTHING_GRP_INNER_WHICH_RIGHT);
	assert_text(capn_list_get_text(gen_features_Everything_grp_inner_get_right(in), 1), "r2");
	assert_int_equal(gen_features_Everything_Deep_get_z(gen_features_Everything_get_nested(e)), 9);
	gen_features_Box_r box = gen_features_Everything_get_boxed(e);
	assert_true(gen_features_Box_has_item(box));
	assert_text(capn_get_text(box.s, GEN_FEATURES_BOX_ITEM_PTR_INDEX, NULL, 0), "boxed text");
	/* fields the sample leaves out keep their defaults */
	assert_true(gen_features_Everything_get_u64(e) != 12345678901234567890ull);
	assert_text(capn_list_get_text(gen_features_Everything_get_lData(e), 0), "");
	assert_int_equal(capn_list_len(gen_features_Everything_get_lData(e)), 2);
}

/* ------------------------------------------------------------------ names, tables */

static void test_interfaces_and_enums(void **state)
{
	(void)state;
	assert_int_equal(gen_features_interface_count, 2);
	const struct capn_interface_info *n = gen_features_interface_by_name("Iface.Nested", 12);
	assert_non_null(n);
	assert_true(n->id == GEN_FEATURES_IFACE_NESTED_INTERFACE_ID);
	assert_string_equal(n->methods[GEN_FEATURES_IFACE_NESTED_METHOD_PING].name, "ping");
	assert_ptr_equal(gen_features_interface_by_id(GEN_FEATURES_IFACE_INTERFACE_ID),
	                 &gen_features_interfaces[0]);
	assert_null(gen_features_interface_by_name("Nested", 6));
	assert_int_equal(GEN_FEATURES_IFACE_METHOD_ECHO, 1);
	assert_string_equal(gen_features_Color_name(GEN_FEATURES_COLOR_BLUE), "blue");
	assert_null(gen_features_Color_name(3));

	/* implicit parameter structs, with a capability result */
	static struct msg m;
	msg_init(&m);
	gen_features_Iface_call_Results_b res = gen_features_Iface_call_Results_new_root(&m.b);
	SET_TEXT(gen_features_Iface_call_Results_set_y, res, "y");
	assert_int_equal(gen_features_Iface_call_Results_set_cap(res, 1), CAPN_OK);
	msg_read(&m);
	gen_features_Iface_call_Results_r rr = gen_features_Iface_call_Results_read_root(&m.r);
	assert_text(gen_features_Iface_call_Results_get_y(rr), "y");
	assert_int_equal(gen_features_Iface_call_Results_get_cap(rr), 1);
	assert_int_equal(GEN_FEATURES_IFACE_CALL_PARAMS_DATA_WORDS, 1);
	assert_int_equal(GEN_FEATURES_IFACE_CALL_PARAMS_PTR_COUNT, 1);
}

/* ------------------------------------------------------------------ bootstrap */

/* The CodeGeneratorRequest for gen_features.capnp, as capnp sends it to a
 * plugin (made by `capnp compile -o-`, see mk/capnpc.mk). */
static uint8_t *request;
static size_t request_len;

static int load_request(void **state)
{
	(void)state;
	FILE *f = fopen(CAPNPC_TEST_REQUEST, "rb");
	if (!f)
		return -1;
	request = malloc(1 << 20);
	request_len = fread(request, 1, 1 << 20, f);
	fclose(f);
	return request_len > 0 && request_len < (1 << 20) ? 0 : -1;
}

static int free_request(void **state)
{
	(void)state;
	free(request);
	return 0;
}

static void assert_same_text(capn_text a, capn_text b)
{
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.str, b.str, a.len);
}

static void check_type(capn_struct_r hand, schema_Type_r gen)
{
	assert_int_equal(type_which(hand), schema_Type_which(gen));
	switch (type_which(hand)) {
	case SCHEMA_TYPE_WHICH_LIST:
		check_type(type_list_elem(hand), schema_Type_list__get_elementType(schema_Type_get_list(gen)));
		break;
	case SCHEMA_TYPE_WHICH_ENUM:
		assert_true(type_type_id(hand) == schema_Type_enum_get_typeId(schema_Type_get_enum(gen)));
		break;
	case SCHEMA_TYPE_WHICH_STRUCT:
		assert_true(type_type_id(hand) == schema_Type_struct_get_typeId(schema_Type_get_struct(gen)));
		break;
	case SCHEMA_TYPE_WHICH_INTERFACE:
		assert_true(type_type_id(hand) ==
		            schema_Type_interface_get_typeId(schema_Type_get_interface(gen)));
		break;
	case SCHEMA_TYPE_WHICH_ANY_POINTER: {
		schema_Type_anyPointer_r ap = schema_Type_get_anyPointer(gen);
		assert_int_equal(type_anyptr_which(hand), schema_Type_anyPointer_which(ap));
		if (type_anyptr_which(hand) == 0)
			assert_int_equal(type_anyptr_unconstrained(hand),
			                 schema_Type_anyPointer_unconstrained_which(
					 schema_Type_anyPointer_get_unconstrained(ap)));
		break;
	}
	}
}

static void check_value(capn_struct_r hand, schema_Value_r gen)
{
	assert_int_equal(value_which(hand), schema_Value_which(gen));
	switch (schema_Value_which(gen)) {
	case SCHEMA_VALUE_WHICH_BOOL: assert_int_equal(value_bool(hand), schema_Value_get_bool(gen)); break;
	case SCHEMA_VALUE_WHICH_INT8: assert_int_equal((int8_t)value_u8(hand), schema_Value_get_int8(gen)); break;
	case SCHEMA_VALUE_WHICH_UINT16: assert_int_equal(value_u16(hand), schema_Value_get_uint16(gen)); break;
	case SCHEMA_VALUE_WHICH_ENUM: assert_int_equal(value_u16(hand), schema_Value_get_enum(gen)); break;
	case SCHEMA_VALUE_WHICH_INT32: assert_int_equal((int32_t)value_u32(hand), schema_Value_get_int32(gen)); break;
	case SCHEMA_VALUE_WHICH_FLOAT32:
		assert_int_equal(value_u32(hand), capn_f32_to_bits(schema_Value_get_float32(gen)));
		break;
	case SCHEMA_VALUE_WHICH_UINT64: assert_true(value_u64(hand) == schema_Value_get_uint64(gen)); break;
	case SCHEMA_VALUE_WHICH_INT64: assert_true((int64_t)value_u64(hand) == schema_Value_get_int64(gen)); break;
	case SCHEMA_VALUE_WHICH_TEXT:
		assert_same_text(capn_get_text(hand, VALUE_PTR, NULL, 0), schema_Value_get_text(gen));
		break;
	case SCHEMA_VALUE_WHICH_DATA:
		assert_int_equal(capn_get_data(hand, VALUE_PTR, NULL, 0).len, schema_Value_get_data(gen).len);
		break;
	default:
		assert_int_equal(capn_has_ptr(hand, VALUE_PTR), capn_has_ptr(gen.s, SCHEMA_VALUE_STRUCT_PTR_INDEX));
		break;
	}
}

static void check_node(capn_struct_r hand, schema_Node_r gen)
{
	assert_true(node_id(hand) == schema_Node_get_id(gen));
	assert_same_text(node_display_name(hand), schema_Node_get_displayName(gen));
	assert_true(node_scope_id(hand) == schema_Node_get_scopeId(gen));
	assert_int_equal(node_which(hand), schema_Node_which(gen));
	capn_list_r hn = node_nested_nodes(hand);
	schema_Node_NestedNode_list_r gn = schema_Node_get_nestedNodes(gen);
	assert_int_equal(capn_list_len(hn), schema_Node_NestedNode_list_len(gn));
	for (uint32_t i = 0; i < capn_list_len(hn); i++) {
		capn_struct_r h = capn_list_get_struct(hn, i);
		schema_Node_NestedNode_r g = schema_Node_NestedNode_list_get(gn, i);
		assert_same_text(nested_name(h), schema_Node_NestedNode_get_name(g));
		assert_true(nested_id(h) == schema_Node_NestedNode_get_id(g));
	}

	switch (schema_Node_which(gen)) {
	case SCHEMA_NODE_WHICH_STRUCT: {
		schema_Node_struct_r st = schema_Node_get_struct(gen);
		assert_int_equal(node_struct_data_words(hand), schema_Node_struct_get_dataWordCount(st));
		assert_int_equal(node_struct_ptr_count(hand), schema_Node_struct_get_pointerCount(st));
		assert_int_equal(node_struct_is_group(hand), schema_Node_struct_get_isGroup(st));
		assert_int_equal(node_struct_disc_count(hand), schema_Node_struct_get_discriminantCount(st));
		assert_int_equal(node_struct_disc_offset(hand), schema_Node_struct_get_discriminantOffset(st));
		capn_list_r hf = node_struct_fields(hand);
		schema_Field_list_r gf = schema_Node_struct_get_fields(st);
		assert_int_equal(capn_list_len(hf), schema_Field_list_len(gf));
		for (uint32_t i = 0; i < capn_list_len(hf); i++) {
			capn_struct_r h = capn_list_get_struct(hf, i);
			schema_Field_r g = schema_Field_list_get(gf, i);
			assert_same_text(field_name(h), schema_Field_get_name(g));
			assert_int_equal(field_code_order(h), schema_Field_get_codeOrder(g));
			assert_int_equal(field_disc_value(h), schema_Field_get_discriminantValue(g));
			assert_int_equal(field_which(h), schema_Field_which(g));
			if (schema_Field_which(g) == SCHEMA_FIELD_WHICH_GROUP) {
				assert_true(field_group_type_id(h) ==
				            schema_Field_group_get_typeId(schema_Field_get_group(g)));
				continue;
			}
			schema_Field_slot_r sl = schema_Field_get_slot(g);
			assert_int_equal(field_slot_offset(h), schema_Field_slot_get_offset(sl));
			assert_int_equal(field_slot_had_default(h), schema_Field_slot_get_hadExplicitDefault(sl));
			check_type(field_slot_type(h), schema_Field_slot_get_type(sl));
			check_value(field_slot_default(h), schema_Field_slot_get_defaultValue(sl));
		}
		break;
	}
	case SCHEMA_NODE_WHICH_ENUM: {
		capn_list_r he = node_enum_enumerants(hand);
		schema_Enumerant_list_r ge = schema_Node_enum_get_enumerants(schema_Node_get_enum(gen));
		assert_int_equal(capn_list_len(he), schema_Enumerant_list_len(ge));
		for (uint32_t i = 0; i < capn_list_len(he); i++) {
			capn_struct_r h = capn_list_get_struct(he, i);
			schema_Enumerant_r g = schema_Enumerant_list_get(ge, i);
			assert_same_text(enumerant_name(h), schema_Enumerant_get_name(g));
			assert_int_equal(enumerant_code_order(h), schema_Enumerant_get_codeOrder(g));
		}
		break;
	}
	case SCHEMA_NODE_WHICH_INTERFACE: {
		capn_list_r hm = node_interface_methods(hand);
		schema_Method_list_r gm = schema_Node_interface_get_methods(schema_Node_get_interface(gen));
		assert_int_equal(capn_list_len(hm), schema_Method_list_len(gm));
		for (uint32_t i = 0; i < capn_list_len(hm); i++) {
			capn_struct_r h = capn_list_get_struct(hm, i);
			schema_Method_r g = schema_Method_list_get(gm, i);
			assert_same_text(method_name(h), schema_Method_get_name(g));
			assert_int_equal(method_code_order(h), schema_Method_get_codeOrder(g));
			assert_true(method_param_type(h) == schema_Method_get_paramStructType(g));
			assert_true(method_result_type(h) == schema_Method_get_resultStructType(g));
		}
		break;
	}
	case SCHEMA_NODE_WHICH_CONST: {
		schema_Node_const_r c = schema_Node_get_const(gen);
		check_type(node_const_type(hand), schema_Node_const_get_type(c));
		check_value(node_const_value(hand), schema_Node_const_get_value(c));
		break;
	}
	default:
		break;
	}
}

static void test_bootstrap_offsets(void **state)
{
	(void)state;
	static struct capn_reader r;
	assert_int_equal(capn_reader_init_framed(&r, request, request_len, NULL, NULL), CAPN_OK);
	capn_struct_r root = capn_reader_root(&r);
	schema_CodeGeneratorRequest_r groot = schema_CodeGeneratorRequest_read_root(&r);

	capn_list_r hn = req_nodes(root);
	schema_Node_list_r gn = schema_CodeGeneratorRequest_get_nodes(groot);
	assert_true(capn_list_len(hn) > 20);
	assert_int_equal(capn_list_len(hn), schema_Node_list_len(gn));
	unsigned kinds = 0;
	for (uint32_t i = 0; i < capn_list_len(hn); i++) {
		check_node(capn_list_get_struct(hn, i), schema_Node_list_get(gn, i));
		kinds |= 1u << schema_Node_which(schema_Node_list_get(gn, i));
	}
	/* files, structs, enums, interfaces and consts were all compared */
	assert_int_equal(kinds & 0x1f, 0x1f);

	capn_list_r hf = req_requested_files(root);
	schema_CodeGeneratorRequest_RequestedFile_list_r gf =
		schema_CodeGeneratorRequest_get_requestedFiles(groot);
	assert_int_equal(capn_list_len(hf), 1);
	assert_int_equal(schema_CodeGeneratorRequest_RequestedFile_list_len(gf), 1);
	capn_struct_r h0 = capn_list_get_struct(hf, 0);
	schema_CodeGeneratorRequest_RequestedFile_r g0 = schema_CodeGeneratorRequest_RequestedFile_list_get(gf, 0);
	assert_true(rfile_id(h0) == schema_CodeGeneratorRequest_RequestedFile_get_id(g0));
	assert_text(rfile_filename(h0), "gen_features.capnp");
	assert_same_text(rfile_filename(h0), schema_CodeGeneratorRequest_RequestedFile_get_filename(g0));

	capn_list_r hs = req_source_info(root);
	schema_Node_SourceInfo_list_r gs = schema_CodeGeneratorRequest_get_sourceInfo(groot);
	assert_int_equal(capn_list_len(hs), schema_Node_SourceInfo_list_len(gs));
	for (uint32_t i = 0; i < capn_list_len(hs); i++) {
		capn_struct_r h = capn_list_get_struct(hs, i);
		schema_Node_SourceInfo_r g = schema_Node_SourceInfo_list_get(gs, i);
		assert_true(srcinfo_id(h) == schema_Node_SourceInfo_get_id(g));
		assert_same_text(srcinfo_doc(h), schema_Node_SourceInfo_get_docComment(g));
		assert_int_equal(capn_list_len(srcinfo_members(h)),
		                 schema_Node_SourceInfo_Member_list_len(schema_Node_SourceInfo_get_members(g)));
	}
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_of_empty_struct),
		cmocka_unit_test(test_defaults_are_xored),
		cmocka_unit_test(test_set_every_field),
		cmocka_unit_test(test_union_members),
		cmocka_unit_test(test_old_struct_new_reader),
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_capnp_encoded_sample),
		cmocka_unit_test(test_interfaces_and_enums),
		cmocka_unit_test_setup_teardown(test_bootstrap_offsets, load_request, free_request),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
