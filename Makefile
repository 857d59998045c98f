# qatrain — build the library (libqat), the CLI, tests and benchmarks.
#   make            library + qatrain            make run     the lesson on built-in data
#   make test       every test                   make bench   the benchmarks
#   make SAN=1 ...  AddressSanitizer + UBSan build (in build-san/)
#   make WERROR=1   warnings are errors (CI)

CC      ?= cc
SAN     ?= 0
WERROR  ?= 0
BUILD   := $(if $(filter 1,$(SAN)),build-san,build)

CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -Wall -Wextra -Wshadow \
           -Wstrict-prototypes -Wmissing-prototypes -Iinclude -MMD -MP $(EXTRA_CFLAGS)
ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif
ifeq ($(SAN),1)
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
LDLIBS  := -lopenblas -linih -lz -lm

LIB_SRC   := $(sort $(wildcard src/*/*.c))
LIB_SRC   := $(filter-out src/cli/%,$(LIB_SRC))
CLI_SRC   := $(sort $(wildcard src/cli/*.c))
TEST_SRC  := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
TESTLIB_SRC := $(sort $(wildcard tests/common/*.c))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libqat.a
QATRAIN   := $(BUILD)/qatrain
TESTS     := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCHES   := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all run test check memcheck bench clean deps
all: $(QATRAIN)

# Install missing Debian packages (no-op when present), then build.
deps:
	@scripts/setup.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(QATRAIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
	@ln -sf $(BUILD)/qatrain qatrain 2>/dev/null || true

$(BUILD)/tests/%: tests/unit/%.c $(TESTLIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/common $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS) -lcmocka

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS)

# The main job: install what is missing, build, train the lesson on built-in data.
run: deps
	@$(MAKE) --no-print-directory all
	./$(QATRAIN) configs/gesture_cnn.ini

test: deps
	@$(MAKE) --no-print-directory memcheck check

# The suite without the dependency check (unit tests, then tests/e2e/*.sh).
check: $(TESTS) $(QATRAIN)
	@scripts/run-tests.sh $(QATRAIN) $(TESTS)

# The main job, shortened, under valgrind (not with SAN=1: ASan and valgrind exclude each other).
memcheck: $(QATRAIN)
	@QATRAIN=$(QATRAIN) sh tests/memcheck/valgrind_main.sh && echo "memcheck: 1 passed, 0 failed"

bench: $(BENCHES) $(QATRAIN)
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf build build-san qatrain

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
