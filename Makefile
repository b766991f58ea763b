# capOS: one entry point. `make help` lists the targets.
#
# Non-recursive: each component contributes a fragment in mk/ that adds its
# rules and appends to the aggregate variables below. Everything is built into
# build/ ($(B)); `make clean` removes it. `make -j2` is supported.

.DEFAULT_GOAL := all
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:

B ?= build
CC ?= gcc
CXX ?= g++
CLANG ?= clang
CAPNP ?= capnp

# Host programs (tools, tests, the simulator). Warnings are errors everywhere.
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wno-unused-parameter
HOST_CFLAGS := -std=c11 -O2 -g $(WARN) -D_GNU_SOURCE -Ischema -Ischema/capnp -Iinclude -iquote common
HOST_CXXFLAGS := -std=c++17 -O2 -g -Wall -Wextra -Werror

# Aggregates filled in by the fragments.
ALL_TARGETS :=        # built by `make`
TEST_TARGETS :=       # phony targets `make test` runs, in order
CLEAN_EXTRA :=

# Every component's fragment; mk/tests.mk defines the unit-test rules the
# others use, so it is read first.
include mk/tests.mk
include $(filter-out mk/tests.mk,$(sort $(wildcard mk/*.mk)))

.PHONY: all help deps test clean generated generated-code-check
all: $(ALL_TARGETS)

deps:
	@tools/deps.sh

# `make test` runs every suite and ends with one summary line, "N passed, M failed".
# Each suite appends "PASS name" / "FAIL name" lines to $(B)/test-results.
test: deps all
	@rm -f $(B)/test-results; mkdir -p $(B)
	@$(MAKE) --no-print-directory -k $(TEST_TARGETS) || true
	@tools/test-summary.sh $(B)/test-results

clean:
	rm -rf $(B) $(CLEAN_EXTRA)

help:
	@echo "make deps                  install missing Debian packages (tools/deps.sh)"
	@echo "make / make all            build everything"
	@echo "make test                  build and run every test; ends with 'N passed, M failed'"
	@echo "make run                   boot the default system in capos-sim"
	@echo "make run-NAME              boot demo NAME (user/demos/NAME)"
	@echo "make check-freestanding    prove kernel/ needs nothing but its HAL"
	@echo "make valgrind-smoke        run the demos under valgrind memcheck"
	@echo "make run-qemu              boot the default system on the x86_64 kernel under QEMU"
	@echo "make test-qemu             boot every demo under QEMU and check the same transcripts"
	@echo "make fuzz-smoke            run each fuzzer briefly (part of make test); make fuzz FUZZER=NAME"
	@echo "make bench-ipc             IPC, spawn and memory against a Linux baseline (docs/performance.md)"
	@echo "make profile-ipc           callgrind profile of the IPC path"
	@echo "make generated             regenerate schema/gen from schema/capos.capnp"
	@echo "make generated-code-check  fail if the checked-in generated code is stale"
	@echo "make clean                 remove build/"
