#!/usr/bin/env bash
# bench/accuracy/run.sh - regenerates the long-horizon accuracy table (issue 15) with
# `build/patchtsmixer train`: a hyper-parameter search on the validation split, then the chosen
# configuration of every cell trained with every seed; writes OUT/results.csv, OUT/table.md and
# OUT/cells/<dataset>_<horizon>/{config.json,command.sh}. Run it from anywhere after `make`.
#
#   bench/accuracy/run.sh [--out DIR] [--data-dir DIR] [--jobs N] [--cells LIST] [--seeds LIST]
#                         [--cell-search] [--quick] [--plan] [--table] [--import DIR]
#                         [--measure] [--dataset SPEC]... [--candidates 'NAME|LIST']...
#
# Cells: ETTh1, ETTh2, ETTm1, ETTm2, Weather at 96/192/336/720 (context 512); Exchange at 96/336
# (context 512, or 96 when the search picks it); ILI at 24/60 with context 104, patch 24,
# stride 2 (PatchTST's ILI setting, PatchTST_supervised/scripts/PatchTST/illness.sh).
# Another dataset: --dataset 'NAME|FILE|CONTEXT|PATCH|STRIDE|HORIZONS|SEARCH_H|EPOCHS|PATIENCE|
# BATCH' (DATASETS' fields below; FILE under --data-dir or absolute, .csv or .csv.gz; HORIZONS
# space-separated) gets the same protocol, with the candidates of --candidates 'NAME|c1 c2 ...'
# (names from candidate_flags) or, without, DEFAULT_CANDIDATES; add --cells NAME to run only it.
# Splits and scaling are the trainer's: ETTh*/ETTm* 12/4/4 months, the others 70/10/20 %, a
# StandardScaler fitted on the training rows; MSE/MAE in the scaled space over every test window
# (../shared/data/README.md). ETTm1, ETTm2 and Weather ship gzipped: they are unpacked into
# OUT/data under names that keep their split rule (ETTm*.csv: ETT minute split).
#
# Protocol. Stage 1, the search: for every dataset, each of its candidate configurations (the
# budget, CANDIDATES below: 8 for ETTh1/ETTh2, 4 for ETTm2/Exchange/ILI, 3 for ETTm1, 2 for
# Weather) is trained once, with seed 42, at the dataset's SEARCH horizon only (96; ILI 24);
# the winner is the candidate with the lowest best-epoch validation loss, read from each run's
# loss.csv (epoch,train_loss,val_loss: it holds no test figure; for a run trained with another
# loss, --loss mae, the saved model's validation MSE from the trainer's val: line, see best_val
# below). The winner is reused at the
# other horizons of the dataset (no search per horizon: it keeps the whole table within the
# time budget). With --cell-search, stage 1b: the cells of CELL_CANDIDATES get a search of
# their own at their horizon (below; outputs named *-cellsearch*). Stage 2: the chosen
# configuration of every cell trained with every seed (--seeds, default 42,1,2); the search run
# itself is reused where it is the same run.
# The test split is read only by the trainer's final evaluation, which the search never looks at.
#
# Time: 98 runs (33 search runs, 65 more for the seeds and horizons). Timed end to end with
# --jobs 2 on this 2-core machine in two pieces (bench/accuracy/README.md, Time); estimated by
# bench/accuracy/time_estimate.py from the per-step costs of `--measure` (results/costs.csv,
# 2026-12-08): about 20,200 CPU s as the committed runs trained, 2.8 h with --jobs 2, at most
# 24,400 CPU s (3.4 h) at every run's epoch cap. `--plan` prints the runs still to do and their
# capped estimate from the same costs (epoch_cost below; it prepares their folders and unpacks
# the data, nothing more).
# Resumable: every run lives in OUT/runs/<dataset>_<horizon>_<candidate>_s<seed>/ with its
# command.sh, train.log, checkpoint (ckpt/) and result.csv (its result line); a run with a
# result.csv is skipped, an unfinished one is started again from scratch. Interrupt and rerun the
# same command to continue. `--jobs N` runs N single-threaded trainings at once (the results do
# not depend on the thread count). `--quick`: ETTh1 at 96 only, two candidates, 1 epoch of at
# most 20 steps each, seed 42 (a minute or two), into runs/accuracy-quick by default.
# `--import DIR` first restores the finished runs of a results folder this script wrote (the
# committed bench/accuracy/results) into OUT, so that a new machine extends the published table
# (a new candidate, a cell's search) without training its 100-odd runs again (see the import
# stage below).
set -eu -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

BIN=build/patchtsmixer
DATA_DIR=../shared/data
OUT=""
JOBS=1
QUICK=0
CELL_SEARCH=0
PLAN=0
MEASURE=0
TABLE_ONLY=0
IMPORT=""
CELLS=""
EXTRA_DATASETS=""
EXTRA_CANDIDATES=""
SEEDS="42,1,2"
SEARCH_SEED=42

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
    --out) OUT=$2; shift 2 ;;
    --data-dir) DATA_DIR=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --cells) CELLS=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --cell-search) CELL_SEARCH=1; shift ;;
    --plan) PLAN=1; shift ;;
    --measure) MEASURE=1; shift ;;
    --table) TABLE_ONLY=1; shift ;;
    --import) IMPORT=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --dataset) EXTRA_DATASETS="${EXTRA_DATASETS:+$EXTRA_DATASETS
}$2"; shift 2 ;;
    --candidates) EXTRA_CANDIDATES="${EXTRA_CANDIDATES:+$EXTRA_CANDIDATES
}$2"; shift 2 ;;
    __run) shift; RUN_ONE=$1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

