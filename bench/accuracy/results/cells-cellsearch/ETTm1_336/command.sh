#!/bin/sh
# ETTm1, horizon 336: the chosen configuration 'drop5' (--schedule constant --lr 0.001 --dropout 0.5 --head-dropout 0.5).
# Retrains one row: sh bench/accuracy/results/cells-cellsearch/ETTm1_336/command.sh [SEED [OUT_DIR]] (from the repository root).
# config.json beside it is the model configuration it produced with seed 42.
set -e
SEED=${1:-42}
DIR=${2:-runs/retrain/ETTm1_336_s$SEED}
[ -f runs/accuracy/data/ETTm1.csv ] || { mkdir -p runs/accuracy/data && gunzip -c ../shared/data/ETT-small/ETTm1.csv.gz >runs/accuracy/data/ETTm1.csv; }
build/patchtsmixer train --data runs/accuracy/data/ETTm1.csv --context-length 512 --patch-length 8 --patch-stride 8 --prediction-length 336 --batch-size 64 --epochs 8 --patience 3 --schedule constant --lr 0.001 --dropout 0.5 --head-dropout 0.5 --seed $SEED --threads 1 --out "$DIR"

