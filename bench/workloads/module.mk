# bench/workloads/ — the benchmark workload programs: build/bin/wl-<name>, one C file each,
# over the shared helpers of wl.c. Release build only (the runner measures these).
#
# No allocator is linked: the runner chooses one with LD_PRELOAD. Builtins of the allocation
# functions are off so that the compiler can neither elide nor merge malloc/free pairs.

WL_NAMES := small-churn prodcons server-sim false-sharing frag size-sweep realloc-growth phase
WL_LIB_SRCS := bench/workloads/wl.c
WL_NOBUILTIN := -fno-builtin-malloc -fno-builtin-free -fno-builtin-calloc -fno-builtin-realloc \
    -fno-builtin-posix_memalign -fno-builtin-aligned_alloc -fno-builtin-memalign
WL_OBJS := $(call obj,release,$(WL_LIB_SRCS) $(patsubst %,bench/workloads/wl-%.c,$(WL_NAMES)))
WL_BINS := $(patsubst %,$(B)/bin/wl-%,$(WL_NAMES))

$(WL_OBJS): CFLAGS += $(WL_NOBUILTIN)

$(B)/bin/wl-%: $(call obj,release,bench/workloads/wl-%.c) $(call obj,release,$(WL_LIB_SRCS))
	@mkdir -p $(@D)
	$(CC) -g -o $@ $^ -lpthread -lm -ldl

ALL_TARGETS += $(WL_BINS)
TEST_DEPS += $(WL_BINS)
DEP_FILES += $(WL_OBJS:.o=.d)
