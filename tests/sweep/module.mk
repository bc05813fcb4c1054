# tests/sweep/ — tests of the overcommit / swappiness sweep (bench/sweep/).
#
#   sweep/json        the JSON path reader, debug and ASan builds
#   sweep/workloads   wl-anon-over, wl-file-anon, wl-overask at tiny sizes (any user)
#   sweep/model       mini-sweep --dry-run: scenarios and the model's known answers (any user)
#   sweep/sections    sections.py on empty, refused and computed data (any user)
#   sweep/refuse      bad options; refusals without root, without room for swap, mode 2 without
#                     commit room (serial: root takes the settings journal)
#   sweep/interrupt   real sweeps stopped by SIGINT, SIGTERM, SIGSEGV, SIGKILL and a crashing
#                     workload: every setting back (serial, root; ~10 s)

SWEEP_TEST_BINS := $(B)/bin/mini-sweep $(SWEEP_WL_BINS) $(B)/bin/kmodel $(B)/bin/mini-seedprobe \
    $(B)/lib/libmini-preload.so

define SWEEP_JSON_TEST
$(VDIR_$(1))/tests/sweep/json: $(call obj,$(1),tests/sweep/json.c bench/sweep/json.c)
	@mkdir -p $$(@D)
	$$(CC) $$(VFLAGS_$(1)) $$(VLDFLAGS_$(1)) -g -o $$@ $$^
TEST_DEPS += $(VDIR_$(1))/tests/sweep/json
DEP_FILES += $(patsubst %.o,%.d,$(call obj,$(1),tests/sweep/json.c bench/sweep/json.c))
endef
$(foreach v,debug asan,$(eval $(call SWEEP_JSON_TEST,$(v))))
$(eval $(call add_test,sweep/json,60,-,$(VDIR_debug)/tests/sweep/json))
$(eval $(call add_test,sweep/asan/json,60,-,$(VDIR_asan)/tests/sweep/json))

TEST_DEPS += $(SWEEP_TEST_BINS)
$(eval $(call add_test,sweep/workloads,120,-,tests/sweep/workloads.sh $(B)/bin))
$(eval $(call add_test,sweep/model,180,-,tests/sweep/model.sh $(B)/bin))
$(eval $(call add_test,sweep/sections,180,-,tests/sweep/sections.sh $(B)/bin))
$(eval $(call add_test,sweep/refuse,120,serial,tests/sweep/refuse.sh $(B)/bin))
$(eval $(call add_test,sweep/interrupt,180,serial,tests/sweep/interrupt.sh $(B)/bin))