# ---- one run (called as `run.sh __run DIR` by the job pool) ------------------------------------
# Executes DIR/command.sh, then writes DIR/result.csv:
# epochs,best_epoch,val_mse,test_mse,test_mae,wall_s (the trainer's `done:` and `test:` lines;
# for a run trained with another loss (--loss mae), val_mse is the saved model's validation MSE
# from the trainer's `val:` line, since its `done:` line holds its validation MAE).
if [ -n "${RUN_ONE:-}" ]; then
    d=$RUN_ONE
    # one process per run folder: a second instance of run.sh on the same folder skips a run
    # that the first is doing (flock from util-linux; without it, no guard)
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$d/.lock"
        flock -n 9 || { echo "run.sh: $d is being run by another run.sh; skipped" >&2; exit 0; }
    fi
    [ -f "$d/result.csv" ] && exit 0
    rm -rf "$d/ckpt" "$d/FAILED"
    # the commit of the build that runs it (reruns match to the fourth decimal with that build)
    (cd "$(dirname "$BIN")" && git describe --always --dirty 2>/dev/null) >"$d/build.txt" || true
    t0=$(date +%s.%N)
    if ! sh "$d/command.sh" >"$d/train.log" 2>&1; then
        echo "failed, see $d/train.log" >"$d/FAILED"
        echo "run.sh: FAILED $d (see $d/train.log)" >&2
        exit 1
    fi
    t1=$(date +%s.%N)
    rm -rf "$d/ckpt/last" # the optimiser state is only needed by --resume
    other_loss=0
    grep -q -- "--loss " "$d/command.sh" && other_loss=1
    awk -v t0="$t0" -v t1="$t1" -v other_loss=$other_loss '
        /^done:/ { for (i = 1; i <= NF; i++) {
                       if ($i == "epochs,") ep = $(i - 1)
                       if ($i == "best" && $(i + 1) == "epoch") { be = $(i + 2); vl = $(i + 5) }
                   } sub(/\)?,?$/, "", vl) }
        /^val:/ && other_loss { vm = $3 }
        /^test:/ { for (i = 1; i <= NF; i++) { # the first MSE and MAE: the model, not the baseline
                       if ($i == "MSE" && mse == "") mse = $(i + 1)
                       if ($i == "MAE" && mae == "") mae = $(i + 1) } }
        END { if (other_loss) vl = vm
              if (mse == "" || vl == "") exit 1
              printf "%s,%s,%s,%s,%s,%.1f\n", ep, be, vl, mse, mae, t1 - t0 }' \
        "$d/train.log" >"$d/result.tmp" || { echo "run.sh: no result in $d/train.log" >&2; exit 1; }
    mv "$d/result.tmp" "$d/result.csv"
    exit 0
fi

[ -n "$OUT" ] || { [ "$QUICK" = 1 ] && OUT=runs/accuracy-quick || OUT=runs/accuracy; }
[ -x "$BIN" ] || { echo "run.sh: $BIN not found: run make first" >&2; exit 2; }
[ -d "$DATA_DIR" ] || { echo "run.sh: data folder $DATA_DIR not found (--data-dir)" >&2; exit 2; }
# with --cell-search the table, its CSV and the chosen configurations get names of their own, so
# that both protocols' tables can come from one folder of runs
TAG=""
[ "$CELL_SEARCH" = 1 ] && TAG=-cellsearch

# ---- datasets ---------------------------------------------------------------------------------
# name | file under --data-dir | context | patch length | patch stride | horizons | search horizon
# | epochs | patience | batch
DATASETS='ETTh1|ETT-small/ETTh1.csv|512|8|8|96 192 336 720|96|10|3|64
ETTh2|ETT-small/ETTh2.csv|512|8|8|96 192 336 720|96|10|3|64
ETTm1|ETT-small/ETTm1.csv.gz|512|8|8|96 192 336 720|96|8|3|64
ETTm2|ETT-small/ETTm2.csv.gz|512|8|8|96 192 336 720|96|8|3|64
Weather|weather/weather.csv.gz|512|8|8|96 192 336 720|96|4|2|64
Exchange|exchange_rate/exchange_rate.csv|512|8|8|96 336|96|10|3|64
ILI|illness/national_illness.csv|104|24|2|24 60|24|60|10|16'

