#!/usr/bin/env bash
# .ci/install_check.sh - the library as a new user gets it: `make install` into a prefix (and
# staged with DESTDIR), examples/forecast.c and the CLI's sources (cli/*.c) built against the
# installed files through pkg-config (shared and static) and through CMake's find_package, the
# public header compiled as C++ and as strict C99, the shared library exporting exactly the header's functions, and
# `make uninstall` removing everything. Needs cc, c++, make, pkg-config, cmake. Run from the
# repository root after `make`; prints "N passed, M failed" and exits non-zero on a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
ko() { fail=$((fail + 1)); echo "FAIL $*"; }
check() { # check NAME CMD...: run CMD quietly, record the result (its output on failure)
    name=$1; shift
    if "$@" >"$tmp/log" 2>&1; then ok "$name"; else ko "$name"; cat "$tmp/log"; fi
}

MODEL=tests/golden/fc_common_gated_ln_std
PAST=tests/data/fc_past.csv
EXPECT=tests/data/fc_expected.csv
# same_values FILE: forecast rows "step,v1,v2,..." equal tests/data/fc_expected.csv (HF) to 1e-4
same_values() {
    grep -v '^#' "$1" | awk -F, 'NR==FNR { if (FNR > 1) for (i = 2; i <= NF; i++) e[FNR - 1, i] = $i; next }
        { n++; for (i = 2; i <= NF; i++) { d = $i - e[FNR, i]; if (d < 0) d = -d; if (d > 1e-4 * 101) bad = 1 } }
        END { exit bad || n != 12 }' "$EXPECT" -
}

# 1. the header on its own, as C++ and as strict C99
check "header compiles as C++ (g++ -x c++)" \
    c++ -fsyntax-only -x c++ -std=c++11 -Wall -Wextra -Werror -pedantic include/patchtsmixer.h
check "header compiles as strict C99" \
    cc -fsyntax-only -x c -std=c99 -Wall -Wextra -Werror -pedantic include/patchtsmixer.h
printf '#include <patchtsmixer.h>\nint main() { return ptm_version()[0] == 0; }\n' >"$tmp/t.cpp"

# 2. the shared library exports the header's functions and nothing else
nm -D --defined-only "$BUILD/libpatchtsmixer.so" | awk '$2 == "T" { print $3 }' | sort >"$tmp/exported"
sed -n 's/^  \(.*\);$/\1/p' "$BUILD/patchtsmixer.map" | sort >"$tmp/declared"
check "exported symbols = functions of include/patchtsmixer.h" cmp "$tmp/exported" "$tmp/declared"
nm -g --defined-only "$BUILD/dist/libpatchtsmixer.a" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort >"$tmp/static_globals"
check "installed static library: global symbols = functions of include/patchtsmixer.h" \
    cmp "$tmp/static_globals" "$tmp/declared"
check "SONAME is libpatchtsmixer.so.0" sh -c "readelf -d $BUILD/libpatchtsmixer.so | grep -q 'SONAME.*libpatchtsmixer.so.0\]'"

# 3. install into a prefix; pkg-config; shared and static builds of the example
P=$tmp/prefix
check "make install PREFIX=$P" make --no-print-directory install PREFIX="$P"
export PKG_CONFIG_PATH=$P/lib/pkgconfig
check "pkg-config --modversion = PTM_VERSION_STRING" \
    sh -c "test \"\$(pkg-config --modversion patchtsmixer)\" = \"\$(sed -n 's/^#define PTM_VERSION_STRING \"\(.*\)\"/\1/p' include/patchtsmixer.h)\""
# shellcheck disable=SC2046
check "cc examples/forecast.c \$(pkg-config --cflags --libs patchtsmixer)" \
    cc -std=c11 -Wall -Wextra -Werror examples/forecast.c $(pkg-config --cflags --libs patchtsmixer) -o "$tmp/forecast"
check "example uses the installed shared library" sh -c "LD_LIBRARY_PATH=$P/lib ldd $tmp/forecast | grep -q '$P/lib/libpatchtsmixer.so.0'"
LD_LIBRARY_PATH=$P/lib "$tmp/forecast" "$MODEL" "$PAST" >"$tmp/fc_shared.txt" 2>&1
check "example (shared) forecasts what Hugging Face computes" same_values "$tmp/fc_shared.txt"
# shellcheck disable=SC2046
check "static build: libpatchtsmixer.a + pkg-config --static --libs" \
    cc -std=c11 examples/forecast.c $(pkg-config --cflags patchtsmixer) "$P/lib/libpatchtsmixer.a" \
    $(pkg-config --static --libs-only-l patchtsmixer | sed 's/-lpatchtsmixer//') -o "$tmp/forecast_static"
