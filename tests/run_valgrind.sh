#!/bin/sh
# run_valgrind.sh - the test programs (build/test_*) and the golden runner under valgrind
# memcheck: any invalid read or write, use of uninitialised memory, or leaked block (definite,
# indirect or possible) fails. Used by `make valgrind` and CI.
#
#     sh tests/run_valgrind.sh            all but the slowest (VALGRIND_SKIP)
#     VALGRIND_SKIP= sh tests/run_valgrind.sh     everything
#
# Skipped by default, to keep CI within its time budget: test_fdiff (finite differences of every
# layer: over a minute under valgrind; it runs under ASan + LeakSanitizer in `make asan`).
# Also runs the CLI once for predict and once for a tiny train + --resume.
# Prints "valgrind: N passed, M failed".
BUILD=${BUILD:-build}
SKIP=${VALGRIND_SKIP-test_fdiff}
command -v valgrind >/dev/null 2>&1 || { echo "run_valgrind: valgrind not installed"; exit 2; }
export PTM_UNDER_VALGRIND=1 # test_hostile: skip its RLIMIT_AS child (valgrind maps more)
VG="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes"
pass=0
fail=0
run() {
    name=$1
    shift
    start=$(date +%s)
    if $VG "$@" >"$BUILD/valgrind_$name.log" 2>&1; then
        pass=$((pass + 1))
        echo "valgrind $name: clean ($(($(date +%s) - start)) s)"
    else
        fail=$((fail + 1))
        echo "valgrind $name: FAILED ($(($(date +%s) - start)) s); last lines of $BUILD/valgrind_$name.log:"
        tail -n 40 "$BUILD/valgrind_$name.log"
    fi
}
for t in "$BUILD"/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    case " $SKIP " in *" $name "*) echo "valgrind $name: skipped"; continue ;; esac
    case "$name" in
    test_golden) run "$name" "$t" tests/golden ;;
    *) run "$name" "$t" ;;
    esac
done
# the command line: a forecast, and a tiny training run that is resumed
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run cli_predict "$BUILD/patchtsmixer" predict tests/golden/fc_common_gated_ln_std \
    --input tests/data/fc_past.csv --output "$tmp/fc.csv"
awk 'BEGIN { print "date,a,b"; for (i = 0; i < 120; i++)
    printf "2020-01-%02d %02d:00:00,%.4f,%.4f\n", 1 + int(i / 24), i % 24, sin(i * 0.3), cos(i * 0.2) }' \
    >"$tmp/s.csv"
TINY="train --data $tmp/s.csv --out $tmp/run --context-length 16 --prediction-length 4 \
--patch-length 4 --d-model 4 --num-layers 1 --batch-size 8 --quiet"
run cli_train "$BUILD/patchtsmixer" $TINY --epochs 1
run cli_resume "$BUILD/patchtsmixer" $TINY --epochs 2 --resume
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
