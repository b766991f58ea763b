# The x86_64 kernel image: the portable kernel core (the same KERNEL_SRCS and
# KERNEL_LIB_SRCS capos-sim uses) on hal-x86_64/, compiled for the higher
# half and booted by QEMU with a manifest as its boot module. See
# docs/boot-x86_64.md.
#
#   make x86_64-image      build $(X86_IMAGE) (also part of `make`)
#   make run-qemu          boot the default manifest under QEMU
#   make run-qemu-NAME     boot demo NAME's manifest under QEMU
#   make test-qemu         boot every demo whose test lists the qemu mode, check
#                          its transcript and exit status and compare the
#                          transcript with capos-sim's; then the protection
#                          self-tests (part of `make test` when
#                          qemu-system-x86_64 is installed)

QEMU ?= qemu-system-x86_64
X86_DIR := $(B)/x86_64
X86_ELF := $(X86_DIR)/capos-x86_64.elf
X86_IMAGE := $(X86_DIR)/capos-x86_64.bin

# Higher-half kernel code (-mcmodel=kernel: everything in the top 2 GiB), no
# red zone (interrupts arrive on the kernel stack), and no FPU/SSE registers
# anywhere in the kernel, so user FPU state survives kernel entries untouched.
X86_CFLAGS := -std=c11 -O2 -g $(WARN) -ffreestanding -nostdinc -isystem $(GCC_INC) \
	-fno-stack-protector -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	-Ischema -Ischema/capnp -Iinclude -iquote kernel -iquote common -iquote hal-x86_64
X86_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack -T hal-x86_64/kernel.ld

HAL_X86_SRCS := $(sort $(wildcard hal-x86_64/*.c)) hal-x86_64/boot.S hal-x86_64/entry.S common/mem.c
X86_OBJS := $(patsubst %,$(X86_DIR)/obj/%.o,$(basename $(HAL_X86_SRCS) $(KERNEL_SRCS) $(KERNEL_LIB_SRCS)))

$(X86_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(X86_CFLAGS) -MMD -MP -c $< -o $@
$(X86_DIR)/obj/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(X86_CFLAGS) -MMD -MP -c $< -o $@
# memcpy and friends must not be compiled into calls to themselves.
$(X86_DIR)/obj/common/mem.o: X86_CFLAGS += -fno-tree-loop-distribute-patterns

$(X86_ELF): $(X86_OBJS) hal-x86_64/kernel.ld
	ld $(X86_LDFLAGS) -o $@ $(X86_OBJS)

# QEMU's multiboot loader takes a flat image (boot.S: the a.out kludge).
$(X86_IMAGE): $(X86_ELF)
	objcopy -O binary $< $@

.PHONY: x86_64-image
x86_64-image: $(X86_IMAGE)
ALL_TARGETS += $(X86_IMAGE)
-include $(X86_OBJS:.o=.d)

.PHONY: run-qemu
run-qemu: $(X86_IMAGE) $(DEFAULT_MANIFEST)
	tools/qemu-run.sh $(X86_IMAGE) $(DEFAULT_MANIFEST)

define qemu_demo
.PHONY: run-qemu-$(1)
run-qemu-$(1): $(X86_IMAGE) $(B)/manifests/$(1).bin
	tools/qemu-run.sh $(X86_IMAGE) $(B)/manifests/$(1).bin
endef
$(foreach d,$(DEMOS),$(eval $(call qemu_demo,$(d))))

# Two suites: the qemu mode of tools/sim-test.sh (each demo under QEMU, and
# the same demo under capos-sim for the transcript comparison,
# tools/qemu-compare.sh), and the kernel-mode protection self-tests
# (tools/qemu-selftest.sh).
TEST_TARGETS += test-qemu
.PHONY: test-qemu
ifneq ($(shell command -v $(QEMU) 2>/dev/null),)
test-qemu: $(X86_IMAGE) $(CAPOS_SIM) $(DEMO_MANIFESTS) $(DEFAULT_MANIFEST)
	@echo "  $$(tools/qemu-run.sh --print-accel)"
	@SIM_TEST_MODES=qemu SIM_TEST_QEMU_IMAGE=$(X86_IMAGE) \
		tools/run-suite.sh $(B)/test-results qemu tools/sim-test.sh $(CAPOS_SIM) $(B)/manifests tests/integration
	@tools/run-suite.sh $(B)/test-results qemu-selftest tools/qemu-selftest.sh $(X86_IMAGE) $(DEFAULT_MANIFEST)
else
test-qemu:
	@echo "  skip  qemu ($(QEMU) is not installed: run 'make deps')"
	@echo "SKIP qemu ($(QEMU) not installed)" >>$(B)/test-results
endif
