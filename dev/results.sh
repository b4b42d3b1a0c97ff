#!/bin/sh
# dev/results.sh - reruns every training result of the README with the current build and prints
# the table rows (markdown). Takes about 30 minutes on 2 cores. Usage (repository root):
#   make && sh dev/results.sh [OUT_DIR]        (OUT_DIR defaults to runs/)
# Each run writes OUT_DIR/<name>/ (checkpoint) and OUT_DIR/<name>.log (its log).
set -u
B=./build/patchtsmixer
OUT=${1:-runs}
mkdir -p "$OUT"
T="--threads 1"

run() { # name, args...
    name=$1
    shift
    start=$(date +%s)
    $B train "$@" --out "$OUT/$name" $T >"$OUT/$name.log" 2>&1 || echo "FAILED: $name (see $OUT/$name.log)"
    end=$(date +%s)
    done_line=$(grep '^done:' "$OUT/$name.log")
    test_line=$(grep '^test:' "$OUT/$name.log")
    echo "| $name | $* | $test_line | $done_line | $((end - start)) s |"
}

echo "| run | arguments | test | summary | wall |"
echo "|---|---|---|---|---|"
run etth1 --data data/ETTh1.csv --epochs 10 --schedule constant --lr 0.001 --patience 3
run etth1_oc --data data/ETTh1.csv --epochs 10
run etth2 --data data/ETTh2.csv --epochs 10 --schedule constant --lr 0.001 --patience 3
run etth2_oc --data data/ETTh2.csv --epochs 10
run etth2_best --data data/ETTh2.csv --epochs 10 --schedule constant --lr 0.001 --patience 3 --dropout 0.5 --head-dropout 0.5
run pre --task pretrain --data data/ETTh1.csv --epochs 10 --patience 3
run ft --data data/ETTh1.csv --init-from "$OUT/pre" --epochs 10 --schedule constant --lr 0.001 --patience 3
run bm --task classify --data data/uea/BasicMotions_TRAIN.ts --test data/uea/BasicMotions_TEST.ts --context-length 100 --patch-length 10 --epochs 40 --batch-size 8 --patience 10
run covid --task regress --data data/tser/Covid3Month_TRAIN.ts --test data/tser/Covid3Month_TEST.ts --context-length 84 --patch-length 7 --epochs 40 --batch-size 16 --patience 10
