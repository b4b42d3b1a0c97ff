# Makefile - builds the library, the `patchtsmixer` CLI and the tests.
#
#   make            library (build/libpatchtsmixer.a and .so), CLI (build/patchtsmixer, over the
#                   shared library), test programs, benchmark (build/bench)
#   make test       build and run the whole test suite (prints "N passed, N failed")
#   make asan       the same suite built with AddressSanitizer + UBSan in build-asan/
#   make format     clang-format every source file; make format-check fails on a diff
#   make neon-check cross-compile for AArch64 and run the kernel tests (every field of the NEON
#                   and scalar tables, whole models on both levels) + golden cases under
#                   qemu-user (needs gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user)
#   (more targets below: install, fuzz, fuzz-run, tsan, valgrind, docs)
#
# No global fast-math: the golden tolerances rely on IEEE float semantics.

CC      ?= cc
BUILD   ?= build
OPT     ?= -O3
CFLAGS  ?=
WARN     = -Wall -Wextra -Werror -Wshadow -Wdouble-promotion -Wno-unused-parameter -Wno-format-truncation
# the public header only (the CLI); the library and the tests also see src/
CFLAGS_PUB = -std=c11 $(OPT) -g $(WARN) -D_POSIX_C_SOURCE=200809L -Iinclude $(CFLAGS)
CFLAGS_ALL = $(CFLAGS_PUB) -Isrc
LDLIBS  = -lm -lpthread

