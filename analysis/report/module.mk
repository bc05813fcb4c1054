# analysis/report/ — mini-report (build/bin/mini-report): results/ data -> summary.json, plots
# (through analysis/plots/*.gp) and results/REPORT.md.

REPORT_SRCS := $(sort $(wildcard analysis/report/*.c))

$(B)/bin/mini-report: $(call obj,release,$(REPORT_SRCS))
	@mkdir -p $(@D)
	$(CC) -g -o $@ $^ -lm

ALL_TARGETS += $(B)/bin/mini-report
DEP_FILES += $(patsubst %.o,%.d,$(call obj,release,$(REPORT_SRCS)))
