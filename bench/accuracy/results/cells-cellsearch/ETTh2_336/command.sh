#!/bin/sh
# ETTh2, horizon 336: the chosen configuration 'ttmhd7mae' (--config tests/golden/ttm/r2_512_96_7ch/config.json --patch-length 64 --patch-stride 64 --schedule onecycle --lr 0.001 --epochs 5 --patience 2 --head-dropout 0.7 --loss mae).
# Retrains one row: sh bench/accuracy/results/cells-cellsearch/ETTh2_336/command.sh [SEED [OUT_DIR]] (from the repository root).
# config.json beside it is the model configuration it produced with seed 42.
set -e
SEED=${1:-42}
DIR=${2:-runs/retrain/ETTh2_336_s$SEED}
build/patchtsmixer train --data ../shared/data/ETT-small/ETTh2.csv --context-length 512 --patch-length 8 --patch-stride 8 --prediction-length 336 --batch-size 64 --epochs 10 --patience 3 --config tests/golden/ttm/r2_512_96_7ch/config.json --patch-length 64 --patch-stride 64 --schedule onecycle --lr 0.001 --epochs 5 --patience 2 --head-dropout 0.7 --loss mae --seed $SEED --threads 1 --out "$DIR"

