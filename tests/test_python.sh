#!/bin/sh
# test_python.sh - the Python binding (python/patchtsmixer) with Debian's /usr/bin/python3 and
# python3-numpy: builds python/tests/layout.c and capi_reference.c against the public header,
# then runs python/tests/test_binding.py over $BUILD/libpatchtsmixer.so (bit-exact agreement
# with the C API on every golden case, errors, CSV, save, training). Without numpy it prints a
# SKIP note and "0 passed, 0 failed". Under a sanitizer build (build-asan) the Python process
# preloads the sanitizer runtimes so that the instrumented library can be loaded.
BUILD=${BUILD:-build}
PY=${PYTHON:-/usr/bin/python3}
if ! [ -x "$PY" ] || ! "$PY" -c "import numpy" >/dev/null 2>&1; then
    echo "SKIP test_python: $PY with numpy not found (apt-get install python3-numpy)"
    echo "python binding: 0 passed, 0 failed"
    exit 0
fi
if ! [ -e "$BUILD/libpatchtsmixer.so" ]; then
    echo "FAIL test_python: $BUILD/libpatchtsmixer.so missing (make)"
    echo "python binding: 0 passed, 1 failed"
    exit 1
fi
CC=${CC:-cc}
SAN=""
if nm -D "$BUILD/libpatchtsmixer.so" 2>/dev/null | grep -q "__asan_init"; then
    SAN="-fsanitize=address,undefined"
fi
for p in layout capi_reference ttm_reference; do
    if ! $CC -std=c11 -O1 -Wall -Wextra -Werror $SAN -Iinclude "python/tests/$p.c" \
        -L"$BUILD" -Wl,-rpath,"$PWD/$BUILD" -lpatchtsmixer -o "$BUILD/python_$p"; then
        echo "python binding: 0 passed, 1 failed"
        exit 1
    fi
done
export PATCHTSMIXER_LIB="$PWD/$BUILD/libpatchtsmixer.so"
if [ -n "$SAN" ]; then
    LD_PRELOAD="$($CC -print-file-name=libasan.so) $($CC -print-file-name=libubsan.so)" \
        ASAN_OPTIONS=detect_leaks=0 "$PY" python/tests/test_binding.py "$BUILD"
else
    "$PY" python/tests/test_binding.py "$BUILD"
fi
