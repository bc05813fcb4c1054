# bench/workloads/ — the benchmark workload programs: build/bin/wl-<name>, one C file each,
# over the shared helpers of wl.c. The release build is what the runner measures; asan and tsan
# builds (build/asan/bin, build/tsan/bin) exist for the tests of the workloads themselves.
#
# No allocator is linked: the runner chooses one with LD_PRELOAD. Builtins of the allocation
# functions are off so that the compiler can neither elide nor merge malloc/free pairs.

WL_NAMES := small-churn prodcons server-sim false-sharing frag size-sweep realloc-growth phase
WL_THREADED := prodcons server-sim false-sharing
WL_LIB_SRCS := bench/workloads/wl.c
WL_SRCS := $(WL_LIB_SRCS) $(patsubst %,bench/workloads/wl-%.c,$(WL_NAMES))
WL_NOBUILTIN := -fno-builtin-malloc -fno-builtin-free -fno-builtin-calloc -fno-builtin-realloc \
    -fno-builtin-posix_memalign -fno-builtin-aligned_alloc -fno-builtin-memalign
WL_BINS := $(patsubst %,$(B)/bin/wl-%,$(WL_NAMES))

# wl_variant VARIANT — the rules for $(VDIR_VARIANT)/bin/wl-<name>.
define wl_variant
$(call obj,$(1),$(WL_SRCS)): CFLAGS += $(WL_NOBUILTIN)
$(VDIR_$(1))/bin/wl-%: $(call obj,$(1),bench/workloads/wl-%.c) $(call obj,$(1),$(WL_LIB_SRCS))
	@mkdir -p $$(@D)
	$$(CC) $$(VLDFLAGS_$(1)) -g -o $$@ $$^ -lpthread -lm -ldl
DEP_FILES += $(patsubst %.o,%.d,$(call obj,$(1),$(WL_SRCS)))
endef
$(foreach v,release asan tsan,$(eval $(call wl_variant,$(v))))

ALL_TARGETS += $(WL_BINS)
TEST_DEPS += $(WL_BINS) $(patsubst %,$(VDIR_asan)/bin/wl-%,$(WL_NAMES)) \
    $(patsubst %,$(VDIR_tsan)/bin/wl-%,$(WL_THREADED))
