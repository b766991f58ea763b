# The Cap'n Proto runtime (schema/capnp) and the code generated from the schema.
#
# The runtime is compiled twice: for host programs (tools, tests, the
# simulator) and freestanding (no libc headers) to prove the kernel can use it.

CAPN_SRCS := schema/capnp/capn_read.c schema/capnp/capn_build.c
CAPN_HDRS := schema/capnp/capn.h schema/capnp/capn_internal.h
CAPN_HOST_OBJS := $(patsubst %.c,$(B)/host/%.o,$(CAPN_SRCS))
CAPN_HOST_LIB := $(B)/host/libcapn.a

FREESTANDING_CFLAGS := -std=c11 -O2 -g $(WARN) -ffreestanding -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -fno-stack-protector \
	-mno-red-zone -fno-pic -mcmodel=kernel
CAPN_FREE_OBJS := $(patsubst %.c,$(B)/free/%.o,$(CAPN_SRCS))

ALL_TARGETS += $(CAPN_HOST_LIB) $(CAPN_FREE_OBJS)

$(B)/host/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(B)/free/schema/capnp/%.o: schema/capnp/%.c $(CAPN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(FREESTANDING_CFLAGS) -Ischema/capnp -c $< -o $@

$(CAPN_HOST_LIB): $(CAPN_HOST_OBJS)
	@rm -f $@
	ar rcs $@ $^

-include $(CAPN_HOST_OBJS:.o=.d)
