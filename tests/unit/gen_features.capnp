# Every kind of field, default, union, group and constant tools/capnpc-c has
# to handle, with non-zero defaults throughout. Generated into
# build/gen/capnpc by mk/capnpc.mk and exercised by
# tests/unit/test_capnpc_features.c. Not part of capOS's schema.

@0xf5af7c59d5046f7d;

enum Color {
  red @0;
  green @1;
  blue @2;
}

struct Inner {
  a @0 :UInt32 = 7;
  label @1 :Text = "inner";
}

struct Box(T) {
  # A generic struct: its `item` is an untyped pointer in C.
  item @0 :T;
}

interface Iface {
  # A method with implicit parameter structs, one with named ones.
  call @0 (x :Int32, name :Text) -> (y :Text, cap :Iface);
  echo @1 Inner -> Inner;

  interface Nested {
    ping @0 () -> ();
  }
}

struct Everything {
  v @0 :Void;
  b @1 :Bool = true;
  i8 @2 :Int8 = -8;
  i16 @3 :Int16 = -1616;
  i32 @4 :Int32 = -323232;
  i64 @5 :Int64 = -646464646464;
  u8 @6 :UInt8 = 208;
  u16 @7 :UInt16 = 61616;
  u32 @8 :UInt32 = 3232323232;
  u64 @9 :UInt64 = 12345678901234567890;
  f32 @10 :Float32 = 1.5;
  f64 @11 :Float64 = -2.25;
  t @12 :Text = "hello \"world\"?\n";
  d @13 :Data = 0x"de ad be ef";
  s @14 :Inner = (a = 42, label = "default inner");
  e @15 :Color = blue;
  cap @16 :Iface;
  any @17 :AnyPointer;
  anyCap @18 :Capability;
  lVoid @19 :List(Void) = [void, void, void];
  lBool @20 :List(Bool) = [true, false, true];
  lI8 @21 :List(Int8) = [-1, 2];
  lU16 @22 :List(UInt16) = [1, 65535];
  lI32 @23 :List(Int32) = [-5, 5];
  lU64 @24 :List(UInt64) = [1, 18446744073709551615];
  lF32 @25 :List(Float32) = [0.5, -1.0];
  lF64 @26 :List(Float64) = [3.25];
  lText @27 :List(Text) = ["a", "bc"];
  lData @28 :List(Data) = [0x"01", 0x"0203"];
  lStruct @29 :List(Inner) = [(a = 1), (a = 2, label = "two")];
  lEnum @30 :List(Color) = [green, red];
  lList @31 :List(List(Int16)) = [[1, 2], [3]];
  lIface @32 :List(Iface);
  plainBool @33 :Bool;
  plainText @34 :Text;
  plainStruct @35 :Inner;
  plainList @36 :List(Inner);
  boxed @37 :Box(Text);
  nested @38 :Deep;

  union {
    uVoid @39 :Void;
    uInt @40 :Int32 = 5;
    uText @41 :Text = "union default";
    uStruct @42 :Inner;
    uAny @43 :AnyPointer;
    uGroup :group {
      x @44 :UInt16 = 16;
      y @45 :Text;
    }
  }

  grp :group {
    gx @46 :UInt32 = 99;
    inner :union {
      left @47 :Float32 = 0.75;
      right @48 :List(Text);
    }
  }

  struct Deep {
    z @0 :Int8 = -3;
    const limit :UInt16 = 500;
  }
}

# An older and a newer version of one struct (wire-compatible).
struct Version1 {
  a @0 :UInt32;
}

struct Version2 {
  a @0 :UInt32;
  b @1 :UInt64 = 77;
  c @2 :Text = "new";
  d @3 :Inner;
  e @4 :List(Int32) = [4, 5];
}

const cBool :Bool = true;
const cI8 :Int8 = -128;
const cU32 :UInt32 = 42;
const cI64 :Int64 = -9223372036854775808;
const cU64 :UInt64 = 18446744073709551615;
const cF32 :Float32 = 0.25;
const cF64 :Float64 = -inf;
const cText :Text = "const text";
const cData :Data = 0x"00 01 ff";
const cStruct :Inner = (a = 3, label = "c");
const cList :List(Inner) = [(a = 9), (a = 10)];
const cListU8 :List(UInt8) = [1, 2, 3];
const cEnum :Color = green;

# A value encoded by the capnp compiler itself, read back through the
# generated accessors (an independent check of every offset).
const sample :Everything = (
  b = false, i8 = 100, i16 = 1000, i32 = -7, i64 = 1234567890123,
  u8 = 1, u16 = 2, u32 = 3, u64 = 4, f32 = -0.5, f64 = 1e100,
  t = "sample", d = 0x"0102", s = (a = 5, label = "five"), e = red,
  lBool = [false, true], lI8 = [], lText = ["x"],
  lStruct = [(a = 100, label = "hundred")], lList = [[7]], lEnum = [blue],
  plainBool = true, plainText = "plain",
  uGroup = (x = 3, y = "why"),
  grp = (gx = 1, inner = (right = ["r1", "r2"])),
  nested = (z = 9),
  boxed = (item = "boxed text")
);
