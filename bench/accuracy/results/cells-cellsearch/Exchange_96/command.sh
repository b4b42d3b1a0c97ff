#!/bin/sh
# Exchange, horizon 96: the chosen configuration 'ctx96' (--schedule constant --lr 0.001 --context-length 96).
# Retrains one row: sh bench/accuracy/results/cells-cellsearch/Exchange_96/command.sh [SEED [OUT_DIR]] (from the repository root).
# config.json beside it is the model configuration it produced with seed 42.
set -e
SEED=${1:-42}
DIR=${2:-runs/retrain/Exchange_96_s$SEED}
build/patchtsmixer train --data ../shared/data/exchange_rate/exchange_rate.csv --context-length 512 --patch-length 8 --patch-stride 8 --prediction-length 96 --batch-size 64 --epochs 10 --patience 3 --schedule constant --lr 0.001 --context-length 96 --seed $SEED --threads 1 --out "$DIR"

