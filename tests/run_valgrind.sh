#!/bin/sh
# run_valgrind.sh - the test programs (build/test_*) and the golden runner under valgrind
# memcheck: any invalid read or write, use of uninitialised memory, or leaked block (definite,
# indirect or possible) fails. Used by `make valgrind` and CI.
#
#     sh tests/run_valgrind.sh                    all but the slowest (VALGRIND_SKIP)
#     VALGRIND_SKIP= sh tests/run_valgrind.sh     everything
#
# Skipped by default, to keep CI within its time budget: test_fdiff_models and test_fdiff_ttm
# (finite differences of mixer layers, whole models and TinyTimeMixer's pieces: minutes under
# valgrind; they run under ASan + LeakSanitizer in `make asan`). A build/test_* without its tests/test_*.c (left over from a
# renamed program) is not run.
# Also runs the CLI once for predict and for a tiny train, then its --resume. Programs run
# VALGRIND_JOBS at a time (default: the number of CPUs), slowest first; logs go to
# $BUILD/valgrind_<name>.log. Prints "valgrind: N passed, M failed".
BUILD=${BUILD:-build}
SKIP=${VALGRIND_SKIP-test_fdiff_models test_fdiff_ttm}
JOBS=${VALGRIND_JOBS:-$(nproc 2>/dev/null || echo 2)}
command -v valgrind >/dev/null 2>&1 || { echo "run_valgrind: valgrind not installed"; exit 2; }
export PTM_UNDER_VALGRIND=1 # test_hostile_resume: skip its RLIMIT_AS child (valgrind maps more)
export VG="valgrind --quiet --error-exitcode=99 --leak-check=full \
--show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
--track-origins=yes"
export BUILD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# one line per run: NAME CMD ARGS... (no spaces inside arguments)
list="$tmp/list"
: >"$list"
for slow in test_train test_dist test_kernels test_kernel_paths; do # the slowest first
    [ -x "$BUILD/$slow" ] && echo "$slow $BUILD/$slow" >>"$list"
done
for t in "$BUILD"/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    [ -f "tests/$name.c" ] || continue
    case " test_train test_dist test_kernels test_kernel_paths " in *" $name "*) continue ;; esac
    case " $SKIP " in *" $name "*) echo "valgrind $name: skipped"; continue ;; esac
    case "$name" in
    test_golden) echo "$name $t tests/golden" >>"$list" ;;
    *) echo "$name $t" >>"$list" ;;
    esac
done
echo "cli_predict $BUILD/patchtsmixer predict tests/golden/fc_common_gated_ln_std \
--input tests/data/fc_past.csv --output $tmp/fc.csv" >>"$list"

# run_one NAME CMD...: CMD under valgrind; "exit-status seconds" to $BUILD/valgrind_NAME.rc
run_one='name=$1; shift; start=$(date +%s); $VG "$@" >"$BUILD/valgrind_$name.log" 2>&1;
echo "$? $(($(date +%s) - start))" >"$BUILD/valgrind_$name.rc"'
xargs -P "$JOBS" -L 1 sh -c "$run_one" sh <"$list"

# the command line's training, then its --resume (in order)
awk 'BEGIN { print "date,a,b"; for (i = 0; i < 120; i++)
    printf "2020-01-%02d %02d:00:00,%.4f,%.4f\n", 1 + int(i / 24), i % 24, sin(i * 0.3), cos(i * 0.2) }' \
    >"$tmp/s.csv"
TINY="train --data $tmp/s.csv --out $tmp/run --context-length 16 --prediction-length 4 \
--patch-length 4 --d-model 4 --num-layers 1 --batch-size 8 --quiet"
sh -c "$run_one" sh cli_train "$BUILD/patchtsmixer" $TINY --epochs 1
sh -c "$run_one" sh cli_resume "$BUILD/patchtsmixer" $TINY --epochs 2 --resume
printf 'cli_train\ncli_resume\n' >>"$list"

pass=0
fail=0
for name in $(cut -d' ' -f1 "$list"); do
    rc=1
    secs=?
    [ -f "$BUILD/valgrind_$name.rc" ] && read -r rc secs <"$BUILD/valgrind_$name.rc"
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
        echo "valgrind $name: clean (${secs} s)"
    else
        fail=$((fail + 1))
        echo "valgrind $name: FAILED (exit $rc); last lines of $BUILD/valgrind_$name.log:"
        tail -n 40 "$BUILD/valgrind_$name.log"
    fi
    rm -f "$BUILD/valgrind_$name.rc"
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
