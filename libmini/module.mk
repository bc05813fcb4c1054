# libmini/ — the allocator: build/lib/libmini.a, build/lib/libmini.so (soname libmini.so.0).
#
# LIBMINI_OS_SRC is the one file that talks to the kernel; the kernel model builds
# LIBMINI_CORE_SRCS over its own simulated OS layer instead.

LIBMINI_SRCS := $(sort $(wildcard libmini/src/*.c))
LIBMINI_OS_SRC := libmini/src/os.c
LIBMINI_CORE_SRCS := $(filter-out $(LIBMINI_OS_SRC),$(LIBMINI_SRCS))
LIBMINI_SONAME := libmini.so.0
MINI_VERSION_NUM := $(shell sed -n 's/^\#define MINI_VERSION  *"\(.*\)"/\1/p' libmini/include/mini.h)
ifeq ($(MINI_VERSION_NUM),)
$(error cannot read MINI_VERSION from libmini/include/mini.h)
endif
LIBMINI_LIBS := -lpthread

define LIBMINI_VARIANT
$(VDIR_$(1))/lib/libmini.a: $(call obj,$(1),$(LIBMINI_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && $$(AR) rcs $$@ $$^
DEP_FILES += $(patsubst %.o,%.d,$(call obj,$(1),$(LIBMINI_SRCS)))
endef
$(foreach v,$(VARIANTS),$(eval $(call LIBMINI_VARIANT,$(v))))

$(B)/lib/libmini.so.$(MINI_VERSION_NUM): $(call obj,release,$(LIBMINI_SRCS))
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(LIBMINI_SONAME) -Wl,-z,now -o $@ $^ $(LIBMINI_LIBS)
$(B)/lib/libmini.so: $(B)/lib/libmini.so.$(MINI_VERSION_NUM)
	ln -sf libmini.so.$(MINI_VERSION_NUM) $(B)/lib/$(LIBMINI_SONAME)
	ln -sf libmini.so.$(MINI_VERSION_NUM) $@

ALL_TARGETS += $(B)/lib/libmini.a $(B)/lib/libmini.so

$(B)/libmini.pc: libmini/module.mk libmini/include/mini.h
	@mkdir -p $(@D)
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	    'Name: libmini' 'Description: malloc replacement with brk pools and boundary-tag coalescing' \
	    'Version: $(MINI_VERSION_NUM)' 'Libs: -L$${libdir} -lmini' 'Libs.private: -lpthread' \
	    'Cflags: -I$${includedir}' >$@

install: all $(B)/libmini.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BINDIR)
	install -m 644 $(B)/lib/libmini.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/lib/libmini.so.$(MINI_VERSION_NUM) $(DESTDIR)$(LIBDIR)/
	ln -sf libmini.so.$(MINI_VERSION_NUM) $(DESTDIR)$(LIBDIR)/$(LIBMINI_SONAME)
	ln -sf libmini.so.$(MINI_VERSION_NUM) $(DESTDIR)$(LIBDIR)/libmini.so
	install -m 644 libmini/include/mini.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(B)/libmini.pc $(DESTDIR)$(PKGCONFIGDIR)/
	$(INSTALL_EXTRA)

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libmini.a $(DESTDIR)$(LIBDIR)/libmini.so.$(MINI_VERSION_NUM) \
	    $(DESTDIR)$(LIBDIR)/$(LIBMINI_SONAME) $(DESTDIR)$(LIBDIR)/libmini.so \
	    $(DESTDIR)$(INCLUDEDIR)/mini.h $(DESTDIR)$(PKGCONFIGDIR)/libmini.pc $(UNINSTALL_EXTRA)
