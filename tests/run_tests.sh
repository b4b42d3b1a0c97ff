#!/bin/sh
# run_tests.sh - runs every test program and the golden runner, then prints the total
# "N passed, M failed" line that CI reads. Exit status is non-zero if anything failed.
BUILD=${BUILD:-build}
pass=0
fail=0
for t in "$BUILD"/test_*; do
    [ -x "$t" ] || continue
    case "$t" in *golden*) continue ;; esac
    out=$("$t" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1/')
    f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\2/')
    [ -n "$p" ] || p=0
    [ -n "$f" ] || f=0
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "$t exited with status $rc"; fi
    pass=$((pass + p))
    fail=$((fail + f))
done
if [ -x "$BUILD/test_golden" ]; then
    out=$("$BUILD/test_golden" tests/golden 2>&1)
    rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1/')
    f=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\2/')
    [ -n "$p" ] || p=0
    [ -n "$f" ] || f=0
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    pass=$((pass + p))
    fail=$((fail + f))
fi
echo "TOTAL: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