# The search budget: candidate configurations per dataset, as `patchtsmixer train` flags on top
# of the seed configuration (d_model 16, 4 layers, expansion 2, common_channel, gated attention,
# dropout and head dropout 0.2, AdamW lr 1e-3 one-cycle, no weight decay, batch as above).
#   const    constant lr 1e-3 (the README's seed configuration; in the ETTm2 and Weather searches
#            until 2026-12-08, never chosen there, dropped to keep the table within three hours:
#            bench/accuracy/README.md, Time, has their validation losses)
#   drop5    constant lr 1e-3, dropout and head dropout 0.5 (ETTh2's best so far)
#   onecyc   one-cycle lr 1e-3 (the trainer's default; in the ETTm2 and Weather searches until
#            2026-12-08, likewise)
#   lr1e4    constant lr 1e-4 (slower fitting for the sets that overfit in one or two epochs)
#   p16wd    patch 16 stride 8, dropout 0.4, weight decay 0.05 (PatchTST's patching, regularised;
#            in the ETTh searches until 2026-12-07, never chosen)
#   mix5     mix_channel (IC-TSMixer), dropout 0.5 (likewise)
#   p16d5, p16d6, p16d7  patch 16 stride 8 (63 patches), dropouts 0.5 / 0.6 / 0.7 (ETTm2: the
#            drop5 choice's regularisation with PatchTST's patching; p16d7 added 2026-12-07 after
#            p16d6 won, to see whether more dropout still helps)
#   ctx96    context 96 (Exchange: the length TSLib uses; the val targets are the same rows)
#   ililr    ILI: constant lr 2.5e-3 (PatchTST's ILI learning rate)
#   ttm      the TinyTimeMixer r2 512-96 architecture (TTM_CFG: adaptive patching in 3 levels,
#            patch 64, d_model 192, decoder 128, dropout and head dropout 0.4), trained from
#            random weights, one-cycle lr 1e-3, at most 5 epochs, patience 2 (docs/ttm.md)
#   ttmhd7   ttm with head dropout 0.7 (granite-tsfm's fine-tuning head dropout)
#   ttmve, ttmhd7ve, drop5ve   ttm, ttmhd7, drop5 also validating within each epoch (--val-every:
#            every 40 steps, about 3 times an ETTh epoch; every 135, 4 times an ETTm epoch) and
#            keeping the best of those models (for cells whose best model was that of epoch 1)
#   ttmlr    ttmve with one-cycle lr 3e-4 (slower fitting)
#   ttmwd    ttm with weight decay 0.1
#   ttmd6    ttm with dropout and head dropout 0.6
#   ttmmae, ttmhd7mae  ttm, ttmhd7 trained with the mean absolute error (--loss mae; granite-tsfm's
#            TTM loss option), compared with the others by the validation MSE of the model it
#            saved (ETTh1/ETTh2 from 2026-12-07, after an exploratory run: ETTh1 96 val MSE
#            0.664901 against ttm's 0.674443)
#   onecyc8  onecyc over 8 epochs instead of Weather's 4 (its runs had their best model at the
#            last epoch)
#   p16oc    onecyc with patch 16 stride 8 (Weather: ETTm2's patching with Weather's schedule;
#            a cell candidate of Weather 96/192 from 2026-12-07, in Weather's dataset search
#            from 2026-12-07 after exploratory runs at 336 and 720, see bench/accuracy/README.md)
#   p16s16d32  onecyc with patch 16 stride 16 (32 patches) and d_model 32 (Weather, from the
#            night of 2026-12-07: a wider model on half the patches, 59.9 MFLOP per sample
#            against p16oc's 71.6; exploratory runs in bench/accuracy/README.md)
TTM_CFG=tests/golden/ttm/r2_512_96_7ch/config.json
TTM_FLAGS="--config $TTM_CFG --patch-length 64 --patch-stride 64 --schedule onecycle --lr 0.001 --epochs 5 --patience 2"
candidate_flags() {
    case "$1" in
    const) echo "--schedule constant --lr 0.001" ;;
    drop5) echo "--schedule constant --lr 0.001 --dropout 0.5 --head-dropout 0.5" ;;
    onecyc) echo "--schedule onecycle --lr 0.001" ;;
    lr1e4) echo "--schedule constant --lr 0.0001" ;;
    p16wd) echo "--schedule constant --lr 0.001 --patch-length 16 --patch-stride 8 --dropout 0.4 --head-dropout 0.4 --weight-decay 0.05" ;;
    mix5) echo "--schedule constant --lr 0.001 --mode mix_channel --dropout 0.5 --head-dropout 0.5" ;;
    p16d5) echo "--schedule constant --lr 0.001 --patch-length 16 --patch-stride 8 --dropout 0.5 --head-dropout 0.5" ;;
    p16d6) echo "--schedule constant --lr 0.001 --patch-length 16 --patch-stride 8 --dropout 0.6 --head-dropout 0.6" ;;
    p16d7) echo "--schedule constant --lr 0.001 --patch-length 16 --patch-stride 8 --dropout 0.7 --head-dropout 0.7" ;;
    ctx96) echo "--schedule constant --lr 0.001 --context-length 96" ;;
    ililr) echo "--schedule constant --lr 0.0025" ;;
    ttm) echo "$TTM_FLAGS" ;;
    ttmhd7) echo "$TTM_FLAGS --head-dropout 0.7" ;;
    ttmve) echo "$TTM_FLAGS --val-every 40" ;;
    ttmlr) echo "$TTM_FLAGS --lr 0.0003 --val-every 40" ;;
    ttmhd7ve) echo "$TTM_FLAGS --head-dropout 0.7 --val-every 40" ;;
    drop5ve) echo "--schedule constant --lr 0.001 --dropout 0.5 --head-dropout 0.5 --val-every 135" ;;
    onecyc8) echo "--schedule onecycle --lr 0.001 --epochs 8 --patience 2" ;;
    p16oc) echo "--schedule onecycle --lr 0.001 --patch-length 16 --patch-stride 8" ;;
    p16s16d32) echo "--schedule onecycle --lr 0.001 --patch-length 16 --patch-stride 16 --d-model 32" ;;
    ttmwd) echo "$TTM_FLAGS --weight-decay 0.1" ;;
    ttmd6) echo "$TTM_FLAGS --dropout 0.6 --head-dropout 0.6" ;;
    ttmmae) echo "$TTM_FLAGS --loss mae" ;;
    ttmhd7mae) echo "$TTM_FLAGS --head-dropout 0.7 --loss mae" ;;
    *) return 1 ;;
    esac
}
CANDIDATES='ETTh1|const drop5 onecyc lr1e4 ttm ttmhd7 ttmmae ttmhd7mae
ETTh2|const drop5 onecyc lr1e4 ttm ttmhd7 ttmmae ttmhd7mae
ETTm1|const drop5 onecyc
ETTm2|drop5 p16d5 p16d6 p16d7
Weather|p16oc p16s16d32
Exchange|const drop5 ctx96 lr1e4
ILI|const drop5 onecyc ililr'

