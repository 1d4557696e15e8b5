# Runnel build. `make` builds build/runnel (broker + CLI); `make run` installs missing
# Debian packages, builds and serves ./data; `make test` installs, builds with
# ASan/UBSan and runs every test (unit, fuzz-corpus replay, integration with real clients).
#
# Variants: SANITIZE=1 (ASan+UBSan), WERROR=0 (escape hatch). Objects depend on
# build/.flags, so switching variants rebuilds everything.

BUILD    ?= build
CC       ?= gcc
SANITIZE ?= 0
WERROR   ?= 1
NPROC    := $(shell nproc 2>/dev/null || echo 2)

PKGS     := libuv libzstd liblz4 zlib rdkafka sqlite3 jansson libmicrohttpd libpcre2-8 libcurl
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wundef -Wvla -Wpointer-arith -Wimplicit-fallthrough -Wcast-qual
ifeq ($(WERROR),1)
WARN     += -Werror
endif
ifeq ($(SANITIZE),1)
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
OPT      := -O2 -g
endif
CFLAGS_ALL  = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -MMD -MP -Isrc -Iinclude \
              $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
LDLIBS_ALL  = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lsnappy -lpthread -lm $(LDLIBS)
LDFLAGS_ALL = $(OPT) $(LDFLAGS)

LIB_SRC  := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/main.o

UNIT_SRC := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/fuzz/replay_%)

.PHONY: all deps deps-test run test unit fuzz fuzz-smoke bench \
        bench-compare lint format clean help gen

all: $(BUILD)/runnel

help:
	@echo "make               build build/runnel"
	@echo "make run           install packages, build, serve ./data on 127.0.0.1:9092 / :8081"
	@echo "make test          install, build with ASan/UBSan, run every test"
	@echo "make bench         produce/consume benchmarks against build/runnel"
	@echo "make bench-compare same workload against NATS JetStream, Redis Streams and the disk"
	@echo "make fuzz-smoke    short libFuzzer run of every fuzz target (clang)"

# --- variant stamp: rewrite only when the flags change -------------------------------
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL)' | cmp -s - $@ || echo '$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL)' > $@
FORCE:

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/librn.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/runnel: $(MAIN_OBJ) $(BUILD)/librn.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

# --- unit tests (Criterion, one binary per file) ------------------------------------
$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/librn.a $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/librn.a $(LDLIBS_ALL) -lcriterion

# --- fuzz targets: gcc replay binaries for `make test`, libFuzzer builds with clang ---
$(BUILD)/tests/fuzz/replay_%: tests/fuzz/%.c tests/fuzz/replay_main.c $(BUILD)/librn.a $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< tests/fuzz/replay_main.c $(BUILD)/librn.a $(LDLIBS_ALL)

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

run: deps
	$(MAKE) all
	$(BUILD)/runnel serve --data-dir ./data

test: deps-test
	$(MAKE) -j$(NPROC) SANITIZE=1 all $(UNIT_BIN) $(FUZZ_REPLAY)
	BUILD=$(BUILD) tests/run.sh

unit: all $(UNIT_BIN)
	BUILD=$(BUILD) tests/run.sh unit

fuzz-smoke:
	scripts/fuzz.sh smoke

fuzz:
	scripts/fuzz.sh long

bench: deps
	@scripts/deps.sh test
	$(MAKE) SANITIZE=0 all
	bench/run.sh runnel

bench-compare: deps
	@scripts/deps.sh bench
	$(MAKE) SANITIZE=0 all
	bench/run.sh all

gen:
	python3 tools/gen_kmsg.py ../shared/spec/kafka-messages src/kafka/msg

lint:
	clang-format --dry-run -Werror $$(find src tests -name '*.[ch]' -not -path 'src/kafka/msg/kmsg_gen*')
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance -Isrc src

format:
	clang-format -i $$(find src tests -name '*.[ch]' -not -path 'src/kafka/msg/kmsg_gen*')

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
