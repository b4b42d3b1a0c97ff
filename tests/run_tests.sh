#!/bin/sh
# run_tests.sh - runs every test program (build/test_*), every test script (tests/test_*.sh)
# and the golden runner over tests/golden, then prints the total line that CI reads:
#   TOTAL: N passed, M failed
# Exit status is non-zero if anything failed. BUILD selects the build folder (build, build-asan).
BUILD=${BUILD:-build}
export BUILD
pass=0
fail=0

# tally CMD...: run it, echo its output, add its "N passed, M failed" line to the totals
tally() {
    out=$("$@" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1/')
    f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\2/')
    [ -n "$p" ] || p=0
    [ -n "$f" ] || f=0
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "$* exited with status $rc"
    fi
    pass=$((pass + p))
    fail=$((fail + f))
}

for t in "$BUILD"/test_*; do
    [ -x "$t" ] || continue
    [ -f "tests/$(basename "$t").c" ] || continue # left over from a renamed program
    case "$t" in *test_golden) continue ;; esac
    tally "$t"
done
for t in tests/test_*.sh; do
    [ -f "$t" ] && tally sh "$t"
done
# the golden cases on every kernel path this CPU has (PTM_KERNELS caps the dispatch)
tally "$BUILD/test_golden" tests/golden
tally env PTM_KERNELS=avx2 "$BUILD/test_golden" tests/golden
tally env PTM_KERNELS=scalar "$BUILD/test_golden" tests/golden
# TinyTimeMixer: eval-mode outputs, and train-mode outputs and gradients of the grad_* cases
tally "$BUILD/test_golden" tests/golden/ttm
tally env PTM_KERNELS=avx2 "$BUILD/test_golden" tests/golden/ttm
tally env PTM_KERNELS=scalar "$BUILD/test_golden" tests/golden/ttm
echo "TOTAL: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