# --cell-search: cells with a search of their own (a second budget, added after the first table:
# cells behind the paper or TTM where the dataset's choice had its best model at epoch 1 or 2, or
# at the last epoch of Weather's cap): the candidates listed here and the dataset's choice, each
# trained once with seed 42 at the cell's horizon; the lowest validation loss wins the cell. Off
# by default: it adds 21 search runs (about 7,900 CPU s at their epoch caps) and two seeds more
# for each cell whose choice it changes (up to ~5,000 s): up to about 1.8 h more with --jobs 2
# (older estimate, from the costs measured by hand on 2026-12-06). Its table is
# OUT/table-cellsearch.md.
CELL_CANDIDATES='ETTh1_96|ttmlr ttmwd ttmd6
ETTh1_192|ttmve ttmlr
ETTh1_336|ttmve ttmlr
ETTh1_720|ttmve ttmlr
ETTh2_192|ttmhd7ve ttmlr ttmhd7mae
ETTh2_336|ttmhd7ve ttmlr ttmhd7mae
ETTm2_96|drop5ve
ETTm2_192|drop5ve
ETTm2_336|drop5ve
ETTm2_720|drop5ve
Weather_96|onecyc8
Weather_192|onecyc8'
cell_cands() {
    [ "$CELL_SEARCH" = 1 ] || return 0
    echo "$CELL_CANDIDATES" | awk -F'|' -v n="$1_$2" '$1 == n { print $2 }'
}

