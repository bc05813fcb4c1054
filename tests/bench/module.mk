# tests/bench/ — tests of the benchmark runner, the calibration and the report pipeline.
#
#   bench/runner    mini-bench + mini-calibrate on the runner's test workload (~15 s)
#   bench/pipeline  bench/run-bench selftest end to end: runs, plots, REPORT.md (~25 s)
#   bench/trace     the trace-replay workload and libmini's counters through mini-bench (~5 s)
#   bench/quick     bench/run-bench quick end to end (serial; 1-2 min once workloads are built)

$(eval $(call add_test,bench/runner,180,-,tests/bench/runner.sh))
$(eval $(call add_test,bench/pipeline,300,-,tests/bench/pipeline.sh))
$(eval $(call add_test,bench/trace,180,-,tests/bench/trace.sh))
$(eval $(call add_test,bench/quick,400,serial,tests/bench/quick.sh))
TEST_DEPS += $(B)/bin/mini-bench $(B)/bin/mini-calibrate $(B)/bin/mini-report $(B)/bin/mini-trace
