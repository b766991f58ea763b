# Conformance tests: the capOS Cap'n Proto runtime (schema/capnp) and the C
# accessors tools/capnpc-c generates, against Debian's reference C++ libcapnp
# and the capnp tool, in both directions (tests/conformance/README.md).
#
#   make conformance     build both sides and run every pair (also run by `make test`)
#
# tests/conformance/conformance.capnp is compiled twice: to C by our plugin
# (mk/capnpc.mk's capnpc_c_rule) and to C++ by `capnp compile -oc++`.

CONF_DIR := tests/conformance
CONF_SCHEMA := $(CONF_DIR)/conformance.capnp
CONF_GEN_C := $(B)/gen/conformance
CONF_GEN_CXX := $(B)/gen/conformance-c++
CONF_OUT := $(B)/tests/conformance
CONF_REF := $(CONF_OUT)/ref
CONF_C := $(CONF_OUT)/conf_c

$(eval $(call capnpc_c_rule,$(CONF_SCHEMA),$(CONF_GEN_C)))

$(CONF_GEN_CXX)/conformance.capnp.h $(CONF_GEN_CXX)/conformance.capnp.c++ &: $(CONF_SCHEMA)
	@mkdir -p $(CONF_GEN_CXX)
	$(CAPNP) compile --src-prefix=$(CONF_DIR)/ -oc++:$(CONF_GEN_CXX) $<

# The reference side; -lcapnp-rpc for capability tables.
$(CONF_REF): $(CONF_DIR)/ref.c++ $(CONF_DIR)/values.h $(CONF_GEN_CXX)/conformance.capnp.h \
		$(CONF_GEN_CXX)/conformance.capnp.c++
	@mkdir -p $(@D)
	$(CXX) $(HOST_CXXFLAGS) -I$(CONF_GEN_CXX) -I$(CONF_DIR) $(CONF_DIR)/ref.c++ \
		$(CONF_GEN_CXX)/conformance.capnp.c++ -lcapnp-rpc -lcapnp -lkj-async -lkj -o $@

# The C side: generated accessors over the runtime.
$(CONF_C): $(CONF_DIR)/conf_c.c $(CONF_DIR)/values.h $(CONF_GEN_C)/conformance.capnp.h \
		$(CONF_GEN_C)/conformance.capnp.o $(CAPN_HOST_LIB) $(CAPN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(CONF_GEN_C) -I$(CONF_DIR) $< $(CONF_GEN_C)/conformance.capnp.o \
		$(CAPN_HOST_LIB) -lm -o $@

ALL_TARGETS += $(CONF_REF) $(CONF_C)
TEST_TARGETS += conformance

.PHONY: conformance
conformance: $(CONF_REF) $(CONF_C)
	@rm -rf $(CONF_OUT)/work
	@CAPNP=$(CAPNP) tools/run-suite.sh $(B)/test-results conformance \
		sh $(CONF_DIR)/run.sh $(CONF_REF) $(CONF_C) $(CONF_SCHEMA) $(CONF_DIR)/text \
		$(CONF_OUT)/work
