#!/bin/sh
# ETTh1, horizon 96: the chosen configuration 'ttmmae' (--config tests/golden/ttm/r2_512_96_7ch/config.json --patch-length 64 --patch-stride 64 --schedule onecycle --lr 0.001 --epochs 5 --patience 2 --loss mae).
# Retrains one row: sh bench/accuracy/results/cells/ETTh1_96/command.sh [SEED [OUT_DIR]] (from the repository root).
# config.json beside it is the model configuration it produced with seed 42.
set -e
SEED=${1:-42}
DIR=${2:-runs/retrain/ETTh1_96_s$SEED}
build/patchtsmixer train --data ../shared/data/ETT-small/ETTh1.csv --context-length 512 --patch-length 8 --patch-stride 8 --prediction-length 96 --batch-size 64 --epochs 10 --patience 3 --config tests/golden/ttm/r2_512_96_7ch/config.json --patch-length 64 --patch-stride 64 --schedule onecycle --lr 0.001 --epochs 5 --patience 2 --loss mae --seed $SEED --threads 1 --out "$DIR"

