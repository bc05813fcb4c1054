# bench/micro/ — build/bin/mini-micro: allocator micro-benchmarks written in C over a thin
# C++ shim to Google Benchmark (gbench_shim.cc, the project's only C++).
#
# The C benchmarks are built with -fno-builtin so that the compiler can neither elide nor merge
# the allocation calls they measure. No allocator is linked: run mini-micro under LD_PRELOAD.
# Debian's libbenchmark (libbenchmark-dev, deps groups bench and test) is a DEBUG build; see
# gbench_shim.cc for why the comparison between allocators stays fair.

MICRO_C_SRCS := $(sort $(wildcard bench/micro/*.c))
MICRO_CC_SRCS := bench/micro/gbench_shim.cc
MICRO_OBJS := $(call obj,release,$(MICRO_C_SRCS) $(MICRO_CC_SRCS))

$(call obj,release,$(MICRO_C_SRCS)): CFLAGS += -fno-builtin

$(B)/bin/mini-micro: $(MICRO_OBJS)
	@mkdir -p $(@D)
	$(CXX) -g -o $@ $^ -lbenchmark -lpthread

ifneq ($(wildcard /usr/include/benchmark/benchmark.h),)
ALL_TARGETS += $(B)/bin/mini-micro
else
$(info bench/micro: skipped build/bin/mini-micro: libbenchmark-dev not installed (tests/deps.sh bench))
endif
TEST_DEPS += $(B)/bin/mini-micro
DEP_FILES += $(MICRO_OBJS:.o=.d)
