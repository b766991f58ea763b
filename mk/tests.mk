# Unit tests: tests/unit/test_NAME.c is a cmocka program built to
# $(B)/tests/unit/test_NAME. A fragment declares one with
#
#   $(eval $(call unit_test,NAME,EXTRA_OBJECTS_OR_LIBS))
#
# and it is built by `make`, run by `make test` (target unit-NAME), and its
# cases are counted one by one in the summary (cmocka's TAP output).

CMOCKA_LIBS := -lcmocka
TEST_CFLAGS := $(HOST_CFLAGS) -Itests/unit -Wno-missing-prototypes

define unit_test
ALL_TARGETS += $(B)/tests/unit/test_$(1)
TEST_TARGETS += unit-$(1)
$(B)/tests/unit/test_$(1): tests/unit/test_$(1).c $(2)
	@mkdir -p $$(@D)
	$$(CC) $$(TEST_CFLAGS) -MMD -MP $$< $(2) $$(CMOCKA_LIBS) -o $$@
-include $(B)/tests/unit/test_$(1).d
.PHONY: unit-$(1)
unit-$(1): $(B)/tests/unit/test_$(1)
	@tools/run-suite.sh $(B)/test-results unit-$(1) $(B)/tests/unit/test_$(1)
endef
