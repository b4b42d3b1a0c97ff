#!/bin/sh
# run_fuzzers.sh - runs libFuzzer targets (built by `make fuzz`) for a bounded time each and
# fails if any of them finds something (crash, sanitizer report, leak, timeout, OOM).
#
#     FUZZ_SECONDS=45 sh tests/fuzz/run_fuzzers.sh [TARGET...]      (default: all eight)
#
# Each target starts from its committed corpus (tests/fuzz/corpus/<target>, read only) plus
# a scratch corpus in build/fuzz/scratch/<target> that grows as libFuzzer finds new coverage.
# Targets run FUZZ_JOBS at a time (default: the number of CPUs). A finding is saved as
# build/fuzz/artifacts/<target>-crash-<sha1> (add it to the committed corpus once fixed, as
# crash_<what>). Prints one line per target with its executions and exit status.
set -u
cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-45}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ $# -gt 0 ] || set -- safetensors config csv ts checkpoint model preprocessor long
mkdir -p build/fuzz/scratch build/fuzz/artifacts build/fuzz/logs
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
    t=$1
    mkdir -p "build/fuzz/scratch/$t"
    case "$t" in csv | ts | long) dict=tests/fuzz/text.dict ;; *) dict=tests/fuzz/json.dict ;; esac
    # -max_len: the largest seed (a few KB) plus room to grow; -timeout: one input over 10 s
    # is a finding (a hang); -rss_limit_mb / -malloc_limit_mb: a memory blow-up is one too
    "build/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -malloc_limit_mb=1024 -max_len=16384 -print_final_stats=1 -dict="$dict" \
        -artifact_prefix="build/fuzz/artifacts/$t-" \
        "build/fuzz/scratch/$t" "tests/fuzz/corpus/$t" >"build/fuzz/logs/$t.log" 2>&1
    echo $? >"build/fuzz/logs/$t.rc"
}

running=0
for t in "$@"; do
    [ -x "build/fuzz/fuzz_$t" ] || { echo "run_fuzzers: build/fuzz/fuzz_$t missing (make fuzz)"; exit 2; }
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait
        running=0
    fi
done
wait

status=0
for t in "$@"; do
    rc=$(cat "build/fuzz/logs/$t.rc" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build/fuzz/logs/$t.log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+.*cov:' "build/fuzz/logs/$t.log" | tail -n 1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
    printf 'fuzz %-12s %4ss  %10s executions  cov %6s  exit %s\n' "$t" "$SECONDS_EACH" \
        "${execs:-?}" "${cov:-?}" "$rc"
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "---- build/fuzz/logs/$t.log (last 60 lines)"
        tail -n 60 "build/fuzz/logs/$t.log"
    fi
done
[ "$status" -eq 0 ] && echo "fuzzing: no findings" || echo "fuzzing: FINDINGS (see above)"
exit "$status"
