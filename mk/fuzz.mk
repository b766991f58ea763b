# Coverage-guided fuzzing (libFuzzer, clang) of the kernel's untrusted inputs:
# Cap'n Proto messages, boot manifests, ELF images and the ring ABI
# (docs/fuzzing.md). Each harness fuzz/fuzz_NAME.c is its own binary
# $(B)/fuzz/NAME, built with -fsanitize=fuzzer,address,undefined over a
# sanitizer build of the kernel, the Cap'n Proto runtime, the generated
# schema code and the fake HAL (tests/unit/fake_hal.c).
#
#   make fuzz-build                          build every harness
#   make fuzz-smoke                          run each for FUZZ_SMOKE_SECONDS (45) over its
#                                            corpus; also part of `make test`
#   make fuzz FUZZER=ring [FUZZ_SECONDS=600] run one until interrupted (or for
#                                            FUZZ_SECONDS), new inputs in $(B)/fuzz/work/NAME
#   make fuzz-seeds                          rewrite the generated seeds in fuzz/corpus/
#
# A crash reproducer that someone has fixed goes into fuzz/corpus/NAME/ as
# crash-SHORT-NAME (run by every fuzz-smoke); one that is not fixed yet waits
# in fuzz/known-crashes/NAME/ (not run).
#
# This fragment is read before kernel-tests.mk and mkmanifest.mk (mk/*.mk
# in name order), so it names what it needs from them itself.

FUZZ_OUT := $(B)/fuzz
FUZZ_OBJ := $(FUZZ_OUT)/obj
FUZZ_NAMES := capn_reader manifest elf ring
FUZZ_BINS := $(addprefix $(FUZZ_OUT)/,$(FUZZ_NAMES))
FUZZ_TINY_ELF := $(B)/tests/mkmanifest/tiny.elf

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# The same warnings as the gcc builds, minus one clang adds about a GNU
# extension the kernel uses on purpose (a struct ending in a flexible array,
# capos_msg_header, placed before more fields).
FUZZ_CFLAGS := -std=c11 -O1 -g $(WARN) -Wno-gnu-variable-sized-type-not-at-end -D_GNU_SOURCE \
	-Ischema -Ischema/capnp -Iinclude -iquote common -iquote kernel -Itests/unit -Ifuzz $(FUZZ_SAN)

