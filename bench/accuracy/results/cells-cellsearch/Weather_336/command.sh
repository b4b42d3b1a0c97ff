#!/bin/sh
# Weather, horizon 336: the chosen configuration 'p16s16d32' (--schedule onecycle --lr 0.001 --patch-length 16 --patch-stride 16 --d-model 32).
# Retrains one row: sh bench/accuracy/results/cells-cellsearch/Weather_336/command.sh [SEED [OUT_DIR]] (from the repository root).
# config.json beside it is the model configuration it produced with seed 42.
set -e
SEED=${1:-42}
DIR=${2:-runs/retrain/Weather_336_s$SEED}
[ -f runs/accuracy/data/weather.csv ] || { mkdir -p runs/accuracy/data && gunzip -c ../shared/data/weather/weather.csv.gz >runs/accuracy/data/weather.csv; }
build/patchtsmixer train --data runs/accuracy/data/weather.csv --context-length 512 --patch-length 8 --patch-stride 8 --prediction-length 336 --batch-size 64 --epochs 4 --patience 2 --schedule onecycle --lr 0.001 --patch-length 16 --patch-stride 16 --d-model 32 --seed $SEED --threads 1 --out "$DIR"

