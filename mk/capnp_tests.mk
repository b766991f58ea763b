# Hostile-input and builder unit tests for the Cap'n Proto runtime
# (schema/capnp): tests/unit/test_capn_reader.c, tests/unit/test_capn_builder.c.
# (Named so that it is read after mk/capnp.mk, which defines CAPN_HOST_LIB.)
$(eval $(call unit_test,capn_reader,$(CAPN_HOST_LIB)))
$(eval $(call unit_test,capn_builder,$(CAPN_HOST_LIB)))
