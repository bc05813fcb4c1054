# tests/ — unit, integration and stress tests of the allocator, built per variant, and the plan
# that tests/run-tests runs. Other folders add their own tests from their module.mk.
#
#   tests/unit/X.c         debug (checks on), asan+ubsan, and release under valgrind memcheck
#   tests/integration/X.c  debug, asan+ubsan
#   tests/stress/X.c       debug (checks on), tsan
#   tests/fuzz/X.c         libFuzzer (clang, ASan+UBSan), run for a bounded number of inputs
#
# A test links the variant's libmini.a, so it can reach internals through libmini/src/internal.h.

TEST_UNIT := $(basename $(notdir $(wildcard tests/unit/*.c)))
TEST_INTEG := $(basename $(notdir $(wildcard tests/integration/*.c)))
TEST_STRESS := $(basename $(notdir $(wildcard tests/stress/*.c)))
TEST_FUZZ := $(basename $(notdir $(wildcard tests/fuzz/alloc_*.c)))
FUZZ_RUNS ?= 5000
# Unit tests that make no sense under valgrind (they measure the break or time).
VALGRIND_SKIP ?=
VALGRIND := valgrind --quiet --error-exitcode=99 --track-origins=no

# test_prog VARIANT KIND NAME — build $(VDIR)/tests/KIND/NAME from tests/KIND/NAME.c
define test_prog
$(VDIR_$(1))/tests/$(2)/$(3): $(call obj,$(1),tests/$(2)/$(3).c) $(VDIR_$(1))/lib/libmini.a
	@mkdir -p $$(@D)
	$$(call vcc,$(1)) $$(VFLAGS_$(1)) $$(VLDFLAGS_$(1)) -g -o $$@ $$^ -lpthread -lm
TEST_DEPS += $(VDIR_$(1))/tests/$(2)/$(3)
DEP_FILES += $(patsubst %.o,%.d,$(call obj,$(1),tests/$(2)/$(3).c))
endef

$(foreach t,$(TEST_UNIT),$(foreach v,debug asan release,$(eval $(call test_prog,$(v),unit,$(t)))))
$(foreach t,$(TEST_INTEG),$(foreach v,debug asan,$(eval $(call test_prog,$(v),integration,$(t)))))
$(foreach t,$(TEST_STRESS),$(foreach v,debug tsan,$(eval $(call test_prog,$(v),stress,$(t)))))
$(foreach t,$(TEST_FUZZ),$(eval $(call test_prog,fuzz,fuzz,$(t))))

$(foreach t,$(TEST_UNIT),$(eval $(call add_test,unit/$(t),300,-,$(VDIR_debug)/tests/unit/$(t))))
$(foreach t,$(TEST_UNIT),$(eval $(call add_test,asan/unit/$(t),300,-,$(VDIR_asan)/tests/unit/$(t))))
$(foreach t,$(filter-out $(VALGRIND_SKIP),$(TEST_UNIT)),$(eval $(call add_test,valgrind/unit/$(t),600,-,$(VALGRIND) $(VDIR_release)/tests/unit/$(t))))
$(foreach t,$(TEST_INTEG),$(eval $(call add_test,integration/$(t),300,-,$(VDIR_debug)/tests/integration/$(t))))
$(foreach t,$(TEST_INTEG),$(eval $(call add_test,asan/integration/$(t),300,-,$(VDIR_asan)/tests/integration/$(t))))
$(foreach t,$(TEST_STRESS),$(eval $(call add_test,stress/$(t),600,-,$(VDIR_debug)/tests/stress/$(t))))
$(foreach t,$(TEST_STRESS),$(eval $(call add_test,tsan/stress/$(t),600,-,$(VDIR_tsan)/tests/stress/$(t))))
$(foreach t,$(TEST_FUZZ),$(eval $(call add_test,fuzz/$(t),300,-,$(VDIR_fuzz)/tests/fuzz/$(t) -runs=$(FUZZ_RUNS) -seed=1 -max_len=4096 -rss_limit_mb=4096)))
