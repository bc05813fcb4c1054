# bench/sweep/ — the overcommit / swappiness sweep (issue 6) and the seed-question probes
# (README.md). Run by bench/run-bench through bench/sweep/run-sweep; tests in tests/sweep/.
#
#   build/bin/mini-sweep                               the sweep's driver (root)
#   build/bin/wl-anon-over, wl-file-anon, wl-overask   the sweep's workloads (wl.h conventions,
#                                                      over bench/workloads/wl.c; no allocator
#                                                      linked: the sweep preloads one)
#   build/bin/mini-seedprobe                           the seed questions' probes
#   bench/sweep/run-sweep, sections.py                 scripts (run in place)

SWEEP_WL_NAMES := anon-over file-anon overask
SWEEP_WL_SRCS := $(patsubst %,bench/sweep/wl-%.c,$(SWEEP_WL_NAMES))
SWEEP_WL_BINS := $(patsubst %,$(B)/bin/wl-%,$(SWEEP_WL_NAMES))

# Builtins of the allocation functions off, as for every workload (bench/workloads/module.mk).
$(call obj,release,$(SWEEP_WL_SRCS)): CFLAGS += $(WL_NOBUILTIN)
$(SWEEP_WL_BINS): $(B)/bin/wl-%: $(call obj,release,bench/sweep/wl-%.c) $(call obj,release,bench/workloads/wl.c)
	@mkdir -p $(@D)
	$(CC) -g -o $@ $^ -lpthread -lm -ldl
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,$(SWEEP_WL_SRCS)))
ALL_TARGETS += $(SWEEP_WL_BINS)

# build/bin/mini-sweep: the driver (root; bench/vmctl for every setting it changes).
SWEEP_SRCS := bench/sweep/main.c bench/sweep/plan.c bench/sweep/real.c bench/sweep/model.c \
    bench/sweep/out.c bench/sweep/json.c
$(B)/bin/mini-sweep: $(call obj,release,$(SWEEP_SRCS)) $(B)/lib/libvmctl.a
	@mkdir -p $(@D)
	$(CC) -g -o $@ $^ -lm
ALL_TARGETS += $(B)/bin/mini-sweep
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,$(SWEEP_SRCS)))

# build/bin/mini-seedprobe: the seed questions' small measurements (no allocator linked).
$(call obj,release,bench/sweep/seedprobe.c): CFLAGS += $(WL_NOBUILTIN)
$(B)/bin/mini-seedprobe: $(call obj,release,bench/sweep/seedprobe.c)
	@mkdir -p $(@D)
	$(CC) -g -o $@ $^ -ldl
ALL_TARGETS += $(B)/bin/mini-seedprobe
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,bench/sweep/seedprobe.c))
