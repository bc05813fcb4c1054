# bench/vmctl/ — change VM settings for an experiment and always restore them (vmctl.h), and
# read the machine's memory state (vmprobe.h).
#   build/lib/libvmctl.a (release), build/debug/lib/libvmctl.a; the test kmodel/vmctl-restore
#   (serial: it changes harmless settings of this machine for a moment, as root).

VMCTL_SRCS := bench/vmctl/vmctl.c bench/vmctl/vmprobe.c

define VMCTL_VARIANT
$(VDIR_$(1))/lib/libvmctl.a: $(call obj,$(1),$(VMCTL_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && $$(AR) rcs $$@ $$^
DEP_FILES += $(patsubst %.o,%.d,$(call obj,$(1),$(VMCTL_SRCS)))
endef
$(foreach v,release debug,$(eval $(call VMCTL_VARIANT,$(v))))

$(VDIR_debug)/tests/vmctl/restore: $(call obj,debug,bench/vmctl/test_restore.c) $(VDIR_debug)/lib/libvmctl.a
	@mkdir -p $(@D)
	$(CC) $(VFLAGS_debug) -o $@ $^
TEST_DEPS += $(VDIR_debug)/tests/vmctl/restore
DEP_FILES += $(patsubst %.o,%.d,$(call obj,debug,bench/vmctl/test_restore.c))
$(eval $(call add_test,kmodel/vmctl-restore,120,serial,$(VDIR_debug)/tests/vmctl/restore))
