#!/bin/sh
# dev/results.sh - reruns the training results of the README with the current build and prints
# their table rows (markdown). All runs take about 5 minutes on one quiet core (2026-11-27 build).
#   make && sh dev/results.sh [OUT_DIR [RUN...]]     OUT_DIR defaults to runs/; RUN names a subset
# Each run writes OUT_DIR/<name>/ (the best checkpoint) and OUT_DIR/<name>.log (its log).
set -u
B=./build/patchtsmixer
OUT=${1:-runs}
[ $# -gt 0 ] && shift
mkdir -p "$OUT"

args_of() {
    case "$1" in
    etth1) echo "--data data/ETTh1.csv --epochs 10 --schedule constant --lr 0.001 --patience 3" ;;
    etth1_oc) echo "--data data/ETTh1.csv --epochs 10" ;;
    etth2) echo "--data data/ETTh2.csv --epochs 10 --schedule constant --lr 0.001 --patience 3" ;;
    etth2_oc) echo "--data data/ETTh2.csv --epochs 10" ;;
    etth2_best) echo "--data data/ETTh2.csv --epochs 10 --schedule constant --lr 0.001 --patience 3 --dropout 0.5 --head-dropout 0.5" ;;
    pre) echo "--task pretrain --data data/ETTh1.csv --epochs 10 --patience 3" ;;
    ft) echo "--data data/ETTh1.csv --init-from $OUT/pre --epochs 10 --schedule constant --lr 0.001 --patience 3" ;;
    bm) echo "--task classify --data data/uea/BasicMotions_TRAIN.ts --test data/uea/BasicMotions_TEST.ts --context-length 100 --patch-length 10 --epochs 40 --batch-size 8 --patience 10" ;;
    covid) echo "--task regress --data data/tser/Covid3Month_TRAIN.ts --test data/tser/Covid3Month_TEST.ts --context-length 84 --patch-length 7 --epochs 40 --batch-size 16 --patience 10" ;;
    *) return 1 ;;
    esac
}

runs=${*:-"etth1 etth1_oc etth2 etth2_oc etth2_best pre ft bm covid"}
echo "| run | arguments | test | summary | wall |"
echo "|---|---|---|---|---|"
for name in $runs; do
    args=$(args_of "$name") || { echo "unknown run $name" >&2; exit 2; }
    start=$(date +%s)
    # shellcheck disable=SC2086
    $B train $args --out "$OUT/$name" --threads 1 >"$OUT/$name.log" 2>&1 || echo "FAILED: $name" >&2
    end=$(date +%s)
    echo "| $name | $args | $(grep '^test:' "$OUT/$name.log") | $(grep '^done:' "$OUT/$name.log") | $((end - start)) s |"
done
