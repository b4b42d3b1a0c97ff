#!/bin/sh
# dev/ttm_results.sh - the TinyTimeMixer results of docs/ttm.md: a model of the r2 512-96
# architecture (tests/golden/ttm/r2_512_96_7ch/config.json: 805 280 parameters) trained in C on
# ETTh1 and ETTh2, 512 -> 96, by the standard protocol (../shared/data/README.md), and scored by
# `patchtsmixer eval` (scaled-space MSE / MAE over every test window):
#   scratch_*  random initialisation, every training window
#   pre_*      one model of our own pretrained on other data only (ETTm1, then ETTm2: 10 % of
#              their training windows, one epoch each; never ETTh1 / ETTh2)
#   fs_*       that model fine-tuned few-shot: 5 % of the training windows (--few-shot 0.05),
#              backbone frozen (decoder and head train, as granite-tsfm's few-shot notebooks)
#   fs0_*      the same 5 % from random initialisation: what the pretraining buys
# Writes OUT/results.md (a markdown table) and OUT/results.csv; each run OUT/<name>/ (its
# checkpoint) and OUT/<name>.log. Resumable: a finished run (OUT/<name>.done) is skipped, an
# interrupted one continues from OUT/<name>/last. About 17 minutes of CPU in all (measured on
# 2 busy AVX-512 cores, 2026-12-06; the two scratch runs are most of it), 48 minutes of wall
# time there (docs/ttm.md, "Results").
#   make && sh dev/ttm_results.sh [OUT_DIR]          OUT_DIR defaults to runs/ttm
# PTM=path/to/patchtsmixer runs another build (e.g. a copy, while this tree is rebuilt);
# THREADS= threads per run [1] (results do not depend on it; on a busy machine more threads get
# a bigger share of it); SHARED= the shared datasets folder [../shared/data]; RUNS="name ..." a
# subset; EXTRA= more train options (a smoke test: EXTRA="--max-steps 1 --epochs 1").
set -u
B=${PTM:-./build/patchtsmixer}
OUT=${1:-runs/ttm}
SHARED=${SHARED:-../shared/data}
CFG=tests/golden/ttm/r2_512_96_7ch/config.json
mkdir -p "$OUT/data" || exit 1

# the gzip copies of the pretraining data, unpacked once
for f in ETT-small/ETTm1 ETT-small/ETTm2; do
    dst="$OUT/data/$(basename "$f").csv"
    [ -s "$dst" ] && continue
    if ! gzip -dc "$SHARED/$f.csv.gz" >"$dst.tmp" || ! mv "$dst.tmp" "$dst"; then
        echo "cannot unpack $SHARED/$f.csv.gz" >&2
        exit 1
    fi
done

data_of() {
    case "$1" in
    *etth1) echo data/ETTh1.csv ;;
    *etth2) echo data/ETTh2.csv ;;
    pre_ettm1) echo "$OUT/data/ETTm1.csv" ;;
    pre_ettm2) echo "$OUT/data/ETTm2.csv" ;;
    *) return 1 ;;
    esac
}

args_of() {
    case "$1" in
    scratch_*) echo "--config $CFG --epochs 5 --patience 2" ;;
    pre_ettm1) echo "--config $CFG --few-shot 0.1 --epochs 1" ;;
    pre_ettm2) echo "--init-from $OUT/pre_ettm1 --few-shot 0.1 --epochs 1" ;;
    fs_*) echo "--init-from $OUT/pre_ettm2 --few-shot 0.05 --freeze-backbone --epochs 10 --patience 3" ;;
    fs0_*) echo "--config $CFG --few-shot 0.05 --epochs 10 --patience 3" ;;
    *) return 1 ;;
    esac
}

runs=${RUNS:-"scratch_etth1 pre_ettm1 pre_ettm2 fs_etth1 fs_etth2 fs0_etth1 fs0_etth2 scratch_etth2"}
t0=$(date +%s)
for name in $runs; do
    [ -f "$OUT/$name.done" ] && continue
    data=$(data_of "$name")
    args=$(args_of "$name")
    resume=
    [ -f "$OUT/$name/last/trainer_state.json" ] && resume=--resume
    start=$(date +%s)
    echo "$name: $B train --data $data $args --threads ${THREADS:-1} $resume" >&2
    # shellcheck disable=SC2086
    if ! $B train --data "$data" $args ${EXTRA:-} --out "$OUT/$name" --threads "${THREADS:-1}" $resume \
        >>"$OUT/$name.log" 2>&1; then
        echo "FAILED: $name (see $OUT/$name.log)" >&2
        exit 1
    fi
    # ETTh: the scores as `patchtsmixer eval` reports them (every test window, scaled space);
    # pretraining: the trainer's own test line (the same numbers, without a second pass)
    case "$name" in
    pre_*) ev=$(sed -n 's/^test: MSE \([^ ]*\)  MAE \([^ ]*\) .*/{"mse": \1, "mae": \2}/p' "$OUT/$name.log" | tail -1) ;;
    *) ev=$($B eval "$OUT/$name" --data "$data" --json) || { echo "FAILED: eval $name" >&2; exit 1; } ;;
    esac
    end=$(date +%s)
    printf '%s\t%s\t%s\t%s\n' "$data" "$args" "$ev" "$((end - start))" >"$OUT/$name.done"
done
t1=$(date +%s)

# the table, from the .done records and the logs
num() { printf '%s' "$1" | sed -n "s/.*\"$2\": \\([-0-9.e+]*\\).*/\\1/p"; }
{
    echo "run,data,arguments,train_windows,epochs,best_epoch,test_windows,test_mse,test_mae,wall_s"
    for name in $runs; do
        IFS='	' read -r data args ev wall <"$OUT/$name.done"
        log="$OUT/$name.log"
        tw=$(sed -n 's/^few-shot: \([0-9]*\) of.*/\1/p' "$log" | tail -1)
        [ -n "$tw" ] || tw=$(sed -n 's/.*windows train \([0-9]*\),.*/\1/p' "$log" | tail -1)
        ep=$(sed -n 's/^done: \([0-9]*\) epochs.*/\1/p' "$log" | tail -1)
        be=$(sed -n 's/.*best epoch \([0-9]*\).*/\1/p' "$log" | tail -1)
        echo "$name,$data,$args,$tw,$ep,$be,$(num "$ev" windows),$(num "$ev" mse),$(num "$ev" mae),$wall"
    done
} >"$OUT/results.csv"
{
    echo "| run | data | train windows | epochs (best) | test MSE | test MAE | wall |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    tail -n +2 "$OUT/results.csv" | while IFS=, read -r name data _ tw ep be _ mse mae wall; do
        printf '| %s | %s | %s | %s (%s) | %.3f | %.3f | %s s |\n' "$name" "$(basename "$data")" \
            "$tw" "$ep" "$be" "$mse" "$mae" "$wall"
    done
    echo
    echo "IBM's published zero-shot figures of granite-timeseries-ttm-r2 (512-96), for reference:"
    echo "ETTh1 MSE 0.363, ETTh2 MSE 0.276."
    echo
    echo "This invocation: $((t1 - t0)) s wall ($B, $(date -u +%Y-%m-%dT%H:%MZ))."
} >"$OUT/results.md"
cat "$OUT/results.md"
