# capOS's own user programs and the demos, each with its manifest, and the
# integration tests that boot them in capos-sim.
#
# A demo is a directory user/demos/NAME with its C sources and NAME.manifest;
# its test is tests/integration/NAME/expect (see tools/sim-test.sh).
#
#   make run-NAME     boot demo NAME
#   make test-sim     boot every demo in confined and fast mode, check transcripts

DEMOS := $(sort $(notdir $(wildcard user/demos/*)))
# Programs only tests use (user/tests/NAME, same shape as a demo, no expect).
TEST_PROGRAMS := $(sort $(notdir $(wildcard user/tests/*)))

$(foreach d,$(DEMOS),$(eval $(call user_program,$(d),$(sort $(wildcard user/demos/$(d)/*.c)))))
$(eval $(call user_program,welcome,$(sort $(wildcard user/welcome/*.c))))
$(eval $(call user_program,init,$(sort $(wildcard user/init/*.c))))

# A demo's manifest may run other programs (init, other demos' binaries):
# it depends on every user program, so whatever it names is built.
define demo_manifest
$(B)/manifests/$(1).bin: user/demos/$(1)/$(1).manifest $(MKMANIFEST) $$(USER_PROGRAMS)
	@mkdir -p $$(@D)
	$(MKMANIFEST) -L $(B) -o $$@ $$<
DEMO_MANIFESTS += $(B)/manifests/$(1).bin
.PHONY: run-$(1)
run-$(1): $(CAPOS_SIM) $(B)/manifests/$(1).bin
	$(CAPOS_SIM) $(B)/manifests/$(1).bin
endef
# Demos without their own manifest are binaries other demos' manifests run.
$(foreach d,$(DEMOS),$(if $(wildcard user/demos/$(d)/$(d).manifest),$(eval $(call demo_manifest,$(d)))))

define test_program
$(eval $(call user_program,$(1),$(sort $(wildcard user/tests/$(1)/*.c))))
$(B)/manifests/$(1).bin: user/tests/$(1)/$(1).manifest $(MKMANIFEST) $(B)/user/$(1).elf
	@mkdir -p $$(@D)
	$(MKMANIFEST) -L $(B) -o $$@ $$<
TEST_MANIFESTS += $(B)/manifests/$(1).bin
endef
$(foreach t,$(TEST_PROGRAMS),$(eval $(call test_program,$(t))))

$(DEFAULT_MANIFEST): $(B)/user/welcome.elf

ALL_TARGETS += $(DEMO_MANIFESTS) $(TEST_MANIFESTS)

TEST_TARGETS += test-sim-cli
.PHONY: test-sim-cli
test-sim-cli: $(CAPOS_SIM) $(DEMO_MANIFESTS) $(TEST_MANIFESTS)
	@tools/run-suite.sh $(B)/test-results sim-cli tests/sim-cli/run.sh $(CAPOS_SIM) $(B)/manifests

TEST_TARGETS += test-sim
.PHONY: test-sim
test-sim: $(CAPOS_SIM) $(DEMO_MANIFESTS)
	@tools/run-suite.sh $(B)/test-results sim tools/sim-test.sh $(CAPOS_SIM) $(B)/manifests tests/integration

# Every demo whose test lists the valgrind mode, under memcheck in --fast mode:
# no error and no definite leak allowed (tools/sim-test.sh). Demos that need
# confinement (escape-attempt) cannot run there: valgrind cannot do Syscall
# User Dispatch or seccomp.
.PHONY: valgrind-smoke
valgrind-smoke: $(CAPOS_SIM) $(DEMO_MANIFESTS)
	SIM_TEST_MODES=valgrind tools/sim-test.sh $(CAPOS_SIM) $(B)/manifests tests/integration

# Exit statuses of IPC runs that do not end well (a deadlock ends with 123).
TEST_TARGETS += test-sim-cli-ipc
.PHONY: test-sim-cli-ipc
test-sim-cli-ipc: $(CAPOS_SIM) $(B)/manifests/ipc-deadlock.bin
	@tools/run-suite.sh $(B)/test-results sim-cli-ipc tests/sim-cli-ipc/run.sh $(CAPOS_SIM) $(B)/manifests
