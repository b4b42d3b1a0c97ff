#!/usr/bin/env bash
# dev/ab_bench.sh - interleaved A/B speed comparison of two builds of build/bench.
#
#   dev/ab_bench.sh BENCH_A BENCH_B [ROUNDS]
#
# Runs each case (inference batch 1 and 64, training batch 64; 1 and 2 threads) ROUNDS times
# [7] (each run AB_SECONDS long [1]), alternating A and B within each round so that both see the same machine drift, and
# prints per case the median samples/s of each and the ratio B/A. Run it on a quiet machine.
set -euo pipefail
a=$1
b=$2
rounds=${3:-7}
cases=("--batches 1 --threads 1" "--batches 1 --threads 2" "--batches 64 --threads 1"
    "--batches 64 --threads 2" "--batches 64 --threads 1 --train-only"
    "--batches 64 --threads 2 --train-only")
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
sps() { # bench binary + args -> samples/s of its (last) row
    "$@" --json --seconds "${AB_SECONDS:-1}" 2>/dev/null | tail -n 1 | sed -E 's/.*"samples_per_s": ([0-9.]+).*/\1/'
}
printf '%-44s %12s %12s %7s\n' case "A samples/s" "B samples/s" "B/A"
for c in "${cases[@]}"; do
    ra=() rb=()
    for ((i = 0; i < rounds; i++)); do
        # shellcheck disable=SC2086
        ra+=("$(sps "$a" $c)")
        # shellcheck disable=SC2086
        rb+=("$(sps "$b" $c)")
    done
    ma=$(printf '%s\n' "${ra[@]}" | median)
    mb=$(printf '%s\n' "${rb[@]}" | median)
    printf '%-44s %12.1f %12.1f %7.3f\n' "$c" "$ma" "$mb" "$(awk -v a="$ma" -v b="$mb" 'BEGIN {print b / a}')"
done
