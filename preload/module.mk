# preload/ — libmini as a drop-in LD_PRELOAD allocator, and its allocation traces.
#
#   build/lib/libmini-preload.so         the shim (release libmini objects + preload/*.c)
#   build/debug/lib/libmini-preload.so   the same over debug libmini (MINI_DEBUG=3: checks on)
#   build/bin/mini-run                   run a program under the shim (--stats, --trace FILE)
#   build/bin/mini-trace                 read traces: dump, stats, replay, export
#   tests/preload/                       symbols, edge cases and real programs under the shim
#
# ASan and valgrind variants of the shim are not built: both replace malloc themselves (ASan's
# runtime and valgrind's vgpreload interpose the same names), so a preloaded allocator under
# them is either bypassed or fights them. The debug variant is the checked build.

PRELOAD_SHIM_SRCS := preload/malloc.c preload/cxx.c preload/glibc.c preload/record.c \
    preload/showstats.c
PRELOAD_TRACE_SRCS := preload/mini-trace.c preload/trace_read.c preload/trace_export.c preload/replay.c
PRELOAD_MAP := preload/exports.map
PRELOAD_SO_FLAGS := -shared -Wl,-z,now -Wl,-z,defs -Wl,-Bsymbolic-functions \
    -Wl,--version-script=$(PRELOAD_MAP)

# No builtin knowledge of malloc & co. inside the shim or the replayer (gcc must not turn our
# calloc into a call to calloc, elide a replayed malloc/free pair, nor assume anything about the
# functions we define).
$(call obj,release,$(PRELOAD_SHIM_SRCS) preload/replay.c) $(call obj,debug,$(PRELOAD_SHIM_SRCS)): \
    CFLAGS += -fno-builtin

define PRELOAD_SO
$(VDIR_$(1))/lib/libmini-preload.so: $(call obj,$(1),$(PRELOAD_SHIM_SRCS) $(LIBMINI_SRCS)) $(PRELOAD_MAP)
	@mkdir -p $$(@D)
	$$(CC) $$(PRELOAD_SO_FLAGS) -o $$@ $$(filter %.o,$$^) -lpthread
DEP_FILES += $(patsubst %.o,%.d,$(call obj,$(1),$(PRELOAD_SHIM_SRCS)))
endef
$(foreach v,release debug,$(eval $(call PRELOAD_SO,$(v))))

$(B)/bin/mini-trace: $(call obj,release,$(PRELOAD_TRACE_SRCS))
	@mkdir -p $(@D)
	$(CC) -o $@ $^ -lpthread -ldl -lstdc++
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,$(PRELOAD_TRACE_SRCS)))

$(B)/bin/mini-run: preload/mini-run.sh
	@mkdir -p $(@D)
	cp $< $@ && chmod 755 $@

ALL_TARGETS += $(B)/lib/libmini-preload.so $(VDIR_debug)/lib/libmini-preload.so $(B)/bin/mini-run \
    $(B)/bin/mini-trace
TEST_DEPS += $(VDIR_debug)/lib/libmini-preload.so

INSTALL_EXTRA += install -m 755 $(B)/lib/libmini-preload.so $(DESTDIR)$(LIBDIR)/ && \
    install -m 755 $(B)/bin/mini-run $(B)/bin/mini-trace $(DESTDIR)$(BINDIR)/ ;
UNINSTALL_EXTRA += $(DESTDIR)$(LIBDIR)/libmini-preload.so $(DESTDIR)$(BINDIR)/mini-run \
    $(DESTDIR)$(BINDIR)/mini-trace

# ---- Tests (tests/preload/) ----------------------------------------------------------------
# Test programs are ordinary programs (glibc's malloc at link time); the tests run them with
# LD_PRELOAD. Shell tests print "mini-test: P passed, F failed, S skipped".

PT := $(B)/tests/preload
PT_C := symbols early dlopen threads forkexec signals exitthreads churn statsburst
PT_CXX := cxx_ops stl
PT_LIBS := libearly libplugin
PRELOAD_SO := $(B)/lib/libmini-preload.so
PRELOAD_SO_DEBUG := $(VDIR_debug)/lib/libmini-preload.so

define pt_c_prog
$(PT)/$(1): $(call obj,release,tests/preload/$(1).c) $(PT_DEPS_$(1))
	@mkdir -p $$(@D)
	$$(CC) -g -o $$@ $$(filter %.o,$$^) $(PT_LDLIBS_$(1)) -lpthread -ldl
TEST_DEPS += $(PT)/$(1)
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,tests/preload/$(1).c))
endef
define pt_cxx_prog
$(PT)/$(1): $(call obj,release,tests/preload/$(1).cc)
	@mkdir -p $$(@D)
	$$(CXX) -g -o $$@ $$^ -lpthread -ldl
TEST_DEPS += $(PT)/$(1)
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,tests/preload/$(1).cc))
endef
define pt_lib
$(PT)/$(1).so: $(call obj,release,tests/preload/$(1).c)
	@mkdir -p $$(@D)
	$$(CC) -shared -g -o $$@ $$^
TEST_DEPS += $(PT)/$(1).so
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,tests/preload/$(1).c))
endef

# They exercise the allocator: gcc must not elide malloc/free pairs nor reason about them.
$(call obj,release,$(addprefix tests/preload/,$(addsuffix .c,$(PT_C) $(PT_LIBS)))): \
    CFLAGS += -fno-builtin
$(call obj,release,$(addprefix tests/preload/,$(addsuffix .cc,$(PT_CXX)))): CXXFLAGS += -fno-builtin

PT_DEPS_early := $(PT)/libearly.so
PT_DEPS_dlopen := $(PT)/libplugin.so
PT_LDLIBS_early := -L$(PT) -learly -Wl,-rpath,'$$$$ORIGIN'
$(foreach l,$(PT_LIBS),$(eval $(call pt_lib,$(l))))
$(foreach p,$(PT_C),$(eval $(call pt_c_prog,$(p))))
$(foreach p,$(PT_CXX),$(eval $(call pt_cxx_prog,$(p))))
TEST_DEPS += $(PRELOAD_SO) $(PRELOAD_SO_DEBUG) $(B)/bin/mini-run $(B)/bin/mini-trace

# Programs under the shim (release and checked builds).
PT_ENV := LD_PRELOAD=$(CURDIR)/$(PRELOAD_SO)
PT_ENV_DEBUG := PT_DEBUG_SHIM=1 LD_PRELOAD=$(CURDIR)/$(PRELOAD_SO_DEBUG)
$(foreach t,symbols early dlopen forkexec signals,\
    $(eval $(call add_test,preload/$(t),120,-,$(PT_ENV) $(PT)/$(t)))\
    $(eval $(call add_test,preload/debug/$(t),120,-,$(PT_ENV_DEBUG) $(PT)/$(t))))
$(eval $(call add_test,preload/cxx,120,-,$(PT_ENV) $(PT)/cxx_ops))
$(eval $(call add_test,preload/debug/cxx,120,-,$(PT_ENV_DEBUG) $(PT)/cxx_ops))
# Shell tests.
$(foreach t,exit-threads double-free mini-run trace-roundtrip trace-bad trace-fork stats-burst,\
    $(eval $(call add_test,preload/$(t),180,-,tests/preload/$(t).sh)))
# Real programs: the same output with and without the shim.
$(foreach p,python3 perl sqlite3 gcc git sort stl threads,\
    $(eval $(call add_test,preload/real/$(p),180,-,tests/preload/real.sh $(p))))
$(eval $(call add_test,preload/real/redis,180,-,tests/preload/redis.sh))
