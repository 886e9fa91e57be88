# ctrack: plain GNU make.  `make` builds everything; see README.md.
CC      ?= cc
CLANG   ?= clang
BUILD   ?= build
OPT     ?= -O2 -g
CFLAGS_BASE := -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Iinclude -Ilib
CFLAGS  ?=
ALL_CFLAGS = $(CFLAGS_BASE) $(OPT) $(SANFLAGS) $(CFLAGS)
LDLIBS_PCAP = -lpcap

LIB_SRC   := $(sort $(wildcard lib/*.c lib/*/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A     := $(BUILD)/libctrack.a
TOOL_SRC  := $(sort $(wildcard tools/*.c))
TOOLS     := $(TOOL_SRC:tools/%.c=$(BUILD)/%)
# Code shared by several tools (socket clients and the like: I/O stays out of lib/).
TOOLC_SRC := $(sort $(wildcard tools/common/*.c))
TOOLC_OBJ := $(TOOLC_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNITS     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard bench/*.c))
FUZZ_SRC  := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZERS   := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all deps test test-unit test-kdiff test-asan bench bench-report fuzz demo clean format

all: deps $(LIB_A) $(TOOLS) $(UNITS) $(BUILD)/ctrack-bench

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%: $(BUILD)/tools/%.o $(TOOLC_OBJ) $(LIB_A)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS_PCAP) -lm

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $^ -o $@ -lcmocka -lpcap -lm

$(BUILD)/ctrack-bench: $(BENCH_SRC:%.c=$(BUILD)/%.o) $(LIB_A)
	$(CC) $(ALL_CFLAGS) $^ -o $@ -lpcap -lm

# Tests: unit tests (cmocka) and kernel-differential tests (pytest, root).
test: all
	@sh tests/run.sh $(BUILD)

test-unit: all
	@sh tests/run.sh $(BUILD) unit

test-kdiff: all
	@sh tests/run.sh $(BUILD) kdiff

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" test

bench: all
	@sh bench/run.sh $(BUILD)

# The scale curve (ns per packet, 1 K .. 10 M connections): table and $(BUILD)/bench/scale.svg.
bench-report: all
	@sh bench/report.sh $(BUILD)

# libFuzzer targets, each run briefly (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 20
FUZZ_CFLAGS = $(CFLAGS_BASE) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(BUILD)/fuzz/%: fuzz/%.c $(LIB_SRC) $(wildcard lib/*.h lib/*/*.h include/ctrack/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) $< $(LIB_SRC) -o $@

fuzz: deps $(FUZZERS)
	@sh fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

demo: all
	@sh examples/demo.sh $(BUILD)

format:
	clang-format -i $(LIB_SRC) $(wildcard lib/*.h lib/*/*.h include/ctrack/*.h) \
		$(TOOL_SRC) $(TOOLC_SRC) $(wildcard tools/common/*.h) $(UNIT_SRC) $(BENCH_SRC) $(FUZZ_SRC)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# Keep objects make would treat as intermediate (test and tool objects).
.SECONDARY:
