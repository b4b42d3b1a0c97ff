#!/bin/sh
# ETTm2, horizon 336: the chosen configuration 'p16d7' (--schedule constant --lr 0.001 --patch-length 16 --patch-stride 8 --dropout 0.7 --head-dropout 0.7).
# Retrains one row: sh bench/accuracy/results/cells-cellsearch/ETTm2_336/command.sh [SEED [OUT_DIR]] (from the repository root).
# config.json beside it is the model configuration it produced with seed 42.
set -e
SEED=${1:-42}
DIR=${2:-runs/retrain/ETTm2_336_s$SEED}
[ -f runs/accuracy/data/ETTm2.csv ] || { mkdir -p runs/accuracy/data && gunzip -c ../shared/data/ETT-small/ETTm2.csv.gz >runs/accuracy/data/ETTm2.csv; }
build/patchtsmixer train --data runs/accuracy/data/ETTm2.csv --context-length 512 --patch-length 8 --patch-stride 8 --prediction-length 336 --batch-size 64 --epochs 8 --patience 3 --schedule constant --lr 0.001 --patch-length 16 --patch-stride 8 --dropout 0.7 --head-dropout 0.7 --seed $SEED --threads 1 --out "$DIR"