LIB_SRC  = $(sort $(wildcard src/*.c src/base/*.c src/model/*.c src/heads/*.c src/data/*.c src/io/*.c src/layers/*.c src/kernels/*.c src/train/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC = $(sort $(wildcard tests/test_*.c))
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/%)
LIB      = $(BUILD)/libpatchtsmixer.a
CLI      = $(BUILD)/patchtsmixer

.PHONY: all test asan format format-check clean

BENCH    = $(BUILD)/bench

all: $(LIB) $(CLI) $(TEST_BIN) $(BENCH)

$(BENCH): bench/bench.c $(LIB)
	$(CC) $(CFLAGS_ALL) $< $(LIB) $(LDLIBS) -o $@

$(BUILD)/%.o: %.c $(wildcard include/*.h src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# SIMD kernels: only these files are built for AVX2 + FMA / AVX-512F; dispatch.c puts them in the
# kernel tables of those levels and picks a table from the CPU's features
# the compiler's target, not the host's (cross builds: make CC=aarch64-linux-gnu-gcc ...)
ARCH := $(shell $(CC) -dumpmachine 2>/dev/null | cut -d- -f1)
ifneq ($(filter x86_64 i686 i386,$(ARCH)),)
$(BUILD)/src/kernels/gemm_avx2.o: src/kernels/gemm_avx2.c src/kernels/kernels.h src/kernels/gemm_pack.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -mavx2 -mfma -c $< -o $@
$(BUILD)/src/kernels/gemm_avx512.o: src/kernels/gemm_avx512.c src/kernels/kernels.h src/kernels/gemm_pack.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -mavx512f -mfma -c $< -o $@
$(BUILD)/src/kernels/vec_avx512.o: src/kernels/vec_avx512.c src/kernels/kernels.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -mavx512f -mfma -c $< -o $@
$(BUILD)/src/kernels/vec_avx2.o: src/kernels/vec_avx2.c src/kernels/kernels.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -mavx2 -mfma -c $< -o $@
# fuzzers and other non-x86 builds get a file with nothing in it
endif

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The CLI is a user of the library like any other: cli/*.c see only include/patchtsmixer.h and
# link against the shared library (whose version script exports exactly the header's
# functions), found next to the binary through an rpath ($ORIGIN) in the build tree.
CLI_SRC      = $(sort $(wildcard cli/*.c))
CLI_OBJ      = $(CLI_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/cli/%.o: cli/%.c $(wildcard cli/*.h) include/patchtsmixer.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_PUB) -c $< -o $@
$(CLI): $(CLI_OBJ) $(BUILD)/libpatchtsmixer.so
	$(CC) $(CFLAGS_PUB) $(CLI_OBJ) -L$(BUILD) -lpatchtsmixer -Wl,-rpath,'$$ORIGIN' $(LDLIBS) -o $@
# make install links the same objects again with the installed library's folder as rpath
CLI_INSTALL = $(CC) $(CFLAGS_PUB) $(CLI_OBJ) -L$(BUILD) -lpatchtsmixer -Wl,-rpath,'$(LIBDIR)' \
              $(LDLIBS) -o $(DESTDIR)$(BINDIR)/patchtsmixer

$(BUILD)/test_%: tests/test_%.c $(wildcard tests/*.h) $(LIB)
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
	rm -rf build build-asan build-arm

# ---------------------------------------------------------------- shared library and install
#   make install [PREFIX=/usr/local] [DESTDIR=stage/]   library (shared + static), header,
#                   pkg-config file, CMake package config, the CLI (docs/abi.md: versions, ABI)
#   make uninstall  removes what install wrote
# The shared library is built from position-independent objects in $(BUILD)/pic/, exports only
# the functions of include/patchtsmixer.h (a version script generated from the header) and has
# the SONAME libpatchtsmixer.so.MAJOR.
VERSION       := $(shell sed -n 's/^\#define PTM_VERSION_STRING "\(.*\)"/\1/p' include/patchtsmixer.h)
VERSION_MAJOR := $(shell sed -n 's/^\#define PTM_VERSION_MAJOR \([0-9]*\)/\1/p' include/patchtsmixer.h)
VERSION_MINOR := $(shell sed -n 's/^\#define PTM_VERSION_MINOR \([0-9]*\)/\1/p' include/patchtsmixer.h)
SONAME   = libpatchtsmixer.so.$(VERSION_MAJOR)
SHLIB    = $(BUILD)/libpatchtsmixer.so.$(VERSION)
PIC_OBJ  = $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
SYMMAP   = $(BUILD)/patchtsmixer.map

.PHONY: shared install uninstall
all: shared
shared: $(BUILD)/libpatchtsmixer.so

$(BUILD)/pic/%.o: %.c $(wildcard include/*.h src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -c $< -o $@
ifneq ($(filter x86_64 i686 i386,$(ARCH)),)
$(BUILD)/pic/src/kernels/gemm_avx2.o: src/kernels/gemm_avx2.c src/kernels/kernels.h src/kernels/gemm_pack.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -mavx2 -mfma -c $< -o $@
$(BUILD)/pic/src/kernels/gemm_avx512.o: src/kernels/gemm_avx512.c src/kernels/kernels.h src/kernels/gemm_pack.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -mavx512f -mfma -c $< -o $@
$(BUILD)/pic/src/kernels/vec_avx512.o: src/kernels/vec_avx512.c src/kernels/kernels.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -mavx512f -mfma -c $< -o $@
$(BUILD)/pic/src/kernels/vec_avx2.o: src/kernels/vec_avx2.c src/kernels/kernels.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -fPIC -mavx2 -mfma -c $< -o $@
endif

# every function the public header declares, and nothing else
$(SYMMAP): include/patchtsmixer.h
	@mkdir -p $(dir $@)
	{ echo '{ global:'; $(CC) -E -P -Iinclude $< | grep -oE '\bptm_[a-z0-9_]+ *\(' | \
	    tr -d ' (' | sort -u | sed 's/^/  /; s/$$/;/'; echo 'local: *; };'; } >$@

$(SHLIB): $(PIC_OBJ) $(SYMMAP)
	$(CC) -shared $(CFLAGS_ALL) -Wl,-soname,$(SONAME) -Wl,--version-script=$(SYMMAP) \
	    -Wl,-z,defs $(PIC_OBJ) $(LDLIBS) -o $@

$(BUILD)/libpatchtsmixer.so: $(SHLIB)
	ln -sf libpatchtsmixer.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
DESTDIR    ?=
# the .pc and CMake files locate everything relative to the prefix (LIBDIR, INCLUDEDIR under it)
LIBREL      = $(patsubst $(PREFIX)/%,%,$(LIBDIR))
INCLUDEREL  = $(patsubst $(PREFIX)/%,%,$(INCLUDEDIR))
PKG_SED     = -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBREL@|$(LIBREL)|g' \
              -e 's|@INCLUDEREL@|$(INCLUDEREL)|g' -e 's|@VERSION@|$(VERSION)|g' \
              -e 's|@SOVERSION@|$(VERSION_MAJOR)|g' -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' \
              -e 's|@VERSION_MINOR@|$(VERSION_MINOR)|g'

# The installed static library: every object linked into one (ld -r) whose only global symbols
# are the header's functions (objcopy), so that internal names - layer functions such as
# linear_forward, json_parse, ptmi_* - can never clash with a program's own. build/ keeps the
# plain archive for the test programs, which call internals.
OBJCOPY ?= objcopy
DIST_LIB = $(BUILD)/dist/libpatchtsmixer.a
$(DIST_LIB): $(LIB_OBJ) $(SYMMAP)
	@mkdir -p $(dir $@)
	sed -n 's/^  \(.*\);$$/\1/p' $(SYMMAP) >$(BUILD)/dist/public.syms
	$(CC) -r -nostdlib $(LIB_OBJ) -o $(BUILD)/dist/patchtsmixer.o
	$(OBJCOPY) --keep-global-symbols=$(BUILD)/dist/public.syms $(BUILD)/dist/patchtsmixer.o
	@rm -f $@
	ar rcs $@ $(BUILD)/dist/patchtsmixer.o

all: $(DIST_LIB)

install: $(DIST_LIB) $(BUILD)/libpatchtsmixer.so $(CLI)
	@case "$(LIBDIR)/$(INCLUDEDIR)" in "$(PREFIX)"/*/"$(PREFIX)"/*) ;; \
	    *) echo "make install: LIBDIR and INCLUDEDIR must lie under PREFIX" >&2; exit 2 ;; esac
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(LIBDIR)/cmake/patchtsmixer \
	    $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR)
	install -m 644 include/patchtsmixer.h $(DESTDIR)$(INCLUDEDIR)/patchtsmixer.h
	install -m 644 $(DIST_LIB) $(DESTDIR)$(LIBDIR)/libpatchtsmixer.a
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/libpatchtsmixer.so.$(VERSION)
	ln -sf libpatchtsmixer.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libpatchtsmixer.so
	$(CLI_INSTALL)
	sed $(PKG_SED) pkg/patchtsmixer.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/patchtsmixer.pc
	to_prefix=$$(echo "$(LIBREL)/cmake/patchtsmixer" | sed 's|[^/][^/]*|..|g'); \
	sed $(PKG_SED) -e "s|@CMAKE_TO_PREFIX@|$$to_prefix|g" pkg/patchtsmixerConfig.cmake.in \
	    >$(DESTDIR)$(LIBDIR)/cmake/patchtsmixer/patchtsmixerConfig.cmake
	ptr=$$(echo __SIZEOF_POINTER__ | $(CC) -E -P - | tr -d ' \n'); \
	sed $(PKG_SED) -e "s|@SIZEOF_VOID_P@|$$ptr|g" pkg/patchtsmixerConfigVersion.cmake.in \
	    >$(DESTDIR)$(LIBDIR)/cmake/patchtsmixer/patchtsmixerConfigVersion.cmake

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/patchtsmixer.h $(DESTDIR)$(LIBDIR)/libpatchtsmixer.a \
	    $(DESTDIR)$(LIBDIR)/libpatchtsmixer.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libpatchtsmixer.so $(DESTDIR)$(BINDIR)/patchtsmixer \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/patchtsmixer.pc
	rm -rf $(DESTDIR)$(LIBDIR)/cmake/patchtsmixer

# ---------------------------------------------------------------- reliability (docs/fuzzing.md)
#   make fuzz       libFuzzer targets (clang, ASan + UBSan) in build/fuzz/fuzz_<target>
#   make fuzz-run   run each for FUZZ_SECONDS (default 45) on a copy of its committed corpus;
#                   any crash, leak, sanitizer report or timeout fails (CI runs this)
#   make tsan       tests/test_threads.c under ThreadSanitizer (build/tsan/)
#   make valgrind   the test programs under valgrind memcheck (the slowest ones skipped)
FUZZ_TARGETS = safetensors config csv ts checkpoint model preprocessor long
FUZZ_SRC     = $(wildcard tests/fuzz/*.c tests/fuzz/*.h)
FUZZ_CC     ?= clang
FUZZ_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
               -Wno-unknown-warning-option -Wno-double-promotion
FUZZ_SECONDS ?= 45
FORMAT_FILES += $(wildcard tests/fuzz/*.c tests/fuzz/*.h)

# the replay program compiles every fuzz target in
$(BUILD)/test_fuzz_replay: $(FUZZ_SRC)

.PHONY: fuzz fuzz-run tsan valgrind neon-check
fuzz:
	$(MAKE) BUILD=build/fuzz CC=$(FUZZ_CC) OPT="-O1" \
	    CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" build/fuzz/libpatchtsmixer.a
	@for t in $(FUZZ_TARGETS); do \
	    echo "$(FUZZ_CC) ... tests/fuzz/fuzz_$$t.c -o build/fuzz/fuzz_$$t"; \
	    $(FUZZ_CC) -std=c11 -O1 -g $(WARN) -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc \
	        -fsanitize=fuzzer $(FUZZ_SAN) tests/fuzz/fuzz_$$t.c build/fuzz/libpatchtsmixer.a \
	        -lm -lpthread -o build/fuzz/fuzz_$$t || exit 1; \
	done

fuzz-run: fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run_fuzzers.sh $(FUZZ_TARGETS)

tsan:
	$(MAKE) BUILD=build/tsan OPT="-O1" CFLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
	    LDLIBS="-lm -lpthread -fsanitize=thread" build/tsan/test_threads
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" build/tsan/test_threads

valgrind: all
	sh tests/run_valgrind.sh

# ---------------------------------------------------------------- AArch64 NEON under qemu-user
#   make neon-check   cross-compile for aarch64 (gcc-aarch64-linux-gnu) into build-arm/ and run
#                     the kernel tests and the golden cases under qemu-aarch64 (qemu-user)
ARM_CC    ?= aarch64-linux-gnu-gcc
ARM_QEMU  ?= qemu-aarch64 -L /usr/aarch64-linux-gnu
neon-check:
	$(MAKE) BUILD=build-arm CC=$(ARM_CC) build-arm/test_kernels build-arm/test_kernel_paths \
	    build-arm/test_golden build-arm/test_model
	$(ARM_QEMU) build-arm/test_kernels
	$(ARM_QEMU) build-arm/test_kernel_paths
	$(ARM_QEMU) build-arm/test_model
	$(ARM_QEMU) build-arm/test_golden tests/golden
	PTM_KERNELS=scalar $(ARM_QEMU) build-arm/test_golden tests/golden
	$(ARM_QEMU) build-arm/test_golden tests/golden/ttm

# ---------------------------------------------------------------- API reference (Doxygen)
#   make docs       $(BUILD)/docs/html/index.html from include/patchtsmixer.h and docs/*.md;
#                   warnings (which CI treats as errors) in $(BUILD)/docs/warnings.log;
#                   without doxygen it stops with one line saying what to install
DOXYGEN ?= doxygen
.PHONY: docs
docs:
	@command -v $(DOXYGEN) >/dev/null 2>&1 || { echo "make docs: '$(DOXYGEN)' not found: install Doxygen (Debian/Ubuntu: apt-get install doxygen; Fedora: dnf install doxygen; macOS: brew install doxygen)" >&2; exit 1; }
	@mkdir -p $(BUILD)/docs
	( cat Doxyfile; echo "PROJECT_NUMBER = $(VERSION)"; echo "OUTPUT_DIRECTORY = $(BUILD)/docs"; \
	  echo "WARN_LOGFILE = $(BUILD)/docs/warnings.log" ) | $(DOXYGEN) -
	@if [ -s $(BUILD)/docs/warnings.log ]; then cat $(BUILD)/docs/warnings.log; fi
	@echo "API reference: $(BUILD)/docs/html/index.html"
