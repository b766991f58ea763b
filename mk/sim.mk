# capos-sim: the host HAL (hal-host/), the simulator program (sim/) and the
# kernel, linked into one Linux program; ./capos-sim links to it.
#
#   make run           boot the built-in default system
#   make run-NAME      boot the demo NAME's manifest (user/demos/NAME)

SIM_CFLAGS := $(HOST_CFLAGS) -fno-stack-protector -iquote kernel -iquote hal-host
HAL_HOST_SRCS := $(sort $(wildcard hal-host/*.c)) hal-host/switch.S
SIM_SRCS := sim/main.c sim/default_manifest.S
SIM_OBJS := $(patsubst %,$(B)/sim-obj/%.o,$(basename $(HAL_HOST_SRCS) $(SIM_SRCS)))
CAPOS_SIM := $(B)/capos-sim
DEFAULT_MANIFEST := $(B)/manifests/default.bin

$(B)/sim-obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) -MMD -MP -c $< -o $@
$(B)/sim-obj/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) -c $< -o $@
$(B)/sim-obj/sim/default_manifest.o: sim/default_manifest.S $(DEFAULT_MANIFEST)
	@mkdir -p $(@D)
	$(CC) $(SIM_CFLAGS) -DDEFAULT_MANIFEST='"$(DEFAULT_MANIFEST)"' -c $< -o $@

$(CAPOS_SIM): $(SIM_OBJS) $(KERNEL_SIM_LIB)
	$(CC) $(SIM_OBJS) $(KERNEL_SIM_LIB) -lseccomp -o $@
	@ln -sf $(CAPOS_SIM) capos-sim

ALL_TARGETS += $(CAPOS_SIM)
CLEAN_EXTRA += capos-sim
-include $(SIM_OBJS:.o=.d)

# Manifests: user/NAME.manifest or user/demos/NAME/NAME.manifest, with host
# paths found in $(B) (e.g. "user/c-hello.elf").
$(B)/manifests/%.bin: user/%.manifest $(MKMANIFEST)
	@mkdir -p $(@D)
	$(MKMANIFEST) -L $(B) -o $@ $<

.PHONY: run
run: deps all
	$(CAPOS_SIM)

# The host HAL's address spaces on their own (tests/unit/test_host_mem.c);
# it counts mprotect calls through the linker.
HOST_MEM_TEST_OBJS := $(B)/sim-obj/hal-host/mem.o
$(B)/tests/unit/test_host_mem: TEST_CFLAGS += -iquote kernel -iquote hal-host -Wl,--wrap=mprotect
$(eval $(call unit_test,host_mem,$(HOST_MEM_TEST_OBJS)))
