# bench/calibrate/ — mini-calibrate (build/bin/mini-calibrate): this machine's fault, syscall,
# madvise and memset costs, written to results/calibration.json for the kernel model.

CALIBRATE_SRCS := $(sort $(wildcard bench/calibrate/*.c))

$(B)/bin/mini-calibrate: $(call obj,release,$(CALIBRATE_SRCS))
	@mkdir -p $(@D)
	$(CC) -g -o $@ $^ -lm

ALL_TARGETS += $(B)/bin/mini-calibrate
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,$(CALIBRATE_SRCS)))
