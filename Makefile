# libmini — one non-recursive build. Every folder adds its part in a module.mk fragment.
#
#   make                 release build: build/lib/libmini.{a,so}, build/lib/libmini-preload.so, build/bin/*
#   make test            install missing Debian packages, build every variant, run all tests
#   make bench           install missing Debian packages, run the benchmark suite, write results/REPORT.md
#   make debug|asan|tsan build one variant (build/debug, build/asan, build/tsan)
#   make install PREFIX=/usr/local DESTDIR=   and   make uninstall
#   make format | format-check | lint | clean
#
# Variants compile the same sources with different flags; objects of variant V live under
# $(VDIR_V)/obj/<source path>.o, so variants never share an object file.

.DEFAULT_GOAL := all
SHELL := /bin/bash
.SUFFIXES:
.DELETE_ON_ERROR:

CC := gcc
CXX := g++
AR := ar
B := build
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

empty :=
space := $(empty) $(empty)
TAB := $(shell printf '\t')

WARN := -Wall -Wextra -Werror
COMMON_CPPFLAGS := -D_GNU_SOURCE -I. -Ilibmini/include
COMMON_CFLAGS := -std=c11 -g -fPIC -fno-omit-frame-pointer -fvisibility=hidden $(WARN)
COMMON_CXXFLAGS := -std=c++17 -g -fPIC -fno-omit-frame-pointer $(WARN)

VARIANTS := release debug asan tsan fuzz
VDIR_release := $(B)
VDIR_debug := $(B)/debug
VDIR_asan := $(B)/asan
VDIR_tsan := $(B)/tsan
VDIR_fuzz := $(B)/fuzz
VFLAGS_release := -O2
VFLAGS_debug := -O1 -DMINI_DEBUG=3
VFLAGS_asan := -O1 -DMINI_DEBUG=1 -fsanitize=address,undefined -fno-sanitize-recover=all
VFLAGS_tsan := -O1 -DMINI_DEBUG=1 -fsanitize=thread
VFLAGS_fuzz := -O1 -DMINI_DEBUG=2 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
VLDFLAGS_asan := -fsanitize=address,undefined
VLDFLAGS_tsan := -fsanitize=thread
VLDFLAGS_fuzz := -fsanitize=fuzzer,address,undefined
# The compiler of each variant (libFuzzer comes with clang).
VCC_fuzz := clang
VCXX_fuzz := clang++
vcc = $(or $(VCC_$(1)),$(CC))
vcxx = $(or $(VCXX_$(1)),$(CXX))

define VARIANT_RULES
$(VDIR_$(1))/obj/%.o: %.c
	@mkdir -p $$(@D)
	$$(call vcc,$(1)) $$(COMMON_CPPFLAGS) $$(COMMON_CFLAGS) $$(VFLAGS_$(1)) $$(CPPFLAGS) $$(CFLAGS) -MMD -MP -c $$< -o $$@
$(VDIR_$(1))/obj/%.o: %.cc
	@mkdir -p $$(@D)
	$$(call vcxx,$(1)) $$(COMMON_CPPFLAGS) $$(COMMON_CXXFLAGS) $$(VFLAGS_$(1)) $$(CPPFLAGS) $$(CXXFLAGS) -MMD -MP -c $$< -o $$@
endef
$(foreach v,$(VARIANTS),$(eval $(call VARIANT_RULES,$(v))))

# obj V SRCS — the object files of SRCS in variant V.
obj = $(patsubst %.cc,$(VDIR_$(1))/obj/%.o,$(patsubst %.c,$(VDIR_$(1))/obj/%.o,$(2)))

# The test plan: modules call $(eval $(call add_test,NAME,TIMEOUT_S,FLAGS,COMMAND)).
# FLAGS is - or serial. COMMAND may not contain '|' or '^' (put pipelines in a script).
TEST_LINES :=
TEST_DEPS :=
define add_test
TEST_LINES += $(1)|$(2)|$(3)|$(subst $(space),^,$(strip $(4)))
endef

ALL_TARGETS :=
DEP_FILES :=
CLEAN_EXTRA :=

# libmini first (others use its variables), then every other module.mk up to three levels deep.
include libmini/module.mk
include $(filter-out libmini/module.mk,$(sort $(wildcard */module.mk */*/module.mk */*/*/module.mk)))

.PHONY: all debug asan tsan test test-build test-plan bench deps install uninstall format \
        format-check lint clean FORCE

all: $(ALL_TARGETS)

# One variant's libraries (the tests build what they need of each).
debug: $(VDIR_debug)/lib/libmini.a
asan: $(VDIR_asan)/lib/libmini.a
tsan: $(VDIR_tsan)/lib/libmini.a

deps:
	@tests/deps.sh build test bench lint

$(B)/test-plan.tsv: FORCE
	@mkdir -p $(@D)
	$(file >$@.tmp)
	$(foreach l,$(TEST_LINES),$(file >>$@.tmp,$(subst ^, ,$(subst |,$(TAB),$(l)))))
	@if ! cmp -s $@.tmp $@; then mv $@.tmp $@; else rm -f $@.tmp; fi

test-build: all $(TEST_DEPS) $(B)/test-plan.tsv

# make test [TESTS=pattern] [JOBS=n]
test:
	@tests/deps.sh build test
	@$(MAKE) --no-print-directory -j$$(nproc) test-build
	@# settings a SIGKILLed experiment left changed (journal of bench/vmctl) go back first
	@if [ "$$(id -u)" = 0 ] && [ -s /var/tmp/libmini-vmctl.journal ]; then \
	    $(B)/bin/mini-sweep --restore || true; fi
	@tests/run-tests -j $${JOBS:-$$(nproc)} $(if $(TESTS),-k '$(TESTS)') $(B)/test-plan.tsv

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' '*.cc' 2>/dev/null)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

# cppcheck over the allocator, the shim and the model; its findings fail the target.
LINT_DIRS := libmini/src preload analysis/kmodel bench
lint:
	@tests/deps.sh lint
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
	    --inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE -Ilibmini/include -I. \
	    $(wildcard $(LINT_DIRS))

clean:
	rm -rf $(B) $(CLEAN_EXTRA)

FORCE:

-include $(DEP_FILES)
