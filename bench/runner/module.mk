# bench/runner/ — mini-bench, the benchmark runner (build/bin/mini-bench), its test workload
# (build/tests/bench/wl-testwl) and the `make bench` target.
#
#   make bench [PROFILE=quick|default]   install the bench packages, build, run bench/run-bench

RUNNER_SRCS := $(filter-out bench/runner/testwl.c,$(sort $(wildcard bench/runner/*.c)))
RUNNER_LIBS := -ldl -lm

$(B)/bin/mini-bench: $(call obj,release,$(RUNNER_SRCS))
	@mkdir -p $(@D)
	$(CC) -g -o $@ $^ $(RUNNER_LIBS)

$(B)/tests/bench/wl-testwl: $(call obj,release,bench/runner/testwl.c)
	@mkdir -p $(@D)
	$(CC) -g -o $@ $^ -lpthread

ALL_TARGETS += $(B)/bin/mini-bench
$(B)/tests/bench/wl-testwl-mt: $(B)/tests/bench/wl-testwl
	ln -sf wl-testwl $@

TEST_DEPS += $(B)/tests/bench/wl-testwl $(B)/tests/bench/wl-testwl-mt
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,$(RUNNER_SRCS) bench/runner/testwl.c))

PROFILE ?= default
bench:
	tests/deps.sh build bench && $(MAKE) all && bench/run-bench $(PROFILE)
