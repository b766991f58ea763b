# capOS schema: every interface, the manifest, capability grants and the error type.
#
# This file is the permission boundary of the system (see docs/capability-model.md):
# what a capability lets its holder do is exactly the methods of its interface.
# C readers, builders and interface/method ids are generated from it into
# schema/gen/capos.capnp.h by tools/capnpc-c; run `make generated` after editing
# and commit both. `make generated-code-check` fails when they disagree.
#
# Evolution rules are Cap'n Proto's: add fields and methods at the end with the
# next ordinal, never renumber, never change a type.

@0x8fb9049ddc7cb759;

# ---------------------------------------------------------------- errors

enum ErrorCode {
  # The one error space of capOS. A completion (CQE) carries it negated in its
  # result; a CapException carries it in `code`. libcapos-posix maps it to errno
  # in a single table. docs/abi.md says which operation returns which code.
  ok @0;                # not an error
  invalidArgument @1;   # a parameter is out of range or inconsistent
  staleCap @2;          # the CapId names no live hold: never issued, released, moved or forged
  wrongInterface @3;    # the call names an interface the capability does not implement
  noSuchMethod @4;      # the method ordinal is not defined by the interface
  badMessage @5;        # a Cap'n Proto message is malformed (see CapnpError in docs/capnp.md)
  badAddress @6;        # a user buffer lies outside the caller's memory
  tooLarge @7;          # a message, list or buffer exceeds a documented limit
  resourceExhausted @8; # a quota or kernel table is full
  notTransferable @9;   # the hold forbids this transfer mode
  disconnected @10;     # the peer has gone (server exited, handle released)
  timeout @11;          # the deadline passed first
  cancelled @12;        # the operation was withdrawn (caller exited or released)
  notFound @13;         # a named thing (binary, cap name, file) does not exist
  alreadyExists @14;    # a name is already taken
  badOpcode @15;        # a ring entry uses a reserved or unknown opcode
  badFlags @16;         # a ring entry sets a reserved flag
  reservedNonZero @17;  # a ring entry has a non-zero reserved field
  ringCorrupt @18;      # the ring header is inconsistent; the process is faulted
  unimplemented @19;    # defined by the schema but not provided by this object
  permissionDenied @20; # the capability exists but does not grant this
  wouldBlock @21;       # a non-blocking operation could not complete now
  internal @22;         # a kernel invariant failed; reported, never silent
}

struct CapException {
  # The error every capability call can return instead of its results. The
  # kernel and servers return it; the shape follows Cap'n Proto RPC's Exception
  # so that a future network transport can carry it unchanged.
  type @0 :Type;
  code @1 :ErrorCode;
  message @2 :Text;     # one line for humans; never parsed

  enum Type {
    failed @0;          # the call was wrong or could not be done
    overloaded @1;      # try again later (quota, table full)
    disconnected @2;    # the object is gone
    unimplemented @3;   # the method is not implemented by this object
  }
}

# ---------------------------------------------------------------- capabilities

enum TransferMode {
  # How a capability travels in a CALL, a RETURN or a spawn grant.
  copy @0;              # the sender keeps its hold; the receiver gets a new one
  move @1;              # the sender's CapId becomes stale; the receiver takes the hold
}

enum HoldPolicy {
  # What the holder of a capability may do with it (recorded per hold).
  transferable @0;      # may be copied or moved
  moveOnly @1;          # may be moved, never copied
  nonTransferable @2;   # may be used, never given away
}

enum CapScope {
  # How long a hold stays valid.
  process @0;           # until the holder releases it or exits
  session @1;           # also ends when the granting process exits
}

struct CapGrant {
  # One capability a parent gives a child in ProcessSpawner.spawn.
  name @0 :Text;        # the name the child finds it under in its CapSet
  cap @1 :UInt32;       # the parent's CapId
  mode @2 :TransferMode;
  scope @3 :CapScope;   # `session`: revoked when the parent exits
}

struct Quota {
  # Per-process resource limits; 0 means "the kernel default" (docs/quotas.md).
  capSlots @0 :UInt32;
  outstandingCalls @1 :UInt32;
  memoryPages @2 :UInt32;
  children @3 :UInt32;
}

# ---------------------------------------------------------------- kernel interfaces

interface Console @0xa0efbd8b58b5b85f {
  # The system console: the simulator's stdout/stdin, or COM1 on hardware.
  write @0 (text :Text) -> ();
  # Write `text` as is.
  writeLine @1 (text :Text) -> ();
  # Write `text` followed by a newline.
  readLine @2 (maxBytes :UInt32) -> (line :Text, eof :Bool);
  # Block until a line (without its newline, at most `maxBytes`) is typed; `eof`
  # once input has ended.
}

interface Timer @0x9268ac16845f03bc {
  # Monotonic time since boot.
  now @0 () -> (ns :UInt64);
  # Nanoseconds since boot. Never goes backwards.
  sleep @1 (ns :UInt64) -> ();
  # Complete after at least `ns` nanoseconds.
}

interface NullCap @0xa05851655ed7ca2b {
  # Does nothing; exists to measure the cost of the call path itself.
  nop @0 () -> ();
}

interface ProcessSpawner @0xdbb8e64ccf58d016 {
  # Starts processes from binaries in the boot manifest.
  spawn @0 (name :Text, binary :Text, grants :List(CapGrant), quota :Quota)
        -> (handle :ProcessHandle);
  # Start `binary` as a process called `name` holding exactly `grants`.
  # Fails with notFound (no such binary), staleCap (a grant names a cap the
  # caller does not hold), notTransferable, alreadyExists (duplicate child cap
  # name), tooLarge (too many grants) or resourceExhausted (process table or
  # quota); on failure the caller loses nothing.
  startService @1 (name :Text) -> (handle :ProcessHandle);
  # Start the manifest service `name` (one marked `start = byInit`) with the
  # capabilities its manifest entry grants. notFound: no such service;
  # alreadyExists: it was started before.
  services @2 () -> (names :List(Text));
  # The services the manifest leaves for init to start, in manifest order.
}

