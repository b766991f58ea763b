# Unit tests of the portable kernel (kernel/) on a fake HAL.
#
# tests/unit/fake_hal.c implements every function of kernel/hal.h in plain
# hosted C (fake user addresses, captured console, a clock the test moves,
# hal_panic that longjmps back to the test). The kernel is compiled here a
# third time, for the host: HOST_CFLAGS (so the same warnings, and a later
# fuzzing harness can add sanitizers), plus -iquote kernel (never -I kernel:
# kernel/sched.h and kernel/timer.h would shadow <sched.h> and <time.h>).
#
# Linking: every kernel source goes into one archive, and each test links
#   test_NAME.c + fake_hal.o + libkernel-test.a + schema + capn runtime
# so the linker takes only the kernel objects a test reaches (test_elf gets
# elf.o alone; test_loader gets proc.o and everything it calls). Inside one
# archive the kernel's own cycles (proc <-> sched <-> boot) resolve, and the
# only symbols left for outside are hal_* (the fake HAL) and libc's memory
# functions: the same property `make check-freestanding` proves. A fuzzing
# harness links the same way: $(FAKE_HAL_OBJ) and $(KTEST_LIB), or its own
# sanitizer build of $(KTEST_SRCS) and tests/unit/fake_hal.c.
#
#   make unit-cap_table unit-ring_validate unit-elf unit-loader

KTEST_DIR := $(B)/kernel-test
KTEST_CFLAGS := $(HOST_CFLAGS) -fno-stack-protector -iquote kernel -Itests/unit
KTEST_SRCS := $(sort $(wildcard kernel/*.c kernel/cap/*.c)) common/fmt.c
KTEST_OBJS := $(patsubst %.c,$(KTEST_DIR)/%.o,$(KTEST_SRCS))
KTEST_LIB := $(KTEST_DIR)/libkernel-test.a
FAKE_HAL_OBJ := $(KTEST_DIR)/tests/unit/fake_hal.o
KTEST_LINK := $(FAKE_HAL_OBJ) $(KTEST_LIB) $(CAPOS_SCHEMA_HOST_LIB) $(CAPN_HOST_LIB)

$(KTEST_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(KTEST_CFLAGS) -MMD -MP -c $< -o $@

$(KTEST_OBJS) $(FAKE_HAL_OBJ): $(CAPOS_GEN)

$(KTEST_LIB): $(KTEST_OBJS)
	@rm -f $@
	ar rcs $@ $^

-include $(KTEST_OBJS:.o=.d) $(FAKE_HAL_OBJ:.o=.d)

# The test programs see kernel headers the same way.
KTEST_NAMES := cap_table ring_validate elf loader
$(foreach t,$(KTEST_NAMES),$(eval $(B)/tests/unit/test_$(t): TEST_CFLAGS += -iquote kernel))

# test_elf and test_loader read the static-PIE built for mkmanifest's tests
# (tests/mkmanifest/tiny.c: a relocation, TLS and RELRO).
KTEST_TINY_ELF := $(B)/tests/mkmanifest/tiny.elf
$(B)/tests/unit/test_elf $(B)/tests/unit/test_loader: TEST_CFLAGS += -DTINY_ELF='"$(abspath $(KTEST_TINY_ELF))"'
$(B)/tests/unit/test_elf $(B)/tests/unit/test_loader: $(KTEST_TINY_ELF)

$(foreach t,$(KTEST_NAMES),$(eval $(call unit_test,$(t),$(KTEST_LINK))))
