# The portable kernel core (kernel/), with the freestanding libraries it uses
# (the Cap'n Proto runtime, the generated schema code, common/fmt.c), built
# freestanding for the simulator: no libc headers, no stack protector. The
# simulator links it with glibc, which supplies memcpy and friends.
#
#   make check-freestanding   prove kernel/ needs nothing but the HAL and
#                             four memory functions (also run by `make test`)

GCC_INC := $(shell $(CC) -print-file-name=include)
KERNEL_CFLAGS := -std=c11 -O2 -g $(WARN) -ffreestanding -nostdinc -isystem $(GCC_INC) \
	-fno-stack-protector -fPIE -Ischema -Ischema/capnp -Iinclude -iquote kernel -iquote common

KERNEL_SRCS := $(sort $(wildcard kernel/*.c kernel/cap/*.c))
KERNEL_LIB_SRCS := $(CAPN_SRCS) schema/gen/capos.capnp.c common/fmt.c
KERNEL_SIM_OBJS := $(patsubst %.c,$(B)/kernel-sim/%.o,$(KERNEL_SRCS) $(KERNEL_LIB_SRCS))
KERNEL_SIM_LIB := $(B)/kernel-sim/libkernel.a

$(B)/kernel-sim/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(KERNEL_SIM_LIB): $(KERNEL_SIM_OBJS)
	@rm -f $@
	ar rcs $@ $^

ALL_TARGETS += $(KERNEL_SIM_LIB)
-include $(KERNEL_SIM_OBJS:.o=.d)

# Everything the kernel objects still need from outside must be a hal_*
# function or one of the four memory functions a freestanding compiler may
# call (they come from the HAL side: glibc in the simulator); position-
# independent code also names the linker's _GLOBAL_OFFSET_TABLE_.
KERNEL_ALLOWED_UNDEFINED := memcpy memmove memset memcmp _GLOBAL_OFFSET_TABLE_
.PHONY: check-freestanding
check-freestanding: $(KERNEL_SIM_OBJS)
	@ld -r -o $(B)/kernel-sim/kernel-all.o $(KERNEL_SIM_OBJS)
	@bad=$$(nm -u $(B)/kernel-sim/kernel-all.o | awk '{print $$2}' | \
		grep -v -E '^(hal_[a-z_]+|$(subst $(eval) ,|,$(KERNEL_ALLOWED_UNDEFINED)))$$' || true); \
	if [ -n "$$bad" ]; then echo "kernel/ depends on more than the HAL: $$bad"; exit 1; fi
	@if grep -rnE '#\s*include\s*<' kernel | grep -vE '<(stdint|stddef|stdbool|stdarg)\.h>'; then \
		echo "kernel/ includes a header beyond the freestanding four"; exit 1; fi
	@echo "kernel/ is freestanding: it needs only hal_* and $(KERNEL_ALLOWED_UNDEFINED)"

TEST_TARGETS += test-freestanding
.PHONY: test-freestanding
test-freestanding:
	@tools/run-suite.sh $(B)/test-results check-freestanding $(MAKE) --no-print-directory check-freestanding
