#!/bin/sh
# ILI, horizon 24: the chosen configuration 'drop5' (--schedule constant --lr 0.001 --dropout 0.5 --head-dropout 0.5).
# Retrains one row: sh bench/accuracy/results/cells-cellsearch/ILI_24/command.sh [SEED [OUT_DIR]] (from the repository root).
# config.json beside it is the model configuration it produced with seed 42.
set -e
SEED=${1:-42}
DIR=${2:-runs/retrain/ILI_24_s$SEED}
build/patchtsmixer train --data ../shared/data/illness/national_illness.csv --context-length 104 --patch-length 24 --patch-stride 2 --prediction-length 24 --batch-size 16 --epochs 60 --patience 10 --schedule constant --lr 0.001 --dropout 0.5 --head-dropout 0.5 --seed $SEED --threads 1 --out "$DIR"