# Everything under test, instrumented for coverage (fuzzer-no-link).
FUZZ_LIB_SRCS := $(sort $(wildcard kernel/*.c kernel/cap/*.c)) common/fmt.c $(CAPN_SRCS) \
	schema/gen/capos.capnp.c tests/unit/fake_hal.c
# The kernel's frame allocations pass through checking wrappers (fuzz_common.c).
FUZZ_LDFLAGS := -Wl,--wrap=hal_frame_alloc,--wrap=hal_frame_free
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(FUZZ_LIB_SRCS))
FUZZ_LIB := $(FUZZ_OBJ)/libfuzz-kernel.a
FUZZ_COMMON_OBJS := $(FUZZ_OBJ)/fuzz/fuzz_common.o $(FUZZ_OBJ)/fuzz/tiny_elf.o \
	$(FUZZ_OBJ)/fuzz/ring_driver.o $(FUZZ_OBJ)/fuzz/fuzz_alloc.o

$(FUZZ_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_OBJ)/fuzz/tiny_elf.o: CPPFLAGS_TINY := -DFUZZ_TINY_ELF='"$(abspath $(FUZZ_TINY_ELF))"'
$(FUZZ_OBJ)/fuzz/tiny_elf.o: fuzz/tiny_elf.c $(FUZZ_TINY_ELF)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) $(CPPFLAGS_TINY) -MMD -MP -c $< -o $@

$(FUZZ_LIB_OBJS) $(FUZZ_COMMON_OBJS): $(CAPOS_GEN) mk/fuzz.mk

# The fake HAL's big user-memory buffers bypass ASan's heap (fuzz/fuzz_alloc.c).
$(FUZZ_OBJ)/tests/unit/fake_hal.o: FUZZ_CFLAGS += -Dcalloc=fuzz_calloc -Dfree=fuzz_free

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_OUT)/%: $(FUZZ_OBJ)/fuzz/fuzz_%.o $(FUZZ_COMMON_OBJS) $(FUZZ_LIB)
	$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer $(FUZZ_LDFLAGS) $^ -o $@

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_COMMON_OBJS:.o=.d) $(patsubst %,$(FUZZ_OBJ)/fuzz/fuzz_%.d,$(FUZZ_NAMES))

.PHONY: fuzz-build fuzz-smoke fuzz fuzz-seeds
fuzz-build: $(FUZZ_BINS)

# ---------------------------------------------------------------- smoke

FUZZ_SMOKE_SECONDS ?= 45
TEST_TARGETS += fuzz-smoke

fuzz-smoke: $(FUZZ_BINS)
	@for n in $(FUZZ_NAMES); do \
		FUZZ_SMOKE_SECONDS=$(FUZZ_SMOKE_SECONDS) tools/run-suite.sh $(B)/test-results fuzz-$$n \
			fuzz/run.sh smoke $(FUZZ_OUT)/$$n fuzz/corpus/$$n $(FUZZ_OUT)/smoke/$$n; \
	done

# ---------------------------------------------------------------- long runs

FUZZER ?=
FUZZ_SECONDS ?= 0
fuzz: $(if $(FUZZER),$(FUZZ_OUT)/$(FUZZER))
	@test -n "$(FUZZER)" || { echo "make fuzz FUZZER=NAME (one of: $(FUZZ_NAMES))"; exit 2; }
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh long $(FUZZ_OUT)/$(FUZZER) fuzz/corpus/$(FUZZER) \
		$(FUZZ_OUT)/work/$(FUZZER)

# ---------------------------------------------------------------- coverage
#
#   make fuzz-coverage FUZZER=ring   line coverage of the kernel and the
#                                    Cap'n Proto runtime reached by the corpus
#                                    (fuzz/corpus/NAME and $(B)/fuzz/work/NAME/corpus)
#
# A separate build with clang's source-based coverage and no sanitizers:
# the harness runs every corpus input once (-runs=0), then llvm-cov reports.

FUZZ_COV_OBJ := $(FUZZ_OUT)/cov-obj
FUZZ_COV_CFLAGS := $(filter-out $(FUZZ_SAN),$(FUZZ_CFLAGS)) -fprofile-instr-generate -fcoverage-mapping
FUZZ_COV_LIB_OBJS := $(patsubst %.c,$(FUZZ_COV_OBJ)/%.o,$(FUZZ_LIB_SRCS))
FUZZ_COV_COMMON_OBJS := $(patsubst $(FUZZ_OBJ)/%,$(FUZZ_COV_OBJ)/%,$(FUZZ_COMMON_OBJS))

$(FUZZ_COV_OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_COV_CFLAGS) -MMD -MP -c $< -o $@
$(FUZZ_COV_OBJ)/fuzz/tiny_elf.o: fuzz/tiny_elf.c $(FUZZ_TINY_ELF)
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_COV_CFLAGS) -DFUZZ_TINY_ELF='"$(abspath $(FUZZ_TINY_ELF))"' -MMD -MP -c $< -o $@
$(FUZZ_COV_OBJ)/tests/unit/fake_hal.o: FUZZ_COV_CFLAGS += -Dcalloc=fuzz_calloc -Dfree=fuzz_free
$(FUZZ_COV_LIB_OBJS) $(FUZZ_COV_COMMON_OBJS): $(CAPOS_GEN) mk/fuzz.mk
$(FUZZ_OUT)/cov/%: $(FUZZ_COV_OBJ)/fuzz/fuzz_%.o $(FUZZ_COV_COMMON_OBJS) $(FUZZ_COV_LIB_OBJS)
	@mkdir -p $(@D)
	$(CLANG) -fprofile-instr-generate -fsanitize=fuzzer $(FUZZ_LDFLAGS) $^ -o $@
-include $(FUZZ_COV_LIB_OBJS:.o=.d) $(FUZZ_COV_COMMON_OBJS:.o=.d)

.PHONY: fuzz-coverage
fuzz-coverage: $(if $(FUZZER),$(FUZZ_OUT)/cov/$(FUZZER))
	@test -n "$(FUZZER)" || { echo "make fuzz-coverage FUZZER=NAME (one of: $(FUZZ_NAMES))"; exit 2; }
	@mkdir -p $(FUZZ_OUT)/work/$(FUZZER)/corpus
	rm -f $(FUZZ_OUT)/cov/$(FUZZER).profraw
	LLVM_PROFILE_FILE=$(FUZZ_OUT)/cov/$(FUZZER).profraw $(FUZZ_OUT)/cov/$(FUZZER) -runs=0 \
		$(FUZZ_OUT)/work/$(FUZZER)/corpus fuzz/corpus/$(FUZZER) >/dev/null 2>&1
	llvm-profdata merge -sparse $(FUZZ_OUT)/cov/$(FUZZER).profraw -o $(FUZZ_OUT)/cov/$(FUZZER).profdata
	llvm-cov report $(FUZZ_OUT)/cov/$(FUZZER) -instr-profile=$(FUZZ_OUT)/cov/$(FUZZER).profdata \
		kernel schema/capnp
	@echo "line by line: llvm-cov show $(FUZZ_OUT)/cov/$(FUZZER) -instr-profile=$(FUZZ_OUT)/cov/$(FUZZER).profdata FILE"

# ---------------------------------------------------------------- seeds

FUZZ_MKSEEDS := $(FUZZ_OUT)/mkseeds
$(FUZZ_MKSEEDS): $(FUZZ_OBJ)/fuzz/mkseeds.o $(FUZZ_COMMON_OBJS) $(FUZZ_LIB)
	$(CLANG) $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(FUZZ_LDFLAGS) $^ -o $@

fuzz-seeds: $(FUZZ_MKSEEDS) $(B)/tests/conformance/conf_c $(B)/tests/conformance/ref
	$(FUZZ_MKSEEDS) fuzz/corpus
	fuzz/conformance-seeds.sh $(B)/tests/conformance/conf_c $(B)/tests/conformance/ref \
		fuzz/corpus/capn_reader
