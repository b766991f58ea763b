# tools/mkmanifest, and the portable kernel files it shares with the kernel
# (the ELF validator, the manifest validator, the formatter) built for the host.

KERNEL_SHARED_SRCS := kernel/elf.c kernel/manifest.c common/fmt.c
KERNEL_SHARED_HOST_OBJS := $(patsubst %.c,$(B)/host/%.o,$(KERNEL_SHARED_SRCS))

MKMANIFEST_SRCS := $(wildcard tools/mkmanifest/*.c)
MKMANIFEST_OBJS := $(patsubst %.c,$(B)/host/%.o,$(MKMANIFEST_SRCS))
MKMANIFEST := $(B)/tools/mkmanifest

$(MKMANIFEST_OBJS): HOST_CFLAGS += -iquote kernel -DCAPOS_SCHEMA_PATH='"$(CURDIR)/schema/capos.capnp"'
$(MKMANIFEST_OBJS) $(KERNEL_SHARED_HOST_OBJS): $(CAPOS_GEN)

$(MKMANIFEST): $(MKMANIFEST_OBJS) $(KERNEL_SHARED_HOST_OBJS) $(CAPOS_SCHEMA_HOST_LIB) $(CAPN_HOST_LIB)
	@mkdir -p $(@D)
	$(CC) $^ -o $@

ALL_TARGETS += $(MKMANIFEST)

# Test inputs: a freestanding static-PIE and an ordinary dynamic program.
MKMANIFEST_TEST_DIR := $(B)/tests/mkmanifest
$(MKMANIFEST_TEST_DIR)/tiny.elf: tests/mkmanifest/tiny.c
	@mkdir -p $(@D)
	$(CC) -O2 -fPIE -ffreestanding -nostdlib -static-pie -Wl,-z,separate-code \
		-Wl,-z,noexecstack $< -o $@
$(MKMANIFEST_TEST_DIR)/dynamic.elf: tests/mkmanifest/dynamic.c
	@mkdir -p $(@D)
	$(CC) -O2 $< -o $@

TEST_TARGETS += test-mkmanifest
.PHONY: test-mkmanifest
test-mkmanifest: $(MKMANIFEST) $(MKMANIFEST_TEST_DIR)/tiny.elf $(MKMANIFEST_TEST_DIR)/dynamic.elf
	@tools/run-suite.sh $(B)/test-results mkmanifest tests/mkmanifest/run.sh \
		$(MKMANIFEST) $(MKMANIFEST_TEST_DIR)/tiny.elf $(MKMANIFEST_TEST_DIR)/dynamic.elf

-include $(MKMANIFEST_OBJS:.o=.d) $(KERNEL_SHARED_HOST_OBJS:.o=.d)
