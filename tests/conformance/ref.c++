// ref.c++ - the reference side of the conformance tests: Debian's C++
// libcapnp building and checking the messages of tests/conformance/values.h.
//
//   ref write CASE FILE        build CASE with libcapnp, write it framed to FILE
//   ref read CASE FILE [c]     read FILE (built by the C side) with libcapnp and
//                              check every value; exit 1 on any mismatch.
//                              With "c", also check the framing properties the
//                              C writer promises (multi-segment, double far).
//
// Besides the field-by-field checks, `read` compares the whole message with
// one libcapnp builds itself (AnyStruct equality), so a stray or missing
// field fails too.

#include "conformance.capnp.h"
#include "values.h"

#include <capnp/any.h>
#include <capnp/capability.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>
#include <kj/debug.h>
#include <kj/exception.h>
#include <kj/string.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <type_traits>
#include <unistd.h>

namespace {

int failures = 0;

void fail(int line, const std::string &what)
{
	fprintf(stderr, "ref.c++:%d: %s\n", line, what.c_str());
	failures++;
}

std::string show(capnp::Text::Reader t) { return std::string("\"") + t.cStr() + "\""; }
std::string show(bool v) { return v ? "true" : "false"; }
std::string show(float v) { char b[64]; snprintf(b, sizeof b, "%.9g", (double)v); return b; }
std::string show(double v) { char b[64]; snprintf(b, sizeof b, "%.17g", v); return b; }
template <typename T> std::string show(T v) { return std::to_string(v); }

// Integers compare by value whatever their types' signedness.
template <typename A, typename B>
bool same(const A &a, const B &b)
{
	if constexpr (std::is_integral_v<A> && std::is_integral_v<B>)
		return (__int128)a == (__int128)b;
	else
		return a == b;
}

template <typename A, typename B>
void checkEq(int line, const char *expr, const A &a, const B &b)
{
	if (!same(a, b))
		fail(line, std::string(expr) + ": got " + show(a) + ", want " + show(b));
}

#define CHECK(c) do { if (!(c)) fail(__LINE__, "check failed: " #c); } while (0)
#define CHECK_EQ(a, b) checkEq(__LINE__, #a, (a), (b))
#define CHECK_TEXT(a, b) checkEq(__LINE__, #a, (a), capnp::Text::Reader(b))
#define CHECK_ENUM(a, b) checkEq(__LINE__, #a, (int)(a), (int)(b))

bool dataEq(capnp::Data::Reader d, const uint8_t *p, size_t n)
{
	return d.size() == n && (n == 0 || memcmp(d.begin(), p, n) == 0);
}

// ------------------------------------------------------------------ scalars

void writeScalars(capnp::MessageBuilder &m)
{
	auto r = m.initRoot<Scalars>();
	r.setB(SC_B);
	r.setI8(SC_I8);
	r.setI16(SC_I16);
	r.setI32(SC_I32);
	r.setI64(SC_I64);
	r.setU8(SC_U8);
	r.setU16(SC_U16);
	r.setU32(SC_U32);
	r.setU64(SC_U64);
	r.setF32(SC_F32);
	r.setF64(SC_F64);
	r.setE(static_cast<Color>(SC_E));
	r.setF32b(INFINITY);
	r.setF64b(NAN);
	r.setI32b(SC_I32B);
	r.setI64b(SC_I64B);
}

void checkScalars(capnp::MessageReader &m)
{
	auto r = m.getRoot<Scalars>();
	CHECK_EQ(r.getB(), (bool)SC_B);
	CHECK_EQ(r.getI8(), SC_I8);
	CHECK_EQ(r.getI16(), SC_I16);
	CHECK_EQ(r.getI32(), SC_I32);
	CHECK_EQ(r.getI64(), SC_I64);
	CHECK_EQ(r.getU8(), SC_U8);
	CHECK_EQ(r.getU16(), SC_U16);
	CHECK_EQ(r.getU32(), SC_U32);
	CHECK_EQ(r.getU64(), SC_U64);
	CHECK_EQ(r.getF32(), SC_F32);
	CHECK_EQ(r.getF64(), SC_F64);
	CHECK_ENUM(r.getE(), SC_E);
	CHECK(std::isinf(r.getF32b()) && r.getF32b() > 0);
	CHECK(std::isnan(r.getF64b()));
	CHECK_EQ(r.getI32b(), SC_I32B);
	CHECK_EQ(r.getI64b(), SC_I64B);
}

// ------------------------------------------------------------------ bools

void writeBools(capnp::MessageBuilder &m)
{
	auto r = m.initRoot<Bools>();
	r.setB0(BOOLS_BITS[0]);
	r.setB1(BOOLS_BITS[1]);
	r.setB2(BOOLS_BITS[2]);
	r.setB3(BOOLS_BITS[3]);
	r.setB4(BOOLS_BITS[4]);
	r.setB5(BOOLS_BITS[5]);
	r.setB6(BOOLS_BITS[6]);
	r.setB7(BOOLS_BITS[7]);
	r.setMid(BOOLS_MID);
	r.setB8(BOOLS_BITS[8]);
	r.setB9(BOOLS_BITS[9]);
	r.setB10(BOOLS_BITS[10]);
	r.setB11(BOOLS_BITS[11]);
}

void checkBools(capnp::MessageReader &m)
{
	auto r = m.getRoot<Bools>();
	const bool got[12] = { r.getB0(), r.getB1(), r.getB2(), r.getB3(), r.getB4(), r.getB5(),
	                       r.getB6(), r.getB7(), r.getB8(), r.getB9(), r.getB10(), r.getB11() };
	for (int i = 0; i < 12; i++)
		CHECK_EQ(got[i], (bool)BOOLS_BITS[i]);
	CHECK_EQ(r.getMid(), BOOLS_MID);
}

// ------------------------------------------------------------------ defaults

void writeDefaultsUnset(capnp::MessageBuilder &m)
{
	m.initRoot<Defaults>();
}

void checkDefaultsUnset(capnp::MessageReader &m)
{
	auto r = m.getRoot<Defaults>();
	CHECK_EQ(r.getB(), (bool)DEF_B);
	CHECK_EQ(r.getI8(), DEF_I8);
	CHECK_EQ(r.getI16(), DEF_I16);
	CHECK_EQ(r.getI32(), DEF_I32);
	CHECK_EQ(r.getI64(), DEF_I64);
	CHECK_EQ(r.getU8(), DEF_U8);
	CHECK_EQ(r.getU16(), DEF_U16);
	CHECK_EQ(r.getU32(), DEF_U32);
	CHECK_EQ(r.getU64(), DEF_U64);
	CHECK_EQ(r.getF32(), DEF_F32);
	CHECK_EQ(r.getF64(), DEF_F64);
	CHECK_ENUM(r.getE(), DEF_E);
	CHECK(!r.hasT() && !r.hasD() && !r.hasS() && !r.hasL() && !r.hasTl() && !r.hasSl());
	CHECK_TEXT(r.getT(), DEF_T);
	CHECK(dataEq(r.getD(), DEF_D, sizeof DEF_D));
	CHECK_EQ(r.getS().getX(), DEF_S_X);
	CHECK_TEXT(r.getS().getName(), DEF_S_NAME);
	CHECK_EQ(r.getL().size(), 3u);
	for (unsigned i = 0; i < 3 && i < r.getL().size(); i++)
		CHECK_EQ(r.getL()[i], DEF_L[i]);
	CHECK_EQ(r.getTl().size(), 2u);
	for (unsigned i = 0; i < 2 && i < r.getTl().size(); i++)
		CHECK_TEXT(r.getTl()[i], DEF_TL[i]);
	CHECK_EQ(r.getSl().size(), 2u);
	for (unsigned i = 0; i < 2 && i < r.getSl().size(); i++) {
		CHECK_EQ(r.getSl()[i].getX(), DEF_SL_X[i]);
		CHECK_TEXT(r.getSl()[i].getName(), DEF_SL_NAME[i]);
	}
}

void writeDefaultsSet(capnp::MessageBuilder &m)
{
	auto r = m.initRoot<Defaults>();
	r.setB(SET_B);
	r.setI8(SET_I8);
	r.setI16(SET_I16);
	r.setI32(SET_I32);
	r.setI64(SET_I64);
	r.setU8(SET_U8);
	r.setU16(SET_U16);
	r.setU32(SET_U32);
	r.setU64(SET_U64);
	r.setF32(SET_F32);
	r.setF64(SET_F64);
	r.setE(static_cast<Color>(SET_E));
	r.setT(SET_T);
	r.initD(0);
	r.initS().setX(SET_S_X);
	r.initL(0);
	auto tl = r.initTl(1);
	tl.set(0, SET_TL[0]);
	auto sl = r.initSl(1);
	sl[0].setX(SET_SL_X);
	sl[0].setName(SET_SL_NAME);
}

void checkDefaultsSet(capnp::MessageReader &m)
{
	auto r = m.getRoot<Defaults>();
	CHECK_EQ(r.getB(), (bool)SET_B);
	CHECK_EQ(r.getI8(), SET_I8);
	CHECK_EQ(r.getI16(), SET_I16);
	CHECK_EQ(r.getI32(), SET_I32);
	CHECK_EQ(r.getI64(), SET_I64);
	CHECK_EQ(r.getU8(), SET_U8);
	CHECK_EQ(r.getU16(), SET_U16);
	CHECK_EQ(r.getU32(), SET_U32);
	CHECK_EQ(r.getU64(), (uint64_t)SET_U64);
	CHECK_EQ(r.getF32(), SET_F32);
	CHECK(!std::signbit(r.getF32()));
	CHECK_EQ(r.getF64(), SET_F64);
	CHECK_ENUM(r.getE(), SET_E);
	CHECK(r.hasT() && r.hasD() && r.hasS() && r.hasL() && r.hasTl() && r.hasSl());
	CHECK_TEXT(r.getT(), SET_T);
	CHECK_EQ(r.getD().size(), 0u);
	CHECK_EQ(r.getS().getX(), SET_S_X);
	CHECK(!r.getS().hasName());
	CHECK_TEXT(r.getS().getName(), "");
	CHECK_EQ(r.getL().size(), 0u);
	CHECK_EQ(r.getTl().size(), 1u);
	if (r.getTl().size() == 1)
		CHECK_TEXT(r.getTl()[0], SET_TL[0]);
	CHECK_EQ(r.getSl().size(), 1u);
	if (r.getSl().size() == 1) {
		CHECK_EQ(r.getSl()[0].getX(), SET_SL_X);
		CHECK_TEXT(r.getSl()[0].getName(), SET_SL_NAME);
	}
}

// ------------------------------------------------------------------ pointers

void writePointers(capnp::MessageBuilder &m)
{
	auto r = m.initRoot<Pointers>();
	r.setText(PTR_TEXT);
	auto d = r.initData(PTR_DATA_LEN);
	for (unsigned i = 0; i < PTR_DATA_LEN; i++)
		d[i] = PTR_DATA_BYTE(i);
	auto in = r.initInner();
	in.setX(PTR_INNER_X);
	in.setName(PTR_INNER_NAME);
	r.setEmptyText("");
	r.initEmptyData(0);
	auto n = r.initNest();
	for (unsigned i = 0; i < PTR_NEST_DEPTH; i++) {
		n.setDepth(i);
		n.setLabel(kj::str("level-", i));
		if (i + 1 < PTR_NEST_DEPTH)
			n = n.initChild();
	}
	r.initEmpty();
	r.initEmptyList(PTR_EMPTY_LIST);
}

void checkPointers(capnp::MessageReader &m)
{
	auto r = m.getRoot<Pointers>();
	CHECK_TEXT(r.getText(), PTR_TEXT);
	auto d = r.getData();
	CHECK_EQ(d.size(), (size_t)PTR_DATA_LEN);
	for (unsigned i = 0; i < PTR_DATA_LEN && i < d.size(); i++)
		CHECK_EQ(d[i], PTR_DATA_BYTE(i));
	CHECK_EQ(r.getInner().getX(), PTR_INNER_X);
	CHECK_TEXT(r.getInner().getName(), PTR_INNER_NAME);
	CHECK(r.hasEmptyText());
	CHECK_TEXT(r.getEmptyText(), "");
	CHECK(r.hasEmptyData());
	CHECK_EQ(r.getEmptyData().size(), 0u);
	auto n = r.getNest();
	for (unsigned i = 0; i < PTR_NEST_DEPTH; i++) {
		CHECK_EQ(n.getDepth(), i);
		CHECK_TEXT(n.getLabel(), kj::str("level-", i));
		CHECK_EQ(n.hasChild(), i + 1 < PTR_NEST_DEPTH);
		n = n.getChild();
	}
	CHECK(!r.hasUnset());
	CHECK_EQ(r.getUnset().getX(), 0);
	CHECK(!r.hasUnsetText());
	CHECK_TEXT(r.getUnsetText(), "");
	CHECK(r.hasEmpty());
	CHECK(r.hasEmptyList());
	CHECK_EQ(r.getEmptyList().size(), (unsigned)PTR_EMPTY_LIST);
}

// ------------------------------------------------------------------ lists

void writeLists(capnp::MessageBuilder &m)
{
	auto r = m.initRoot<Lists>();
	r.initVoids(L_VOIDS);
	auto bools = r.initBools(L_BOOLS);
	for (unsigned i = 0; i < L_BOOLS; i++)
		bools.set(i, L_BOOL(i));
	r.setI8s(kj::arrayPtr(L_I8, 5));
	r.setU8s(kj::arrayPtr(L_U8, 4));
	r.setI16s(kj::arrayPtr(L_I16, 4));
	r.setU16s(kj::arrayPtr(L_U16, 3));
	r.setI32s(kj::arrayPtr(L_I32, 4));
	r.setU32s(kj::arrayPtr(L_U32, 3));
	r.setF32s(kj::arrayPtr(L_F32, 3));
	r.setI64s(kj::arrayPtr(L_I64, 4));
	r.setU64s(kj::arrayPtr(L_U64, 3));
	r.setF64s(kj::arrayPtr(L_F64, 3));
	auto enums = r.initEnums(4);
	for (unsigned i = 0; i < 4; i++)
		enums.set(i, static_cast<Color>(L_ENUMS[i]));
	auto texts = r.initTexts(3);
	for (unsigned i = 0; i < 3; i++)
		texts.set(i, L_TEXTS[i]);
	auto datas = r.initDatas(3);
	datas.set(0, capnp::Data::Reader(L_DATA0, sizeof L_DATA0));
	datas.init(1, 0);
	datas.set(2, capnp::Data::Reader(L_DATA2, sizeof L_DATA2));
	auto structs = r.initStructs(3);
	for (unsigned i = 0; i < 3; i++) {
		structs[i].setX(L_STRUCT_X[i]);
		if (L_STRUCT_NAME[i])
			structs[i].setName(L_STRUCT_NAME[i]);
	}
	auto lists = r.initLists(3);
	auto l0 = lists.init(0, 3);
	for (unsigned i = 0; i < 3; i++)
		l0.set(i, L_LISTS0[i]);
	lists.init(1, 0);
	lists.init(2, 1).set(0, L_LISTS2);
	auto tls = r.initTextLists(3);
	auto t0 = tls.init(0, 2);
	t0.set(0, "x");
	t0.set(1, "y");
	tls.init(1, 0);
	tls.init(2, 1).set(0, "z");
	auto sls = r.initStructLists(2);
	auto s0 = sls.init(0, 1);
	s0[0].setX(L_SL_X[0]);
	s0[0].setName(L_SL_NAME[0]);
	auto s1 = sls.init(1, 2);
	for (unsigned i = 0; i < 2; i++) {
		s1[i].setX(L_SL_X[1 + i]);
		s1[i].setName(L_SL_NAME[1 + i]);
	}
	r.initEmpty(0);
}

template <typename L, typename T>
void checkPrim(int line, const char *what, L l, const T *want, unsigned n)
{
	if (l.size() != n) {
		fail(line, std::string(what) + ": size " + std::to_string(l.size()));
		return;
	}
	for (unsigned i = 0; i < n; i++)
		if (!same(l[i], want[i]))
			fail(line, std::string(what) + "[" + std::to_string(i) + "]: got " + show(l[i]) +
			               ", want " + show(want[i]));
}
#define CHECK_PRIM(l, want, n) checkPrim(__LINE__, #l, (l), (want), (n))

void checkLists(capnp::MessageReader &m)
{
	auto r = m.getRoot<Lists>();
	CHECK_EQ(r.getVoids().size(), (unsigned)L_VOIDS);
	CHECK_EQ(r.getBools().size(), (unsigned)L_BOOLS);
	for (unsigned i = 0; i < L_BOOLS && i < r.getBools().size(); i++)
		CHECK_EQ(r.getBools()[i], (bool)L_BOOL(i));
	CHECK_PRIM(r.getI8s(), L_I8, 5);
	CHECK_PRIM(r.getU8s(), L_U8, 4);
	CHECK_PRIM(r.getI16s(), L_I16, 4);
	CHECK_PRIM(r.getU16s(), L_U16, 3);
	CHECK_PRIM(r.getI32s(), L_I32, 4);
	CHECK_PRIM(r.getU32s(), L_U32, 3);
	CHECK_PRIM(r.getF32s(), L_F32, 3);
	CHECK_PRIM(r.getI64s(), L_I64, 4);
	CHECK_PRIM(r.getU64s(), L_U64, 3);
	CHECK_PRIM(r.getF64s(), L_F64, 3);
	CHECK_EQ(r.getEnums().size(), 4u);
	for (unsigned i = 0; i < 4 && i < r.getEnums().size(); i++)
		CHECK_ENUM(r.getEnums()[i], L_ENUMS[i]);
	CHECK_EQ(r.getTexts().size(), 3u);
	for (unsigned i = 0; i < 3 && i < r.getTexts().size(); i++)
		CHECK_TEXT(r.getTexts()[i], L_TEXTS[i]);
	auto datas = r.getDatas();
	CHECK_EQ(datas.size(), 3u);
	if (datas.size() == 3) {
		CHECK(dataEq(datas[0], L_DATA0, sizeof L_DATA0));
		CHECK_EQ(datas[1].size(), 0u);
		CHECK(datas[1].begin() != nullptr); // set, not null
		CHECK(dataEq(datas[2], L_DATA2, sizeof L_DATA2));
	}
	auto structs = r.getStructs();
	CHECK_EQ(structs.size(), 3u);
	for (unsigned i = 0; i < 3 && i < structs.size(); i++) {
		CHECK_EQ(structs[i].getX(), L_STRUCT_X[i]);
		CHECK_EQ(structs[i].hasName(), L_STRUCT_NAME[i] != nullptr);
		CHECK_TEXT(structs[i].getName(), L_STRUCT_NAME[i] ? L_STRUCT_NAME[i] : "");
	}
	auto lists = r.getLists();
	CHECK_EQ(lists.size(), 3u);
	if (lists.size() == 3) {
		CHECK_PRIM(lists[0], L_LISTS0, 3);
		CHECK_EQ(lists[1].size(), 0u);
		const int32_t l2[1] = { L_LISTS2 };
		CHECK_PRIM(lists[2], l2, 1);
	}
	auto tls = r.getTextLists();
	CHECK_EQ(tls.size(), 3u);
	if (tls.size() == 3) {
		CHECK_EQ(tls[0].size(), 2u);
		if (tls[0].size() == 2) {
			CHECK_TEXT(tls[0][0], "x");
			CHECK_TEXT(tls[0][1], "y");
		}
		CHECK_EQ(tls[1].size(), 0u);
		CHECK_EQ(tls[2].size(), 1u);
		if (tls[2].size() == 1)
			CHECK_TEXT(tls[2][0], "z");
	}
	auto sls = r.getStructLists();
	CHECK_EQ(sls.size(), 2u);
	if (sls.size() == 2) {
		CHECK_EQ(sls[0].size(), 1u);
		CHECK_EQ(sls[1].size(), 2u);
		if (sls[0].size() == 1 && sls[1].size() == 2) {
			for (unsigned k = 0; k < 3; k++) {
				auto s = k == 0 ? sls[0][0] : sls[1][k - 1];
				CHECK_EQ(s.getX(), L_SL_X[k]);
				CHECK_TEXT(s.getName(), L_SL_NAME[k]);
			}
		}
	}
	CHECK(r.hasEmpty());
	CHECK_EQ(r.getEmpty().size(), 0u);
}

// ------------------------------------------------------------------ unions and groups

void writeUnions(capnp::MessageBuilder &m)
{
	auto items = m.initRoot<UnionSet>().initItems(U_COUNT);
	// 0
	items[0].setNone();
	items[0].getShape().setCircle(U_CIRCLE0);
	items[0].getPoint().setX(1);
	items[0].getPoint().setY(2);
	items[0].getPoint().setTag("p0");
	items[0].setAfter(100);
	items[0].getG2().setA(7);
	items[0].getG2().setC(true);
	// 1
	items[1].setNum(U_NUM1);
	items[1].getShape().setSquare(4);
	items[1].setAfter(101);
	items[1].getG2().setB("gb");
	items[1].getG2().setC(false);
	// 2
	items[2].setStr(U_STR2);
	items[2].getShape().setLabel("lbl");
	items[2].getPoint().setX(-5);
	items[2].getPoint().setY(5);
	items[2].getPoint().setTag("p2");
	items[2].setAfter(102);
	items[2].getG2().setA(0);
	items[2].getG2().setC(true);
	// 3
	auto in = items[3].initInner();
	in.setX(U_INNER3_X);
	in.setName(U_INNER3_NAME);
	items[3].getShape().setSquare(65535);
	items[3].setAfter(103);
	items[3].getG2().setB("");
	// 4
	items[4].setNum(0);
	items[4].getShape().setLabel("");
	items[4].setAfter(104);
	items[4].getG2().setA(255);
}

void checkUnions(capnp::MessageReader &m)
{
	auto items = m.getRoot<UnionSet>().getItems();
	CHECK_EQ(items.size(), (unsigned)U_COUNT);
	if (items.size() != U_COUNT)
		return;
	for (unsigned i = 0; i < U_COUNT; i++)
		CHECK_EQ(items[i].getAfter(), 100u + i);

	auto u = items[0];
	CHECK(u.isNone());
	CHECK(u.getShape().isCircle());
	CHECK_EQ(u.getShape().getCircle(), U_CIRCLE0);
	CHECK_EQ(u.getPoint().getX(), 1);
	CHECK_EQ(u.getPoint().getY(), 2);
	CHECK_TEXT(u.getPoint().getTag(), "p0");
	CHECK(u.getG2().isA());
	CHECK_EQ(u.getG2().getA(), 7);
	CHECK_EQ(u.getG2().getC(), true);

	u = items[1];
	CHECK(u.isNum());
	CHECK_EQ(u.getNum(), U_NUM1);
	CHECK(u.getShape().isSquare());
	CHECK_EQ(u.getShape().getSquare(), 4);
	CHECK_EQ(u.getPoint().getX(), 0);
	CHECK(!u.getPoint().hasTag());
	CHECK(u.getG2().isB());
	CHECK_TEXT(u.getG2().getB(), "gb");
	CHECK_EQ(u.getG2().getC(), false);

	u = items[2];
	CHECK(u.isStr());
	CHECK_TEXT(u.getStr(), U_STR2);
	CHECK(u.getShape().isLabel());
	CHECK_TEXT(u.getShape().getLabel(), "lbl");
	CHECK_EQ(u.getPoint().getX(), -5);
	CHECK_EQ(u.getPoint().getY(), 5);
	CHECK_TEXT(u.getPoint().getTag(), "p2");
	CHECK(u.getG2().isA());
	CHECK_EQ(u.getG2().getA(), 0);
	CHECK_EQ(u.getG2().getC(), true);

	u = items[3];
	CHECK(u.isInner());
	CHECK_EQ(u.getInner().getX(), U_INNER3_X);
	CHECK_TEXT(u.getInner().getName(), U_INNER3_NAME);
	CHECK(u.getShape().isSquare());
	CHECK_EQ(u.getShape().getSquare(), 65535);
	CHECK(u.getG2().isB());
	CHECK(u.getG2().hasB());
	CHECK_TEXT(u.getG2().getB(), "");
	CHECK_EQ(u.getG2().getC(), false);

	u = items[4];
	CHECK(u.isNum());
	CHECK_EQ(u.getNum(), 0);
	CHECK(u.getShape().isLabel());
	CHECK(u.getShape().hasLabel());
	CHECK_TEXT(u.getShape().getLabel(), "");
	CHECK(u.getG2().isA());
	CHECK_EQ(u.getG2().getA(), 255);
}

// ------------------------------------------------------------------ far pointers

void fillBig(Big::Builder root, capnp::Orphanage orphanage)
{
	auto blobs = root.initBlobs(BIG_BLOBS);
	for (unsigned i = 0; i < BIG_BLOBS; i++) {
		auto b = blobs.init(i, BIG_BLOB_LEN(i));
		for (unsigned j = 0; j < BIG_BLOB_LEN(i); j++)
			b[j] = BIG_BLOB_BYTE(i, j);
	}
	auto items = root.initItems(BIG_ITEMS);
	for (unsigned i = 0; i < BIG_ITEMS; i++) {
		items[i].setX(BIG_ITEM_X(i));
		items[i].setName(kj::str("item-", i));
	}
	root.setTail(BIG_TAIL);
	auto nums = root.initNumbers(BIG_NUMBERS);
	for (unsigned i = 0; i < BIG_NUMBERS; i++)
		nums.set(i, BIG_NUMBER(i));
	// An orphan bigger than a segment gets a segment of its own, exactly
	// full, so adopting it needs a double-far pointer.
	auto orphan = orphanage.newOrphan<capnp::Data>(BIG_ADOPTED_LEN);
	auto od = orphan.get();
	for (unsigned j = 0; j < BIG_ADOPTED_LEN; j++)
		od[j] = BIG_ADOPTED_BYTE(j);
	root.adoptAdopted(kj::mv(orphan));
	auto child = root.initChild();
	child.setTail(BIG_CHILD_TAIL);
	auto cn = child.initNumbers(3);
	for (unsigned i = 0; i < 3; i++)
		cn.set(i, i + 1);
}

void writeBig(capnp::MessageBuilder &m)
{
	fillBig(m.initRoot<Big>(), m.getOrphanage());
}

void checkBig(capnp::MessageReader &m)
{
	auto r = m.getRoot<Big>();
	auto blobs = r.getBlobs();
	CHECK_EQ(blobs.size(), (unsigned)BIG_BLOBS);
	for (unsigned i = 0; i < BIG_BLOBS && i < blobs.size(); i++) {
		auto b = blobs[i];
		CHECK_EQ(b.size(), (size_t)BIG_BLOB_LEN(i));
		for (unsigned j = 0; j < BIG_BLOB_LEN(i) && j < b.size(); j++)
			CHECK_EQ(b[j], BIG_BLOB_BYTE(i, j));
	}
	auto items = r.getItems();
	CHECK_EQ(items.size(), (unsigned)BIG_ITEMS);
	for (unsigned i = 0; i < BIG_ITEMS && i < items.size(); i++) {
		CHECK_EQ(items[i].getX(), BIG_ITEM_X(i));
		CHECK_TEXT(items[i].getName(), kj::str("item-", i));
	}
	CHECK_TEXT(r.getTail(), BIG_TAIL);
	auto nums = r.getNumbers();
	CHECK_EQ(nums.size(), (unsigned)BIG_NUMBERS);
	for (unsigned i = 0; i < BIG_NUMBERS && i < nums.size(); i++)
		CHECK_EQ(nums[i], BIG_NUMBER(i));
	auto ad = r.getAdopted();
	CHECK_EQ(ad.size(), (size_t)BIG_ADOPTED_LEN);
	for (unsigned j = 0; j < BIG_ADOPTED_LEN && j < ad.size(); j++)
		CHECK_EQ(ad[j], BIG_ADOPTED_BYTE(j));
	auto child = r.getChild();
	CHECK_TEXT(child.getTail(), BIG_CHILD_TAIL);
	CHECK_EQ(child.getNumbers().size(), 3u);
	for (unsigned i = 0; i < 3 && i < child.getNumbers().size(); i++)
		CHECK_EQ(child.getNumbers()[i], (uint64_t)(i + 1));
	CHECK(!child.hasBlobs() && !child.hasItems() && !child.hasChild() && !child.hasAdopted());
}

// ------------------------------------------------------------------ capabilities

// Writing: each capability set through a BuilderCapabilityTable gets the next
// index of the table, so the order of the sets decides the indices.
void writeCaps(capnp::MessageBuilder &m)
{
	capnp::BuilderCapabilityTable table;
	auto r = table.imbue(m.initRoot<Caps>());
	kj::Vector<const capnp::ClientHook *> hooks;
	auto next = [&]() {
		auto h = capnp::newBrokenCap(kj::str("cap ", hooks.size()));
		hooks.add(h.get());
		return Echo::Client(kj::mv(h));
	};
	r.setSecond(next());
	auto list = r.initList(CAP_LIST_LEN);
	list.set(0, next());
	list.set(3, next());
	r.setFirst(next());
	list.set(1, next());
	r.setAgain(next());
	r.setN(CAP_N);
	// The table must hold exactly those hooks, in that order.
	auto t = table.getTable();
	KJ_REQUIRE(t.size() == CAP_TABLE_SIZE, t.size());
	const uint32_t order[CAP_TABLE_SIZE] = { CAP_SECOND, CAP_LIST[0], CAP_LIST[3],
	                                         CAP_FIRST, CAP_LIST[1], CAP_AGAIN };
	for (unsigned i = 0; i < CAP_TABLE_SIZE; i++) {
		KJ_REQUIRE(order[i] == i, "values.h disagrees with the table order", i);
		KJ_IF_MAYBE(h, t[i]) {
			KJ_REQUIRE(h->get() == hooks[i], i);
		} else {
			KJ_FAIL_REQUIRE("null table entry", i);
		}
	}
}

void checkCaps(capnp::MessageReader &m)
{
	// Reading: a table of distinct hooks; each capability field must come
	// back as exactly the hook at its index.
	auto builder = kj::heapArrayBuilder<kj::Maybe<kj::Own<capnp::ClientHook>>>(CAP_TABLE_SIZE);
	const capnp::ClientHook *hooks[CAP_TABLE_SIZE];
	for (unsigned i = 0; i < CAP_TABLE_SIZE; i++) {
		auto h = capnp::newBrokenCap(kj::str("cap ", i));
		hooks[i] = h.get();
		builder.add(kj::mv(h));
	}
	capnp::ReaderCapabilityTable table(builder.finish());
	auto r = table.imbue(m.getRoot<Caps>());
	auto indexOf = [&](Echo::Client c) -> uint32_t {
		auto h = capnp::ClientHook::from(kj::mv(c));
		for (uint32_t i = 0; i < CAP_TABLE_SIZE; i++)
			if (h.get() == hooks[i])
				return i;
		return 0xffffffffu;
	};
	CHECK_EQ(indexOf(r.getFirst()), CAP_FIRST);
	CHECK_EQ(indexOf(r.getSecond()), CAP_SECOND);
	CHECK_EQ(indexOf(r.getAgain()), CAP_AGAIN);
	CHECK(!r.hasNone());
	CHECK_EQ(r.getN(), CAP_N);
	auto list = r.getList();
	CHECK_EQ(list.size(), (unsigned)CAP_LIST_LEN);
	for (unsigned i = 0; i < CAP_LIST_LEN && i < list.size(); i++)
		if (CAP_LIST[i] != 0xffffffffu)
			CHECK_EQ(indexOf(list[i]), CAP_LIST[i]);
	// The raw pointers: capability pointers where set, null elsewhere.
	auto any = m.getRoot<capnp::AnyStruct>();
	auto ps = any.getPointerSection();
	CHECK(ps.size() >= 5);
	if (ps.size() >= 5) {
		CHECK(ps[0].isCapability());
		CHECK(ps[1].isCapability());
		CHECK(ps[2].isNull());
		CHECK(ps[4].isCapability());
		auto raw = ps[3].getAs<capnp::AnyList>().as<capnp::List<capnp::AnyPointer>>();
		CHECK_EQ(raw.size(), (unsigned)CAP_LIST_LEN);
		for (unsigned i = 0; i < CAP_LIST_LEN && i < raw.size(); i++)
			CHECK(CAP_LIST[i] == 0xffffffffu ? raw[i].isNull() : raw[i].isCapability());
	}
}

// ------------------------------------------------------------------ struct upgrade

void writeOld(capnp::MessageBuilder &m)
{
	auto r = m.initRoot<OldHolder>();
	auto things = r.initThings(2);
	things[0].setA(1);
	things[0].setName("t1");
	things[1].setA(2);
	things[1].setName("t2");
	auto one = r.initOne();
	one.setA(3);
	one.setName("one");
	r.setIds(kj::arrayPtr(UP_IDS, 3));
}

// An old message read with the new schema.
void checkOldAsNew(capnp::MessageReader &m)
{
	auto r = m.getRoot<NewHolder>();
	auto things = r.getThings();
	CHECK_EQ(things.size(), 2u);
	for (unsigned i = 0; i < 2 && i < things.size(); i++) {
		auto t = things[i];
		CHECK_EQ(t.getA(), i + 1);
		CHECK_TEXT(t.getName(), kj::str("t", i + 1));
		CHECK_EQ(t.getB(), (uint64_t)NEW_B_DEFAULT);
		CHECK_TEXT(t.getExtra(), NEW_EXTRA_DEFAULT);
		CHECK_EQ(t.getC(), (bool)NEW_C_DEFAULT);
		CHECK(!t.hasSub());
		CHECK_EQ(t.getSub().getX(), 0);
		CHECK_EQ(t.getD(), NEW_D_DEFAULT);
	}
	auto one = r.getOne();
	CHECK_EQ(one.getA(), 3u);
	CHECK_TEXT(one.getName(), "one");
	CHECK_EQ(one.getB(), (uint64_t)NEW_B_DEFAULT);
	CHECK_EQ(one.getD(), NEW_D_DEFAULT);
	auto ids = r.getIds(); // a List(UInt32) read as a List(Id)
	CHECK_EQ(ids.size(), 3u);
	for (unsigned i = 0; i < 3 && i < ids.size(); i++) {
		CHECK_EQ(ids[i].getV(), UP_IDS[i]);
		CHECK_TEXT(ids[i].getNote(), NEW_NOTE_DEFAULT);
	}
	CHECK(!r.hasAdded());
	CHECK_TEXT(r.getAdded(), NEW_ADDED_DEFAULT);
}

void checkOld(capnp::MessageReader &m)
{
	auto r = m.getRoot<OldHolder>();
	auto things = r.getThings();
	CHECK_EQ(things.size(), 2u);
	for (unsigned i = 0; i < 2 && i < things.size(); i++) {
		CHECK_EQ(things[i].getA(), i + 1);
		CHECK_TEXT(things[i].getName(), kj::str("t", i + 1));
	}
	CHECK_EQ(r.getOne().getA(), 3u);
	CHECK_TEXT(r.getOne().getName(), "one");
	CHECK_PRIM(r.getIds(), UP_IDS, 3);
}

void writeNew(capnp::MessageBuilder &m)
{
	auto r = m.initRoot<NewHolder>();
	auto things = r.initThings(2);
	things[0].setA(1);
	things[0].setName("t1");
	things[0].setB(5);
	things[0].setExtra("x");
	things[0].setC(false);
	auto sub = things[0].initSub();
	sub.setX(9);
	sub.setName("s");
	things[0].setD(4);
	things[1].setA(2);
	things[1].setName("t2");
	auto one = r.initOne();
	one.setA(3);
	one.setName("one");
	one.setB(6);
	auto ids = r.initIds(3);
	for (unsigned i = 0; i < 3; i++)
		ids[i].setV(UP_IDS[i]);
	ids[0].setNote("a");
	ids[2].setNote("c");
	r.setAdded("new");
}

// A new message read with the old schema: the same checks as an old one.
void checkNewAsOld(capnp::MessageReader &m)
{
	checkOld(m);
}

// ------------------------------------------------------------------ cases

struct Case {
	const char *name;
	void (*write)(capnp::MessageBuilder &);
	void (*check)(capnp::MessageReader &);
	bool compare; // compare the whole message with the one written here
};

const Case cases[] = {
	{ "scalars", writeScalars, checkScalars, true },
	{ "bools", writeBools, checkBools, true },
	{ "defaults-unset", writeDefaultsUnset, checkDefaultsUnset, true },
	{ "defaults-set", writeDefaultsSet, checkDefaultsSet, true },
	{ "pointers", writePointers, checkPointers, true },
	{ "lists", writeLists, checkLists, true },
	{ "unions", writeUnions, checkUnions, true },
	{ "far", writeBig, checkBig, true },
	{ "caps", writeCaps, checkCaps, false },
	{ "upgrade-old2new", writeOld, checkOldAsNew, true },
	{ "upgrade-new2old", writeNew, checkNewAsOld, true },
};

const Case *findCase(const char *name)
{
	for (const Case &c : cases)
		if (strcmp(c.name, name) == 0)
			return &c;
	return nullptr;
}

kj::Array<capnp::word> readFile(const char *path)
{
	int fd = open(path, O_RDONLY);
	KJ_REQUIRE(fd >= 0, "cannot open", path);
	kj::Vector<kj::byte> bytes;
	kj::byte buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		KJ_REQUIRE(n >= 0, "read failed", path);
		if (n == 0)
			break;
		bytes.addAll(buf, buf + n);
	}
	close(fd);
	KJ_REQUIRE(bytes.size() % 8 == 0, "file is not a whole number of words", bytes.size());
	auto words = kj::heapArray<capnp::word>(bytes.size() / 8);
	memcpy(words.begin(), bytes.begin(), bytes.size());
	return words;
}