struct ExitStatus {
  # How a process ended.
  union {
    code @0 :Int32;     # it called exit(code)
    fault @1 :Text;     # the kernel faulted it; the text says why
    killed @2 :Void;    # its handle's holder killed it
  }
}

interface ProcessHandle @0xd08b6c6b4ef6b39c {
  # A child process, held by whoever spawned it.
  wait @0 () -> (status :ExitStatus);
  # Block until the process ends.
  kill @1 () -> ();
  # End the process; its capabilities are released as on exit.
}

interface Endpoint @0x80e0e8c215b6f9b0 {
  # The server side of an IPC endpoint. Calls made on client capabilities of
  # the endpoint are received with the RECV ring opcode and answered with RETURN.
  mint @0 (badge :UInt64, interfaceId :UInt64) -> (client :Capability);
  # A new client capability to this endpoint carrying `badge`, which the server
  # sees with every call made through it; `interfaceId` is the interface the
  # client may call (0: the endpoint's exported interface).
}

interface EndpointFactory @0xcaf5c1d3f656a3cd {
  # Makes new IPC endpoints (the manifest's exports are made by the kernel at
  # boot; this is for services that set up endpoints at run time).
  create @0 (interfaceId :UInt64) -> (endpoint :Endpoint);
  # A new endpoint serving `interfaceId`; the caller holds its server side
  # and mints client capabilities with Endpoint.mint.
}

interface Echo @0xa4552201db7f1c73 {
  # A small interface served by user processes in the demos, tests and
  # benchmarks of IPC; the kernel treats it like any other interface.
  echo @0 (data :Data) -> (data :Data);
  # The same bytes back.
  ping @1 () -> ();
  # Nothing: the cost of a round trip.
  swap @2 (cap :Capability) -> (cap :Capability);
  # Hand a capability over and get one back (the server decides which).
}

interface VirtualMemory @0xd9410ad4e6b24c5c {
  # Anonymous memory in the caller's own address space.
  map @0 (hint :UInt64, size :UInt64, prot :UInt32) -> (addr :UInt64);
  unmap @1 (addr :UInt64, size :UInt64) -> ();
  protect @2 (addr :UInt64, size :UInt64, prot :UInt32) -> ();
  # prot bits: 1 read, 2 write, 4 execute; write together with execute is refused.
}

interface FrameAllocator @0x9bf88180678a753f {
  # Physical frames, accounted to the holder and returned when it exits.
  allocate @0 (count :UInt32) -> (base :UInt64, count :UInt32);
  free @1 (base :UInt64, count :UInt32) -> ();
}

# ---------------------------------------------------------------- the manifest

enum KernelCap {
  # Capabilities the kernel itself provides to boot services.
  console @0;
  timer @1;
  null @2;
  processSpawner @3;
  virtualMemory @4;
  frameAllocator @5;
  endpointFactory @6;
}

struct Manifest @0xba13dc82cbd05060 {
  # What the kernel boots. Written as text (docs/manifest.md), turned into this
  # binary form by tools/mkmanifest, validated again by the kernel at boot.
  version @0 :UInt32;             # format version; this schema is version 1
  services @1 :List(Service);     # the first service is init: its exit code ends the run
  binaries @2 :List(Binary);
  files @3 :List(File);           # the read-only file tree
}

struct Service @0xfdd61bd5dafd963d {
  # A process the kernel starts at boot.
  name @0 :Text;                  # unique within the manifest
  binary @1 :Text;                # the name of a Binary
  caps @2 :List(ServiceGrant);    # its CapSet, in this order
  exports @3 :List(Export);       # endpoints other services may be granted
  quota @4 :Quota;
  args @5 :List(Text);            # its argv
  start @6 :StartMode;            # who starts it
}

enum StartMode {
  atBoot @0;                      # the kernel starts it at boot (in manifest order)
  byInit @1;                      # init starts it with ProcessSpawner.startService
}

struct ServiceGrant @0xb5a638c5ba393e81 {
  # One capability a service receives at boot.
  name @0 :Text;                  # its name in the service's CapSet
  interface @1 :Text;             # source form: the interface name, e.g. "Console"
  interfaceId @2 :UInt64;         # binary form: filled in by mkmanifest from `interface`
  badge @3 :UInt64;               # seen by the server on calls through this grant
  policy @4 :HoldPolicy;
  source :union {
    kernel @5 :KernelCap;         # provided by the kernel
    service @6 :ServiceExport;    # an export of another service
  }
}

struct ServiceExport @0x9974c5f69a69e779 {
  service @0 :Text;
  export @1 :Text;
}

struct Export @0x81bf119355300e61 {
  # An endpoint a service serves. The service itself holds the Endpoint (server
  # side) under `name` in its CapSet.
  name @0 :Text;
  interface @1 :Text;             # source form
  interfaceId @2 :UInt64;         # binary form
}

struct Binary @0xa98a840221eda540 {
  # A static-PIE x86_64 ELF user program.
  name @0 :Text;
  union {
    path @1 :Text;                # source form: a host file, relative to the manifest
    image @2 :Data;               # binary form: the ELF bytes
  }
}

struct File @0xf2056d6812ab4be4 {
  # One file of the read-only tree.
  path @0 :Text;                  # absolute path in the tree, e.g. "/etc/hosts"
  union {
    hostPath @1 :Text;            # source form
    data @2 :Data;                # binary form
  }
}
