# libcapos (the C runtime of user programs) and how user programs are built.
#
# A user program is freestanding static-PIE x86_64: no libc, linked with
# libcapos.a (which carries the Cap'n Proto runtime, the schema accessors and
# the formatter, compiled for user mode). To build one:
#
#   $(eval $(call user_program,NAME,SOURCES))   ->  $(B)/user/NAME.elf
#
# or, by hand, see docs/user-programs.md.

USER_CFLAGS := -std=c11 -O2 -g $(WARN) -ffreestanding -nostdinc -isystem $(GCC_INC) \
	-fPIE -fno-stack-protector -fno-plt -Iinclude -Ilibcapos/include -Ischema -Ischema/capnp \
	-iquote common
USER_LDFLAGS := -static-pie -nostdlib -Wl,-z,separate-code -Wl,-z,noexecstack \
	-Wl,-z,relro -Wl,-z,now -Wl,-u,_start

LIBCAPOS_SRCS := $(sort $(wildcard libcapos/src/*.c)) $(CAPN_SRCS) schema/gen/capos.capnp.c common/fmt.c \
	common/mem.c
LIBCAPOS_OBJS := $(patsubst %.c,$(B)/user-obj/%.o,$(LIBCAPOS_SRCS)) $(B)/user-obj/libcapos/src/crt0.o
LIBCAPOS := $(B)/user/libcapos.a

$(B)/user-obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@
$(B)/user-obj/%.o: %.S
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c $< -o $@
# memcpy and friends must not be compiled into calls to themselves.
$(B)/user-obj/libcapos/src/string.o $(B)/user-obj/common/mem.o: USER_CFLAGS += -fno-tree-loop-distribute-patterns

$(LIBCAPOS): $(LIBCAPOS_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^

ALL_TARGETS += $(LIBCAPOS)
-include $(LIBCAPOS_OBJS:.o=.d)

define user_program
$(B)/user/$(1).elf: $(patsubst %.c,$(B)/user-obj/%.o,$(2)) $(LIBCAPOS)
	@mkdir -p $$(@D)
	$$(CC) $$(USER_LDFLAGS) $(patsubst %.c,$(B)/user-obj/%.o,$(2)) $(LIBCAPOS) -lgcc -o $$@
USER_PROGRAMS += $(B)/user/$(1).elf
ALL_TARGETS += $(B)/user/$(1).elf
endef