field() { echo "$DATASETS" | awk -F'|' -v n="$1" -v k="$2" '$1 == n { print $k }'; }
cands_of() {
    local c
    c=$(echo "$EXTRA_CANDIDATES" | awk -F'|' -v n="$1" '$1 == n { print $2 }')
    [ -n "$c" ] || c=$(echo "$CANDIDATES" | awk -F'|' -v n="$1" '$1 == n { print $2 }')
    [ -n "$c" ] || c=$DEFAULT_CANDIDATES
    [ "$QUICK" = 1 ] && c=$(echo "$c" | awk '{ print $1, $2 }')
    echo "$c"
}
# ---- --dataset / --candidates: the user's datasets, checked before anything runs ---------------
# A dataset of --dataset without --candidates gets the general PatchTSMixer candidates (the
# TinyTimeMixer ones cost about five times as much; name them with --candidates to try them).
DEFAULT_CANDIDATES='const drop5 onecyc lr1e4'
bad() { echo "run.sh: $*" >&2; exit 2; }
posint() { echo "$1" | grep -qE '^[1-9][0-9]{0,6}$'; }
extra_names=""
while IFS= read -r spec; do
    [ -n "$spec" ] || continue
    nf=$(echo "$spec" | awk -F'|' '{ print NF }')
    [ "$nf" = 10 ] || bad "--dataset '$spec': $nf fields, expected 10: NAME|FILE|CONTEXT|PATCH|STRIDE|HORIZONS|SEARCH_H|EPOCHS|PATIENCE|BATCH"
    IFS='|' read -r name file ctx pl ps hs sh ep pat bs <<<"$spec"
    echo "$name" | grep -qE '^[A-Za-z][A-Za-z0-9]{0,31}$' ||
        bad "--dataset: name '$name': letters and digits, starting with a letter (run folders are NAME_HORIZON_CANDIDATE_sSEED)"
    if echo "$DATASETS" | cut -d'|' -f1 | grep -qx "$name" || echo "$extra_names" | grep -qx "$name"; then
        bad "--dataset: '$name' is already a dataset"
    fi
    for v in "context $ctx" "patch length $pl" "patch stride $ps" "epochs $ep" "patience $pat" "batch $bs"; do
        posint "${v##* }" || bad "--dataset $name: $v is not a positive integer"
    done
    [ -n "$(echo "$hs" | tr -d ' ')" ] || bad "--dataset $name: no horizons"
    for h in $hs; do posint "$h" || bad "--dataset $name: horizon '$h' is not a positive integer"; done
    echo " $hs " | grep -q " $sh " || bad "--dataset $name: the search horizon '$sh' is not one of its horizons ($hs)"
    case "$file" in *.csv | *.csv.gz) ;; *) bad "--dataset $name: '$file' is not a .csv or .csv.gz file" ;; esac
    case "$file" in /*) f=$file ;; *) f=$DATA_DIR/$file ;; esac
    [ -f "$f" ] || bad "--dataset $name: no file $f"
    extra_names="$extra_names
$name"
    DATASETS="$DATASETS
$spec"
done <<<"$EXTRA_DATASETS"
while IFS= read -r spec; do
    [ -n "$spec" ] || continue
    name=${spec%%|*}
    [ "$name" != "$spec" ] || bad "--candidates '$spec': expected NAME|c1 c2 ..."
    echo "$DATASETS" | cut -d'|' -f1 | grep -qx "$name" || bad "--candidates: no dataset '$name'"
    list=${spec#*|}
    [ -n "$(echo "$list" | tr -d ' ')" ] || bad "--candidates $name: no candidates"
    for c in $list; do
        candidate_flags "$c" >/dev/null || bad "--candidates $name: unknown candidate '$c' (see candidate_flags in $0)"
    done
done <<<"$EXTRA_CANDIDATES"
all_datasets=$(echo "$DATASETS" | cut -d'|' -f1)
mkdir -p "$OUT/runs" "$OUT/data" "$OUT/cells$TAG"

# --cells: dataset names (all horizons) or dataset_horizon tokens, comma-separated.
want_cell() { # dataset horizon
    [ -z "$CELLS" ] && return 0
    case ",$CELLS," in *",$1,"* | *",$1_$2,"*) return 0 ;; esac
    return 1
}
if [ "$QUICK" = 1 ]; then
    CELLS=ETTh1_96
    SEEDS=42
fi
SEED_LIST=$(echo "$SEEDS" | tr ',' ' ')
FIRST_SEED=${SEED_LIST%% *}
for tok in $(echo "$CELLS" | tr ',' ' '); do
    ds=${tok%_*}
    h=${tok#"$ds"}
    h=${h#_}
    [ "$tok" = "$ds" ] && h=""
    if ! echo "$all_datasets" | grep -qx "${ds}" && ! echo "$all_datasets" | grep -qx "$tok"; then
        echo "run.sh: unknown cell '$tok' (datasets: $(echo "$all_datasets" | tr '\n' ' ')); use NAME or NAME_HORIZON" >&2
        exit 2
    fi
    if [ -n "$h" ] && ! echo " $(field "$ds" 6) " | grep -q " $h "; then
        echo "run.sh: $ds has no horizon $h (it has: $(field "$ds" 6))" >&2
        exit 2
    fi
done

# The data file the trainer reads (gzipped sets unpacked once into OUT/data, same base name;
# with UNPACK=0 only its name: the table and the import write commands, they run none).
UNPACK=1
[ "$TABLE_ONLY" = 1 ] && UNPACK=0
data_file() {
    local rel src base
    rel=$(field "$1" 2)
    src=$DATA_DIR/$rel
    case "$rel" in /*) src=$rel ;; esac
    case "$rel" in
    *.gz)
        base=$(basename "$rel" .gz)
        [ "$1" = Weather ] && base=weather.csv
        if [ "$UNPACK" = 1 ] && [ ! -f "$OUT/data/$base" ]; then
            gunzip -c "$src" >"$OUT/data/$base.tmp" && mv "$OUT/data/$base.tmp" "$OUT/data/$base"
        fi
        echo "$OUT/data/$base" ;;
    *) echo "$src" ;;
    esac
}

# The full `train` command line of one run (seed config + candidate + dataset settings).
train_cmd() { # dataset horizon candidate seed out_dir
    local ds=$1 h=$2 c=$3 seed=$4 out=$5 extra=""
    [ "$QUICK" = 1 ] && extra=" --max-steps 20"
    local epochs patience
    epochs=$(field "$ds" 8)
    patience=$(field "$ds" 9)
    [ "$QUICK" = 1 ] && epochs=1
    echo "$BIN train --data $(data_file "$ds") --context-length $(field "$ds" 3)" \
        "--patch-length $(field "$ds" 4) --patch-stride $(field "$ds" 5)" \
        "--prediction-length $h --batch-size $(field "$ds" 10) --epochs $epochs" \
        "--patience $patience $(candidate_flags "$c") --seed $seed --threads 1$extra" \
        "--out $out"
}

run_dir() { echo "$OUT/runs/$1_$2_$3_s$4"; } # dataset horizon candidate seed

# Prepares the run folder (command.sh) and prints it if the run is still to do. The command of
# a run still to do is written again each time (so a changed --bin, --data-dir or an OUT folder
# moved elsewhere applies to it); a finished run's command.sh stays the one that ran.
prepare() { # dataset horizon candidate seed
    local d
    d=$(run_dir "$@")
    mkdir -p "$d"
    if [ ! -f "$d/result.csv" ]; then
        printf '#!/bin/sh\n# run from the repository root\n%s\n' "$(train_cmd "$@" "$d/ckpt")" >"$d/command.sh.tmp"
        mv "$d/command.sh.tmp" "$d/command.sh"
    fi
    [ -f "$d/result.csv" ] || echo "$d"
}

# The --plan estimate: CPU seconds per epoch of the seed configuration at horizon 96 (ILI 24)
# on one core, and per run (loading, validation, test evaluation), from `--measure`
# (results/costs.csv, 2026-12-08); a longer horizon costs up to 1.3 times more (720), each
# candidate its factor below (TinyTimeMixer: 4.7 times an epoch over at most 5 epochs, i.e. 2.34
# times a capped 10-epoch run; --val-every: 1.3 times its candidate; p16s16d32 0.9 times
# Weather's seed configuration, the other patch-16 ones 1.06).
epoch_cost() {
    case "$1" in
    ETTh1 | ETTh2) echo "8.7 2" ;; ETTm1 | ETTm2) echo "35.4 6.6" ;; Weather) echo "137.6 14.1" ;;
    Exchange) echo "4.5 0.8" ;; ILI) echo "0.4 0.1" ;;
    esac
}
cand_factor() {
    case "$1" in
    p16s16d32) echo 0.9 ;; p16*) echo 1.06 ;; mix5) echo 1.15 ;; ctx96) echo 0.22 ;;
    ttm*ve | ttmlr) echo 3.0 ;; ttm*) echo 2.34 ;;
    *ve) echo 1.3 ;; onecyc8) echo 2 ;; *) echo 1 ;;
    esac
}

run_pool() { # reads run folders on stdin
    if [ "$PLAN" = 1 ]; then
        while read -r d; do
            b=$(basename "$d")
            ds=${b%%_*}
            c=$(echo "$b" | awk -F_ '{ print $3 }')
            h=$(echo "$b" | awk -F_ '{ print $2 }')
            ep=$(field "$ds" 8)
            [ "$QUICK" = 1 ] && ep=0.16 # 20 steps of an ETTh1 epoch
            echo "$d $(awk -v a="$(epoch_cost "$ds")" -v b="$(cand_factor "$c")" -v e="$ep" -v h="$h" \
                'BEGIN { split(a, k, " "); f = 1 + 0.3 * (h > 96 ? (h - 96) / 624 : 0)
                         printf "%.0f", k[1] * b * e * f + k[2] }')"
        done
        return 0
    fi
    xargs -r -n 1 -P "$JOBS" "$HERE/run.sh" --bin "$BIN" __run
}

# ---- --measure: the per-step and per-run costs behind epoch_cost and cand_factor --------------
# Short runs of the candidates that set the estimate, each as stage 1 or 2 would train it but
# stopped after 100 steps (ILI: its whole epoch, 35), two copies at a time (both cores busy, as
# with --jobs 2). The cost of a step is the epoch's time over its steps, from the trainer's
# `epoch 1/1:` line (the steps alone, wall time with one thread per process: CPU time); the
# rest of the process's CPU seconds (user + system, bash's `time`) is the run's overhead -
# loading, one validation pass and the test evaluation - split between the last two in
# proportion to their window counts (the trainer's `data:` line). (The difference between a
# 20- and a 100-step run gave the same figure within 30 %, but the evaluation of a model after
# 20 steps costs differently from one after 100, which made ETTm2's step twice ETTm1's.)
# Prints one line per configuration and writes OUT/measure/costs.csv; nothing else runs. Run
# it on a quiet machine.
MEASURE_SET='ETTh1 96 const
ETTh1 720 const
ETTh1 96 ttm
ETTm1 96 const
ETTm2 96 p16d7
Weather 96 const
Weather 96 p16oc
Weather 96 p16s16d32
Exchange 96 const
Exchange 96 ctx96
ILI 24 const'
if [ "$MEASURE" = 1 ]; then
    md=$OUT/measure
    mkdir -p "$md"
    echo "dataset,horizon,candidate,steps_per_epoch,cpu_s_per_step,run_overhead_s,val_s,epoch_s" >"$md/costs.csv.tmp"
    printf '%-9s %4s %-7s %6s %10s %10s %7s %8s\n' dataset h cand steps "s/step" "overhead" "val" "epoch"
    echo "$MEASURE_SET" | while read -r ds h c; do
        n=100
        [ "$ds" = ILI ] && n=35 # its whole epoch
        for k in 1 2; do
            d=$md/${ds}_${h}_${c}_n${n}_$k
            rm -rf "$d"
            mkdir -p "$d"
            cmd="$(train_cmd "$ds" "$h" "$c" 42 "$d/ckpt") --epochs 1 --max-steps $n"
            echo "$cmd" >"$d/command.sh"
            ( TIMEFORMAT='%U %S'; { time sh -c "$cmd" >"$d/train.log" 2>&1; } 2>"$d/cpu.txt" ) &
        done
        wait
        awk -v ds="$ds" -v h="$h" -v c="$c" -v n="$n" -v md="$md" '
            function cpu(f,   a) { getline a < f; close(f); split(a, x, " "); return x[1] + x[2] }
            function field(f, pre, key,   line, i, k, v) { # the word after key on the line pre
                while ((getline line < f) > 0) if (index(line, pre) == 1) {
                    k = split(line, w, /[ ,]+/); for (i = 1; i < k; i++) if (w[i] == key) v = w[i + 1] }
                close(f); return v }
            function secs(f,   line, k, i, v) { # epoch 1/1: train loss a, val loss b (best, saved), 5.9s, ...
                while ((getline line < f) > 0) if (index(line, "epoch 1/1:") == 1) {
                    k = split(line, w, /, /); for (i = 1; i <= k; i++) if (w[i] ~ /^[0-9.]+s$/) v = w[i] + 0 }
                close(f); return v }
            BEGIN { p = md "/" ds "_" h "_" c "_n" n
                    t = (cpu(p "_1/cpu.txt") + cpu(p "_2/cpu.txt")) / 2
                    step = (secs(p "_1/train.log") + secs(p "_2/train.log")) / 2 / n
                    over = t - n * step
                    nv = field(p "_1/train.log", "data:", "val"); nt = field(p "_1/train.log", "data:", "test")
                    st = field(p "_1/train.log", "train:", "x") # train: forecast, 4 epochs x 126 steps, ...
                    val = over * nv / (nv + nt)
                    printf "%-9s %4s %-7s %6d %10.4f %10.1f %7.1f %8.1f\n", ds, h, c, st, step, over, val, st * step + val
                    printf "%s,%s,%s,%d,%.4f,%.2f,%.2f,%.1f\n", ds, h, c, st, step, over, val, st * step + val >> (md "/costs.csv.tmp") }'
    done
    mv "$md/costs.csv.tmp" "$md/costs.csv"
    echo "run.sh: costs in $md/costs.csv"
    exit 0
fi

# ---- stage 1: the search, seed 42, validation loss only --------------------------------------
stage_datasets=""
for ds in $all_datasets; do
    for h in $(field "$ds" 6); do
        if want_cell "$ds" "$h"; then
            stage_datasets="$stage_datasets $ds"
            break
        fi
    done
done

# ---- --import DIR: finished runs restored from a results folder of this script ----------------
# DIR holds results*.csv and cells*/ as run.sh wrote them (bench/accuracy/results is the committed
# one). Every row of its CSVs becomes the run folder it came from, with the command.sh stage 1 or
# 2 would write, its result.csv (the row's six result fields) and a file `imported` naming the
# source; each cell folder's config.json goes back to the run that produced it (the first seed's
# final, named in the cell's command.sh). Folders already in OUT are left alone, so a run
# trained here always wins. An imported run has no train.log or loss.csv: the selection reads its
# validation loss from the val_mse field of its result line, which is the trainer's done: line
# figure (what best_val reads for a --val-every run; the loss.csv minimum to the six decimals it
# prints otherwise). `--table` on the imported folder writes the committed tables again
# (tests/test_accuracy_select.sh checks that they come back byte for byte).
if [ -n "$IMPORT" ]; then
    ls "$IMPORT"/results*.csv >/dev/null 2>&1 || { echo "run.sh: --import: no results*.csv in $IMPORT" >&2; exit 2; }
    UNPACK=0
    for f in "$IMPORT"/results*.csv; do
        awk -F, -v f="$f" 'NR > 1 && NF == 13 { print f "," $0 }' "$f"
    done | awk -F, '!seen[$14]++' | while IFS=, read -r f ds h _ c s _ ep be vl mse mae wall _; do
        d=$(run_dir "$ds" "$h" "$c" "$s")
        [ -f "$d/result.csv" ] && continue
        candidate_flags "$c" >/dev/null || { echo "run.sh: --import: $f names an unknown candidate '$c'" >&2; exit 2; }
        mkdir -p "$d"
        printf '#!/bin/sh\n# run from the repository root\n%s\n' "$(train_cmd "$ds" "$h" "$c" "$s" "$d/ckpt")" >"$d/command.sh"
        echo "$ep,$be,$vl,$mse,$mae,$wall" >"$d/result.csv"
        echo "imported from $f" >"$d/imported"
    done
    for cf in "$IMPORT"/cells*/*/config.json; do
        [ -f "$cf" ] || continue
        cmd=$(dirname "$cf")/command.sh
        c=$(sed -n "s/.*: the chosen configuration '\([^']*\)'.*/\1/p" "$cmd")
        s=$(sed -n 's/.*it produced with seed \([0-9]*\)\.$/\1/p' "$cmd")
        d=$OUT/runs/$(basename "$(dirname "$cf")")_${c}_s$s
        if [ -f "$d/imported" ] && [ ! -f "$d/ckpt/config.json" ]; then
            mkdir -p "$d/ckpt"
            cp "$cf" "$d/ckpt/config.json"
        fi
    done
    UNPACK=$((1 - TABLE_ONLY))
    echo "run.sh: $OUT/runs holds $(find "$OUT/runs" -name imported | wc -l) imported runs (from $IMPORT)"
fi

planned=$OUT/.plan
: >"$planned"
if [ "$TABLE_ONLY" = 0 ]; then
    for ds in $stage_datasets; do
        for c in $(cands_of "$ds"); do prepare "$ds" "$(field "$ds" 7)" "$c" "$SEARCH_SEED"; done
    done | run_pool | tee -a "$planned" || status=$?
fi

# The selection. For each candidate's seed-42 search run it reads the lowest validation loss:
# from loss.csv (epoch,train_loss,val_loss: written by the trainer after every epoch), or, for a
# run with --val-every, from the trainer's `done:` line in train.log (its best validation loss,
# the checks within epochs included); neither holds a test figure. Both are compared to the six
# decimals that line prints; the lowest wins, ties go to the earlier candidate. result.csv
# (which has the test MSE) is only checked for existence, except in an imported run, which has
# neither file: there its val_mse field alone is read (the done: line's figure, see --import).
# A run trained with another loss (--loss mae: its validation loss is an MAE) is compared by its
# saved model's validation MSE, the trainer's `val:` line (also its val_mse field).
best_val() { # run folder -> lowest validation loss, to the 6 decimals of the done: line
    if [ -f "$1/imported" ]; then # (--import) the val_mse field of its result line
        awk -F, '{ print $3 }' "$1/result.csv"
    elif grep -q -- "--loss " "$1/command.sh"; then
        sed -n 's/^val: MSE \([0-9.eE+-]*\) .*/\1/p' "$1/train.log"
    elif grep -q -- "--val-every" "$1/command.sh"; then
        sed -n 's/^done:.*(val loss \([0-9.eE+-]*\)).*/\1/p' "$1/train.log"
    else
        awk -F, 'NR > 1 && $3 != "" { if (m == "" || $3 + 0 < m + 0) m = $3 }
                 END { if (m != "") printf "%.6f\n", m }' "$1/ckpt/loss.csv"
    fi
}
pick() { # dataset horizon candidates... -> the one with the lowest validation loss at seed 42
    local ds=$1 h=$2 c v best="" bestv="" d
    shift 2
    for c in "$@"; do
        d=$(run_dir "$ds" "$h" "$c" "$SEARCH_SEED")
        [ -f "$d/result.csv" ] || return 0
        v=$(best_val "$d")
        if [ -z "$best" ] || awk -v a="$v" -v b="$bestv" 'BEGIN { exit !(a + 0 < b + 0) }'; then
            best=$c
            bestv=$v
        fi
    done
    echo "$best"
}
choose() { # dataset -> its chosen candidate, or nothing while a search run is missing
    # shellcheck disable=SC2046 # the candidates are words
    pick "$1" "$(field "$1" 7)" $(cands_of "$1")
}
choice_or_plan() { # dataset -> its choice; with --plan before the search, its first candidate
    local c
    c=$(choose "$1")
    [ -z "$c" ] && [ "$PLAN" = 1 ] && c=$(cands_of "$1" | awk '{ print $1 }')
    echo "$c"
}
cell_pool() { # dataset horizon -> the candidates of the cell's own search (none: no search, or
    # the dataset's choice still unknown: then the cell waits for it, as its choice is one of them)
    local extra c
    extra=$(cell_cands "$1" "$2")
    [ -n "$extra" ] && [ "$QUICK" = 0 ] || return 0
    c=$(choice_or_plan "$1")
    [ -z "$c" ] || echo "$c $extra"
}
choose_cell() { # dataset horizon -> the cell's configuration, or nothing while a run is missing
    local pool
    pool=$(cell_pool "$1" "$2")
    # shellcheck disable=SC2086 # the candidates are words
    if [ -n "$pool" ]; then pick "$1" "$2" $pool; else choose "$1"; fi
}

# ---- stage 1b: the cells' own searches (CELL_CANDIDATES), seed 42 -------------------------------
if [ "$TABLE_ONLY" = 0 ]; then
    for ds in $stage_datasets; do
        [ -n "$(choice_or_plan "$ds")" ] || continue
        for h in $(field "$ds" 6); do
            want_cell "$ds" "$h" || continue
            for c in $(cell_pool "$ds" "$h"); do prepare "$ds" "$h" "$c" "$SEARCH_SEED"; done
        done
    done | run_pool | tee -a "$planned" || status=$?
fi

# ---- stage 2: the chosen configuration of every cell, every seed ------------------------------
if [ "$TABLE_ONLY" = 0 ]; then
    for ds in $stage_datasets; do
        c0=$(choice_or_plan "$ds")
        [ -n "$c0" ] || continue
        for h in $(field "$ds" 6); do
            want_cell "$ds" "$h" || continue
            c=$(choose_cell "$ds" "$h")
            [ -n "$c" ] || { [ "$PLAN" = 1 ] && c=$c0; } || continue
            for s in $SEED_LIST; do prepare "$ds" "$h" "$c" "$s"; done
        done
    done | run_pool | tee -a "$planned" || status=$?
fi
if [ "$PLAN" = 1 ]; then
    awk '!seen[$1]++ { n++; t += $2 } END { printf "%d runs to do, at most %.0f CPU s (%.1f h on 2 cores with --jobs 2)\n", n, t, t / 7200 }' "$planned"
    for n in $extra_names; do
        for h in $(field "$n" 6); do
            want_cell "$n" "$h" || continue
            echo "(the runs of $n, a --dataset, count as 0 s: no measured cost; --measure times the table's datasets)"
            break
        done
    done
    exit 0
fi

# ---- results.csv, the cell folders and table.md -------------------------------------------------
res=$OUT/results$TAG.csv
echo "dataset,horizon,context,configuration,seed,role,epochs,best_epoch,val_mse,test_mse,test_mae,wall_s,run" >"$res.tmp"
# each cell's choice and search pool, worked out once per cell (each costs a process per run read)
declare -A CHOSEN POOL
for ds in $all_datasets; do
    for d in "$OUT"/runs/"$ds"_*; do
        [ -f "$d/result.csv" ] || continue
        b=$(basename "$d")
        h=$(echo "$b" | awk -F_ '{ print $2 }')
        c=$(echo "$b" | awk -F_ '{ print $3 }')
        s=${b##*_s}
        want_cell "$ds" "$h" || [ "$h" = "$(field "$ds" 7)" ] || continue
        role=""
        if [ -z "${CHOSEN[${ds}_$h]+set}" ]; then
            CHOSEN[${ds}_$h]=$(choose_cell "$ds" "$h")
            POOL[${ds}_$h]=$(cell_pool "$ds" "$h")
        fi
        chosen=${CHOSEN[${ds}_$h]}
        if [ "$s" = "$SEARCH_SEED" ] && { { [ "$h" = "$(field "$ds" 7)" ] && case " $(cands_of "$ds") " in *" $c "*) true ;; *) false ;; esac; } ||
            case " ${POOL[${ds}_$h]} " in *" $c "*) true ;; *) false ;; esac; }; then
            role=search
        fi
        if [ "$c" = "$chosen" ] && want_cell "$ds" "$h" && case " $SEED_LIST " in *" $s "*) true ;; *) false ;; esac; then
            role=${role:+$role+}final
        fi
        [ -n "$role" ] || continue
        ctx=$(awk '{ for (i = 1; i < NF; i++) if ($i == "--context-length") v = $(i + 1) } END { print v }' "$d/command.sh")
        echo "$ds,$h,$ctx,$c,$s,$role,$(cat "$d/result.csv"),$d"
        if [ "$role" != search ] && [ "$s" = "$FIRST_SEED" ]; then
            cell=$OUT/cells$TAG/${ds}_$h
            mkdir -p "$cell"
            cp "$d/ckpt/config.json" "$cell/config.json"
            {
                echo "#!/bin/sh"
                echo "# $ds, horizon $h: the chosen configuration '$c' ($(candidate_flags "$c"))."
                echo "# Retrains one row: sh $cell/command.sh [SEED [OUT_DIR]] (from the repository root)."
                echo "# config.json beside it is the model configuration it produced with seed $s."
                echo 'set -e'
                # shellcheck disable=SC2016 # written for command.sh to expand
                echo 'SEED=${1:-42}'
                echo "DIR=\${2:-runs/retrain/${ds}_${h}_s\$SEED}"
                case "$(field "$ds" 2)" in
                *.gz) f=$(data_file "$ds")
                      echo "[ -f $f ] || { mkdir -p $(dirname "$f") && gunzip -c $DATA_DIR/$(field "$ds" 2) >$f; }" ;;
                esac
                # shellcheck disable=SC2016 # written for command.sh to expand
                train_cmd "$ds" "$h" "$c" '$SEED' '"$DIR"'
                echo
            } >"$cell/command.sh"
        fi
    done
done >>"$res.tmp"
mv "$res.tmp" "$res"
/usr/bin/python3 "$HERE/table.py" "$res" "$HERE/reference.csv" ${TAG:+--cell-search} >"$OUT/table$TAG.md.tmp"
mv "$OUT/table$TAG.md.tmp" "$OUT/table$TAG.md"
echo "run.sh: $(($(wc -l <"$res") - 1)) runs in $res; table in $OUT/table$TAG.md"
exit "${status:-0}"
