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
CFLAGS  += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
           -DQAT_GRAPH_MOVE_ON_PUSH
LDFLAGS += -fsanitize=address,undefined
endif
LDLIBS  := -linih -lz -lm

LIB_SRC   := $(sort $(wildcard src/*/*.c))
LIB_SRC   := $(filter-out src/cli/%,$(LIB_SRC))
CLI_SRC   := $(sort $(wildcard src/cli/*.c))
TEST_SRC  := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
TESTLIB_SRC := $(sort $(wildcard tests/common/*.c))
TOOL_SRC  := $(sort $(wildcard tests/tools/*.c))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libqat.a
QATRAIN   := $(BUILD)/qatrain
TESTS     := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCHES   := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
TOOLS     := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)

.PHONY: all run test check memcheck bench clean deps
all: $(QATRAIN)

# Install missing Debian packages (no-op when present), then build.
deps:
	@scripts/setup.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The vector GEMM kernels are compiled for their instruction sets; src/gemm/gemm.c calls one
# only on a processor that has it.
$(BUILD)/src/gemm/avx2.o: CFLAGS += -mavx2 -mfma
$(BUILD)/src/gemm/avx512.o: CFLAGS += -mavx512f -mfma
$(BUILD)/src/quant/fq_avx2.o: CFLAGS += -mavx2
$(BUILD)/src/quant/fq_avx512.o: CFLAGS += -mavx512f
# The vector int8 kernels likewise (src/int8/isa.c decides which one runs).
VEC512 := -mavx512f -mavx512bw -mavx512vl -mavx512vnni
$(BUILD)/src/int8/vec_avx2.o: CFLAGS += -mavx2
$(BUILD)/src/int8/vec_avxvnni.o: CFLAGS += -mavx2 -mavxvnni
$(BUILD)/src/int8/vec_avx512.o: CFLAGS += $(VEC512)

# Rebuilt from scratch: `ar r` keeps members whose sources are gone.
$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(QATRAIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
	@ln -sf $(BUILD)/qatrain qatrain 2>/dev/null || true

$(BUILD)/tests/%: tests/unit/%.c $(TESTLIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/common $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS) -lcmocka

# The allocation-failure test runs the whole CLI in its process (every src/cli object but
# main()'s) and sees every allocation qatrain's own code makes (and only those: shared
# libraries keep the real functions) through the linker's symbol wrapping.
WRAP_ALLOC := $(foreach f,malloc calloc realloc aligned_alloc strdup,-Wl,--wrap=$(f))
CLI_TEST_OBJ := $(filter-out $(BUILD)/src/cli/entry.o,$(CLI_OBJ))
$(BUILD)/tests/test_alloc_failure: tests/unit/test_alloc_failure.c $(CLI_TEST_OBJ) \
                                   $(TESTLIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/common -Isrc/cli $(LDFLAGS) $(WRAP_ALLOC) \
	    -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS) -lcmocka

# Programs the end-to-end tests run on qatrain's outputs (found next to $(QATRAIN)).
$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.a,$^) $(LDLIBS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) $(LDLIBS) -lopenblas

# The main job: install what is missing, build, train the lesson on built-in data.
run: deps
	@$(MAKE) --no-print-directory all
	./$(QATRAIN) configs/gesture_cnn.ini

test: deps
	@$(MAKE) --no-print-directory suite-build memcheck check

# The suite without the dependency check (unit tests, then tests/e2e/*.sh), built first on
# every processor (JOBS; the suite's builds were a third of CI's time one file at a time).
# The benchmarks are built too (not run): an API change must not leave them broken.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
check:
	@$(MAKE) --no-print-directory suite-build
	@QATRAIN_SANITIZED=$(SAN) scripts/run-tests.sh $(QATRAIN) $(TESTS)

.PHONY: suite-build
suite-build:
	@$(MAKE) --no-print-directory -j$(JOBS) $(TESTS) $(TOOLS) $(QATRAIN) $(BENCHES)

# The main job, shortened, under valgrind (not with SAN=1: ASan and valgrind exclude each other).
# Its count line has the suite's format ("N passed, M failed, K skipped").
memcheck: $(QATRAIN)
	@if QATRAIN=$(QATRAIN) sh tests/memcheck/valgrind_main.sh; then \
	    echo "memcheck: 1 passed, 0 failed, 0 skipped"; \
	else echo "memcheck: 0 passed, 1 failed, 0 skipped"; exit 1; fi

# Plants each mutant of tests/mutation/mutants.txt in a scratch copy; every one must be caught.
.PHONY: mutants
mutants:
	@sh tests/mutation/run.sh

bench: $(BENCHES) $(QATRAIN)
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

clean:
	rm -rf build build-san qatrain

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ==== fuzzing (tests/fuzz; owned by the robustness work — keep this block at the end) ======
#   make fuzz [FUZZ_SECONDS=600] [FUZZ_TARGETS="ini npy"]  each target for FUZZ_SECONDS
#   make fuzz-smoke                                        each target for 30 s
#   make -j2 fuzz                                          two targets at a time
# libFuzzer targets built with clang -fsanitize=fuzzer,address,undefined into build-fuzz/
# from the library sources directly. Seeds: tests/fuzz/corpus/<target>/ (read only); new
# inputs: build-fuzz/corpus/<target>/; crashes: build-fuzz/crashes/<target>/ — fix, then add
# the input to tests/fuzz/regressions/<target>/, which test_fuzz_regressions replays.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 600
FUZZ_BUILD   := build-fuzz
FUZZ_ALL     := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g -fno-omit-frame-pointer -Iinclude \
                -Itests/fuzz -MMD -MP -DQAT_LIBFUZZER -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/tests/fuzz/common.o

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-clean
.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_ALL:%=$(FUZZ_BUILD)/tests/fuzz/fuzz_%.o)
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
fuzz-run-%: $(FUZZ_BUILD)/fuzz_%
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $* $(FUZZ_SECONDS)
fuzz-clean:
	rm -rf $(FUZZ_BUILD)
clean: fuzz-clean

$(FUZZ_BUILD)/src/gemm/avx2.o: FUZZ_CFLAGS += -mavx2 -mfma
$(FUZZ_BUILD)/src/gemm/avx512.o: FUZZ_CFLAGS += -mavx512f -mfma
$(FUZZ_BUILD)/src/quant/fq_avx2.o: FUZZ_CFLAGS += -mavx2
$(FUZZ_BUILD)/src/quant/fq_avx512.o: FUZZ_CFLAGS += -mavx512f
$(FUZZ_BUILD)/src/int8/vec_avx2.o: FUZZ_CFLAGS += -mavx2
$(FUZZ_BUILD)/src/int8/vec_avxvnni.o: FUZZ_CFLAGS += -mavx2 -mavxvnni
$(FUZZ_BUILD)/src/int8/vec_avx512.o: FUZZ_CFLAGS += $(VEC512)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	@echo "$(FUZZ_CC) -fsanitize=fuzzer ... -o $@"
	@$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

# The regression replay links the targets' functions (built without libFuzzer).
FUZZ_TARGET_SRC := $(wildcard tests/fuzz/fuzz_*.c) tests/fuzz/common.c
$(BUILD)/tests/test_fuzz_regressions: tests/unit/test_fuzz_regressions.c $(FUZZ_TARGET_SRC) \
                                      $(TESTLIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/common -Itests/fuzz $(LDFLAGS) -o $@ $(filter %.c %.o %.a,$^) \
	    $(LDLIBS) -lcmocka

-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
# ==== end of the fuzzing block ===============================================================
