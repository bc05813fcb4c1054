# analysis/kmodel/ — the kernel-side model: build/bin/kmodel (+ debug and asan builds for tests).
#
#   KMODEL_LIB_SRCS   every model source but main.c, as build/<variant>/lib/libkmodel.a
#   build/bin/kmodel             release
#   build/debug/bin/kmodel       -DMINI_DEBUG=3: invariant checkers walked after every operation
#   build/asan/bin/kmodel        ASan + UBSan
#
# Tests (tests/kmodel/*.c unit and known-answer programs, tests/kmodel/*.sh scenario checks,
# tests/fuzz/kmodel_*.c) are built and registered here; names start with kmodel/.

KMODEL_DIR := analysis/kmodel
KMODEL_MAIN := $(KMODEL_DIR)/main.c
KMODEL_SIM_SRCS := $(KMODEL_DIR)/os_sim.c $(KMODEL_DIR)/replay.c
# Binary libmini traces (MINI_TRACE) are read with the preload's reader and exporter.
KMODEL_TRACE_SRCS := preload/trace_read.c preload/trace_export.c
KMODEL_LIB_SRCS := $(filter-out $(KMODEL_MAIN) $(KMODEL_SIM_SRCS),$(sort $(wildcard $(KMODEL_DIR)/*.c)))
KMODEL_VARIANTS := release debug asan
KMODEL_LIBS := -lm -lpthread
# Input 2: libmini's core (every source but its OS layer os.c) runs over os_sim.c.
KMODEL_LIBMINI_SRCS := $(filter-out libmini/src/os.c,$(sort $(wildcard libmini/src/*.c)))

define KMODEL_VARIANT
$(VDIR_$(1))/lib/libkmodel.a: $(call obj,$(1),$(KMODEL_LIB_SRCS))
	@mkdir -p $$(@D)
	rm -f $$@ && $$(AR) rcs $$@ $$^
$(VDIR_$(1))/bin/kmodel: $(call obj,$(1),$(KMODEL_MAIN) $(KMODEL_SIM_SRCS) $(KMODEL_TRACE_SRCS) $(KMODEL_LIBMINI_SRCS)) $(VDIR_$(1))/lib/libkmodel.a
	@mkdir -p $$(@D)
	$$(CC) $$(VFLAGS_$(1)) $$(VLDFLAGS_$(1)) -o $$@ $$^ $$(KMODEL_LIBS)
DEP_FILES += $(patsubst %.o,%.d,$(call obj,$(1),$(KMODEL_LIB_SRCS) $(KMODEL_MAIN) $(KMODEL_SIM_SRCS)))
endef
$(foreach v,$(KMODEL_VARIANTS),$(eval $(call KMODEL_VARIANT,$(v))))

ALL_TARGETS += $(B)/bin/kmodel
TEST_DEPS += $(VDIR_debug)/bin/kmodel $(VDIR_asan)/bin/kmodel

# Unit and known-answer test programs: tests/kmodel/NAME.c, run in the debug and asan variants.
# They link os_sim.o too (libmini's OS layer over the model), which only os_sim.c's test uses,
# and vmprobe.o (bench/vmctl: the /proc readers e1_e2 and e7_static use).
KMODEL_TESTS := $(basename $(notdir $(wildcard tests/kmodel/*.c)))
define KMODEL_TEST
$(VDIR_$(1))/tests/kmodel/$(2): $(call obj,$(1),tests/kmodel/$(2).c) $(call obj,$(1),$(KMODEL_DIR)/os_sim.c bench/vmctl/vmprobe.c) $(VDIR_$(1))/lib/libkmodel.a
	@mkdir -p $$(@D)
	$$(CC) $$(VFLAGS_$(1)) $$(VLDFLAGS_$(1)) -g -o $$@ $$^ $$(KMODEL_LIBS)
TEST_DEPS += $(VDIR_$(1))/tests/kmodel/$(2)
DEP_FILES += $(patsubst %.o,%.d,$(call obj,$(1),tests/kmodel/$(2).c))
endef
$(foreach t,$(KMODEL_TESTS),$(foreach v,debug asan,$(eval $(call KMODEL_TEST,$(v),$(t)))))
DEP_FILES += $(patsubst %.o,%.d,$(call obj,asan,bench/vmctl/vmprobe.c))
$(foreach t,$(KMODEL_TESTS),$(eval $(call add_test,kmodel/$(t),300,-,$(VDIR_debug)/tests/kmodel/$(t))))
$(foreach t,$(KMODEL_TESTS),$(eval $(call add_test,kmodel/asan/$(t),300,-,$(VDIR_asan)/tests/kmodel/$(t))))

# Scenario tests: tests/kmodel/NAME.sh KMODEL_BINARY (debug build: checks on).
KMODEL_SH_TESTS := $(filter-out alloc_trace binary_trace,$(basename $(notdir $(wildcard tests/kmodel/*.sh))))
$(foreach t,$(KMODEL_SH_TESTS),$(eval $(call add_test,kmodel/$(t),300,-,tests/kmodel/$(t).sh $(VDIR_debug)/bin/kmodel)))
# Input 2 against the real kernel: the model (debug) and libmini over os.c (release).
$(eval $(call add_test,kmodel/alloc_trace,300,-,tests/kmodel/alloc_trace.sh $(VDIR_debug)/bin/kmodel $(B)/bin/kmodel-alloc-real))
# Input 2 from a binary MINI_TRACE file recorded under the preload shim.
$(eval $(call add_test,kmodel/binary_trace,300,-,tests/kmodel/binary_trace.sh $(B)/bin/kmodel $(B)/bin/mini-trace $(B)/lib/libmini-preload.so $(B)/tests/preload/churn))

# The scenario/trace/calibration parser fuzzer (deterministic, bounded), under ASan + UBSan.
$(VDIR_asan)/tests/fuzz/kmodel_fuzz: $(call obj,asan,tests/fuzz/kmodel_fuzz.c) $(VDIR_asan)/lib/libkmodel.a
	@mkdir -p $(@D)
	$(CC) $(VFLAGS_asan) $(VLDFLAGS_asan) -g -o $@ $^ $(KMODEL_LIBS)
TEST_DEPS += $(VDIR_asan)/tests/fuzz/kmodel_fuzz
DEP_FILES += $(patsubst %.o,%.d,$(call obj,asan,tests/fuzz/kmodel_fuzz.c))
$(eval $(call add_test,kmodel/fuzz,300,-,$(VDIR_asan)/tests/fuzz/kmodel_fuzz 3000))
# Input 2's reader and replay, fuzzed through the ASan + UBSan kmodel (one process per input).
$(eval $(call add_test,kmodel/alloc_fuzz,300,-,tests/fuzz/kmodel_alloc_fuzz.sh $(VDIR_asan)/bin/kmodel 300))

# The calibration program: build/bin/kmodel-calibrate prints this machine's costs as JSON.
$(B)/bin/kmodel-calibrate: $(call obj,release,$(KMODEL_DIR)/calib/measure.c)
	@mkdir -p $(@D)
	$(CC) $(VFLAGS_release) -o $@ $^
ALL_TARGETS += $(B)/bin/kmodel-calibrate
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,$(KMODEL_DIR)/calib/measure.c))

# Input 2's real half: build/bin/kmodel-alloc-real replays an allocation trace through libmini
# over the real kernel (libmini.a, with os.c) with the same replayer (replay.c).
$(B)/bin/kmodel-alloc-real: $(call obj,release,$(KMODEL_DIR)/tools/alloc_real.c $(KMODEL_DIR)/replay.c) $(B)/lib/libmini.a
	@mkdir -p $(@D)
	$(CC) $(VFLAGS_release) -o $@ $^ -lpthread
ALL_TARGETS += $(B)/bin/kmodel-alloc-real
TEST_DEPS += $(B)/bin/kmodel-alloc-real
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,$(KMODEL_DIR)/tools/alloc_real.c))

# The validation harness: build/bin/kmodel-validate runs E1-E9 for real and through the model
# (analysis/kmodel/validate/*.c; needs root for E3-E6, E8, E9). `make validate-model` writes
# results/model-validation.{json,md}.
KMODEL_VALIDATE_SRCS := $(sort $(wildcard $(KMODEL_DIR)/validate/*.c))
$(B)/bin/kmodel-validate: $(call obj,release,$(KMODEL_VALIDATE_SRCS)) $(B)/lib/libkmodel.a $(B)/lib/libvmctl.a
	@mkdir -p $(@D)
	$(CC) $(VFLAGS_release) -o $@ $^ $(KMODEL_LIBS)
ALL_TARGETS += $(B)/bin/kmodel-validate
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,$(KMODEL_VALIDATE_SRCS)))

.PHONY: validate-model
# The costs: measured now, on this machine, by the model's own calibrator (about 1 s), with E1's
# region size (64 MiB). results/calibration.json (make bench's mini-calibrate: 16 MiB regions,
# measured at another time, committed with the reference results) gave fault costs 30 % lower
# and failed E1's time rows.
validate-model: $(B)/bin/kmodel-validate $(B)/bin/kmodel-calibrate $(B)/bin/kmodel $(B)/bin/kmodel-alloc-real
	@mkdir -p results
	@echo "validate-model: measuring the calibration now ($(B)/calibration-now.json)"
	@$(B)/bin/kmodel-calibrate >$(B)/calibration-now.json
	@$(B)/bin/kmodel-validate --out results --calibration $(B)/calibration-now.json
