#!/usr/bin/env bash
# dev/identity.sh - what a refactor promises: the same numbers, bit for bit.
#
#   dev/identity.sh OUT_FILE [BUILD_DIR]
#
# Writes to OUT_FILE a fingerprint of everything a user can observe, produced by the programs
# in BUILD_DIR (default build/): FNV-1a hashes of every tensor the golden runner compares
# (forward outputs, gradients, BatchNorm buffers) at every kernel level this CPU has, and the
# bytes of checkpoints and forecasts from short CLI training runs (LayerNorm and BatchNorm,
# forecasting and classification, 1 and 2 threads). Run it on the build before and after a
# change and `cmp` the two files (the note of issue 10 says how it was used).
set -euo pipefail
out=$(realpath -m "$1")
build=$(realpath "${2:-build}")
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$out"
for lvl in default avx2 scalar; do
    env=()
    [ "$lvl" = default ] || env=(PTM_KERNELS=$lvl)
    env "${env[@]}" PTM_GOLDEN_HASH=1 "$build/test_golden" tests/golden | grep '^HASH' |
        sed "s/^/$lvl /" >>"$out"
done
cli="$build/patchtsmixer"
run() { # name, then train arguments
    local name=$1
    shift
    "$cli" train --quiet --out "$tmp/$name" "$@" >/dev/null
    for f in model.safetensors config.json last/model.safetensors last/optimizer.safetensors; do
        echo "$name $f $(sha256sum <"$tmp/$name/$f" | cut -c1-16)" >>"$out"
    done
}
common=(--data data/ETTh1.csv --context-length 96 --prediction-length 24 --epochs 2 --max-steps 40)
run ln1 "${common[@]}" --threads 1
run ln2 "${common[@]}" --threads 2
run bn2 "${common[@]}" --threads 2 --norm BatchNorm --mode mix_channel
run nll "${common[@]}" --threads 2 --loss nll --distribution normal
run cls --task classify --data data/uea/BasicMotions_TRAIN.ts --test data/uea/BasicMotions_TEST.ts \
    --epochs 2 --threads 2
for name in ln2 bn2 nll; do
    samples=()
    [ "$name" = nll ] && samples=(--samples 20)
    "$cli" predict "$tmp/$name" --input data/ETTh1.csv "${samples[@]}" >"$tmp/p.csv"
    echo "$name predict $(sha256sum <"$tmp/p.csv" | cut -c1-16)" >>"$out"
done
"$cli" eval "$tmp/ln2" --data data/ETTh1.csv >"$tmp/e.txt" 2>&1
echo "ln2 eval $(sha256sum <"$tmp/e.txt" | cut -c1-16)" >>"$out"
echo "$(wc -l <"$out") lines in $out"