"$tmp/forecast_static" "$MODEL" "$PAST" >"$tmp/fc_static.txt" 2>&1
check "example (static) forecasts what Hugging Face computes" same_values "$tmp/fc_static.txt"
check "C++ program links against the installed library" \
    c++ -std=c++11 -Wall -Werror "$tmp/t.cpp" -I"$P/include" -L"$P/lib" -lpatchtsmixer -o "$tmp/tcpp"
check "installed CLI runs" sh -c "$P/bin/patchtsmixer --version | grep -q '^patchtsmixer '"
# the CLI is a program of the public API like the examples: its sources build against the
# installed header and shared library alone, and forecast what the build tree's CLI does
# shellcheck disable=SC2046
check "cc cli/*.c \$(pkg-config --cflags --libs patchtsmixer) (the CLI on the installed library)" \
    cc -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -D_POSIX_C_SOURCE=200809L cli/*.c \
    $(pkg-config --cflags --libs patchtsmixer) -lm -o "$tmp/cli"
check "CLI on the installed library: info models/etth1" \
    sh -c "LD_LIBRARY_PATH=$P/lib $tmp/cli info models/etth1 | grep -q 'TinyTimeMixerForPrediction'"
"$BUILD/patchtsmixer" predict models/etth1 --input data/ETTh1.csv --output "$tmp/fc_build.csv" >/dev/null 2>&1
check "CLI on the installed library: predict models/etth1 on data/ETTh1.csv = build tree's" \
    sh -c "LD_LIBRARY_PATH=$P/lib $tmp/cli predict models/etth1 --input data/ETTh1.csv \
        --output $tmp/fc_cli.csv && test -s $tmp/fc_cli.csv && cmp $tmp/fc_cli.csv $tmp/fc_build.csv"

# 4. staged install (DESTDIR) of a /usr/local build, used through PKG_CONFIG_SYSROOT_DIR and CMake
S=$tmp/stage
check "make install DESTDIR=$S PREFIX=/usr/local" make --no-print-directory install DESTDIR="$S" PREFIX=/usr/local
for f in include/patchtsmixer.h lib/libpatchtsmixer.a lib/libpatchtsmixer.so lib/libpatchtsmixer.so.0 \
    lib/pkgconfig/patchtsmixer.pc lib/cmake/patchtsmixer/patchtsmixerConfig.cmake \
    lib/cmake/patchtsmixer/patchtsmixerConfigVersion.cmake bin/patchtsmixer; do
    [ -e "$S/usr/local/$f" ] && ok "staged /usr/local/$f" || ko "staged /usr/local/$f missing"
done
check "staged .pc names prefix /usr/local" grep -q '^prefix=/usr/local$' "$S/usr/local/lib/pkgconfig/patchtsmixer.pc"
# shellcheck disable=SC2046
check "build against the staged tree (PKG_CONFIG_SYSROOT_DIR)" \
    env PKG_CONFIG_PATH="$S/usr/local/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$S" \
    sh -c 'cc examples/forecast.c $(pkg-config --cflags --libs patchtsmixer) -o '"$tmp/forecast_staged"
if command -v cmake >/dev/null 2>&1; then
    check "cmake configure examples/ (find_package(patchtsmixer 0.2))" \
        cmake -S examples -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$S/usr/local" -DCMAKE_BUILD_TYPE=Release
    check "cmake --build" cmake --build "$tmp/cmake"
    LD_LIBRARY_PATH=$S/usr/local/lib "$tmp/cmake/forecast" "$MODEL" "$PAST" >"$tmp/fc_cmake.txt" 2>&1
    check "CMake-built example forecasts what Hugging Face computes" same_values "$tmp/fc_cmake.txt"
    "$tmp/cmake/forecast_static" "$MODEL" "$PAST" >"$tmp/fc_cmake_static.txt" 2>&1
    check "CMake-built static example forecasts what Hugging Face computes" same_values "$tmp/fc_cmake_static.txt"
    printf 'cmake_minimum_required(VERSION 3.13)\nproject(v LANGUAGES C)\nfind_package(patchtsmixer 0.3 QUIET)\nif(patchtsmixer_FOUND)\n  message(FATAL_ERROR "0.2.x must not satisfy 0.3")\nendif()\n' >"$tmp/CMakeLists.txt"
    check "find_package(patchtsmixer 0.3) rejects 0.2.x (docs/abi.md)" \
        cmake -S "$tmp" -B "$tmp/cmake_v" -DCMAKE_PREFIX_PATH="$S/usr/local"
else
    ko "cmake not installed"
fi

# 5. uninstall removes every file
check "make uninstall" make --no-print-directory uninstall DESTDIR="$S" PREFIX=/usr/local
left=$(find "$S" -type f -o -type l | wc -l)
[ "$left" -eq 0 ] && ok "nothing left after uninstall" || ko "uninstall left $left files"

echo "install check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