int doWrite(const Case &c, const char *path)
{
	// The far case spans several small, fixed-size segments.
	bool far = strcmp(c.name, "far") == 0;
	capnp::MallocMessageBuilder m(far ? 16 : capnp::SUGGESTED_FIRST_SEGMENT_WORDS,
	                              far ? capnp::AllocationStrategy::FIXED_SIZE
	                                  : capnp::SUGGESTED_ALLOCATION_STRATEGY);
	c.write(m);
	if (far) {
		KJ_REQUIRE(m.getSegmentsForOutput().size() >= 4, m.getSegmentsForOutput().size());
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	KJ_REQUIRE(fd >= 0, "cannot create", path);
	capnp::writeMessageToFd(fd, m);
	close(fd);
	return 0;
}

int doRead(const Case &c, const char *path, bool fromC)
{
	auto words = readFile(path);
	capnp::FlatArrayMessageReader reader(words);
	c.check(reader);

	if (fromC && strcmp(c.name, "far") == 0) {
		// The C writer promises several segments and a double-far root.
		uint32_t nsegs;
		memcpy(&nsegs, words.begin(), 4);
		nsegs += 1;
		if (nsegs < 4)
			fail(__LINE__, "far: C message has only " + std::to_string(nsegs) + " segments");
		size_t header = ((4 + 4 * (size_t)nsegs) + 7) / 8;
		uint64_t rootPtr;
		memcpy(&rootPtr, words.begin() + header, 8);
		if ((rootPtr & 7) != 6)
			fail(__LINE__, "far: C message's root pointer is not a double-far pointer");
	}

	if (c.compare) {
		// Whole-message equality with what libcapnp builds for this case.
		capnp::MallocMessageBuilder expect;
		c.write(expect);
		auto got = reader.getRoot<capnp::AnyStruct>();
		auto want = expect.getRoot<capnp::AnyStruct>().asReader();
		if (got.equals(want) != capnp::Equality::EQUAL)
			fail(__LINE__, "message differs from the one libcapnp builds");
	}
	return failures ? 1 : 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "read") != 0)) {
		fprintf(stderr, "usage: ref write|read CASE FILE [c]\n");
		return 2;
	}
	const Case *c = findCase(argv[2]);
	if (!c) {
		fprintf(stderr, "ref: unknown case %s\n", argv[2]);
		return 2;
	}
	int status = 1;
	KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
		if (strcmp(argv[1], "write") == 0)
			status = doWrite(*c, argv[3]);
		else
			status = doRead(*c, argv[3], argc > 4 && strcmp(argv[4], "c") == 0);
	})) {
		fprintf(stderr, "ref %s %s: exception: %s\n", argv[1], c->name,
		        kj::str(*e).cStr());
		return 1;
	}
	if (status)
		fprintf(stderr, "ref %s %s: %d check(s) failed\n", argv[1], c->name, failures);
	return status;
}
