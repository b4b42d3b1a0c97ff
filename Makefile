# Makefile - builds the library, the `patchtsmixer` CLI and the tests.
#
#   make            library (build/libpatchtsmixer.a), CLI (build/patchtsmixer), test programs
#   make test       build and run the whole test suite (prints "N passed, N failed")
#   make asan       the same suite built with AddressSanitizer + UBSan in build-asan/
#   make format     clang-format every source file; make format-check fails on a diff
#
# No global fast-math: the golden tolerances rely on IEEE float semantics.

CC      ?= cc
BUILD   ?= build
OPT     ?= -O3
CFLAGS  ?=
WARN     = -Wall -Wextra -Werror -Wshadow -Wdouble-promotion -Wno-unused-parameter -Wno-format-truncation
CFLAGS_ALL = -std=c11 $(OPT) -g $(WARN) -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc $(CFLAGS)
LDLIBS  = -lm -lpthread

LIB_SRC  = $(sort $(wildcard src/*.c src/io/*.c src/layers/*.c src/kernels/*.c src/train/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC = $(sort $(wildcard tests/test_*.c))
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/%)
LIB      = $(BUILD)/libpatchtsmixer.a
CLI      = $(BUILD)/patchtsmixer

.PHONY: all test asan format format-check clean

all: $(LIB) $(CLI) $(TEST_BIN)

$(BUILD)/%.o: %.c $(wildcard include/*.h src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# SIMD kernels: only this file is built for AVX2 + FMA; dispatch.c calls it when the CPU has them
ARCH := $(shell uname -m)
ifneq ($(filter x86_64 i686 i386,$(ARCH)),)
$(BUILD)/src/kernels/gemm_avx2.o: src/kernels/gemm_avx2.c src/kernels/kernels.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -mavx2 -mfma -c $< -o $@
endif

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CLI): $(wildcard cli/*.c cli/*.h) $(LIB)
	$(CC) $(CFLAGS_ALL) $(wildcard cli/*.c) $(LIB) $(LDLIBS) -o $@

$(BUILD)/test_%: tests/test_%.c tests/testutil.h $(LIB)
	$(CC) $(CFLAGS_ALL) -Itests $< $(LIB) $(LDLIBS) -o $@

test: all
	@BUILD=$(BUILD) sh tests/run_tests.sh

asan:
	$(MAKE) BUILD=build-asan OPT="-O1" \
	    CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDLIBS="-lm -lpthread -fsanitize=address,undefined" test

FORMAT_FILES = $(wildcard include/*.h src/*.c src/*.h src/*/*.c src/*/*.h cli/*.c cli/*.h tests/*.c tests/*.h bench/*.c)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build build-asan
