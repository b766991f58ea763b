# Benchmarks (bench/README.md, docs/performance.md). Not part of `make all`
# or `make test`: timings are never test thresholds.
#
#   make bench-ipc     capOS IPC, NullCap and spawn+wait against a Linux
#                      baseline measured in the same run; medians, ratios,
#                      the targets, and the memory a process costs
#   make profile-ipc   callgrind profile of the IPC path (--fast), top five
#
# This fragment is read before the ones defining $(LIBCAPOS), $(CAPOS_SIM)
# and $(MKMANIFEST), so prerequisites name those files by path.

BENCH := $(B)/bench
BENCH_SIM := $(B)/capos-sim
BENCH_LIBCAPOS := $(B)/user/libcapos.a
BENCH_MKMANIFEST := $(B)/tools/mkmanifest
BENCH_VALGRIND_INC ?= /usr/include/valgrind

BENCH_CAPOS_PROGS := bench echo true idle
BENCH_CAPOS_ELFS := $(patsubst %,$(BENCH)/capos-%.elf,$(BENCH_CAPOS_PROGS))
BENCH_MANIFESTS := $(patsubst bench/%.manifest,$(BENCH)/%.bin,$(wildcard bench/*.manifest))
BENCH_LINUX := $(BENCH)/linux-bench $(BENCH)/true-nostdlib $(BENCH)/true-glibc
BENCH_HOST_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror

# capOS programs: freestanding static-PIE like every user program
# (mk/libcapos.mk), plus valgrind's client-request header for the profile.
$(BENCH)/obj/%.o: bench/capos/%.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -isystem $(BENCH_VALGRIND_INC) -MMD -MP -c $< -o $@

$(BENCH)/capos-%.elf: $(BENCH)/obj/%.o $(BENCH_LIBCAPOS)
	$(CC) $(USER_LDFLAGS) $< $(BENCH_LIBCAPOS) -lgcc -o $@

$(BENCH)/%.bin: bench/%.manifest $(BENCH_CAPOS_ELFS) $(BENCH_MKMANIFEST)
	$(BENCH_MKMANIFEST) -L $(B) -o $@ $<

# The Linux side.
$(BENCH)/linux-bench: bench/linux/linux-bench.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_HOST_CFLAGS) -pthread $< -o $@
$(BENCH)/true-nostdlib: bench/linux/true-nostdlib.c
	@mkdir -p $(@D)
	$(CC) -O2 -static -nostdlib -fno-stack-protector -fno-pie -no-pie $< -o $@
$(BENCH)/true-glibc: bench/linux/true-glibc.c
	@mkdir -p $(@D)
	$(CC) -O2 -static $< -o $@

# The kernel's per-process records, as this host compiles them.
$(BENCH)/sizes: bench/sizes.c
	@mkdir -p $(@D)
	$(CC) $(BENCH_HOST_CFLAGS) -iquote kernel -iquote hal-host -Iinclude -Ischema -Ischema/capnp \
		-iquote common $< -o $@

.SECONDARY: $(patsubst %,$(BENCH)/obj/%.o,$(BENCH_CAPOS_PROGS))
-include $(patsubst %,$(BENCH)/obj/%.d,$(BENCH_CAPOS_PROGS))

.PHONY: bench-ipc profile-ipc bench-build
bench-build: $(BENCH_SIM) $(BENCH_CAPOS_ELFS) $(BENCH_MANIFESTS) $(BENCH_LINUX) $(BENCH)/sizes

bench-ipc: bench-build
	@bench/bench-ipc.sh $(BENCH_SIM) $(BENCH)

profile-ipc: bench-build
	@bench/profile-ipc.sh $(BENCH_SIM) $(BENCH) $(B)/profile-ipc.callgrind.out
