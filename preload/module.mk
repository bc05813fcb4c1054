# preload/ — libmini as a drop-in LD_PRELOAD allocator, and its allocation traces.
#
#   build/lib/libmini-preload.so         the shim (release libmini objects + preload/*.c)
#   build/debug/lib/libmini-preload.so   the same over debug libmini (MINI_DEBUG=3: checks on)
#   build/bin/mini-run                   run a program under the shim (--stats, --trace FILE)
#   build/bin/mini-trace                 read traces: dump, stats, replay
#   tests/preload/                       symbols, edge cases and real programs under the shim
#
# ASan and valgrind variants of the shim are not built: both replace malloc themselves (ASan's
# runtime and valgrind's vgpreload interpose the same names), so a preloaded allocator under
# them is either bypassed or fights them. The debug variant is the checked build.

PRELOAD_SHIM_SRCS := preload/malloc.c preload/cxx.c preload/glibc.c preload/record.c
PRELOAD_TRACE_SRCS := preload/mini-trace.c preload/trace_read.c preload/replay.c
PRELOAD_MAP := preload/exports.map
PRELOAD_SO_FLAGS := -shared -Wl,-z,now -Wl,-z,defs -Wl,-Bsymbolic-functions \
    -Wl,--version-script=$(PRELOAD_MAP)

# No builtin knowledge of malloc & co. inside the shim or the replayer (gcc must not turn our calloc into a
# call to calloc, nor assume anything about the functions we define).
$(call obj,release,$(PRELOAD_SHIM_SRCS) preload/replay.c) $(call obj,debug,$(PRELOAD_SHIM_SRCS)): CFLAGS += -fno-builtin

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

ALL_TARGETS += $(B)/lib/libmini-preload.so $(B)/bin/mini-run $(B)/bin/mini-trace
TEST_DEPS += $(VDIR_debug)/lib/libmini-preload.so

INSTALL_EXTRA += install -m 755 $(B)/lib/libmini-preload.so $(DESTDIR)$(LIBDIR)/ && \
    install -m 755 $(B)/bin/mini-run $(B)/bin/mini-trace $(DESTDIR)$(BINDIR)/ ;
UNINSTALL_EXTRA += $(DESTDIR)$(LIBDIR)/libmini-preload.so $(DESTDIR)$(BINDIR)/mini-run \
    $(DESTDIR)$(BINDIR)/mini-trace

# (tests: below)
