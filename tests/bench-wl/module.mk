# tests/bench-wl/ — tests of the benchmark workloads (bench/workloads/) and micro-benchmarks
# (bench/micro/). Names bench-wl/...; each is seconds at most (tiny scales).
#
#   bench-wl/run/ALLOC/NAME     wl-NAME at a tiny scale under glibc and jemalloc: exit 0, output ok
#   bench-wl/real/ALLOC/NAME    the real programs (sqlite, py-alloc) through run-real.sh
#   bench-wl/shm/ALLOC          the shm protocol, driven the way the runner drives it
#   bench-wl/bad-options        one-line errors and exit 2 for bad input
#   bench-wl/broken-alloc       a broken allocator makes the workloads exit 3
#   bench-wl/micro/ALLOC        mini-micro: a fast benchmark of each family, valid JSON
#   bench-wl/asan/NAME, bench-wl/tsan/NAME   the workloads' own code under ASan+UBSan and TSan

BWL := tests/bench-wl
BWL_OUT := $(B)/tests/bench-wl
BWL_ALLOCS := glibc jemalloc
BWL_WORKLOADS := $(WL_NAMES)

$(BWL_OUT)/shm-check: $(call obj,release,$(BWL)/shm_check.c)
	@mkdir -p $(@D)
	$(CC) -g -o $@ $^

# The broken allocator: a preload library over glibc's __libc_* functions.
$(BWL_OUT)/libbroken-alloc.so: $(BWL)/broken_alloc.c
	@mkdir -p $(@D)
	$(CC) $(COMMON_CPPFLAGS) -std=c11 -O1 -g -fPIC $(WARN) -fno-builtin -shared -o $@ $<

TEST_DEPS += $(BWL_OUT)/shm-check $(BWL_OUT)/libbroken-alloc.so
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,$(BWL)/shm_check.c))

$(foreach a,$(BWL_ALLOCS),$(foreach w,$(BWL_WORKLOADS),\
    $(eval $(call add_test,bench-wl/run/$(a)/$(w),120,-,$(BWL)/run-wl.sh $(a) $(w)))))
$(foreach a,$(BWL_ALLOCS),\
    $(eval $(call add_test,bench-wl/real/$(a)/sqlite,120,-,$(BWL)/real.sh $(a) sqlite)))
$(foreach a,$(BWL_ALLOCS),\
    $(eval $(call add_test,bench-wl/real/$(a)/py-alloc,120,-,$(BWL)/real.sh $(a) py-alloc 0.05)))
$(eval $(call add_test,bench-wl/shm/glibc,120,-,$(BWL_OUT)/shm-check))
$(eval $(call add_test,bench-wl/shm/jemalloc,120,-,env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 $(BWL_OUT)/shm-check))
$(eval $(call add_test,bench-wl/bad-options,120,-,$(BWL)/bad-options.sh))
$(eval $(call add_test,bench-wl/broken-alloc,120,-,$(BWL)/broken.sh $(BWL_OUT)/libbroken-alloc.so))
$(foreach a,$(BWL_ALLOCS),$(eval $(call add_test,bench-wl/micro/$(a),120,-,$(BWL)/micro.sh $(a))))

# The workloads' own code under the sanitizers (their allocator is then the sanitizer's).
$(foreach w,$(WL_NAMES),\
    $(eval $(call add_test,bench-wl/asan/$(w),120,-,$(BWL)/sanitized.sh $(VDIR_asan) $(w))))
$(foreach w,$(WL_THREADED),\
    $(eval $(call add_test,bench-wl/tsan/$(w),120,-,$(BWL)/sanitized.sh $(VDIR_tsan) $(w))))
